package sessions

import (
	"slices"
	"strconv"
	"time"

	"sockplay/sessions/protocol"
)

// A session's side of its room: what the roster shows of it, the hooks
// where the session reports changes, and what the room's goroutine does
// to it (each through withLock, taking this session's lock alone).

// roomSeen is a session's room and what it did while in it (guarded by
// the session's mutex). The zero value: in no room.
type roomSeen struct {
	room       *Room
	member     string
	instructor bool
	passed     []string          // exercises and cells passed in the room, in the order first passed
	checks     map[string]string // exercise → "running", "pass" or "fail"
	lastError  string            // the last failed op's or cell's error, as a sentence
	sameErrors int               // how many failures in a row ended with lastError
	progress   time.Time         // when it last got anywhere (joined, moved, passed)
}

// stuckAfter is how long a member online may go without progress before
// the roster marks it stuck.
const stuckAfter = 10 * time.Minute

// SetRoomIdentity gives a connection what rooms need of it: the
// instructor key its browser holds ("" none: see op room_join) and the
// address it comes from (for the join rate limit). Call it before the
// connection's first request.
func (sub *Subscriber) SetRoomIdentity(key, client string) {
	sub.roomKey, sub.client = key, client
}

// roomTouch tells the session's room that what its roster shows changed
// (inside withLock). It never waits.
func (s *Session) roomTouch() {
	if r := s.room.room; r != nil {
		r.touch()
	}
}

// roomLogged is the hook in appendTo: a message the session logs that
// the roster shows (inside withLock).
func (s *Session) roomLogged(kind string, body any) {
	switch kind {
	case KindSocket:
	case KindResult:
		b, ok := body.(ResultBody)
		if !ok || len(b.Op) > 5 && b.Op[:5] == "room_" {
			return
		}
		if f, ok := b.Fields.(checkFields); ok && b.Op == "check" {
			s.roomVerdict(f.Exercise, f.Pass)
		} else if b.Op == "check" && b.Error != nil {
			s.roomFailedCheck(b)
		}
		if b.Error != nil {
			s.roomError(errorSentence(b.Error))
		}
	case KindCellDone:
		b, ok := body.(CellBody)
		if !ok || b.OK == nil {
			return
		}
		if *b.OK {
			s.roomPassed(b.Cell)
		} else {
			s.roomError(b.Error)
		}
	default:
		return
	}
	s.roomTouch()
}

// roomFailedCheck marks a check that failed before any verdict (its
// arguments, the session's limits) as failed, when the request names an
// exercise the room is running.
func (s *Session) roomFailedCheck(b ResultBody) {
	members, _ := protocol.Object(b.Request)
	for _, m := range members {
		if x, ok := protocol.String(m.Value); ok && m.Key == "exercise" && s.room.checks[x] == "running" {
			s.room.checks[x] = "fail"
		}
	}
}

func errorSentence(e *ErrorBody) string {
	if e.Exception != "" {
		return e.Exception + ": " + e.Message
	}
	return e.Message
}

func (s *Session) roomError(text string) {
	if text == "" {
		return
	}
	if text == s.room.lastError {
		s.room.sameErrors++
	} else {
		s.room.lastError, s.room.sameErrors = text, 1
	}
}

func (s *Session) roomVerdict(exercise string, pass bool) {
	if exercise == "" {
		return
	}
	if s.room.checks == nil {
		s.room.checks = map[string]string{}
	}
	if pass {
		s.room.checks[exercise] = "pass"
		s.roomPassed(exercise)
	} else {
		s.room.checks[exercise] = "fail"
	}
}

func (s *Session) roomPassed(id string) {
	if id == "" {
		return
	}
	if !slices.Contains(s.room.passed, id) {
		s.room.passed = append(s.room.passed, id)
	}
	s.room.progress = s.cfg.Now()
	s.room.sameErrors = 0
}

// roomProgress records that the member moved on (from the room's goroutine).
func (s *Session) roomProgress() {
	s.withLock(func() { s.room.progress = s.cfg.Now() })
}

// roomMessage logs a message the room sends the session (from the
// room's goroutine).
func (s *Session) roomMessage(kind string, body any) {
	s.withLock(func() { s.append(kind, body) })
}

// rosterEntry fills what the roster shows of the session into e; false
// if the session has ended.
func (s *Session) rosterEntry(e *RosterMember, now time.Time) bool {
	_, detached := s.detachedSince()
	e.Online = !detached
	return s.withLock(func() {
		e.Sockets = s.openCount()
		e.Passed = slices.Clone(s.room.passed)
		if e.Passed == nil {
			e.Passed = []string{}
		}
		e.Checks = make(map[string]string, len(s.room.checks))
		for k, v := range s.room.checks {
			e.Checks[k] = v
		}
		e.LastError = s.room.lastError
		switch {
		case s.room.sameErrors >= 2:
			e.Stuck = "same error twice"
		case e.Online && !s.room.progress.IsZero() && now.Sub(s.room.progress) >= stuckAfter:
			e.Stuck = "no progress for " + strconv.Itoa(int(stuckAfter/time.Minute)) + " min"
		}
	})
}

// roomReset closes the session's sockets and peers, as op reset does, and
// tells its pages who did it (from the room's goroutine).
func (s *Session) roomReset(by string) {
	s.withLock(func() {
		if s.ending {
			return
		}
		s.resetAll(func(f ResetFields) {
			s.append(KindNote, NoteBody{From: by, Text: "Your instructor (" + by + ") reset your sockets: " +
				strconv.Itoa(len(f.Sockets)) + " closed, " + strconv.Itoa(len(f.Peers)) + " peers stopped."})
		})
	})
}

// roomRun makes reqs in the session as requests of its own (negative ids,
// as a program's), after a note saying who asked (from the room's
// goroutine).
func (s *Session) roomRun(reqs []Request, note, by string) {
	s.withLock(func() {
		s.append(KindNote, NoteBody{Text: note, From: by})
		for _, req := range reqs {
			s.handle(s.ownRequest(req))
		}
	})
}

// roomCheck runs req (a room_check) as op check in the session (from the
// room's goroutine).
func (s *Session) roomCheck(req Request, note, by string) {
	s.withLock(func() {
		s.append(KindNote, NoteBody{Text: note, From: by})
		if s.room.checks == nil {
			s.room.checks = map[string]string{}
		}
		s.room.checks[req.Exercise] = "running"
		req.Op = "check"
		req.Echo = protocol.Raw(append(AppendJSONString([]byte(`{"op":"check","exercise":`), req.Exercise), '}'))
		s.handle(s.ownRequest(req))
	})
}

// ownRequest gives req a session id of its own (negative, from the
// programs' range, so it meets no page's id) and no connection.
func (s *Session) ownRequest(req Request) *call {
	s.programReqSeq++
	req.ID = protocol.Raw(strconv.FormatInt(-s.programReqSeq, 10))
	return &call{Request: &req, Start: time.Now()}
}

// roomClosed is called as the session ends, holding no lock: its room
// lets go of it, and of its LAN link before its namespace is closed. It
// waits for that (the room's goroutine takes no lock the caller holds).
func (s *Session) roomClosed() {
	s.mu.Lock()
	r := s.room.room
	s.mu.Unlock()
	if r == nil {
		return
	}
	left := make(chan struct{})
	if r.enqueue(func() { r.leave(s, nil); close(left) }) {
		<-left // run even if the room ends first (Room.drain)
	}
}
