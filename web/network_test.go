package web_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http/cookiejar"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sockets/netns"
)

// The private network profile (--network private) against a real server,
// with real namespaces: each session's sockets, peers and checks live in a
// namespace of its own, with its own loopback and nothing else.

// privateConfig is a Config whose sessions get private networks from a
// helper of the test's own, which it returns for the leak test to look at.
// Where the kernel refuses namespaces the test is skipped with the reason —
// except under CI=true, where it must run.
func privateConfig(t *testing.T) (sessions.Config, *netns.Helper) {
	t.Helper()
	h, err := netns.StartProvenHelper()
	var ue *netns.UnavailableError
	switch {
	case errors.As(err, &ue) && os.Getenv("CI") != "true":
		t.Skipf("private networks unavailable here: %v", err)
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return sessions.Config{Private: func() (sessions.Namespace, error) {
		ns, err := h.New()
		if err != nil {
			return nil, err
		}
		return ns, nil
	}}, h
}

// newSession dials the server as a new browser would: without a cookie, so
// it gets a session of its own.
func (s *testServer) newSession(t *testing.T) *client {
	t.Helper()
	s.jar, _ = cookiejar.New(nil)
	return s.dial(t)
}

// listening makes a TCP socket bound to host:port and listening.
func (c *client) listening(host string, port int) string {
	c.t.Helper()
	l := c.socket("SOCK_STREAM")
	c.bind(l, host, port)
	c.must("listen", obj{"sock": l})
	return l
}

// Two private sessions both bind 127.0.0.1:9000 (TCP and UDP) and each
// reaches its own; session A's connect to a port only session B listens on
// is refused, as is a datagram to B's UDP port; hello says private.
func TestPrivateSessionsSamePort(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	a, b := srv.newSession(t), srv.newSession(t)
	if a.hello.str("session") == b.hello.str("session") {
		t.Fatal("the two clients share a session")
	}
	for _, c := range []*client{a, b} {
		if c.hello.str("network") != "private" || c.hello.obj("policy").str("profile") != "private" || c.hello.obj("policy")["wildcard"] != true {
			t.Errorf("hello %v, want network private, policy profile private with the wildcard", c.hello)
		}
		c.listening("127.0.0.1", 9000)
		u := c.socket("SOCK_DGRAM")
		c.bind(u, "127.0.0.1", 9000)
	}
	b.listening("127.0.0.1", 9001)

	for name, c := range map[string]*client{"A": a, "B": b} {
		k := c.socket("SOCK_STREAM")
		c.must("connect", obj{"sock": k, "addr": []any{"127.0.0.1", 9000}})
		conn := accept(c, "s1")
		c.must("sendall", obj{"sock": k, "data": text("to " + name)})
		if got := c.must("recv", obj{"sock": conn, "bufsize": 64}).obj("data").str("text"); got != "to "+name {
			t.Errorf("session %s received %q on its own 127.0.0.1:9000, want %q", name, got, "to "+name)
		}
	}
	k := a.socket("SOCK_STREAM")
	checkError(t, a.do("connect", obj{"sock": k, "addr": []any{"127.0.0.1", 9001}}),
		errWant{typ: "os", errno: "ECONNREFUSED", code: 111, exception: "ConnectionRefusedError", message: "[Errno 111] Connection refused"})

	// A datagram to B's UDP port 9000 lands on A's own socket on that port.
	u := a.socket("SOCK_DGRAM")
	a.must("sendto", obj{"sock": u, "data": text("whose?"), "addr": []any{"127.0.0.1", 9000}})
	if got := a.must("recvfrom", obj{"sock": "s2", "bufsize": 64}).obj("data").str("text"); got != "whose?" {
		t.Errorf("A's own UDP socket got %q, want whose?", got)
	}
	b.must("settimeout", obj{"sock": "s2", "timeout": 0})
	checkError(t, b.do("recvfrom", obj{"sock": "s2", "bufsize": 64}),
		errWant{typ: "os", errno: "EAGAIN", code: 11, exception: "BlockingIOError", message: "[Errno 11] Resource temporarily unavailable"})
}

// From a private session nothing of the host is reachable: not a service
// listening on the host's loopback, not sockplay's own HTTP port; a
// network beyond loopback is a policy error.
func TestPrivateSessionReachesNothingElse(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	c := srv.newSession(t)
	for _, target := range []string{host.Addr().String(), srv.Listener.Addr().String()} {
		ap := netipAddrPort(t, target)
		k := c.socket("SOCK_STREAM")
		checkError(t, c.do("connect", obj{"sock": k, "addr": []any{ap.Addr().String(), int(ap.Port())}}),
			errWant{typ: "os", errno: "ECONNREFUSED", code: 111, exception: "ConnectionRefusedError", message: "[Errno 111] Connection refused"})
	}
	u := c.socket("SOCK_DGRAM")
	checkError(t, c.do("sendto", obj{"sock": u, "data": text("out?"), "addr": []any{"10.0.0.1", 9000}}),
		errWant{typ: "policy", contains: []string{"this session's private network has nothing else"}})
}

// Two private sessions spawn the same peer on the same fixed port at
// once, and each talks to its own.
func TestPrivatePeersSameFixedPort(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	clients := []*client{srv.newSession(t), srv.newSession(t)}
	ids := make([]int, len(clients))
	for i, c := range clients {
		ids[i] = c.send("spawn", obj{"peer": "tcp-echo", "addr": []any{"127.0.0.1", 9000}})
	}
	for i, c := range clients {
		if r := c.wait("result", ids[i]); !r.ok() || port(r.addr("addr")) != 9000 {
			t.Fatalf("session %d: spawn tcp-echo on 9000: %v", i, r)
		}
	}
	for i, c := range clients {
		k := c.socket("SOCK_STREAM")
		c.must("connect", obj{"sock": k, "addr": []any{"127.0.0.1", 9000}})
		msg := fmt.Sprintf("session %d", i)
		c.must("sendall", obj{"sock": k, "data": text(msg)})
		if got := c.must("recv", obj{"sock": k, "bufsize": 64}).obj("data").str("text"); got != msg {
			t.Errorf("echo in session %d: %q, want %q", i, got, msg)
		}
	}
}

// Exercise checks run in the session's namespace: a check against a
// server the session made there passes, and so does one of a client that
// connects to the checker there.
func TestPrivateChecks(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	var n int
	runWorkbenchChecksOn(t, srv.newSession(t), []wbCase{
		{name: "udp-upper ok", exercise: "udp-upper", serve: udpServer("127.0.0.1"), play: udpAnswer(3, bytes.ToUpper)},
		{name: "tcp-echo ok", exercise: "tcp-echo", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				echoUntilEOF(t, c, accept(c, l))
				echoUntilEOF(t, c, accept(c, l))
				c.must("close", obj{"sock": l})
			}},
		{name: "tcp-client ok", exercise: "tcp-client", play: tcpClientPlay(&n, func(n int) int { return 2 * n })},
	})
}

