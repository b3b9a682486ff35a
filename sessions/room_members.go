package sessions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"sockplay/sockets"
	"sockplay/sockets/exercises"
)

// The room's half of the room ops: these run on the room's goroutine
// (Room.run), holding no lock, and reach sessions only through their
// methods that take their own lock (withLock).

// member is one session in a room. Owned by the room's goroutine.
type member struct {
	id         string // "m3"
	name       string
	instructor bool
	sess       *Session
	host       int       // its host number on the LAN (1 the instructor, 2–254 students)
	ns         Namespace // its namespace on the LAN (nil: it has no link)
	lanNote    string    // why it has no LAN address, if the room has a LAN
	following  bool
	place      Place
}

// lanFields is m's place on the LAN, or nil without one.
func (r *Room) lanFields(m *member) *LANFields {
	if m.ns == nil {
		return nil
	}
	return &LANFields{Addr: RoomLANPrefix + strconv.Itoa(m.host), Prefix: RoomLANBits, Broadcast: RoomLANBroadcast, Instructor: RoomLANPrefix + "1"}
}

func (r *Room) lanNoteOf(m *member) string {
	if m.ns != nil {
		return ""
	}
	if m.lanNote != "" {
		return m.lanNote
	}
	return r.lanNote
}

// asMember returns s's member; if it has none, it answers req and returns nil.
func (r *Room) asMember(s *Session, req *call) *member {
	m := r.bySess[s]
	if m == nil {
		r.answer(s, req, nil, &sockets.Error{Kind: KindNotFound, Message: "this session is not in room " + r.code, Hint: "Join it again with room_join."})
	}
	return m
}

// asInstructor returns s's member if it is the room's instructor; else it
// answers req with forbidden (what: what only the instructor may do) and
// returns nil.
func (r *Room) asInstructor(s *Session, req *call, what string) *member {
	m := r.asMember(s, req)
	if m != nil && !m.instructor {
		r.answer(s, req, nil, &sockets.Error{Kind: KindForbidden, Message: "only the room's instructor may " + what,
			Hint: "The instructor is whoever created the room, in the browser that created it."})
		return nil
	}
	return m
}

// member returns the member with id, or answers req and returns nil. A
// student op never names the instructor.
func (r *Room) memberByID(s *Session, req *call, id string) *member {
	for _, m := range r.members {
		if m.id == id && !m.instructor {
			return m
		}
	}
	r.answer(s, req, nil, &sockets.Error{Kind: KindNotFound, Message: fmt.Sprintf("no student %q in room %s", id, r.code), Hint: "Members are named by their roster id, such as \"m2\"."})
	return nil
}

// students are the members that are not instructors.
func (r *Room) students() []*member {
	var out []*member
	for _, m := range r.members {
		if !m.instructor {
			out = append(out, m)
		}
	}
	return out
}

// instructorName is the name followers see the instructor by.
func (r *Room) instructorName() string {
	for _, m := range r.members {
		if m.instructor {
			return m.name
		}
	}
	return "the instructor"
}

// join makes s a member (or updates its name: room_join is idempotent).
func (r *Room) join(s *Session, req *call, key, name string) {
	instructor := key != "" && key == r.key
	m := r.bySess[s]
	if m == nil {
		if name == "" && instructor {
			name = "Instructor"
		}
		switch {
		case name == "":
			r.answer(s, req, nil, sockets.BadRequest("", "room_join needs name, the name your instructor sees (1–%d characters)", MaxRoomName))
			return
		case len(r.members) >= maxRoomHost:
			r.answer(s, req, nil, &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf("room %s is full: it has %d members, the most a room takes", r.code, maxRoomHost)})
			return
		}
		r.lastID++
		m = &member{id: "m" + strconv.Itoa(r.lastID), name: name, instructor: instructor, sess: s, following: !instructor}
		m.host = r.freeHost(instructor)
		r.members = append(r.members, m)
		r.bySess[s] = m
		r.count.Add(1)
		r.plug(m)
	} else {
		if name != "" {
			m.name = name
		}
		if instructor && !m.instructor {
			m.instructor, m.following = true, false
		}
	}
	fields := RoomJoinFields{Room: r.code, Title: r.title, Lesson: r.lesson, Instructor: m.instructor, Member: m.id, Name: m.name,
		LAN: r.lanFields(m), LANNote: r.lanNoteOf(m)}
	state := r.stateBody(m)
	follow, at := m.following && r.at.Page != "", r.followBody()
	ok := s.withLock(func() {
		if s.room.room != r {
			s.room = roomSeen{room: r, member: m.id, checks: map[string]string{}, progress: s.cfg.Now()}
		}
		s.room.instructor = m.instructor
		s.result(req, "", fields, nil)
		s.append(KindRoomState, state)
		if follow {
			s.append(KindFollow, at)
		}
	})
	if !ok { // the session ended meanwhile
		r.removeMember(m)
		return
	}
	if m.instructor {
		r.roster.force = true // its pages need the roster now, changed or not
	}
	r.roster.changed(r)
}

