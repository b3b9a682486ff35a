package netns

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bounds of a capture's ring: the oldest packets go first when either
// is reached.
const (
	MaxPackets = 10000    // packets kept per budget (a session's captures share one)
	MaxBytes   = 16 << 20 // bytes of packets kept per budget (16 MiB)
	QueueLen   = 1024     // summaries waiting on Packets(); more are dropped, not waited for
)

// snapLen is the largest packet read: lo's MTU is 64 KiB, and a GSO packet
// is read whole.
const snapLen = 128 << 10

// Capture records every packet of one namespace, on all its interfaces, as
// an AF_PACKET socket in it sees them: the last MaxPackets (or MaxBytes)
// whole packets, for WritePcap, and a summary of each on Packets(). On lo,
// where every packet is seen going out and coming in, it is kept once (as
// libpcap does).
type Capture struct {
	file *os.File
	rc   syscall.RawConn
	out  chan Packet
	done chan struct{}

	closing     atomic.Bool // Close was called: reading stops without an error
	mu          sync.Mutex
	ring        ring          // its packets; budget decides which go
	budget      *Budget       // the bound it keeps, maybe with other captures
	ifaces      map[int]iface // by index, looked up on first sight
	seen        int           // packets read
	undelivered int           // summaries dropped because Packets() was full
	kernelDrops int           // packets the kernel dropped (socket buffer full)
	err         error         // why reading stopped, if not Close
}

type iface struct {
	name     string
	loopback bool
}

// NewCapture starts capturing ns's packets, within a budget of its own.
// Close stops it.
func NewCapture(ns *Namespace) (*Capture, error) { return NewCaptureIn(ns, NewBudget()) }

// NewCaptureIn starts capturing ns's packets within budget, which other
// captures may share: together they keep its bound. Close stops it.
func NewCaptureIn(ns *Namespace, budget *Budget) (*Capture, error) {
	fd, err := ns.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt SO_TIMESTAMPNS", err)
	}
	f := os.NewFile(uintptr(fd), "capture")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &Capture{
		file: f, rc: rc,
		out:    make(chan Packet, QueueLen),
		done:   make(chan struct{}),
		ring:   ring{maxPackets: budget.maxPackets, maxBytes: budget.maxBytes},
		ifaces: map[int]iface{},
		budget: budget,
	}
	go c.read()
	return c, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Packets delivers a summary of each packet as it is captured, and is
// closed when the capture stops. A reader that falls QueueLen behind misses
// summaries (counted in Stats); the packets stay in the ring.
func (c *Capture) Packets() <-chan Packet { return c.out }

// read reads packets until the socket is closed.
func (c *Capture) read() {
	defer close(c.done)
	defer close(c.out)
	buf := make([]byte, snapLen)
	oob := make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))
	for {
		var n, oobn, flags int
		var from unix.Sockaddr
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, oobn, flags, from, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_TRUNC)
			return rerr != unix.EAGAIN && rerr != unix.EINTR
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			if !c.closing.Load() {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
			}
			return
		}
		ll, _ := from.(*unix.SockaddrLinklayer)
		if ll == nil {
			continue
		}
		c.keep(buf[:min(n, len(buf))], n, flags&unix.MSG_TRUNC != 0, ll, stamp(oob[:oobn]))
	}
}

// stamp is the kernel's receive time of a packet, from SCM_TIMESTAMPNS.
func stamp(oob []byte) time.Time {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix())
		}
	}
	return time.Now()
}

// keep stores one packet and delivers its summary.
func (c *Capture) keep(data []byte, size int, truncated bool, ll *unix.SockaddrLinklayer, at time.Time) {
	c.mu.Lock()
	ifc, ok := c.ifaces[ll.Ifindex]
	if !ok {
		ifc = c.lookup(ll.Ifindex)
		c.ifaces[ll.Ifindex] = ifc
	}
	outgoing := ll.Pkttype == unix.PACKET_OUTGOING
	if ifc.loopback && outgoing {
		c.mu.Unlock()
		return // the same packet comes back in on lo
	}
	if !truncated {
		size = len(data)
	}
	c.mu.Unlock()
	rec := record{at: at, size: size, data: append([]byte(nil), data...)}
	c.budget.keep(c, rec)

	p := summarize(rec.data, rec.at, rec.size)
	p.Iface = ifc.name
	p.Outgoing = outgoing && !ifc.loopback
	p.Broadcast = p.Broadcast || ll.Pkttype == unix.PACKET_BROADCAST
	p.Multicast = p.Multicast || ll.Pkttype == unix.PACKET_MULTICAST
	select {
	case c.out <- p:
	default:
		c.mu.Lock()
		c.undelivered++
		c.mu.Unlock()
	}
}

