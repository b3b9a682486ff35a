package sockets

import (
	"fmt"
	"sync/atomic"
)

// Budget bounds how many sockets are open at once across all of sockplay
// (every session, peer and checker that shares a Policy), so that the
// process stays under its file-descriptor limit and the HTTP server keeps
// descriptors for its own connections. A nil *Budget allows any number.
type Budget struct {
	max  int64
	open atomic.Int64
}

// NewBudget returns a Budget of n sockets (at least 1).
func NewBudget(n int) *Budget { return &Budget{max: int64(max(n, 1))} }

// Max is the most sockets the budget allows at once.
func (b *Budget) Max() int { return int(b.max) }

// Open is the number of sockets open now.
func (b *Budget) Open() int { return int(b.open.Load()) }

// take counts one more open socket, or refuses it with a limit error.
func (b *Budget) take() *Error {
	if b == nil {
		return nil
	}
	if b.open.Add(1) > b.max {
		b.open.Add(-1)
		return &Error{
			Kind:    KindLimit,
			Message: fmt.Sprintf("the server has no room for another socket: %d are open across all sessions, the most its file-descriptor limit allows here", b.max),
			Hint:    "Close sockets you no longer need, or try again in a minute.",
		}
	}
	return nil
}

// release counts one socket fewer.
func (b *Budget) release() {
	if b != nil {
		b.open.Add(-1)
	}
}