// freeHost returns the LAN host number a new member gets: 1 for the
// instructor if free, else the lowest free of 2–254.
func (r *Room) freeHost(instructor bool) int {
	used := map[int]bool{}
	for _, m := range r.members {
		used[m.host] = true
	}
	if instructor && !used[1] {
		return 1
	}
	for n := 2; n <= maxRoomHost; n++ {
		if !used[n] {
			return n
		}
	}
	return 0
}

// plug joins m's session's private network to the room's LAN.
func (r *Room) plug(m *member) {
	if r.lan == nil || m.host == 0 {
		return
	}
	if m.sess.network.make == nil {
		m.lanNote = "Your session runs on this machine's network, not a private one, so it cannot join the class LAN."
		return
	}
	ns, err := m.sess.network.namespace()
	if err != nil {
		m.lanNote = "Your session has no private network for the class LAN: " + err.Error()
		return
	}
	if err := r.lan.Join(ns, m.host); err != nil {
		m.lanNote = "Your session could not join the class LAN: " + err.Error()
		return
	}
	m.ns = ns
}

// removeMember takes m out of the room: its LAN link, its observe tokens
// and observers go.
func (r *Room) removeMember(m *member) {
	if r.bySess[m.sess] != m {
		return
	}
	delete(r.bySess, m.sess)
	r.members = slices.DeleteFunc(r.members, func(x *member) bool { return x == m })
	r.count.Add(-1)
	if m.ns != nil && r.lan != nil {
		r.lan.Leave(m.ns) // best effort: a namespace that has gone took its link with it
		m.ns = nil
	}
	r.reg.dropTokens(r, m.sess)
	m.sess.endObservers()
	r.roster.changed(r)
}

// leave takes s out of the room, keeping the session; req (nil: the
// session is going, or joining another room) gets the result.
func (r *Room) leave(s *Session, req *call) {
	m := r.bySess[s]
	if m == nil {
		if req != nil {
			r.asMember(s, req)
		}
		return
	}
	r.removeMember(m)
	s.withLock(func() {
		if s.room.room == r {
			s.room = roomSeen{}
			s.append(KindRoomState, RoomStateBody{})
		}
		if req != nil {
			s.result(req, "", struct {
				Room string `json:"room"`
			}{r.code}, nil)
		}
	})
}

// stateBody is the room_state m's session gets.
func (r *Room) stateBody(m *member) RoomStateBody {
	return RoomStateBody{Room: r.code, Title: r.title, Lesson: r.lesson, Member: m.id, Name: m.name, Instructor: m.instructor,
		InstructorName: r.instructorName(), Following: m.following, Drive: r.drive, LAN: r.lanFields(m), LANNote: r.lanNoteOf(m)}
}

func (r *Room) followBody() FollowBody {
	return FollowBody{Room: r.code, Place: r.at, By: r.instructorName()}
}

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

// end ends the room: every member gets room_end and is out of it; the LAN,
// the tokens and the room go. by is the instructor who ended it ("" when it
// ended on its own).
func (r *Room) end(reason, by string) {
	if r.over {
		return
	}
	r.over = true
	body := RoomEndBody{Room: r.code, Reason: reason, By: by}
	for _, m := range slices.Clone(r.members) {
		r.removeMember(m)
		m.sess.withLock(func() {
			if m.sess.room.room == r {
				m.sess.room = roomSeen{}
			}
			m.sess.append(KindRoomEnd, body)
		})
	}
	if r.lan != nil {
		r.lan.Close()
	}
	r.reg.remove(r)
	r.roster.stop()
	r.sendMu.Lock()
	r.ended = true
	r.sendMu.Unlock()
}

// idleCheck ends the room if no member has been online for the registry's
// idle time, as of now.
func (r *Room) idleCheck(now time.Time) {
	if r.over {
		return
	}
	for _, m := range r.members {
		if _, detached := m.sess.detachedSince(); !detached {
			r.lastOnline = now
			return
		}
	}
	if now.Sub(r.lastOnline) >= r.reg.idle {
		r.end(fmt.Sprintf("no member was online for %v", r.reg.idle), "")
	}
}
