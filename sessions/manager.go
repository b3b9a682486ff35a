package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"sockplay/sessions/programs"
	"sockplay/sockets"
	"sockplay/sockets/exercises"
	"sockplay/sockets/netns"
)

// Config holds the limits and settings every session of a Manager shares.
type Config struct {
	Policy     *sockets.Policy
	MaxSockets int              // open sockets per session (default 64)
	LogSize    int              // messages a session keeps for resume (default 10,000)
	QueueSize  int              // messages queued per connection before it is dropped (default 4,096)
	MaxData    int              // bytes in one request's data (default 1 MiB)
	MaxShown   int              // bytes of a chunk that messages carry; the rest is summed up (default 64 KiB)
	LogBytes   int              // bytes of messages a session keeps for resume, as the JSON of their records (default 1 MiB)
	QueueBytes int              // bytes of messages queued per connection before it is dropped, roughly (default 4 MiB)
	Grace      time.Duration    // how long a session with no page attached lives on (default 10m)
	StatEvery  time.Duration    // how often the sockets a page shows, or an op touched, are polled for stat messages (0: never)
	DeferWait  time.Duration    // how long a datagram receive its step left waiting goes without a goroutine, for the next step's sendto to feed it (default 1 ms; wait.go)
	Now        func() time.Time // the clock (default time.Now)

	// Private, if set, gives each session a private network (--network
	// private): a namespace it makes when the session makes its first
	// socket, in which every socket, peer and check of the session lives,
	// closed when the session ends. The Policy is then made private
	// (sockets.Policy.Private, with the wildcard). Nil: sessions use this
	// machine's network (the host profile).
	Private func() (Namespace, error)
	// Labs, if set, makes the first host of a lab LAN (op lab, lab.go) for
	// a session on this machine's network, whose own sockets stay there;
	// the lab's other hosts are made with it (netns.NewLab). A private
	// session's lab has the session's namespace as its first host and does
	// not need it. Nil: only private sessions can build labs.
	Labs func() (*netns.Namespace, error)
	// CapturePackets and CaptureBytes bound what a session's captures keep
	// together, across all its namespaces (default netns.MaxPackets and
	// netns.MaxBytes: 10,000 packets, 16 MiB).
	CapturePackets, CaptureBytes int

	// Programs, if set, runs learners' programs in sandboxes (op run,
	// ops_program.go). Nil, or a Runner whose Available fails: run is
	// refused with a sentence, and hello says programs: false.
	Programs *programs.Runner
	// Channel, if set, serves a running program's channel: it is called
	// on its own goroutine with the server's end of a socketpair whose
	// other end is the program's file descriptor 3 (SOCKPLAY_FD=3), and
	// returns once the program's end is closed; f is closed then. Close
	// waits for it. Nil: programs have no channel (no fd 3).
	Channel func(s *Session, f *os.File, program string)

	// MaxSessions is how many sessions may live at once (default 2,000).
	MaxSessions int
	// MaxPerClient is how many sessions one client (CreateFor's client) may
	// have at once (default 16). Sessions created for client "" are not
	// counted per client.
	MaxPerClient int

	// OnCheck, if set, is called once for every exercise check that reached
	// its verdict, passed or failed (not for one that was cancelled, nor one
	// cut short by its session's end), just before its result is logged, so
	// a page that sees the result finds the attempt recorded. learner is
	// the session's Learner (set by the web side from its learner cookie),
	// "" when no page gave one. It runs on the check's goroutine, outside
	// the session lock; the result waits for it, and so does Session.Close.
	OnCheck func(learner string, v exercises.Verdict)

	// OnOp, if set, is called once for every finished request, as its
	// result is logged (stats.go). It runs under the session lock: it must
	// be quick and must not call into the session.
	OnOp OpObserver
	// Log receives a line when a session starts and when it ends, with its
	// totals (default: discarded).
	Log *slog.Logger

	// AttachServer is the server's URL as a learner's own machine reaches
	// it, named in the command op attach answers (--server URL; "": the
	// command leaves --server out, and sockplay run uses its default).
	AttachServer string

	// RoomNetwork, if set, makes the class LANs of rooms (room.go): on a
	// private server, each member's namespace is also a host of its
	// room's LAN. Nil (a host server): rooms have no LAN.
	RoomNetwork RoomNetwork
	// RoomIdle is how long a room lives with no member online (default 2h).
	RoomIdle time.Duration
	// MaxRooms is how many rooms may live at once (default 500).
	MaxRooms int

	counts *counters     // the Manager's totals, shared by its sessions (stats.go)
	rooms  *roomRegistry // the Manager's rooms (room.go)
	codes  *attachCodes  // the attach codes of its sessions (attach.go)
	poller *poller       // the Manager's stat poller, shared by its sessions (poll.go)
}

