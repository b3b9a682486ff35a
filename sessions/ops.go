package sessions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"sockplay/sockets"
)

// Request is one request from a page, as decoded from its JSON. Fields that
// can be absent or null keep their raw JSON so the two can be told apart.
type Request struct {
	ID        json.RawMessage `json:"id"`
	Op        string          `json:"op"`
	Sock      string          `json:"sock"`
	Family    string          `json:"family"`
	Type      string          `json:"type"`
	Addr      json.RawMessage `json:"addr"`
	Backlog   *int            `json:"backlog"`
	Data      *Payload        `json:"data"`
	Flags     []string        `json:"flags"`
	Bufsize   *int            `json:"bufsize"`
	Level     string          `json:"level"`
	Option    string          `json:"option"`
	Value     json.RawMessage `json:"value"`
	Timeout   json.RawMessage `json:"timeout"`
	Flag      *bool           `json:"flag"`
	How       string          `json:"how"`
	Target    json.RawMessage `json:"target"`
	After     *int64          `json:"after"`
	Encoding  string          `json:"encoding"`
	Framing   *FramingArg     `json:"framing"`
	Header    map[string]any  `json:"header"`
	Peer      string          `json:"peer"`
	Options   map[string]any  `json:"options"`
	Exercise  string          `json:"exercise"`
	Listen    json.RawMessage `json:"listen"`
	ReplyWait json.RawMessage `json:"reply_wait"`
	Socks     *[]string       `json:"socks"`
	Hidden    *bool           `json:"hidden"`
	Full      bool            `json:"full"`  // recv, recvfrom: every byte in the caller's own result
	Host      string          `json:"host"`  // socket, spawn: the lab host to make it on ("h2"); "" the session's own network
	Hosts     *int            `json:"hosts"` // lab: how many hosts (0 tears the lab down)

	from *Subscriber // the connection that made the request (Do, DoBatch)

	// Echo is the request as the client sent it (shortened when large),
	// repeated in its result and waiting messages.
	Echo json.RawMessage `json:"-"`

	// Start is when the session took the request (set by Do, DoBatch and
	// Reject): the latency given to Config.OnOp is measured from it.
	Start time.Time `json:"-"`
}

// Do hands a request from sub's connection to the session. Its outcome is
// logged as a result message. A subscriber's first request also starts its
// stream of messages: from the requested seq for resume, otherwise from its
// hello.
func (s *Session) Do(sub *Subscriber, req Request) {
	req.Start = time.Now()
	s.withLock(func() {
		s.activate(sub, req.Op == "resume")
		req.from = sub
		s.handle(sub, &req)
	})
}

// Reject logs the failed result of a request that could not be decoded; req
// holds what could be read of it, and the result echoes its id, op and sock.
// DoBatch hands the requests of one frame to the session, in order, as one
// step: each is handled as by Do (a non-nil bads[i] rejects reqs[i] as by
// Reject), and a blocking call that would have waited is tried once more
// after the others, before it is left to wait.
func (s *Session) DoBatch(sub *Subscriber, reqs []Request, bads []*sockets.Error) {
	s.withLock(func() {
		var deferred []func()
		s.batch = &deferred
		now := time.Now()
		s.batching, s.batchOut = true, 0
		defer func() { s.batching, s.batchOut = false, 0 }()
		for i := range reqs {
			req := &reqs[i] // closures keep a pointer, not a copy of the struct
			req.Start = now
			req.from = sub
			s.activate(sub, req.Op == "resume" && bads[i] == nil)
			s.rest, s.restBad = reqs[i+1:], bads[i+1:]
			if bads[i] != nil {
				s.result(req, req.Sock, nil, bads[i])
				continue
			}
			s.handle(sub, req)
		}
		s.batch, s.rest, s.restBad = nil, nil, nil
		for _, f := range deferred {
			f()
		}
	})
}

