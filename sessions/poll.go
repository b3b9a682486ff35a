package sessions

import (
	"sync"
	"time"
)

// poller reads kernel state for pushed stat messages, for all the sessions
// of a Manager, on one goroutine with one ticker. It visits only the
// sessions enlisted with it: those with a page attached and a socket to
// follow (one an op touched lately, or one a page shows; see pollStats).
// A session leaves the list when its poll finds nothing left to follow, and
// the goroutine ends when the list is empty, so idle sessions cost nothing.
//
// Each session is polled once every `every`, but not all at once: the
// period is cut into slices, each enlisted session gets one of them in
// turn, and a tick polls one slice's sessions. A thousand busy sessions
// polled in one burst (their stat messages logged and written too) held
// every other request up for milliseconds, four times a second.
type poller struct {
	every  time.Duration // the period (Config.StatEvery); 0: never poll
	slices int           // ticks per period

	mu       sync.Mutex       // guards sessions, turn and running
	sessions map[*Session]int // enlisted sessions, by their slice
	turn     int              // the slice the next session enlisted gets
	running  bool             // the goroutine is running
}

// pollSlice is the shortest tick: a period is cut into at most maxSlices
// slices of at least pollSlice each.
const (
	pollSlice = 10 * time.Millisecond
	maxSlices = 10
)

func newPoller(every time.Duration) *poller {
	return &poller{every: every, slices: max(1, min(maxSlices, int(every/pollSlice))), sessions: map[*Session]int{}}
}

// enlist adds s to the sessions polled, in the next slice, starting the
// goroutine if it is not running. It is called under s's lock (the lock
// order is session, then poller).
func (p *poller) enlist(s *Session) {
	if p.every <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.sessions[s]; !ok {
		p.sessions[s] = p.turn
		p.turn = (p.turn + 1) % p.slices
	}
	if !p.running {
		p.running = true
		go p.run()
	}
}

// leave removes s; under s's lock, or after s has ended.
func (p *poller) leave(s *Session) {
	p.mu.Lock()
	delete(p.sessions, s)
	p.mu.Unlock()
}

func (p *poller) run() {
	t := time.NewTicker(p.every / time.Duration(p.slices))
	defer t.Stop()
	var list []*Session
	for tick := 0; ; tick = (tick + 1) % p.slices {
		<-t.C
		p.mu.Lock()
		if len(p.sessions) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		list = list[:0]
		for s, slice := range p.sessions {
			if slice == tick {
				list = append(list, s)
			}
		}
		p.mu.Unlock()
		for _, s := range list {
			ok := s.withLock(func() {
				if !s.pollStats() {
					s.polled = false
					p.leave(s)
				}
			})
			if !ok { // the session has ended
				p.leave(s)
			}
		}
		clear(list) // keep no ended session alive until the next tick
	}
}
