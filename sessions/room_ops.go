package sessions

import (
	"fmt"
	"strings"
	"unicode"

	"sockplay/sockets"
)

// The room ops. Each runs in two halves: the session's (inside withLock:
// arguments checked, the room found), then the room's (on its goroutine,
// with no lock held: permissions, membership, what reaches other members),
// which logs the result in the session. See the package's notes in room.go.

// maxShownCode is the most bytes of code or output room_show and room_push carry.
const maxShownCode = 64 << 10

// roomWork is the room's half of an op, run on r's goroutine for session
// s's request req.
type roomWork func(r *Room, s *Session, req *call)

// toRoom hands req to room r's goroutine, to run f there; when r cannot
// take it, the result says why.
func (s *Session) toRoom(r *Room, req *call, f roomWork) {
	rq := *req
	ok := r.enqueue(func() {
		if r.over {
			r.answer(s, &rq, nil, errRoomEnded())
			return
		}
		f(r, s, &rq)
	})
	if !ok {
		s.result(req, "", nil, roomBusyOrEnded(r))
	}
}

func roomBusyOrEnded(r *Room) *sockets.Error {
	if r.isEnded() {
		return errRoomEnded()
	}
	return &sockets.Error{Kind: sockets.KindLimit, Message: "the room is busy: too many requests wait for it", Hint: "Try again in a moment."}
}

// inRoom hands req to the session's room, or answers that it is in none.
func (s *Session) inRoom(req *call, f roomWork) {
	r := s.room.room
	if r == nil {
		s.result(req, "", nil, &sockets.Error{Kind: KindNotFound, Message: "this session is in no room", Hint: "Join one first: room_join with the room's code and your name."})
		return
	}
	s.toRoom(r, req, f)
}

// answer logs req's result in s (from the room's goroutine).
func (r *Room) answer(s *Session, req *call, fields any, e *sockets.Error) {
	s.withLock(func() { s.result(req, "", fields, e) })
}

// opRoomJoin: room_join {room, name}.
func (s *Session) opRoomJoin(req *call) {
	code := NormalizeRoomCode(req.Room)
	name, err := checkName(req.Name)
	if err == nil && code == "" {
		err = sockets.BadRequest("", "room must be a room's code: %d letters and digits such as %q (from the join link or the projector)", RoomCodeLen, "K7QM2XPA")
		if strings.TrimSpace(req.Room) == "" {
			err = sockets.BadRequest("", "room_join needs room, the room's code (from the join link or the projector)")
		}
	}
	again := code != "" && s.room.room != nil && s.room.room.code == code
	if !again { // a rejoin is free: every page of a room's browser sends one
		if e := s.allowJoin(req); e != nil {
			s.result(req, "", nil, e)
			return
		}
	}
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	r := s.cfg.rooms.lookup(code)
	if r == nil {
		s.result(req, "", nil, &sockets.Error{Kind: KindNotFound, Message: fmt.Sprintf("no room %s on this server", code),
			Hint: "Check the code with your instructor; a room ends when its instructor ends it or when it has been empty a long while."})
		return
	}
	var key string
	if req.from != nil {
		key = req.from.roomKey
	}
	join := func(r *Room, s *Session, req *call) { r.join(s, req, key, name) }
	if old := s.room.room; old != nil && old != r {
		// The old room lets go of the session (and its LAN link) first,
		// then hands the join on to the new one.
		rq := *req
		if old.enqueue(func() {
			old.leave(s, nil)
			s.withLock(func() { s.toRoom(r, &rq, join) })
		}) {
			return
		}
	}
	s.toRoom(r, req, join)
}

// allowJoin takes a token of the connection's join budget.
func (s *Session) allowJoin(req *call) *sockets.Error {
	allow := s.cfg.rooms.getHooks().AllowJoin
	if allow == nil {
		return nil
	}
	client := ""
	if req.from != nil {
		client = req.from.client
	}
	if ok, wait := allow(client); !ok {
		return &sockets.Error{Kind: sockets.KindLimit, Message: "too many room joins from this address",
			Hint: fmt.Sprintf("Wait %v, then check the room's code and try again.", wait.Round(100e6))}
	}
	return nil
}

// checkName returns a display name trimmed, or why it cannot be one. ""
// is let through: an instructor may leave it out.
func checkName(name string) (string, *sockets.Error) {
	name = strings.Join(strings.Fields(name), " ")
	if n := len([]rune(name)); n > MaxRoomName {
		return "", sockets.BadRequest("", "name may have at most %d characters, not %d", MaxRoomName, n)
	}
	for _, c := range name {
		if !unicode.IsPrint(c) {
			return "", sockets.BadRequest("", "name may not hold control characters (%U)", c)
		}
	}
	return name, nil
}

// opRoomLeave: room_leave {}.
func (s *Session) opRoomLeave(req *call) {
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.leave(s, req) })
}

// opRoomAt: room_at {page, lesson, step}.
func (s *Session) opRoomAt(req *call) {
	p, err := placeOf(req, false)
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.moved(s, req, p) })
}

// opRoomFollow: room_follow {flag}.
func (s *Session) opRoomFollow(req *call) {
	if req.Flag == nil {
		s.result(req, "", nil, sockets.BadRequest("", "room_follow needs flag: false to stop following the instructor, true to follow again"))
		return
	}
	flag := *req.Flag
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.follow(s, req, flag) })
}