func (s *Session) Reject(sub *Subscriber, req Request, e *sockets.Error) {
	req.Start = time.Now()
	s.withLock(func() {
		s.activate(sub, false)
		s.result(&req, req.Sock, nil, e)
	})
}

// activate starts sub's stream of messages on its first request: a resume
// replays what it asks for itself, anything else replays from the hello on.
func (s *Session) activate(sub *Subscriber, resume bool) {
	if sub.active || !s.subs[sub] {
		return
	}
	sub.active = true
	if !resume {
		s.replay(sub, sub.from)
	}
}

func (s *Session) result(req *Request, sock string, fields any, e *sockets.Error) {
	if e != nil {
		fields = nil
	}
	s.resultWith(req, sock, fields, e)
}

// resultWith logs a result that keeps its fields even when it failed.
func (s *Session) resultWith(req *Request, sock string, fields any, e *sockets.Error) {
	b := ResultBody{ID: req.ID, Op: req.Op, OK: e == nil, Sock: sock, Fields: fields, Request: req.Echo}
	if len(b.ID) == 0 {
		b.ID = json.RawMessage("null")
	}
	if e != nil {
		b.Error = errorBody(e)
	}
	s.counted(req, fields, e)
	s.append(KindResult, b)
	s.touch(sock)
}

// resultTo logs a successful result whose connection that made the request
// gets own as its fields instead (nil: the logged ones).
func (s *Session) resultTo(req *Request, sock string, fields, own any) {
	if own == nil || req.from == nil {
		s.result(req, sock, fields, nil)
		return
	}
	b := ResultBody{ID: req.ID, Op: req.Op, OK: true, Sock: sock, Fields: fields, Request: req.Echo}
	if len(b.ID) == 0 {
		b.ID = json.RawMessage("null")
	}
	mine := b
	mine.Fields = own
	s.appendTo(KindResult, b, req.from, mine)
}

// blocking are the ops that may wait; they run on their own goroutine.
var blocking = map[string]bool{
	"accept": true, "connect": true, "send": true, "sendall": true, "sendto": true, "recv": true, "recvfrom": true,
	"send_frame": true, "recv_frame": true,
}

func (s *Session) handle(sub *Subscriber, req *Request) {
	if e := checkID(req.ID); e != nil {
		s.result(req, "", nil, e)
		return
	}
	// Any op, not only a blocking one, would make a second result with an id
	// that is still waiting.
	if key := string(bytes.TrimSpace(req.ID)); s.pending[key] != nil {
		s.result(req, req.Sock, nil, sockets.BadRequest("", "request id %s is still waiting; use a new id", key))
		return
	}
	switch req.Op {
	case "resume":
		if req.After == nil {
			s.result(req, "", nil, sockets.BadRequest("", "resume needs after (the last seq seen, 0 for all)"))
			return
		}
		// A seq the session never had is another session's, or a client's
		// mistake: replaying nothing would hide it.
		if *req.After < 0 || *req.After > s.lastSeq {
			s.result(req, "", nil, sockets.BadRequest("ValueError", "resume after %d: this session's seqs run from 1 to %d (0 replays everything); a last seq beyond them belongs to another session", *req.After, s.lastSeq))
			return
		}
		n, snap := s.replay(sub, *req.After)
		s.result(req, "", struct {
			Replayed int  `json:"replayed"`
			Snapshot bool `json:"snapshot"`
		}{n, snap}, nil)
		return
	case "socket":
		s.opSocket(req)
		return
	case "cancel":
		key := string(bytes.TrimSpace(req.Target))
		p, ok := s.pending[key]
		if !ok {
			s.result(req, "", nil, sockets.BadRequest("", "no waiting request has id %s", orNull(req.Target)))
			return
		}
		p.cancel()
		s.result(req, "", struct {
			Target json.RawMessage `json:"target"`
		}{req.Target}, nil)
		return
	case "encoding":
		if req.Encoding != UTF8 && req.Encoding != GBK {
			s.result(req, "", nil, sockets.BadRequest("LookupError", "unknown encoding: %q (utf-8 or gbk)", req.Encoding))
			return
		}
		s.encoding = req.Encoding
		s.result(req, "", struct {
			Encoding string `json:"encoding"`
		}{s.encoding}, nil)
		return
	case "spawn":
		s.opSpawn(req)
		return
	case "kill":
		s.opKill(req)
		return
	case "check":
		s.opCheck(req) // check.go
		return
	case "watch":
		s.opWatch(sub, req) // stat.go
		return
	case "lab":
		s.opLab(req) // lab.go
		return
	case "":
		s.result(req, "", nil, sockets.BadRequest("", "op is required"))
		return
	}
	if !blocking[req.Op] && !inline[req.Op] {
		s.result(req, "", nil, sockets.BadRequest("", "unknown op %q", req.Op))
		return
	}
	e, ok := s.socks[req.Sock]
	if !ok {
		s.result(req, req.Sock, nil, sockets.BadRequest("", "no socket %q in this session", req.Sock))
		return
	}
	if blocking[req.Op] {
		s.start(req, e)
		return
	}
	fields, err := s.inlineOp(req, e)
	s.result(req, e.handle, fields, err)
	s.refreshAfter(req.Op, e)
}

