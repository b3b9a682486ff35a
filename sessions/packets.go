package sessions

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"sockplay/sockets"
	"sockplay/sockets/netns"
)

// The real packets of a session's namespaces. Each namespace the session
// has — its private network (h1) once made, and each host of its lab — is
// captured by an AF_PACKET socket in it (sockets/netns Capture: the last
// netns.MaxPackets packets or netns.MaxBytes of them, for all of the
// session's namespaces together: they share one netns.Budget), and
// every packet captured becomes a packet message in the log, at most
// PacketRate a second: the rest of each second's packets are summed up in
// one packets_not_shown message (they stay in the capture, for
// WritePcap). A session on this machine's network has no capture until it
// builds a lab: the host's own traffic is not the session's.

// The kinds of the packet messages (see web/PROTOCOL.md).
const (
	KindPacket         = "packet"
	KindPacketsHidden  = "packets_not_shown"
	PacketRate         = 200 // packet messages a session logs per second, at most
	packetBatch        = 64  // packets logged under one taking of the session lock
	packetRateInterval = time.Second
)

// PacketBody is one captured packet.
type PacketBody struct {
	Host      string `json:"host"`     // the lab host whose namespace saw it: "h1" is the session's own
	Iface     string `json:"iface"`    // "lo", "eth0"
	Outgoing  bool   `json:"outgoing"` // sent by that host (false on lo, where sent and received are one packet)
	Proto     string `json:"proto"`    // "TCP", "UDP", "ICMP", "IGMP", "ARP", …
	Src       Addr   `json:"src"`      // [address, port]; port 0 where the protocol has none
	Dst       Addr   `json:"dst"`
	Size      int    `json:"size"`                // bytes on the wire, link header included
	Len       *int   `json:"len,omitempty"`       // payload bytes (TCP, UDP)
	Broadcast bool   `json:"broadcast,omitempty"` // to a broadcast address
	Multicast bool   `json:"multicast,omitempty"` // to a multicast group
	// TCP is a TCP segment's header (absent for other protocols). It is an
	// object of its own because seq is the log's.
	TCP *TCPFields `json:"tcp,omitempty"`
}

// TCPFields are a TCP segment's header fields, as on the wire.
type TCPFields struct {
	Flags []string `json:"flags"` // "SYN", "ACK", … in header order
	Seq   uint32   `json:"seq"`
	Ack   uint32   `json:"ack"` // meaningful with "ACK"
	Win   uint16   `json:"win"` // unscaled
}

// PacketsHiddenBody says how many packets of one second were not logged.
type PacketsHiddenBody struct {
	Count int    `json:"count"`
	Note  string `json:"note"`
}

func packetBody(host string, p netns.Packet) PacketBody {
	b := PacketBody{Host: host, Iface: p.Iface, Outgoing: p.Outgoing, Proto: p.Proto, Size: p.Size,
		Broadcast: p.Broadcast, Multicast: p.Multicast}
	if p.Src.IsValid() {
		b.Src = addrOf(sockets.Addr{Host: p.Src.Addr().String(), Port: int(p.Src.Port())})
	}
	if p.Dst.IsValid() {
		b.Dst = addrOf(sockets.Addr{Host: p.Dst.Addr().String(), Port: int(p.Dst.Port())})
	}
	switch p.Proto {
	case "TCP":
		b.Len = &p.Len
		b.TCP = &TCPFields{Flags: p.Flags, Seq: p.Seq, Ack: p.Ack, Win: p.Win}
		if b.TCP.Flags == nil {
			b.TCP.Flags = []string{}
		}
	case "UDP":
		b.Len = &p.Len
	}
	return b
}

// captures are a session's running captures, by host. They are started
// from wherever a namespace is made (under the session lock or not), so
// they have their own mutex.
type captures struct {
	mu     sync.Mutex
	byHost map[string]*netns.Capture
	budget *netns.Budget // shared by them all: the session's bound
	closed bool
	wg     sync.WaitGroup // the goroutines logging their packets
}

// startCapture starts capturing ns as host's, and logging its packets.
// A namespace that is not a sockets/netns one (a test's) is not captured;
// nor is one whose capture cannot start (the session goes on without).
func (s *Session) startCapture(host string, ns Namespace) {
	nns, ok := ns.(*netns.Namespace)
	if !ok {
		return
	}
	cs := &s.captures
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return
	}
	if cs.budget == nil {
		cs.budget = netns.NewBudgetOf(s.cfg.CapturePackets, s.cfg.CaptureBytes)
	}
	if old := cs.byHost[host]; old != nil {
		old.Close() // a torn-down lab's host of the same name
		cs.budget.Forget(old)
	}
	c, err := netns.NewCaptureIn(nns, cs.budget)
	if err != nil {
		delete(cs.byHost, host)
		return
	}
	if cs.byHost == nil {
		cs.byHost = map[string]*netns.Capture{}
	}
	cs.byHost[host] = c
	cs.wg.Add(1)
	go s.logPackets(host, c)
}

