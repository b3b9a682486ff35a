package sockets_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"sockplay/sockets"
)

const (
	msgBindPort     = "the playground binds only to port 0 (any free port) or ports 1024-65535"
	msgBindWildcard = "binding to the wildcard address ('', 0.0.0.0, ::) is allowed only while sockplay itself listens on loopback; bind to 127.0.0.1 instead"
	msgBindNet      = "the playground binds only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and the wildcard; start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"
	msgPeer         = "the playground connects and sends only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"
	msgPeerExtra    = "the playground connects and sends only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and 10.0.0.0/8, fd00::/8; start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"
)

var (
	local    = sockets.Policy{}
	wildcard = sockets.Policy{Wildcard: true}
	extra    = sockets.Policy{Extra: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	// private is a private network's policy; Extra (which a private network
	// cannot reach) is ignored.
	private = sockets.Policy{Private: true, Wildcard: true, Extra: extra.Extra}

	msgBindPrivate = "the playground binds only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and the wildcard; this session's private network has nothing else (no route out, no other session, no service of the host)"
	msgPeerPrivate = "the playground connects and sends only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; this session's private network has nothing else (no route out, no other session, no service of the host)"
)

func TestCheckBind(t *testing.T) {
	tests := []struct {
		name   string
		policy sockets.Policy
		ip     string
		port   int
		want   string // "" when allowed, else the refusal's message
	}{
		{"127.0.0.1", local, "127.0.0.1", 9000, ""},
		{"127.1.2.3", local, "127.1.2.3", 9000, ""},
		{"::1", local, "::1", 9000, ""},
		{"loopback broadcast", local, "127.255.255.255", 9000, ""},
		{"v4-mapped loopback", local, "::ffff:127.0.0.1", 9000, ""},
		{"port 0", local, "127.0.0.1", 0, ""},
		{"port 1024", local, "127.0.0.1", 1024, ""},
		{"port 65535", local, "127.0.0.1", 65535, ""},
		{"port 80", local, "127.0.0.1", 80, msgBindPort},
		{"port 1023", local, "127.0.0.1", 1023, msgBindPort},
		{"port 80 even with wildcard", wildcard, "0.0.0.0", 80, msgBindPort},
		{"0.0.0.0 without Wildcard", local, "0.0.0.0", 9000, msgBindWildcard},
		{":: without Wildcard", local, "::", 9000, msgBindWildcard},
		{"0.0.0.0 with Wildcard", wildcard, "0.0.0.0", 9000, ""},
		{":: with Wildcard", wildcard, "::", 0, ""},
		{"metadata address", local, "169.254.169.254", 9000, msgBindNet},
		{"private address", local, "10.0.0.1", 9000, msgBindNet},
		{"private address with Wildcard", wildcard, "10.0.0.1", 9000, msgBindNet},
		{"global broadcast", local, "255.255.255.255", 9000, msgBindNet},
		{"v4-mapped wildcard is not the wildcard", wildcard, "::ffff:0.0.0.0", 9000, msgBindNet},
		{"Extra allows 10.0.0.1", extra, "10.0.0.1", 9000, ""},
		{"Extra allows fd00::2", extra, "fd00::2", 9000, ""},
		{"private: 127.0.0.1", private, "127.0.0.1", 9000, ""},
		{"private: the wildcard", private, "0.0.0.0", 9000, ""},
		{"private: not Extra", private, "10.0.0.1", 9000, msgBindPrivate},
		{"Extra is not 11.0.0.1", extra, "11.0.0.1", 9000, "the playground binds only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and 10.0.0.0/8, fd00::/8 and the wildcard; start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.policy.CheckBind(netip.MustParseAddr(tt.ip), tt.port)
			checkPolicy(t, e, tt.want)
		})
	}
}

