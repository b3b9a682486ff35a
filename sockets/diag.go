package sockets

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A TCP connection outlives its descriptor: after close() the kernel keeps
// it, without any fd, until the goodbye is over (FIN_WAIT2, LAST_ACK, and
// TIME_WAIT for a minute on the side that closed first). Only the kernel's
// socket diagnostics (sock_diag over netlink, what `ss` uses) can show such
// a connection; this file asks it.

// kernelConn is the kernel's record of a TCP connection.
type kernelConn struct {
	state   string
	expires time.Duration // how long until its timer fires (TIME_WAIT: until it goes)
}

// The sizes of struct inet_diag_req_v2 and struct inet_diag_msg.
const (
	inetDiagReqLen = 56
	inetDiagMsgLen = 72
)

// findTCP asks the kernel for the TCP connection of family between local
// and peer, with or without a descriptor. It reports false if the kernel
// keeps none.
func findTCP(family Family, local, peer netip.AddrPort) (kernelConn, bool, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return kernelConn{}, false, err
	}
	defer unix.Close(fd)
	af := uint8(unix.AF_INET)
	if family == AFInet6 {
		af = unix.AF_INET6
	}
	// A dump of every TCP socket of the family, in any state; the
	// connection is picked out below (an exact lookup needs the kernel's
	// cookie for it, which a closed descriptor no longer gives).
	req := make([]byte, unix.SizeofNlMsghdr+inetDiagReqLen)
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&req[0]))
	*hdr = unix.NlMsghdr{Len: uint32(len(req)), Type: unix.SOCK_DIAG_BY_FAMILY, Flags: unix.NLM_F_REQUEST | unix.NLM_F_DUMP}
	body := req[unix.SizeofNlMsghdr:]
	body[0], body[1] = af, unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(body[4:8], ^uint32(0)) // every state
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return kernelConn{}, false, err
	}
	buf := make([]byte, 64<<10)
	var found kernelConn
	ok := false
	for range 1 << 16 { // bounded: the dump ends with NLMSG_DONE
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return kernelConn{}, false, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return kernelConn{}, false, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return found, ok, nil
			case unix.NLMSG_ERROR:
				return kernelConn{}, false, unix.EINVAL
			}
			if c, match := diagMatch(m.Data, local, peer); match {
				found, ok = c, true
			}
		}
	}
	return found, ok, nil
}

// diagMatch reads one struct inet_diag_msg and reports whether it is the
// connection between local and peer.
func diagMatch(msg []byte, local, peer netip.AddrPort) (kernelConn, bool) {
	if len(msg) < inetDiagMsgLen {
		return kernelConn{}, false
	}
	state, id := msg[1], msg[4:52]
	sport, dport := binary.BigEndian.Uint16(id[0:2]), binary.BigEndian.Uint16(id[2:4])
	src, dst := diagAddr(msg[0], id[4:20]), diagAddr(msg[0], id[20:36])
	if netip.AddrPortFrom(src, sport) != local || netip.AddrPortFrom(dst, dport) != peer {
		return kernelConn{}, false
	}
	c := kernelConn{expires: time.Duration(binary.NativeEndian.Uint32(msg[52:56])) * time.Millisecond}
	if int(state) < len(tcpStates) {
		c.state = tcpStates[state]
	}
	return c, true
}

// diagAddr reads an address of inet_diag_sockid, unmapped as addrPort does.
func diagAddr(family byte, b []byte) netip.Addr {
	if family == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}
