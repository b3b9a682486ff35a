package netns

import (
	"bytes"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// gopacketSummary is summarize as gopacket's layers decode the frame: the
// oracle summarize is held against (the server does not link layers).
func gopacketSummary(data []byte, t time.Time, size int) (Packet, gopacket.Packet) {
	p := Packet{Time: t, Size: size}
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
		p.Proto = eth.EthernetType.String()
		p.Broadcast = eth.DstMAC.String() == "ff:ff:ff:ff:ff:ff"
	}
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst = oracleAddr(ip.SrcIP), oracleAddr(ip.DstIP)
		p.Proto = ip.Protocol.String()
		if ip.Protocol == layers.IPProtocolICMPv4 {
			p.Proto = "ICMP"
		}
		p.Broadcast = p.Broadcast || dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || dst == loopbackBroadcast || dst == LabBroadcast
	case *layers.IPv6:
		src, dst = oracleAddr(ip.SrcIP), oracleAddr(ip.DstIP)
		p.Proto = ip.NextHeader.String()
	}
	if arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		p.Proto = "ARP"
		src, dst = oracleAddr(arp.SourceProtAddress), oracleAddr(arp.DstProtAddress)
	}
	p.Multicast = dst.IsMulticast()
	var sport, dport uint16
	switch t := pkt.TransportLayer().(type) {
	case *layers.TCP:
		p.Proto = "TCP"
		sport, dport = uint16(t.SrcPort), uint16(t.DstPort)
		p.Seq, p.Ack, p.Win, p.Len = t.Seq, t.Ack, t.Window, len(t.Payload)
		for _, f := range []struct {
			on   bool
			name string
		}{{t.FIN, "FIN"}, {t.SYN, "SYN"}, {t.RST, "RST"}, {t.PSH, "PSH"}, {t.ACK, "ACK"}, {t.URG, "URG"}, {t.ECE, "ECE"}, {t.CWR, "CWR"}} {
			if f.on {
				p.Flags = append(p.Flags, f.name)
			}
		}
	case *layers.UDP:
		p.Proto = "UDP"
		sport, dport = uint16(t.SrcPort), uint16(t.DstPort)
		p.Len = len(t.Payload)
	}
	if src.IsValid() {
		p.Src = netip.AddrPortFrom(src, sport)
	}
	if dst.IsValid() {
		p.Dst = netip.AddrPortFrom(dst, dport)
	}
	return p, pkt
}

func oracleAddr(b net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}

// comparable reports whether gopacket's summary of pkt is the one to hold
// summarize to: gopacket decoded it without an error up to its transport
// header (an error in what a UDP port's payload is taken for does not
// count, nor one in a protocol gopacket does not know), with one network layer (not a tunnel) and none of the quirks
// it has on headers that no kernel sends (an ARP whose lengths overflow a
// byte, an IPv6 jumbogram).
func comparable(pkt gopacket.Packet) bool {
	nets := 0
	transport := false
	for _, l := range pkt.Layers() {
		switch l.LayerType() {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			nets++
			if ip, ok := l.(*layers.IPv6); ok && ip.Length == 0 {
				return false
			}
		case layers.LayerTypeARP:
			arp := l.(*layers.ARP)
			if 8+2*int(arp.HwAddressSize)+2*int(arp.ProtAddressSize) > 255 {
				return false
			}
		case layers.LayerTypeTCP, layers.LayerTypeUDP:
			transport = true
		case gopacket.LayerTypeDecodeFailure:
			// A protocol gopacket has no decoder for is no error of the
			// frame's: the summary names it as unknown.
			if msg := l.(*gopacket.DecodeFailure).Error().Error(); !transport && !strings.HasPrefix(msg, "Unable to decode") && msg != "Layer type not currently supported" {
				return false
			}
		}
		if transport {
			break
		}
	}
	return nets <= 1
}