// quiet are the ops that never change what a socket message shows.
var quiet = map[string]bool{
	"recv": true, "recvfrom": true, "send": true, "sendall": true, "send_frame": true, "recv_frame": true,
	"getsockname": true, "getpeername": true, "getsockopt": true, "stat": true,
}

// refreshAfter refreshes a socket's state after op, unless op cannot have
// changed it (a sendto can only by binding an unbound socket).
func (s *Session) refreshAfter(op string, e *entry) {
	if quiet[op] || op == "sendto" && e.state != sockets.Created {
		return
	}
	s.refresh(e)
}

func orNull(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

func checkID(id json.RawMessage) *sockets.Error {
	if len(id) == 0 || string(id) == "null" {
		return sockets.BadRequest("", "id is required: an integer chosen by the client")
	}
	if _, err := strconv.ParseInt(string(bytes.TrimSpace(id)), 10, 64); err != nil {
		return sockets.BadRequest("", "id must be an integer, not %s", id)
	}
	return nil
}

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

func (s *Session) opSocket(req *Request) {
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
	e.host = place.host
	s.result(req, e.handle, struct {
		FD     int            `json:"fd"`
		Family sockets.Family `json:"family"`
		Type   sockets.Type   `json:"type"`
		Host   string         `json:"host,omitempty"`
	}{sock.FD(), fam, typ, place.host}, nil)
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
	j, _ := json.Marshal(b)
	if bytes.Equal(j, e.last) {
		return
	}
	e.last, e.state, e.local = j, b.State, b.Laddr.A
	s.append(KindSocket, b)
}

// start runs a blocking op on its own goroutine; its waiting notice and its
// result come back through withLock.
func (s *Session) start(req *Request, e *entry) {
	key := string(bytes.TrimSpace(req.ID)) // not waiting: handle checked
	wouldWait := false
	run, err := s.prepare(req, e, &wouldWait)
	if err != nil {
		s.result(req, e.handle, nil, err)
		return
	}
	// A call that can finish at once is made right here, sparing a
	// goroutine and a wake-up; one that would wait starts over on its own.
	// Inside a batch it gets a second try once the batch's other requests
	// are done: a recvfrom batched before the sendto that feeds it then
	// completes without ever waiting, and when the batch provably feeds it
	// (fedLater), the first try, which could only find the queue empty or
	// take what the second would, is skipped.
	if s.tryFirst(req, e) {
		if s.batch != nil && s.fedLater(req, e) {
			*s.batch = append(*s.batch, func() { s.tryAgain(req, e, key, run, &wouldWait) })
			return
		}
		if finish := run(sockets.TryOnce(s.ctx)); !wouldWait {
			finish()
			return
		}
		if s.batch != nil {
			*s.batch = append(*s.batch, func() { s.tryAgain(req, e, key, run, &wouldWait) })
			return
		}
	}
	s.spawn(req, e, key, run)
}

// tryAgain is a batched call's try at the batch's end: it finishes now, or
// goes to its own goroutine to wait.
func (s *Session) tryAgain(req *Request, e *entry, key string, run func(context.Context) func(), wouldWait *bool) {
	*wouldWait = false
	if finish := run(sockets.TryOnce(s.ctx)); !*wouldWait {
		finish()
		return
	}
	s.spawn(req, e, key, run)
}

// fedLater reports whether a receive on the datagram socket e, in a batch,
// may skip its first try (a recvmsg that, in a round trip, finds the queue
// empty) and be tried only at the batch's end, because a later request of
// the batch is a sendto to e's own address. Skipping is safe when nothing
// can tell the two tries apart but the log's order: e waits for a datagram
// (not non-blocking, where a first try's EAGAIN is its result), no other
// call of the session is waiting on e, and no other later request names e
// (so e is not closed, read or changed before the try). The receive then
// gets the datagram the first try would have got, the oldest queued, but
// its result follows the sendto's.
func (s *Session) fedLater(req *Request, e *entry) bool {
	if e.sock.Type() != sockets.SockDgram || e.local == nil || e.local.Port == 0 {
		return false
	}
	if t := e.sock.Timeout(); t != nil && *t == 0 {
		return false
	}
	for _, p := range s.pending {
		if p.sock == e.handle {
			return false
		}
	}
	fed := false
	for i := range s.rest {
		r := &s.rest[i]
		if r.Sock == e.handle {
			return false
		}
		if fed || s.restBad[i] != nil || r.Op != "sendto" {
			continue
		}
		if to, err := parseAddr(r.Addr); err == nil && to.Host == e.local.Host && to.Port == e.local.Port {
			fed = true
		}
	}
	return fed
}

// spawn runs a blocking op on its own goroutine: its waiting notice and its
// result come back through withLock.
func (s *Session) spawn(req *Request, e *entry, key string, run func(context.Context) func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.pending[key] = &pending{id: req.ID, op: req.Op, sock: e.handle, cancel: cancel, echo: req.Echo}
	ctx = sockets.OnWait(ctx, func() {
		s.withLock(func() {
			p := s.pending[key]
			if s.ending || p == nil || p.waited {
				return
			}
			p.waited = true
			s.append(KindWaiting, WaitingBody{ID: req.ID, Op: req.Op, Sock: e.handle, Request: req.Echo})
			if req.Op == "connect" {
				s.refresh(e)
			}
		})
	})
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		finish := run(ctx)
		cancel()
		s.withLock(func() {
			delete(s.pending, key)
			if !s.ending {
				finish()
			}
		})
	}()
}

