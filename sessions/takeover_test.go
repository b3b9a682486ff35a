package sessions

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// start runs r alone (its id given in order), as a page's frame does, and
// returns its id.
func (p *batchPair) start(r Request) string {
	p.id++
	r.ID = protocol.Raw(strconv.Itoa(p.id))
	p.s.DoBatch(p.sub, []Request{r}, make([]*sockets.Error, 1))
	return string(r.ID)
}

// untilWaiting takes p's messages until the waiting message of id.
func (p *batchPair) untilWaiting(t *testing.T, id string) {
	t.Helper()
	for {
		if b, ok := take(t, p.sub, 1)[0].Body.(WaitingBody); ok && string(b.ID) == id {
			return
		}
	}
}

// opsDone waits until the session's operations' goroutines have all ended.
func (p *batchPair) opsDone(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { p.s.ops.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a call's goroutine did not end")
	}
}

// TestSendtoCompletesWaitingReceive: a datagram sendto to the address of a
// socket whose recv/recvfrom waits completes that receive in its own step:
// the receive's result is logged before the next request of the sendto's
// batch runs, which its goroutine (logging only once the batch's step is
// over) could never do. The goroutine then ends and logs nothing.
func TestSendtoCompletesWaitingReceive(t *testing.T) {
	n := 64
	for _, tc := range []struct {
		name    string
		recv    Request
		timeout string // settimeout on s1 first ("": none)
		waited  bool   // the receive's waiting came before the sendto
		want    string
	}{
		{"recvfrom", recvfrom("s1"), "", true, "sendto recvfrom:ping getsockname"},
		{"recv", Request{Op: "recv", Sock: "s1", Bufsize: &n}, "", true, "sendto recv getsockname"},
		{"with a timeout", recvfrom("s1"), "3600", true, "sendto recvfrom:ping getsockname"},
		{"peek", Request{Op: "recvfrom", Sock: "s1", Bufsize: &n, Flags: []string{"MSG_PEEK"}}, "", true, "sendto recvfrom:ping getsockname"},
		{"not waited yet", recvfrom("s1"), "", false, "sendto recvfrom:ping getsockname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newBatchPair(t)
			if tc.timeout != "" {
				p.do(Request{Op: "settimeout", Sock: "s1", RareArgs: &protocol.RareArgs{Timeout: protocol.Raw(tc.timeout)}})
			}
			id := p.start(tc.recv)
			if tc.waited {
				p.untilWaiting(t, id)
			}
			got := p.do(p.sendto("ping"), Request{Op: "getsockname", Sock: "s1"})
			if d := describe(got); d != tc.want {
				t.Fatalf("results %q, want %q (the receive's in the sendto's step)", d, tc.want)
			}
			if string(got[1].ID) != id {
				t.Errorf("the receive's result has id %s, want %s", got[1].ID, id)
			}
			p.opsDone(t)
			if ms := p.sub.Take(1000); len(ms) > 0 {
				t.Errorf("after the receive's goroutine ended: %d more messages, the first a %s %+v", len(ms), ms[0].Kind, ms[0].Body)
			}
			want := "recvfrom:pong" // the goroutine read nothing
			if tc.recv.Flags != nil {
				want = "recvfrom:ping" // peeked: still queued
			} else {
				p.do(p.sendto("pong"))
			}
			if d := describe(p.do(recvfrom("s1"))); d != want {
				t.Errorf("next receive %q, want %q", d, want)
			}
		})
	}
}

