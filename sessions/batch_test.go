package sessions

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// batchPair is a session with two bound UDP sockets, s1 and s2, and the
// subscriber that sees what it logs; to1 is s1's address as a request
// writes it.
type batchPair struct {
	m   *Manager
	s   *Session
	sub *Subscriber
	to1 protocol.Raw
	id  int
}

func newBatchPair(t *testing.T) *batchPair {
	t.Helper()
	return newBatchPairWith(t, Config{})
}

// newBatchPairWith is newBatchPair with a Manager of cfg (its Policy set).
func newBatchPairWith(t *testing.T, cfg Config) *batchPair {
	t.Helper()
	cfg.Policy = &sockets.Policy{Wildcard: true}
	m := NewManager(cfg)
	t.Cleanup(m.Close)
	p := &batchPair{m: m, s: m.Create(), id: 100}
	p.sub, _ = p.s.Attach()
	p.do(Request{Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}}, Request{Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	for _, r := range p.do(Request{Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`))}) {
		p.to1 = protocol.Raw(`["127.0.0.1",` + strconv.Itoa(r.Fields.(addrField).Addr.A.Port) + `]`)
	}
	p.do(Request{Op: "bind", Sock: "s2", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`))})
	return p
}

// do runs reqs as one batch (ids given in order) and returns the results
// it logged, in log order. A call left waiting logs no result here.
func (p *batchPair) do(reqs ...Request) []ResultBody {
	for i := range reqs {
		p.id++
		reqs[i].ID = protocol.Raw(strconv.Itoa(p.id))
	}
	p.s.DoBatch(p.sub, reqs, make([]*sockets.Error, len(reqs)))
	var out []ResultBody
	for _, m := range p.sub.Take(1000) {
		if r, ok := m.Body.(ResultBody); ok {
			out = append(out, r)
		}
	}
	return out
}

func (p *batchPair) sendto(text string) Request {
	return Request{Op: "sendto", Sock: "s2", Data: &Payload{Text: &text}, Addr: protocol.NewAddrArg(p.to1)}
}

func recvfrom(sock string) Request {
	n := 64
	return Request{Op: "recvfrom", Sock: sock, Bufsize: &n}
}

// describe writes results as "op:outcome" words: the received text, or
// the exception of a failure.
func describe(rs []ResultBody) string {
	var w []string
	for _, r := range rs {
		switch {
		case r.Error != nil:
			w = append(w, r.Op+":"+r.Error.Exception)
		case r.Op == "recvfrom":
			w = append(w, r.Op+":"+string(r.Fields.(recvfromFields).Data.shown))
		default:
			w = append(w, r.Op)
		}
	}
	return strings.Join(w, " ")
}

