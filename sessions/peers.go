package sessions

import (
	"fmt"
	"strconv"
	"sync"

	"sockplay/sockets"
	"sockplay/sockets/peers"
)

// KindPeer is a built-in peer's activity (see web/PROTOCOL.md).
const KindPeer = "peer"

// MaxPeers is how many built-in peers a session may run at once. Each also
// counts as one socket towards Config.MaxSockets.
const MaxPeers = 8

// PeerBody is one thing a built-in peer did.
type PeerBody struct {
	Peer   string            `json:"peer"`
	Name   string            `json:"name"`
	Event  string            `json:"event"`
	Addr   Addr              `json:"addr"`
	Data   *Data             `json:"data,omitempty"`
	Size   *int              `json:"size,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	Note   string            `json:"note,omitempty"`
}

// peerEntry is a running peer of the session.
type peerEntry struct {
	id       string
	host     string // the lab host it runs on ("" the session's own network; lab.go)
	peer     *peers.Peer
	log      *peerLog
	stopping bool // a kill is stopping it
}

// stop stops the peer and returns once its last event is logged. It must
// not run under the session lock.
func (pe *peerEntry) stop() {
	pe.peer.Stop()
	pe.log.close()
	<-pe.log.done
}

// peerQueue is how many events of one peer may wait to be logged; more are
// counted and dropped, never waited for.
const peerQueue = 1024

// peerLog carries a peer's events to the session log. A peer never waits
// for the session: its events are queued here, and a goroutine of the
// session (forward) logs them through withLock. (A peer that waited for the
// session lock could deadlock with a session operation waiting for that
// peer's bytes.)
type peerLog struct {
	mu      sync.Mutex
	queue   []peers.Event
	dropped int
	closed  bool
	wake    chan struct{} // has a value when there is something to take
	done    chan struct{} // closed when forward has logged everything
}

func newPeerLog() *peerLog {
	return &peerLog{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// add queues ev, or counts it as dropped when the queue is full.
func (l *peerLog) add(ev peers.Event) {
	l.mu.Lock()
	if len(l.queue) < peerQueue {
		l.queue = append(l.queue, ev)
	} else {
		l.dropped++
	}
	l.mu.Unlock()
	l.signal()
}

// close says no more events come; forward ends once it has logged the rest.
func (l *peerLog) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.signal()
}

func (l *peerLog) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// take returns the queued events, how many were dropped, and whether the
// log is closed.
func (l *peerLog) take() ([]peers.Event, int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs, dropped := l.queue, l.dropped
	l.queue, l.dropped = nil, 0
	return evs, dropped, l.closed
}

// forward logs a peer's events as peer messages until its log is closed
// and empty. It runs on its own goroutine, counted in s.ops.
func (s *Session) forward(l *peerLog, id, name string) {
	defer s.ops.Done()
	defer close(l.done)
	for range l.wake {
		evs, dropped, closed := l.take()
		if len(evs) > 0 || dropped > 0 {
			s.withLock(func() {
				if s.ending {
					return
				}
				if dropped > 0 {
					s.append(KindPeer, PeerBody{Peer: id, Name: name, Event: "error",
						Note: fmt.Sprintf("%d events of this peer were not logged: it was busier than the log could follow.", dropped)})
				}
				for _, ev := range evs {
					s.append(KindPeer, s.peerBody(id, name, ev))
				}
			})
		}
		if closed {
			if evs, dropped, _ := l.take(); len(evs) == 0 && dropped == 0 {
				return
			}
			l.signal()
		}
	}
}

func (s *Session) peerBody(id, name string, ev peers.Event) PeerBody {
	b := PeerBody{Peer: id, Name: name, Event: ev.What, Fields: ev.Fields, Note: ev.Note}
	if ev.Addr != nil {
		b.Addr = addrOf(*ev.Addr)
	}
	if ev.Data != nil || ev.Size > 0 {
		b.Data = NewData(ev.Data, s.encoding, s.cfg.MaxShown)
		b.Size = &ev.Size
	}
	return b
}

// PeerFields names a running peer: the result fields of spawn, and the
// entries of a snapshot's peers.
type PeerFields struct {
	Peer string `json:"peer"`
	Name string `json:"name"`
	Addr Addr   `json:"addr"`
}

func (s *Session) peerLimit(format string, args ...any) *sockets.Error {
	return &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf(format, args...),
		Hint: "Kill peers (or close sockets) you no longer need."}
}

// opSpawn starts a built-in peer (inside withLock). The peer's events come from
// its own goroutines; forward logs them.
func (s *Session) opSpawn(req *call) {
	if req.Peer == "" {
		s.result(req, "", nil, sockets.BadRequest("", "spawn needs peer, the name of a built-in peer: %v", peers.Names()))
		return
	}
	addr := sockets.Addr{Host: "127.0.0.1"}
	if req.Addr.Raw != nil {
		var err *sockets.Error
		if addr, err = req.Addr.Get(); err != nil {
			s.result(req, "", nil, err)
			return
		}
	}
	switch {
	case s.ending:
		s.result(req, "", nil, sockets.BadRequest("", "the session is closing"))
		return
	case len(s.peers) >= MaxPeers:
		s.result(req, "", nil, s.peerLimit("a session may run at most %d peers at a time", MaxPeers))
		return
	case s.openCount() >= s.cfg.MaxSockets:
		s.result(req, "", nil, s.peerLimit("a session may have at most %d open sockets, and each running peer counts as one", s.cfg.MaxSockets))
		return
	}
	place, err := s.placeOn(req.Host) // lab.go
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	id, name, log := "p"+strconv.Itoa(s.peerSeq+1), req.Peer, newPeerLog()
	p, err := peers.StartIn(s.ctx, name, addr, req.Options, place.policy, place.open, log.add)
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	s.peerSeq++
	if s.peers == nil {
		s.peers = map[string]*peerEntry{}
	}
	s.peers[id] = &peerEntry{id: id, host: place.host, peer: p, log: log}
	s.result(req, "", PeerFields{id, name, addrOf(p.Addr())}, nil)
	s.ops.Add(1)
	go s.forward(log, id, name)
}

// opKill stops a peer (inside withLock). Stopping waits for the peer's
// goroutines, which may be waiting for the session lock to log an event, so
// it runs on its own goroutine; the result is logged once the peer has
// stopped (its sockets are closed by then).
func (s *Session) opKill(req *call) {
	pe, ok := s.peers[req.Peer]
	switch {
	case s.ending:
		s.result(req, "", nil, sockets.BadRequest("", "the session is closing"))
		return
	case !ok:
		s.result(req, "", nil, sockets.BadRequest("", "no peer %q in this session", req.Peer))
		return
	case pe.stopping:
		s.result(req, "", nil, sockets.BadRequest("", "peer %s is already being stopped", req.Peer))
		return
	}
	pe.stopping = true
	s.stopPeersThen([]*peerEntry{pe}, func() {
		s.result(req, "", struct {
			Peer string `json:"peer"`
		}{pe.id}, nil)
	})
}

// stopPeers stops every peer of a closing session, outside the session
// lock (see peerEntry.stop).
func (s *Session) stopPeers() {
	var all []*peerEntry
	s.withLock(func() {
		for _, pe := range s.peers {
			all = append(all, pe)
		}
	})
	for _, pe := range all {
		pe.stop()
	}
}