// tryFirst reports whether req may be tried once without waiting before it
// goes to a goroutine: only calls whose attempt that would wait changes
// nothing (see sockets.TryOnce).
func (s *Session) tryFirst(req *Request, e *entry) bool {
	switch req.Op {
	case "recv", "recvfrom":
		return !slices.Contains(req.Flags, "MSG_WAITALL")
	case "accept":
		return true
	case "send", "sendto":
		return e.sock.Type() == sockets.SockDgram
	}
	return false
}

// prepare checks a blocking op's arguments (inside withLock) and
// returns the call to make on the op's goroutine. That call returns the
// closure that logs its outcome (run through withLock).
func (s *Session) prepare(req *Request, e *entry, wouldWait *bool) (func(context.Context) func(), *sockets.Error) {
	sock := e.sock
	done := func(fields any, err *sockets.Error) func() {
		if err == sockets.ErrWouldWait {
			*wouldWait = true
		}
		return func() {
			s.result(req, e.handle, fields, err)
			s.refreshAfter(req.Op, e)
		}
	}
	switch req.Op {
	case "accept":
		if s.openCount() >= s.cfg.MaxSockets {
			return nil, s.limitError()
		}
		return func(ctx context.Context) func() {
			conn, peer, err := sock.Accept(ctx)
			if err != nil {
				return done(nil, err)
			}
			return func() {
				if s.openCount() >= s.cfg.MaxSockets {
					conn.Close()
					done(nil, s.limitError())()
					return
				}
				c := s.add(conn, e.handle)
				c.host = e.host
				s.result(req, e.handle, struct {
					Conn string `json:"conn"`
					FD   int    `json:"fd"`
					Addr Addr   `json:"addr"`
				}{c.handle, conn.FD(), addrOf(peer)}, nil)
				s.refresh(e)
				s.refresh(c)
			}
		}, nil
	case "connect":
		addr, err := parseAddr(req.Addr)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) func() {
			local, err := sock.Connect(ctx, addr)
			if err != nil {
				return done(nil, err)
			}
			peer, _ := sock.GetPeerName()
			return done(struct {
				Addr Addr `json:"addr"`
				Peer Addr `json:"peer"`
			}{addrOf(local), addrOf(peer)}, nil)
		}, nil
	case "send_frame", "recv_frame":
		return s.prepareFrame(req, e, done)
	case "send", "sendall", "sendto":
		data, err := req.Data.Bytes(s.cfg.MaxData)
		if err != nil {
			return nil, err
		}
		var addr sockets.Addr
		if req.Op == "sendto" {
			if addr, err = parseAddr(req.Addr); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context) func() {
			var f sendFields
			var err *sockets.Error
			if sock.Type() == sockets.SockStream { // only streams keep send records
				ctx = sockets.OnSent(sockets.WithTag(ctx, sendTag{s.ID, req.ID}), func(r sockets.SendRecord) {
					f.Stream = &[2]int64{r.Start, r.End}
				})
			}
			switch req.Op {
			case "send":
				f.N, err = sock.Send(ctx, data, req.Flags)
			case "sendall":
				f.N, err = sock.SendAll(ctx, data)
			default:
				var local sockets.Addr
				f.N, local, err = sock.SendTo(ctx, data, addr)
				a := addrOf(local)
				f.Addr = &a
			}
			return done(f, err)
		}, nil
	default: // recv, recvfrom
		if req.Bufsize == nil {
			return nil, sockets.BadRequest("TypeError", "%s() missing required argument 'bufsize'", req.Op)
		}
		bufsize := *req.Bufsize
		return func(ctx context.Context) func() {
			var r sockets.Received
			var err *sockets.Error
			if req.Op == "recv" {
				r, err = sock.Recv(ctx, bufsize, req.Flags)
			} else {
				r, err = sock.RecvFrom(ctx, bufsize, req.Flags)
			}
			if err != nil {
				return done(nil, err)
			}
			return func() {
				// With full, the caller's own result shows every byte (whole);
				// the log and other connections get the bounded data.
				full := req.Full && len(r.Data) > s.cfg.MaxShown
				f := recvFields{Truncated: r.Truncated, Size: r.Size}
				var whole *Data
				if sock.Type() == sockets.SockStream {
					f.Data, whole = e.streamData(r, s.encoding, slices.Contains(req.Flags, "MSG_PEEK"), s.cfg.MaxShown, full)
					f.Stream = &r.Stream
					f.Sends = s.sendRefs(r.Sends)
				} else {
					f.Data = NewData(r.Data, s.encoding, s.cfg.MaxShown)
					if full {
						whole = NewData(r.Data, s.encoding, len(r.Data))
					}
				}
				var fields, own any = f, nil
				if req.Op == "recvfrom" {
					var from Addr
					if r.From != nil {
						from = addrOf(*r.From)
					}
					fields = recvfromFields{from, f}
					if whole != nil {
						wf := f
						wf.Data = whole
						own = recvfromFields{from, wf}
					}
				} else if whole != nil {
					wf := f
					wf.Data = whole
					own = wf
				}
				s.resultTo(req, e.handle, fields, own)
				s.refreshAfter(req.Op, e)
			}
		}, nil
	}
}

