package sessions

import (
	"bytes"
	"strconv"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Request is one decoded request (protocol.Request): what a transport
// hands to Do, DoBatch and Reject.
type Request = protocol.Request

// call is a request as the session runs it: the decoded request, the
// connection that made it and when the session took it. The request is the
// transport's, which hands it over (DoBatch's calls point into its slice,
// copying nothing).
type call struct {
	*Request
	from *Subscriber // the connection that made the request (Do, DoBatch)

	// Start is when the session took the request (set by Do, DoBatch and
	// Reject): the latency given to Config.OnOp is measured from it.
	Start time.Time

	spec   *opSpec // its op's, once looked up (op)
	looked bool
}

// op returns the spec of the call's op, or nil if opTable has none; it is
// looked up once.
func (c *call) op() *opSpec {
	if !c.looked {
		c.spec, c.looked = opTable[c.Op], true
	}
	return c.spec
}

// Do hands a request from sub's connection to the session. Its outcome is
// logged as a result message. A subscriber's first request also starts its
// stream of messages: from the requested seq for resume, otherwise from its
// hello.
func (s *Session) Do(sub *Subscriber, req Request) {
	req.FillArgs()
	c := &call{Request: &req, from: sub, Start: time.Now()}
	s.withLock(func() {
		s.activate(sub, req.Op == "resume")
		s.mapRequest(sub, c)
		s.handle(c)
	})
}

// DoBatch hands the requests of one frame to the session, in order, as one
// step: each is handled as by Do (a non-nil bads[i] rejects reqs[i] as by
// Reject), and a blocking call that would have waited is tried once more
// after the others, before it is left to wait.
func (s *Session) DoBatch(sub *Subscriber, reqs []Request, bads []*sockets.Error) {
	s.DoFrames(sub, []Frame{{Reqs: reqs, Bads: bads}})
}

// Frame is the requests of one frame, as DoBatch takes them.
type Frame struct {
	Reqs []Request
	Bads []*sockets.Error
}

// DoFrames hands frames that came together (a transport had the later
// ones in hand as the first was read) to the session as one step: each
// frame is run as by DoBatch, in order, and each frame's outcome is what
// it would be on its own, its waiting messages included. What the step
// spares is the wake-ups between them: a datagram receive of one frame
// that waits is started on its goroutine only after the step (and then
// only after Config.DeferWait, or at the next request that is not a
// sendto: launchDeferred), so that when a later frame's sendto feeds it
// (takeOver) it needs no goroutine at all, and the writers are woken
// once, for every frame's messages.
func (s *Session) DoFrames(sub *Subscriber, frames []Frame) {
	now := time.Now()
	calls := make([][]call, len(frames))
	for i, f := range frames {
		calls[i] = make([]call, len(f.Reqs))
		for j := range f.Reqs {
			f.Reqs[j].FillArgs()
			calls[i][j] = call{Request: &f.Reqs[j], from: sub, Start: now}
		}
	}
	s.withLock(func() {
		for i, f := range frames {
			s.runFrame(sub, calls[i], f.Bads)
		}
		s.launchUnstarted()
	})
}

// runFrame runs one frame's requests (DoBatch).
func (s *Session) runFrame(sub *Subscriber, calls []call, bads []*sockets.Error) {
	s.batching, s.batchOut, s.collecting = true, 0, true
	defer func() { s.batching, s.batchOut = false, 0 }()
	for i := range calls {
		c := &calls[i] // closures keep a pointer, not a copy of the struct
		s.mapRequest(sub, c)
		s.activate(sub, c.Op == "resume" && bads[i] == nil)
		s.rest, s.restBad = calls[i+1:], bads[i+1:]
		if bads[i] != nil {
			s.result(c, c.Sock, nil, bads[i])
			continue
		}
		s.handle(c)
	}
	s.collecting, s.rest, s.restBad = false, nil, nil
	retries := s.retries
	for i := range retries {
		r := &retries[i]
		s.tryAgain(r.req, r.e, r.run)
	}
	clear(retries) // the array is kept for the next batch, not what it held
	s.retries = retries[:0]
}

// Reject logs the failed result of a request that could not be decoded; req
// holds what could be read of it, and the result echoes its id, op and sock.
func (s *Session) Reject(sub *Subscriber, req Request, e *sockets.Error) {
	req.FillArgs()
	c := &call{Request: &req, from: sub, Start: time.Now()}
	s.withLock(func() {
		s.activate(sub, false)
		s.mapRequest(sub, c)
		s.result(c, c.Sock, nil, e)
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

func (s *Session) result(req *call, sock string, fields any, e *sockets.Error) {
	if e != nil {
		fields = nil
	}
	s.resultWith(req, sock, fields, e)
}

// resultWith logs a result that keeps its fields even when it failed.
func (s *Session) resultWith(req *call, sock string, fields any, e *sockets.Error) {
	b := ResultBody{ID: req.ID, Op: req.Op, OK: e == nil, Sock: sock, Fields: fields, Request: req.Echo, plainRequest: req.PlainEcho()}
	if len(b.ID) == 0 {
		b.ID = protocol.Null
	}
	if e != nil {
		b.Error = errorBody(e)
	}
	s.counted(req, fields, e)
	s.appendTo(KindResult, b, req.from, nil)
	s.touch(sock)
}

// resultTo logs a successful result whose connection that made the request
// gets own as its fields instead (nil: the logged ones).
func (s *Session) resultTo(req *call, sock string, fields, own any) {
	if own == nil || req.from == nil {
		s.result(req, sock, fields, nil)
		return
	}
	b := ResultBody{ID: req.ID, Op: req.Op, OK: true, Sock: sock, Fields: fields, Request: req.Echo, plainRequest: req.PlainEcho()}
	if len(b.ID) == 0 {
		b.ID = protocol.Null
	}
	mine := b
	mine.Fields = own
	s.appendTo(KindResult, b, req.from, mine)
}

// opSpec is how the session runs one op. Exactly one of run, now and
// prepare is set: run for a session op, which names no socket; now and
// prepare for a socket call, made on the socket req.Sock names.
type opSpec struct {
	// run handles the op and logs its result (inside withLock).
	run func(s *Session, req *call)
	// now makes a socket call that finishes at once (inside withLock); its
	// fields and error are the result.
	now func(s *Session, req *call, e *entry) (any, *sockets.Error)
	// prepare checks the arguments of a socket call that may wait (inside
	// withLock) and returns the call, which start makes.
	prepare func(s *Session, req *call, e *entry) (opCall, *sockets.Error)
	// tryFirst reports whether a call that may wait is tried once without
	// waiting before it goes to a goroutine: only calls whose attempt that
	// would wait changes nothing (see sockets.CallOptions.TryOnce). nil: never.
	tryFirst func(req *call, e *entry) bool
	// quiet: the op never changes what a socket message shows.
	quiet bool
	// limit names the limit that refuses the op, as Stats.LimitHits counts
	// it ("": "other").
	limit string
}

// waits reports whether the op may wait: it runs on its own goroutine then.
func (o opSpec) waits() bool { return o.prepare != nil }

// opTable declares every op, by name. It is filled in by init because
// the ops refer back to it (through result, counted and opName).
//
// To add an op: add its line here (run for a session op; now or prepare
// for a socket call), write its function in the file of its kind, add its
// request fields to protocol.Request with a plain Go type (see package
// protocol's documentation: one line each, nothing else to declare), and
// document both in web/PROTOCOL.md.
var opTable map[string]*opSpec

func init() {
	opTable = map[string]*opSpec{
		// Session ops (ops_session.go, and the files named).
		"resume":   {run: (*Session).opResume},
		"cancel":   {run: (*Session).opCancel},
		"encoding": {run: (*Session).opEncoding},
		"socket":   {run: (*Session).opSocket, limit: "sockets"}, // ops_socket.go
		"spawn":    {run: (*Session).opSpawn, limit: "peers"},    // peers.go
		"kill":     {run: (*Session).opKill},                     // peers.go
		"reset":    {run: (*Session).opReset},                    // reset.go
		"check":    {run: (*Session).opCheck, limit: "checks"},   // check.go
		"watch":    {run: (*Session).opWatch},                    // stat.go
		"lab":      {run: (*Session).opLab},                      // lab.go
		"segments": {run: (*Session).opSegments},                 // segments.go
		"select":   {run: (*Session).opSelect},                   // ops_select.go
		"packets":  {run: (*Session).opPackets},                  // ops_packets.go
		"run":      {run: (*Session).opRun, limit: "programs"},   // ops_program.go
		"stop":     {run: (*Session).opStop},                     // ops_program.go
		"input":    {run: (*Session).opInput, limit: "input"},    // ops_program.go
		"cell":     {run: (*Session).opCell, limit: "input"},     // ops_cell.go

		// Rooms (room_ops.go).
		"room_join":    {run: (*Session).opRoomJoin, limit: "rooms"},
		"room_leave":   {run: (*Session).opRoomLeave},
		"room_at":      {run: (*Session).opRoomAt},
		"room_follow":  {run: (*Session).opRoomFollow},
		"room_drive":   {run: (*Session).opRoomDrive},
		"room_show":    {run: (*Session).opRoomShow},
		"room_push":    {run: (*Session).opRoomPush},
		"room_hint":    {run: (*Session).opRoomHint},
		"room_observe": {run: (*Session).opRoomObserve},
		"room_reset":   {run: (*Session).opRoomReset},
		"room_peers":   {run: (*Session).opRoomPeers},
		"room_check":   {run: (*Session).opRoomCheck},
		"room_end":     {run: (*Session).opRoomEnd},

		// The session's attach code (attach.go).
		"attach":        {run: (*Session).opAttach},
		"attach_revoke": {run: (*Session).opAttachRevoke},

		// Socket calls that finish at once (ops_socket.go; stat in stat.go).
		"bind":        {now: (*Session).opBind},
		"listen":      {now: (*Session).opListen},
		"setsockopt":  {now: (*Session).opSetsockopt},
		"getsockopt":  {now: (*Session).opGetsockopt, quiet: true},
		"settimeout":  {now: (*Session).opSettimeout},
		"setblocking": {now: (*Session).opSetblocking},
		"shutdown":    {now: (*Session).opShutdown},
		"close":       {now: (*Session).opClose},
		"getsockname": {now: (*Session).opGetsockname, quiet: true},
		"getpeername": {now: (*Session).opGetpeername, quiet: true},
		"stat":        {now: (*Session).opStat, quiet: true},

		// Socket calls that may wait (ops_io.go).
		"accept":   {prepare: (*Session).prepareAccept, tryFirst: always, limit: "sockets"},
		"connect":  {prepare: (*Session).prepareConnect},
		"send":     {prepare: (*Session).prepareSend, tryFirst: onDatagram, quiet: true, limit: "data"},
		"sendall":  {prepare: (*Session).prepareSend, quiet: true, limit: "data"},
		"sendto":   {prepare: (*Session).prepareSend, tryFirst: onDatagram, limit: "data"},
		"recv":     {prepare: (*Session).prepareRecv, tryFirst: withoutWaitAll, quiet: true, limit: "bufsize"},
		"recvfrom": {prepare: (*Session).prepareRecv, tryFirst: withoutWaitAll, quiet: true, limit: "bufsize"},

		// Framing (frames.go).
		"send_frame": {prepare: (*Session).prepareSendFrame, quiet: true, limit: "frame"},
		"recv_frame": {prepare: (*Session).prepareRecvFrame, quiet: true, limit: "frame"},
	}
}

// handle runs a request from the connection req.from (inside withLock).
func (s *Session) handle(req *call) {
	if e := checkID(req.ID); e != nil {
		s.result(req, "", nil, e)
		return
	}
	if req.from != nil && req.from.program == "" && bytes.HasPrefix(bytes.TrimSpace(req.ID), []byte("-")) {
		s.result(req, "", nil, sockets.BadRequest("ValueError", "id %s is negative: negative ids are the session's for its programs' requests; use a positive id", bytes.TrimSpace(req.ID)))
		return
	}
	// Any op, not only a blocking one, would make a second result with an id
	// that is still waiting.
	if key := bytes.TrimSpace(req.ID); s.pending[string(key)] != nil {
		s.result(req, req.Sock, nil, sockets.BadRequest("", "request id %s is still waiting; use a new id", key))
		return
	}
	if len(s.deferred) > 0 && req.Op != "sendto" {
		s.launchDeferred() // what this request does may concern them: they wait as they would have
	}
	op := req.op()
	if req.from != nil && req.from.observer && !observerMay[req.Op] {
		s.result(req, "", nil, &sockets.Error{Kind: KindForbidden, Message: "this is a read-only view of a student's session: only resume and watch may be sent on it"})
		return
	}
	switch {
	case req.Op == "":
		s.result(req, "", nil, sockets.BadRequest("", "op is required"))
		return
	case op == nil:
		s.result(req, "", nil, sockets.BadRequest("", "unknown op %q", req.Op))
		return
	case op.run != nil:
		op.run(s, req)
		return
	}
	e, ok := s.socks[req.Sock]
	if !ok {
		s.result(req, req.Sock, nil, sockets.BadRequest("", "no socket %q in this session", req.Sock))
		return
	}
	if op.waits() {
		s.start(req, e, op)
		return
	}
	fields, err := op.now(s, req, e)
	s.result(req, e.handle, fields, err)
	s.refreshAfter(req, e)
}

// refreshAfter refreshes a socket's state after req's op (one of opTable's),
// unless the op cannot have changed it (a sendto can only by binding an
// unbound socket).
func (s *Session) refreshAfter(req *call, e *entry) {
	if req.op().quiet || req.Op == "sendto" && e.state != sockets.Created {
		return
	}
	s.refresh(e)
}

func orNull(raw protocol.Raw) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

func checkID(id protocol.Raw) *sockets.Error {
	if len(id) == 0 || string(id) == "null" {
		return sockets.BadRequest("", "id is required: an integer chosen by the client")
	}
	if _, err := strconv.ParseInt(string(bytes.TrimSpace(id)), 10, 64); err != nil {
		return sockets.BadRequest("", "id must be an integer, not %s", id)
	}
	return nil
}