// TestTakeOverExactlyOnce: waiting recvfroms on s1, fed by sendtos from
// s2 and taken over in their steps, while an outside socket floods s1 and
// some receives time out or are cancelled at about the same time: every
// datagram is received exactly once, and each receive has exactly one
// result.
func TestTakeOverExactlyOnce(t *testing.T) {
	const own, flood = 1000, 1000
	p := newBatchPair(t)
	var to1 sockets.Addr
	for _, r := range p.do(Request{Op: "getsockname", Sock: "s1"}) {
		to1 = sockets.Addr{Host: "127.0.0.1", Port: r.Fields.(addrField).Addr.A.Port}
	}
	out, err := sockets.New(sockets.AFInet, sockets.SockDgram, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, e := out.Bind(sockets.Addr{Host: "127.0.0.1"}); e != nil {
		t.Fatal(e)
	}

	// The outside sender keeps at most 32 of its datagrams queued, so the
	// socket's buffer never overflows (the kernel would drop them).
	var floodIn, floodOut atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for j := int64(0); j < flood; {
			select {
			case <-stop:
				return
			default:
			}
			if j-floodIn.Load() >= 32 {
				time.Sleep(50 * time.Microsecond) // flow control, not synchronisation
				continue
			}
			if _, _, e := out.SendTo(context.Background(), []byte("f"+strconv.FormatInt(j, 10)), to1, sockets.CallOptions{}); e != nil {
				t.Errorf("outside sendto: %v", e)
				return
			}
			j++
			floodOut.Store(j)
		}
	}()

	seen := map[string]int{}
	results := map[string]int{}
	sent := 0
	for i := 0; len(seen) < own+flood && i < 4*(own+flood); i++ {
		timeout := "null"
		if i%4 == 3 {
			timeout = "0.001" // races the takeover
		}
		p.do(Request{Op: "settimeout", Sock: "s1", RareArgs: &protocol.RareArgs{Timeout: protocol.Raw(timeout)}})
		id := p.start(recvfrom("s1"))
		var batch []Request
		if sent < own && (i%2 == 0 || floodOut.Load() == flood) {
			batch = append(batch, p.sendto("o"+strconv.Itoa(sent)))
			sent++
		}
		if i%5 == 4 {
			batch = append(batch, Request{Op: "cancel", RareArgs: &protocol.RareArgs{Target: protocol.Raw(id)}})
		}
		var rs []ResultBody
		if len(batch) > 0 {
			rs = p.do(batch...)
		}
		done := false
		for _, r := range rs {
			done = done || string(r.ID) == id
		}

		for deadline := time.After(10 * time.Second); !done; {
			select {
			case <-p.sub.Ready():
				for _, m := range p.sub.Take(1000) {
					if r, ok := m.Body.(ResultBody); ok {
						rs = append(rs, r)
						done = done || string(r.ID) == id
					}
				}
			case <-deadline:
				t.Fatalf("receive %d (id %s) got no result; sent %d of ours, %d of the flood; received %d", i, id, sent, floodOut.Load(), len(seen))
			}
		}
		for _, r := range rs {
			if r.Op != "recvfrom" {
				continue
			}
			results[string(r.ID)]++
			switch {
			case r.OK:
				data := string(r.Fields.(recvfromFields).Data.shown)
				seen[data]++
				if strings.HasPrefix(data, "f") {
					floodIn.Add(1)
				}
			case r.Error.Type != string(sockets.KindTimeout) && r.Error.Type != string(sockets.KindCancelled):
				t.Fatalf("receive %s: %+v", r.ID, r.Error)
			}
		}
	}
	if sent != own || floodOut.Load() != flood {
		t.Fatalf("sent %d of ours and %d of the flood, want %d and %d", sent, floodOut.Load(), own, flood)
	}
	var wrong []string
	for _, prefix := range []string{"o", "f"} {
		for j := range 1000 {
			if k := prefix + strconv.Itoa(j); seen[k] != 1 {
				wrong = append(wrong, k+"×"+strconv.Itoa(seen[k]))
			}
		}
	}
	if len(wrong) > 0 || len(seen) != own+flood {
		t.Errorf("received %d distinct datagrams; these not exactly once: %s", len(seen), strings.Join(wrong, " "))
	}
	for id, n := range results {
		if n != 1 {
			t.Errorf("receive %s has %d results", id, n)
		}
	}
	p.opsDone(t)
	for _, m := range p.sub.Take(1000) {
		if r, ok := m.Body.(ResultBody); ok {
			t.Errorf("a result after the last receive: %+v", r)
		}
	}
}

