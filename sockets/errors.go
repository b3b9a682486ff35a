package sockets

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Kind says where an error came from. Its values are the protocol's
// error.type strings.
type Kind string

// The kinds of error an operation can end with.
const (
	KindOS         Kind = "os"          // a real errno from the kernel
	KindTimeout    Kind = "timeout"     // the socket's timeout ran out
	KindPolicy     Kind = "policy"      // refused by the address policy, no syscall made
	KindLimit      Kind = "limit"       // a size or count limit
	KindBadRequest Kind = "bad_request" // an argument Python would reject too
	KindCancelled  Kind = "cancelled"   // the caller cancelled a waiting operation
)

// Error is the outcome of a failed operation, in the words Python would use.
type Error struct {
	Kind      Kind
	Errno     string // errno name such as "EADDRINUSE"; empty when not an OS error
	Code      int    // errno number (negative for getaddrinfo errors)
	Exception string // Python exception class, e.g. "ConnectionRefusedError"
	Message   string // Python's str(exception), e.g. "[Errno 111] Connection refused"
	Hint      string // one plain sentence for a learner
}

// Error returns the line Python would print for the exception.
func (e *Error) Error() string {
	if e.Exception == "" {
		return e.Message
	}
	return e.Exception + ": " + e.Message
}

// exceptions maps an errno to the OSError subclass Python raises for it.
var exceptions = map[syscall.Errno]string{
	unix.EAGAIN:       "BlockingIOError",
	unix.EALREADY:     "BlockingIOError",
	unix.EINPROGRESS:  "BlockingIOError",
	unix.EPIPE:        "BrokenPipeError",
	unix.ESHUTDOWN:    "BrokenPipeError",
	unix.ECONNABORTED: "ConnectionAbortedError",
	unix.ECONNREFUSED: "ConnectionRefusedError",
	unix.ECONNRESET:   "ConnectionResetError",
	unix.EINTR:        "InterruptedError",
	unix.EACCES:       "PermissionError",
	unix.EPERM:        "PermissionError",
	unix.ETIMEDOUT:    "TimeoutError",
}

// strerror holds glibc's texts, which Python shows; Go's own are lower case.
var strerror = map[syscall.Errno]string{
	unix.EPERM:         "Operation not permitted",
	unix.EINTR:         "Interrupted system call",
	unix.EBADF:         "Bad file descriptor",
	unix.EAGAIN:        "Resource temporarily unavailable",
	unix.EACCES:        "Permission denied",
	unix.EINVAL:        "Invalid argument",
	unix.EPIPE:         "Broken pipe",
	unix.ENOTSOCK:      "Socket operation on non-socket",
	unix.EDESTADDRREQ:  "Destination address required",
	unix.EMSGSIZE:      "Message too long",
	unix.ENOPROTOOPT:   "Protocol not available",
	unix.EOPNOTSUPP:    "Operation not supported",
	unix.EAFNOSUPPORT:  "Address family not supported by protocol",
	unix.EADDRINUSE:    "Address already in use",
	unix.EADDRNOTAVAIL: "Cannot assign requested address",
	unix.ENETUNREACH:   "Network is unreachable",
	unix.ECONNABORTED:  "Software caused connection abort",
	unix.ECONNRESET:    "Connection reset by peer",
	unix.ENOBUFS:       "No buffer space available",
	unix.EISCONN:       "Transport endpoint is already connected",
	unix.ENOTCONN:      "Transport endpoint is not connected",
	unix.ESHUTDOWN:     "Cannot send after transport endpoint shutdown",
	unix.ETIMEDOUT:     "Connection timed out",
	unix.ECONNREFUSED:  "Connection refused",
	unix.EHOSTUNREACH:  "No route to host",
	unix.EALREADY:      "Operation already in progress",
	unix.EINPROGRESS:   "Operation now in progress",
}

