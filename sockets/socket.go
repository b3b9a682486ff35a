// Package sockets is sockplay's real-socket engine. Every operation is the
// real system call on a non-blocking file descriptor handed to Go's netpoller,
// so a call that has to wait (accept, connect, recv, recvfrom, send on a full
// buffer) waits without holding a thread, and ends with its result, with a
// timeout, when cancelled, or when the socket is closed. Results and errors are
// in Python's vocabulary. The package knows nothing of HTTP, JSON or sessions.
package sockets

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// State is a socket's place in its life, as the page shows it.
type State string

// The states a socket goes through.
const (
	Created    State = "CREATED"
	Bound      State = "BOUND"
	Listening  State = "LISTENING"
	Connecting State = "CONNECTING"
	Connected  State = "CONNECTED"
	Closed     State = "CLOSED"
)

// DefaultBacklog is Python's listen() default, min(SOMAXCONN, 128).
const DefaultBacklog = 128

// Socket is one real socket. Its methods are safe for concurrent use; calls
// that wait are serialized per direction (one reader and one writer at a time,
// the rest queue behind them), as in Go's own net package.
type Socket struct {
	fd     int // for display only; all I/O goes through rc
	file   *os.File
	rc     syscall.RawConn
	family Family
	typ    Type
	policy *Policy

	reads  *turn // the waiting reader's (accept, recv, recvfrom)
	writes *turn // the waiting writer's (connect, send, sendto)

	mu         sync.Mutex
	timeout    *time.Duration // nil: blocking; 0: non-blocking
	options    map[string]int // set through SetOption, read back from the kernel
	listening  bool
	connecting bool
	shutRD     bool
	shutWR     bool
	closed     bool
	messages   *messageState // RecvMessage's turn and carried-over bytes, made on first use (message_io.go)
	statReads  *statReads    // Stat's, made on first use (stat.go)

	local atomic.Pointer[Addr] // SendTo's local address, dropped by Connect (io.go)

	// connects counts the Connect calls that have ended, so that Stat
	// knows when a datagram socket's peer may have changed (stat.go).
	connects atomic.Uint64

	stream   stream // byte offsets and send records (stream sockets)
	noStream bool   // skip the stream bookkeeping (benchmarks measure its cost)
}

// New creates a socket of family and type that obeys policy, in this
// process's network namespace.
func New(family Family, typ Type, policy *Policy) (*Socket, *Error) {
	return NewIn(family, typ, policy, nil)
}

// Opener makes the descriptor of a new socket: it gets socket(2)'s domain,
// type (with SOCK_NONBLOCK|SOCK_CLOEXEC) and protocol, and returns a
// non-blocking, close-on-exec descriptor that the Socket then owns. A
// private network's namespace has one (sockets/netns: Namespace.Socket).
type Opener func(domain, typ, proto int) (fd int, err error)

// NewIn is New with the descriptor made by open (nil: socket(2) here), so
// the socket can live in another network namespace.
func NewIn(family Family, typ Type, policy *Policy, open Opener) (*Socket, *Error) {
	if open == nil {
		open = unix.Socket
	}
	var domain, styp int
	switch family {
	case AFInet:
		domain = unix.AF_INET
	case AFInet6:
		domain = unix.AF_INET6
	default:
		return nil, BadRequest("", "family must be AF_INET or AF_INET6, not %q", family)
	}
	switch typ {
	case SockStream:
		styp = unix.SOCK_STREAM
	case SockDgram:
		styp = unix.SOCK_DGRAM
	default:
		return nil, BadRequest("", "type must be SOCK_STREAM or SOCK_DGRAM, not %q", typ)
	}
	fd, err := open(domain, styp|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, wrapErr("socket", err)
	}
	return wrap(fd, family, typ, policy)
}

