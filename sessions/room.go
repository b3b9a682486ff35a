package sessions

import (
	"crypto/rand"
	"sync"
	"sync/atomic"
	"time"

	"sockplay/sockets"
)

// Rooms: an instructor's class. A room has a code students join with
// (op room_join), a roster of its members that the instructor's pages get,
// the instructor's place that followers' pages go to, and instructor
// controls over every student's session (room_ops.go). See web/PROTOCOL.md
// (Rooms).
//
// Concurrency: each room is owned by a goroutine of its own (run), fed by
// its work channel. Every room op is checked inside its session's lock and
// handed to the room's goroutine without waiting (Room.enqueue); the
// goroutine runs it holding no lock, and reaches a member's session only
// through that session's own methods (withLock: its result, its messages,
// what the roster shows of it). A session tells its room that something the
// roster shows changed by a non-blocking send (Room.touch). So no lock of
// a room is ever held while a session's lock is taken, and no session's
// lock while another session's is.

// RoomNetwork makes rooms' LANs; nil on a host server (rooms then answer
// lan:null with lan_note).
type RoomNetwork interface{ NewLAN() (RoomLAN, error) }

// RoomLAN is one room's LAN: a bridge in a namespace of its own, 10.78.0.0/24.
type RoomLAN interface {
	// Join plugs the member's private namespace into the LAN as host n (1 = instructor, 2–254 students):
	// an interface "room0" with 10.78.0.n/24, broadcast 10.78.0.255, up; the member keeps its own loopback.
	Join(ns Namespace, n int) error
	Leave(ns Namespace) error // removes the member's link
	Close() error             // removes the bridge and every link
}

// The room LAN's addresses: host n is RoomLANPrefix+n.
const (
	RoomLANPrefix    = "10.78.0."
	RoomLANBroadcast = "10.78.0.255"
	RoomLANBits      = 24
	maxRoomHost      = 254 // hosts 1–254; so at most 254 members
)

// The error types of room ops besides the protocol's usual ones.
const (
	KindForbidden sockets.Kind = "forbidden" // an instructor-only op from someone else
	KindNotFound  sockets.Kind = "not_found" // no such room (or member, or observe token)
)

// RoomAlphabet is the letters of room codes: 32, without look-alikes (no
// I, O, 0 or 1). A code is RoomCodeLen of them, from crypto/rand: 2^40
// codes, hopeless to guess at the join rate limit.
const (
	RoomAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	RoomCodeLen  = 8
)

// Limits of rooms' text fields, in characters after trimming.
const (
	MaxRoomTitle = 80
	MaxRoomName  = 40
	MaxHint      = 300
)

// RoomHooks are what the web side gives the rooms of a Manager
// (Manager.SetRoomHooks).
type RoomHooks struct {
	// AllowJoin takes one token of client's join budget (every attempt to
	// join a room the session is not in counts, failures too); false: the
	// join is refused with error type limit, and wait says for how long.
	AllowJoin func(client string) (ok bool, wait time.Duration)
	// LessonPeers returns the spawn requests of a lesson's peers (op
	// room_peers), or an error saying there is no such lesson.
	LessonPeers func(lesson string) ([]Request, error)
}

// RoomInfo describes a room, as POST /rooms answers and pages show it.
type RoomInfo struct {
	Code    string    `json:"room"`
	Title   string    `json:"title"`
	Lesson  string    `json:"lesson"`
	Created time.Time `json:"created"`
	Members int       `json:"members"` // members now (the instructor too)
}

// Room is one room. Its state is owned by its goroutine (run); the fields
// above mu never change.
type Room struct {
	code, key, title, lesson string
	created                  time.Time
	reg                      *roomRegistry

	sendMu sync.Mutex  // a leaf: guards sending on work against the room's end
	ended  bool        // guarded by sendMu: work takes no more
	work   chan func() // what the room's goroutine runs, in order
	dirty  chan struct{}
	quit   chan struct{} // closed by closeAll: the room ends
	done   chan struct{} // closed when the room's goroutine has ended
	count  atomic.Int32  // members, for RoomInfo

	// Owned by the room's goroutine.
	over       bool      // ended: it runs nothing more (end)
	members    []*member // in the order they joined
	bySess     map[*Session]*member
	lastID     int
	at         Place // where the instructor drives followers
	drive      bool  // the instructor's room_at drives followers
	lan        RoomLAN
	lanNote    string    // why members have no LAN address ("" they do)
	lastOnline time.Time // when a member was last seen online
	roster     rosterState
}

// Place is a page, lesson and step: where a member is, or where the
// instructor drives followers.
type Place struct {
	Page   string `json:"page"`
	Lesson string `json:"lesson"`
	Step   string `json:"step"`
}

// workQueue is how many room ops may wait for a room's goroutine; past it
// an op is refused as the room being busy.
const workQueue = 4096

func newRoom(g *roomRegistry, code, key, title, lesson string) *Room {
	r := &Room{
		code: code, key: key, title: title, lesson: lesson, created: g.now(), reg: g,
		work: make(chan func(), workQueue), dirty: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		bySess: map[*Session]*member{}, drive: true,
	}
	r.lastOnline = r.created
	if title == "" {
		r.title = "Room " + code
	}
	return r
}

func (r *Room) info() RoomInfo {
	return RoomInfo{Code: r.code, Title: r.title, Lesson: r.lesson, Created: r.created, Members: int(r.count.Load())}
}

// enqueue hands f to the room's goroutine without waiting. It reports false
// if the room has ended or is too busy to take it.
func (r *Room) enqueue(f func()) bool {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	if r.ended {
		return false
	}
	select {
	case r.work <- f:
		return true
	default:
		return false
	}
}

// touch tells the room's goroutine that what its roster shows changed.
// It never waits.
func (r *Room) touch() {
	select {
	case r.dirty <- struct{}{}:
	default:
	}
}

// run is the room's goroutine: it runs what is enqueued, in order, and
// sends the roster, coalesced, until the room ends.
func (r *Room) run() {
	defer close(r.done)
	r.openLAN()
	for {
		select {
		case f := <-r.work:
			f()
			if r.isEnded() {
				r.drain()
				return
			}
		case <-r.dirty:
			r.roster.changed(r)
		case <-r.roster.timerC():
			r.roster.fire(r)
		case <-r.quit:
			r.end("the server is shutting down", "")
			r.drain()
			return
		}
	}
}

func (r *Room) isEnded() bool {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	return r.ended
}

// drain runs what was enqueued before the room ended: each finds the room
// ended and says so.
func (r *Room) drain() {
	for {
		select {
		case f := <-r.work:
			f()
		default:
			return
		}
	}
}

// openLAN makes the room's LAN, on a server that has room networks.
func (r *Room) openLAN() {
	if r.reg.net == nil {
		r.lanNote = "This server runs every session on its own machine's network (--network host), so a room has no class LAN here: roster, follow and projector work, but students' sockets cannot reach each other. Start sockplay with --network private for a class LAN."
		return
	}
	lan, err := r.reg.net.NewLAN()
	if err != nil {
		r.lanNote = "The room's class LAN could not be made: " + err.Error()
		return
	}
	r.lan = lan
}

// newToken returns an unguessable token.
func newToken() string { return rand.Text() }

// errRoomEnded is the error of an op that reached a room as it ended.
func errRoomEnded() *sockets.Error {
	return &sockets.Error{Kind: KindNotFound, Message: "the room has ended", Hint: "Ask your instructor for the code of a new room."}
}
