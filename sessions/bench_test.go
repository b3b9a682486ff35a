package sessions

import (
	"strconv"
	"testing"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// BenchmarkDoBatch is the session's share of the WebSocket round trip
// (web's BenchmarkUDPRoundTrip): a batched recvfrom and the sendto that
// feeds it, on two real UDP sockets, and the two results taken from the
// subscriber's queue. No JSON is read or written.
func BenchmarkDoBatch(b *testing.B) {
	s, sub, addr := benchPair(b)
	do := func(reqs ...Request) []Message {
		s.DoBatch(sub, reqs, make([]*sockets.Error, len(reqs)))
		return sub.Take(64)
	}
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	text := "ping"
	bufsize := 64
	b.ReportAllocs()
	for id := 10; b.Loop(); id += 2 {
		ms := do(
			Request{ID: raw(strconv.Itoa(id)), Op: "recvfrom", Sock: "s1", Bufsize: &bufsize},
			Request{ID: raw(strconv.Itoa(id + 1)), Op: "sendto", Sock: "s2", Data: &Payload{Text: &text}, Addr: protocol.NewAddrArg(raw(addr))},
		)
		if len(ms) != 2 || !ms[1].Body.(ResultBody).OK {
			b.Fatalf("results: %+v", ms)
		}
	}
}

// BenchmarkDoWaiting is the session's share of the waiting round trip
// (web's BenchmarkRowRoundTrip/waiting): a recvfrom in a step of its own,
// which waits (its waiting message taken), then a sendto in the next step,
// which feeds it (both results taken).
func BenchmarkDoWaiting(b *testing.B) {
	s, sub, addr := benchPair(b)
	bufsize := 64
	text := "ping"
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	b.ReportAllocs()
	for id := 10; b.Loop(); id += 2 {
		s.DoBatch(sub, []Request{{ID: raw(strconv.Itoa(id)), Op: "recvfrom", Sock: "s1", Bufsize: &bufsize}}, make([]*sockets.Error, 1))
		if ms := sub.Take(64); len(ms) != 1 || ms[0].Kind != KindWaiting {
			b.Fatalf("recvfrom: %+v", ms)
		}
		s.DoBatch(sub, []Request{{ID: raw(strconv.Itoa(id + 1)), Op: "sendto", Sock: "s2", Data: &Payload{Text: &text}, Addr: protocol.NewAddrArg(raw(addr))}}, make([]*sockets.Error, 1))
		if ms := sub.Take(64); len(ms) != 2 || !ms[1].Body.(ResultBody).OK {
			b.Fatalf("results: %+v", ms)
		}
	}
}

// benchPair is a session with two UDP sockets bound to loopback, s1 and
// s2, its subscriber and s1's address as JSON.
func benchPair(b *testing.B) (*Session, *Subscriber, string) {
	m := NewManager(Config{Policy: &sockets.Policy{Wildcard: true}})
	b.Cleanup(m.Close)
	s := m.Create()
	sub, _ := s.Attach()
	do := func(reqs ...Request) []Message {
		s.DoBatch(sub, reqs, make([]*sockets.Error, len(reqs)))
		return sub.Take(64)
	}
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	do(Request{ID: raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}}, Request{ID: raw("2"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	var addr string
	for _, m := range do(Request{ID: raw("3"), Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(raw(`["127.0.0.1",0]`))}) {
		if r, ok := m.Body.(ResultBody); ok {
			a := r.Fields.(addrField).Addr.A
			addr = `["127.0.0.1",` + strconv.Itoa(a.Port) + `]`
		}
	}
	do(Request{ID: raw("4"), Op: "bind", Sock: "s2", Addr: protocol.NewAddrArg(raw(`["127.0.0.1",0]`))})
	return s, sub, addr
}

// BenchmarkPollWatched is one poll of a watched UDP socket whose kernel
// state does not change: what each page showing an idle card costs every
// StatEvery (250 ms in sockplay).
func BenchmarkPollWatched(b *testing.B) {
	m := NewManager(Config{Policy: &sockets.Policy{Wildcard: true}})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	socks := []string{"s1"}
	s.DoBatch(sub, []Request{
		{ID: raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}},
		{ID: raw("2"), Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(raw(`["127.0.0.1",0]`))},
		{ID: raw("3"), Op: "watch", RareArgs: &protocol.RareArgs{Socks: &socks}},
	}, make([]*sockets.Error, 3))
	b.ReportAllocs()
	for b.Loop() {
		s.withLock(func() { s.pollStats() })
	}
	stats := 0
	for _, m := range sub.Take(100) {
		if m.Kind == KindStat {
			stats++
		}
	}
	if stats != 1 {
		b.Fatalf("%d stat messages, want 1 (the state does not change)", stats)
	}
}
