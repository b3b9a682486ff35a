package sockets_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockplay/sockets"
)

// goPreemptible starts a.RecvFrom(64, flags) made preemptible through p in
// a goroutine, waits until it waits, and returns the channel its result
// will arrive on.
func goPreemptible(t *testing.T, ctx context.Context, a *sockets.Socket, p *sockets.Preempt, flags ...string) <-chan recvResult {
	t.Helper()
	opts, waiting := onWait()
	opts.Preemptible = p
	done := make(chan recvResult, 1)
	go func() {
		r, e := a.RecvFrom(ctx, 64, flags, opts)
		done <- recvResult{r, e}
	}()
	select {
	case <-waiting:
	case res := <-done:
		t.Fatalf("recvfrom returned %q, %v before it waited", res.r.Data, res.e)
	case <-time.After(safety):
		t.Fatalf("recvfrom did not start waiting within %v", safety)
	}
	return done
}

// sendText sends text from b to addr.
func sendText(t testing.TB, b *sockets.Socket, text string, addr sockets.Addr) {
	t.Helper()
	_, _, e := b.SendTo(context.Background(), []byte(text), addr, sockets.CallOptions{})
	mustOK(t, "sendto "+text, e)
}

// wantEmpty checks that a's queue holds no datagram.
func wantEmpty(t *testing.T, a *sockets.Socket) {
	t.Helper()
	r, e := a.RecvFrom(context.Background(), 64, []string{"MSG_DONTWAIT"}, sockets.CallOptions{})
	if e == nil || e.Errno != "EAGAIN" {
		t.Errorf("queue: got %q, %v; want it empty (EAGAIN)", r.Data, e)
	}
}

// TestPreemptTakesWaitingReceive: a receive made with Preempts gets the
// datagram the waiting call waits for, which then ends with ErrPreempted
// having read nothing; with MSG_PEEK the datagram stays queued.
func TestPreemptTakesWaitingReceive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout *time.Duration
		flags   []string
	}{
		{"blocking", nil, nil},
		{"timeout", dur(time.Hour), nil}, // the wake-up is not taken for the timeout
		{"peek", nil, []string{"MSG_PEEK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			mustOK(t, "settimeout", a.SetTimeout(tc.timeout))
			p := sockets.NewPreempt()
			done := goPreemptible(t, ctx, a, p, tc.flags...)
			if p.Taken() {
				t.Error("Taken before any preempting receive")
			}

			p.Hold() // the datagram's arrival may wake the call: it must not read it
			sendText(t, b, "one", aa)
			r, e := a.RecvFrom(ctx, 64, tc.flags, sockets.CallOptions{Preempts: p})
			p.Release()
			mustOK(t, "preempting recvfrom", e)
			if !p.Taken() {
				t.Error("not Taken after the preempting receive took the datagram")
			}
			if string(r.Data) != "one" || r.From == nil || r.From.Port != ba.Port {
				t.Errorf("preempting recvfrom: got %q from %v, want %q from %v", r.Data, r.From, "one", ba)
			}
			if res := await(t, done, "the preempted call's end"); res.e != sockets.ErrPreempted || res.r.Data != nil {
				t.Errorf("preempted call: got %q, %v; want nothing, ErrPreempted", res.r.Data, res.e)
			}
			if _, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p}); e != sockets.ErrWouldWait {
				t.Errorf("preempting a call taken over already: got %v, want ErrWouldWait", e)
			}

			want := "two" // the preempted call read nothing: the next datagram is next
			if tc.flags != nil {
				want = "one" // peeked, so still queued
			} else {
				sendText(t, b, "two", aa)
			}
			r, e = a.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
			mustOK(t, "next recvfrom", e)
			if string(r.Data) != want {
				t.Errorf("next recvfrom: got %q, want %q", r.Data, want)
			}
			wantEmpty(t, a)
		})
	}
}