// frames are well-formed frames of every kind summarize reads, built by
// gopacket's serializer.
func frames(t testing.TB) [][]byte {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	host1, host2 := mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")
	bcast, zero := mac("ff:ff:ff:ff:ff:ff"), mac("00:00:00:00:00:00")
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil { // checksums play no part in a summary
			t.Fatal(err)
		}
		return bytes.Clone(buf.Bytes())
	}
	eth := func(dst net.HardwareAddr, typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: host1, DstMAC: dst, EthernetType: typ}
	}
	v4 := func(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	v6 := func(src, dst string, next layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	}
	payload := gopacket.Payload("hello, sockets")
	var out [][]byte
	for _, dst := range []string{"10.77.0.2", LabBroadcast.String(), "10.78.0.255", "255.255.255.255", "127.0.0.1", "127.255.255.255", "224.0.0.251"} {
		for _, m := range []net.HardwareAddr{host2, bcast, zero} {
			udp := &layers.UDP{SrcPort: 40000, DstPort: 9000}
			ip := v4("10.78.0.1", dst, layers.IPProtocolUDP)
			udp.SetNetworkLayerForChecksum(ip)
			out = append(out, ser(eth(m, layers.EthernetTypeIPv4), ip, udp, payload))
		}
	}
	for _, flags := range []func(*layers.TCP){
		func(t *layers.TCP) { t.SYN = true },
		func(t *layers.TCP) { t.SYN, t.ACK = true, true },
		func(t *layers.TCP) { t.ACK, t.PSH = true, true },
		func(t *layers.TCP) { t.FIN, t.ACK, t.URG, t.ECE, t.CWR = true, true, true, true, true },
		func(t *layers.TCP) { t.RST = true },
	} {
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 9000, Seq: 1000, Ack: 2000, Window: 512,
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 180}}, {OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}}}}
		flags(tcp)
		ip := v4("127.0.0.1", "127.0.0.1", layers.IPProtocolTCP)
		tcp.SetNetworkLayerForChecksum(ip)
		out = append(out, ser(eth(zero, layers.EthernetTypeIPv4), ip, tcp, payload))
		ip6 := v6("fe80::1", "fe80::2", layers.IPProtocolTCP)
		tcp.SetNetworkLayerForChecksum(ip6)
		out = append(out, ser(eth(host2, layers.EthernetTypeIPv6), ip6, tcp, payload))
	}
	// IPv4 options; a first and a later fragment; ICMP; IGMP; another protocol.
	ip := v4("10.78.0.1", "10.78.0.2", layers.IPProtocolUDP)
	ip.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}}
	out = append(out, ser(eth(host2, layers.EthernetTypeIPv4), ip, &layers.UDP{SrcPort: 1, DstPort: 2}, payload))
	for _, frag := range []func(*layers.IPv4){
		func(ip *layers.IPv4) { ip.Flags = layers.IPv4MoreFragments },
		func(ip *layers.IPv4) { ip.FragOffset = 185 },
	} {
		ip := v4("10.78.0.1", "10.78.0.2", layers.IPProtocolUDP)
		frag(ip)
		out = append(out, ser(eth(host2, layers.EthernetTypeIPv4), ip, &layers.UDP{SrcPort: 1, DstPort: 2}, payload))
	}
	out = append(out,
		ser(eth(host2, layers.EthernetTypeIPv4), v4("10.78.0.1", "10.78.0.2", layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, payload),
		ser(eth(host2, layers.EthernetTypeIPv4), v4("10.78.0.1", "224.0.0.22", layers.IPProtocolIGMP), gopacket.Payload{0x22, 0, 0, 0, 0, 0, 0, 0}),
		ser(eth(host2, layers.EthernetTypeIPv4), v4("10.78.0.1", "10.78.0.2", layers.IPProtocolSCTP), gopacket.Payload{}),
		ser(eth(host2, layers.EthernetTypeIPv4), v4("10.78.0.1", "10.78.0.2", 200), payload),
	)
	// ARP, a VLAN tag, an 802.3 frame, an unknown EtherType.
	out = append(out,
		ser(eth(bcast, layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: host1, SourceProtAddress: []byte{10, 78, 0, 1}, DstHwAddress: zero, DstProtAddress: []byte{10, 78, 0, 2}}),
		ser(eth(host2, layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, v4("10.78.0.1", "10.78.0.2", layers.IPProtocolUDP), &layers.UDP{SrcPort: 5, DstPort: 6}, payload),
		ser(&layers.Ethernet{SrcMAC: host1, DstMAC: host2, EthernetType: layers.EthernetTypeLLC, Length: 3}, gopacket.Payload{0x42, 0x42, 0x03}),
		ser(eth(host2, 0x1234), payload),
	)
	// IPv6: ICMPv6; hop-by-hop options before ICMPv6 (as MLD has) and before
	// UDP; destination options; a fragment header.
	hbh := func(next layers.IPProtocol) gopacket.Payload {
		return gopacket.Payload{byte(next), 0, 5, 2, 0, 0, 1, 0} // router alert, PadN
	}
	out = append(out,
		ser(eth(host2, layers.EthernetTypeIPv6), v6("fe80::1", "ff02::1", layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, payload),
		ser(eth(host2, layers.EthernetTypeIPv6), v6("fe80::1", "ff02::16", layers.IPProtocolIPv6HopByHop), hbh(layers.IPProtocolICMPv6), gopacket.Payload{143, 0, 0, 0, 0, 0, 0, 0}),
		ser(eth(host2, layers.EthernetTypeIPv6), v6("fe80::1", "fe80::2", layers.IPProtocolIPv6HopByHop), hbh(layers.IPProtocolUDP), gopacket.Payload{0, 1, 0, 2, 0, 12, 0, 0, 'h', 'e', 'y', '!'}),
		ser(eth(host2, layers.EthernetTypeIPv6), v6("fe80::1", "fe80::2", layers.IPProtocolIPv6Destination), gopacket.Payload{17, 0, 1, 4, 0, 0, 0, 0}, gopacket.Payload{0, 1, 0, 2, 0, 12, 0, 0, 'h', 'e', 'y', '!'}),
		ser(eth(host2, layers.EthernetTypeIPv6), v6("fe80::1", "fe80::2", layers.IPProtocolIPv6Fragment), gopacket.Payload{17, 0, 0, 1, 0, 0, 0, 9}, gopacket.Payload{0, 1, 0, 2, 0, 12, 0, 0, 'h', 'e', 'y', '!'}),
	)
	return out
}

// TestSummaryAsGopacket holds summarize to gopacket's decoding of every
// frame of frames, and of each of them cut short at every length (a
// capture's snapshot length cuts a packet short): whenever gopacket
// decodes it (comparable), the two summaries are the same.
func TestSummaryAsGopacket(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	compared := map[string]int{}
	for i, f := range frames(t) {
		for n := len(f); n >= 0; n-- {
			want, pkt := gopacketSummary(f[:n], at, len(f))
			if !comparable(pkt) {
				continue
			}
			got := summarize(f[:n], at, len(f))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("frame %d cut to %d of %d bytes:\n got  %+v\n want %+v\n% x", i, n, len(f), got, want, f[:n])
			}
			if n == len(f) {
				compared[want.Proto]++
			}
		}
	}
	// Every kind the frames have was compared whole.
	for _, proto := range []string{"UDP", "TCP", "ICMP", "IGMP", "ICMPv6", "IPv6HopByHop", "ARP", "LLC", "SCTP", "UnknownIPProtocol", "UnknownEthernetType"} {
		if compared[proto] == 0 {
			t.Errorf("no whole %s frame was compared (compared: %v)", proto, compared)
		}
	}
	if t.Failed() {
		return
	}
	// The summary itself, for one frame of each kind that matters most.
	p := summarize(frames(t)[1], at, 60)
	if p.Proto != "UDP" || !p.Broadcast || p.Dst != netip.MustParseAddrPort("10.77.0.2:9000") || p.Len != 14 {
		t.Errorf("UDP to a broadcast MAC: %+v", p)
	}
}

// FuzzSummarize feeds summarize any bytes: it never panics, and it says
// what gopacket says of every frame gopacket decodes (comparable).
func FuzzSummarize(f *testing.F) {
	for _, fr := range frames(f) {
		f.Add(fr)
	}
	at := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		got := summarize(data, at, len(data))
		want, pkt := gopacketSummary(data, at, len(data))
		if comparable(pkt) && !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v\n% x", got, want, data)
		}
	})
}

