package sessions

import (
	"bytes"
	"context"
	"iter"
	"slices"
	"time"

	"sockplay/sockets"
)

// How a socket call that may wait is made: prepare (its opSpec's) checks
// its arguments and returns it as an opCall; start tries it first or
// spawns it on a goroutine of its own.

// opCall is a socket call that may wait, made with ctx (its cancellation)
// and opts (whether it may wait, whom it tells). It returns the closure
// that logs its outcome (run through withLock), or nil when the call, tried
// once (opts.TryOnce), would have waited.
type opCall func(ctx context.Context, opts sockets.CallOptions) func()

// done makes the closure that logs the outcome of req's call on e: its
// fields, or its error. It returns nil for sockets.ErrWouldWait, which
// only a call tried once gets (see opCall).
func (s *Session) done(req *call, e *entry, fields any, err *sockets.Error) func() {
	if err == sockets.ErrWouldWait {
		return nil
	}
	return func() {
		s.result(req, e.handle, fields, err)
		s.refreshAfter(req, e)
		if req.Op == "sendto" && err == nil {
			s.holdFor(req)
		}
	}
}

// start makes a socket call that may wait (op's): at once if it is tried
// first and can finish, otherwise on its own goroutine, whose waiting
// notice and result come back through withLock.
func (s *Session) start(req *call, e *entry, op *opSpec) {
	run, err := op.prepare(s, req, e)
	if err != nil {
		s.result(req, e.handle, nil, err)
		return
	}
	// A call that can finish at once is made right here, sparing a
	// goroutine and a wake-up; one that would wait starts over on its own.
	// Inside a batch it gets a second try once the batch's later requests
	// are done: a recvfrom batched before the sendto that feeds it then
	// completes without ever waiting, and when the batch provably feeds it
	// (fedLater), the first try, which could only find the queue empty or
	// take what the second would, is skipped. A datagram sendto to the
	// address of a socket whose receive waits completes that receive in
	// this step (preemptFed, then holdFor's takeOver).
	if op.tryFirst != nil && op.tryFirst(req, e) {
		if s.collecting && s.fedLater(req, e) {
			s.retries = append(s.retries, retry{req, e, run})
			return
		}
		fed := s.preemptFed(req, e)
		finish := run(s.ctx, sockets.CallOptions{TryOnce: true})
		if finish != nil {
			finish()
		}
		if fed != nil {
			fed.Release()
		}
		if finish != nil {
			return
		}
		// The batch's last request, with no retry queued before it, has
		// nothing after it that could feed it: it waits at once.
		if s.collecting && (len(s.rest) > 0 || len(s.retries) > 0) {
			s.retries = append(s.retries, retry{req, e, run})
			return
		}
		s.spawn(req, e, run, true)
		return
	}
	s.spawn(req, e, run, false)
}

// retry is a batched call that DoBatch tries again at its end (tryAgain).
type retry struct {
	req *call
	e   *entry
	run opCall
}

// tryAgain is a batched call's try at the batch's end: it finishes now, or
// goes to its own goroutine to wait.
func (s *Session) tryAgain(req *call, e *entry, run opCall) {
	if finish := run(s.ctx, sockets.CallOptions{TryOnce: true}); finish != nil {
		finish()
		return
	}
	s.spawn(req, e, run, true)
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
func (s *Session) fedLater(req *call, e *entry) bool {
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
		if to, err := r.Addr.Get(); err == nil && to.Host == e.local.Host && to.Port == e.local.Port {
			fed = true
		}
	}
	return fed
}

// spawn runs a blocking op on its own goroutine: its waiting notice and its
// result come back through withLock. A datagram receive keeps run, so that
// a sendto that feeds it can complete it in its own step (takeOver). A call
// that was just tried once and would have waited (tried) is waiting
// already: its waiting notice is logged in this step, which spares the
// goroutine a turn of withLock and the attempt that would only find the
// same (sockets: a call with no OnWait goes straight to its wait).
func (s *Session) spawn(req *call, e *entry, run opCall, tried bool) {
	key := string(bytes.TrimSpace(req.ID)) // not waiting: handle checked
	ctx, cancel := context.WithCancel(s.ctx)
	p := &pending{id: req.ID, op: req.Op, sock: e.handle, cancel: cancel, echo: req.Echo, ctx: ctx}
	if (req.Op == "recv" || req.Op == "recvfrom") && e.sock.Type() == sockets.SockDgram {
		p.preempt, p.run = sockets.NewPreempt(), run
	}
	s.pending[key] = p
	opts := sockets.CallOptions{Preemptible: p.preempt, Since: req.Start}
	if tried {
		s.logWaiting(req, e, p)
	} else {
		opts.OnWait = func() {
			s.withLock(func() {
				if s.pending[key] == p {
					s.logWaiting(req, e, p)
				}
			})
		}
	}
	l := waitingCall{key, p, run, opts}
	if tried && p.preempt != nil && s.batching {
		s.unstarted = append(s.unstarted, l) // DoFrames starts it as it ends
		return
	}
	s.launch(l)
}

