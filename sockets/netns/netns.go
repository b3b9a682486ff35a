// Package netns gives sockplay's sessions private networks: Linux network
// namespaces, each with its own loopback (127.0.0.1/8 and ::1) and nothing
// else — no route out, no host services, no other session — plus lab LANs
// of several such hosts on one bridge, room LANs that put the namespaces
// of a class's sessions on one bridge (room.go), and a capture of a
// namespace's real packets.
//
// The namespaces live in one helper process (this executable re-executed:
// call Main first thing in main). The helper runs in a network namespace of
// its own and, unless sockplay runs as root, in a user namespace of its own
// in which it is root, so it works for an ordinary user wherever the kernel
// allows user namespaces. It creates a namespace by unshare(CLONE_NEWNET)
// on a locked OS thread and keeps it alive by an open /proc/thread-self/ns/net
// descriptor; it creates a socket inside one by setns on a locked thread and
// passes it back over a unix socket (SCM_RIGHTS). A socket keeps its
// namespace: this process does all its I/O on it like on any other socket,
// and never changes namespace itself.
//
// See docs/network.md for the design, the costs measured by
// BenchmarkNamespace, and the limits.
package netns

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Namespace is one private network namespace held by a helper.
type Namespace struct {
	h  *Helper
	id int

	mu     sync.Mutex
	closed bool
	lab    *Lab     // the lab this namespace is h1 of, if any
	ofLab  *Lab     // the lab this namespace is h2…hN of, if any
	room   *RoomLAN // the room LAN this namespace is a host of, if any
}

// New makes a private network namespace in the helper, with lo up
// (127.0.0.1/8, ::1) and no other interface.
func (h *Helper) New() (*Namespace, error) {
	a, err := h.call(request{Op: opNew})
	var se *os.SyscallError
	if errors.As(err, &se) && se.Syscall == "unshare" {
		return nil, diagnose("a new network namespace (unshare CLONE_NEWNET)", h.userNS, err, readSysctl)
	}
	if err != nil {
		return nil, err
	}
	return &Namespace{h: h, id: a.NS}, nil
}

// The process's default helper, started by the first New or Available.
var std struct {
	mu sync.Mutex
	h  *Helper
}

func defaultHelper() (*Helper, error) {
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.h != nil && std.h.gone() == nil {
		return std.h, nil
	}
	h, err := StartHelper()
	if err != nil {
		return nil, err
	}
	std.h = h
	return h, nil
}

// New makes a private network namespace in the process's default helper,
// starting it if need be.
func New() (*Namespace, error) {
	h, err := defaultHelper()
	if err != nil {
		return nil, err
	}
	return h.New()
}

// Available reports whether private networks work here by starting the
// default helper (if it is not running) and making and closing one
// namespace. Its error is an *UnavailableError when the kernel refused a
// namespace: it names what was refused and how to allow it.
func Available() error {
	ns, err := New()
	if err != nil {
		return err
	}
	return ns.Close()
}

// Socket creates a socket inside the namespace, as socket(2) would there,
// and returns its descriptor, non-blocking and close-on-exec (typ is
// SOCK_STREAM, SOCK_DGRAM, SOCK_RAW…, without flags). It belongs to the
// caller, who closes it; it keeps the namespace alive while it is open.
func (n *Namespace) Socket(domain, typ, proto int) (int, error) {
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return -1, errClosed
	}
	a, err := n.h.call(request{Op: opSocket, NS: n.id, Domain: domain, Type: typ &^ (unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC), Proto: proto})
	if err != nil {
		return -1, err
	}
	if len(a.fds) != 1 {
		closeAll(a.fds)
		return -1, errors.New("netns helper: socket reply without exactly one descriptor")
	}
	return a.fds[0], nil
}

var errClosed = errors.New("the network namespace is closed")

// Close closes the namespace, and its lab if it has one, and takes it off
// its room LAN. Sockets still open in it keep it alive in the kernel until
// they are closed; nothing else does. Closing twice is harmless. A lab's own hosts (h2…hN) are closed by
// the lab's Close.
func (n *Namespace) Close() error {
	n.mu.Lock()
	if n.closed || n.ofLab != nil {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	lab, room := n.lab, n.room
	n.lab, n.room = nil, nil
	n.mu.Unlock()
	if lab != nil {
		lab.markClosed() // the helper closes it with its owner
	}
	if room != nil {
		room.forget(n) // the helper takes it off the LAN as it closes it
	}
	_, err := n.h.call(request{Op: opClose, NS: n.id})
	return err
}

// gone reports the error that ended the helper, or nil while it runs.
func (h *Helper) gone() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
