package sockets

import "time"

// CallOptions change how one call that may wait is made (Recv, RecvFrom,
// Send, SendAll, SendTo, Accept, Connect, RecvMessage, SendMessage). The
// zero value is a plain call: it waits as the socket's timeout says, and
// calls nothing back. The call's context carries only its cancellation.
type CallOptions struct {
	// TryOnce makes the call one attempt: it returns ErrWouldWait instead
	// of waiting. Use it only for calls whose failed attempt has no effect:
	// recv and recvfrom (without MSG_WAITALL), accept, and sends on
	// datagram sockets.
	TryOnce bool

	// OnWait, if not nil, is called once when the call finds it cannot
	// finish at once and starts to wait (a RecvMessage, once for each of
	// its receives that waits). It must not block.
	OnWait func()

	// Tag is kept in the send record of a send call on a stream socket
	// (sockplay keeps the session and request id there).
	Tag any

	// OnSent, if not nil, is called by a send call on a stream socket with
	// the call's record before the call returns.
	OnSent func(SendRecord)

	// Preemptible, if not nil, lets a Recv or RecvFrom on a datagram socket
	// be taken over while it waits by a receive made with Preempts set to
	// the same Preempt; it then ends with ErrPreempted (see Preempt). Other
	// calls ignore it.
	Preemptible *Preempt

	// Preempts, if not nil, makes a Recv or RecvFrom on a datagram socket
	// the preempting call of the receive made with Preemptible set to it:
	// one attempt that returns that call's outcome, or ErrWouldWait,
	// changing nothing (see Preempt). Other calls ignore it.
	Preempts *Preempt

	// Since, if not zero, is when the call was made: its timeout counts
	// from then, not from when it starts to run (a caller may start a call
	// on a goroutine of its own a little later: see sessions' deferred
	// receives). Zero: from the start.
	Since time.Time
}

// ErrWouldWait is returned instead of waiting by a call made with
// CallOptions.TryOnce: the call made its first attempt, found it would have
// to wait, and changed nothing. Making the same call again (without
// TryOnce) is safe.
var ErrWouldWait = &Error{Kind: "would_wait", Message: "the call would wait"}