// hints explains the common errnos to a learner. Op-specific ones are in
// hintFor.
var hints = map[syscall.Errno]string{
	unix.EADDRINUSE:    "Another socket already holds this address and port: pick another port, close that socket, or set SO_REUSEADDR (SO_REUSEPORT to share a port) on every socket before bind().",
	unix.ECONNREFUSED:  "Nothing is listening at that address: the socket there may be bound but not listening yet (it needs listen()), or there is no socket at all.",
	unix.EACCES:        "The kernel refused: sending to a broadcast address needs setsockopt(SOL_SOCKET, SO_BROADCAST, 1) first.",
	unix.EAGAIN:        "The socket is non-blocking and the call would have had to wait: nothing to read yet, or no room to write.",
	unix.EINPROGRESS:   "The socket is non-blocking, so connect() started the handshake and returned at once; wait until it is writable.",
	unix.EALREADY:      "A connect() on this socket is still in progress.",
	unix.EISCONN:       "This socket is already connected.",
	unix.ENOTCONN:      "This stream socket is not connected: connect() it first, or accept() a connection on a listening socket.",
	unix.EPIPE:         "The connection is closed for writing (you shut it down, or the peer went away), so nothing more can be sent.",
	unix.ECONNRESET:    "The peer reset the connection: it closed its socket while data was still unread, or the connection was aborted.",
	unix.EMSGSIZE:      "A UDP datagram over IPv4 carries at most 65,507 bytes of data; send less.",
	unix.EBADF:         "The socket is closed; create a new one.",
	unix.EINVAL:        "The kernel rejected this call in the socket's current state (for example listen() on a connected socket, or bind() twice).",
	unix.EADDRNOTAVAIL: "That address does not belong to this machine, so a socket cannot bind to it.",
	unix.EOPNOTSUPP:    "This kind of socket does not support that operation (listen() and accept() are for SOCK_STREAM).",
	unix.EDESTADDRREQ:  "This socket has no peer: use sendto() with an address, or connect() first.",
	unix.ENOPROTOOPT:   "This socket type does not have that option.",
	unix.ENETUNREACH:   "There is no route to that network from this machine.",
	unix.EAFNOSUPPORT:  "The address is of another family than the socket (IPv4 vs IPv6).",
}

// osError describes errno as Python would raise it from op.
func osError(op string, errno syscall.Errno) *Error {
	text, ok := strerror[errno]
	if !ok {
		text = errno.Error()
		if text != "" {
			text = strings.ToUpper(text[:1]) + text[1:]
		}
	}
	exc, ok := exceptions[errno]
	if !ok {
		exc = "OSError"
	}
	return &Error{
		Kind:      KindOS,
		Errno:     unix.ErrnoName(errno),
		Code:      int(errno),
		Exception: exc,
		Message:   fmt.Sprintf("[Errno %d] %s", int(errno), text),
		Hint:      hintFor(op, errno),
	}
}

func hintFor(op string, errno syscall.Errno) string {
	switch {
	case errno == unix.EBADF && op == "wait":
		return "The socket was closed while this call was waiting for it."
	case errno == unix.EACCES && op == "bind":
		return "Ports below 1024 need root; use a port from 1024 to 65535, or 0 for any free port."
	case errno == unix.EINVAL && op == "bind":
		return "This socket is already bound; a socket can be bound only once."
	case errno == unix.EINVAL && op == "shutdown":
		return "shutdown() needs a connected socket."
	case errno == unix.ENOTCONN && op == "shutdown":
		return "shutdown() needs a connected socket."
	}
	return hints[errno]
}

// wrapErr turns an error from a system call (or from os.File) into an *Error.
func wrapErr(op string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, os.ErrClosed) {
		return osError("wait", unix.EBADF)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return osError(op, errno)
	}
	return &Error{Kind: KindOS, Exception: "OSError", Message: err.Error()}
}

func timeoutError() *Error {
	return &Error{
		Kind:      KindTimeout,
		Exception: "TimeoutError",
		Message:   "timed out",
		Hint:      "The call waited as long as settimeout() allows and nothing happened; the socket is still usable.",
	}
}

func cancelledError() *Error {
	return &Error{
		Kind:    KindCancelled,
		Message: "cancelled",
		Hint:    "You cancelled this call while it was waiting; the socket is still usable (in Python you would press Ctrl-C).",
	}
}

// BadRequest is an argument error, as Python would raise it (exception may be
// empty when Python has no direct equivalent).
func BadRequest(exception, format string, args ...any) *Error {
	return &Error{Kind: KindBadRequest, Exception: exception, Message: fmt.Sprintf(format, args...)}
}
