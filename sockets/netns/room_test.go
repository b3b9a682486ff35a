package netns

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"sockplay/sockets"
)

// anyPolicy lets the tests' sockets try any address: the kernel, not the
// policy, decides what a room LAN reaches.
var anyPolicy = &sockets.Policy{Wildcard: true, Extra: mustPrefixes("0.0.0.0/0")}

// newRoom makes a room LAN, closed when the test ends.
func newRoom(t *testing.T, h *Helper) *RoomLAN {
	t.Helper()
	r, err := h.NewRoomLAN()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// members makes len(hosts) namespaces and plugs each into r as its host.
func members(t *testing.T, h *Helper, r *RoomLAN, hosts ...int) []*Namespace {
	t.Helper()
	var nss []*Namespace
	for _, n := range hosts {
		ns := newNS(t, h)
		if err := r.Join(ns, n); err != nil {
			t.Fatalf("join as host %d: %v", n, err)
		}
		nss = append(nss, ns)
	}
	return nss
}

// udpIn binds a UDP socket in ns to ("", port), with SO_BROADCAST set.
func udpIn(t *testing.T, ns *Namespace, port int) *sockets.Socket {
	t.Helper()
	s := open(t, ns, sockets.AFInet, sockets.SockDgram, anyPolicy)
	if _, e := s.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil {
		t.Fatal(e)
	}
	if _, e := s.Bind(sockets.Addr{Host: "", Port: port}); e != nil {
		t.Fatalf("bind ('', %d): %v", port, e)
	}
	return s
}

// sendText sends text from s to host:port.
func sendText(t *testing.T, s *sockets.Socket, text, host string, port int) {
	t.Helper()
	if _, _, e := s.SendTo(ctx(t), []byte(text), sockets.Addr{Host: host, Port: port}, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto %s:%d: %v", host, port, e)
	}
}

// expect receives one datagram on s and checks its text and sender.
func expect(t *testing.T, who string, s *sockets.Socket, text, from string) {
	t.Helper()
	got, sender := recvText(t, s)
	if got != text || sender.Host != from {
		t.Errorf("%s got %q from %v, want %q from %s", who, got, sender, text, from)
	}
}

// ifacesOf lists the interfaces of ns.
func ifacesOf(t *testing.T, ns *Namespace) []string {
	t.Helper()
	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	return ifaceNames(t, fd)
}

// An instructor (host 1) and two students on a room LAN: each has lo and
// room0; the instructor's datagram to 10.78.0.255 and to '<broadcast>'
// reaches both students' ("", P) sockets; a student's reply reaches the
// instructor, and the students chat with each other.
func TestRoomLAN(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		r := newRoom(t, h)
		nss := members(t, h, r, 1, 2, 3)
		for i, ns := range nss {
			if got := ifacesOf(t, ns); fmt.Sprint(got) != "[lo room0]" {
				t.Errorf("member %d has %v, want [lo room0]", i+1, got)
			}
		}
		if r.Members() != 3 {
			t.Errorf("%d members, want 3", r.Members())
		}
		const port = 9400
		teacher := udpIn(t, nss[0], port)
		students := []*sockets.Socket{udpIn(t, nss[1], port), udpIn(t, nss[2], port)}
		for _, to := range []string{"10.78.0.255", "<broadcast>"} {
			sendText(t, teacher, "class: "+to, to, port)
			for i, s := range students {
				expect(t, fmt.Sprintf("student %d", i+2), s, "class: "+to, "10.78.0.1")
			}
			expect(t, "the instructor", teacher, "class: "+to, "10.78.0.1") // a broadcast loops back to its sender's host
		}
		sendText(t, students[0], "here", "10.78.0.1", port)
		expect(t, "the instructor", teacher, "here", "10.78.0.2")
		sendText(t, students[1], "hi 2", "10.78.0.2", port)
		expect(t, "student 2", students[0], "hi 2", "10.78.0.3")
		sendText(t, students[0], "hi 3", "10.78.0.3", port)
		expect(t, "student 3", students[1], "hi 3", "10.78.0.2")

		// TCP too: a student connects to the instructor's listener.
		l := listen(t, nss[0], "", port)
		cl := open(t, nss[2], sockets.AFInet, sockets.SockStream, anyPolicy)
		if _, e := cl.Connect(ctx(t), sockets.Addr{Host: "10.78.0.1", Port: port}, sockets.CallOptions{}); e != nil {
			t.Fatalf("connect to the instructor: %v", e)
		}
		conn, peer, e := l.Accept(ctx(t), sockets.CallOptions{})
		if e != nil {
			t.Fatal(e)
		}
		conn.Close()
		if peer.Host != "10.78.0.3" {
			t.Errorf("the instructor accepted %v, want 10.78.0.3", peer)
		}

		// Each member keeps a loopback of its own.
		lo := open(t, nss[1], sockets.AFInet, sockets.SockDgram, anyPolicy)
		sendText(t, lo, "own", "127.0.0.1", port)
		expect(t, "student 2", students[0], "own", "127.0.0.1")
	})
}