// wrap makes a Socket of fd, counted in the policy's budget. On an error
// fd is closed.
func wrap(fd int, family Family, typ Type, policy *Policy) (*Socket, *Error) {
	if policy == nil {
		policy = &Policy{}
	}
	if e := policy.Budget.take(); e != nil {
		unix.Close(fd)
		return nil, e
	}
	f := os.NewFile(uintptr(fd), "socket")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		policy.Budget.release()
		return nil, wrapErr("socket", err)
	}
	s := &Socket{fd: fd, file: f, rc: rc, family: family, typ: typ, policy: policy, options: map[string]int{}}
	s.reads, s.writes = turns(rc, f.SetReadDeadline, f.SetWriteDeadline)
	return s, nil
}

// FD is the descriptor number the kernel gave the socket.
func (s *Socket) FD() int { return s.fd }

// Family is the socket's address family.
func (s *Socket) Family() Family { return s.family }

// Type is the socket's type.
func (s *Socket) Type() Type { return s.typ }

// Info is a socket's state as read from the kernel.
type Info struct {
	FD      int
	Family  Family
	Type    Type
	State   State
	Local   *Addr
	Peer    *Addr
	Timeout *time.Duration
	Options map[string]int
	ShutRD  bool
	ShutWR  bool
}

// Info reads the socket's addresses from the kernel and returns its state.
func (s *Socket) Info() Info {
	s.settle()
	s.mu.Lock()
	in := Info{
		FD: s.fd, Family: s.family, Type: s.typ, Timeout: s.timeout,
		Options: make(map[string]int, len(s.options)),
		ShutRD:  s.shutRD, ShutWR: s.shutWR,
	}
	for k, v := range s.options {
		in.Options[k] = v
	}
	closed, listening, connecting := s.closed, s.listening, s.connecting
	s.mu.Unlock()
	if closed {
		in.State = Closed
		return in
	}
	s.rc.Control(func(fd uintptr) {
		if sa, err := syscall.Getsockname(int(fd)); err == nil {
			in.Local = fromSockaddr(sa)
		}
		if sa, err := syscall.Getpeername(int(fd)); err == nil {
			in.Peer = fromSockaddr(sa)
		}
	})
	switch {
	case listening:
		in.State = Listening
	case in.Peer != nil:
		in.State = Connected
	case connecting:
		in.State = Connecting
	case in.Local != nil && in.Local.Port != 0:
		in.State = Bound
	default:
		in.State = Created
	}
	return in
}

// control runs a non-waiting system call on the descriptor.
func (s *Socket) control(op string, f func(fd int) error) *Error {
	var err error
	cerr := s.rc.Control(func(fd uintptr) { err = f(int(fd)) })
	return s.controlled(op, cerr, err)
}

// controlled is the outcome of a Control that returned cerr, having run a
// function that returned err.
func (s *Socket) controlled(op string, cerr, err error) *Error {
	if cerr != nil {
		if s.checkOpen() != nil {
			// os.File reports "use of closed file"; Python says EBADF.
			return osError(op, unix.EBADF)
		}
		return wrapErr(op, cerr)
	}
	return wrapErr(op, err)
}

// SetTimeout sets how long each waiting call may wait: nil blocks forever,
// 0 makes the socket non-blocking (Python's settimeout).
func (s *Socket) SetTimeout(d *time.Duration) *Error {
	if d != nil && *d < 0 {
		return BadRequest("ValueError", "Timeout value out of range")
	}
	if e := s.checkOpen(); e != nil {
		return e
	}
	if d != nil {
		d = new(*d) // keep our own copy
	}
	s.mu.Lock()
	s.timeout = d
	s.mu.Unlock()
	return nil
}

// Timeout returns the socket's timeout (Python's gettimeout).
func (s *Socket) Timeout() *time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timeout
}

func (s *Socket) checkOpen() *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return osError("", unix.EBADF)
	}
	return nil
}

// Close closes the socket. Calls waiting on it end with EBADF. Closing twice
// is harmless, as in Python.
func (s *Socket) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.unregister()
	s.file.Close()
	s.policy.Budget.release()
}
