package netns

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The helper and its parent talk over a SOCK_SEQPACKET socketpair: one JSON
// object per packet, each way. A request carries an id chosen by the parent;
// its reply carries the same id, and a socket travels beside it as
// SCM_RIGHTS. Requests are answered concurrently, so replies may come in any
// order.

// Request ops.
const (
	opNew      = "new"      // → NS
	opSocket   = "socket"   // NS, Domain, Type, Proto → one fd
	opClose    = "close"    // NS (and the lab it owns, if any)
	opLab      = "lab"      // NS (the owner), Hosts → Lab, LabHosts, Broadcast
	opCloseLab = "closelab" // Lab

	opRoom      = "room"      // → Room
	opRoomJoin  = "roomjoin"  // Room, NS, Host
	opRoomLeave = "roomleave" // NS
	opCloseRoom = "closeroom" // Room
)

// request is one message from the parent to the helper.
type request struct {
	ID     uint64 `json:"id"`
	Op     string `json:"op"`
	NS     int    `json:"ns,omitempty"`
	Domain int    `json:"domain,omitempty"`
	Type   int    `json:"type,omitempty"`
	Proto  int    `json:"proto,omitempty"`
	Hosts  int    `json:"hosts,omitempty"`
	Lab    int    `json:"lab,omitempty"`
	Room   int    `json:"room,omitempty"`
	Host   int    `json:"host,omitempty"` // a room LAN's host number
}

// reply is one message from the helper to the parent. ID 0 is the helper's
// greeting, sent once when it is ready.
type reply struct {
	ID    uint64 `json:"id"`
	Err   string `json:"err,omitempty"`   // the failure, if any
	Errno int    `json:"errno,omitempty"` // its errno, when it was a system call's
	Call  string `json:"call,omitempty"`  // that system call

	NS        int        `json:"ns,omitempty"`
	Lab       int        `json:"lab,omitempty"`
	Room      int        `json:"room,omitempty"`
	LabHosts  []wireHost `json:"labHosts,omitempty"`
	Broadcast string     `json:"broadcast,omitempty"`
	PID       int        `json:"pid,omitempty"`
}

// wireHost is one lab host as the helper reports it.
type wireHost struct {
	Name string `json:"name"`
	NS   int    `json:"ns"`
	Addr string `json:"addr"`
}

// failure fills in r's error fields from err, keeping its errno.
func (r *reply) failure(err error) {
	r.Err = err.Error()
	var se *os.SyscallError
	if errors.As(err, &se) {
		r.Call = se.Syscall
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		r.Errno = int(errno)
	}
}

// error turns r's error fields back into an error: an *os.SyscallError
// wrapping the errno when there is one, so errors.Is(err, unix.EMFILE) holds.
func (r *reply) error() error {
	switch {
	case r.Err == "":
		return nil
	case r.Errno != 0 && r.Call != "":
		return os.NewSyscallError(r.Call, syscall.Errno(r.Errno))
	case r.Errno != 0:
		return fmt.Errorf("%s: %w", r.Err, syscall.Errno(r.Errno))
	default:
		return errors.New(r.Err)
	}
}

// send writes v as one packet, with fds (if any) as SCM_RIGHTS.
func send(c *net.UnixConn, v any, fds ...int) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = c.WriteMsgUnix(b, oob, nil)
	return err
}

// maxPacket bounds one message; the largest, a lab of 8 hosts, is far below.
const maxPacket = 64 << 10

// receive reads one packet into v and returns the fds that came with it
// (close-on-exec: Go reads with MSG_CMSG_CLOEXEC).
func receive(c *net.UnixConn, v any) ([]int, error) {
	b := make([]byte, maxPacket)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(b, oob)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("the other end closed")
	}
	fds, ferr := parseRights(oob[:oobn])
	if err := json.Unmarshal(b[:n], v); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("bad message: %v", err)
	}
	return fds, ferr
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeAll(fds)
			return nil, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// socketpair makes the connected pair the parent and the helper talk over.
func socketpair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return os.NewFile(uintptr(fds[0]), "netns-parent"), os.NewFile(uintptr(fds[1]), "netns-child"), nil
}

// unixConn turns f into a *net.UnixConn (a copy of the descriptor) and
// closes f.
func unixConn(f *os.File) (*net.UnixConn, error) {
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("fd is a %T, not a unix socket", c)
	}
	return uc, nil
}
