package sockets

import (
	"context"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// MaxBufsize is the largest bufsize a receive may ask for (1 MiB).
const MaxBufsize = 1 << 20

// pooledSize is the size of the receive buffers kept in bufPool. Buffers are
// taken only for the length of one system call, so an idle or waiting socket
// holds none.
const pooledSize = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, pooledSize); return &b }}

// Flag names accepted by Recv/RecvFrom and Send.
var (
	recvFlags = map[string]int{"MSG_PEEK": unix.MSG_PEEK, "MSG_DONTWAIT": unix.MSG_DONTWAIT, "MSG_WAITALL": unix.MSG_WAITALL}
	sendFlags = map[string]int{"MSG_DONTWAIT": unix.MSG_DONTWAIT, "MSG_MORE": unix.MSG_MORE}
)

func parseFlags(table map[string]int, names []string) (int, *Error) {
	f := 0
	for _, n := range names {
		v, ok := table[n]
		if !ok {
			return 0, BadRequest("", "unsupported flag %q", n)
		}
		f |= v
	}
	return f, nil
}

// Received is what one receive call returned.
type Received struct {
	Data      []byte // a new slice, the caller's own
	From      *Addr  // sender of a datagram; nil on a connected stream
	Truncated bool   // the datagram was longer than bufsize; its tail is gone
	Size      int    // the datagram's real size (len(Data) for a stream)

	// On a stream socket: the bytes' place in the incoming stream, and the
	// send calls of the sockplay socket at the other end that they hold.
	Stream [2]int64
	Sends  []SendRecord
}

// Recv is Python's recv(bufsize, flags): it waits for data and returns at most
// bufsize bytes. An empty Data on a stream socket means the peer closed.
func (s *Socket) Recv(ctx context.Context, bufsize int, flags []string, opts CallOptions) (Received, *Error) {
	return s.receive(ctx, opts, "recv", bufsize, flags)
}

// RecvFrom is Python's recvfrom(bufsize, flags), through recvmsg so that a
// datagram longer than bufsize is reported as truncated with its real size.
func (s *Socket) RecvFrom(ctx context.Context, bufsize int, flags []string, opts CallOptions) (Received, *Error) {
	return s.receive(ctx, opts, "recvfrom", bufsize, flags)
}

func (s *Socket) receive(ctx context.Context, opts CallOptions, op string, bufsize int, flags []string) (Received, *Error) {
	if opts.Preempts != nil && s.typ == SockDgram {
		return s.takeOver(opts.Preempts, op, bufsize, flags)
	}
	if bufsize < 0 {
		return Received{}, BadRequest("ValueError", "negative buffersize in %s", op)
	}
	if bufsize > MaxBufsize {
		return Received{}, &Error{Kind: KindLimit, Message: "bufsize is limited to 1048576 bytes here", Hint: "Ask for at most 1 MiB per call; loop to read more."}
	}
	fl, e := parseFlags(recvFlags, flags)
	if e != nil {
		return Received{}, e
	}
	if e := s.checkOpen(); e != nil {
		return Received{}, e
	}
	if s.typ == SockDgram {
		fl |= unix.MSG_TRUNC // report the datagram's real length
	} else {
		s.settle()
	}
	c := &recvCall{bufsize: bufsize, fl: fl}
	attempt := c.attempt
	waitAll := fl&unix.MSG_WAITALL != 0 && fl&(unix.MSG_PEEK|unix.MSG_DONTWAIT) == 0 && s.typ == SockStream && s.Timeout() == nil
	if waitAll {
		attempt = s.receiveAll(bufsize, fl, &c.r, &c.err)
	}
	if e := s.wait(ctx, opts, reading, unix.EAGAIN, attempt); e != nil && !(waitAll && len(c.r.Data) > 0) {
		return Received{}, e
	}
	if e := wrapErr(op, c.err); e != nil {
		return Received{}, e
	}
	r := c.r
	if s.typ == SockStream && !s.noStream {
		r.Stream, r.Sends = s.recordRecv(len(r.Data), fl&unix.MSG_PEEK != 0)
	}
	return r, nil
}