// TestPreemptNothingQueued: a preempting receive that finds nothing is
// ErrWouldWait and changes nothing: the waiting call still gets the next
// datagram itself, and once it has, it can no longer be taken over.
func TestPreemptNothingQueued(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	p := sockets.NewPreempt()
	done := goPreemptible(t, ctx, a, p)
	for range 3 {
		if _, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p}); e != sockets.ErrWouldWait {
			t.Fatalf("preempting with nothing queued: got %v, want ErrWouldWait", e)
		}
	}
	select {
	case res := <-done:
		t.Fatalf("the waiting call ended (%q, %v) though nothing was sent", res.r.Data, res.e)
	default:
	}
	sendText(t, b, "late", aa)
	res := await(t, done, "the waiting call's datagram")
	mustOK(t, "waiting recvfrom", res.e)
	if string(res.r.Data) != "late" {
		t.Errorf("waiting recvfrom: got %q, want %q", res.r.Data, "late")
	}
	if p.Taken() {
		t.Error("Taken, though the waiting call got its datagram itself")
	}
	sendText(t, b, "after", aa)
	if _, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p}); e != sockets.ErrWouldWait {
		t.Errorf("preempting a call that finished: got %v, want ErrWouldWait", e)
	}
	r, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom after", e)
	if string(r.Data) != "after" {
		t.Errorf("recvfrom after: got %q, want %q", r.Data, "after")
	}
}

// TestPreemptHoldLosesNothing: a datagram that arrives while the waiting
// call is held, and is not taken by a preempting receive, is the call's
// once it is released: the wake-up it brought is not lost.
func TestPreemptHoldLosesNothing(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	p := sockets.NewPreempt()
	done := goPreemptible(t, ctx, a, p)
	p.Hold()
	sendText(t, b, "held", aa)
	p.Release()
	res := await(t, done, "the released call's datagram")
	mustOK(t, "released recvfrom", res.e)
	if string(res.r.Data) != "held" {
		t.Errorf("released recvfrom: got %q, want %q", res.r.Data, "held")
	}
	wantEmpty(t, a)
}

// TestPreemptBeforeStart: a call taken over before it starts ends at once
// with ErrPreempted and reads nothing.
func TestPreemptBeforeStart(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	p := sockets.NewPreempt()
	sendText(t, b, "first", aa)
	sendText(t, b, "second", aa)
	r, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p})
	mustOK(t, "preempting recvfrom", e)
	if string(r.Data) != "first" {
		t.Errorf("preempting recvfrom: got %q, want %q", r.Data, "first")
	}
	if r, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preemptible: p}); e != sockets.ErrPreempted {
		t.Errorf("the call taken over: got %q, %v; want ErrPreempted", r.Data, e)
	}
	r, e = a.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
	mustOK(t, "next recvfrom", e)
	if string(r.Data) != "second" {
		t.Errorf("next recvfrom: got %q, want %q", r.Data, "second")
	}
}

// TestPreemptUndoneCallEnds: a waiting call whose preemption found nothing
// still times out, is cancelled, or ends with EBADF when its socket is
// closed, as any waiting call does.
func TestPreemptUndoneCallEnds(t *testing.T) {
	for _, how := range []string{"timeout", "cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			if how == "timeout" {
				mustOK(t, "settimeout", a.SetTimeout(dur(50*time.Millisecond)))
			}
			p := sockets.NewPreempt()
			done := goPreemptible(t, ctx, a, p)
			if _, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p}); e != sockets.ErrWouldWait {
				t.Fatalf("preempting with nothing queued: got %v, want ErrWouldWait", e)
			}
			switch how {
			case "cancel":
				cancel()
			case "close":
				a.Close()
			}
			res := await(t, done, "the waiting call's end")
			switch how {
			case "timeout":
				checkErr(t, res.e, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"})
			case "cancel":
				checkErr(t, res.e, wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})
			default:
				checkErr(t, res.e, errEBADF)
			}
			if _, e := a.RecvFrom(context.Background(), 64, nil, sockets.CallOptions{Preempts: p}); e != sockets.ErrWouldWait {
				t.Errorf("preempting a call that ended: got %v, want ErrWouldWait", e)
			}
		})
	}
}