// TestUndoneTakeOver: a sendto to the address of a waiting receive whose
// datagram never arrives (the receiving socket is connected elsewhere, so
// the kernel drops it) leaves the receive waiting: it still times out, is
// still cancelled, and still gets the next datagram that does arrive.
func TestUndoneTakeOver(t *testing.T) {
	for _, how := range []string{"timeout", "cancel", "datagram"} {
		t.Run(how, func(t *testing.T) {
			p := newBatchPair(t)
			peer, err := sockets.New(sockets.AFInet, sockets.SockDgram, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			pa, e := peer.Bind(sockets.Addr{Host: "127.0.0.1"})
			if e != nil {
				t.Fatal(e)
			}
			connect := Request{Op: "connect", Sock: "s1", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",` + strconv.Itoa(pa.Port) + `]`))}
			if r := takeResult(t, p.sub, p.start(connect)); !r.OK {
				t.Fatalf("connect: %+v", r.Error)
			}
			if how == "timeout" {
				p.do(Request{Op: "settimeout", Sock: "s1", RareArgs: &protocol.RareArgs{Timeout: protocol.Raw("0.2")}})
			}
			id := p.start(recvfrom("s1"))
			p.untilWaiting(t, id)
			if d := describe(p.do(p.sendto("dropped"))); d != "sendto" {
				t.Fatalf("sendto: %s, want its result alone", d)
			}
			var want string
			switch how {
			case "timeout":
				want = "recvfrom:TimeoutError"
			case "cancel":
				p.do(Request{Op: "cancel", RareArgs: &protocol.RareArgs{Target: protocol.Raw(id)}})
				want = "recvfrom:"
			default:
				if _, _, e := peer.SendTo(context.Background(), []byte("real"), sockets.Addr{Host: "127.0.0.1", Port: p.port1(t)}, sockets.CallOptions{}); e != nil {
					t.Fatal(e)
				}
				want = "recvfrom:real"
			}
			got := takeResult(t, p.sub, id)
			if d := describe([]ResultBody{got}); d != want || how == "cancel" && got.Error.Type != string(sockets.KindCancelled) {
				t.Errorf("the receive's result: %s (%+v), want %s", d, got.Error, want)
			}
		})
	}
}

// port1 is s1's port.
func (p *batchPair) port1(t *testing.T) int {
	t.Helper()
	for _, r := range p.do(Request{Op: "getsockname", Sock: "s1"}) {
		return r.Fields.(addrField).Addr.A.Port
	}
	t.Fatal("no getsockname result")
	return 0
}

// TestWaitingLoggedInItsStep: a receive that was tried and would wait has
// its waiting message logged in its request's step, before DoBatch
// returns (not later by its goroutine): a sendto that follows at once and
// completes it (takeOver) still comes after a waiting, every time.
func TestWaitingLoggedInItsStep(t *testing.T) {
	p := newBatchPair(t)
	for range 20 {
		id := p.start(recvfrom("s1"))
		ms := p.sub.Take(1000)
		if len(ms) != 1 {
			t.Fatalf("after the recvfrom's step: %d messages, want its waiting alone", len(ms))
		}
		if b, ok := ms[0].Body.(WaitingBody); !ok || string(b.ID) != id {
			t.Fatalf("after the recvfrom's step: a %s %+v, want the waiting of %s", ms[0].Kind, ms[0].Body, id)
		}
		if d := describe(p.do(p.sendto("ping"))); d != "sendto recvfrom:ping" {
			t.Fatalf("the sendto's step: %q, want the sendto's result and the receive's", d)
		}
	}
	p.opsDone(t)
}
