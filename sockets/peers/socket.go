package peers

import (
	"fmt"
	"strings"

	"sockplay/sockets"
)

// familyOf is the family of a socket for addr: AF_INET6 for an IPv6
// host, otherwise AF_INET ("" is INADDR_ANY, as in Python).
func familyOf(a sockets.Addr) sockets.Family {
	if strings.Contains(a.Host, ":") {
		return sockets.AFInet6
	}
	return sockets.AFInet
}

// socket creates a socket of the peer's family and tracks it.
func (p *Peer) socket(typ sockets.Type) (*sockets.Socket, *sockets.Error) {
	s, e := sockets.NewIn(familyOf(p.addr), typ, p.policy, p.open)
	if e != nil {
		return nil, e
	}
	if !p.track(s) {
		return nil, sockets.BadRequest("", "the peer is stopping")
	}
	return s, nil
}

// sockopt is a SOL_SOCKET option a peer sets before bind.
type sockopt struct {
	name  string
	value int
}

// bind sets the options given and binds s to the peer's address, which
// becomes the address as bound.
func (p *Peer) bind(s *sockets.Socket, setup ...sockopt) *sockets.Error {
	for _, o := range setup {
		if _, e := s.SetOption("SOL_SOCKET", o.name, o.value); e != nil {
			return e
		}
	}
	a, e := s.Bind(p.addr)
	if e != nil {
		return e
	}
	p.addr = a
	return nil
}

// udp opens the peer's datagram socket, bound to its address.
func (p *Peer) udp(setup ...sockopt) (*sockets.Socket, *sockets.Error) {
	s, e := p.socket(sockets.SockDgram)
	if e != nil {
		return nil, e
	}
	return s, p.bind(s, setup...)
}

// listen opens the peer's listening socket. SO_REUSEADDR is set, as Python's
// socketserver servers do, so a peer can be started again on its port at
// once (connections it closed may linger in TIME_WAIT); a port another
// socket is listening on is still EADDRINUSE.
func (p *Peer) listen(setup ...sockopt) (*sockets.Socket, *sockets.Error) {
	s, e := p.socket(sockets.SockStream)
	if e != nil {
		return nil, e
	}
	if e := p.bind(s, append([]sockopt{{"SO_REUSEADDR", 1}}, setup...)...); e != nil {
		return nil, e
	}
	return s, s.Listen(sockets.DefaultBacklog)
}

// listening reports that the peer is ready.
func (p *Peer) listening(what string) {
	p.emit(Event{What: "listening", Note: fmt.Sprintf("%s %s on %v.", p.name, what, p.addr)})
}

// recvFrom waits for one datagram on s and reports it.
func (p *Peer) recvFrom(s *sockets.Socket) (sockets.Received, bool) {
	r, e := s.RecvFrom(p.ctx, 65536, nil, sockets.CallOptions{})
	if e != nil {
		p.fail("recvfrom", nil, e)
		return r, false
	}
	p.emit(Event{What: "recv", Addr: r.From, Data: r.Data, Note: fmt.Sprintf("received a datagram of %s from %v.", plural(r.Size, "byte"), r.From)})
	return r, true
}

// sendTo sends one datagram from s and reports it.
func (p *Peer) sendTo(s *sockets.Socket, data []byte, to sockets.Addr, note string) *sockets.Error {
	n, _, e := s.SendTo(p.ctx, data, to, sockets.CallOptions{})
	if e != nil {
		p.fail("sendto", &to, e)
		return e
	}
	if note == "" {
		note = fmt.Sprintf("sent a datagram of %s to %v.", plural(n, "byte"), to)
	}
	p.emit(Event{What: "sent", Addr: &to, Data: data, Note: note})
	return nil
}

// serve accepts connections on l until the peer stops, running handle for
// each on its own goroutine, with the connection's number (from 1). handle
// returns why the connection ended; the connection is closed after it.
// about, if not empty, is added to the listening note.
func (p *Peer) serve(l *sockets.Socket, about string, handle func(c *sockets.Socket, from sockets.Addr, n int) string) {
	p.spawn(func() {
		p.listening("is listening" + about)
		for n := 1; ; n++ {
			c, from, e := l.Accept(p.ctx, sockets.CallOptions{})
			if e != nil {
				p.fail("accept", nil, e)
				return
			}
			if !p.track(c) {
				return
			}
			p.mu.Lock()
			full := p.conns >= MaxConns
			if !full {
				p.conns++
			}
			p.mu.Unlock()
			if full {
				p.release(c)
				p.emit(Event{What: "error", Addr: &from, Note: fmt.Sprintf("already serving %d connections; closed the new one from %v at once.", MaxConns, from)})
				continue
			}
			p.emit(Event{What: "accepted", Addr: &from, Fields: map[string]string{"client": fmt.Sprint(n)},
				Note: fmt.Sprintf("accepted connection %d, from %v.", n, from)})
			num := n
			if !p.spawn(func() { p.finish(c, from, handle(c, from, num)) }) {
				p.release(c)
				return
			}
		}
	})
}

// finish closes a served connection and says why.
func (p *Peer) finish(c *sockets.Socket, from sockets.Addr, why string) {
	p.release(c)
	p.mu.Lock()
	p.conns--
	p.mu.Unlock()
	if !p.ending() {
		p.emit(Event{What: "closed", Addr: &from, Note: why + "; closed the connection."})
	}
}

// recv makes one recv call on a connection and reports what came. It
// returns nil data and a reason when the connection is over.
func (p *Peer) recv(c *sockets.Socket, from sockets.Addr, bufsize int) ([]byte, string) {
	r, e := c.Recv(p.ctx, bufsize, nil, sockets.CallOptions{})
	if e != nil {
		p.fail("recv", &from, e)
		return nil, "recv failed: " + e.Error()
	}
	if len(r.Data) == 0 {
		return nil, "the client closed its side (recv returned b'')"
	}
	p.emit(Event{What: "recv", Addr: &from, Data: r.Data, Note: fmt.Sprintf("received %s.", plural(len(r.Data), "byte"))})
	return r.Data, ""
}

// sendAll sends data on a connection with one sendall() and reports it.
func (p *Peer) sendAll(c *sockets.Socket, from sockets.Addr, data []byte, ev Event) *sockets.Error {
	if _, e := c.SendAll(p.ctx, data, sockets.CallOptions{}); e != nil {
		p.fail("sendall", &from, e)
		return e
	}
	ev.What, ev.Addr, ev.Data = "sent", &from, data
	if ev.Note == "" {
		ev.Note = fmt.Sprintf("sent %s.", plural(len(data), "byte"))
	}
	p.emit(ev)
	return nil
}