// lookup names interface index, asking the kernel through the capture
// socket (which is in the captured namespace).
func (c *Capture) lookup(index int) iface {
	var ifc iface
	c.rc.Control(func(fd uintptr) {
		ifr, err := unix.NewIfreq("")
		if err != nil {
			return
		}
		ifr.SetUint32(uint32(index))
		if unix.IoctlIfreq(int(fd), unix.SIOCGIFNAME, ifr) != nil {
			return
		}
		ifc.name = ifr.Name()
		if unix.IoctlIfreq(int(fd), unix.SIOCGIFFLAGS, ifr) == nil {
			ifc.loopback = ifr.Uint16()&unix.IFF_LOOPBACK != 0
		}
	})
	return ifc
}

// CaptureStats are a capture's counters.
type CaptureStats struct {
	Kept        int // packets in the ring now
	KeptBytes   int // their bytes
	Seen        int // packets captured since the start
	Evicted     int // packets pushed out of the ring by newer ones
	Undelivered int // summaries dropped because Packets() was not read
	KernelDrops int // packets the kernel dropped before the capture read them
}

// Stats returns the capture's counters; KernelDrops is read from the kernel
// (PACKET_STATISTICS).
func (c *Capture) Stats() CaptureStats {
	var drops uint32
	c.rc.Control(func(fd uintptr) {
		if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			drops = st.Drops // the kernel resets its counters on each read
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kernelDrops += int(drops)
	return CaptureStats{
		Kept: c.ring.n, KeptBytes: c.ring.bytes, Seen: c.seen, Evicted: c.ring.evicted,
		Undelivered: c.undelivered, KernelDrops: c.kernelDrops,
	}
}

// WritePcap writes the packets in the ring, oldest first, as a pcap file
// (Ethernet link type: lo frames have a zeroed Ethernet header, as tcpdump
// shows them).
func (c *Capture) WritePcap(w io.Writer) error {
	c.mu.Lock()
	recs := c.ring.all()
	c.mu.Unlock()
	if err := WritePcapHeader(w, snapLen); err != nil {
		return err
	}
	for _, r := range recs {
		if err := writePcapPacket(w, r.at, r.size, r.data); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the capture, closes Packets() and returns why reading had
// stopped on its own, if it had. The ring stays readable by WritePcap.
func (c *Capture) Close() error {
	c.closing.Store(true)
	c.file.Close()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// record is one captured packet.
type record struct {
	at   time.Time // the kernel's timestamp
	size int       // its bytes on the wire (data may hold fewer)
	data []byte
}

// ring keeps the newest records within maxPackets and maxBytes.
type ring struct {
	maxPackets, maxBytes int
	buf                  []record // circular, len(buf) == maxPackets once grown
	start, n, bytes      int
	evicted              int
}

func (r *ring) push(rec record) {
	for r.n > 0 && (r.n == r.maxPackets || r.bytes+len(rec.data) > r.maxBytes) {
		r.dropOldest()
	}
	if len(r.buf) < r.maxPackets && r.start+r.n == len(r.buf) {
		r.buf = append(r.buf, rec) // still growing, and not wrapped
	} else {
		r.buf[(r.start+r.n)%r.maxPackets] = rec
	}
	r.n++
	r.bytes += len(rec.data)
}

// dropOldest evicts the oldest record (its budget's choice).
func (c *Capture) dropOldest() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring.dropOldest()
}

func (r *ring) dropOldest() {
	if r.n == 0 {
		return
	}
	old := &r.buf[r.start]
	r.bytes -= len(old.data)
	*old = record{}
	r.start = (r.start + 1) % r.maxPackets
	r.n--
	r.evicted++
}

// all returns the records, oldest first.
func (r *ring) all() []record {
	out := make([]record, 0, r.n)
	for i := range r.n {
		out = append(out, r.buf[(r.start+i)%r.maxPackets])
	}
	return out
}
