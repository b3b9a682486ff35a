package sockets

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// How a call that may have to wait waits: on the socket's turn for its
// direction (turn.go), through the poller, until its attempt is done, its
// deadline passes, its context ends, or another call takes it over
// (Preempt).

// direction picks which waiters an operation queues with.
type direction int

const (
	reading direction = iota
	writing
)

// aLongTimeAgo is a deadline that has passed, used to wake a waiter.
var aLongTimeAgo = time.Unix(1, 0)

// wait runs attempt until it reports done, waiting for the descriptor to be
// ready in between. attempt is called with the descriptor and returns whether
// the operation finished (successfully or not). wouldBlock is the errno a
// non-blocking socket reports when the first attempt is not done. opts says
// whether to wait at all (TryOnce), whom to tell when it starts to (OnWait)
// and, for a datagram receive, whether another call may take it over
// (Preemptible).
func (s *Socket) wait(ctx context.Context, opts CallOptions, dir direction, wouldBlock syscall.Errno, attempt func(fd int) bool) *Error {
	p := opts.Preemptible
	if p == nil || dir != reading || s.typ != SockDgram {
		return s.waitFor(ctx, opts, nil, dir, wouldBlock, attempt)
	}
	return p.end(s.waitFor(ctx, opts, p, dir, wouldBlock, p.guard(attempt)))
}

// waitFor is wait, with p the call's Preempt (nil: none): a call taken over
// ends as soon as it learns of it, wherever it waits.
func (s *Socket) waitFor(ctx context.Context, opts CallOptions, p *Preempt, dir direction, wouldBlock syscall.Errno, attempt func(fd int) bool) *Error {
	t := s.reads
	if dir == writing {
		t = s.writes
	}
	sem, setDeadline := t.sem, t.set
	notify := opts.OnWait
	notified := false
	waiting := func() {
		if !notified && notify != nil {
			notified = true
			notify()
		}
	}

	// The timeout counts from the call, queueing included.
	timeout := s.Timeout()
	var deadline time.Time
	if timeout != nil {
		since := opts.Since
		if since.IsZero() {
			since = time.Now()
		}
		deadline = since.Add(*timeout)
	}

	// Queue behind another waiter in the same direction.
	select {
	case sem <- struct{}{}:
	default:
		if opts.TryOnce {
			return ErrWouldWait // another call is waiting; never queue under TryOnce
		}
		if timeout != nil && *timeout == 0 {
			return osError("", wouldBlock) // non-blocking: the other call has the descriptor
		}
		waiting()
		var expired <-chan time.Time
		if timeout != nil {
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			expired = t.C
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return cancelledError()
		case <-expired:
			return timeoutError()
		case <-p.wokenC():
			return ErrPreempted
		}
	}
	defer func() { <-sem }()

	// A first attempt of its own tells a call that must not wait, or that
	// must say it waits before it does, whether it would; it is also made
	// before a timeout's deadline is armed, which would fail a late wait
	// without an attempt. A blocking call with nothing to tell goes
	// straight to the wait, whose first attempt is the same.
	nonBlocking := timeout != nil && *timeout == 0
	if opts.TryOnce || timeout != nil || notify != nil && !notified {
		done, err := t.try(attempt)
		if err != nil {
			return s.waitErr(err)
		}
		if done {
			return nil
		}
		if nonBlocking {
			return osError("", wouldBlock)
		}
		if opts.TryOnce {
			return ErrWouldWait
		}
		waiting()
	}

	// Arm the deadline, and let cancellation pull it into the past.
	var mu sync.Mutex
	finished := false
	if timeout != nil {
		setDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			setDeadline(aLongTimeAgo)
		}
	})
	var err error
	if p.park(setDeadline) { // else taken over: wait ends it with ErrPreempted
		err = t.wait(attempt)
		p.unpark()
	}
	stop()
	mu.Lock()
	finished = true
	mu.Unlock()
	setDeadline(time.Time{})

	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// Cancelled: a close that came with the cancel (a program's end
		// cancels its calls, then closes its sockets) does not change that.
		return cancelledError()
	case !isDeadline(err):
		return s.waitErr(err)
	default:
		return timeoutError()
	}
}

// waitErr explains an error from the poller: after Close it is EBADF, as a
// Python socket closed by another thread reports.
func (s *Socket) waitErr(err error) *Error {
	if s.checkOpen() != nil {
		return osError("wait", unix.EBADF)
	}
	return wrapErr("wait", err)
}

func isDeadline(err error) bool { return err != nil && os.IsTimeout(err) }

// retry reports whether err means "try again when ready".
func retry(err error) bool { return err == unix.EAGAIN || err == unix.EINTR }
