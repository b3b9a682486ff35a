package sessions

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAdmission: the Manager refuses a session past MaxSessions and past
// MaxPerClient for one client (not for client ""), says why, and counts a
// reaped session's room free again.
func TestAdmission(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	m := NewManager(Config{Grace: time.Minute, Now: clock.Now, MaxSessions: 3, MaxPerClient: 2})
	defer m.Close()
	for i := range 2 {
		if _, err := m.CreateFor("203.0.113.7"); err != nil {
			t.Fatalf("session %d of the client: %v", i+1, err)
		}
	}
	_, err := m.CreateFor("203.0.113.7")
	if !errors.Is(err, ErrClientFull) || !strings.Contains(err.Error(), "203.0.113.7 already has 2 sessions") {
		t.Fatalf("third session of one client: %v, want ErrClientFull naming it", err)
	}
	if err := m.Admit("203.0.113.7"); !errors.Is(err, ErrClientFull) {
		t.Errorf("Admit: %v, want ErrClientFull", err)
	}
	if _, err := m.CreateFor(""); err != nil {
		t.Fatalf("a session counted for no client: %v", err)
	}
	_, err = m.CreateFor("203.0.113.8")
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "the server is full, try again in a minute") {
		t.Fatalf("fourth session: %v, want ErrFull", err)
	}
	if m.Len() != 3 {
		t.Errorf("Len() = %d, want 3", m.Len())
	}

	clock.Add(time.Minute)
	m.Reap(clock.Now()) // none has a page: all three go
	if err := m.Admit("203.0.113.7"); err != nil {
		t.Errorf("after the reap: %v, want room", err)
	}
	for i := range 2 {
		if _, err := m.CreateFor("203.0.113.7"); err != nil {
			t.Fatalf("after the reap, session %d of the client: %v", i+1, err)
		}
	}
	m.Close()
	if _, err := m.CreateFor(""); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