// Join refuses a host number out of range or another member's, and a
// namespace already on a LAN; joining again as the same host is harmless.
func TestRoomJoinErrors(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		r := newRoom(t, h)
		nss := members(t, h, r, 1)
		other := newNS(t, h)
		for _, n := range []int{0, 255, -1} {
			if err := r.Join(other, n); err == nil {
				t.Errorf("joined as host %d", n)
			}
		}
		if err := r.Join(other, 1); err == nil {
			t.Error("a second member joined as host 1")
		}
		if err := r.Join(nss[0], 1); err != nil {
			t.Errorf("joining again as the same host: %v", err)
		}
		if err := r.Join(nss[0], 2); err == nil {
			t.Error("a member joined again as another host")
		}
		if err := newRoom(t, h).Join(nss[0], 1); err == nil {
			t.Error("a member of one room LAN joined a second")
		}
		if err := r.Join(other, 2); err != nil {
			t.Fatalf("after the refusals: %v", err)
		}
		if got := ifacesOf(t, other); fmt.Sprint(got) != "[lo room0]" {
			t.Errorf("the member has %v, want [lo room0]", got)
		}
		if r.Members() != 2 {
			t.Errorf("%d members, want 2", r.Members())
		}
	})
}

// Nothing on a room LAN reaches beyond it: a member has no route out (a
// sendto elsewhere fails with ENETUNREACH), the LAN's broadcast never
// reaches the helper's or this process's network, and this process has no
// address on it.
func TestRoomIsolated(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		r := newRoom(t, h)
		nss := members(t, h, r, 1, 2)
		s := udpIn(t, nss[0], 9410)
		for _, to := range []string{"10.1.2.3", "10.77.0.2", "192.168.1.1", "8.8.8.8"} {
			_, _, e := s.SendTo(ctx(t), []byte("out"), sockets.Addr{Host: to, Port: 9}, sockets.CallOptions{})
			if errnoOf(e) != "ENETUNREACH" {
				t.Errorf("sendto %s from the room LAN: %v, want ENETUNREACH (no route out)", to, e)
			}
		}
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && RoomSubnet.Contains(netip.MustParseAddr(n.IP.String()).Unmap()) {
				t.Errorf("this process's network has %v, on the room LAN", n)
			}
		}
	})
}

// A member that is also a lab's h1 does not forward between the two LANs:
// a frame a student sends to it for a lab host is dropped, not routed.
// '<broadcast>' goes to the lab while the member has one (its route wins),
// 10.78.0.255 to the room, and '<broadcast>' to the room again once the lab
// is gone.
func TestRoomBesideLab(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		r := newRoom(t, h)
		nss := members(t, h, r, 1, 2)
		a, b := nss[0], nss[1]
		lab, err := NewLab(a, 2) // a lab built after joining
		if err != nil {
			t.Fatal(err)
		}
		defer lab.Close()
		if got := ifacesOf(t, a); !slices.Equal(got, []string{"lo", "room0", "eth0"}) {
			t.Errorf("the member with a lab has %v, want [lo room0 eth0]", got)
		}
		const port = 9420
		h2 := udpIn(t, lab.Hosts[1].NS, port)
		onA, onB := udpIn(t, a, port), udpIn(t, b, port)

		sendText(t, onA, "to the lab", "<broadcast>", port)
		expect(t, "lab host h2", h2, "to the lab", "10.77.0.1")
		expect(t, "the member", onA, "to the lab", "10.77.0.1")
		sendText(t, onA, "to the room", "10.78.0.255", port)
		expect(t, "the other member", onB, "to the room", "10.78.0.1")
		expect(t, "the member", onA, "to the room", "10.78.0.1")

		// b hands a a frame for h2 (10.77.0.2), then a datagram for a
		// itself: once a has the second, it has dealt with the first.
		sendFrame(t, b, a, "10.78.0.2", "10.77.0.2", port, "forwarded")
		sendText(t, onB, "marker", "10.78.0.1", port)
		expect(t, "the member", onA, "marker", "10.78.0.2")
		sendText(t, onA, "direct", "10.77.0.2", port)
		expect(t, "lab host h2", h2, "direct", "10.77.0.1") // not "forwarded"

		if err := lab.Close(); err != nil {
			t.Fatal(err)
		}
		sendText(t, onA, "room again", "<broadcast>", port)
		expect(t, "the other member", onB, "room again", "10.78.0.1")
		expect(t, "the member", onA, "room again", "10.78.0.1")

		// A namespace with a lab joins: the same holds.
		c := newNS(t, h)
		lab2, err := NewLab(c, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer lab2.Close()
		if err := r.Join(c, 3); err != nil {
			t.Fatalf("joining with a lab: %v", err)
		}
		h2b := udpIn(t, lab2.Hosts[1].NS, port)
		onC := udpIn(t, c, port)
		sendText(t, onC, "lab first", "<broadcast>", port)
		expect(t, "the second lab's h2", h2b, "lab first", "10.77.0.1")
		sendText(t, onC, "room", "10.78.0.255", port)
		expect(t, "the first member", onA, "room", "10.78.0.3")
	})
}

