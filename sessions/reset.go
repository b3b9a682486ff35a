package sessions

import (
	"slices"
	"strconv"
	"strings"

	"sockplay/sockets"
)

// ResetFields are the result fields of reset: the handles of the sockets
// it closed and the ids of the peers it stopped, in the order they were
// made.
type ResetFields struct {
	Sockets []string `json:"sockets"`
	Peers   []string `json:"peers"`
}

// opReset closes every open socket a page made and stops every peer, as
// close and kill each would (a call waiting on one of those sockets ends
// with EBADF, as after close). The log and the session stay. Sockets a running program made stay open:
// they are the program's.
func (s *Session) opReset(req *call) {
	if s.ending {
		s.result(req, "", nil, sockets.BadRequest("", "the session is closing"))
		return
	}
	s.resetAll(func(f ResetFields) { s.result(req, "", f, nil) })
}

// resetAll is what reset does (inside withLock): then gets what it closed
// and stopped, inside withLock too, once the peers have stopped (not if
// the session is ending by then).
func (s *Session) resetAll(then func(ResetFields)) {
	f := ResetFields{Sockets: []string{}, Peers: []string{}}
	for _, h := range s.order {
		if e := s.socks[h]; e.program == "" && !e.closed {
			f.Sockets = append(f.Sockets, h)
		}
	}
	for _, h := range f.Sockets {
		e := s.socks[h]
		e.sock.Close()
		e.closed = true
		s.refresh(e)
	}
	var stopping []*peerEntry
	for _, pe := range s.peers {
		if !pe.stopping {
			pe.stopping = true
			stopping = append(stopping, pe)
		}
	}
	slices.SortFunc(stopping, func(a, b *peerEntry) int { return peerNumber(a.id) - peerNumber(b.id) })
	for _, pe := range stopping {
		f.Peers = append(f.Peers, pe.id)
	}
	s.stopPeersThen(stopping, func() { then(f) })
}

// peerNumber is the number in a peer id ("p12" → 12).
func peerNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "p"))
	return n
}

// stopPeersThen stops the peers on a goroutine of its own (a peer's stop
// waits for its last events, which need the session lock), removes them
// from the session and then runs then inside withLock, unless the session
// is ending by then. Without peers, then runs at once.
func (s *Session) stopPeersThen(pes []*peerEntry, then func()) {
	if len(pes) == 0 {
		then()
		return
	}
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		for _, pe := range pes {
			pe.stop()
		}
		s.withLock(func() {
			for _, pe := range pes {
				delete(s.peers, pe.id)
			}
			if !s.ending {
				then()
			}
		})
	}()
}
