package sessions

import (
	"slices"
	"strings"
	"time"

	"sockplay/sockets"
)

// A page's connection to its session: Attach gives it a subscriber and the
// hello to send first; replay catches it up from the log (or a snapshot,
// once the log no longer reaches back); Detach lets it go, and the last one
// to go starts the session's grace period.

// replay queues for sub every logged message after seq after, or a snapshot
// if the log no longer reaches back that far. It reports how many messages
// were replayed and whether a snapshot was sent.
func (s *Session) replay(sub *Subscriber, after int64) (int, bool) {
	if after < 0 {
		after = 0
	}
	if sub.observer && after < 1 {
		after = 1 // its first hello names the session (AttachObserver)
	}
	n, bytes := 0, 0
	ok := s.log.since(after, s.lastSeq, func(m Message, size int) {
		if sub.observer {
			m = observerView(m) // room_observers.go
		}
		cost := replayOverhead + size
		sub.push(m, cost, true, 0)
		n++
		bytes += cost
	})
	if !ok {
		m := Message{Seq: s.lastSeq, Kind: KindSnapshot, Time: s.cfg.Now().UTC(), Body: s.snapshot()}
		cost := messageBytes(m)
		sub.push(m, cost, true, 0)
		sub.allow(1, cost)
		s.noteQueued(sub)
		return 0, true
	}
	sub.allow(n, bytes)
	if n > 0 {
		s.noteQueued(sub)
	}
	return n, false
}

// replayOverhead is what a replayed message costs in a queue besides its
// record's bytes (which the log's chunk holds): the Message (bytes).
const replayOverhead = 96

func (s *Session) snapshot() SnapshotBody {
	b := SnapshotBody{Sockets: []SocketBody{}, Pending: []WaitingBody{}, Peers: []PeerFields{}, Programs: s.programList(), Encoding: s.encoding, FirstSeq: s.firstSeq()}
	for _, pe := range s.peers {
		if !pe.stopping {
			b.Peers = append(b.Peers, PeerFields{Peer: pe.id, Name: pe.peer.Name(), Addr: addrOf(pe.peer.Addr())})
		}
	}
	slices.SortFunc(b.Peers, func(a, b PeerFields) int { return strings.Compare(a.Peer, b.Peer) })
	for _, h := range s.order {
		b.Sockets = append(b.Sockets, s.socketBody(s.socks[h]))
	}
	for _, p := range s.pending {
		b.Pending = append(b.Pending, WaitingBody{ID: p.id, Op: p.op, Sock: p.sock, Request: p.echo})
	}
	if s.lab != nil {
		f := s.lab.fields()
		b.Lab = &f
	}
	return b
}

func (s *Session) hello(resumed bool) HelloBody {
	return s.helloBody(resumed, s.lastSeq+boolInt(!resumed))
}

// helloBody is the hello with resumed and last_seq last.
func (s *Session) helloBody(resumed bool, last int64) HelloBody {
	p := s.cfg.Policy
	d := p.Describe()
	off := s.programsOff()
	return HelloBody{
		Programs: off == "", ProgramsNote: off,
		Session: s.ID, Protocol: Protocol, Resumed: resumed, LastSeq: last,
		Encoding: s.encoding, Network: s.network.name(),
		Policy: PolicyInfo{Profile: d.Profile, Bind: d.Bind, Connect: d.Connect, Wildcard: p.Wildcard},
		Limits: Limits{
			Sockets: s.cfg.MaxSockets, Log: s.cfg.LogSize, LogBytes: s.cfg.LogBytes,
			Bufsize: sockets.MaxBufsize, Data: s.cfg.MaxData, Shown: s.cfg.MaxShown, Batch: MaxBatch,
			Programs: MaxPrograms,
		},
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Attach adds a connection to the session. It returns the subscriber and the
// hello to send first. The subscriber receives nothing more until its first
// request (see Do). It returns nil if the session has ended.
func (s *Session) Attach() (*Subscriber, *Message) {
	var sub *Subscriber
	var hello Message
	ok := s.withLock(func() {
		sub = newSubscriber(s.cfg.QueueSize, s.cfg.QueueBytes)
		if s.lastSeq == 1 && len(s.subs) == 0 && s.next == 0 {
			// A brand-new session: its first connection gets the logged
			// hello (its body too, for whoever reads it in Go).
			s.log.since(0, 1, func(m Message, _ int) { hello = m })
			hello.Body = s.helloBody(false, 1)
		} else {
			hello = Message{Seq: s.lastSeq, Kind: KindHello, Time: s.cfg.Now().UTC(), Body: s.hello(true)}
		}
		sub.from = s.lastSeq
		s.subs[sub] = true
		s.attachMu.Lock()
		s.attached++
		s.attachMu.Unlock()
		s.roomTouch() // online (room_session.go)
	})
	if !ok {
		return nil, nil
	}
	return sub, &hello
}

// Detach removes a connection. Once no connection is left the grace period
// starts.
func (s *Session) Detach(sub *Subscriber) {
	s.withLock(func() {
		_, attached := s.subs[sub]
		s.drop(sub)
		if attached && sub.program != "" {
			s.endProgram(sub) // program.go
		}
	})
}

func (s *Session) drop(sub *Subscriber) {
	if _, ok := s.subs[sub]; !ok {
		return
	}
	delete(s.subs, sub)
	sub.close("detached")
	if sub.program != "" || sub.observer {
		return // a program or an observer never counted as attached (AttachProgram, AttachObserver)
	}
	s.roomTouch() // online (room_session.go)
	s.attachMu.Lock()
	s.attached--
	if s.attached == 0 {
		s.detachedAt = s.cfg.Now()
	}
	s.attachMu.Unlock()
}

func (s *Session) detachedSince() (time.Time, bool) {
	s.attachMu.Lock()
	defer s.attachMu.Unlock()
	return s.detachedAt, s.attached == 0
}
