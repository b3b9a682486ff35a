package sockets

import (
	"syscall"
	"time"
)

// turn is one direction of a socket (reading or writing): the semaphore
// its calls that may wait take turns on, and the attempt of the call that
// holds it, with the callbacks the poller runs made once for the socket's
// life, so that a call allocates none of its own for them.
type turn struct {
	sem     chan struct{}     // held by the call making its attempts
	attempt func(fd int) bool // that call's attempt
	done    bool              // what its last attempt reported
	once    func(fd uintptr) bool
	until   func(fd uintptr) bool
	io      func(func(fd uintptr) bool) error // the RawConn's Read or Write
	set     func(time.Time) error             // the file's SetReadDeadline or SetWriteDeadline
}

func newTurn(io func(func(fd uintptr) bool) error, set func(time.Time) error) *turn {
	t := &turn{sem: make(chan struct{}, 1), io: io, set: set}
	t.once = func(fd uintptr) bool { t.done = t.attempt(int(fd)); return true }
	t.until = func(fd uintptr) bool { t.done = t.attempt(int(fd)); return t.done }
	return t
}

// turns makes a socket's reading and writing turns on rc and its file's
// deadlines.
func turns(rc syscall.RawConn, read, write func(time.Time) error) (r, w *turn) {
	return newTurn(rc.Read, read), newTurn(rc.Write, write)
}

// try makes one attempt with the holder's attempt, as the poller's turn
// allows, and reports whether it was done. Only the turn's holder calls it.
func (t *turn) try(attempt func(fd int) bool) (bool, error) {
	t.attempt, t.done = attempt, false
	err := t.io(t.once)
	t.attempt = nil
	return t.done, err
}

// wait makes attempts until one is done, waiting for the descriptor to be
// ready in between; it returns the poller's error (the deadline, a closed
// descriptor) if one came first. Only the turn's holder calls it.
func (t *turn) wait(attempt func(fd int) bool) error {
	t.attempt = attempt
	err := t.io(t.until)
	t.attempt = nil
	return err
}