// 200 private sessions, each with a socket (every tenth with a peer too),
// created and closed, leave no namespace, descriptor or goroutine behind,
// here or in the helper.
func TestPrivateSessionsNoLeaks(t *testing.T) {
	cfg, h := privateConfig(t)
	srv := newServer(t, cfg)
	srv.newSession(t).conn.Close() // the server's first connection starts what lives on
	waitFor(t, "the first session to be closed", func() bool { return closeDetached(srv) == 0 })
	before := leakUsage(t, h)
	if before.namespaces != 1 {
		t.Fatalf("the helper holds %d namespaces, want its own only", before.namespaces)
	}
	for i := range 200 {
		c := srv.newSession(t)
		c.socket("SOCK_DGRAM")
		if i%10 == 0 {
			c.must("spawn", obj{"peer": "udp-echo", "addr": []any{"127.0.0.1", 9000}})
		}
		if i == 100 {
			if during := leakUsage(t, h); during.namespaces < 2 {
				t.Fatalf("the helper holds %d namespaces with a session open, want more than its own", during.namespaces)
			}
		}
		c.conn.Close()
		for range c.msgs { // let the reader end
		}
	}
	waitFor(t, "every session to be closed", func() bool { return closeDetached(srv) == 0 })
	var got usage
	ok := waitUntil(30*time.Second, func() bool {
		got = leakUsage(t, h)
		return got.namespaces == before.namespaces && got.fds <= before.fds && got.goroutines <= before.goroutines
	})
	if !ok {
		t.Fatalf("after closing 200 private sessions: %+v, want %+v", got, before)
	}
}

// closeDetached closes every session of srv with no page attached (as the
// reaper does after the grace period) and returns how many live on.
func closeDetached(srv *testServer) int {
	srv.manager.Reap(time.Now().Add(time.Hour))
	return srv.manager.Len()
}

// usage is what the leak test counts.
type usage struct {
	namespaces int // network namespaces the helper's descriptors hold
	fds        int // this process's open descriptors
	goroutines int
}

func leakUsage(t *testing.T, h *netns.Helper) usage {
	t.Helper()
	links, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", h.PID()))
	if err != nil {
		t.Fatal(err)
	}
	u := usage{goroutines: runtime.NumGoroutine()}
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, "net:") {
			u.namespaces++
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	u.fds = len(fds)
	return u
}

// waitFor waits until cond holds, failing the test if it never does.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(30*time.Second, cond) {
		t.Fatalf("waited 30s for %s", what)
	}
}

// waitUntil polls cond until it holds or the safety bound passes.
func waitUntil(bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// netipAddrPort parses a listener's address.
func netipAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
