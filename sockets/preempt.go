package sockets

import (
	"sync"
	"time"
)

// Preempt lets one waiting datagram receive be completed by another
// goroutine, which then holds the receive's outcome instead of the call:
//
//   - the waiting call is a Recv or RecvFrom on a datagram socket made with
//     CallOptions.Preemptible set to p;
//   - the preempting call is the same receive (same bufsize and flags) on
//     the same socket, made with CallOptions.Preempts set to p.
//
// The preempting call makes one attempt, without waiting and without
// queueing behind the waiting call. If the attempt finds a datagram (or a
// pending error, which a receive also consumes), the preempting call
// returns it and the waiting call ends with ErrPreempted, having received
// nothing, wherever it is: not started yet, queued behind another reader,
// or parked in the poller (it is woken). If the attempt would have waited,
// the preempting call returns ErrWouldWait and nothing changed: the waiting
// call waits on, and a datagram that arrives meanwhile still wakes it. A
// call that has finished on its own (received, timed out, was cancelled or
// its socket closed) can no longer be taken over, and a call taken over no
// longer reports its own timeout or cancellation, so the two never both
// hold an outcome.
//
// The waiting call's attempts and the preempting call's attempt take turns
// on p's mutex. That makes them exclusive with each other only: preempt a
// call only while it is the socket's sole reader, or the datagram it takes
// may be one another queued reader was first in line for.
//
// To be sure that the datagram a send is about to queue goes to the
// preempting call, and not to the waiting call woken by its arrival, Hold
// the waiting call before the send and Release it after the preempting
// receive: meanwhile its attempts wait (a wake-up that comes meanwhile is
// not lost: the attempt runs after Release, unless the call was taken
// over).
//
// A Preempt serves one waiting call; make a new one for each (NewPreempt).
type Preempt struct {
	mu     sync.Mutex
	free   sync.Cond // signalled on Release (L is &mu)
	held   bool      // between Hold and Release: the call's attempts wait
	taken  bool      // a preempting call holds the outcome
	ended  bool      // the waiting call has its own outcome
	parked bool      // the waiting call waits in the poller: poke wakes it
	poke   func(time.Time) error
	woken  chan struct{} // closed when taken: ends a wait for the reader's turn
}

// NewPreempt makes the Preempt of one waiting receive.
func NewPreempt() *Preempt {
	p := &Preempt{woken: make(chan struct{})}
	p.free.L = &p.mu
	return p
}

// Hold makes the waiting call's attempts wait until Release, so that a
// preempting receive made in between is the one that finds what arrives
// meanwhile. Every Hold must be followed by a Release, soon: the waiting
// call cannot read (nor end, if it was woken) in between, and so a Close
// of its socket, which waits for the call to leave its attempt, must not
// come between them on the goroutine that is to Release.
func (p *Preempt) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = true
}

// Release ends a Hold: the waiting call, unless it was taken over, makes
// the attempt it was kept from, if any.
func (p *Preempt) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = false
	p.free.Broadcast()
}

// ErrPreempted is returned by a receive made with CallOptions.Preemptible
// that another call took over (see Preempt): it received nothing, and its
// outcome is the preempting call's.
var ErrPreempted = &Error{Kind: "preempted", Message: "another call completed this receive"}

// guard wraps the waiting call's attempt: once the call is taken over it
// does not read (and reports done, so the call ends); once the attempt is
// done on its own the call can no longer be taken over.
func (p *Preempt) guard(attempt func(fd int) bool) func(fd int) bool {
	return func(fd int) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for p.held && !p.taken {
			p.free.Wait()
		}
		if p.taken {
			return true
		}
		done := attempt(fd)
		p.ended = done
		return done
	}
}

// Taken reports whether the waiting call has been taken over: its outcome
// is the preempting call's (nil p: never).
func (p *Preempt) Taken() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.woken:
		return true
	default:
		return false
	}
}

// wokenC is closed once the call is taken over (nil p: never).
func (p *Preempt) wokenC() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.woken
}

// park marks the waiting call as about to wait in the poller, which poke
// (the read deadline's setter) can wake it from. It reports false, parking
// nothing, if the call is already taken over.
func (p *Preempt) park(poke func(time.Time) error) bool {
	if p == nil {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taken {
		return false
	}
	p.parked, p.poke = true, poke
	return true
}

// unpark marks the waiting call as back from the poller: no poke after
// this can reach the deadline the call is about to clear.
func (p *Preempt) unpark() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parked, p.poke = false, nil
}

// end settles the waiting call's outcome, e: ErrPreempted if it was taken
// over, else e, and no takeover after this.
func (p *Preempt) end(e *Error) *Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taken {
		return ErrPreempted
	}
	p.ended = true
	return e
}

// take runs the preempting call's attempt, which must not wait and reports
// whether it found something to take (not EAGAIN), with p's mutex held. If
// it did, the waiting call is taken over and woken.
func (p *Preempt) take(attempt func() bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taken || p.ended || !attempt() {
		return false
	}
	p.taken = true
	close(p.woken)
	if p.parked {
		p.poke(aLongTimeAgo) // wait sees the call taken, not a timeout
	}
	return true
}