// recvCall is one receive's attempts: each one recvmsg of at most bufsize
// bytes with flags fl, whose outcome goes to r and err.
type recvCall struct {
	bufsize, fl int
	r           Received
	err         error
}

// attempt is one recvmsg. It reports done unless the socket had nothing
// (and fl has no MSG_DONTWAIT).
func (c *recvCall) attempt(fd int) bool {
	bp := bufPool.Get().(*[]byte)
	buf := *bp
	if c.bufsize > len(buf) {
		buf = make([]byte, c.bufsize)
	}
	var n, rflags int
	var from syscall.Sockaddr
	n, _, rflags, from, c.err = syscall.Recvmsg(fd, buf[:c.bufsize], nil, c.fl)
	if c.err == nil {
		kept := min(n, c.bufsize)
		c.r = Received{Data: append([]byte{}, buf[:kept]...), Size: n, Truncated: rflags&unix.MSG_TRUNC != 0}
		c.r.From = fromSockaddr(from)
	}
	bufPool.Put(bp)
	return !retry(c.err) || c.fl&unix.MSG_DONTWAIT != 0
}

// takeOver is the preempting receive of p's waiting call (see Preempt):
// one recvmsg, made whatever the socket's timeout and even while the
// waiting call holds the reader's turn, through the descriptor's Control
// (a Read would queue behind the waiting call). Anything but a datagram or
// a receive error taken is ErrWouldWait: so are bad arguments and a closed
// socket, which the waiting call reports itself.
func (s *Socket) takeOver(p *Preempt, op string, bufsize int, flags []string) (Received, *Error) {
	fl, e := parseFlags(recvFlags, flags)
	if e != nil || bufsize < 0 || bufsize > MaxBufsize || s.checkOpen() != nil {
		return Received{}, ErrWouldWait
	}
	fl |= unix.MSG_TRUNC
	c := &recvCall{bufsize: bufsize, fl: fl}
	took := p.take(func() bool {
		if s.rc.Control(func(fd uintptr) { c.attempt(int(fd)) }) != nil {
			return false // closed: the waiting call reports it
		}
		return !retry(c.err)
	})
	if !took {
		return Received{}, ErrWouldWait
	}
	if e := wrapErr(op, c.err); e != nil {
		return Received{}, e
	}
	return c.r, nil
}

// receiveAll is recv(bufsize, MSG_WAITALL) on a blocking socket: the kernel
// would wait until bufsize bytes have come, the peer closes or an error
// occurs. Our descriptor is non-blocking, so the kernel returns what is
// there; the attempt keeps reading (each a real recv) and waits in between.
// Bytes already read are returned, not lost, if the call is cancelled.
// (With a timeout set, Python's socket is non-blocking too, and MSG_WAITALL
// returns what is there: the caller uses the plain attempt then.)
func (s *Socket) receiveAll(bufsize, fl int, r *Received, err *error) func(fd int) bool {
	buf := make([]byte, bufsize)
	got := 0
	return func(fd int) bool {
		for got < bufsize {
			n, _, _, _, rerr := unix.Recvmsg(fd, buf[got:], nil, fl)
			if retry(rerr) {
				*r = Received{Data: buf[:got], Size: got}
				return false
			}
			if rerr != nil {
				if got == 0 {
					*err = rerr
				}
				break
			}
			if n == 0 {
				break // the peer closed: return what came
			}
			got += n
		}
		*r = Received{Data: buf[:got], Size: got}
		return true
	}
}

// Send is Python's send(data, flags): one send call, which on a stream socket
// may take only part of data. It waits while the send buffer is full.
func (s *Socket) Send(ctx context.Context, data []byte, flags []string, opts CallOptions) (int, *Error) {
	fl, e := parseFlags(sendFlags, flags)
	if e != nil {
		return 0, e
	}
	return s.send(ctx, opts, "send", data, nil, fl, false)
}

