package netns

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"sockplay/sockets"
)

// A new namespace has lo, up, with 127.0.0.1 and ::1, and nothing else: no
// other interface and no route out.
func TestNamespaceHasOnlyLoopback(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		ns := newNS(t, h)
		fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if got := ifaceNames(t, fd); len(got) != 1 || got[0] != "lo" {
			t.Errorf("interfaces %v, want [lo]", got)
		}
		ifr, _ := unix.NewIfreq("lo")
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
			t.Fatal(err)
		}
		if ifr.Uint16()&unix.IFF_UP == 0 {
			t.Error("lo is down")
		}
		for _, c := range []struct {
			fam  sockets.Family
			host string
		}{{sockets.AFInet, "127.0.0.1"}, {sockets.AFInet, "127.0.0.2"}, {sockets.AFInet6, "::1"}} {
			s := open(t, ns, c.fam, sockets.SockDgram, nil)
			if _, e := s.Bind(sockets.Addr{Host: c.host}); e != nil {
				t.Errorf("bind %s: %v", c.host, e)
			}
		}
		out := open(t, ns, sockets.AFInet, sockets.SockDgram, &sockets.Policy{Wildcard: true, Extra: mustPrefixes("10.0.0.0/8")})
		if _, _, e := out.SendTo(ctx(t), []byte("x"), sockets.Addr{Host: "10.1.2.3", Port: 9}, sockets.CallOptions{}); errnoOf(e) != "ENETUNREACH" {
			t.Errorf("sendto 10.1.2.3: %v, want ENETUNREACH (no route out)", e)
		}
	})
}

// ifaceNames lists the interfaces of fd's namespace by index.
func ifaceNames(t *testing.T, fd int) []string {
	var names []string
	for i := 1; i < 64; i++ {
		ifr, _ := unix.NewIfreq("")
		ifr.SetUint32(uint32(i))
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFNAME, ifr); err != nil {
			if !errors.Is(err, unix.ENODEV) {
				t.Fatal(err)
			}
			continue
		}
		names = append(names, ifr.Name())
	}
	return names
}

// Two namespaces both listen on 127.0.0.1:9000, each reaching its own
// listener; one cannot reach the other's ports.
func TestNamespacesAreSeparate(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		a, b := newNS(t, h), newNS(t, h)
		la := listen(t, a, "127.0.0.1", 9000)
		lb := listen(t, b, "127.0.0.1", 9000)
		listen(t, b, "127.0.0.1", 9001)

		for _, c := range []struct {
			ns *Namespace
			l  *sockets.Socket
		}{{a, la}, {b, lb}} {
			cl := open(t, c.ns, sockets.AFInet, sockets.SockStream, nil)
			local, e := cl.Connect(ctx(t), sockets.Addr{Host: "127.0.0.1", Port: 9000}, sockets.CallOptions{})
			if e != nil {
				t.Fatal(e)
			}
			conn, peer, e := c.l.Accept(ctx(t), sockets.CallOptions{})
			if e != nil {
				t.Fatal(e)
			}
			conn.Close()
			if peer != local {
				t.Errorf("the listener accepted %v, want its own namespace's client %v", peer, local)
			}
		}

		cl := open(t, a, sockets.AFInet, sockets.SockStream, nil)
		if _, e := cl.Connect(ctx(t), sockets.Addr{Host: "127.0.0.1", Port: 9001}, sockets.CallOptions{}); errnoOf(e) != "ECONNREFUSED" {
			t.Errorf("connect from A to B's port 9001: %v, want ECONNREFUSED", e)
		}
	})
}

// A namespace's listener is unreachable from the host, which can bind the
// same port.
func TestNamespaceUnreachableFromHost(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		listen(t, newNS(t, h), "127.0.0.1", 9555)
		host := open(t, nil, sockets.AFInet, sockets.SockStream, nil)
		if _, e := host.Bind(sockets.Addr{Host: "127.0.0.1", Port: 9555}); e != nil {
			t.Fatalf("the host cannot bind 127.0.0.1:9555 (%v); is another program using it?", e)
		}
		cl := open(t, nil, sockets.AFInet, sockets.SockStream, nil)
		if _, e := cl.Connect(ctx(t), sockets.Addr{Host: "127.0.0.1", Port: 9555}, sockets.CallOptions{}); errnoOf(e) != "ECONNREFUSED" {
			t.Errorf("connect from the host to 127.0.0.1:9555: %v, want ECONNREFUSED", e)
		}
		if e := host.Listen(sockets.DefaultBacklog); e != nil {
			t.Fatal(e)
		}
	})
}
