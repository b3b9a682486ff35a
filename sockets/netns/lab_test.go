package netns

import (
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"sockplay/sockets"
)

// labPolicy lets the tests' sockets bind the wildcard and reach the lab LAN
// and the limited broadcast address.
var labPolicy = &sockets.Policy{Wildcard: true, Extra: mustPrefixes("10.77.0.0/24", "255.255.255.255/32", "224.0.0.0/4")}

// newLab builds a lab of n hosts for a new namespace, closed when the test
// ends.
func newLab(t *testing.T, h *Helper, n int) *Lab {
	t.Helper()
	lab, err := NewLab(newNS(t, h), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

// udpOn binds a UDP socket on host to ("", port).
func udpOn(t *testing.T, host Host, port int) *sockets.Socket {
	t.Helper()
	s := open(t, host.NS, sockets.AFInet, sockets.SockDgram, labPolicy)
	if _, e := s.Bind(sockets.Addr{Host: "", Port: port}); e != nil {
		t.Fatalf("%s: bind ('', %d): %v", host.Name, port, e)
	}
	return s
}

// recvText receives one datagram and returns its text and sender.
func recvText(t *testing.T, s *sockets.Socket) (string, sockets.Addr) {
	t.Helper()
	r, e := s.RecvFrom(ctx(t), 2048, nil, sockets.CallOptions{})
	if e != nil {
		t.Fatal(e)
	}
	return string(r.Data), *r.From
}

func TestLabHosts(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		lab := newLab(t, h, 3)
		if lab.Broadcast != netip.MustParseAddr("10.77.0.255") {
			t.Errorf("broadcast %v, want 10.77.0.255", lab.Broadcast)
		}
		for i, host := range lab.Hosts {
			name, addr := fmt.Sprintf("h%d", i+1), netip.AddrFrom4([4]byte{10, 77, 0, byte(i + 1)})
			if host.Name != name || host.Addr != addr {
				t.Errorf("host %d is %s %v, want %s %v", i, host.Name, host.Addr, name, addr)
			}
			fd, err := host.NS.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := ifaceNames(t, fd); fmt.Sprint(got) != "[lo eth0]" {
				t.Errorf("%s has %v, want [lo eth0]", host.Name, got)
			}
			unix.Close(fd)
		}
		// Unicast across the LAN, h3 → h2.
		rx := udpOn(t, lab.Hosts[1], 9100)
		tx := open(t, lab.Hosts[2].NS, sockets.AFInet, sockets.SockDgram, labPolicy)
		if _, _, e := tx.SendTo(ctx(t), []byte("hi"), sockets.Addr{Host: "10.77.0.2", Port: 9100}, sockets.CallOptions{}); e != nil {
			t.Fatal(e)
		}
		if text, from := recvText(t, rx); text != "hi" || from.Host != "10.77.0.3" {
			t.Errorf("h2 got %q from %v, want \"hi\" from 10.77.0.3", text, from)
		}
		if _, err := NewLab(lab.Hosts[0].NS, 2); err == nil {
			t.Error("a second lab for h1 was built")
		}
		if _, err := NewLab(newNS(t, h), 9); err == nil {
			t.Error("a lab of 9 hosts was built")
		}
	})
}

// One datagram to the subnet broadcast address, and one to '<broadcast>',
// reach every host's socket bound to ("", P), the sender's own host
// included; without SO_BROADCAST sendto fails with EACCES.
func TestLabBroadcast(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		lab := newLab(t, h, 3)
		const port = 9200
		var rx []*sockets.Socket
		for _, host := range lab.Hosts {
			rx = append(rx, udpOn(t, host, port))
		}
		tx := open(t, lab.Hosts[0].NS, sockets.AFInet, sockets.SockDgram, labPolicy)
		for _, to := range []string{"10.77.0.255", "<broadcast>"} {
			if _, _, e := tx.SendTo(ctx(t), []byte(to), sockets.Addr{Host: to, Port: port}, sockets.CallOptions{}); errnoOf(e) != "EACCES" {
				t.Fatalf("sendto %s without SO_BROADCAST: %v, want EACCES", to, e)
			}
		}
		if _, e := tx.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil {
			t.Fatal(e)
		}
		for _, to := range []string{"10.77.0.255", "<broadcast>"} {
			if _, _, e := tx.SendTo(ctx(t), []byte(to), sockets.Addr{Host: to, Port: port}, sockets.CallOptions{}); e != nil {
				t.Fatalf("sendto %s: %v", to, e)
			}
			for i, s := range rx {
				if text, from := recvText(t, s); text != to || from.Host != "10.77.0.1" {
					t.Errorf("%s got %q from %v, want %q from 10.77.0.1", lab.Hosts[i].Name, text, from, to)
				}
			}
		}
	})
}

