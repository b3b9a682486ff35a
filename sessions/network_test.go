package sessions

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sockplay/sessions/protocol"
	"strings"
	"sync"
	"testing"

	"sockplay/sockets/netns"
)

func TestMain(m *testing.M) {
	netns.Main() // a private network's helper is this test binary, re-executed
	os.Exit(m.Run())
}

// helperOrSkip starts a namespace helper of the test's own, closed when
// the test ends. Where the kernel refuses namespaces the test is skipped
// with the reason — except under CI=true, where it must run.
func helperOrSkip(t testing.TB) *netns.Helper {
	t.Helper()
	h, err := netns.StartProvenHelper()
	var ue *netns.UnavailableError
	switch {
	case err == nil:
		t.Cleanup(func() { h.Close() })
		return h
	case errors.As(err, &ue) && os.Getenv("CI") != "true":
		t.Skipf("private networks unavailable here: %v", err)
	default:
		t.Fatal(err)
	}
	return nil
}

// namespaces makes namespaces in a helper for Config.Private and counts
// those it made and those closed; fail makes it refuse.
type namespaces struct {
	h *netns.Helper

	mu           sync.Mutex
	made, closed int
	fail         error
}

func (n *namespaces) make() (Namespace, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return nil, n.fail
	}
	ns, err := n.h.New()
	if err != nil {
		return nil, err
	}
	n.made++
	return &countedNS{ns, n}, nil
}

func (n *namespaces) counts() (made, closed int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.made, n.closed
}

type countedNS struct {
	*netns.Namespace
	n *namespaces
}

func (c *countedNS) Close() error {
	c.n.mu.Lock()
	c.n.closed++
	c.n.mu.Unlock()
	return c.Namespace.Close()
}

// result does one request on sub and returns its result.
func result(t *testing.T, s *Session, sub *Subscriber, r Request) ResultBody {
	t.Helper()
	s.Do(sub, r)
	for {
		m := take(t, sub, 1)[0]
		if b, ok := m.Body.(ResultBody); ok && string(b.ID) == string(r.ID) {
			return b
		}
	}
}

// A private session says so in its hello before it has a namespace; it
// makes one with its first socket, makes every later socket in the same
// one, and closes it when it ends. A host session says host.
func TestPrivateSessionNetwork(t *testing.T) {
	ns := &namespaces{h: helperOrSkip(t)}
	m := NewManager(Config{Private: ns.make})
	defer m.Close()
	s := m.Create()
	sub, hello := s.Attach()
	h := hello.Body.(HelloBody)
	if h.Network != NetworkPrivate || h.Policy.Profile != "private" || !h.Policy.Wildcard || !strings.Contains(h.Policy.Connect, "private network") {
		t.Errorf("hello %+v, want network private, the private profile with the wildcard", h)
	}
	if made, _ := ns.counts(); made != 0 {
		t.Fatalf("%d namespaces made before any socket, want none", made)
	}
	for i, typ := range []string{"SOCK_STREAM", "SOCK_DGRAM"} {
		if r := result(t, s, sub, Request{ID: protocol.Raw(jsonInt(i + 1)), Op: "socket", RareArgs: &protocol.RareArgs{Type: typ}}); !r.OK {
			t.Fatalf("socket: %+v", r.Error)
		}
	}
	// The wildcard is allowed: it reaches only the namespace's loopback.
	if r := result(t, s, sub, Request{ID: protocol.Raw("3"), Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(protocol.Raw(`["",9000]`))}); !r.OK {
		t.Fatalf("bind ('', 9000): %+v", r.Error)
	}
	if made, closed := ns.counts(); made != 1 || closed != 0 {
		t.Fatalf("after two sockets: %d namespaces made, %d closed; want 1, 0", made, closed)
	}
	s.Close("test over")
	if made, closed := ns.counts(); made != 1 || closed != 1 {
		t.Errorf("after Close: %d namespaces made, %d closed; want 1, 1", made, closed)
	}

	host := NewManager(Config{})
	defer host.Close()
	if _, hello := host.Create().Attach(); hello.Body.(HelloBody).Network != NetworkHost || hello.Body.(HelloBody).Policy.Profile != "local" {
		t.Errorf("host hello %+v, want network host, profile local", hello.Body)
	}
}

