package sessions

import (
	"context"
	"crypto/rand"
	"sync"
	"time"

	"sockplay/sockets"
	"sockplay/sockets/exercises"
)

// Config holds the limits and settings every session of a Manager shares.
type Config struct {
	Policy     *sockets.Policy
	MaxSockets int              // open sockets per session (default 64)
	LogSize    int              // messages a session keeps for resume (default 10,000)
	QueueSize  int              // messages queued per connection before it is dropped (default 4,096)
	MaxData    int              // bytes in one request's data (default 1 MiB)
	MaxShown   int              // bytes of a chunk that messages carry; the rest is summed up (default 64 KiB)
	LogBytes   int              // bytes of messages a session keeps for resume, roughly (default 1 MiB)
	QueueBytes int              // bytes of messages queued per connection before it is dropped, roughly (default 4 MiB)
	Grace      time.Duration    // how long a session with no page attached lives on (default 10m)
	StatEvery  time.Duration    // how often kernel state is polled for stat messages (0: never)
	Now        func() time.Time // the clock (default time.Now)

	// OnCheck, if set, is called once for every exercise check that reached
	// its verdict, passed or failed (not for one that was cancelled, nor one
	// cut short by its session's end), just before its result is logged, so
	// a page that sees the result finds the attempt recorded. learner is
	// the session's Learner (set by the web side from its learner cookie),
	// "" when no page gave one. It runs on the check's goroutine, outside
	// the session lock; the result waits for it, and so does Session.Close.
	OnCheck func(learner string, v exercises.Verdict)
}

func (c *Config) fill() {
	if c.Policy == nil {
		c.Policy = &sockets.Policy{}
	}
	if c.MaxSockets <= 0 {
		c.MaxSockets = 64
	}
	if c.LogSize <= 0 {
		c.LogSize = 10000
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 4096
	}
	if c.MaxData <= 0 {
		c.MaxData = 1 << 20
	}
	if c.MaxShown <= 0 {
		c.MaxShown = 64 << 10
	}
	if c.LogBytes <= 0 {
		c.LogBytes = 1 << 20
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 4 << 20
	}
	if c.Grace <= 0 {
		c.Grace = 10 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Manager maps session ids (the browser's cookie) to sessions and closes
// sessions that have had no page attached for the grace period.
type Manager struct {
	cfg      Config
	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool
}

// NewManager returns a Manager whose sessions use cfg.
func NewManager(cfg Config) *Manager {
	cfg.fill()
	return &Manager{cfg: cfg, sessions: map[string]*Session{}}
}

// Get returns the live session with id, or nil.
func (m *Manager) Get(id string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

// Create starts a new session with a fresh random id. It returns nil once the
// Manager is closed.
func (m *Manager) Create() *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	s := newSession(rand.Text(), m.cfg)
	m.sessions[s.ID] = s
	return s
}

// Len is the number of live sessions.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Reap closes every session that has had no page attached since before
// now minus the grace period.
func (m *Manager) Reap(now time.Time) {
	var idle []*Session
	m.mu.Lock()
	for id, s := range m.sessions {
		if since, detached := s.detachedSince(); detached && now.Sub(since) >= m.cfg.Grace {
			idle = append(idle, s)
			delete(m.sessions, id)
		}
	}
	m.mu.Unlock()
	for _, s := range idle {
		s.Close("no page attached for " + m.cfg.Grace.String())
	}
}

// Run reaps idle sessions until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(max(m.cfg.Grace/10, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Reap(m.cfg.Now())
		}
	}
}

// Close ends every session: each says bye to its pages and closes its sockets.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	all := m.sessions
	m.sessions = map[string]*Session{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() { s.Close("server shutting down") })
	}
	wg.Wait()
}