func TestCheckPeer(t *testing.T) {
	tests := []struct {
		name   string
		policy sockets.Policy
		ip     string
		want   string
	}{
		{"127.0.0.1", local, "127.0.0.1", ""},
		{"127.0.0.53", local, "127.0.0.53", ""},
		{"::1", local, "::1", ""},
		{"loopback broadcast", local, "127.255.255.255", ""},
		{"v4-mapped loopback", local, "::ffff:127.0.0.1", ""},
		{"0.0.0.0", local, "0.0.0.0", msgPeer},
		{"0.0.0.0 even with Wildcard", wildcard, "0.0.0.0", msgPeer},
		{"::", wildcard, "::", msgPeer},
		{"metadata address", local, "169.254.169.254", msgPeer},
		{"v4-mapped metadata address", local, "::ffff:169.254.169.254", msgPeer},
		{"private address", local, "10.0.0.1", msgPeer},
		{"global broadcast", local, "255.255.255.255", msgPeer},
		{"public v6", local, "2001:db8::1", msgPeer},
		{"Extra allows 10.0.0.1", extra, "10.0.0.1", ""},
		{"Extra allows v4-mapped 10.0.0.1", extra, "::ffff:10.0.0.1", ""},
		{"Extra allows fd00::2", extra, "fd00::2", ""},
		{"Extra still loopback", extra, "127.0.0.1", ""},
		{"Extra is not 11.0.0.1", extra, "11.0.0.1", msgPeerExtra},
		{"Extra is not metadata", extra, "169.254.169.254", msgPeerExtra},
		{"private: 127.0.0.1", private, "127.0.0.1", ""},
		{"private: not Extra", private, "10.0.0.1", msgPeerPrivate},
		{"private: not 0.0.0.0", private, "0.0.0.0", msgPeerPrivate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPolicy(t, tt.policy.CheckPeer(netip.MustParseAddr(tt.ip), 9000), tt.want)
		})
	}
}

// TestCheckPeerServer: sockplay's own HTTP address is off limits, whatever
// else the policy allows; on a wildcard listener, every local address with
// its port is.
func TestCheckPeerServer(t *testing.T) {
	const msgLoop = "that is sockplay's own address (its web server listens on 127.0.0.1:8080): playground sockets may not connect or send to the server itself; pick another port"
	const msgAny = "that is sockplay's own address (its web server listens on 0.0.0.0:8080): playground sockets may not connect or send to the server itself; pick another port"
	const msgAny6 = "that is sockplay's own address (its web server listens on [::]:8080): playground sockets may not connect or send to the server itself; pick another port"
	open := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	onLoop := sockets.Policy{Server: netip.MustParseAddrPort("127.0.0.1:8080")}
	onLoopOpen := sockets.Policy{Server: netip.MustParseAddrPort("127.0.0.1:8080"), Extra: open}
	onAny := sockets.Policy{Wildcard: true, Server: netip.MustParseAddrPort("0.0.0.0:8080")}
	onAny6 := sockets.Policy{Wildcard: true, Server: netip.MustParseAddrPort("[::]:8080")}
	tests := []struct {
		name   string
		policy sockets.Policy
		ip     string
		port   int
		want   string
	}{
		{"the server", onLoop, "127.0.0.1", 8080, msgLoop},
		{"the server, v4-mapped", onLoop, "::ffff:127.0.0.1", 8080, msgLoop},
		{"another port", onLoop, "127.0.0.1", 8081, ""},
		{"another loopback address", onLoop, "127.0.0.2", 8080, ""},
		{"0.0.0.0 reaches loopback", onLoopOpen, "0.0.0.0", 8080, msgLoop},
		{"wildcard: 127.0.0.1", onAny, "127.0.0.1", 8080, msgAny},
		{"wildcard: 127.9.9.9", onAny, "127.9.9.9", 8080, msgAny},
		{"wildcard: loopback broadcast", onAny, "127.255.255.255", 8080, msgAny},
		{"wildcard: ::1", onAny, "::1", 8080, msgAny},
		{"wildcard: another port", onAny, "127.0.0.1", 9000, ""},
		{"v6 wildcard: 127.0.0.1", onAny6, "127.0.0.1", 8080, msgAny6},
		{"v6 wildcard: ::1", onAny6, "::1", 8080, msgAny6},
		{"no server address", local, "127.0.0.1", 8080, ""},
		{"private: the server's rule stays", sockets.Policy{Private: true, Wildcard: true, Server: netip.MustParseAddrPort("0.0.0.0:8080")}, "127.0.0.1", 8080,
			"that is sockplay's own address (its web server listens on 0.0.0.0:8080): playground sockets may not connect or send to the server itself; pick another port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPolicy(t, tt.policy.CheckPeer(netip.MustParseAddr(tt.ip), tt.port), tt.want)
		})
	}
}

