package sessions

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sockplay/sessions/protocol"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStats drives a session directly and reads the Manager's figures: the
// OnOp observer sees each finished request once, with its outcome; a limit
// hit is counted under its limit; a subscriber that never takes its
// messages is dropped and counted; the session's end is logged with its
// totals.
func TestStats(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	var log bytes.Buffer
	m := NewManager(Config{
		MaxSockets: 1, QueueSize: 8,
		OnOp: func(op, outcome string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d < 0 {
				t.Errorf("%s: negative latency %v", op, d)
			}
			seen[op+" "+outcome]++
		},
		Log: slog.New(slog.NewJSONHandler(&log, nil)),
	})
	s := m.Create()
	sub, _ := s.Attach()
	s.Do(sub, req(1, "socket"))
	s.Do(sub, req(2, "socket")) // over MaxSockets
	s.Do(sub, req(3, "nonsense"))
	take(t, sub, 4) // the hello and what the three requests logged

	st := m.Stats()
	if st.Sessions != 1 || st.Sockets != 1 || st.SessionsStarted != 1 || st.LimitHits["sockets"] != 1 || st.LimitHits["data"] != 0 || st.PagesDropped != 0 {
		t.Errorf("stats %+v; want 1 session, 1 socket, 1 started, 1 sockets limit hit, none dropped", st)
	}
	mu.Lock()
	want := map[string]int{"socket ok": 1, "socket limit": 1, "other bad_request": 1}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("OnOp %q: %d times, want %d (all: %v)", k, seen[k], n, seen)
		}
	}
	mu.Unlock()

	// Nobody takes: the queue (8) overflows and the subscriber is dropped.
	for i := range 10 {
		s.Do(sub, Request{ID: protocol.Raw(jsonInt(10 + i)), Op: "encoding", RareArgs: &protocol.RareArgs{Encoding: UTF8}})
	}
	<-sub.Done()
	if got := m.Stats().PagesDropped; got != 1 {
		t.Errorf("PagesDropped %d, want 1", got)
	}

	m.Close()
	var end map[string]any
	for line := range strings.Lines(log.String()) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l["msg"] == "session end" {
			end = l
		}
	}
	if end == nil || end["ops"] != 13.0 || end["sockets"] != 1.0 || end["session"] != s.LogName() || strings.Contains(log.String(), s.ID) {
		t.Errorf("session end line %v; want ops 13, sockets 1, the session's log name and never its id:\n%s", end, log.String())
	}
	if got := m.Stats().Sessions; got != 0 {
		t.Errorf("after Close: %d sessions, want 0", got)
	}
}