// A datagram to a multicast group reaches the members (h1, h2) and not h3,
// whose socket on the same port joined nothing.
func TestLabMulticast(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		lab := newLab(t, h, 3)
		const port = 9300
		group := [4]byte{239, 1, 2, 3}
		var rx []*sockets.Socket
		for i, host := range lab.Hosts {
			s := udpOn(t, host, port)
			rx = append(rx, s)
			if i < 2 {
				mreq := &unix.IPMreq{Multiaddr: group}
				if err := unix.SetsockoptIPMreq(s.FD(), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
					t.Fatalf("%s: IP_ADD_MEMBERSHIP: %v", host.Name, err)
				}
			}
		}
		tx := open(t, lab.Hosts[0].NS, sockets.AFInet, sockets.SockDgram, labPolicy)
		if err := unix.SetsockoptInt(tx.FD(), unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 1); err != nil {
			t.Fatal(err)
		}
		if _, _, e := tx.SendTo(ctx(t), []byte("group"), sockets.Addr{Host: "239.1.2.3", Port: port}, sockets.CallOptions{}); e != nil {
			t.Fatal(e)
		}
		for i, s := range rx[:2] {
			if text, _ := recvText(t, s); text != "group" {
				t.Errorf("member %s got %q, want \"group\"", lab.Hosts[i].Name, text)
			}
		}
		// The group's datagram went through the bridge to h2 and h3 at
		// once, so a unicast sent after h2 has it arrives at h3 after it:
		// h3's first datagram tells whether the group's reached it.
		if _, _, e := tx.SendTo(ctx(t), []byte("unicast"), sockets.Addr{Host: "10.77.0.3", Port: port}, sockets.CallOptions{}); e != nil {
			t.Fatal(e)
		}
		if text, _ := recvText(t, rx[2]); text != "unicast" {
			t.Errorf("h3, not a member, got %q first, want \"unicast\"", text)
		}

		// h2 leaves the group and h1 stops looping its own datagrams back:
		// the next one reaches neither (h2's and h1's next datagrams are
		// the unicasts sent after it).
		if err := unix.SetsockoptIPMreq(rx[1].FD(), unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP, &unix.IPMreq{Multiaddr: group}); err != nil {
			t.Fatal(err)
		}
		if err := unix.SetsockoptInt(tx.FD(), unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct{ text, to string }{{"group again", "239.1.2.3"}, {"unicast", "10.77.0.2"}, {"unicast", "10.77.0.1"}} {
			if _, _, e := tx.SendTo(ctx(t), []byte(m.text), sockets.Addr{Host: m.to, Port: port}, sockets.CallOptions{}); e != nil {
				t.Fatal(e)
			}
		}
		for i, s := range rx[:2] {
			if text, _ := recvText(t, s); text != "unicast" {
				t.Errorf("%s got %q first, want \"unicast\" (%s)", lab.Hosts[i].Name, text, []string{"IP_MULTICAST_LOOP is 0", "it left the group"}[i])
			}
		}
	})
}

// Closing a lab removes h1's eth0 and closes the other hosts; h1 keeps its
// loopback and can have a new lab.
func TestLabClose(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		owner := newNS(t, h)
		lab, err := NewLab(owner, 2)
		if err != nil {
			t.Fatal(err)
		}
		h2 := lab.Hosts[1].NS
		if err := lab.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := h2.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err == nil {
			t.Error("h2 made a socket after its lab was closed")
		}
		fd, err := owner.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if got := ifaceNames(t, fd); fmt.Sprint(got) != "[lo]" {
			t.Errorf("h1 has %v after the lab closed, want [lo]", got)
		}
		again, err := NewLab(owner, 4)
		if err != nil {
			t.Fatalf("a new lab after the first closed: %v", err)
		}
		again.Close()
	})
}