// Describe says what each profile allows, and only that: the extra
// networks where they apply, the wildcard when it is allowed, the server's
// own address when there is one.
func TestDescribe(t *testing.T) {
	server := netip.MustParseAddrPort("0.0.0.0:8080")
	tests := []struct {
		name          string
		policy        sockets.Policy
		profile       string
		bind, connect string
	}{
		{"local", local, "local",
			"loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; ports 0 or 1024-65535",
			"loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; loopback is this machine's, shared with its other programs and every other session"},
		{"local with the wildcard", sockets.Policy{Wildcard: true, Server: netip.MustParseAddrPort("127.0.0.1:8080")}, "local",
			"loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and the wildcard ('', 0.0.0.0, ::); ports 0 or 1024-65535",
			"loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255, except 127.0.0.1:8080 (sockplay's own web server); loopback is this machine's, shared with its other programs and every other session"},
		{"allow-net", extra, "allow-net",
			"loopback addresses (127.0.0.0/8, ::1), 127.255.255.255 and 10.0.0.0/8, fd00::/8; ports 0 or 1024-65535",
			"loopback addresses (127.0.0.0/8, ::1), 127.255.255.255 and 10.0.0.0/8, fd00::/8; loopback is this machine's, shared with its other programs and every other session"},
		{"private", sockets.Policy{Private: true, Wildcard: true, Server: server, Extra: extra.Extra}, "private",
			"this session's private network: loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255 and the wildcard ('', 0.0.0.0, ::); ports 0 or 1024-65535",
			"this session's private network only — loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255, except port 8080 of this machine's addresses (sockplay's own web server); nothing else exists there: no route out, no other session, no service of the host, not sockplay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.policy.Describe()
			if d.Profile != tt.profile || d.Bind != tt.bind || d.Connect != tt.connect {
				t.Errorf("got %+v,\nwant {Profile:%s Bind:%s Connect:%s}", d, tt.profile, tt.bind, tt.connect)
			}
		})
	}
}

func checkPolicy(t *testing.T, e *sockets.Error, want string) {
	t.Helper()
	if want == "" {
		if e != nil {
			t.Errorf("got refused %q, want allowed", e.Message)
		}
		return
	}
	checkErr(t, e, wantErr{sockets.KindPolicy, "", 0, "", want})
}

// The engine-level tests below aim refused calls at 0.0.0.0, which the policy
// refuses as a peer but which Linux would deliver to the local host: if the
// engine made the system call anyway, the listener or receiver on 127.0.0.1
// would see it. No test sends anything off this machine.

func TestPolicyRefusesBindWithoutSyscall(t *testing.T) {
	tests := []struct {
		name string
		addr sockets.Addr
		want string
	}{
		{"port 80", sockets.Addr{Host: "127.0.0.1", Port: 80}, msgBindPort},
		{"wildcard ''", sockets.Addr{Host: ""}, msgBindWildcard},
		{"wildcard 0.0.0.0", sockets.Addr{Host: "0.0.0.0", Port: 9000}, msgBindWildcard},
		{"<broadcast>", sockets.Addr{Host: "<broadcast>", Port: 9000}, msgBindNet},
		{"10.0.0.1", sockets.Addr{Host: "10.0.0.1", Port: 9000}, msgBindNet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
			_, e := s.Bind(tt.addr)
			checkErr(t, e, wantErr{sockets.KindPolicy, "", 0, "", tt.want})
			if in := s.Info(); in.State != sockets.Created || in.Local == nil || *in.Local != (sockets.Addr{Host: "0.0.0.0"}) {
				t.Errorf("after refusal: got %v at %v, want CREATED at ('0.0.0.0', 0)", in.State, in.Local)
			}
			// Still a fresh socket: a permitted bind works.
			if _, e := s.Bind(sockets.Addr{Host: "127.0.0.1"}); e != nil {
				t.Errorf("bind after refusal: %v", e)
			}
		})
	}
}

