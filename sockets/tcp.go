package sockets

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"
)

// Bind binds the socket to addr and returns the address as bound (with the
// real port when port 0 was asked).
func (s *Socket) Bind(addr Addr) (Addr, *Error) {
	if e := s.checkOpen(); e != nil {
		return Addr{}, e
	}
	ip, e := resolve(s.family, "bind", addr)
	if e != nil {
		return Addr{}, e
	}
	if e := s.policy.CheckBind(ip, addr.Port); e != nil {
		return Addr{}, e
	}
	if e := s.control("bind", func(fd int) error { return unix.Bind(fd, sockaddr(ip, addr)) }); e != nil {
		return Addr{}, e
	}
	return s.GetSockName()
}

// isBound reports whether the kernel has given the socket a port.
func (s *Socket) isBound() bool {
	a, e := s.GetSockName()
	return e == nil && a.Port != 0
}

// Listen marks a stream socket as accepting connections. A negative backlog
// counts as 0, as in Python.
func (s *Socket) Listen(backlog int) *Error {
	if e := s.checkOpen(); e != nil {
		return e
	}
	if backlog < 0 {
		backlog = 0
	}
	if s.typ == SockStream && !s.isBound() {
		if e := s.policy.checkImplicitBind("listen"); e != nil {
			return e
		}
	}
	if e := s.control("listen", func(fd int) error { return unix.Listen(fd, backlog) }); e != nil {
		return e
	}
	s.mu.Lock()
	s.listening = true
	s.mu.Unlock()
	return nil
}

// Accept waits for a connection on a listening socket and returns the new
// connected socket and the peer's address.
func (s *Socket) Accept(ctx context.Context, opts CallOptions) (*Socket, Addr, *Error) {
	if e := s.checkOpen(); e != nil {
		return nil, Addr{}, e
	}
	var nfd int
	var sa syscall.Sockaddr
	var err error
	e := s.wait(ctx, opts, reading, unix.EAGAIN, func(fd int) bool {
		nfd, sa, err = syscall.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return !retry(err) && err != unix.ECONNABORTED
	})
	if e == nil {
		e = wrapErr("accept", err)
	}
	if e != nil {
		return nil, Addr{}, e
	}
	c, werr := wrap(nfd, s.family, s.typ, s.policy) // closes nfd on an error
	if werr != nil {
		return nil, Addr{}, werr
	}
	c.register()
	return c, *fromSockaddr(sa), nil
}

// Connect connects the socket to addr and returns the local address the
// kernel picked (binding implicitly if needed).
func (s *Socket) Connect(ctx context.Context, addr Addr, opts CallOptions) (Addr, *Error) {
	if e := s.checkOpen(); e != nil {
		return Addr{}, e
	}
	defer s.local.Store(nil) // a datagram socket may get another local IP
	defer s.connects.Add(1)  // its peer may have changed (Stat)
	ip, e := resolve(s.family, "connect", addr)
	if e != nil {
		return Addr{}, e
	}
	if e := s.policy.CheckPeer(ip, addr.Port); e != nil {
		return Addr{}, e
	}
	started := false
	var err error
	e = s.wait(ctx, opts, writing, unix.EINPROGRESS, func(fd int) bool {
		if !started {
			started = true
			err = unix.Connect(fd, sockaddr(ip, addr))
			if err == unix.EINPROGRESS || err == unix.EINTR {
				s.setConnecting(true)
				return false
			}
			return true
		}
		// The poller may wake us before the handshake ends; ask the kernel.
		n, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if gerr != nil {
			err = gerr
			return true
		}
		switch en := unix.Errno(n); en {
		case 0:
			if _, perr := syscall.Getpeername(fd); perr == unix.ENOTCONN {
				return false
			}
			err = nil
			return true
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false
		default:
			err = en
			return true
		}
	})
	if e == nil {
		e = wrapErr("connect", err)
	}
	if e == nil || e.Kind != KindTimeout && e.Kind != KindCancelled && e.Errno != "EINPROGRESS" && e.Errno != "EALREADY" {
		if e != nil {
			s.settle() // EISCONN: an earlier non-blocking connect has finished
		}
		s.setConnecting(false)
	}
	if e != nil {
		return Addr{}, e
	}
	s.register()
	return s.GetSockName()
}

func (s *Socket) setConnecting(v bool) {
	s.mu.Lock()
	s.connecting = v
	s.mu.Unlock()
}

// Shutdown closes one or both directions of a connection: how is SHUT_RD,
// SHUT_WR or SHUT_RDWR.
func (s *Socket) Shutdown(how string) *Error {
	if e := s.checkOpen(); e != nil {
		return e
	}
	var h int
	switch how {
	case "SHUT_RD":
		h = unix.SHUT_RD
	case "SHUT_WR":
		h = unix.SHUT_WR
	case "SHUT_RDWR":
		h = unix.SHUT_RDWR
	default:
		return BadRequest("", "how must be SHUT_RD, SHUT_WR or SHUT_RDWR, not %q", how)
	}
	if e := s.control("shutdown", func(fd int) error { return unix.Shutdown(fd, h) }); e != nil {
		return e
	}
	s.mu.Lock()
	if h != unix.SHUT_WR {
		s.listening = false // Linux stops listening on a shut-down listener
	}
	s.shutRD = s.shutRD || h != unix.SHUT_WR
	s.shutWR = s.shutWR || h != unix.SHUT_RD
	s.mu.Unlock()
	return nil
}

// GetSockName returns the socket's local address.
func (s *Socket) GetSockName() (Addr, *Error) {
	var sa syscall.Sockaddr
	e := s.control("getsockname", func(fd int) (err error) { sa, err = syscall.Getsockname(fd); return })
	if e != nil {
		return Addr{}, e
	}
	return *fromSockaddr(sa), nil
}

// GetPeerName returns the address of the connected peer (ENOTCONN if none).
func (s *Socket) GetPeerName() (Addr, *Error) {
	var sa syscall.Sockaddr
	e := s.control("getpeername", func(fd int) (err error) { sa, err = syscall.Getpeername(fd); return })
	if e != nil {
		return Addr{}, e
	}
	return *fromSockaddr(sa), nil
}
