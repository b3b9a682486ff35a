package sessions

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A Manager's rooms: made, looked up by code, listed, reaped when idle,
// and the instructors' observe tokens.

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