func TestPolicyRefusesConnectWithoutSyscall(t *testing.T) {
	for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
		t.Run(string(typ), func(t *testing.T) {
			c := newSocket(t, sockets.AFInet, typ, &sockets.Policy{Wildcard: true})
			var port int
			var l *sockets.Socket
			if typ == sockets.SockStream {
				var la sockets.Addr
				l, la = listener(t, sockets.AFInet)
				port = la.Port
			} else {
				_, a := boundSocket(t, sockets.AFInet, typ, nil)
				port = a.Port
			}
			_, e := c.Connect(context.Background(), sockets.Addr{Host: "0.0.0.0", Port: port}, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindPolicy, "", 0, "", msgPeer})
			if in := c.Info(); in.State != sockets.Created || in.Peer != nil {
				t.Errorf("after refusal: got %v peer %v, want CREATED with no peer", in.State, in.Peer)
			}
			if l != nil {
				mustOK(t, "settimeout", l.SetTimeout(dur(0)))
				_, _, e := l.Accept(context.Background(), sockets.CallOptions{})
				if e == nil || e.Errno != "EAGAIN" {
					t.Errorf("listener accept: got %v, want EAGAIN (no connection arrived)", e)
				}
			}
		})
	}
}

func TestPolicyRefusesSendToWithoutSyscall(t *testing.T) {
	ctx := context.Background()
	r, ra := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	s := newSocket(t, sockets.AFInet, sockets.SockDgram, &sockets.Policy{Wildcard: true})
	n, _, e := s.SendTo(ctx, []byte("leak"), sockets.Addr{Host: "0.0.0.0", Port: ra.Port}, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindPolicy, "", 0, "", msgPeer})
	if n != 0 {
		t.Errorf("n: got %d, want 0", n)
	}
	if st := s.Info().State; st != sockets.Created {
		t.Errorf("sender state: got %v, want %v (no implicit bind)", st, sockets.Created)
	}
	mustOK(t, "settimeout", r.SetTimeout(dur(0)))
	got, e := r.RecvFrom(ctx, 16, nil, sockets.CallOptions{})
	if e == nil || e.Errno != "EAGAIN" {
		t.Errorf("receiver: got %q, %v, want EAGAIN (nothing arrived)", got.Data, e)
	}
}

func TestPolicyImplicitBind(t *testing.T) {
	ctx := context.Background()
	_, ra := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	tests := []struct {
		name string
		typ  sockets.Type
		do   func(s *sockets.Socket) *sockets.Error
		want string
	}{
		{"listen", sockets.SockStream, func(s *sockets.Socket) *sockets.Error { return s.Listen(1) },
			"listen() on an unbound socket would bind it to the wildcard address, which is not allowed here; bind it to 127.0.0.1 first"},
		{"sendto", sockets.SockDgram, func(s *sockets.Socket) *sockets.Error {
			_, _, e := s.SendTo(ctx, []byte("x"), ra, sockets.CallOptions{})
			return e
		},
			"sendto() on an unbound socket would bind it to the wildcard address, which is not allowed here; bind it to 127.0.0.1 first"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/refused", func(t *testing.T) {
			s := newSocket(t, sockets.AFInet, tt.typ, nil)
			checkErr(t, tt.do(s), wantErr{sockets.KindPolicy, "", 0, "", tt.want})
			if st := s.Info().State; st != sockets.Created {
				t.Errorf("State: got %v, want %v", st, sockets.Created)
			}
		})
		t.Run(tt.name+"/bound first", func(t *testing.T) {
			s, _ := boundSocket(t, sockets.AFInet, tt.typ, nil)
			mustOK(t, tt.name, tt.do(s))
		})
		t.Run(tt.name+"/Wildcard", func(t *testing.T) {
			s := newSocket(t, sockets.AFInet, tt.typ, &sockets.Policy{Wildcard: true})
			mustOK(t, tt.name, tt.do(s))
			in := s.Info()
			if in.Local == nil || in.Local.Host != "0.0.0.0" || in.Local.Port == 0 {
				t.Errorf("Local: got %v, want ('0.0.0.0', free port)", in.Local)
			}
		})
	}
}

// TestNilPolicy: a nil policy is the zero Policy (local, no wildcard).
func TestNilPolicy(t *testing.T) {
	s := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, e := s.Bind(sockets.Addr{Host: ""})
	checkErr(t, e, wantErr{sockets.KindPolicy, "", 0, "", msgBindWildcard})
}

