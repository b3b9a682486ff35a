package sessions

import (
	"bytes"

	"sockplay/sessions/protocol"
)

// Observers: an instructor's read-only connection to a student's session
// (op room_observe), and what it may see and do.

// AttachObserver adds a read-only connection to the session, for an
// instructor observing a student (op room_observe): it gets what a page
// gets, but its every op except resume and watch is forbidden, it does not
// keep the session alive, and its hello does not name the session (whose
// id is the student's cookie). The replay it asks for leaves out the
// first hello for the same reason. It returns nil if the session has ended.
func (s *Session) AttachObserver() (*Subscriber, *Message) {
	var sub *Subscriber
	var hello Message
	ok := s.withLock(func() {
		sub = newSubscriber(s.cfg.QueueSize, s.cfg.QueueBytes)
		sub.observer = true
		sub.from = s.lastSeq
		h := s.hello(true)
		h.Session = ""
		hello = Message{Seq: s.lastSeq, Kind: KindHello, Time: s.cfg.Now().UTC(), Body: h}
		s.subs[sub] = true
	})
	if !ok {
		return nil, nil
	}
	return sub, &hello
}

// observerView is m as an observer gets it: without the session's attach
// code (the results of attach and attach_revoke), which would let a
// program of the observer's drive the student's session.
func observerView(m Message) Message {
	if m.Kind != KindResult {
		return m
	}
	if b, ok := m.Body.(ResultBody); ok {
		if b.Op == "attach" || b.Op == "attach_revoke" {
			b.Fields = nil
			m.Body, m.fields = b, nil
		}
		return m
	}
	// A replayed message: its members alone, as the log holds them.
	if len(m.fields) < 2 || !bytes.Contains(m.fields, []byte(`"op":"attach`)) {
		return m
	}
	f, ok := protocol.Object(append(append([]byte{'{'}, m.fields[1:]...), '}'))
	if !ok {
		return m
	}
	attach := false
	for _, x := range f {
		if op, _ := protocol.String(x.Value); x.Key == "op" && (op == "attach" || op == "attach_revoke") {
			attach = true
		}
	}
	if !attach {
		return m
	}
	var kept []byte
	for _, x := range f {
		if x.Key == "code" || x.Key == "command" {
			continue
		}
		kept = append(AppendJSONString(append(kept, ','), x.Key), ':')
		kept = append(kept, x.Value...)
	}
	m.fields = kept
	return m
}

// observerMay are the ops an observer may make.
var observerMay = map[string]bool{"resume": true, "watch": true}

// endObservers closes every observer's connection (its student left the
// room, or the room ended).
func (s *Session) endObservers() {
	s.withLock(func() {
		for sub := range s.subs {
			if sub.observer {
				s.drop(sub)
			}
		}
	})
}
