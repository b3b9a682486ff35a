package sockets_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockplay/sockets"
)

// TestBudget: sockets beyond the budget are refused with a limit error,
// closing one makes room again, and a connection accepted past the budget
// is refused and closed.
func TestBudget(t *testing.T) {
	p := &sockets.Policy{Budget: sockets.NewBudget(2)}
	l, la := boundSocket(t, sockets.AFInet, sockets.SockStream, p)
	mustOK(t, "listen", l.Listen(sockets.DefaultBacklog))
	u := newSocket(t, sockets.AFInet, sockets.SockDgram, p)
	if got := p.Budget.Open(); got != 2 {
		t.Fatalf("Open() = %d, want 2", got)
	}
	_, e := sockets.New(sockets.AFInet, sockets.SockDgram, p)
	if e == nil || e.Kind != sockets.KindLimit || !strings.Contains(e.Message, "no room for another socket") {
		t.Fatalf("third socket: %v, want a limit error", e)
	}

	// An accept over the budget: the peer's connection is closed.
	c, err := net.DialTimeout("tcp", net.JoinHostPort(la.Host, strconv.Itoa(la.Port)), safety)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if _, _, e := l.Accept(ctx, sockets.CallOptions{}); e == nil || e.Kind != sockets.KindLimit {
		t.Fatalf("accept over the budget: %v, want a limit error", e)
	}
	c.SetReadDeadline(time.Now().Add(safety))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the refused connection read %d bytes, want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the refused connection is still open")
	}

	u.Close()
	u.Close() // a second Close gives nothing back twice
	if got := p.Budget.Open(); got != 1 {
		t.Fatalf("Open() after close = %d, want 1", got)
	}
	s, e := sockets.New(sockets.AFInet, sockets.SockDgram, p)
	mustOK(t, "socket after a close", e)
	s.Close()
}
