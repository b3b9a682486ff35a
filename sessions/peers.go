package sessions

import (
	"fmt"
	"strconv"

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
	peer     *peers.Peer
	stopping bool // a kill is stopping it
}

// peerFields are the result fields of spawn.
type peerFields struct {
	Peer string `json:"peer"`
	Name string `json:"name"`
	Addr Addr   `json:"addr"`
}

func (s *Session) peerLimit(format string, args ...any) *sockets.Error {
	return &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf(format, args...),
		Hint: "Kill peers (or close sockets) you no longer need."}
}

// opSpawn starts a built-in peer (inside post). The peer's events come from
// its own goroutines and are logged through post.
func (s *Session) opSpawn(req Request) {
	if req.Peer == "" {
		s.result(req, "", nil, sockets.BadRequest("", "spawn needs peer, the name of a built-in peer: %v", peers.Names()))
		return
	}
	addr := sockets.Addr{Host: "127.0.0.1"}
	if len(req.Addr) > 0 {
		var err *sockets.Error
		if addr, err = parseAddr(req.Addr); err != nil {
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
	id := "p" + strconv.Itoa(s.peerSeq+1)
	name := req.Peer
	report := func(ev peers.Event) {
		s.post(func() {
			if s.ending {
				return
			}
			b := PeerBody{Peer: id, Name: name, Event: ev.What, Fields: ev.Fields, Note: ev.Note}
			if ev.Addr != nil {
				b.Addr = addrOf(*ev.Addr)
			}
			if ev.Data != nil || ev.Size > 0 {
				b.Data = NewData(ev.Data, s.encoding)
				b.Size = &ev.Size
			}
			s.append(KindPeer, b)
		})
	}
	p, err := peers.Start(s.ctx, name, addr, req.Options, s.cfg.Policy, report)
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	s.peerSeq++
	if s.peers == nil {
		s.peers = map[string]*peerEntry{}
	}
	s.peers[id] = &peerEntry{id: id, peer: p}
	s.result(req, "", peerFields{id, name, addrOf(p.Addr())}, nil)
}

// opKill stops a peer (inside post). Stopping waits for the peer's
// goroutines, which may be waiting for the session lock to log an event, so
// it runs on its own goroutine; the result is logged once the peer has
// stopped (its sockets are closed by then).
func (s *Session) opKill(req Request) {
	pe, ok := s.peers[req.Peer]
	switch {
	case !ok:
		s.result(req, "", nil, sockets.BadRequest("", "no peer %q in this session", req.Peer))
		return
	case pe.stopping:
		s.result(req, "", nil, sockets.BadRequest("", "peer %s is already being stopped", req.Peer))
		return
	}
	pe.stopping = true
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		pe.peer.Stop()
		var flushes []func()
		s.post(func() {
			delete(s.peers, pe.id)
			if s.ending {
				return
			}
			s.result(req, "", struct {
				Peer string `json:"peer"`
			}{pe.id}, nil)
			for sub := range s.subs {
				if sub.flush != nil {
					flushes = append(flushes, sub.flush)
				}
			}
		})
		for _, f := range flushes {
			f()
		}
	}()
}

// stopPeers stops every peer of a closing session, outside the session
// lock (their goroutines may be waiting for it).
func (s *Session) stopPeers() {
	var all []*peers.Peer
	s.call(func() {
		for _, pe := range s.peers {
			all = append(all, pe.peer)
		}
	})
	for _, p := range all {
		p.Stop()
	}
}