var inline = map[string]bool{
	"bind": true, "listen": true, "setsockopt": true, "getsockopt": true, "settimeout": true,
	"setblocking": true, "shutdown": true, "close": true, "getsockname": true, "getpeername": true,
	"stat": true,
}

type addrField struct {
	Addr Addr `json:"addr"`
}

type valueField struct {
	Value int `json:"value"`
}

func (s *Session) inlineOp(req *Request, e *entry) (any, *sockets.Error) {
	sock := e.sock
	switch req.Op {
	case "bind":
		addr, err := parseAddr(req.Addr)
		if err != nil {
			return nil, err
		}
		a, err := sock.Bind(addr)
		return addrField{addrOf(a)}, err
	case "listen":
		backlog := sockets.DefaultBacklog
		if req.Backlog != nil {
			backlog = *req.Backlog
		}
		if backlog < 0 || backlog > MaxBacklog {
			return nil, sockets.BadRequest("ValueError", "listen() backlog must be 0-%d, not %d (the kernel caps it at SOMAXCONN anyway; Python's default is %d)", MaxBacklog, backlog, sockets.DefaultBacklog)
		}
		return struct {
			Backlog int `json:"backlog"`
		}{backlog}, sock.Listen(backlog)
	case "setsockopt":
		if b, fields, err := parseBytesValue(req.Value); err != nil || b != nil {
			if err != nil {
				return nil, err
			}
			v, ok, err := sock.SetOptionBytes(req.Level, req.Option, b)
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
		v, err = sock.SetOption(req.Level, req.Option, v)
		return valueField{v}, err
	case "getsockopt":
		v, err := sock.GetOption(req.Level, req.Option)
		return valueField{v}, err
	case "settimeout", "setblocking":
		var d *time.Duration
		if req.Op == "setblocking" {
			if req.Flag == nil {
				return nil, sockets.BadRequest("TypeError", "setblocking() needs flag (true or false)")
			}
			if !*req.Flag {
				d = new(time.Duration)
			}
		} else {
			var err *sockets.Error
			if d, err = parseTimeout(req.Timeout); err != nil {
				return nil, err
			}
		}
		return struct {
			Timeout json.RawMessage `json:"timeout"`
		}{timeoutJSON(d)}, sock.SetTimeout(d)
	case "shutdown":
		return nil, sock.Shutdown(req.How)
	case "close":
		sock.Close()
		e.closed = true
		return nil, nil
	case "getsockname":
		a, err := sock.GetSockName()
		return addrField{addrOf(a)}, err
	case "stat":
		b, err := s.stat(e)
		return b, err
	default: // getpeername
		a, err := sock.GetPeerName()
		return addrField{addrOf(a)}, err
	}
}

// parseAddr reads an address as Python writes it: [host, port], or [host,
// port, flowinfo, scope_id]. The host must be a JSON string and the others
// integers: a null is not "" (the wildcard) nor port 0. A port's range is
// checked where the address is used (sockets.resolve, checkAddr).
func parseAddr(raw json.RawMessage) (sockets.Addr, *sockets.Error) {
	if a, ok := parseAddrFast(raw); ok {
		return a, nil
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) < 2 || len(parts) > 4 {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "addr must be [host, port] (or [host, port, flowinfo, scope_id] for AF_INET6), such as [\"127.0.0.1\", 9000]")
	}
	var a sockets.Addr
	if parts[0][0] != '"' || json.Unmarshal(parts[0], &a.Host) != nil {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "the host in addr must be a string, not %s: write [\"127.0.0.1\", 9000], or [\"\", 9000] for INADDR_ANY", jsonKind(parts[0]))
	}
	for i, dst := range []any{&a.Port, &a.FlowInfo, &a.ScopeID}[:len(parts)-1] {
		if string(parts[i+1]) == "null" || json.Unmarshal(parts[i+1], dst) != nil {
			what := [...]string{"port", "flowinfo", "scope_id"}[i]
			return sockets.Addr{}, sockets.BadRequest("TypeError", "the %s in addr must be an integer, not %s: write [\"127.0.0.1\", 9000]", what, parts[i+1])
		}
	}
	return a, nil
}

