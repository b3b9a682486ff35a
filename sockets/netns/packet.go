package netns

import (
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Packet is the summary of one captured packet, decoded by gopacket.
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

// loopbackBroadcast is lo's broadcast address (127.0.0.1/8).
var loopbackBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})

// summarize decodes an Ethernet frame.
func summarize(data []byte, ci gopacket.CaptureInfo) Packet {
	p := Packet{Time: ci.Timestamp, Size: ci.Length}
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
		p.Proto = eth.EthernetType.String()
		p.Broadcast = eth.DstMAC.String() == "ff:ff:ff:ff:ff:ff"
	}
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst = addr(ip.SrcIP), addr(ip.DstIP)
		p.Proto = ip.Protocol.String()
		if ip.Protocol == layers.IPProtocolICMPv4 {
			p.Proto = "ICMP"
		}
		p.Broadcast = p.Broadcast || dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || dst == loopbackBroadcast || dst == LabBroadcast
	case *layers.IPv6:
		src, dst = addr(ip.SrcIP), addr(ip.DstIP)
		p.Proto = ip.NextHeader.String()
	}
	if arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		p.Proto = "ARP"
		src, dst = addr(arp.SourceProtAddress), addr(arp.DstProtAddress)
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
	return p
}

func addr(b net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}
