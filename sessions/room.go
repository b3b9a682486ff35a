package sessions

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
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

// roomRegistry is a Manager's rooms, by code, and the observe tokens of
// their instructors. Its mutex is a leaf: nothing is called with it held.
type roomRegistry struct {
	net  RoomNetwork
	idle time.Duration
	max  int
	now  func() time.Time

	mu     sync.Mutex
	hooks  RoomHooks
	byCode map[string]*Room
	tokens map[string]observeToken
	closed bool
}

// observeToken lets an instructor's page watch one member's session.
type observeToken struct {
	room   *Room
	key    string
	member *Session
}

func newRoomRegistry(cfg Config) *roomRegistry {
	return &roomRegistry{net: cfg.RoomNetwork, idle: cfg.RoomIdle, max: cfg.MaxRooms, now: cfg.Now,
		byCode: map[string]*Room{}, tokens: map[string]observeToken{}}
}

// SetRoomHooks gives the Manager's rooms the web side's hooks. Call it
// before serving.
func (m *Manager) SetRoomHooks(h RoomHooks) {
	r := m.cfg.rooms
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = h
}

func (g *roomRegistry) getHooks() RoomHooks {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hooks
}

// ErrRoomsFull is CreateRoom's error when the server has all the rooms it takes.
var ErrRoomsFull = errors.New("the server has as many rooms as it takes")

// CreateRoom makes a room whose instructor is whoever holds key (the
// instructor cookie), titled title, for lesson ("" none). title and lesson
// must have been checked (CheckRoomTitle; the lesson exists).
func (m *Manager) CreateRoom(key, title, lesson string) (RoomInfo, error) {
	g := m.cfg.rooms
	if key == "" {
		return RoomInfo{}, errors.New("an instructor key is required")
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return RoomInfo{}, ErrClosed
	}
	if len(g.byCode) >= g.max {
		g.mu.Unlock()
		return RoomInfo{}, fmt.Errorf("%w (%d); end a room first, or try again later", ErrRoomsFull, g.max)
	}
	code := newRoomCode()
	for g.byCode[code] != nil {
		code = newRoomCode()
	}
	r := newRoom(g, code, key, title, lesson)
	g.byCode[code] = r
	g.mu.Unlock()
	go r.run()
	return r.info(), nil
}

// newRoomCode returns RoomCodeLen letters of RoomAlphabet from crypto/rand.
func newRoomCode() string {
	b := make([]byte, RoomCodeLen)
	rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = RoomAlphabet[int(b[i])%len(RoomAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

// NormalizeRoomCode returns code as rooms are keyed: upper case, without
// spaces or dashes (codes are case-insensitive on input), or "" if it
// cannot be a room code.
func NormalizeRoomCode(code string) string {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(code) != RoomCodeLen {
		return ""
	}
	for _, c := range code {
		if !strings.ContainsRune(RoomAlphabet, c) {
			return ""
		}
	}
	return code
}

// CheckRoomTitle returns title trimmed, or an error sentence.
func CheckRoomTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if n := len([]rune(title)); n > MaxRoomTitle {
		return "", fmt.Errorf("a room's title may have at most %d characters, not %d", MaxRoomTitle, n)
	}
	return title, nil
}

// lookup returns the room with code (as sent), or nil.
func (g *roomRegistry) lookup(code string) *Room {
	code = NormalizeRoomCode(code)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byCode[code]
}

// Room returns what the room with code is, and whether key is its
// instructor's; ok is false if there is no such room.
func (m *Manager) Room(code, key string) (info RoomInfo, instructor, ok bool) {
	r := m.cfg.rooms.lookup(code)
	if r == nil {
		return RoomInfo{}, false, false
	}
	return r.info(), key != "" && key == r.key, true
}

// RoomsOf lists the rooms whose instructor key is key, oldest first.
func (m *Manager) RoomsOf(key string) []RoomInfo {
	g := m.cfg.rooms
	g.mu.Lock()
	var rs []*Room
	for _, r := range g.byCode {
		if key != "" && r.key == key {
			rs = append(rs, r)
		}
	}
	g.mu.Unlock()
	out := make([]RoomInfo, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.info())
	}
	sortRoomInfos(out)
	return out
}

// Rooms is the number of live rooms.
func (m *Manager) Rooms() int {
	g := m.cfg.rooms
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byCode)
}

// ErrObserve is ObservedSession's error for a token that is unknown, ended,
// or not this instructor's.
var ErrObserve = errors.New("no such observe link: it belongs to another instructor, or its room or student has gone")

// ObservedSession returns the session an instructor's observe token (op
// room_observe) shows, if key is the token's instructor key.
func (m *Manager) ObservedSession(token, key string) (*Session, error) {
	g := m.cfg.rooms
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[token]
	if !ok || key == "" || t.key != key {
		return nil, ErrObserve
	}
	return t.member, nil
}

// addToken records an observe token (from the room's goroutine).
func (g *roomRegistry) addToken(token string, t observeToken) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = t
}

// dropTokens forgets the tokens of room r, or of its member sess only when
// sess is not nil.
func (g *roomRegistry) dropTokens(r *Room, sess *Session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, t := range g.tokens {
		if t.room == r && (sess == nil || t.member == sess) {
			delete(g.tokens, k)
		}
	}
}

// remove forgets room r and its tokens.
func (g *roomRegistry) remove(r *Room) {
	g.mu.Lock()
	if g.byCode[r.code] == r {
		delete(g.byCode, r.code)
	}
	g.mu.Unlock()
	g.dropTokens(r, nil)
}

// all returns every live room.
func (g *roomRegistry) all() []*Room {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := make([]*Room, 0, len(g.byCode))
	for _, r := range g.byCode {
		rs = append(rs, r)
	}
	return rs
}

// reap asks each room to end if no member has been online for the idle time.
func (g *roomRegistry) reap(now time.Time) {
	for _, r := range g.all() {
		r.enqueue(func() { r.idleCheck(now) })
	}
}

// closeAll ends every room (the Manager is closing) and waits for them.
func (g *roomRegistry) closeAll() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	for _, r := range g.all() {
		close(r.quit)
		<-r.done
	}
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
