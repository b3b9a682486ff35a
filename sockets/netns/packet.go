package netns

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Packet is the summary of one captured packet.
type Packet struct {
	Time     time.Time // the kernel's timestamp
	Iface    string    // the interface it was seen on: "lo", "eth0"
	Outgoing bool      // sent by this namespace (false on lo, where sent and received are one packet)
	Size     int       // bytes on the wire, link header included

	Proto     string         // "TCP", "UDP", "ICMP", "ICMPv6", "IGMP", "ARP", or the layer's name
	Src, Dst  netip.AddrPort // addresses (port 0 where the protocol has none)
	Broadcast bool           // to a broadcast address (255.255.255.255, a subnet's, lo's 127.255.255.255, or ff:ff:ff:ff:ff:ff)
	Multicast bool           // to a multicast group

	Flags []string // TCP flags set, in header order: "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
	Seq   uint32   // TCP sequence number
	Ack   uint32   // TCP acknowledgment number (meaningful with "ACK")
	Win   uint16   // TCP window, as on the wire (unscaled)
	Len   int      // payload bytes (TCP, UDP)
}

// The summary is read straight from the headers, as gopacket's layers
// decode them (its tests hold the two side by side): Ethernet (and 802.1Q
// tags), ARP, IPv4, IPv6 (and its extension headers), TCP, UDP. gopacket's
// layers package is not linked into the server, because its decoder
// tables (5 MB of pointers: two of 65,536 entries) are scanned by every
// collection, a third of the mark's work with a class of 1,000 sessions
// (README, Performance).

// loopbackBroadcast is lo's broadcast address (127.0.0.1/8).
var loopbackBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})