// SendAll is Python's sendall(data): it sends until all of data is gone,
// waiting for buffer space as often as needed, all within one timeout.
func (s *Socket) SendAll(ctx context.Context, data []byte, opts CallOptions) (int, *Error) {
	return s.send(ctx, opts, "sendall", data, nil, 0, true)
}

// SendTo is Python's sendto(data, addr). It returns the number of bytes sent
// and the socket's local address (bound implicitly if it was not).
func (s *Socket) SendTo(ctx context.Context, data []byte, addr Addr, opts CallOptions) (int, Addr, *Error) {
	if e := s.checkOpen(); e != nil {
		return 0, Addr{}, e
	}
	ip, e := resolve(s.family, "sendto", addr)
	if e != nil {
		return 0, Addr{}, e
	}
	if e := s.policy.CheckPeer(ip, addr.Port); e != nil {
		return 0, Addr{}, e
	}
	if !s.policy.Wildcard && !s.isBound() {
		if e := s.policy.checkImplicitBind("sendto"); e != nil {
			return 0, Addr{}, e
		}
	}
	n, e := s.send(ctx, opts, "sendto", data, sockaddr(ip, addr), 0, false)
	if e != nil {
		return n, Addr{}, e
	}
	return n, s.sendToLocal(), nil
}

// sendToLocal is the local address SendTo reports. It is read from the
// kernel once (the first sendto binds an unbound socket) and kept until a
// connect, which may give a datagram socket another local IP.
func (s *Socket) sendToLocal() Addr {
	if a := s.local.Load(); a != nil {
		return *a
	}
	a, e := s.GetSockName()
	if e == nil {
		s.local.Store(&a)
	}
	return a
}

func (s *Socket) send(ctx context.Context, opts CallOptions, op string, data []byte, to unix.Sockaddr, flags int, all bool) (int, *Error) {
	if e := s.checkOpen(); e != nil {
		return 0, e
	}
	flags |= unix.MSG_NOSIGNAL
	s.settle()
	c := &sendCall{s: s, tag: opts.Tag, data: data, to: to, flags: flags, all: all}
	c.track = s.typ == SockStream && !s.noStream
	e := s.wait(ctx, opts, writing, unix.EAGAIN, c.attempt)
	if e == nil {
		e = wrapErr(op, c.err)
	}
	if c.track && (e == nil || c.sent > 0) {
		s.recordSend(opts, c.rec)
	}
	return c.sent, e
}

// sendCall is one send call's state, which its attempts share: one value
// for all of them (and one closure, the attempt method).
type sendCall struct {
	s     *Socket
	tag   any // CallOptions.Tag, for the send record
	data  []byte
	to    unix.Sockaddr
	flags int
	all   bool        // until data is all sent (sendall)
	track bool        // keep a send record (a stream socket's)
	rec   *SendRecord // the call's send record, once a byte has gone
	sent  int
	err   error
}

// attempt sends what is left of the data, in as many system calls as the
// kernel takes bytes for (one, unless all). It reports done unless the
// buffer is full (and the call may wait).
func (c *sendCall) attempt(fd int) bool {
	s := c.s
	for {
		var n int
		if c.track {
			// The record grows with each system call, under the lock
			// the receiving end takes to read it: a receive can never
			// hold bytes no record accounts for yet.
			s.stream.mu.Lock()
		}
		n, c.err = unix.SendmsgN(fd, c.data[c.sent:], nil, c.to, c.flags)
		if c.track {
			if n > 0 {
				c.rec = s.stream.grow(c.tag, c.rec, n)
			}
			s.stream.mu.Unlock()
		}
		if c.err != nil {
			return !retry(c.err) || c.flags&unix.MSG_DONTWAIT != 0
		}
		c.sent += n
		if !c.all || c.sent == len(c.data) {
			return true
		}
	}
}
