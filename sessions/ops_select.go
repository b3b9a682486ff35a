package sessions

import (
	"bytes"
	"context"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// opSelect is select.select on the session's sockets (inside withLock):
// {"op":"select","read":["s1"],"write":["s2"],"timeout":0.5} waits until a
// socket of read is readable or one of write is writable, or the timeout
// (seconds; null or absent: no limit; 0: only look) runs out, and answers
// {"read":[…],"write":[…]}, the ready ones (both empty on a timeout). It is
// a blocking request: waiting once it has to wait, cancel ends it, and a
// socket closed under it ends it with EBADF. Its goroutine only polls, so
// other calls on the same sockets (a recv in another thread) go on.
func (s *Session) opSelect(req *call) {
	read, write, err := s.selectArgs(req)
	var timeout *time.Duration
	if err == nil {
		timeout, err = selectTimeout(req.Timeout)
	}
	if err == nil && len(read)+len(write) == 0 && timeout == nil {
		err = sockets.BadRequest("ValueError", "select needs sockets in read or write, or a timeout: with neither it would wait forever")
	}
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	key := string(bytes.TrimSpace(req.ID)) // not waiting: handle checked
	ctx, cancel := context.WithCancel(s.ctx)
	s.pending[key] = &pending{id: req.ID, op: req.Op, cancel: cancel, echo: req.Echo}
	onWait := func() {
		s.withLock(func() {
			if p := s.pending[key]; p != nil && !s.ending && !p.waited {
				p.waited = true
				s.appendTo(KindWaiting, WaitingBody{ID: req.ID, Op: req.Op, Request: req.Echo}, req.from, nil)
			}
		})
	}
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		defer cancel()
		r, w, err := sockets.WaitReady(ctx, socketsOf(read), socketsOf(write), timeout, onWait)
		s.withLock(func() {
			delete(s.pending, key)
			if s.ending {
				return
			}
			s.result(req, "", selectFields{Read: handlesAt(read, r), Write: handlesAt(write, w)}, err)
		})
	}()
}

// selectFields is select's result.
type selectFields struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}

// selectArgs finds the sockets read and write name (each list may be
// absent or empty; a handle may repeat, as a file descriptor may in
// Python's lists).
func (s *Session) selectArgs(req *call) (read, write []*entry, err *sockets.Error) {
	if read, err = s.selectList("read", req.Read); err == nil {
		write, err = s.selectList("write", req.Write)
	}
	return read, write, err
}

func (s *Session) selectList(name string, handles []string) ([]*entry, *sockets.Error) {
	es := make([]*entry, len(handles))
	for i, h := range handles {
		e, ok := s.socks[h]
		if !ok {
			return nil, sockets.BadRequest("", "%s: no socket %q in this session", name, h)
		}
		if e.closed {
			return nil, sockets.BadRequest("ValueError", "%s: socket %s is closed (Python: file descriptor cannot be a negative integer (-1))", name, h)
		}
		es[i] = e
	}
	return es, nil
}

// selectTimeout parses select's timeout: nil (absent or null) waits
// without limit.
func selectTimeout(raw protocol.Raw) (*time.Duration, *sockets.Error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d, err := parseTimeout(raw)
	if err != nil {
		return nil, sockets.BadRequest(err.Exception, "select's timeout must be a number of seconds, at least 0, or null to wait without limit")
	}
	return d, nil
}

func socketsOf(es []*entry) []*sockets.Socket {
	out := make([]*sockets.Socket, len(es))
	for i, e := range es {
		out[i] = e.sock
	}
	return out
}

// handlesAt returns the handles of es at the indexes is, never nil (the
// result shows [] for none).
func handlesAt(es []*entry, is []int) []string {
	out := []string{}
	for _, i := range is {
		out = append(out, es[i].handle)
	}
	return out
}
