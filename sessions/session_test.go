package sessions

import (
	"encoding/json"
	"sockplay/sessions/protocol"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func req(id int, op string) Request {
	return Request{ID: protocol.Raw([]byte(jsonInt(id))), Op: op, RareArgs: new(protocol.RareArgs)} // its own, for the test to fill in
}

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }

// take waits for n messages on sub.
func take(t *testing.T, sub *Subscriber, n int) []Message {
	t.Helper()
	var out []Message
	deadline := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case <-sub.Ready():
			out = append(out, sub.Take(n-len(out))...)
		case <-deadline:
			t.Fatalf("got %d messages, want %d", len(out), n)
		}
	}
	return out
}

func TestReapAfterGrace(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	m := NewManager(Config{Grace: 10 * time.Minute, Now: clock.Now})
	defer m.Close()
	attached, idle := m.Create(), m.Create()
	sub, _ := attached.Attach()

	clock.Add(9 * time.Minute)
	m.Reap(clock.Now())
	if m.Get(idle.ID) == nil {
		t.Fatal("idle session reaped before its grace period")
	}
	clock.Add(time.Minute)
	m.Reap(clock.Now())
	if m.Get(idle.ID) != nil {
		t.Fatal("idle session still there after its grace period")
	}
	select {
	case <-idle.Done():
	default:
		t.Error("reaped session not closed")
	}
	if m.Get(attached.ID) == nil {
		t.Fatal("session with a page attached was reaped")
	}

	// Detaching starts the attached session's own grace period.
	attached.Detach(sub)
	<-sub.Done()
	clock.Add(9 * time.Minute)
	m.Reap(clock.Now())
	if m.Get(attached.ID) == nil {
		t.Fatal("session reaped 9 minutes after its page left")
	}
	clock.Add(time.Minute)
	m.Reap(clock.Now())
	if m.Get(attached.ID) != nil {
		t.Fatal("session kept 10 minutes after its page left")
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	m := NewManager(Config{QueueSize: 4})
	defer m.Close()
	s := m.Create()
	slow, _ := s.Attach()
	fast, _ := s.Attach()
	s.Do(slow, req(1, "encoding"))
	s.Do(fast, req(2, "encoding"))
	// Each unknown op logs one result; the slow page never takes its queue.
	for i := 0; i < 10; i++ {
		s.Do(fast, req(10+i, "nope"))
		take(t, fast, 1)
	}
	select {
	case <-slow.Done():
		if got := slow.Reason(); got == "" {
			t.Error("dropped without a reason")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("slow subscriber not dropped")
	}
	select {
	case <-fast.Done():
		t.Fatal("subscriber that keeps up was dropped")
	default:
	}
}

func TestLogRingAndSnapshot(t *testing.T) {
	m := NewManager(Config{LogSize: 5})
	defer m.Close()
	s := m.Create()
	sub, hello := s.Attach()
	if hello.Seq != 1 || hello.Kind != KindHello {
		t.Fatalf("hello %+v, want seq 1", hello)
	}
	s.Do(sub, Request{ID: protocol.Raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	for i := 2; i < 6; i++ {
		s.Do(sub, req(i, "nope"))
	}
	got := take(t, sub, 6) // socket result, socket state, 4 results
	s.Do(sub, Request{ID: protocol.Raw("6"), Op: "spawn", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`)), RareArgs: &protocol.RareArgs{Peer: "udp-echo"}})
	for len(got) < 7 || got[len(got)-1].Kind != KindResult {
		got = append(got, take(t, sub, 1)...) // the spawn result, and peer messages
	}
	if r := got[len(got)-1].Body.(ResultBody); !r.OK {
		t.Fatalf("spawn: %+v", r.Error)
	}
	last := got[len(got)-1].Seq
	late, hello2 := s.Attach()
	if hello2.Seq < last || !hello2.Body.(HelloBody).Resumed {
		t.Fatalf("second hello %+v, want seq ≥ %d, resumed", hello2, last)
	}
	s.Do(late, Request{ID: protocol.Raw("9"), Op: "resume", RareArgs: &protocol.RareArgs{After: new(int64)}})
	ms := take(t, late, 2)
	if ms[0].Kind != KindSnapshot || ms[0].Seq < hello2.Seq {
		t.Fatalf("got %s seq %d, want a snapshot at seq %d or later", ms[0].Kind, ms[0].Seq, hello2.Seq)
	}
	snap := ms[0].Body.(SnapshotBody)
	if len(snap.Sockets) != 1 || snap.Sockets[0].Sock != "s1" || snap.FirstSeq != ms[0].Seq-4 {
		t.Errorf("snapshot %+v, want socket s1 and first_seq %d", snap, ms[0].Seq-4)
	}
	if len(snap.Peers) != 1 || snap.Peers[0].Peer != "p1" || snap.Peers[0].Name != "udp-echo" {
		t.Errorf("snapshot peers %+v, want p1 udp-echo", snap.Peers)
	}
	if r, ok := ms[1].Body.(ResultBody); ms[1].Seq != ms[0].Seq+1 || !ok || r.Op != "resume" || !r.OK {
		t.Errorf("after snapshot got %+v, want the resume result at seq %d", ms[1], ms[0].Seq+1)
	}
}
