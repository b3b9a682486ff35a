package netns

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"sockplay/sockets"
)

// capture starts a capture of ns, closed when the test ends.
func capture(t *testing.T, ns *Namespace) *Capture {
	t.Helper()
	c, err := NewCapture(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next waits for the next summary that match accepts.
func next(t *testing.T, c *Capture, match func(Packet) bool) Packet {
	t.Helper()
	for {
		select {
		case p, ok := <-c.Packets():
			if !ok {
				t.Fatal("the capture stopped")
			}
			if match(p) {
				return p
			}
		case <-ctx(t).Done():
			t.Fatal("no such packet captured")
		}
	}
}

func tcpTo(port uint16) func(Packet) bool {
	return func(p Packet) bool { return p.Proto == "TCP" && (p.Dst.Port() == port || p.Src.Port() == port) }
}

// A TCP handshake on lo is captured once per packet: SYN (seq J),
// SYN+ACK (seq K, ack J+1), ACK (seq J+1, ack K+1); the pcap file holds the
// same three.
func TestCaptureHandshake(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		ns := newNS(t, h)
		c := capture(t, ns)
		l := listen(t, ns, "127.0.0.1", 9000)
		cl := open(t, ns, sockets.AFInet, sockets.SockStream, nil)
		local, e := cl.Connect(ctx(t), sockets.Addr{Host: "127.0.0.1", Port: 9000}, sockets.CallOptions{})
		if e != nil {
			t.Fatal(e)
		}
		conn, _, e := l.Accept(ctx(t), sockets.CallOptions{})
		if e != nil {
			t.Fatal(e)
		}
		defer conn.Close()

		syn := next(t, c, tcpTo(9000))
		synack := next(t, c, tcpTo(9000))
		ack := next(t, c, tcpTo(9000))
		client := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(local.Port))
		server := netip.MustParseAddrPort("127.0.0.1:9000")
		for _, c := range []struct {
			name     string
			p        Packet
			flags    []string
			src, dst netip.AddrPort
		}{
			{"SYN", syn, []string{"SYN"}, client, server},
			{"SYN+ACK", synack, []string{"SYN", "ACK"}, server, client},
			{"ACK", ack, []string{"ACK"}, client, server},
		} {
			if !slices.Equal(c.p.Flags, c.flags) || c.p.Src != c.src || c.p.Dst != c.dst || c.p.Iface != "lo" || c.p.Len != 0 || c.p.Win == 0 {
				t.Errorf("%s: got %+v, want flags %v from %v to %v on lo, no payload, a window", c.name, c.p, c.flags, c.src, c.dst)
			}
		}
		j, k := syn.Seq, synack.Seq
		if synack.Ack != j+1 || ack.Seq != j+1 || ack.Ack != k+1 {
			t.Errorf("seq/ack: SYN %d; SYN+ACK %d/%d; ACK %d/%d — want J; K/J+1; J+1/K+1", j, k, synack.Ack, ack.Seq, ack.Ack)
		}

		var buf bytes.Buffer
		if err := c.WritePcap(&buf); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range readPcap(t, &buf) {
			tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if tcp == nil || (tcp.DstPort != 9000 && tcp.SrcPort != 9000) {
				continue
			}
			got = append(got, fmt.Sprintf("SYN=%v ACK=%v seq=%d ack=%d", tcp.SYN, tcp.ACK, tcp.Seq, tcp.Ack))
		}
		want := []string{
			fmt.Sprintf("SYN=true ACK=false seq=%d ack=0", j),
			fmt.Sprintf("SYN=true ACK=true seq=%d ack=%d", k, j+1),
			fmt.Sprintf("SYN=false ACK=true seq=%d ack=%d", j+1, k+1),
		}
		if len(got) < 3 || !slices.Equal(got[:3], want) {
			t.Errorf("pcap holds %q, want it to begin with %q", got, want)
		}
	})
}

// readPcap parses a pcap file of Ethernet frames.
func readPcap(t *testing.T, r io.Reader) []gopacket.Packet {
	t.Helper()
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	if pr.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("link type %v, want Ethernet", pr.LinkType())
	}
	var out []gopacket.Packet
	for {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != len(data) || ci.Timestamp.IsZero() {
			t.Errorf("capture info %+v for %d bytes", ci, len(data))
		}
		out = append(out, gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default))
	}
}

// UDP on a lab host is summarized with its payload length, and broadcast
// and multicast datagrams are marked as such.
func TestCaptureLabUDP(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		lab := newLab(t, h, 2)
		c := capture(t, lab.Hosts[1].NS) // h2 sees what h1 sends
		tx := open(t, lab.Hosts[0].NS, sockets.AFInet, sockets.SockDgram, labPolicy)
		if _, e := tx.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil {
			t.Fatal(e)
		}
		for _, to := range []string{"10.77.0.2", "10.77.0.255", "239.1.2.3"} {
			if _, _, e := tx.SendTo(ctx(t), []byte("hello"), sockets.Addr{Host: to, Port: 9400}, sockets.CallOptions{}); e != nil {
				t.Fatal(e)
			}
		}
		for _, want := range []struct {
			dst                  string
			broadcast, multicast bool
		}{{"10.77.0.2", false, false}, {"10.77.0.255", true, false}, {"239.1.2.3", false, true}} {
			p := next(t, c, func(p Packet) bool { return p.Proto == "UDP" && p.Dst.Addr().String() == want.dst })
			if p.Src.Addr().String() != "10.77.0.1" || p.Dst.Port() != 9400 || p.Len != 5 || p.Iface != "eth0" || p.Outgoing ||
				p.Broadcast != want.broadcast || p.Multicast != want.multicast {
				t.Errorf("to %s: got %+v, want from 10.77.0.1, port 9400, 5 bytes, in on eth0, broadcast %v, multicast %v",
					want.dst, p, want.broadcast, want.multicast)
			}
		}
	})
}

// The ring keeps the newest packets within its count and byte bounds.
func TestRing(t *testing.T) {
	for _, c := range []struct {
		name                 string
		maxPackets, maxBytes int
		sizes                []int
		want                 []int // the sizes kept, oldest first
	}{
		{"under both", 4, 100, []int{1, 2, 3}, []int{1, 2, 3}},
		{"count", 3, 100, []int{1, 2, 3, 4, 5}, []int{3, 4, 5}},
		{"bytes", 10, 10, []int{4, 4, 4, 4}, []int{4, 4}},
		{"bytes, then count wraps", 3, 10, []int{6, 6, 1, 1, 1, 1}, []int{1, 1, 1}},
		{"one big packet", 3, 10, []int{2, 2, 10}, []int{10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ring{maxPackets: c.maxPackets, maxBytes: c.maxBytes}
			for _, n := range c.sizes {
				r.push(record{data: make([]byte, n)})
			}
			var got []int
			total := 0
			for _, rec := range r.all() {
				got = append(got, len(rec.data))
				total += len(rec.data)
			}
			if !slices.Equal(got, c.want) || r.bytes != total || r.evicted != len(c.sizes)-len(c.want) {
				t.Errorf("kept %v (bytes %d, evicted %d), want %v", got, r.bytes, r.evicted, c.want)
			}
		})
	}
}
