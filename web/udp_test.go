package web_test

import (
	"net"
	"os"
	"reflect"
	"testing"

	"sockplay/sessions"
)

// TestUDPImplicitBind: sendto on an unbound socket binds it to the wildcard
// address and a free port, which sendto's result and the receiver both show.
func TestUDPImplicitBind(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	addr := c.bind(rx, "127.0.0.1", 0)
	if st := c.socketMsg(tx, nil).str("state"); st != "CREATED" {
		t.Errorf("new socket's state %q, want CREATED", st)
	}
	r := c.must("sendto", obj{"sock": tx, "data": obj{"hex": "00 ff 10"}, "addr": addr})
	local := r.addr("addr")
	if len(local) != 2 || local[0] != "0.0.0.0" || port(local) <= 0 {
		t.Fatalf("sendto on an unbound socket reported local address %v, want ('0.0.0.0', a real port)", local)
	}
	if n := r.num("n"); n != 3 {
		t.Errorf("sendto n %d, want 3", n)
	}
	s := c.socketMsg(tx, func(m msg) bool { return m.str("state") == "BOUND" })
	if !reflect.DeepEqual(s.addr("laddr"), local) {
		t.Errorf("socket message laddr %v, want %v", s.addr("laddr"), local)
	}
	r = c.must("recvfrom", obj{"sock": rx, "bufsize": 16})
	checkData(t, r, obj{"size": 3, "hex": "00ff10", "text": "\x00\\xff\x10", "encoding": "utf-8",
		"invalid": []obj{{"offset": 1, "size": 1}}})
	if want := wantAddr("127.0.0.1", port(local)); !reflect.DeepEqual(r.addr("addr"), want) {
		t.Errorf("recvfrom addr %v, want %v", r.addr("addr"), want)
	}
}

// TestUDPBindInUse: a second bind to an address in use fails with Python's
// OSError, and leaves the socket usable.
func TestUDPBindInUse(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	first, second := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	addr := c.bind(first, "127.0.0.1", 0)
	r := c.do("bind", obj{"sock": second, "addr": addr})
	checkError(t, r, errWant{typ: "os", errno: "EADDRINUSE", code: 98, exception: "OSError",
		message: "[Errno 98] Address already in use"})
	if r.str("sock") != second {
		t.Errorf("failed bind's sock %q, want %q", r.str("sock"), second)
	}
	if st := c.states(second); !reflect.DeepEqual(st, []string{"CREATED"}) {
		t.Errorf("states of %s after the failed bind %v, want [CREATED]", second, st)
	}
	// The same socket binds elsewhere and receives.
	other := c.bind(second, "127.0.0.1", 0)
	c.must("sendto", obj{"sock": first, "data": text("still here"), "addr": other})
	r = c.must("recvfrom", obj{"sock": second, "bufsize": 100})
	checkData(t, r, obj{"size": 10, "hex": "7374696c6c2068657265", "text": "still here", "encoding": "utf-8"})
	if !reflect.DeepEqual(r.addr("addr"), addr) {
		t.Errorf("recvfrom addr %v, want %v", r.addr("addr"), addr)
	}
}

