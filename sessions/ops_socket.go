package sessions

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// The socket op and the socket calls that finish at once: bind, listen,
// setsockopt, getsockopt, settimeout, setblocking, shutdown, close,
// getsockname and getpeername (stat is in stat.go).

func (s *Session) openCount() int {
	n := len(s.peers) + s.checks // each running peer or check counts as one socket
	for _, e := range s.socks {
		if !e.closed {
			n++
		}
	}
	return n
}

func (s *Session) limitError() *sockets.Error {
	return &sockets.Error{
		Kind:    sockets.KindLimit,
		Message: fmt.Sprintf("a session may have at most %d open sockets", s.cfg.MaxSockets),
		Hint:    "Close sockets you no longer need.",
	}
}

// add gives sock the next handle and logs its state.
func (s *Session) add(sock *sockets.Socket, listener string) *entry {
	s.next++
	e := &entry{handle: "s" + strconv.Itoa(s.next), sock: sock, listener: listener}
	s.socks[e.handle] = e
	s.order = append(s.order, e.handle)
	s.touch(e.handle)
	return e
}

func (s *Session) opSocket(req *call) {
	fam, typ := sockets.Family(req.Family), sockets.Type(req.Type)
	if fam == "" {
		fam = sockets.AFInet
	}
	if typ == "" {
		typ = sockets.SockStream
	}
	if s.openCount() >= s.cfg.MaxSockets {
		s.result(req, "", nil, s.limitError())
		return
	}
	place, err := s.placeOn(req.Host) // lab.go
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	sock, err := sockets.NewIn(fam, typ, place.policy, place.open)
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	e := s.add(sock, "")
	e.host, e.program = place.host, programOf(req)
	s.result(req, e.handle, struct {
		FD      int            `json:"fd"`
		Family  sockets.Family `json:"family"`
		Type    sockets.Type   `json:"type"`
		Host    string         `json:"host,omitempty"`
		Program string         `json:"program,omitempty"`
	}{sock.FD(), fam, typ, place.host, e.program}, nil)
	s.refresh(e)
}

func (s *Session) socketBody(e *entry) SocketBody {
	in := e.sock.Info()
	if e.closed {
		in.State = sockets.Closed
	}
	b := SocketBody{
		Sock: e.handle, FD: in.FD, Family: in.Family, Type: in.Type, State: in.State,
		Timeout: timeoutJSON(in.Timeout), Options: in.Options,
		ShutRD: in.ShutRD, ShutWR: in.ShutWR, Listener: e.listener, Host: e.host,
		Program: e.program,
	}
	if in.Local != nil {
		b.Laddr = addrOf(*in.Local)
	}
	if in.Peer != nil {
		b.Raddr = addrOf(*in.Peer)
	}
	return b
}

// refresh logs a socket message if the socket's state changed since the last.
func (s *Session) refresh(e *entry) {
	b := s.socketBody(e)
	j, _ := b.AppendFields(nil)
	if bytes.Equal(j, e.last) {
		return
	}
	e.last, e.state, e.local = j, b.State, b.Laddr.A
	if b.Laddr.A != nil && b.Raddr.A != nil {
		e.connLocal, e.connPeer = b.Laddr.A, b.Raddr.A
	}
	s.append(KindSocket, b)
}

type addrField struct {
	Addr Addr `json:"addr"`
}

type valueField struct {
	Value int `json:"value"`
}

func (s *Session) opBind(req *call, e *entry) (any, *sockets.Error) {
	addr, err := req.Addr.Get()
	if err != nil {
		return nil, err
	}
	a, err := e.sock.Bind(addr)
	return addrField{addrOf(a)}, err
}

func (s *Session) opListen(req *call, e *entry) (any, *sockets.Error) {
	backlog := sockets.DefaultBacklog
	if req.Backlog != nil {
		backlog = *req.Backlog
	}
	if backlog < 0 || backlog > MaxBacklog {
		return nil, sockets.BadRequest("ValueError", "listen() backlog must be 0-%d, not %d (the kernel caps it at SOMAXCONN anyway; Python's default is %d)", MaxBacklog, backlog, sockets.DefaultBacklog)
	}
	return struct {
		Backlog int `json:"backlog"`
	}{backlog}, e.sock.Listen(backlog)
}

func (s *Session) opSetsockopt(req *call, e *entry) (any, *sockets.Error) {
	if b, fields, err := parseBytesValue(req.Value); err != nil || b != nil {
		if err != nil {
			return nil, err
		}
		v, ok, err := e.sock.SetOptionBytes(req.Level, req.Option, b)
		if ok {
			return valueField{v}, err
		}
		return struct {
			Value membership `json:"value"`
		}{fields}, err
	}
	v, err := parseValue(req.Value)
	if err != nil {
		return nil, err
	}
	v, err = e.sock.SetOption(req.Level, req.Option, v)
	return valueField{v}, err
}

func (s *Session) opGetsockopt(req *call, e *entry) (any, *sockets.Error) {
	if req.Buflen != nil {
		b, err := e.sock.GetOptionBytes(req.Level, req.Option, *req.Buflen)
		if err != nil {
			return nil, err
		}
		return struct {
			Data *Data `json:"data"`
		}{NewData(b, s.encoding, len(b))}, nil
	}
	v, err := e.sock.GetOption(req.Level, req.Option)
	return valueField{v}, err
}

func (s *Session) opSettimeout(req *call, e *entry) (any, *sockets.Error) {
	d, err := parseTimeout(req.Timeout)
	if err != nil {
		return nil, err
	}
	return setTimeout(e, d)
}

func (s *Session) opSetblocking(req *call, e *entry) (any, *sockets.Error) {
	if req.Flag == nil {
		return nil, sockets.BadRequest("TypeError", "setblocking() needs flag (true or false)")
	}
	var d *time.Duration
	if !*req.Flag {
		d = new(time.Duration)
	}
	return setTimeout(e, d)
}

// setTimeout sets e's timeout (nil: blocking) for settimeout and
// setblocking, and returns their fields.
func setTimeout(e *entry, d *time.Duration) (any, *sockets.Error) {
	return struct {
		Timeout protocol.Raw `json:"timeout"`
	}{timeoutJSON(d)}, e.sock.SetTimeout(d)
}

func (s *Session) opShutdown(req *call, e *entry) (any, *sockets.Error) {
	return nil, e.sock.Shutdown(req.How)
}

// closeFields is close's result: AlreadyClosed when the socket was closed
// before (closing it again does nothing, as in Python), so that the cell
// kernel's re-run cleanup names only the sockets it really closed.
type closeFields struct {
	AlreadyClosed bool `json:"already_closed,omitempty"`
}

func (s *Session) opClose(_ *call, e *entry) (any, *sockets.Error) {
	if e.closed {
		return closeFields{AlreadyClosed: true}, nil
	}
	e.sock.Close()
	e.closed = true
	return nil, nil
}

func (s *Session) opGetsockname(_ *call, e *entry) (any, *sockets.Error) {
	a, err := e.sock.GetSockName()
	return addrField{addrOf(a)}, err
}

func (s *Session) opGetpeername(_ *call, e *entry) (any, *sockets.Error) {
	a, err := e.sock.GetPeerName()
	return addrField{addrOf(a)}, err
}
