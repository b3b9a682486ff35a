package peers_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
	"sockplay/sockets/peers"
)

// safety bounds how long a test waits for something that should happen; it
// is a guard against hanging, never an assertion about timing.
const safety = 10 * time.Second

// recorder collects a peer's events. After Stop has returned no event may
// come (the peer promises its goroutines have ended).
type recorder struct {
	t       testing.TB
	mu      sync.Mutex
	events  []peers.Event
	stopped bool
	more    chan struct{}
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, more: make(chan struct{}, 1)}
}

func (r *recorder) report(ev peers.Event) {
	r.mu.Lock()
	if r.stopped {
		r.t.Errorf("event %q (%s) reported after Stop returned", ev.What, ev.Note)
	}
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// wait returns the first n events that match, waiting for them.
func (r *recorder) wait(n int, match func(peers.Event) bool) []peers.Event {
	r.t.Helper()
	deadline := time.After(safety)
	for {
		var got []peers.Event
		r.mu.Lock()
		for _, ev := range r.events {
			if match(ev) {
				got = append(got, ev)
			}
		}
		all := append([]peers.Event(nil), r.events...)
		r.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		select {
		case <-r.more:
		case <-deadline:
			var whats []string
			for _, ev := range all {
				whats = append(whats, ev.What+": "+ev.Note)
			}
			r.t.Fatalf("got %d matching events, want %d; all events:\n%s", len(got), n, strings.Join(whats, "\n"))
		}
	}
}

// all returns every event so far.
func (r *recorder) all() []peers.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]peers.Event(nil), r.events...)
}

// what matches events by What.
func what(w string) func(peers.Event) bool {
	return func(ev peers.Event) bool { return ev.What == w }
}

// start starts a peer that is stopped when the test ends.
func start(t testing.TB, name string, addr sockets.Addr, opts map[string]any, pol *sockets.Policy) (*peers.Peer, *recorder) {
	t.Helper()
	rec := newRecorder(t)
	p, e := peers.Start(context.Background(), name, addr, opts, pol, rec.report)
	if e != nil {
		t.Fatalf("Start(%s, %v, %v): %v (kind %s)", name, addr, opts, e, e.Kind)
	}
	t.Cleanup(func() { stop(p, rec) })
	return p, rec
}

// stop stops p and marks rec so that a later event fails the test.
func stop(p *peers.Peer, rec *recorder) {
	p.Stop()
	rec.mu.Lock()
	rec.stopped = true
	rec.mu.Unlock()
}

// loopback is a port-0 address on 127.0.0.1.
var loopback = sockets.Addr{Host: "127.0.0.1"}

// newSocket creates an engine socket closed when the test ends.
func newSocket(t testing.TB, typ sockets.Type, pol *sockets.Policy) *sockets.Socket {
	t.Helper()
	s, e := sockets.New(sockets.AFInet, typ, pol)
	if e != nil {
		t.Fatalf("New: %v", e)
	}
	t.Cleanup(s.Close)
	return s
}

// udpSocket creates an engine UDP socket bound to 127.0.0.1.
func udpSocket(t testing.TB) (*sockets.Socket, sockets.Addr) {
	t.Helper()
	s := newSocket(t, sockets.SockDgram, nil)
	a, e := s.Bind(loopback)
	mustOK(t, "bind", e)
	return s, a
}

// dial connects a new engine TCP socket to addr.
func dial(t testing.TB, ctx context.Context, addr sockets.Addr) *sockets.Socket {
	t.Helper()
	s := newSocket(t, sockets.SockStream, nil)
	if _, e := s.Connect(ctx, addr, sockets.CallOptions{}); e != nil {
		t.Fatalf("connect %v: %v", addr, e)
	}
	return s
}

// recvN receives exactly n bytes (in as many recv calls as it takes).
func recvN(t testing.TB, ctx context.Context, s *sockets.Socket, n int) []byte {
	t.Helper()
	var got []byte
	for len(got) < n {
		r, e := s.Recv(ctx, n-len(got), nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if len(r.Data) == 0 {
			t.Fatalf("the peer closed after %d of %d bytes: %q", len(got), n, got)
		}
		got = append(got, r.Data...)
	}
	return got
}

func mustOK(t testing.TB, op string, e *sockets.Error) {
	t.Helper()
	if e != nil {
		t.Fatalf("%s: got error %v (kind %s), want none", op, e, e.Kind)
	}
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	t.Cleanup(cancel)
	return ctx
}

// python is a Python 3 program run as an outside client of a peer.
type python struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// startPython runs script with args (30 s at most). Without python3 the
// test is skipped, except under CI=true, where that is a failure.
func startPython(t *testing.T, script string, args ...any) *python {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed for this test: %v", err)
		}
		t.Skipf("no python3: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	argv := []string{"-c", script}
	for _, a := range args {
		argv = append(argv, fmtArg(a))
	}
	p := &python{t: t, cmd: exec.CommandContext(ctx, path, argv...)}
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start python3: %v", err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

func fmtArg(a any) string {
	switch v := a.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return v
	}
	panic("python argument must be an int or a string")
}

// line reads the next line the program prints.
func (p *python) line() string {
	p.t.Helper()
	l, err := p.out.ReadString('\n')
	if err != nil {
		p.t.Fatalf("python printed %q, then %v; stderr:\n%s", l, err, p.stderr.String())
	}
	return strings.TrimRight(l, "\n")
}

// wait waits for the program and returns the rest of its output, failing
// the test unless it exits 0.
func (p *python) wait() string {
	p.t.Helper()
	rest, _ := io.ReadAll(p.out)
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("python: %v; stderr:\n%s", err, p.stderr.String())
	}
	return string(rest)
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("got %q, want a number", s)
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }

// pause is the interval between two looks at something a test polls.
func pause() { time.Sleep(time.Millisecond) }