// waitingCall is a call that waits, with what its goroutine needs (spawn,
// launch).
type waitingCall struct {
	key  string
	p    *pending
	run  opCall
	opts sockets.CallOptions
}

// launch starts l's goroutine: it makes the call, then logs its outcome.
func (s *Session) launch(l waitingCall) {
	s.ops.Add(1)
	s.cfg.counts.waitGoroutines.Add(1)
	go func() {
		defer s.ops.Done()
		finish := l.run(l.p.ctx, l.opts)
		l.p.cancel()
		if l.p.preempt.Taken() {
			return // its result is logged already, in the step that took it over (takeOver)
		}
		s.withLock(func() {
			if s.pending[l.key] != l.p {
				return // taken over: its result is logged already (takeOver)
			}
			delete(s.pending, l.key)
			s.unhold(l.key)
			if !s.ending && finish != nil { // (nil only for a call tried once)
				finish()
			}
		})
	}()
}

// launchUnstarted defers, as DoFrames ends, the goroutines of its waiting
// receives that are still waiting (launchDeferred): one that a later sendto
// of the step completed (takeOver) needs none.
func (s *Session) launchUnstarted() {
	for i, l := range s.unstarted {
		if s.pending[l.key] == l.p {
			s.deferred = append(s.deferred, l)
		} else {
			l.p.cancel() // taken over: its context goes with it
		}
		s.unstarted[i] = waitingCall{}
	}
	s.unstarted = s.unstarted[:0]
	if len(s.deferred) > 0 && s.deferTimer == nil {
		s.deferTimer = time.AfterFunc(s.cfg.DeferWait, func() { s.withLock(s.launchDeferred) })
	}
}

// A datagram receive that waits, left waiting as its step ends, gets its
// goroutine only Config.DeferWait later (1 ms), or as soon as the
// session handles a request that is not a sendto (launchDeferred): when
// the next step brings the sendto that feeds it, as a page's round trip
// does (a recvfrom, its waiting message, then the sendto), that step
// completes it (takeOver) and it never needs a goroutine, a system call to
// find its socket empty again, a wake-up from the poller and an end. Until
// then the datagram it waits for stays queued in the kernel, where the
// goroutine's first attempt finds it: one from outside the session is
// received at most that late. Its timeout counts from the request
// all the same (sockets.CallOptions.Since).
const defaultDeferWait = time.Millisecond

// launchDeferred starts the goroutines of the deferred receives that are
// still waiting, oldest first, unless the session is ending (Close has
// cancelled them).
func (s *Session) launchDeferred() {
	if s.deferTimer != nil {
		s.deferTimer.Stop()
		s.deferTimer = nil
	}
	for i, l := range s.deferred {
		if s.pending[l.key] == l.p && !s.ending {
			s.launch(l)
		} else {
			l.p.cancel()
		}
		s.deferred[i] = waitingCall{}
	}
	s.deferred = s.deferred[:0]
}

// tookDeferred drops the deferred receive key, which its sendto's step
// completed, and the timer with the last one.
func (s *Session) tookDeferred(key string) {
	for i, l := range s.deferred {
		if l.key == key {
			l.p.cancel() // no goroutine will: its context goes here
			s.deferred = slices.Delete(s.deferred, i, i+1)
			break
		}
	}
	if len(s.deferred) == 0 && s.deferTimer != nil {
		s.deferTimer.Stop()
		s.deferTimer = nil
	}
}

// logWaiting logs the waiting notice of req, the call p waiting on e,
// once.
func (s *Session) logWaiting(req *call, e *entry, p *pending) {
	if s.ending || p.waited {
		return
	}
	p.waited = true
	s.cfg.counts.waits.Add(1)
	s.appendTo(KindWaiting, WaitingBody{ID: req.ID, Op: req.Op, Sock: e.handle, Request: req.Echo, plainRequest: req.PlainEcho()}, req.from, nil)
	if req.Op == "connect" {
		s.refresh(e)
	}
}

