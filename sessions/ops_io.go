package sessions

import (
	"context"
	"slices"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// The socket calls that may wait: accept, connect, send, sendall, sendto,
// recv and recvfrom. Each prepare checks its request's arguments (inside
// withLock) and returns the call that start makes.

// always is the tryFirst of a call whose attempt that would wait never
// changes anything (accept).
func always(*call, *entry) bool { return true }

// onDatagram is the tryFirst of send and sendto: only a datagram's attempt
// that would wait changes nothing (a stream may take part of the data).
func onDatagram(_ *call, e *entry) bool { return e.sock.Type() == sockets.SockDgram }

// withoutWaitAll is the tryFirst of recv and recvfrom: MSG_WAITALL may
// take bytes in an attempt that then waits for more.
func withoutWaitAll(req *call, _ *entry) bool {
	return !slices.Contains(req.Flags, "MSG_WAITALL")
}

func (s *Session) prepareAccept(req *call, e *entry) (opCall, *sockets.Error) {
	if s.openCount() >= s.cfg.MaxSockets {
		return nil, s.limitError()
	}
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		conn, peer, err := e.sock.Accept(ctx, opts)
		if err != nil {
			return s.done(req, e, nil, err)
		}
		return func() {
			if s.openCount() >= s.cfg.MaxSockets {
				conn.Close()
				s.done(req, e, nil, s.limitError())()
				return
			}
			c := s.add(conn, e.handle)
			c.host, c.program = e.host, programOf(req)
			s.result(req, e.handle, struct {
				Conn    string `json:"conn"`
				FD      int    `json:"fd"`
				Addr    Addr   `json:"addr"`
				Program string `json:"program,omitempty"`
			}{c.handle, conn.FD(), addrOf(peer), c.program}, nil)
			s.refresh(e)
			s.refresh(c)
		}
	}, nil
}

func (s *Session) prepareConnect(req *call, e *entry) (opCall, *sockets.Error) {
	addr, err := req.Addr.Get()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		local, err := e.sock.Connect(ctx, addr, opts)
		if err != nil {
			return s.done(req, e, nil, err)
		}
		peer, _ := e.sock.GetPeerName()
		return s.done(req, e, struct {
			Addr Addr `json:"addr"`
			Peer Addr `json:"peer"`
		}{addrOf(local), addrOf(peer)}, nil)
	}, nil
}

// prepareSend prepares send, sendall and sendto.
func (s *Session) prepareSend(req *call, e *entry) (opCall, *sockets.Error) {
	sock := e.sock
	data, err := req.Data.Bytes(s.cfg.MaxData)
	if err != nil {
		return nil, err
	}
	var addr sockets.Addr
	if req.Op == "sendto" {
		if addr, err = req.Addr.Get(); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		var f sendFields
		var err *sockets.Error
		// A stream's send range, as OnSent tells it (a datagram's call
		// allocates nothing for it).
		var sent *sentRange
		if sock.Type() == sockets.SockStream { // only streams keep send records
			sent = new(sentRange)
			opts.Tag = sendTag{s.ID, req.ID}
			opts.OnSent = sent.note
		}
		switch req.Op {
		case "send":
			f.N, err = sock.Send(ctx, data, req.Flags, opts)
		case "sendall":
			f.N, err = sock.SendAll(ctx, data, opts)
		default:
			var local sockets.Addr
			f.N, local, err = sock.SendTo(ctx, data, addr, opts)
			f.Addr = addrOf(local)
		}
		if sent != nil && sent.ok {
			f.Stream = &sent.r
		}
		return s.done(req, e, f, err)
	}, nil
}

// prepareRecv prepares recv and recvfrom.
func (s *Session) prepareRecv(req *call, e *entry) (opCall, *sockets.Error) {
	sock := e.sock
	if req.Bufsize == nil {
		return nil, sockets.BadRequest("TypeError", "%s() missing required argument 'bufsize'", req.Op)
	}
	bufsize := *req.Bufsize
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		r, err := receive(ctx, sock, req, bufsize, opts) // (the closure below copies r)
		if err != nil {
			return s.done(req, e, nil, err)
		}
		return func() {
			// With full, the caller's own result shows every byte (whole);
			// the log and other connections get the bounded data.
			full := req.Full && len(r.Data) > s.cfg.MaxShown
			f := recvFields{Truncated: r.Truncated, Size: r.Size}
			var whole *Data
			if sock.Type() == sockets.SockStream {
				f.Data, whole = e.streamData(r, s.encoding, slices.Contains(req.Flags, "MSG_PEEK"), s.cfg.MaxShown, full)
				stream := r.Stream
				f.Stream = &stream
				f.Sends = s.sendRefs(r.Sends)
			} else {
				f.Data, _ = newDataAfter(r.Data, s.encoding, nil, s.cfg.MaxShown, true)
				if full {
					whole, _ = newDataAfter(r.Data, s.encoding, nil, len(r.Data), true)
				}
			}
			var fields, own any
			if req.Op == "recvfrom" {
				from := Addr{r.From} // the receive's own
				fields = recvfromFields{from, f}
				if whole != nil {
					wf := f
					wf.Data = whole
					own = recvfromFields{from, wf}
				}
			} else {
				fields = f
				if whole != nil {
					wf := f
					wf.Data = whole
					own = wf
				}
			}
			s.resultTo(req, e.handle, fields, own)
			s.refreshAfter(req, e)
		}
	}, nil
}

// receive makes req's recv or recvfrom call on sock.
func receive(ctx context.Context, sock *sockets.Socket, req *call, bufsize int, opts sockets.CallOptions) (sockets.Received, *sockets.Error) {
	if req.Op == "recv" {
		return sock.Recv(ctx, bufsize, req.Flags, opts)
	}
	return sock.RecvFrom(ctx, bufsize, req.Flags, opts)
}

// sentRange is the range of a stream's bytes a send call sent, once its
// OnSent tells it.
type sentRange struct {
	r  [2]int64
	ok bool
}

func (s *sentRange) note(r sockets.SendRecord) { s.r, s.ok = [2]int64{r.Start, r.End}, true }

// sendTag marks a send call with the session and request that made it, so a
// receive in any session can name it.
type sendTag struct {
	session string
	id      protocol.Raw
}

type sendFields struct {
	N      int       `json:"n"`
	Addr   Addr      `json:"addr,omitzero"` // sendto's: the local address it sent from
	Stream *[2]int64 `json:"stream,omitempty"`
}

type recvFields struct {
	Data      *Data     `json:"data"`
	Truncated bool      `json:"truncated"`
	Size      int       `json:"size"`
	Stream    *[2]int64 `json:"stream,omitempty"`
	Sends     []SendRef `json:"sends,omitempty"`
}

type recvfromFields struct {
	Addr Addr `json:"addr"`
	recvFields
}

// SendRef names a send call whose bytes a receive holds: its request id if it
// was made in this session (else null), its index on the sending socket and
// its byte range in the sender's stream.
type SendRef struct {
	ID    protocol.Raw `json:"id"`
	Index int          `json:"index"`
	Range [2]int64     `json:"range"`
}

func (s *Session) sendRefs(rs []sockets.SendRecord) []SendRef {
	if len(rs) == 0 {
		return nil
	}
	out := make([]SendRef, len(rs))
	for i, r := range rs {
		out[i] = SendRef{ID: protocol.Null, Index: r.Index, Range: [2]int64{r.Start, r.End}}
		if t, ok := r.Tag.(sendTag); ok && t.session == s.ID {
			out[i].ID = t.id
		}
	}
	return out
}
