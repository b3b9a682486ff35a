package sockets

import (
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Stat is a socket's kernel state: its queues and, for TCP, TCP_INFO.
type Stat struct {
	State string // TCP's state name (LISTEN, ESTABLISHED, CLOSE_WAIT, …); UNCONN or ESTABLISHED for UDP
	InQ   int    // bytes waiting to be read (SIOCINQ); for UDP, the size of the next datagram
	OutQ  int    // bytes not yet acknowledged by the peer, or not yet sent (SIOCOUTQ)
	TCP   *TCPStat

	// Closed: the descriptor is closed and the kernel still keeps the
	// connection (State is FIN_WAIT2, TIME_WAIT, …); Expires is how long
	// until its timer fires (TIME_WAIT: until the kernel lets it go).
	Closed  bool
	Expires time.Duration
}

// TCPStat holds the TCP_INFO counters sockplay shows.
type TCPStat struct {
	DataSegsOut   uint32 // segments sent carrying data
	DataSegsIn    uint32 // segments received carrying data
	SegsOut       uint32 // all segments sent, ACKs included
	SegsIn        uint32 // all segments received
	RTT           uint32 // smoothed round-trip time (µs)
	SndMSS        uint32 // maximum segment size for sending (bytes)
	BytesAcked    uint64
	BytesReceived uint64
	TotalRetrans  uint32
}

// tcpStates are the kernel's names, indexed by tcpi_state.
var tcpStates = []string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
}

// Stat reads the socket's state from the kernel. A closed stream socket
// whose connection the kernel still keeps (after close() it goes on, with no
// descriptor, through FIN_WAIT2 or LAST_ACK, and TIME_WAIT on the side that
// closed first) reports it, Closed; any other closed socket is EBADF.
func (s *Socket) Stat() (Stat, *Error) {
	if e := s.checkOpen(); e != nil {
		if st, ok := s.closedStat(); ok {
			return st, nil
		}
		return Stat{}, e
	}
	s.mu.Lock()
	listening := s.listening
	r := s.statReads
	if r == nil {
		r = &statReads{}
		r.read = func(fd uintptr) {
			if s.typ == SockDgram {
				r.st, r.err = r.readDgram(int(fd), s.connects.Load())
				return
			}
			r.st, r.err = readStat(int(fd), r.listening)
		}
		s.statReads = r
	}
	s.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listening, r.st, r.err = listening, Stat{}, nil
	cerr := s.rc.Control(r.read)
	return r.st, s.controlled("stat", cerr, r.err)
}

// statReads is a socket's Stat machinery, made on its first Stat: the
// function its descriptor's Control runs, made once, and where it leaves
// what it read, so that a Stat (a page's poll of a card, every 250 ms)
// allocates nothing of its own.
type statReads struct {
	mu        sync.Mutex // one Stat at a time
	read      func(fd uintptr)
	listening bool
	st        Stat
	err       error

	// A datagram socket's peer as the last getpeername found it (peered:
	// connected), when the Socket's connects count was peerGen (peerKnown:
	// one was found).
	peerKnown bool
	peerGen   uint64
	peered    bool
}

// The kernel's socket memory counters, SO_MEMINFO's array (linux/sock_diag.h).
const (
	memRmemAlloc = 0 // bytes charged to the receive queue
	memWmemAlloc = 2 // bytes charged to the send queue: what SIOCOUTQ says for UDP
	memVars      = 9
)

// readDgram reads the kernel state of fd, an open datagram socket, whose
// Socket's connects generation is gen, in as few system calls as it can:
// a stat poll reads each followed socket four times a second, and a class's
// thousand busy sessions made 24,000 stat system calls a second of the
// 80,000 their server made in all. SO_MEMINFO says both queues' charges at
// once: the send queue's is exactly what SIOCOUTQ answers for UDP
// (udp_ioctl: sk_wmem_alloc_get), and a receive queue charged nothing is
// empty, so SIOCINQ (the first datagram's size) is asked only when it is
// charged. Whether the socket is connected changes only in Connect,
// which counts itself in gen as it ends, so getpeername is asked again
// only after one (gen is read before the kernel is asked: a Connect that
// ends after that moves it on, and the next Stat asks again).
func (r *statReads) readDgram(fd int, gen uint64) (st Stat, err error) {
	var mem [memVars]uint32
	n := uint32(unsafe.Sizeof(mem))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return st, errno
	}
	st.OutQ = int(mem[memWmemAlloc])
	if mem[memRmemAlloc] > 0 {
		if st.InQ, err = unix.IoctlGetInt(fd, unix.SIOCINQ); err != nil {
			return st, err
		}
	}
	if !r.peerKnown || r.peerGen != gen {
		_, perr := syscall.Getpeername(fd)
		r.peered, r.peerKnown, r.peerGen = perr == nil, true, gen
	}
	st.State = "UNCONN"
	if r.peered {
		st.State = "ESTABLISHED"
	}
	return st, nil
}

// readStat reads the kernel state of fd, an open stream socket.
func readStat(fd int, listening bool) (st Stat, err error) {
	// A listening socket has no byte queues: SIOCINQ/SIOCOUTQ say EINVAL.
	if !listening {
		if st.InQ, err = unix.IoctlGetInt(fd, unix.SIOCINQ); err != nil {
			return st, err
		}
		if st.OutQ, err = unix.IoctlGetInt(fd, unix.SIOCOUTQ); err != nil {
			return st, err
		}
	}
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return st, err
	}
	if int(ti.State) < len(tcpStates) {
		st.State = tcpStates[ti.State]
	}
	st.TCP = &TCPStat{
		DataSegsOut: ti.Data_segs_out, DataSegsIn: ti.Data_segs_in,
		SegsOut: ti.Segs_out, SegsIn: ti.Segs_in,
		RTT: ti.Rtt, SndMSS: ti.Snd_mss,
		BytesAcked: ti.Bytes_acked, BytesReceived: ti.Bytes_received,
		TotalRetrans: ti.Total_retrans,
	}
	return st, nil
}

// closedStat is the kernel's record of a closed stream socket's connection.
func (s *Socket) closedStat() (Stat, bool) {
	s.stream.mu.Lock()
	key := s.stream.key
	s.stream.mu.Unlock()
	if s.typ != SockStream || !key.peer.IsValid() {
		return Stat{}, false
	}
	c, ok, err := findTCP(s.family, key.local, key.peer)
	if err != nil || !ok {
		return Stat{}, false
	}
	return Stat{State: c.state, Closed: true, Expires: c.expires}, true
}

// Peek returns up to n0 bytes (at most MaxBufsize) waiting in the receive queue without
// consuming them and without waiting (MSG_PEEK|MSG_DONTWAIT). For UDP it
// shows the first datagram.
func (s *Socket) Peek(n0 int) ([]byte, *Error) {
	if e := s.checkOpen(); e != nil {
		return nil, e
	}
	buf := make([]byte, min(max(n0, 0), MaxBufsize))
	var n int
	e := s.control("recv", func(fd int) error {
		var err error
		n, _, err = unix.Recvfrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			n, err = 0, nil
		}
		return err
	})
	if e != nil || n < 0 {
		return nil, e
	}
	return buf[:min(n, len(buf))], nil
}
