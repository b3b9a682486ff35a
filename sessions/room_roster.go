package sessions

import (
	"slices"
	"time"

	"sockplay/sessions/protocol"
)

// The room's roster: built from its members' sessions and sent to its
// instructors at most once per rosterEvery, unless it is what they got last.

// rosterEvery is how often, at most, a room sends its roster.
const rosterEvery = 250 * time.Millisecond

// rosterState is the room's roster sending, coalesced (owned by the
// room's goroutine).
type rosterState struct {
	last   []byte      // the JSON of the last roster sent
	sentAt time.Time   // when it was sent
	timer  *time.Timer // set while a roster waits to be sent
	force  bool        // send the next even if unchanged
}

// changed is told that the roster may have changed: it is sent now, or
// once rosterEvery has passed since the last one.
func (st *rosterState) changed(r *Room) {
	if st.timer != nil || r.over {
		return
	}
	if wait := rosterEvery - time.Since(st.sentAt); wait > 0 {
		st.timer = time.NewTimer(wait)
		return
	}
	r.sendRoster()
}

// timerC is the channel of the waiting roster's timer (nil: none waits).
func (st *rosterState) timerC() <-chan time.Time {
	if st.timer == nil {
		return nil
	}
	return st.timer.C
}

// fire sends the roster that waited.
func (st *rosterState) fire(r *Room) {
	st.timer = nil
	r.sendRoster()
}

func (st *rosterState) stop() {
	if st.timer != nil {
		st.timer.Stop()
		st.timer = nil
	}
}

// sendRoster sends the roster to the instructor's sessions, unless it is
// what they got last.
func (r *Room) sendRoster() {
	if r.over {
		return
	}
	body := r.buildRoster()
	j, _ := protocol.AppendValue(nil, body)
	st := &r.roster
	if slices.Equal(j, st.last) && !st.force {
		return
	}
	st.last, st.force, st.sentAt = j, false, time.Now()
	for _, m := range r.members {
		if m.instructor {
			m.sess.roomMessage(KindRoster, body)
		}
	}
}

// buildRoster reads every member's session, one at a time.
func (r *Room) buildRoster() RosterBody {
	now := r.reg.now()
	body := RosterBody{Room: r.code, Members: make([]RosterMember, 0, len(r.members))}
	for _, m := range r.members {
		e := RosterMember{ID: m.id, Name: m.name, Instructor: m.instructor, Following: m.following,
			Page: m.place.Page, Lesson: m.place.Lesson, Step: m.place.Step}
		if !m.sess.rosterEntry(&e, now) {
			e.Online, e.Passed, e.Checks = false, []string{}, map[string]string{}
		}
		if e.Online {
			r.lastOnline = now
		}
		if l := r.lanFields(m); l != nil {
			e.Addr = l.Addr
		}
		body.Members = append(body.Members, e)
	}
	return body
}