// stopCapture stops host's capture; its packets stay for WritePcap until
// a capture of the same host replaces it.
func (s *Session) stopCapture(host string) {
	cs := &s.captures
	cs.mu.Lock()
	c := cs.byHost[host]
	cs.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// close stops every capture and waits for their packets to be logged.
func (cs *captures) close() {
	cs.mu.Lock()
	cs.closed = true
	all := make([]*netns.Capture, 0, len(cs.byHost))
	for _, c := range cs.byHost {
		all = append(all, c)
	}
	cs.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
	cs.wg.Wait()
}

// logPackets logs c's packets until it stops, a batch at a time.
func (s *Session) logPackets(host string, c *netns.Capture) {
	defer s.captures.wg.Done()
	batch := make([]netns.Packet, 0, packetBatch)
	for p := range c.Packets() {
		batch = append(batch[:0], p)
	more:
		for len(batch) < packetBatch {
			select {
			case p, ok := <-c.Packets():
				if !ok {
					break more
				}
				batch = append(batch, p)
			default:
				break more
			}
		}
		s.withLock(func() {
			if s.ending {
				return
			}
			for _, p := range batch {
				s.logPacket(host, p)
			}
		})
	}
}

// packetRate counts the packet messages of the current second.
type packetRate struct {
	start  time.Time      // when the current second began
	shown  int            // packets logged in it
	hidden int            // packets not logged in it
	armed  bool           // a timer will log the hidden count at its end
	recent []loggedPacket // the newest logged packets, for segments and op packets (the log keeps them only as JSON)
}

// loggedPacket is a logged packet message's seq and body.
type loggedPacket struct {
	seq  int64
	body PacketBody
}

// maxRecentPackets is how many logged packets a session keeps as values.
const maxRecentPackets = 2000

// keepPacket remembers a logged packet, forgetting the oldest past
// maxRecentPackets (inside withLock).
func (r *packetRate) keepPacket(seq int64, b PacketBody) {
	if len(r.recent) == maxRecentPackets {
		r.recent = append(r.recent[:0], r.recent[maxRecentPackets/2:]...)
	}
	r.recent = append(r.recent, loggedPacket{seq, b})
}

// logPacket logs one packet, or counts it as not shown when PacketRate
// have been logged this second (inside withLock).
func (s *Session) logPacket(host string, p netns.Packet) {
	r := &s.packets
	now := s.cfg.Now()
	if now.Sub(r.start) >= packetRateInterval {
		s.logHidden()
		r.start, r.shown = now, 0
	}
	if r.shown < PacketRate {
		r.shown++
		b := packetBody(host, p)
		r.keepPacket(s.append(KindPacket, b).Seq, b)
		return
	}
	r.hidden++
	if !r.armed {
		r.armed = true
		time.AfterFunc(r.start.Add(packetRateInterval).Sub(now), func() {
			s.withLock(func() {
				r.armed = false
				if !s.ending {
					s.logHidden()
				}
			})
		})
	}
}

// logHidden logs how many packets were not shown, if any (inside withLock).
func (s *Session) logHidden() {
	r := &s.packets
	if r.hidden == 0 {
		return
	}
	s.append(KindPacketsHidden, PacketsHiddenBody{Count: r.hidden,
		Note: fmt.Sprintf("%d packets were not shown: the log shows at most %d a second; the capture (GET /capture.pcap) keeps the last %d.", r.hidden, PacketRate, s.cfg.CapturePackets)})
	r.hidden = 0
}

// emptySnapLen is the snapshot length of an empty capture's file.
const emptySnapLen = 262144

// ErrNoCapture is WritePcap's error when the session has captured nothing:
// its sockets live on this machine's network and it has no lab.
var ErrNoCapture = errors.New("this session has no private network, so nothing of its own is captured: its sockets share this machine's network (--network host); build a lab (op lab) to capture its hosts' packets")

// Hosts lists the hosts whose packets the session captured, h1 first.
func (s *Session) Hosts() []string {
	cs := &s.captures
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var hosts []string
	for h := range cs.byHost {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return hosts
}

// WritePcap writes the packets captured on host ("" for h1, the session's
// own namespace or its lab's first host) as a pcap file. It is
// ErrNoCapture when the session has captured nothing, and an error naming
// the hosts when host is not one of them.
func (s *Session) WritePcap(w io.Writer, host string) error {
	if host == "" {
		host = "h1"
	}
	cs := &s.captures
	cs.mu.Lock()
	c, n := cs.byHost[host], len(cs.byHost)
	cs.mu.Unlock()
	switch {
	case c == nil && n == 0 && s.network.make != nil:
		// A private session that has made no socket yet: no namespace, no packets.
		return netns.WritePcapHeader(w, emptySnapLen)
	case c == nil && n == 0:
		return ErrNoCapture
	case c == nil:
		return fmt.Errorf("no host %q in this session's capture: its hosts are %v", host, s.Hosts())
	}
	return c.WritePcap(w)
}