// TestUDPBroadcast: two receivers share a port with SO_REUSEADDR; a datagram
// to the loopback broadcast address reaches both, once the sender has set
// SO_BROADCAST (before that the kernel refuses with EACCES).
func TestUDPBroadcast(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	a, b, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	reuse := obj{"level": "SOL_SOCKET", "option": "SO_REUSEADDR", "value": 1}
	var p int
	for i, rx := range []string{a, b} {
		args := obj{"sock": rx}
		for k, v := range reuse {
			args[k] = v
		}
		if r := c.must("setsockopt", args); r.num("value") != 1 {
			t.Errorf("setsockopt SO_REUSEADDR read back %v, want 1", r["value"])
		}
		got := c.bind(rx, "", p)
		if i == 0 {
			p = port(got)
		}
		if want := wantAddr("0.0.0.0", p); !reflect.DeepEqual(got, want) || p <= 0 {
			t.Fatalf("bind %s to ('', %d): %v, want %v", rx, p, got, want)
		}
		s := c.socketMsg(rx, func(m msg) bool { return m.str("state") == "BOUND" })
		if want := map[string]any{"SO_REUSEADDR": 1.0}; !reflect.DeepEqual(map[string]any(s.obj("options")), want) {
			t.Errorf("%s options %v, want %v", rx, s["options"], want)
		}
	}
	bcast := []any{"127.255.255.255", p}

	r := c.do("sendto", obj{"sock": tx, "data": text("anyone?"), "addr": bcast})
	checkError(t, r, errWant{typ: "os", errno: "EACCES", code: 13, exception: "PermissionError",
		message: "[Errno 13] Permission denied", contains: []string{"Permission denied"}})

	if r := c.must("setsockopt", obj{"sock": tx, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": true}); r.num("value") != 1 {
		t.Errorf("setsockopt SO_BROADCAST read back %v, want 1", r["value"])
	}
	if r := c.must("getsockopt", obj{"sock": tx, "level": "SOL_SOCKET", "option": "SO_BROADCAST"}); r.num("value") != 1 {
		t.Errorf("getsockopt SO_BROADCAST %v, want 1", r["value"])
	}
	r = c.must("sendto", obj{"sock": tx, "data": text("anyone?"), "addr": bcast})
	from := wantAddr("127.0.0.1", port(r.addr("addr")))
	for _, rx := range []string{a, b} {
		r := c.must("recvfrom", obj{"sock": rx, "bufsize": 64})
		checkData(t, r, obj{"size": 7, "hex": "616e796f6e653f", "text": "anyone?", "encoding": "utf-8"})
		if !reflect.DeepEqual(r.addr("addr"), from) {
			t.Errorf("%s: broadcast came from %v, want %v", rx, r.addr("addr"), from)
		}
	}
}

// TestUDPIPv6: AF_INET6 sockets on ::1, with Python's four-element
// addresses; an IPv4 address on an AF_INET6 socket is Python's gaierror.
func TestUDPIPv6(t *testing.T) {
	if p, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("::1 is needed for this test: %v", err)
		}
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		p.Close()
	}
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	six := obj{"family": "AF_INET6", "type": "SOCK_DGRAM"}
	rx := c.must("socket", six).str("sock")
	r := c.must("socket", six)
	if r.str("family") != "AF_INET6" || r.str("type") != "SOCK_DGRAM" {
		t.Errorf("socket result %v, want AF_INET6 SOCK_DGRAM", r)
	}
	tx := r.str("sock")
	to := c.bind(rx, "::1", 0)
	if len(to) != 4 || to[0] != "::1" || port(to) <= 0 || to[2] != 0.0 || to[3] != 0.0 {
		t.Fatalf("bind to ('::1', 0): %v, want ('::1', port, 0, 0)", to)
	}
	from := c.bind(tx, "::1", 0)
	c.must("sendto", obj{"sock": tx, "data": text("six"), "addr": to})
	r = c.must("recvfrom", obj{"sock": rx, "bufsize": 10})
	checkData(t, r, obj{"size": 3, "hex": "736978", "text": "six", "encoding": "utf-8"})
	if !reflect.DeepEqual(r.addr("addr"), from) {
		t.Errorf("recvfrom addr %v, want %v", r.addr("addr"), from)
	}
	checkError(t, c.do("sendto", obj{"sock": tx, "data": text("x"), "addr": []any{"127.0.0.1", port(to)}}),
		errWant{typ: "os", errno: "EAI_ADDRFAMILY", code: -9, exception: "socket.gaierror", message: "[Errno -9] Address family for hostname not supported"})
}

// TestUDPPeek: MSG_PEEK reads a datagram without taking it from the queue.
func TestUDPPeek(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	to := c.bind(rx, "127.0.0.1", 0)
	from := c.bind(tx, "127.0.0.1", 0)
	c.must("sendto", obj{"sock": tx, "data": text("first"), "addr": to})
	c.must("sendto", obj{"sock": tx, "data": text("second"), "addr": to})
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"MSG_PEEK"}, "first"},
		{[]string{"MSG_PEEK"}, "first"},
		{nil, "first"},
		{nil, "second"},
	} {
		r := c.must("recvfrom", obj{"sock": rx, "bufsize": 100, "flags": tc.flags})
		if got := r.obj("data").str("text"); got != tc.want || !reflect.DeepEqual(r.addr("addr"), from) {
			t.Errorf("recvfrom flags %v: %q from %v, want %q from %v", tc.flags, got, r.addr("addr"), tc.want, from)
		}
	}
	// The queue is empty now: a non-blocking read says so at once.
	checkError(t, c.do("recvfrom", obj{"sock": rx, "bufsize": 100, "flags": []string{"MSG_DONTWAIT"}}),
		errWant{typ: "os", errno: "EAGAIN", code: 11, exception: "BlockingIOError", message: "[Errno 11] Resource temporarily unavailable"})
}