// summarize decodes an Ethernet frame (lo's have a zeroed Ethernet header)
// captured at t, size bytes on the wire. What a header too short or
// malformed to decode would have said is left out, and so is everything
// after it.
func summarize(data []byte, t time.Time, size int) Packet {
	p := Packet{Time: t, Size: size}
	if len(data) < 14 {
		return p
	}
	typ := binary.BigEndian.Uint16(data[12:14])
	p.Proto = etherTypeName(typ)
	p.Broadcast = [6]byte(data[0:6]) == [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	payload := data[14:]
	for (typ == 0x8100 || typ == 0x88a8) && len(payload) >= 4 { // 802.1Q, QinQ
		typ, payload = binary.BigEndian.Uint16(payload[2:4]), payload[4:]
	}
	var src, dst netip.Addr
	proto := -1 // the transport's protocol number (transport), once the network layer is decoded
	switch typ {
	case 0x0800:
		if ip, ok := decodeIPv4(payload); ok {
			src, dst = ip.src, ip.dst
			p.Proto = ipProtoName(ip.proto)
			if ip.proto == 1 {
				p.Proto = "ICMP"
			}
			p.Broadcast = p.Broadcast || dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || dst == loopbackBroadcast || dst == LabBroadcast
			proto, payload = ip.transport, ip.payload
		}
	case 0x86dd:
		if ip, ok := decodeIPv6(payload); ok {
			src, dst = ip.src, ip.dst
			p.Proto = ipProtoName(ip.next)
			proto, payload = ip.transport, ip.payload
		}
	case 0x0806:
		p.Proto = "ARP"
		if s, d, ok := decodeARP(payload); ok {
			src, dst = s, d
		}
	}
	p.Multicast = dst.IsMulticast()
	var sport, dport uint16
	switch proto {
	case 6:
		p.Proto = "TCP" // also when its header is cut short
		if t, ok := decodeTCP(payload); ok {
			sport, dport = t.sport, t.dport
			p.Seq, p.Ack, p.Win, p.Len = t.seq, t.ack, t.win, t.len
			p.Flags = t.flags
		}
	case 17:
		p.Proto = "UDP"
		if u, ok := decodeUDP(payload); ok {
			sport, dport, p.Len = u.sport, u.dport, u.len
		}
	}
	if src.IsValid() {
		p.Src = netip.AddrPortFrom(src, sport)
	}
	if dst.IsValid() {
		p.Dst = netip.AddrPortFrom(dst, dport)
	}
	return p
}

type ipv4 struct {
	src, dst  netip.Addr
	proto     uint8
	transport int    // the transport's protocol (transport), or -1 (also in a fragment: more to come, or not the first)
	payload   []byte // its header and payload, up to the total length
}

func decodeIPv4(b []byte) (ip ipv4, ok bool) {
	if len(b) < 20 {
		return ip, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		total = len(b) // segmentation offload (and BIG TCP) leave it 0
	}
	if total < 20 || ihl < 20 || ihl > total || ihl > len(b) {
		return ip, false
	}
	if !validIPv4Options(b[20:ihl]) {
		return ip, false
	}
	ip.proto = b[9]
	ip.src, ip.dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	ip.transport = -1
	if flagsFrag := binary.BigEndian.Uint16(b[6:8]); flagsFrag&0x2000 == 0 && flagsFrag&0x1fff == 0 {
		ip.transport, ip.payload = transport(ip.proto, b[ihl:min(total, len(b))], false)
	}
	return ip, true
}

// validIPv4Options reports whether IPv4 options parse: End (0) ends them,
// NOP (1) is one byte, every other one has its length in its second byte,
// more than 2, and lies within the header.
func validIPv4Options(opts []byte) bool {
	for len(opts) > 0 {
		switch opts[0] {
		case 0:
			return true
		case 1:
			opts = opts[1:]
		default:
			if len(opts) < 2 || opts[1] <= 2 || int(opts[1]) > len(opts) {
				return false
			}
			opts = opts[opts[1]:]
		}
	}
	return true
}

type ipv6 struct {
	src, dst  netip.Addr
	next      uint8  // the fixed header's next header
	transport int    // the transport's protocol (transport), or -1
	payload   []byte // its header and payload, up to the payload length
}

func decodeIPv6(b []byte) (ip ipv6, ok bool) {
	if len(b) < 40 {
		return ip, false
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n == 0 {
		return ip, false // a jumbogram (or a bad length): not on these links
	}
	ip.next = b[6]
	ip.src, ip.dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	rest := b[40:]
	ip.transport, ip.payload = transport(ip.next, rest[:min(n, len(rest))], true)
	return ip, true
}

// transport finds the transport header (TCP's or UDP's) that follows an
// IP header whose protocol (or next header) is next, in rest: behind any
// authentication header, and behind IPv6's hop-by-hop, routing and
// destination options (v6). It returns its protocol and where it starts, or
// -1 when there is none to read (another protocol, a fragment header, a
// header cut short, nothing at all).
func transport(next uint8, rest []byte, v6 bool) (int, []byte) {
	for {
		var l int
		switch {
		case len(rest) == 0: // nothing follows: no header at all
			return -1, nil
		case next == 6 || next == 17:
			return int(next), rest
		case next == 51 && len(rest) >= 12: // authentication header
			l = (int(rest[1]) + 2) * 4
		case v6 && (next == 0 || next == 43 || next == 60) && len(rest) >= 2:
			l = (int(rest[1]) + 1) * 8
		default:
			return -1, nil
		}
		if l > len(rest) {
			return -1, nil
		}
		next, rest = rest[0], rest[l:]
	}
}

func decodeARP(b []byte) (src, dst netip.Addr, ok bool) {
	if len(b) < 8 {
		return src, dst, false
	}
	hw, prot := int(b[4]), int(b[5])
	if len(b) < 8+2*hw+2*prot {
		return src, dst, false
	}
	src, _ = netip.AddrFromSlice(b[8+hw : 8+hw+prot])
	dst, _ = netip.AddrFromSlice(b[8+2*hw+prot : 8+2*hw+2*prot])
	return src.Unmap(), dst.Unmap(), true
}

type tcp struct {
	sport, dport uint16
	seq, ack     uint32
	win          uint16
	flags        []string
	len          int
}

// tcpFlags are TCP's flags in header order, with their bits.
var tcpFlags = [...]struct {
	bit  uint16
	name string
}{{0x01, "FIN"}, {0x02, "SYN"}, {0x04, "RST"}, {0x08, "PSH"}, {0x10, "ACK"}, {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"}}

// decodeTCP reads a TCP header. Its fixed part is enough: a header whose
// options are cut short (or malformed) still has its ports, numbers and
// flags, and a payload only when its options parse.
func decodeTCP(b []byte) (t tcp, ok bool) {
	if len(b) < 20 {
		return t, false
	}
	t.sport, t.dport = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	t.seq, t.ack = binary.BigEndian.Uint32(b[4:8]), binary.BigEndian.Uint32(b[8:12])
	t.win = binary.BigEndian.Uint16(b[14:16])
	bits := uint16(b[13])
	for _, f := range tcpFlags {
		if bits&f.bit != 0 {
			t.flags = append(t.flags, f.name)
		}
	}
	if off := int(b[12]>>4) * 4; off >= 20 && off <= len(b) {
		t.len = len(b) - off
	}
	return t, true
}

type udp struct {
	sport, dport uint16
	len          int
}

func decodeUDP(b []byte) (u udp, ok bool) {
	if len(b) < 8 {
		return u, false
	}
	u.sport, u.dport = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	switch n := int(binary.BigEndian.Uint16(b[4:6])); {
	case n >= 8:
		u.len = min(n, len(b)) - 8
	case n == 0: // a jumbogram: the rest
		u.len = len(b) - 8
	}
	return u, true // (a length under 8 leaves no payload)
}

// etherTypeName names an EtherType as gopacket does.
func etherTypeName(t uint16) string {
	if t < 0x0600 {
		return "LLC" // an 802.3 length, not a type
	}
	if name, ok := etherTypes[t]; ok {
		return name
	}
	return "UnknownEthernetType"
}

var etherTypes = map[uint16]string{
	0x0800: "IPv4", 0x86dd: "IPv6", 0x0806: "ARP", 0x8100: "Dot1Q", 0x88a8: "Dot1Q",
	0x880b: "PPP", 0x8863: "PPPoEDiscovery", 0x8864: "PPPoESession", 0x9000: "EthernetCTP",
	0x2000: "CiscoDiscovery", 0x01a2: "NortelDiscovery", 0x88cc: "LinkLayerDiscovery",
	0x8847: "MPLSUnicast", 0x8848: "MPLSMulticast", 0x888e: "EAPOL",
	0x6558: "TransparentEthernetBridging", 0x88be: "ERSPAN Type II",
}

// ipProtoName names an IP protocol number as gopacket does.
func ipProtoName(p uint8) string {
	if name, ok := ipProtos[p]; ok {
		return name
	}
	return "UnknownIPProtocol"
}

var ipProtos = map[uint8]string{
	0: "IPv6HopByHop", 1: "ICMPv4", 2: "IGMP", 4: "IPv4", 6: "TCP", 17: "UDP", 27: "RUDP",
	41: "IPv6", 43: "IPv6Routing", 44: "IPv6Fragment", 47: "GRE", 50: "IPSecESP", 51: "IPSecAH",
	58: "ICMPv6", 59: "NoNextHeader", 60: "IPv6Destination", 89: "OSPF", 94: "IPv4",
	97: "EtherIP", 112: "VRRP", 132: "SCTP", 136: "UDPLite", 137: "MPLS",
}
