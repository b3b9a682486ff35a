package sockets_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
)

// safety bounds how long a test waits for something that should happen at
// once; it is a guard against hanging, never an assertion about timing.
const safety = 10 * time.Second

// loopback returns the loopback host of family f.
func loopback(f sockets.Family) string {
	if f == sockets.AFInet6 {
		return "::1"
	}
	return "127.0.0.1"
}

// newSocket creates a socket that is closed when the test ends.
func newSocket(t testing.TB, f sockets.Family, typ sockets.Type, p *sockets.Policy) *sockets.Socket {
	t.Helper()
	s, err := sockets.New(f, typ, p)
	if err != nil {
		t.Fatalf("New(%s, %s): %v", f, typ, err)
	}
	t.Cleanup(s.Close)
	return s
}

// boundSocket creates a socket bound to the loopback address of f on a free
// port, and returns it with its address.
func boundSocket(t testing.TB, f sockets.Family, typ sockets.Type, p *sockets.Policy) (*sockets.Socket, sockets.Addr) {
	t.Helper()
	s := newSocket(t, f, typ, p)
	a, e := s.Bind(sockets.Addr{Host: loopback(f)})
	mustOK(t, "bind", e)
	return s, a
}

// listener creates a listening TCP socket on the loopback address of f.
func listener(t testing.TB, f sockets.Family) (*sockets.Socket, sockets.Addr) {
	t.Helper()
	l, a := boundSocket(t, f, sockets.SockStream, nil)
	mustOK(t, "listen", l.Listen(sockets.DefaultBacklog))
	return l, a
}

// tcpPair returns the two ends of a TCP connection over the loopback of f.
// The connect completes against the listen backlog, so no goroutine is needed.
func tcpPair(t testing.TB, f sockets.Family) (client, server *sockets.Socket) {
	t.Helper()
	l, la := listener(t, f)
	client = newSocket(t, f, sockets.SockStream, nil)
	if _, e := client.Connect(context.Background(), la, sockets.CallOptions{}); e != nil {
		t.Fatalf("connect: %v", e)
	}
	server, _, e := l.Accept(context.Background(), sockets.CallOptions{})
	mustOK(t, "accept", e)
	t.Cleanup(server.Close)
	return client, server
}

func mustOK(t testing.TB, op string, e *sockets.Error) {
	t.Helper()
	if e != nil {
		t.Fatalf("%s: got error %v (kind %s), want none", op, e, e.Kind)
	}
}

// wantErr is the exact error an operation must end with.
type wantErr struct {
	kind      sockets.Kind
	errno     string
	code      int
	exception string
	message   string
}

// errEBADF is what every operation on a closed socket reports.
var errEBADF = wantErr{sockets.KindOS, "EBADF", 9, "OSError", "[Errno 9] Bad file descriptor"}

func checkErr(t testing.TB, got *sockets.Error, want wantErr) {
	t.Helper()
	if got == nil {
		t.Fatalf("got no error, want %s %q", want.kind, want.message)
	}
	if got.Kind != want.kind {
		t.Errorf("Kind: got %v, want %v (error %v)", got.Kind, want.kind, got)
	}
	if got.Errno != want.errno {
		t.Errorf("Errno: got %q, want %q", got.Errno, want.errno)
	}
	if got.Code != want.code {
		t.Errorf("Code: got %d, want %d", got.Code, want.code)
	}
	if got.Exception != want.exception {
		t.Errorf("Exception: got %q, want %q", got.Exception, want.exception)
	}
	if got.Message != want.message {
		t.Errorf("Message: got %q, want %q", got.Message, want.message)
	}
	if want.kind != sockets.KindBadRequest && got.Hint == "" {
		t.Errorf("Hint: got empty, want a sentence for the learner")
	}
}

// onWait returns call options that close the returned channel when the
// call made with them starts to wait.
func onWait() (sockets.CallOptions, <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return sockets.CallOptions{OnWait: func() { once.Do(func() { close(ch) }) }}, ch
}

// await blocks until ch is closed or receives, failing the test after safety.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(safety):
		t.Fatalf("%s did not happen within %v", what, safety)
		panic("unreachable")
	}
}

// recvResult is the outcome of a receive run in a goroutine.
type recvResult struct {
	r sockets.Received
	e *sockets.Error
}

// goRecv starts s.Recv(bufsize) in a goroutine, waits until it is waiting in
// the kernel, and returns the channel its result will arrive on.
func goRecv(t testing.TB, ctx context.Context, s *sockets.Socket, bufsize int) <-chan recvResult {
	t.Helper()
	opts, waiting := onWait()
	done := make(chan recvResult, 1)
	go func() {
		r, e := s.Recv(ctx, bufsize, nil, opts)
		done <- recvResult{r, e}
	}()
	select {
	case <-waiting:
	case res := <-done:
		t.Fatalf("recv returned %q, %v before it waited", res.r.Data, res.e)
	case <-time.After(safety):
		t.Fatalf("recv did not start waiting within %v", safety)
	}
	return done
}

func dur(d time.Duration) *time.Duration { return &d }