// TestPreemptExactlyOnce: waiting calls are preempted while an outside
// sender floods the same socket and some calls time out at about the same
// moment: every datagram is received exactly once, by the waiting call or
// by the preempting one, never by both and never lost.
func TestPreemptExactlyOnce(t *testing.T) {
	const own, flood = 1000, 1000
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	c, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)

	// The flooder keeps at most 32 of its datagrams queued, so the
	// socket's buffer never overflows (the kernel would drop them).
	var received atomic.Int64 // of the flood
	var sentFlood atomic.Int64
	stop, flooded := make(chan struct{}), make(chan struct{})
	defer close(stop)
	go func() {
		defer close(flooded)
		for j := 0; j < flood; {
			select {
			case <-stop:
				return
			default:
			}
			if int64(j)-received.Load() >= 32 {
				time.Sleep(50 * time.Microsecond) // flow control, not synchronisation
				continue
			}
			if _, _, e := c.SendTo(ctx, []byte("f"+strconv.Itoa(j)), aa, sockets.CallOptions{}); e != nil {
				t.Errorf("flood sendto: %v", e)
				return
			}
			j++
			sentFlood.Store(int64(j))
		}
	}()

	seen := map[string]int{}
	got := func(data []byte) {
		seen[string(data)]++
		if strings.HasPrefix(string(data), "f") {
			received.Add(1)
		}
	}
	sent := 0
	for i := 0; len(seen) < own+flood && i < 4*(own+flood); i++ {
		if i%4 == 3 {
			mustOK(t, "settimeout", a.SetTimeout(dur(time.Millisecond))) // races the takeover
		} else {
			mustOK(t, "settimeout", a.SetTimeout(nil))
		}
		p := sockets.NewPreempt()
		done := make(chan recvResult, 1)
		go func() {
			r, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preemptible: p})
			done <- recvResult{r, e}
		}()
		held := i%3 != 0
		if held {
			p.Hold()
		}
		if sent < own && (i%2 == 0 || sentFlood.Load() == flood) {
			sendText(t, b, "o"+strconv.Itoa(sent), aa)
			sent++
		}
		r, e := a.RecvFrom(ctx, 64, nil, sockets.CallOptions{Preempts: p})
		if held {
			p.Release()
		}
		var res recvResult
		select {
		case res = <-done:
		case <-time.After(safety):
			t.Fatalf("waiting call %d did not end (preempting: %q, %v; sent %d of ours, %d of the flood; received %d)", i, r.Data, e, sent, sentFlood.Load(), len(seen))
		}
		switch {
		case e == nil:
			if res.e != sockets.ErrPreempted {
				t.Fatalf("call %d: preempting got %q, the call got %q, %v (want ErrPreempted)", i, r.Data, res.r.Data, res.e)
			}
			got(r.Data)
		case e != sockets.ErrWouldWait:
			t.Fatalf("call %d: preempting recvfrom: %v", i, e)
		case res.e == nil:
			got(res.r.Data)
		case res.e.Kind != sockets.KindTimeout:
			t.Fatalf("call %d: waiting recvfrom: %v", i, res.e)
		}
	}
	mustOK(t, "settimeout", a.SetTimeout(nil))
	// Its last datagram may be received before the flooder counts it sent.
	select {
	case <-flooded:
	case <-time.After(safety):
	}
	if sentFlood.Load() != flood || sent != own {
		t.Fatalf("sent %d of our own and %d of the flood, want %d and %d", sent, sentFlood.Load(), own, flood)
	}
	var missing, twice []string
	for _, prefix := range []string{"o", "f"} {
		for j := range 1000 {
			switch seen[prefix+strconv.Itoa(j)] {
			case 0:
				missing = append(missing, prefix+strconv.Itoa(j))
			case 1:
			default:
				twice = append(twice, prefix+strconv.Itoa(j))
			}
		}
	}
	if len(missing)+len(twice) > 0 || len(seen) != own+flood {
		t.Errorf("received %d distinct datagrams; missing %s; more than once %s", len(seen), strings.Join(missing, " "), strings.Join(twice, " "))
	}
	wantEmpty(t, a)
}
