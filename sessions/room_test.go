package sessions

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeRoomNet is a RoomNetwork whose LANs record what rooms ask of them,
// in one log, and check it: a member joins once, with a host number in use
// by no other, and leaves with the namespace it joined with, still open.
type fakeRoomNet struct {
	mu  sync.Mutex
	log []string
}

func (f *fakeRoomNet) NewLAN() (RoomLAN, error) {
	return &fakeLAN{net: f, hosts: map[Namespace]int{}}, nil
}

func (f *fakeRoomNet) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

func (f *fakeRoomNet) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

type fakeLAN struct {
	net    *fakeRoomNet
	mu     sync.Mutex
	hosts  map[Namespace]int
	closed bool
}

func (l *fakeLAN) Join(ns Namespace, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for other, m := range l.hosts {
		if other == ns || m == n {
			l.net.record("bad join %d", n)
			return fmt.Errorf("host %d or its namespace is on the LAN already", n)
		}
	}
	l.hosts[ns] = n
	l.net.record("join %d", n)
	return nil
}

func (l *fakeLAN) Leave(ns Namespace) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.hosts[ns]
	if !ok {
		l.net.record("bad leave")
		return fmt.Errorf("not on the LAN")
	}
	delete(l.hosts, ns)
	// Its namespace is still there: a socket can be made in it.
	fd, err := ns.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		l.net.record("leave %d after its namespace closed: %v", n, err)
		return nil
	}
	syscall.Close(fd)
	l.net.record("leave %d", n)
	return nil
}

func (l *fakeLAN) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.net.record("close with %d hosts", len(l.hosts))
	l.closed = true
	return nil
}

// roomPage is a page's connection to a session, for room tests.
type roomPage struct {
	s   *Session
	sub *Subscriber
	id  int
}

func newRoomPage(t *testing.T, m *Manager, key string) *roomPage {
	t.Helper()
	s := m.Create()
	sub, _ := s.Attach()
	sub.SetRoomIdentity(key, "test")
	return &roomPage{s: s, sub: sub}
}

// do makes a request and returns its result.
func (p *roomPage) do(t *testing.T, op string, fill func(*Request)) ResultBody {
	t.Helper()
	p.id++
	r := req(p.id, op)
	if fill != nil {
		fill(&r)
	}
	return result(t, p.s, p.sub, r)
}

func (p *roomPage) join(t *testing.T, code, name string) RoomJoinFields {
	t.Helper()
	b := p.do(t, "room_join", func(r *Request) { r.Room, r.Name = code, name })
	if !b.OK {
		t.Fatalf("room_join %s as %q: %+v", code, name, b.Error)
	}
	return b.Fields.(RoomJoinFields)
}

// TestRoomLAN: members get LAN hosts 1 (the instructor) and 2–254, each
// number once; leaving, a session's end and the room's end unplug them
// while their namespaces are still open, and the room's end closes its LAN.
func TestRoomLAN(t *testing.T) {
	ns := &namespaces{h: helperOrSkip(t)}
	net := &fakeRoomNet{}
	m := NewManager(Config{Private: ns.make, RoomNetwork: net})
	defer m.Close()
	const key = "KEYKEYKEYKEYKEYKEYKEYKEYKE"
	info, err := m.CreateRoom(key, "lan", "")
	if err != nil {
		t.Fatal(err)
	}
	student := newRoomPage(t, m, "")
	if f := student.join(t, info.Code, "early"); f.LAN == nil || f.LAN.Addr != "10.78.0.2" || f.LAN.Instructor != "10.78.0.1" || f.LAN.Broadcast != "10.78.0.255" || f.LAN.Prefix != 24 {
		t.Errorf("first student's lan %+v", f.LAN)
	}
	inst := newRoomPage(t, m, key)
	if f := inst.join(t, info.Code, ""); !f.Instructor || f.LAN == nil || f.LAN.Addr != "10.78.0.1" {
		t.Errorf("instructor's join %+v", f)
	}
	b := newRoomPage(t, m, "")
	if f := b.join(t, info.Code, "b"); f.LAN.Addr != "10.78.0.3" {
		t.Errorf("second student's lan %+v", f.LAN)
	}
	if r := student.do(t, "room_leave", nil); !r.OK {
		t.Fatalf("room_leave: %+v", r.Error)
	}
	c := newRoomPage(t, m, "")
	if f := c.join(t, info.Code, "c"); f.LAN.Addr != "10.78.0.2" {
		t.Errorf("a student after one left: %+v, want host 2 again", f.LAN)
	}
	b.s.Close("test")
	if r := inst.do(t, "room_end", nil); !r.OK {
		t.Fatalf("room_end: %+v", r.Error)
	}
	want := []string{"join 2", "join 1", "join 3", "leave 2", "join 2", "leave 3", "leave 1", "leave 2", "close with 0 hosts"}
	if got := net.events(); !slices.Equal(got, want) {
		t.Errorf("LAN events\n%q\nwant\n%q", got, want)
	}
}