// TestPolicyLab: a private network that may host a lab LAN allows its
// subnet, the limited broadcast address and multicast groups, and still
// nothing else; without Private, Lab means nothing.
func TestPolicyLab(t *testing.T) {
	lab := sockets.Policy{Private: true, Wildcard: true, Lab: netip.MustParsePrefix("10.77.0.0/24")}
	hostLab := sockets.Policy{Lab: lab.Lab}
	tests := []struct {
		name   string
		policy sockets.Policy
		ip     string
		ok     bool
	}{
		{"a lab host", lab, "10.77.0.2", true},
		{"the subnet broadcast", lab, "10.77.0.255", true},
		{"the limited broadcast", lab, "255.255.255.255", true},
		{"a multicast group", lab, "224.1.1.1", true},
		{"loopback", lab, "127.0.0.1", true},
		{"another subnet", lab, "10.78.0.1", false},
		{"an IPv6 multicast group", lab, "ff02::1", false},
		{"a private network without a lab", private, "10.77.0.2", false},
		{"the host network ignores Lab", hostLab, "10.77.0.2", false},
		{"the host network ignores Lab: broadcast", hostLab, "255.255.255.255", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if e := tt.policy.CheckPeer(ip, 9000); (e == nil) != tt.ok {
				t.Errorf("CheckPeer(%s): got %v, want allowed %v", ip, e, tt.ok)
			}
			if e := tt.policy.CheckBind(ip, 9000); (e == nil) != tt.ok {
				t.Errorf("CheckBind(%s): got %v, want allowed %v", ip, e, tt.ok)
			}
		})
	}
	d := lab.Describe()
	for _, s := range []string{d.Bind, d.Connect} {
		if !strings.Contains(s, "while a lab LAN exists (op lab) its subnet 10.77.0.0/24, 255.255.255.255 and the multicast groups 224.0.0.0/4") {
			t.Errorf("Describe: %q does not name the lab's addresses", s)
		}
	}
	if d := private.Describe(); strings.Contains(d.Connect, "lab") {
		t.Errorf("Describe without a lab: %q names one", d.Connect)
	}
}

// TestPolicyRoom: a private network that may be on a room's class network
// allows its subnet, 255.255.255.255 and multicast, beside a lab's; the
// host network ignores Room.
func TestPolicyRoom(t *testing.T) {
	room := sockets.Policy{Private: true, Wildcard: true, Room: netip.MustParsePrefix("10.78.0.0/24")}
	both := room
	both.Lab = netip.MustParsePrefix("10.77.0.0/24")
	hostRoom := sockets.Policy{Room: room.Room}
	tests := []struct {
		name   string
		policy sockets.Policy
		ip     string
		ok     bool
	}{
		{"the instructor", room, "10.78.0.1", true},
		{"a student", room, "10.78.0.254", true},
		{"the room's broadcast", room, "10.78.0.255", true},
		{"the limited broadcast", room, "255.255.255.255", true},
		{"a multicast group", room, "239.1.2.3", true},
		{"a lab's subnet without a lab", room, "10.77.0.2", false},
		{"another subnet", room, "10.79.0.1", false},
		{"a lab host beside the room", both, "10.77.0.2", true},
		{"a room host beside the lab", both, "10.78.0.2", true},
		{"the host network ignores Room", hostRoom, "10.78.0.1", false},
		{"the host network ignores Room: broadcast", hostRoom, "255.255.255.255", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if e := tt.policy.CheckPeer(ip, 9000); (e == nil) != tt.ok {
				t.Errorf("CheckPeer(%s): got %v, want allowed %v", ip, e, tt.ok)
			}
			if e := tt.policy.CheckBind(ip, 9000); (e == nil) != tt.ok {
				t.Errorf("CheckBind(%s): got %v, want allowed %v", ip, e, tt.ok)
			}
		})
	}
	d := both.Describe()
	for _, s := range []string{d.Bind, d.Connect} {
		if !strings.Contains(s, "while the session is in a room, the room's class network 10.78.0.0/24") || !strings.Contains(s, "its subnet 10.77.0.0/24") {
			t.Errorf("Describe: %q does not name the room's and the lab's addresses", s)
		}
	}
	if !strings.Contains(d.Connect, "no other session but its room's members on the class network") {
		t.Errorf("Describe: %q does not say the room's members are reachable", d.Connect)
	}
	e := room.CheckPeer(netip.MustParseAddr("10.1.2.3"), 9000)
	if e == nil || !strings.Contains(e.Message, "10.78.0.0/24") {
		t.Errorf("CheckPeer(10.1.2.3): %v, want a refusal naming the class network", e)
	}
}
