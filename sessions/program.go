package sessions

import (
	"bytes"
	"sockplay/sessions/protocol"
	"strconv"
)

// A program front end (a Python program's channel, web/channel.go) attaches
// to a session as a subscriber of its own kind: it receives only what
// answers its own requests (their results and waiting notices), it does not
// count as a page for the grace period, and the sockets its requests make
// carry the program's name ("program":"p1" on their socket and result
// bodies). Its requests are logged and shown to pages like a page's.
//
// Its request ids are its own: the session maps each to a negative id of
// its own (-1, -2, … per session), so they never meet a page's ids (which
// are positive: a page's negative id is refused), and maps them back in
// the messages the program receives. A page sees the mapped id in the
// result and the program's own in its `request` echo.

// programIDs maps a program's request ids to the session's, while they
// are outstanding. Guarded by the session's mutex.
type programIDs struct {
	toSession map[string]int64 // the program's id (as sent, trimmed) → the session's
	toProgram map[int64]protocol.Raw
}

// AttachProgram adds a program front end named program ("p1") to the
// session and returns its subscriber, which is live at once: its queue
// holds the session's hello (as a page gets it on a connection to an
// existing session), and then only what answers its own requests; there is
// no replay. It returns nil if the session has ended. Detach removes it.
func (s *Session) AttachProgram(program string) *Subscriber {
	var sub *Subscriber
	ok := s.withLock(func() {
		sub = newSubscriber(s.cfg.QueueSize, s.cfg.QueueBytes)
		sub.program = program
		sub.active, sub.hidden = true, true // it shows nothing: no stat polls for it
		sub.ids = &programIDs{toSession: map[string]int64{}, toProgram: map[int64]protocol.Raw{}}
		sub.from = s.lastSeq
		hello := Message{Seq: s.lastSeq, Kind: KindHello, Time: s.cfg.Now().UTC(), Body: s.hello(true)}
		sub.push(hello, messageBytes(hello), true, 0)
		s.noteQueued(sub)
		s.subs[sub] = true
	})
	if !ok {
		return nil
	}
	return sub
}

// endProgram is what a program's end does to the session (inside
// withLock), as a process's exit does to its sockets in the kernel: the
// calls it still waits in are cancelled, and the sockets it made that are
// still open are closed (a socket it used by handle, made by a page, stays).
func (s *Session) endProgram(sub *Subscriber) {
	for id := range sub.ids.toProgram {
		if p := s.pending[strconv.FormatInt(id, 10)]; p != nil {
			p.cancel()
		}
	}
	for _, h := range s.order {
		if e := s.socks[h]; e.program == sub.program && !e.closed {
			e.sock.Close()
			e.closed = true
			s.refresh(e)
		}
	}
}

// Program is the name AttachProgram gave the subscriber ("" for a page).
func (sub *Subscriber) Program() string { return sub.program }

// wants reports whether sub gets a message that answers to's request:
// a page gets every message, a program only those of its own requests.
func (sub *Subscriber) wants(to *Subscriber) bool {
	return sub.program == "" || sub == to
}

// programOf is the program a request came from ("" from a page).
func programOf(req *call) string {
	if req.from == nil {
		return ""
	}
	return req.from.program
}

// mapRequest gives a program's request the session's id (and a cancel's
// target too); a page's request is left as it is. An id that is not an
// integer is left for handle to refuse; an id still outstanding maps to
// the same session id, so its reuse is refused as a page's would be.
func (s *Session) mapRequest(sub *Subscriber, r *call) {
	if sub.ids == nil {
		return
	}
	if id, ok := sub.ids.mapID(s, r.ID); ok {
		r.ID = id
	}
	if r.Op == "cancel" {
		if t, ok := sub.ids.toSession[string(bytes.TrimSpace(r.Target))]; ok {
			r.OwnArgs().Target = protocol.Raw(strconv.FormatInt(t, 10))
		}
	}
}

func (p *programIDs) mapID(s *Session, id protocol.Raw) (protocol.Raw, bool) {
	key := string(bytes.TrimSpace(id))
	if _, err := strconv.ParseInt(key, 10, 64); err != nil {
		return nil, false
	}
	n, ok := p.toSession[key]
	if !ok {
		s.programReqSeq++
		n = -s.programReqSeq
		p.toSession[key] = n
		p.toProgram[n] = protocol.Raw(key)
	}
	return protocol.Raw(strconv.FormatInt(n, 10)), true
}

// programBody returns the body the program sub gets for a message of its
// request: body with the program's own id. A result ends its request
// (unless it refused a reuse of an id still waiting): the mapping goes.
func (s *Session) programBody(sub *Subscriber, kind string, body any) any {
	switch b := body.(type) {
	case ResultBody:
		b.ID = s.unmapID(sub.ids, b.ID, kind == KindResult)
		return b
	case WaitingBody:
		b.ID = s.unmapID(sub.ids, b.ID, false)
		return b
	}
	return body
}

func (s *Session) unmapID(p *programIDs, id protocol.Raw, done bool) protocol.Raw {
	key := string(bytes.TrimSpace(id))
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return id
	}
	orig, ok := p.toProgram[n]
	if !ok {
		return id
	}
	if done && s.pending[key] == nil {
		delete(p.toProgram, n)
		delete(p.toSession, string(orig))
	}
	return orig
}
