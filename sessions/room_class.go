package sessions

import (
	"fmt"
	"strings"

	"sockplay/sockets"
	"sockplay/sockets/exercises"
)

// What an instructor does to the class, and what a member's page tells the
// room: where pages are (room_at), following and driving them, hints,
// observing, resetting, the class's peers and checks. Like the rest of
// the room's half of the room ops, these run on the room's goroutine.

// moved records where s's page is (room_at); the instructor's drives
// followers while drive is on.
func (r *Room) moved(s *Session, req *call, p Place) {
	m := r.asMember(s, req)
	if m == nil {
		return
	}
	if m.place != p {
		m.place = p
		s.roomProgress()
	}
	var f struct {
		Followers *int `json:"followers,omitempty"`
	}
	if m.instructor && r.drive && drivable(p.Page) {
		n := r.driveAll(p)
		f.Followers = &n
	}
	r.answer(s, req, f, nil)
	r.roster.changed(r)
}

// drivable reports whether the instructor's room_at of page drives
// followers: not from the room's own pages (the instructor's room page,
// the join page), which are not where students should go.
func drivable(page string) bool {
	return page != "/rooms" && !strings.HasPrefix(page, "/rooms/") && !strings.HasPrefix(page, "/rooms?") && !strings.HasPrefix(page, "/r/")
}

// driveAll sends every follower to p and returns how many it sent.
func (r *Room) driveAll(p Place) int {
	r.at = p
	body := r.followBody()
	n := 0
	for _, m := range r.members {
		if m.following && !m.instructor {
			m.sess.roomMessage(KindFollow, body)
			n++
		}
	}
	return n
}

// follow turns following on or off for a student (room_follow).
func (r *Room) follow(s *Session, req *call, flag bool) {
	m := r.asMember(s, req)
	if m == nil {
		return
	}
	if m.instructor {
		r.answer(s, req, nil, sockets.BadRequest("", "the instructor does not follow: room_drive says whether room_at drives the followers"))
		return
	}
	m.following = flag
	state, at := r.stateBody(m), r.followBody()
	s.withLock(func() {
		s.result(req, "", struct {
			Following bool `json:"following"`
		}{flag}, nil)
		s.append(KindRoomState, state)
		if flag && at.Page != "" {
			s.append(KindFollow, at)
		}
	})
	r.roster.changed(r)
}

// driveTo is room_drive: flag sets whether the instructor's room_at
// drives followers; a page sends them there now.
func (r *Room) driveTo(s *Session, req *call, p Place, flag *bool) {
	m := r.asInstructor(s, req, "drive the followers")
	if m == nil {
		return
	}
	if flag != nil {
		r.drive = *flag
	}
	f := struct {
		Drive     bool `json:"drive"`
		Followers int  `json:"followers"`
	}{Drive: r.drive}
	if p.Page != "" {
		m.place = p
		f.Followers = r.driveAll(p)
	}
	r.answer(s, req, f, nil)
	r.roster.changed(r)
}

// toFollowers sends every follower the message make makes (room_show,
// room_push).
func (r *Room) toFollowers(s *Session, req *call, what string, make func(by string) (string, any)) {
	m := r.asInstructor(s, req, what)
	if m == nil {
		return
	}
	kind, body := make(m.name)
	n := 0
	for _, f := range r.members {
		if f.following && !f.instructor {
			f.sess.roomMessage(kind, body)
			n++
		}
	}
	r.answer(s, req, struct {
		Followers int `json:"followers"`
	}{n}, nil)
}

// hint sends one student the instructor's line (room_hint).
func (r *Room) hint(s *Session, req *call, text string) {
	m := r.asInstructor(s, req, "send hints")
	if m == nil {
		return
	}
	t := r.memberByID(s, req, req.Member)
	if t == nil {
		return
	}
	t.sess.roomMessage(KindRoomHint, RoomHintBody{Room: r.code, Text: text, From: m.name})
	r.answer(s, req, struct {
		Member string `json:"member"`
	}{t.id}, nil)
}

// observe gives the instructor a read-only view of a student's session
// (room_observe): a token for /ws?observe=TOKEN, bound to the room's
// instructor key.
func (r *Room) observe(s *Session, req *call) {
	if r.asInstructor(s, req, "observe a student") == nil {
		return
	}
	t := r.memberByID(s, req, req.Member)
	if t == nil {
		return
	}
	token := newToken()
	r.reg.addToken(token, observeToken{room: r, key: r.key, member: t.sess})
	r.answer(s, req, struct {
		URL    string `json:"url"`
		Token  string `json:"token"`
		Member string `json:"member"`
		Name   string `json:"name"`
	}{"/workbench?observe=" + token, token, t.id, t.name}, nil)
}

// targets are the students an instructor's op names: req.Member, or all
// of them when it names none. It answers req and returns false if
// req.Member is no student.
func (r *Room) targets(s *Session, req *call) ([]*member, bool) {
	if req.Member == "" {
		return r.students(), true
	}
	t := r.memberByID(s, req, req.Member)
	if t == nil {
		return nil, false
	}
	return []*member{t}, true
}

// reset closes the students' sockets and peers, as op reset would, with a
// note on their pages (room_reset).
func (r *Room) reset(s *Session, req *call) {
	m := r.asInstructor(s, req, "reset students' sockets")
	if m == nil {
		return
	}
	ts, ok := r.targets(s, req)
	if !ok {
		return
	}
	for _, t := range ts {
		t.sess.roomReset(m.name)
	}
	r.answer(s, req, RoomMembersFields{Members: memberIDs(ts)}, nil)
}

// peers starts a lesson's peers in every student's session (room_peers).
func (r *Room) peers(s *Session, req *call) {
	m := r.asInstructor(s, req, "start peers for the room")
	if m == nil {
		return
	}
	lesson := req.Lesson
	if lesson == "" {
		lesson = r.lesson
	}
	get := r.reg.getHooks().LessonPeers
	switch {
	case lesson == "":
		r.answer(s, req, nil, sockets.BadRequest("", "room_peers needs lesson, the slug of the lesson whose peers to start (the room has none of its own)"))
		return
	case get == nil:
		r.answer(s, req, nil, sockets.BadRequest("", "this server has no lessons"))
		return
	}
	spawns, err := get(lesson)
	if err != nil {
		r.answer(s, req, nil, sockets.BadRequest("", "%v", err))
		return
	}
	ts, ok := r.targets(s, req)
	if !ok {
		return
	}
	note := fmt.Sprintf("Your instructor (%s) started the peers of lesson %s in your session.", m.name, lesson)
	for _, t := range ts {
		t.sess.roomRun(spawns, note, m.name)
	}
	r.answer(s, req, roomPeersFields{Members: memberIDs(ts), Lesson: lesson, Peers: len(spawns)}, nil)
}

// check runs an exercise's check in every student's session (room_check);
// the verdicts reach the roster.
func (r *Room) check(s *Session, req *call) {
	m := r.asInstructor(s, req, "run checks for the room")
	if m == nil {
		return
	}
	ts, ok := r.targets(s, req)
	if !ok {
		return
	}
	x, _ := exercises.Lookup(req.Exercise)
	note := fmt.Sprintf("Your instructor (%s) is checking your program against exercise %s.", m.name, x.ID)
	for _, t := range ts {
		t.sess.roomCheck(*req.Request, note, m.name)
	}
	r.answer(s, req, struct {
		Members  []string `json:"members"`
		Exercise string   `json:"exercise"`
	}{memberIDs(ts), x.ID}, nil)
	r.roster.changed(r)
}
