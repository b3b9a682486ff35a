package sessions

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// BenchmarkBatchAgainstRaw is BenchmarkDoBatch's batch beside a raw trip,
// in the same loop: the same sendto and recvfrom made straight on two
// sockets, with one line of JSON appended for each. The raw trip is what
// any server must spend on the batch's system calls; the session's extra
// is its own work. It reports both (session-µs/op, raw-µs/op) and their
// ratio.
func BenchmarkBatchAgainstRaw(b *testing.B) {
	s, sub, addr := benchPair(b)
	raw := func(s string) protocol.Raw { return protocol.Raw(s) }
	text, bufsize := "ping", 64
	rt := newRawTrip(b)
	var inSession, inRaw time.Duration
	errs := make([]*sockets.Error, 2)
	for id := 10; b.Loop(); id += 2 {
		start := time.Now()
		s.DoBatch(sub, []Request{
			{ID: raw(strconv.Itoa(id)), Op: "recvfrom", Sock: "s1", Bufsize: &bufsize},
			{ID: raw(strconv.Itoa(id + 1)), Op: "sendto", Sock: "s2", Data: &Payload{Text: &text}, Addr: protocol.NewAddrArg(raw(addr))},
		}, errs)
		ms := sub.Take(64)
		inSession += time.Since(start)
		if len(ms) != 2 || !ms[1].Body.(ResultBody).OK {
			b.Fatalf("results: %+v", ms)
		}
		start = time.Now()
		rt.trip(b)
		inRaw += time.Since(start)
	}
	perOp := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(perOp(inSession), "session-µs/op")
	b.ReportMetric(perOp(inRaw), "raw-µs/op")
	b.ReportMetric(float64(inSession)/float64(inRaw), "session/raw")
}

// rawTrip is BenchmarkBatchAgainstRaw's raw trip: two UDP sockets on loopback,
// from and to, and the buffers of its JSON lines.
type rawTrip struct {
	from, to int
	addr     unix.Sockaddr
	buf, out []byte
}

func newRawTrip(b *testing.B) *rawTrip {
	rt := &rawTrip{buf: make([]byte, 64)}
	for _, fd := range []*int{&rt.from, &rt.to} {
		var err error
		if *fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { unix.Close(*fd) })
		if err := unix.Bind(*fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			b.Fatal(err)
		}
	}
	var err error
	if rt.addr, err = unix.Getsockname(rt.to); err != nil {
		b.Fatal(err)
	}
	return rt
}

// trip sends "ping" and receives it (loopback queues it before sendto
// returns; a few retries cover a late one), with a JSON line for each.
func (rt *rawTrip) trip(b *testing.B) {
	if err := unix.Sendto(rt.from, []byte("ping"), 0, rt.addr); err != nil {
		b.Fatal(err)
	}
	rt.out = append(rt.out[:0], `{"kind":"result","op":"sendto","ok":true,"n":4}`...)
	for try := 0; ; try++ {
		n, _, err := syscall.Recvfrom(rt.to, rt.buf, 0) // x/sys's asks getsockopt(SO_PROTOCOL) for each address; the session's does not
		if err == syscall.EAGAIN && try < 1000 {
			continue
		}
		if err != nil || n != 4 {
			b.Fatalf("raw recvfrom: %d bytes, %v", n, err)
		}
		rt.out = strconv.AppendQuote(append(rt.out, `{"kind":"result","op":"recvfrom","ok":true,"data":`...), string(rt.buf[:n]))
		rt.out = append(rt.out, '}')
		return
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
