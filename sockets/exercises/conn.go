package exercises

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"sockplay/sockets"
)

// dial connects a new TCP socket to target. who names the client in the
// calls reported ("A: connect(…)"); it may be empty.
func (c *checker) dial(who string, to sockets.Addr) (*conn, *sockets.Error) {
	s, e := c.open(sockets.SockStream)
	if e != nil {
		return nil, e
	}
	k := &conn{c: c, s: s, who: who}
	ctx, cancel := context.WithTimeout(c.ctx, c.reply)
	defer cancel()
	if _, e := s.Connect(ctx, to, sockets.CallOptions{}); e != nil {
		if e.Kind == sockets.KindCancelled && c.ctx.Err() == nil {
			e = &sockets.Error{Kind: sockets.KindTimeout, Exception: "TimeoutError", Message: "timed out"}
		}
		k.callf("connect(%s) → %v", to, e)
		return nil, e
	}
	k.callf("connect(%s)", to)
	return k, nil
}

// connectStep is the step "connect": it dials c.target and passes, or
// fails with advice and returns nil.
func (c *checker) connectStep() *conn {
	c.begin("connect", "the connection accepted")
	c.did("connect to %s", c.target)
	k, e := c.dial("", c.target)
	if e != nil {
		c.fail(e.Error(), connectAdvice(e, c.target))
		return nil
	}
	c.pass("connected")
	return k
}

// listen opens a listening TCP socket on addr and reports it with
// EventListening.
func (c *checker) listen(addr sockets.Addr) (*sockets.Socket, sockets.Addr, *sockets.Error) {
	s, e := c.open(sockets.SockStream)
	if e != nil {
		return nil, sockets.Addr{}, e
	}
	// As a Python server would, so that a check can run again at once on
	// the same port.
	if _, e := s.SetOption("SOL_SOCKET", "SO_REUSEADDR", 1); e != nil {
		return nil, sockets.Addr{}, e
	}
	bound, e := s.Bind(addr)
	if e != nil {
		return nil, sockets.Addr{}, e
	}
	if e := s.Listen(sockets.DefaultBacklog); e != nil {
		return nil, sockets.Addr{}, e
	}
	c.call("bind(%s); listen()", bound)
	c.report(Event{Step: len(c.steps), Kind: EventListening, Addr: &bound, Text: fmt.Sprintf("listening on %s", bound)})
	return s, bound, nil
}

// accept waits until deadline for a connection on l.
func (c *checker) accept(l *sockets.Socket, deadline time.Time) (*conn, sockets.Addr, ending) {
	ctx, cancel := context.WithDeadline(c.ctx, deadline)
	defer cancel()
	s, peer, e := l.Accept(ctx, sockets.CallOptions{})
	if e != nil {
		end := c.ending(e)
		c.call("accept() → %s", end.describe(time.Until(deadline)))
		return nil, sockets.Addr{}, end
	}
	c.socks = append(c.socks, s)
	c.call("accept() → %s", peer)
	return &conn{c: c, s: s}, peer, ending{}
}

// conn is one TCP connection of the checker, with the bytes received and
// not yet consumed.
type conn struct {
	c   *checker
	s   *sockets.Socket
	who string
	buf []byte
}

func (k *conn) callf(format string, args ...any) {
	if k.who != "" {
		format = k.who + ": " + format
	}
	k.c.call(format, args...)
}

// sendall sends data and reports the call.
func (k *conn) sendall(data []byte) *sockets.Error {
	ctx, cancel := context.WithTimeout(k.c.ctx, k.c.reply)
	defer cancel()
	if _, e := k.s.SendAll(ctx, data, sockets.CallOptions{}); e != nil {
		if end := k.c.ending(e); end.kind == endTimeout {
			e = &sockets.Error{Kind: sockets.KindTimeout, Exception: "TimeoutError", Message: "timed out (your program is not reading)"}
		}
		k.callf("sendall(%s) → %v", show(data), e)
		return e
	}
	k.callf("sendall(%s)", show(data))
	return nil
}

// read makes one recv(bufsize) call that may wait until deadline and
// appends what came to k.buf.
func (k *conn) read(deadline time.Time, bufsize int) ending {
	ctx, cancel := context.WithDeadline(k.c.ctx, deadline)
	defer cancel()
	r, e := k.s.Recv(ctx, bufsize, nil, sockets.CallOptions{})
	if e != nil {
		end := k.c.ending(e)
		if end.kind == endError {
			k.callf("recv(%d) → %v", bufsize, e)
		}
		return end
	}
	k.callf("recv(%d) → %s", bufsize, show(r.Data))
	if len(r.Data) == 0 {
		return ending{kind: endEOF}
	}
	k.buf = append(k.buf, r.Data...)
	return ending{}
}

// readExact returns the next n bytes of the stream, waiting at most wait in
// all. It never reads past them.
func (k *conn) readExact(n int, wait time.Duration) got {
	deadline := time.Now().Add(wait)
	for len(k.buf) < n {
		if end := k.read(deadline, min(n-len(k.buf), 65536)); end.kind != endNone {
			g := got{data: k.buf, want: n, wait: wait, end: end}
			k.buf = nil
			return g
		}
	}
	g := got{data: k.buf[:n:n], want: n, wait: wait}
	k.buf = k.buf[n:]
	return g
}

// readLine returns the bytes up to and including the next b'\n', waiting
// at most wait in all; it gives up after max bytes without one.
func (k *conn) readLine(wait time.Duration, max int) got {
	deadline := time.Now().Add(wait)
	for {
		if i := bytes.IndexByte(k.buf, '\n'); i >= 0 {
			g := got{data: k.buf[: i+1 : i+1], wait: wait}
			k.buf = k.buf[i+1:]
			return g
		}
		if len(k.buf) >= max {
			g := got{data: k.buf, wait: wait, end: ending{kind: endError, err: &sockets.Error{Message: fmt.Sprintf("no b'\\n' within %d bytes", max)}}}
			k.buf = nil
			return g
		}
		if end := k.read(deadline, 1024); end.kind != endNone {
			g := got{data: k.buf, wait: wait, end: end}
			k.buf = nil
			return g
		}
	}
}

// readEOF waits at most wait for the peer to close. When something else
// happens it returns what did (bytes that came instead, a timeout, an error).
func (k *conn) readEOF(wait time.Duration) (string, bool) {
	end := ending{}
	if len(k.buf) == 0 {
		end = k.read(time.Now().Add(wait), 1024)
	}
	switch {
	case len(k.buf) > 0:
		return show(k.buf) + ", not the end of the stream", false
	case end.kind == endEOF:
		return "", true
	}
	return end.describe(wait) + " (the connection stayed open)", false
}

// close closes the connection and reports it.
func (k *conn) close() {
	k.s.Close()
	k.callf("close()")
}