// takeOver completes the waiting datagram receive p (pending as key) in the
// running step, after a sendto to its socket (holdFor): if a datagram is
// queued, it is received here, without waiting, and the call's result is
// logged as its goroutine would have logged it; the goroutine then ends,
// having received nothing (sockets.Preempt). One wake-up of the writers
// then sends the sendto's result and the receive's together. It reports
// whether the receive is complete; if not, nothing changed and the call
// waits on.
func (s *Session) takeOver(key string, p *pending) bool {
	if !s.preemptible(key, p) {
		return false
	}
	finish := p.run(s.ctx, sockets.CallOptions{Preempts: p.preempt})
	if finish == nil {
		return false // nothing queued (sockets.ErrWouldWait): it waits on
	}
	delete(s.pending, key)
	s.unhold(key)
	if len(s.deferred) > 0 {
		s.tookDeferred(key)
	}
	finish()
	return true
}

// preemptible reports whether the waiting call p (pending as key) may be
// taken over: a datagram receive (spawn), not being cancelled, and its
// socket's sole waiting call (so it is the one the kernel's oldest
// datagram is for).
func (s *Session) preemptible(key string, p *pending) bool {
	if p.preempt == nil || p.ctx.Err() != nil {
		return false
	}
	for k, q := range s.pending {
		if k != key && q.sock == p.sock {
			return false
		}
	}
	return true
}

// fedBy yields the waiting receives (key and call) on the session's
// datagram sockets bound to the address a sendto, req, sends to.
func (s *Session) fedBy(req *call) iter.Seq2[string, *pending] {
	return func(yield func(string, *pending) bool) {
		to, err := req.Addr.Get()
		if err != nil {
			return
		}
		for key, p := range s.pending {
			e := s.socks[p.sock]
			if p.op != "recvfrom" && p.op != "recv" || e == nil || e.local == nil ||
				e.sock.Type() != sockets.SockDgram || e.local.Port != to.Port || e.local.Host != to.Host {
				continue
			}
			if !yield(key, p) {
				return
			}
		}
	}
}

// preemptFed holds (sockets.Preempt.Hold) the waiting receive that the
// sendto req on e is about to feed, if it may be taken over: the datagram
// then goes to the sendto's step (takeOver), not to the receive's
// goroutine, which its arrival may wake first. The caller releases the
// returned Preempt (if not nil) after that step.
func (s *Session) preemptFed(req *call, e *entry) *sockets.Preempt {
	if len(s.pending) == 0 || req.Op != "sendto" || e.sock.Type() != sockets.SockDgram {
		return nil
	}
	for key, p := range s.fedBy(req) {
		if s.preemptible(key, p) {
			p.preempt.Hold()
			return p.preempt
		}
	}
	return nil
}

// holdWindow is how long the writers may be held for a waiting receive that
// a sendto fed (holdFor): far longer than the receive's goroutine takes to
// wake and log its result, short enough not to matter if it never does.
const holdWindow = 5 * time.Millisecond

// holdFor completes, after a datagram sendto, req, to the address of a
// socket of the session whose receive is waiting (or about to), that
// receive in the same step (takeOver). A receive it cannot complete (the
// datagram is not queued yet, or another call waits on the socket too)
// holds the subscribers' writers (wakeQueued wakes none) instead: that
// receive's goroutine gets the datagram, and its result then goes out in
// the same frame as the sendto's, instead of the writer sending the
// sendto's alone and waking again a moment later. The hold ends as the
// receive finishes (unhold), or after holdWindow.
func (s *Session) holdFor(req *call) {
	if len(s.pending) == 0 {
		return // nothing waits: the common case, spared fedBy's closure
	}
	for key, p := range s.fedBy(req) {
		if s.takeOver(key, p) {
			continue
		}
		if len(s.deferred) > 0 {
			s.launchDeferred() // the datagram is not queued yet: the goroutine gets it
		}
		if s.held == nil {
			s.held = map[string]bool{}
		}
		s.held[key] = true
	}
	if len(s.held) > 0 && s.holdTimer == nil {
		s.holdTimer = time.AfterFunc(holdWindow, func() {
			s.withLock(func() {
				s.holdTimer = nil
				clear(s.held)
			})
		})
	}
}

// unhold ends the hold for the waiting call key, if there was one: the
// writers are woken as the running step ends.
func (s *Session) unhold(key string) {
	if !s.held[key] {
		return
	}
	delete(s.held, key)
	if len(s.held) == 0 && s.holdTimer != nil {
		s.holdTimer.Stop()
		s.holdTimer = nil
	}
}
