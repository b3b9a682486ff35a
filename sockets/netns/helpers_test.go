package netns

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
)

func TestMain(m *testing.M) {
	Main() // the helper is this test binary, re-executed
	os.Exit(m.Run())
}

// mode is one way of running the helper.
type mode struct {
	name   string
	userNS bool
}

// modes are the helper modes this machine runs: an ordinary user has only
// the user-namespace helper; root has both, so CI (root) tests the
// unprivileged path too.
func modes() []mode {
	if os.Geteuid() == 0 {
		return []mode{{"root", false}, {"userns", true}}
	}
	return []mode{{"userns", true}}
}

// eachMode runs f once per helper mode, with that mode's shared helper.
func eachMode(t *testing.T, f func(t *testing.T, h *Helper)) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) { f(t, shared(t, m.userNS)) })
	}
}

// The tests' shared helpers, one per mode, started on first use (a helper
// takes a second to start under -race) and ended with the test binary.
var helpers struct {
	mu sync.Mutex
	h  map[bool]*Helper
}

// shared returns the mode's shared helper, or skips as startOrSkip does.
func shared(t *testing.T, userNS bool) *Helper {
	t.Helper()
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if h := helpers.h[userNS]; h != nil && h.gone() == nil {
		return h
	}
	h, err := startProven(userNS)
	skipOrFail(t, err)
	if helpers.h == nil {
		helpers.h = map[bool]*Helper{}
	}
	helpers.h[userNS] = h
	return h
}

// startOrSkip starts a helper of the test's own, closed when the test ends.
// Where the kernel refuses namespaces the test is skipped with the reason —
// except under CI=true, where it must run.
func startOrSkip(t *testing.T, userNS bool) *Helper {
	t.Helper()
	h, err := startProven(userNS)
	skipOrFail(t, err)
	t.Cleanup(func() { h.Close() })
	return h
}

// skipOrFail skips the test when err says the kernel refused namespaces
// (unless CI=true), and fails it on any other error.
func skipOrFail(t *testing.T, err error) {
	t.Helper()
	var ue *UnavailableError
	switch {
	case err == nil:
	case errors.As(err, &ue) && os.Getenv("CI") != "true":
		t.Skipf("namespaces unavailable here: %v", err)
	default:
		t.Fatal(err)
	}
}

// newNS makes a namespace, closed when the test ends.
func newNS(t *testing.T, h *Helper) *Namespace {
	t.Helper()
	ns, err := h.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// open is sockets.NewIn in ns (nil: this process's namespace), closed when
// the test ends. policy nil is the local profile with the wildcard.
func open(t *testing.T, ns *Namespace, fam sockets.Family, typ sockets.Type, policy *sockets.Policy) *sockets.Socket {
	t.Helper()
	if policy == nil {
		policy = &sockets.Policy{Wildcard: true}
	}
	var opener sockets.Opener
	if ns != nil {
		opener = ns.Socket
	}
	s, e := sockets.NewIn(fam, typ, policy, opener)
	if e != nil {
		t.Fatal(e)
	}
	t.Cleanup(s.Close)
	return s
}

// ctx is a test's context for calls that wait; a deadline far beyond any
// real wait only keeps a broken test from hanging.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// listen binds a TCP socket in ns to host:port and listens.
func listen(t *testing.T, ns *Namespace, host string, port int) *sockets.Socket {
	t.Helper()
	s := open(t, ns, sockets.AFInet, sockets.SockStream, nil)
	if _, e := s.Bind(sockets.Addr{Host: host, Port: port}); e != nil {
		t.Fatalf("bind %s:%d: %v", host, port, e)
	}
	if e := s.Listen(sockets.DefaultBacklog); e != nil {
		t.Fatal(e)
	}
	return s
}

// errnoOf is the errno name of a sockets error ("" for nil).
func errnoOf(e *sockets.Error) string {
	if e == nil {
		return ""
	}
	return e.Errno
}

func mustPrefixes(s ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, v := range s {
		ps = append(ps, netip.MustParsePrefix(v))
	}
	return ps
}
