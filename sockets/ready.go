package sockets

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// readySlice is the longest one poll(2) in WaitReady waits before it looks
// at its context again.
const readySlice = 50 * time.Millisecond

// WaitReady is select(2) on sockets, as Python's select.select is: it waits
// until at least one of read is readable (data or a connection queued, the
// peer closed, an error pending) or one of write is writable (room in the
// send buffer, a connect finished), and returns the indexes of those that
// are ready. timeout nil waits as long as it takes, 0 only looks; when it
// runs out, both lists are empty. onWait (if not nil) is called once if it
// has to wait. A closed socket is EBADF; cancelling ctx ends the wait with
// a cancelled error.
func WaitReady(ctx context.Context, read, write []*Socket, timeout *time.Duration, onWait func()) (r, w []int, err *Error) {
	var deadline time.Time
	if timeout != nil {
		deadline = time.Now().Add(*timeout)
	}
	for wait := time.Duration(0); ; {
		r, w, err = pollReady(read, write, wait)
		if err != nil || len(r)+len(w) > 0 {
			return r, w, err
		}
		left := readySlice
		if timeout != nil {
			if left = time.Until(deadline); left <= 0 {
				return nil, nil, nil
			}
		}
		if wait == 0 && onWait != nil {
			onWait()
		}
		if ctx.Err() != nil {
			return nil, nil, cancelledError()
		}
		wait = min(left, readySlice)
	}
}

// pollReady polls read for reading and write for writing, waiting up to
// wait. The descriptors are held (RawConn.Control) while poll(2) runs, so
// a Close meanwhile cannot hand their numbers to another file.
func pollReady(read, write []*Socket, wait time.Duration) (r, w []int, err *Error) {
	socks := append(append([]*Socket{}, read...), write...)
	fds := make([]unix.PollFd, len(socks))
	for i := range socks {
		fds[i].Events = unix.POLLIN
		if i >= len(read) {
			fds[i].Events = unix.POLLOUT
		}
	}
	var hold func(i int) *Error
	hold = func(i int) *Error {
		if i == len(socks) {
			return pollFds(fds, wait)
		}
		if e := socks[i].checkOpen(); e != nil {
			return e
		}
		var inner *Error
		cerr := socks[i].rc.Control(func(fd uintptr) {
			fds[i].Fd = int32(fd)
			inner = hold(i + 1)
		})
		if cerr != nil {
			return osError("", unix.EBADF)
		}
		return inner
	}
	if err = hold(0); err != nil {
		return nil, nil, err
	}
	for i, f := range fds {
		if f.Revents == 0 {
			continue
		}
		if i < len(read) {
			r = append(r, i)
		} else {
			w = append(w, i-len(read))
		}
	}
	return r, w, nil
}

// pollFds is poll(2), retried when a signal interrupts it.
func pollFds(fds []unix.PollFd, wait time.Duration) *Error {
	ms := int(wait / time.Millisecond)
	for {
		_, err := unix.Poll(fds, ms)
		if err != unix.EINTR {
			return wrapErr("select", err)
		}
	}
}
