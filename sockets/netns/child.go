package netns

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// helperEnv marks a process as a helper: the parent sets it on the child it
// starts, and Main looks for it.
const helperEnv = "SOCKPLAY_NETNS_HELPER"

// Main runs the namespace helper when this process was started as one, and
// otherwise returns at once. Call it first thing in main (and in TestMain
// of packages whose tests make namespaces): the helper is this very
// executable, re-executed, and must do nothing else.
func Main() {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	if err := runChild(); err != nil {
		fmt.Fprintln(os.Stderr, "sockplay netns helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// child is the helper process's state: the namespaces it holds, each kept
// alive by an open /proc/thread-self/ns/net descriptor, and the labs built
// from them.
type child struct {
	conn *net.UnixConn
	base int // the helper's own (empty) network namespace, where idle threads live

	mu     sync.Mutex
	next   int
	spaces map[int]*space
	labs   map[int]*labNet
	rooms  map[int]*roomNet
}

// space is one network namespace held by the helper.
type space struct {
	mu   sync.Mutex // held while fd is used or closed
	fd   int        // -1 once closed
	lab  int        // the lab this namespace owns (0: none)
	room int        // the room LAN this namespace is a host of (0: none)
}

func runChild() error {
	conn, err := unixConn(os.NewFile(3, "netns-child"))
	if err != nil {
		return fmt.Errorf("fd 3: %v", err)
	}
	base, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("open /proc/thread-self/ns/net", err)
	}
	c := &child{conn: conn, base: base, spaces: map[int]*space{}, labs: map[int]*labNet{}, rooms: map[int]*roomNet{}}
	if err := send(conn, reply{ID: 0, PID: os.Getpid()}); err != nil {
		return err
	}
	for {
		var req request
		fds, err := receive(conn, &req)
		closeAll(fds)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err.Error() == "the other end closed" {
				return nil // the parent is gone: exiting frees every namespace
			}
			return err
		}
		go c.handle(req)
	}
}

// handle answers one request.
func (c *child) handle(req request) {
	r := reply{ID: req.ID}
	var fd = -1
	var err error
	switch req.Op {
	case opNew:
		r.NS, err = c.newSpace()
	case opSocket:
		fd, err = c.socket(req)
	case opClose:
		err = c.closeSpace(req.NS)
	case opLab:
		err = c.buildLab(req, &r)
	case opCloseLab:
		err = c.closeLab(req.Lab)
	case opRoom:
		r.Room, err = c.newRoom()
	case opRoomJoin:
		err = c.joinRoom(req)
	case opRoomLeave:
		err = c.leaveRoom(req.NS)
	case opCloseRoom:
		err = c.closeRoom(req.Room)
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		r.failure(err)
	}
	if fd >= 0 {
		send(c.conn, r, fd)
		unix.Close(fd)
		return
	}
	send(c.conn, r)
}

// in runs f on the calling goroutine's OS thread after moving that thread
// into the network namespace nsfd, and moves it back to the helper's own
// namespace afterwards. A thread that cannot be moved back stays locked, so
// it ends with its goroutine instead of serving others from the wrong
// namespace.
func (c *child) in(nsfd int, f func() error) error {
	runtime.LockOSThread()
	if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return os.NewSyscallError("setns", err)
	}
	err := f()
	if berr := unix.Setns(c.base, unix.CLONE_NEWNET); berr != nil {
		return fmt.Errorf("setns back to the helper's namespace: %w", berr)
	}
	runtime.UnlockOSThread()
	return err
}

// unshare makes a new network namespace with its loopback up and returns a
// descriptor that keeps it alive.
func (c *child) unshare() (int, error) {
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return -1, os.NewSyscallError("unshare", err)
	}
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		err = os.NewSyscallError("open /proc/thread-self/ns/net", err)
	} else if err = loopbackUp(); err != nil {
		unix.Close(fd)
		fd = -1
	}
	if berr := unix.Setns(c.base, unix.CLONE_NEWNET); berr != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("setns back to the helper's namespace: %w", berr)
	}
	runtime.UnlockOSThread()
	return fd, err
}

// loopbackUp brings up lo in the calling thread's namespace; the kernel then
// gives it 127.0.0.1/8 and ::1.
func loopbackUp() error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("ip link set lo up: %w", err)
	}
	return nil
}

// add records a namespace descriptor and returns its id.
func (c *child) add(fd int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	c.spaces[c.next] = &space{fd: fd}
	return c.next
}

func (c *child) newSpace() (int, error) {
	fd, err := c.unshare()
	if err != nil {
		return 0, err
	}
	return c.add(fd), nil
}

// lookup returns the namespace with id, locked; the caller unlocks it.
func (c *child) lookup(id int) (*space, error) {
	c.mu.Lock()
	s := c.spaces[id]
	c.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("no namespace %d", id)
	}
	s.mu.Lock()
	if s.fd < 0 {
		s.mu.Unlock()
		return nil, fmt.Errorf("namespace %d is closed", id)
	}
	return s, nil
}

// socket creates a non-blocking, close-on-exec socket inside a namespace.
func (c *child) socket(req request) (int, error) {
	s, err := c.lookup(req.NS)
	if err != nil {
		return -1, err
	}
	defer s.mu.Unlock()
	fd := -1
	err = c.in(s.fd, func() error {
		var err error
		fd, err = unix.Socket(req.Domain, req.Type|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, req.Proto)
		return os.NewSyscallError("socket", err)
	})
	if err != nil && fd >= 0 {
		unix.Close(fd)
		fd = -1
	}
	return fd, err
}

// closeSpace closes a namespace and the lab it owns, and takes it off its
// room LAN. Sockets made in it keep it alive until they are closed too.
func (c *child) closeSpace(id int) error {
	c.mu.Lock()
	s := c.spaces[id]
	delete(c.spaces, id) // no new request finds it; those under way finish first
	c.mu.Unlock()
	if s == nil {
		return fmt.Errorf("no namespace %d", id)
	}
	s.mu.Lock()
	lab := s.lab
	s.mu.Unlock()
	var err error
	if lab != 0 {
		err = c.closeLab(lab)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.room != 0 {
		err = errors.Join(err, c.unplug(id, s))
	}
	unix.Close(s.fd)
	s.fd = -1
	return err
}