// TestBatchFedReceive: a recvfrom batched before the sendto that feeds it
// skips its first try only when nothing else can tell: it gets the oldest
// datagram either way, and only the log's order shows the skip (its result
// after the sendto's). When a later request names its socket, or the socket
// is non-blocking, the first try is made as before.
func TestBatchFedReceive(t *testing.T) {
	t.Run("empty queue", func(t *testing.T) {
		p := newBatchPair(t)
		if got, want := describe(p.do(recvfrom("s1"), p.sendto("a"))), "sendto recvfrom:a"; got != want {
			t.Errorf("results %q, want %q", got, want)
		}
	})
	t.Run("a datagram already queued", func(t *testing.T) {
		p := newBatchPair(t)
		p.do(p.sendto("old"))
		if got, want := describe(p.do(recvfrom("s1"), p.sendto("new"))), "sendto recvfrom:old"; got != want {
			t.Errorf("results %q, want %q (first try skipped, the oldest datagram taken)", got, want)
		}
		if got, want := describe(p.do(recvfrom("s1"))), "recvfrom:new"; got != want {
			t.Errorf("next receive %q, want %q", got, want)
		}
	})
	t.Run("a later request names the socket", func(t *testing.T) {
		p := newBatchPair(t)
		p.do(p.sendto("old"))
		got := describe(p.do(recvfrom("s1"), p.sendto("new"), Request{Op: "getsockname", Sock: "s1"}))
		if want := "recvfrom:old sendto getsockname"; got != want {
			t.Errorf("results %q, want %q (first try made)", got, want)
		}
	})
	t.Run("a sendto elsewhere", func(t *testing.T) {
		p := newBatchPair(t)
		p.do(p.sendto("old"))
		other := p.sendto("x")
		other.Addr = protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",9]`))
		if got, want := describe(p.do(recvfrom("s1"), other)), "recvfrom:old sendto"; got != want {
			t.Errorf("results %q, want %q (first try made)", got, want)
		}
	})
	t.Run("non-blocking", func(t *testing.T) {
		p := newBatchPair(t)
		p.do(Request{Op: "settimeout", Sock: "s1", RareArgs: &protocol.RareArgs{Timeout: protocol.Raw("0")}})
		if got, want := describe(p.do(recvfrom("s1"), p.sendto("a"))), "recvfrom:BlockingIOError sendto"; got != want {
			t.Errorf("results %q, want %q (EAGAIN is the result of a non-blocking receive)", got, want)
		}
	})
}

// TestOneWakePerStep: the messages one locked step queues (a batch's
// results and socket messages) wake the subscriber's writer once, and all
// of them are there to take when it wakes.
func TestOneWakePerStep(t *testing.T) {
	p := newBatchPair(t)
	select {
	case <-p.sub.Ready(): // left by newBatchPair's own batches, taken already
	default:
	}
	reqs := []Request{{Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}}, {Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}}, {Op: "bind", Sock: "s3", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`))}}
	for i := range reqs {
		reqs[i].ID = protocol.Raw(strconv.Itoa(200 + i))
	}
	p.s.DoBatch(p.sub, reqs, make([]*sockets.Error, len(reqs)))
	select {
	case <-p.sub.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up after a batch that logged messages")
	}
	if got := len(p.sub.Take(1000)); got < 6 { // three results, three socket messages
		t.Errorf("took %d messages at the wake-up, want all 6 of the batch", got)
	}
	select {
	case <-p.sub.Ready():
		t.Error("a second wake-up for the same batch")
	default:
	}
}

// TestStepTime: the messages one step logs carry one time, the step's
// first reading of the clock; the next step reads it again.
func TestStepTime(t *testing.T) {
	var ticks atomic.Int64
	clock := func() time.Time { return time.Unix(1000, ticks.Add(1)*int64(time.Millisecond)) }
	m := NewManager(Config{Policy: &sockets.Policy{Wildcard: true}, Now: clock})
	t.Cleanup(m.Close)
	s := m.Create()
	sub, _ := s.Attach()
	step := func(reqs ...Request) []Message {
		s.DoBatch(sub, reqs, make([]*sockets.Error, len(reqs)))
		return sub.Take(100)
	}
	step(Request{ID: protocol.Raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	ms := step(
		Request{ID: protocol.Raw("2"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}},
		Request{ID: protocol.Raw("3"), Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`))},
		Request{ID: protocol.Raw("4"), Op: "getsockname", Sock: "s1"},
	)
	if len(ms) < 3 {
		t.Fatalf("a step of three requests logged %d messages", len(ms))
	}
	for _, m := range ms[1:] {
		if !m.Time.Equal(ms[0].Time) {
			t.Fatalf("one step's messages: %s (seq %d) then %s (seq %d)", ms[0].Time, ms[0].Seq, m.Time, m.Seq)
		}
	}
	next := step(Request{ID: protocol.Raw("5"), Op: "getsockname", Sock: "s2"})
	if len(next) == 0 || !next[0].Time.After(ms[0].Time) {
		t.Fatalf("the next step's message is not later: %v after %s", next, ms[0].Time)
	}
}