// jsonKind names the JSON type of the value raw, for error messages.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean (" + string(raw) + ")"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case '"':
		return "a string"
	}
	return "a number (" + string(raw) + ")"
}

// parseAddrFast reads the common case, ["host",port] with no spaces, escapes
// or signs, as encoding/json would; it reports false for anything else,
// which parseAddr leaves to encoding/json.
func parseAddrFast(raw []byte) (sockets.Addr, bool) {
	if len(raw) < 6 || raw[0] != '[' || raw[1] != '"' || raw[len(raw)-1] != ']' {
		return sockets.Addr{}, false
	}
	end := bytes.IndexByte(raw[2:], '"')
	if end < 0 {
		return sockets.Addr{}, false
	}
	host, rest := raw[2:2+end], raw[2+end+1:len(raw)-1]
	if bytes.IndexByte(host, '\\') >= 0 || !utf8.Valid(host) || slices.ContainsFunc(host, func(c byte) bool { return c < 0x20 }) {
		return sockets.Addr{}, false
	}
	if len(rest) < 2 || rest[0] != ',' {
		return sockets.Addr{}, false
	}
	digits := rest[1:]
	if len(digits) > 9 || digits[0] == '0' && len(digits) > 1 {
		return sockets.Addr{}, false
	}
	port := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return sockets.Addr{}, false
		}
		port = port*10 + int(c-'0')
	}
	return sockets.Addr{Host: string(host), Port: port}, true
}