func (c *Config) fill() {
	if c.Policy == nil {
		c.Policy = &sockets.Policy{}
	}
	if c.Private != nil {
		c.Policy = privatePolicy(c.Policy)
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
	if c.DeferWait <= 0 {
		c.DeferWait = defaultDeferWait
	}
	if c.Grace <= 0 {
		c.Grace = 10 * time.Minute
	}
	if c.CapturePackets <= 0 {
		c.CapturePackets = netns.MaxPackets
	}
	if c.CaptureBytes <= 0 {
		c.CaptureBytes = netns.MaxBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 2000
	}
	if c.MaxPerClient <= 0 {
		c.MaxPerClient = 16
	}
	if c.RoomIdle <= 0 {
		c.RoomIdle = 2 * time.Hour
	}
	if c.MaxRooms <= 0 {
		c.MaxRooms = 500
	}
}

// Manager maps session ids (the browser's cookie) to sessions and closes
// sessions that have had no page attached for the grace period.
type Manager struct {
	cfg       Config
	mu        sync.Mutex
	sessions  map[string]*Session
	clientOf  map[string]string // session id → its client, for those counted per client
	perClient map[string]int    // client → its live sessions
	closed    bool
}

// NewManager returns a Manager whose sessions use cfg.
func NewManager(cfg Config) *Manager {
	cfg.fill()
	cfg.counts = &counters{}
	cfg.codes = newAttachCodes()
	cfg.poller = newPoller(cfg.StatEvery)
	cfg.rooms = newRoomRegistry(cfg)
	return &Manager{cfg: cfg, sessions: map[string]*Session{}, clientOf: map[string]string{}, perClient: map[string]int{}}
}

// The reasons Admit and CreateFor refuse a new session. Each is wrapped in
// an error whose text is a sentence for the learner.
var (
	ErrClosed     = errors.New("the server is shutting down")
	ErrFull       = errors.New("the server is full")
	ErrClientFull = errors.New("too many sessions from one address")
)

// Admit reports whether a new session for client would be created now: nil,
// or an error wrapping ErrClosed, ErrFull or ErrClientFull.
func (m *Manager) Admit(client string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.admit(client)
}

func (m *Manager) admit(client string) error {
	switch {
	case m.closed:
		return fmt.Errorf("%w; try again in a minute", ErrClosed)
	case len(m.sessions) >= m.cfg.MaxSessions:
		return fmt.Errorf("%w, try again in a minute (it has %d sessions, the most it takes)", ErrFull, m.cfg.MaxSessions)
	case client != "" && m.perClient[client] >= m.cfg.MaxPerClient:
		return fmt.Errorf("%w: %s already has %d sessions, the most allowed (a session lives on %v after its page closes); try again in a minute",
			ErrClientFull, client, m.cfg.MaxPerClient, m.cfg.Grace)
	}
	return nil
}

// CreateFor starts a new session for client (the address it comes from; ""
// is not counted per client), unless a limit says no (see Admit).
func (m *Manager) CreateFor(client string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.admit(client); err != nil {
		return nil, err
	}
	s := newSession(rand.Text(), m.cfg)
	m.sessions[s.ID] = s
	m.cfg.counts.started.Add(1)
	m.cfg.Log.Info("session start", "session", s.LogName())
	if client != "" {
		m.clientOf[s.ID] = client
		m.perClient[client]++
	}
	return s, nil
}

// forget removes session id from the per-client counts (with m.mu held).
func (m *Manager) forget(id string) {
	client, ok := m.clientOf[id]
	if !ok {
		return
	}
	delete(m.clientOf, id)
	if m.perClient[client]--; m.perClient[client] <= 0 {
		delete(m.perClient, client)
	}
}

// Get returns the live session with id, or nil.
func (m *Manager) Get(id string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

// Create starts a new session with a fresh random id, counted for no
// client. It returns nil once the Manager is closed or full.
func (m *Manager) Create() *Session {
	s, _ := m.CreateFor("")
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
			m.forget(id)
		}
	}
	m.mu.Unlock()
	for _, s := range idle {
		reason := "no page attached for " + m.cfg.Grace.String()
		s.Close(reason)
		s.logEnd(m.cfg.Log, reason)
	}
	m.cfg.rooms.reap(now) // rooms with no member online for RoomIdle end (room.go)
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
	m.cfg.rooms.closeAll()
	m.mu.Lock()
	m.closed = true
	all := m.sessions
	m.sessions = map[string]*Session{}
	m.clientOf, m.perClient = map[string]string{}, map[string]int{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() {
			s.Close("server shutting down")
			s.logEnd(m.cfg.Log, "server shutting down")
		})
	}
	wg.Wait()
}
