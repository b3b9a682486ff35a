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
type poller struct {
	every time.Duration // the tick (Config.StatEvery); 0: never poll

	mu       sync.Mutex // guards sessions and running
	sessions map[*Session]bool
	running  bool // the goroutine is running
}

func newPoller(every time.Duration) *poller {
	return &poller{every: every, sessions: map[*Session]bool{}}
}

// enlist adds s to the sessions polled on each tick, starting the
// goroutine if it is not running. It is called under s's lock (the lock
// order is session, then poller).
func (p *poller) enlist(s *Session) {
	if p.every <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessions[s] = true
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
	t := time.NewTicker(p.every)
	defer t.Stop()
	var list []*Session
	for range t.C {
		p.mu.Lock()
		if len(p.sessions) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		list = list[:0]
		for s := range p.sessions {
			list = append(list, s)
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