func parseValue(raw json.RawMessage) (int, *sockets.Error) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return int(boolInt(b)), nil
	}
	var n int32
	if json.Unmarshal(raw, &n) == nil {
		return int(n), nil
	}
	return 0, sockets.BadRequest("TypeError", "value must be an integer, a boolean, or bytes ({\"hex\": \"…\"}, or {\"group\": \"224.1.1.1\", \"interface\": \"0.0.0.0\"} for a membership)")
}

func parseTimeout(raw json.RawMessage) (*time.Duration, *sockets.Error) {
	if len(raw) == 0 {
		return nil, sockets.BadRequest("TypeError", "settimeout() needs timeout: seconds, or null for blocking")
	}
	if string(raw) == "null" {
		return nil, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return nil, sockets.BadRequest("TypeError", "timeout must be a number of seconds or null")
	}
	if f < 0 {
		return nil, sockets.BadRequest("ValueError", "Timeout value out of range")
	}
	d := time.Duration(f * float64(time.Second))
	return &d, nil
}

// sendTag marks a send call with the session and request that made it, so a
// receive in any session can name it.
type sendTag struct {
	session string
	id      json.RawMessage
}

type sendFields struct {
	N      int       `json:"n"`
	Addr   *Addr     `json:"addr,omitempty"`
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
	ID    json.RawMessage `json:"id"`
	Index int             `json:"index"`
	Range [2]int64        `json:"range"`
}

func (s *Session) sendRefs(rs []sockets.SendRecord) []SendRef {
	if len(rs) == 0 {
		return nil
	}
	out := make([]SendRef, len(rs))
	for i, r := range rs {
		out[i] = SendRef{ID: json.RawMessage("null"), Index: r.Index, Range: [2]int64{r.Start, r.End}}
		if t, ok := r.Tag.(sendTag); ok && t.session == s.ID {
			out[i].ID = t.id
		}
	}
	return out
}
