package sessions

import (
	"testing"
	"time"
)

// TestPollerSpreadsSessions: the sessions enlisted with the poller are
// spread over the slices of its period, so no tick polls them all; each is
// in exactly one slice, and enlisting it again does not move it.
func TestPollerSpreadsSessions(t *testing.T) {
	p := newPoller(250 * time.Millisecond)
	if p.slices != maxSlices {
		t.Fatalf("a 250 ms period has %d slices, want %d", p.slices, maxSlices)
	}
	p.running = true // no goroutine: only the slices are under test
	ss := make([]*Session, 3*maxSlices)
	for i := range ss {
		ss[i] = &Session{}
		p.enlist(ss[i])
	}
	p.enlist(ss[0]) // again
	per := map[int]int{}
	for _, slice := range p.sessions {
		per[slice]++
	}
	for slice := range maxSlices {
		if per[slice] != 3 {
			t.Errorf("slice %d has %d sessions, want 3 (of %d in %d slices): %v", slice, per[slice], len(ss), maxSlices, per)
		}
	}
	if short := newPoller(15 * time.Millisecond); short.slices != 1 {
		t.Errorf("a 15 ms period has %d slices, want 1 (a tick is at least %v)", short.slices, pollSlice)
	}
}