// TestRoomHostLAN: without a RoomNetwork, room_join answers lan null and a
// note saying why.
func TestRoomHostLAN(t *testing.T) {
	m := NewManager(Config{})
	defer m.Close()
	info, _ := m.CreateRoom("KEYKEYKEYKEYKEYKEYKEYKEYKE", "", "")
	f := newRoomPage(t, m, "").join(t, info.Code, "s")
	if f.LAN != nil || f.LANNote == "" || info.Title != "Room "+info.Code {
		t.Errorf("join on a host server: %+v (room %+v)", f, info)
	}
}

// TestRoomsConcurrent: two rooms with one instructor key, students moving
// between them, following, leaving and ending their sessions while the
// instructors drive, hint and reset, then end both rooms: every request
// gets its result (no lock cycle between rooms and sessions), and nothing
// is left. Run it with -race.
func TestRoomsConcurrent(t *testing.T) {
	m := NewManager(Config{})
	defer m.Close()
	const key = "KEYKEYKEYKEYKEYKEYKEYKEYKE"
	var codes []string
	var insts []*roomPage
	for i := range 2 {
		info, err := m.CreateRoom(key, fmt.Sprint("room ", i), "")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, info.Code)
		p := newRoomPage(t, m, key)
		p.join(t, info.Code, "")
		insts = append(insts, p)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			p := newRoomPage(t, m, "")
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for j := range 40 {
				code := codes[rng.IntN(2)]
				var r ResultBody
				switch rng.IntN(5) {
				case 0:
					r = p.do(t, "room_join", func(r *Request) { r.Room, r.Name = code, fmt.Sprint("s", i) })
				case 1:
					r = p.do(t, "room_at", func(r *Request) { r.Page = fmt.Sprint("/lessons/", j) })
				case 2:
					flag := rng.IntN(2) == 0
					r = p.do(t, "room_follow", func(r *Request) { r.Flag = &flag })
				case 3:
					r = p.do(t, "room_leave", nil)
				case 4:
					r = p.do(t, "socket", func(r *Request) { r.Type = "SOCK_DGRAM" })
				}
				if r.Error != nil && r.Error.Type != string(KindNotFound) && r.Error.Type != "bad_request" {
					t.Errorf("student %d: %s: %+v", i, r.Op, r.Error)
				}
			}
			if i%3 == 0 {
				p.s.Close("gone")
			}
		})
	}
	for _, p := range insts {
		wg.Go(func() {
			for j := range 60 {
				var r ResultBody
				switch j % 3 {
				case 0:
					r = p.do(t, "room_drive", func(r *Request) { r.Page = fmt.Sprint("/lessons/", j) })
				case 1:
					r = p.do(t, "room_reset", nil)
				case 2:
					text := "look at the port"
					r = p.do(t, "room_hint", func(r *Request) { r.Member, r.Text = "m3", &text })
				}
				if r.Error != nil && r.Error.Type != string(KindNotFound) {
					t.Errorf("instructor: %s: %+v", r.Op, r.Error)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("room ops still running after 2 minutes: a lock cycle?")
	}
	for _, p := range insts {
		if r := p.do(t, "room_end", nil); !r.OK {
			t.Errorf("room_end: %+v", r.Error)
		}
	}
	if n := m.Rooms(); n != 0 {
		t.Errorf("%d rooms left", n)
	}
}

// TestRoomIdleClock: the idle end follows the Manager's clock.
func TestRoomIdleClock(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	m := NewManager(Config{Now: clock.Now, RoomIdle: time.Hour, Grace: 100 * time.Hour})
	defer m.Close()
	info, _ := m.CreateRoom("KEYKEYKEYKEYKEYKEYKEYKEYKE", "", "")
	p := newRoomPage(t, m, "")
	p.join(t, info.Code, "s")
	clock.Add(2 * time.Hour)
	m.Reap(clock.Now())
	p.do(t, "room_at", func(r *Request) { r.Page = "/" }) // after the idle check
	if m.Rooms() != 1 {
		t.Fatal("a room with a member online ended")
	}
	p.s.Detach(p.sub)
	r := m.cfg.rooms.lookup(info.Code)
	clock.Add(59 * time.Minute)
	m.Reap(clock.Now())
	ran := make(chan struct{})
	r.enqueue(func() { close(ran) })
	<-ran // the idle check ran before
	if m.Rooms() != 1 {
		t.Fatal("the room ended 59 minutes after its last member went")
	}
	clock.Add(2 * time.Minute)
	m.Reap(clock.Now())
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("room alive an hour after its last member went")
	}
	if m.Rooms() != 0 {
		t.Errorf("%d rooms after the idle end", m.Rooms())
	}
}