// A namespace that cannot be made fails the socket call with why; the
// session lives on, and so does the next attempt.
func TestPrivateSessionRefused(t *testing.T) {
	ns := &namespaces{h: helperOrSkip(t), fail: errors.New("no namespaces today")}
	m := NewManager(Config{Private: ns.make})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	r := result(t, s, sub, Request{ID: protocol.Raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	if r.OK || r.Error == nil || r.Error.Type != "os" || !strings.Contains(r.Error.Message, "this session's private network could not be made: no namespaces today") {
		t.Fatalf("socket with no namespace: %+v, want an os error saying why", r.Error)
	}
	ns.mu.Lock()
	ns.fail = nil
	ns.mu.Unlock()
	if r := result(t, s, sub, Request{ID: protocol.Raw("2"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}}); !r.OK {
		t.Fatalf("socket once namespaces work: %+v", r.Error)
	}
}

// BenchmarkPrivateSession measures what a private network adds to a
// session, beside a host session: the time to create a session, make its
// first socket (which makes its namespace) and close it; and what sessions
// with one socket each hold while open, per session — this process's heap,
// the helper's resident memory, and the kernel's slab and per-CPU memory
// (from /proc/meminfo, which other processes disturb: run it on a quiet
// machine).
//
//	go test -run '^$' -bench PrivateSession -benchtime 500x ./sessions
func BenchmarkPrivateSession(b *testing.B) {
	h := helperOrSkip(b)
	for _, network := range []string{NetworkHost, NetworkPrivate} {
		cfg := Config{MaxSessions: 1 << 30}
		if network == NetworkPrivate {
			cfg.Private = (&namespaces{h: h}).make
		}
		b.Run(network+"/open+close", func(b *testing.B) {
			m := NewManager(cfg)
			defer m.Close()
			for b.Loop() {
				s := benchSession(b, m)
				s.Close("bench")
				m.mu.Lock()
				delete(m.sessions, s.ID)
				m.mu.Unlock()
			}
		})
		b.Run(network+"/held", func(b *testing.B) {
			m := NewManager(cfg)
			defer m.Close()
			heap0, rss0, kern0 := heapKB(), rssKB(b, h.PID()), kernelKB(b)
			n := 0
			for b.Loop() {
				benchSession(b, m)
				n++
			}
			heap1, rss1, kern1 := heapKB(), rssKB(b, h.PID()), kernelKB(b)
			b.ReportMetric(float64(heap1-heap0)/float64(n), "heap-kB/session")
			b.ReportMetric(float64(rss1-rss0)/float64(n), "helper-kB/session")
			b.ReportMetric(float64(kern1-kern0)/float64(n), "kernel-kB/session")
		})
	}
}

// benchSession creates a session of m with one UDP socket bound to
// 127.0.0.1:9000 (in a private network every session can have that port).
func benchSession(b *testing.B, m *Manager) *Session {
	s := m.Create()
	sub, _ := s.Attach()
	do := func(r Request) {
		s.Do(sub, r)
		for {
			<-sub.Ready()
			for _, msg := range sub.Take(64) {
				if res, ok := msg.Body.(ResultBody); ok && string(res.ID) == string(r.ID) {
					if !res.OK {
						b.Fatalf("%s: %+v", r.Op, res.Error)
					}
					return
				}
			}
		}
	}
	port := "0"
	if m.cfg.Private != nil {
		port = "9000"
	}
	do(Request{ID: protocol.Raw("1"), Op: "socket", RareArgs: &protocol.RareArgs{Type: "SOCK_DGRAM"}})
	do(Request{ID: protocol.Raw("2"), Op: "bind", Sock: "s1", Addr: protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",` + port + `]`))})
	s.Detach(sub)
	return s
}

// heapKB is this process's live heap after a collection, in kB.
func heapKB() int {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.HeapAlloc / 1024)
}

// rssKB is a process's resident memory, in kB.
func rssKB(b *testing.B, pid int) int {
	return procField(b, fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
}

// kernelKB is the kernel's slab and per-CPU memory, in kB.
func kernelKB(b *testing.B) int {
	return procField(b, "/proc/meminfo", "Slab:") + procField(b, "/proc/meminfo", "Percpu:")
}

// procField is the number after field in a /proc file of "Field: N kB" lines.
func procField(b *testing.B, path, field string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var v int
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	b.Fatalf("%s: no %s", path, field)
	return 0
}