// opRoomDrive: room_drive {page, lesson, step, flag} (instructor).
func (s *Session) opRoomDrive(req *call) {
	p, err := placeOf(req, true)
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	if p.Page == "" && req.Flag == nil {
		s.result(req, "", nil, sockets.BadRequest("", "room_drive needs page (where followers go) or flag (whether room_at drives them)"))
		return
	}
	flag := req.Flag
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.driveTo(s, req, p, flag) })
}

// placeOf reads page, lesson and step. A page is a path on this server.
func placeOf(req *call, optional bool) (Place, *sockets.Error) {
	p := Place{Page: req.Page, Lesson: req.Lesson, Step: req.Step}
	switch {
	case p.Page == "" && !optional:
		return p, sockets.BadRequest("", "%s needs page, the path of the page (such as \"/lessons/udp-echo-server\")", req.Op)
	case p.Page != "" && (!strings.HasPrefix(p.Page, "/") || strings.HasPrefix(p.Page, "//") || len(p.Page) > 300):
		return p, sockets.BadRequest("", "page must be a path on this server, starting with one \"/\" (at most 300 bytes), not %q", truncateText(p.Page, 60))
	case len(p.Lesson) > 100 || len(p.Step) > 100:
		return p, sockets.BadRequest("", "lesson and step may have at most 100 bytes")
	}
	return p, nil
}

// opRoomShow: room_show {cell, code, output, ok} (instructor).
func (s *Session) opRoomShow(req *call) {
	b := RoomShowBody{Cell: req.Cell, Output: req.Output, OK: req.OK}
	if req.Code != nil {
		b.Code = *req.Code
	}
	if len(b.Code) > maxShownCode || len(b.Output) > maxShownCode || len(b.Cell) > 100 {
		s.result(req, "", nil, sockets.BadRequest("", "room_show's code and output may have at most %d bytes each, its cell 100", maxShownCode))
		return
	}
	s.inRoom(req, func(r *Room, s *Session, req *call) {
		r.toFollowers(s, req, "show the room a cell", func(by string) (string, any) {
			b.Room, b.From = r.code, by
			return KindRoomShow, b
		})
	})
}

// opRoomPush: room_push {cell, code} (instructor).
func (s *Session) opRoomPush(req *call) {
	if req.Code == nil || *req.Code == "" || len(*req.Code) > maxShownCode || len(req.Cell) > 100 {
		s.result(req, "", nil, sockets.BadRequest("", "room_push needs code, the cell's Python (at most %d bytes), and may name its cell (at most 100 bytes)", maxShownCode))
		return
	}
	b := RoomPushBody{Cell: req.Cell, Code: *req.Code}
	s.inRoom(req, func(r *Room, s *Session, req *call) {
		r.toFollowers(s, req, "push a cell to the room", func(by string) (string, any) {
			b.Room, b.From = r.code, by
			return KindRoomPush, b
		})
	})
}

// opRoomHint: room_hint {member, text} (instructor).
func (s *Session) opRoomHint(req *call) {
	text := ""
	if req.Text != nil {
		text = strings.Join(strings.Fields(*req.Text), " ")
	}
	switch n := len([]rune(text)); {
	case req.Member == "":
		s.result(req, "", nil, sockets.BadRequest("", "room_hint needs member, the student's id in the roster (\"m2\")"))
		return
	case n == 0 || n > MaxHint:
		s.result(req, "", nil, sockets.BadRequest("", "room_hint needs text, one line of at most %d characters (this has %d)", MaxHint, n))
		return
	}
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.hint(s, req, text) })
}

// opRoomObserve: room_observe {member} (instructor).
func (s *Session) opRoomObserve(req *call) {
	if req.Member == "" {
		s.result(req, "", nil, sockets.BadRequest("", "room_observe needs member, the student's id in the roster (\"m2\")"))
		return
	}
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.observe(s, req) })
}

// opRoomReset: room_reset {member?} (instructor).
func (s *Session) opRoomReset(req *call) {
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.reset(s, req) })
}

// opRoomPeers: room_peers {lesson?} (instructor).
func (s *Session) opRoomPeers(req *call) {
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.peers(s, req) })
}

// opRoomCheck: room_check {exercise, …as check} (instructor).
func (s *Session) opRoomCheck(req *call) {
	if _, _, _, err := s.checkArgs(req); err != nil {
		s.result(req, "", nil, err)
		return
	}
	s.inRoom(req, func(r *Room, s *Session, req *call) { r.check(s, req) })
}

// opRoomEnd: room_end {} (instructor).
func (s *Session) opRoomEnd(req *call) {
	s.inRoom(req, func(r *Room, s *Session, req *call) {
		m := r.asInstructor(s, req, "end the room")
		if m == nil {
			return
		}
		r.end("the instructor ended the room", m.name)
		r.answer(s, req, struct {
			Room string `json:"room"`
		}{r.code}, nil)
	})
}

// roomPeersFields are the result fields of room_peers.
type roomPeersFields struct {
	Members []string `json:"members"`
	Lesson  string   `json:"lesson"`
	Peers   int      `json:"peers"` // spawn requests made in each session
}

// memberIDs lists the ids of ms.
func memberIDs(ms []*member) []string {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.id)
	}
	return ids
}

// truncateText cuts s to at most n bytes, on a character boundary.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
