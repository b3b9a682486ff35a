package sessions

import (
	"net"
	"strings"
	"testing"
	"time"

	"sockplay/sessions/protocol"
)

// The deferred receive (wait.go, launchDeferred): a datagram receive that
// its step leaves waiting gets a goroutine only Config.DeferWait later, or
// at the session's next request that is not a sendto. With DeferWait an
// hour, only a request can start it, so these tests say which one does.

// waitGoroutines is how many goroutines p's Manager has started for calls
// that wait.
func (p *batchPair) waitGoroutines() int64 { return p.m.Stats().WaitGoroutines }

// TestDeferredReceiveFedByNextStep: the page's round trip, a recvfrom
// that waits (its waiting message comes), then the sendto that feeds it in
// a step of its own: both results come in the sendto's step, and no
// goroutine was ever started for the receive, ten times over.
func TestDeferredReceiveFedByNextStep(t *testing.T) {
	p := newBatchPairWith(t, Config{DeferWait: time.Hour})
	before := p.waitGoroutines()
	for i := range 10 {
		id := p.start(recvfrom("s1"))
		p.untilWaiting(t, id)
		got := p.do(p.sendto("ping"))
		if d := describe(got); d != "sendto recvfrom:ping" {
			t.Fatalf("round trip %d: results %q, want the sendto's and the receive's", i, d)
		}
		if string(got[1].ID) != id {
			t.Fatalf("round trip %d: the receive's result has id %s, want %s", i, got[1].ID, id)
		}
	}
	if g := p.waitGoroutines() - before; g != 0 {
		t.Errorf("%d goroutines started for receives that the next step fed, want none", g)
	}
	p.opsDone(t)
}

// TestDeferredReceiveStartedByRequest: any request that is not a sendto
// starts the deferred receive first, so it runs as it would have: a
// cancel ends it at once (not an hour later), a settimeout comes after it
// started (its timeout is the one it was made with), and a second
// recvfrom on its socket queues behind it.
func TestDeferredReceiveStartedByRequest(t *testing.T) {
	t.Run("cancel", func(t *testing.T) {
		p := newBatchPairWith(t, Config{DeferWait: time.Hour})
		id := p.start(recvfrom("s1"))
		p.untilWaiting(t, id)
		p.do(Request{Op: "cancel", RareArgs: &protocol.RareArgs{Target: protocol.Raw(id)}})
		if r := p.resultOf(t, id); r.Error == nil || !strings.Contains(r.Error.Message, "cancel") {
			t.Fatalf("the cancelled receive's result: %+v", r)
		}
		if g := p.waitGoroutines(); g != 1 {
			t.Errorf("%d goroutines started, want 1 (the cancel started the receive's)", g)
		}
	})
	t.Run("second recvfrom", func(t *testing.T) {
		p := newBatchPairWith(t, Config{DeferWait: time.Hour})
		first := p.start(recvfrom("s1"))
		p.untilWaiting(t, first)
		second := p.start(recvfrom("s1"))
		p.untilWaiting(t, second)
		// Sent from outside the session: no takeover, the goroutines read.
		sendFromOutside(t, p, "one")
		if r := p.resultOf(t, first); describe([]ResultBody{r}) != "recvfrom:one" {
			t.Fatalf("the first receive got %q, want the first datagram", describe([]ResultBody{r}))
		}
		// The second is deferred in its turn: a request starts it.
		p.do(Request{Op: "getsockname", Sock: "s1"})
		sendFromOutside(t, p, "two")
		if r := p.resultOf(t, second); describe([]ResultBody{r}) != "recvfrom:two" {
			t.Fatalf("the second receive got %q, want the second datagram", describe([]ResultBody{r}))
		}
	})
}

// TestDeferredReceiveGetsOutsideDatagram: a deferred receive that no step
// feeds gets its goroutine after DeferWait, which receives a datagram sent
// from outside the session.
func TestDeferredReceiveGetsOutsideDatagram(t *testing.T) {
	p := newBatchPairWith(t, Config{DeferWait: 20 * time.Millisecond})
	id := p.start(recvfrom("s1"))
	p.untilWaiting(t, id)
	sendFromOutside(t, p, "hello")
	if r := p.resultOf(t, id); describe([]ResultBody{r}) != "recvfrom:hello" {
		t.Fatalf("the receive got %q", describe([]ResultBody{r}))
	}
	if g := p.waitGoroutines(); g != 1 {
		t.Errorf("%d goroutines started, want 1", g)
	}
}

// TestDeferredReceiveTimeout: a deferred receive's timeout counts from its
// request: with DeferWait longer than the timeout, it times out as its
// goroutine starts, not a timeout after that.
func TestDeferredReceiveTimeout(t *testing.T) {
	p := newBatchPairWith(t, Config{DeferWait: 300 * time.Millisecond})
	p.do(Request{Op: "settimeout", Sock: "s1", RareArgs: &protocol.RareArgs{Timeout: protocol.Raw("0.05")}})
	start := time.Now()
	id := p.start(recvfrom("s1"))
	r := p.resultOf(t, id)
	took := time.Since(start)
	if r.Error == nil || r.Error.Exception != "TimeoutError" {
		t.Fatalf("the receive's result: %+v, want a TimeoutError", r)
	}
	if took < 300*time.Millisecond {
		t.Fatalf("it ended after %v, before its goroutine could start (%v)", took, 300*time.Millisecond)
	}
	t.Logf("timed out %v after the request (deferred 300ms, timeout 50ms)", took)
}

// TestDeferredReceiveAtClose: a session closed while a receive is deferred
// ends at once, starting nothing.
func TestDeferredReceiveAtClose(t *testing.T) {
	p := newBatchPairWith(t, Config{DeferWait: time.Hour})
	id := p.start(recvfrom("s1"))
	p.untilWaiting(t, id)
	closed := make(chan struct{})
	go func() { p.s.Close("test"); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end")
	}
	if g := p.waitGoroutines(); g != 0 {
		t.Errorf("%d goroutines started at close, want none", g)
	}
}

// resultOf takes p's messages until the result of id, and returns it.
func (p *batchPair) resultOf(t *testing.T, id string) ResultBody {
	t.Helper()
	for {
		if r, ok := take(t, p.sub, 1)[0].Body.(ResultBody); ok && string(r.ID) == id {
			return r
		}
	}
}

// sendFromOutside sends text to s1 from a socket of the test's own.
func sendFromOutside(t *testing.T, p *batchPair, text string) {
	t.Helper()
	to := strings.Trim(string(p.to1), "[]")
	addr, err := net.ResolveUDPAddr("udp", strings.ReplaceAll(strings.Replace(to, ",", ":", 1), `"`, ""))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}