// TestPcapAsPcapgo reads what WritePcapHeader and writePcapPacket write with
// gopacket's pcap reader: the header's link type and snapshot length, then
// each packet's time (to the nanosecond), lengths and bytes.
func TestPcapAsPcapgo(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePcapHeader(&buf, snapLen); err != nil {
		t.Fatal(err)
	}
	type pkt struct {
		at   time.Time
		size int
		data []byte
	}
	pkts := []pkt{
		{time.Unix(1700000000, 123456789), 5, []byte("hello")},
		{time.Unix(1700000001, 1), 70000, bytes.Repeat([]byte{7}, 300)}, // cut short: 300 of 70,000 bytes kept
	}
	for _, p := range pkts {
		if err := writePcapPacket(&buf, p.at, p.size, p.data); err != nil {
			t.Fatal(err)
		}
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || r.Snaplen() != snapLen {
		t.Fatalf("link type %v, snaplen %d", r.LinkType(), r.Snaplen())
	}
	for i, p := range pkts {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !ci.Timestamp.Equal(p.at) || ci.Length != p.size || ci.CaptureLength != len(p.data) || !bytes.Equal(data, p.data) {
			t.Errorf("packet %d: %+v, % x", i, ci, data[:min(8, len(data))])
		}
	}
	if _, _, err := r.ReadPacketData(); err == nil {
		t.Error("a third packet was read")
	}
}