// sendFrame sends, from ns's room0 by a packet socket, an Ethernet frame
// to the room0 of the member to: a UDP datagram from src to dst:port, as a
// host that routes through to would send it.
func sendFrame(t *testing.T, ns, to *Namespace, src, dst string, port int, text string) {
	t.Helper()
	_, dstMAC := roomLink(t, to)
	index, srcMAC := roomLink(t, ns)
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(port), DstPort: layers.UDPPort(port)}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(text)); err != nil {
		t.Fatal(err)
	}
	fd, err := ns.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, buf.Bytes(), 0, &unix.SockaddrLinklayer{Ifindex: index, Protocol: htons(unix.ETH_P_IP)}); err != nil {
		t.Fatal(err)
	}
}

// roomLink is the index and hardware address of ns's room0.
func roomLink(t *testing.T, ns *Namespace) (int, net.HardwareAddr) {
	t.Helper()
	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, _ := unix.NewIfreq(RoomIface)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		t.Fatal(err)
	}
	// struct ifreq with ifr_hwaddr, a struct sockaddr: family, then the address.
	var hw struct {
		name   [unix.IFNAMSIZ]byte
		family uint16
		addr   [14]byte
	}
	copy(hw.name[:], RoomIface)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&hw))); errno != 0 {
		t.Fatal(os.NewSyscallError("ioctl SIOCGIFHWADDR", errno))
	}
	return int(ifr.Uint32()), net.HardwareAddr(append([]byte(nil), hw.addr[:6]...))
}

// A member's capture sees the room's datagrams on room0, in and out, the
// broadcast marked.
func TestRoomCapture(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		r := newRoom(t, h)
		nss := members(t, h, r, 1, 2)
		c := capture(t, nss[1])
		const port = 9430
		teacher, student := udpIn(t, nss[0], port), udpIn(t, nss[1], port)
		sendText(t, teacher, "all", "10.78.0.255", port)
		in := next(t, c, func(p Packet) bool { return p.Proto == "UDP" && p.Dst.Port() == port })
		if in.Iface != RoomIface || in.Outgoing || !in.Broadcast || in.Src.Addr() != RoomAddr(1) {
			t.Errorf("the broadcast captured as %+v, want incoming on room0 from 10.78.0.1, broadcast", in)
		}
		expect(t, "the student", student, "all", "10.78.0.1")
		sendText(t, student, "back", "10.78.0.1", port)
		out := next(t, c, func(p Packet) bool { return p.Proto == "UDP" && p.Dst.Addr() == RoomAddr(1) })
		if out.Iface != RoomIface || !out.Outgoing || out.Src.Addr() != RoomAddr(2) {
			t.Errorf("the reply captured as %+v, want outgoing on room0 from 10.78.0.2", out)
		}
	})
}

// Leaving takes a member's room0 away and keeps its loopback; ending the
// LAN takes everyone's away and closes its switch; a closed namespace
// leaves by itself. Nothing is left behind, here or in the helper.
func TestRoomLeaveClose(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			h := startOrSkip(t, m.userNS)
			before := measure(t, h)
			for range 3 {
				r, err := h.NewRoomLAN()
				if err != nil {
					t.Fatal(err)
				}
				var nss []*Namespace
				for n := 1; n <= 5; n++ {
					ns, err := h.New()
					if err != nil {
						t.Fatal(err)
					}
					if err := r.Join(ns, n); err != nil {
						t.Fatal(err)
					}
					nss = append(nss, ns)
				}
				if during := measure(t, h); during.helperNS != before.helperNS+6 {
					t.Errorf("with a room LAN of 5: the helper holds %d namespaces, want %d", during.helperNS, before.helperNS+6)
				}
				if err := r.Leave(nss[0]); err != nil {
					t.Fatal(err)
				}
				if err := r.Leave(nss[0]); err != nil {
					t.Errorf("leaving twice: %v", err)
				}
				if got := ifacesOf(t, nss[0]); fmt.Sprint(got) != "[lo]" {
					t.Errorf("after leaving: %v, want [lo]", got)
				}
				if err := r.Join(nss[0], 1); err != nil {
					t.Errorf("joining again after leaving: %v", err)
				}
				if err := nss[4].Close(); err != nil {
					t.Fatal(err)
				}
				if r.Members() != 4 {
					t.Errorf("%d members after one closed, want 4", r.Members())
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				if err := r.Close(); err != nil {
					t.Errorf("closing twice: %v", err)
				}
				for i, ns := range nss[:4] {
					if got := ifacesOf(t, ns); fmt.Sprint(got) != "[lo]" {
						t.Errorf("member %d after the LAN closed: %v, want [lo]", i+1, got)
					}
				}
				if err := r.Join(nss[1], 2); err == nil {
					t.Error("joined a closed room LAN")
				}
				for _, ns := range nss[:4] {
					ns.Close()
				}
			}
			settle(t, h, before)
		})
	}
}
