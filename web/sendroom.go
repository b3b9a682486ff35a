package web

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A slow client, one that stops reading, fills the kernel's send buffer of
// its connection. A frame written then blocks, and once its write deadline
// passes gorilla/websocket gives up on the connection for good: the frame is
// cut in the middle, so not even a close frame can follow it, and the client
// sees the connection die without one (1006). So the writer starts a frame
// only when the kernel can take all of it and still has room for a close
// frame after it (sendRoom.fits); while it cannot, the writer waits, and
// when that lasts writeWait it sends close 1013 instead, at a frame boundary,
// which the client reads after whatever it had not read yet.

// closeRoom is the send buffer room kept free for a close or ping frame
// after a data frame (bytes, as the kernel counts them: data and overhead).
const closeRoom = 8 << 10

// sendRoom reads how full a connection's kernel send buffer is. Only the
// connection's writer goroutine (wsConn.writeLoop) uses it.
type sendRoom struct {
	raw syscall.RawConn
	// credit is the room known to be free at the last read, less what fits
	// has let through since: acknowledgements only add room, so while it
	// lasts, fits need not ask the kernel (one system call less per frame).
	credit int
}

// newSendRoom returns the send buffer of c, or nil if c is not a socket
// whose buffer can be read (then frames are written without looking).
func newSendRoom(c net.Conn) *sendRoom {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &sendRoom{raw: raw}
	if _, _, ok := r.read(); !ok {
		return nil
	}
	return r
}

// read returns the send buffer's size (SO_SNDBUF as the kernel keeps it)
// and how much of it is taken by data not yet acknowledged, overhead
// included (SO_MEMINFO): a write waits once the second reaches the first.
func (r *sendRoom) read() (size, queued int, ok bool) {
	var mem [unix.SK_MEMINFO_VARS]uint32
	var errno syscall.Errno
	err := r.raw.Control(func(fd uintptr) {
		n := uint32(unsafe.Sizeof(mem))
		_, _, errno = unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&n)), 0)
	})
	if err != nil || errno != 0 {
		return 0, 0, false
	}
	return int(mem[unix.SK_MEMINFO_SNDBUF]), int(mem[unix.SK_MEMINFO_WMEM_QUEUED]), true
}

// fits reports whether a frame of n bytes may be written now: the buffer's
// free room holds the frame twice over (data that waits for a small receive
// window is cut into more, smaller packets, each with its overhead) plus
// closeRoom. A frame too large for that is let through once the buffer is
// empty or half free; it may still stall midway if the client stops reading
// (see PROTOCOL.md, Connection). A buffer that cannot be read (the
// connection is closing) fits anything: the write reports the error.
func (r *sendRoom) fits(n int) bool {
	need := 2*n + closeRoom
	if r.credit >= need {
		r.credit -= 2 * n
		return true
	}
	size, queued, ok := r.read()
	if !ok {
		return true
	}
	free := size - queued
	switch {
	case free >= need:
		r.credit = free - 2*n
		return true
	case queued == 0 || free >= size/2:
		r.credit = 0
		return true
	}
	return false
}

// hasRoom reports whether a small control frame (a ping) can be written
// without waiting.
func (r *sendRoom) hasRoom() bool {
	size, queued, ok := r.read()
	return !ok || size-queued >= closeRoom
}
