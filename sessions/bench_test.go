package sessions

import (
	"encoding/json"
	"strconv"
	"testing"

	"sockplay/sockets"
)

// BenchmarkDoBatch is the session's share of the WebSocket round trip
// (web's BenchmarkUDPRoundTrip): a batched recvfrom and the sendto that
// feeds it, on two real UDP sockets, and the two results taken from the
// subscriber's queue. No JSON is read or written.
func BenchmarkDoBatch(b *testing.B) {
	m := NewManager(Config{Policy: &sockets.Policy{Wildcard: true}})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	do := func(reqs ...Request) []Message {
		s.DoBatch(sub, reqs, make([]*sockets.Error, len(reqs)))
		return sub.Take(64)
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	text := "ping"
	do(Request{ID: raw("1"), Op: "socket", Type: "SOCK_DGRAM"}, Request{ID: raw("2"), Op: "socket", Type: "SOCK_DGRAM"})
	var addr string
	for _, m := range do(Request{ID: raw("3"), Op: "bind", Sock: "s1", Addr: raw(`["127.0.0.1",0]`)}) {
		if r, ok := m.Body.(ResultBody); ok {
			a := r.Fields.(addrField).Addr.A
			addr = `["127.0.0.1",` + strconv.Itoa(a.Port) + `]`
		}
	}
	do(Request{ID: raw("4"), Op: "bind", Sock: "s2", Addr: raw(`["127.0.0.1",0]`)})
	bufsize := 64
	b.ReportAllocs()
	for id := 10; b.Loop(); id += 2 {
		ms := do(
			Request{ID: raw(strconv.Itoa(id)), Op: "recvfrom", Sock: "s1", Bufsize: &bufsize},
			Request{ID: raw(strconv.Itoa(id + 1)), Op: "sendto", Sock: "s2", Data: &Payload{Text: &text}, Addr: raw(addr)},
		)
		if len(ms) != 2 || !ms[1].Body.(ResultBody).OK {
			b.Fatalf("results: %+v", ms)
		}
	}
}
