package sockets_test

import (
	"context"
	"testing"
	"time"

	"sockplay/sockets"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *sockets.Error
		want string
	}{
		{&sockets.Error{Exception: "OSError", Message: "[Errno 98] Address already in use"}, "OSError: [Errno 98] Address already in use"},
		{&sockets.Error{Message: "cancelled"}, "cancelled"},
		{sockets.BadRequest("ValueError", "negative buffersize in %s", "recv"), "ValueError: negative buffersize in recv"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error(): got %q, want %q", got, tt.want)
		}
	}
}

func TestAddrInUse(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
			t.Run(string(f)+"/"+string(typ), func(t *testing.T) {
				_, a := boundSocket(t, f, typ, nil)
				s := newSocket(t, f, typ, nil)
				_, e := s.Bind(a)
				checkErr(t, e, wantErr{sockets.KindOS, "EADDRINUSE", 98, "OSError", "[Errno 98] Address already in use"})
				if got := e.Error(); got != "OSError: [Errno 98] Address already in use" {
					t.Errorf("Error(): got %q, want %q", got, "OSError: [Errno 98] Address already in use")
				}
				if st := s.Info().State; st != sockets.Created {
					t.Errorf("State after failed bind: got %v, want %v", st, sockets.Created)
				}
			})
		}
	}
}

func TestBindTwice(t *testing.T) {
	s, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, e := s.Bind(sockets.Addr{Host: "127.0.0.1"})
	checkErr(t, e, wantErr{sockets.KindOS, "EINVAL", 22, "OSError", "[Errno 22] Invalid argument"})
	if want := "This socket is already bound; a socket can be bound only once."; e.Hint != want {
		t.Errorf("Hint: got %q, want %q", e.Hint, want)
	}
}

func TestClosedSocket(t *testing.T) {
	ctx := context.Background()
	_, peer := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	ops := []struct {
		name string
		do   func(s *sockets.Socket) *sockets.Error
	}{
		{"bind", func(s *sockets.Socket) *sockets.Error { _, e := s.Bind(sockets.Addr{Host: "127.0.0.1"}); return e }},
		{"listen", func(s *sockets.Socket) *sockets.Error { return s.Listen(1) }},
		{"accept", func(s *sockets.Socket) *sockets.Error { _, _, e := s.Accept(ctx, sockets.CallOptions{}); return e }},
		{"connect", func(s *sockets.Socket) *sockets.Error { _, e := s.Connect(ctx, peer, sockets.CallOptions{}); return e }},
		{"send", func(s *sockets.Socket) *sockets.Error {
			_, e := s.Send(ctx, []byte("x"), nil, sockets.CallOptions{})
			return e
		}},
		{"sendall", func(s *sockets.Socket) *sockets.Error {
			_, e := s.SendAll(ctx, []byte("x"), sockets.CallOptions{})
			return e
		}},
		{"sendto", func(s *sockets.Socket) *sockets.Error {
			_, _, e := s.SendTo(ctx, []byte("x"), peer, sockets.CallOptions{})
			return e
		}},
		{"recv", func(s *sockets.Socket) *sockets.Error { _, e := s.Recv(ctx, 10, nil, sockets.CallOptions{}); return e }},
		{"recvfrom", func(s *sockets.Socket) *sockets.Error {
			_, e := s.RecvFrom(ctx, 10, nil, sockets.CallOptions{})
			return e
		}},
		{"setsockopt", func(s *sockets.Socket) *sockets.Error {
			_, e := s.SetOption("SOL_SOCKET", "SO_REUSEADDR", 1)
			return e
		}},
		{"getsockopt", func(s *sockets.Socket) *sockets.Error { _, e := s.GetOption("SOL_SOCKET", "SO_REUSEADDR"); return e }},
		{"settimeout", func(s *sockets.Socket) *sockets.Error { return s.SetTimeout(dur(time.Second)) }},
		{"shutdown", func(s *sockets.Socket) *sockets.Error { return s.Shutdown("SHUT_RDWR") }},
		{"getsockname", func(s *sockets.Socket) *sockets.Error { _, e := s.GetSockName(); return e }},
		{"getpeername", func(s *sockets.Socket) *sockets.Error { _, e := s.GetPeerName(); return e }},
	}
	for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
		for _, op := range ops {
			t.Run(string(typ)+"/"+op.name, func(t *testing.T) {
				s := newSocket(t, sockets.AFInet, typ, nil)
				s.Close()
				s.Close() // closing twice is harmless, as in Python
				checkErr(t, op.do(s), errEBADF)
				if st := s.Info().State; st != sockets.Closed {
					t.Errorf("State: got %v, want %v", st, sockets.Closed)
				}
			})
		}
	}
}

func TestCloseWakesWaiter(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the socket to wait on and the operation that waits.
		setup func(t *testing.T) (*sockets.Socket, func(sockets.CallOptions) *sockets.Error)
	}{
		{"recv", func(t *testing.T) (*sockets.Socket, func(sockets.CallOptions) *sockets.Error) {
			_, s := tcpPair(t, sockets.AFInet)
			return s, func(opts sockets.CallOptions) *sockets.Error {
				_, e := s.Recv(context.Background(), 10, nil, opts)
				return e
			}
		}},
		{"recvfrom", func(t *testing.T) (*sockets.Socket, func(sockets.CallOptions) *sockets.Error) {
			s, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			return s, func(opts sockets.CallOptions) *sockets.Error {
				_, e := s.RecvFrom(context.Background(), 10, nil, opts)
				return e
			}
		}},
		{"accept", func(t *testing.T) (*sockets.Socket, func(sockets.CallOptions) *sockets.Error) {
			l, _ := listener(t, sockets.AFInet)
			return l, func(opts sockets.CallOptions) *sockets.Error {
				_, _, e := l.Accept(context.Background(), opts)
				return e
			}
		}},
		{"sendall on a full buffer", func(t *testing.T) (*sockets.Socket, func(sockets.CallOptions) *sockets.Error) {
			c, _ := tcpPair(t, sockets.AFInet)
			fillSendBuffer(t, c)
			return c, func(opts sockets.CallOptions) *sockets.Error {
				_, e := c.SendAll(context.Background(), make([]byte, 1<<20), opts)
				return e
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, op := tt.setup(t)
			opts, waiting := onWait()
			done := make(chan *sockets.Error, 1)
			go func() { done <- op(opts) }()
			await(t, waiting, tt.name+" waiting")
			s.Close()
			e := await(t, done, tt.name+" ending after close")
			checkErr(t, e, errEBADF)
			if want := "The socket was closed while this call was waiting for it."; e != nil && e.Hint != want {
				t.Errorf("Hint: got %q, want %q", e.Hint, want)
			}
		})
	}
}

// TestCloseWakesQueued: a recv queued behind a waiting recv ends with EBADF
// too when the socket is closed.
func TestCloseWakesQueued(t *testing.T) {
	s, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	first := goRecv(t, context.Background(), s, 10)
	second := goRecv(t, context.Background(), s, 10)
	s.Close()
	for i, ch := range []<-chan recvResult{first, second} {
		res := await(t, ch, "recv ending after close")
		if res.e == nil || res.e.Errno != "EBADF" {
			t.Errorf("recv %d: got %q, %v, want EBADF", i+1, res.r.Data, res.e)
		}
	}
}

func TestCancelWaiting(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx, cancel := context.WithCancel(context.Background())
	done := goRecv(t, ctx, s, 1024)
	cancel()
	res := await(t, done, "cancelled recv")
	checkErr(t, res.e, wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})

	// Still usable afterwards, and no deadline is left behind.
	bg := context.Background()
	later := goRecv(t, bg, s, 1024)
	if _, e := c.SendAll(bg, []byte("after cancel"), sockets.CallOptions{}); e != nil {
		t.Fatalf("sendall: %v", e)
	}
	res = await(t, later, "recv after cancel")
	mustOK(t, "recv after cancel", res.e)
	if string(res.r.Data) != "after cancel" {
		t.Errorf("recv: got %q, want %q", res.r.Data, "after cancel")
	}
}

func TestCancelWithTimeoutSet(t *testing.T) {
	s, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	mustOK(t, "settimeout", s.SetTimeout(dur(time.Hour)))
	ctx, cancel := context.WithCancel(context.Background())
	done := goRecv(t, ctx, s, 10)
	cancel()
	checkErr(t, await(t, done, "cancelled recv").e, wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})
}

func TestCancelAccept(t *testing.T) {
	l, la := listener(t, sockets.AFInet)
	ctx, cancel := context.WithCancel(context.Background())
	opts, waiting := onWait()
	done := make(chan *sockets.Error, 1)
	go func() { _, _, e := l.Accept(ctx, opts); done <- e }()
	await(t, waiting, "accept waiting")
	cancel()
	checkErr(t, await(t, done, "cancelled accept"), wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})

	c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	if _, e := c.Connect(context.Background(), la, sockets.CallOptions{}); e != nil {
		t.Fatalf("connect: %v", e)
	}
	conn, _, e := l.Accept(context.Background(), sockets.CallOptions{})
	mustOK(t, "accept after cancel", e)
	conn.Close()
}

// TestCancelBeforeStart: an already cancelled context still lets an
// operation that can finish at once finish, and ends one that would wait.
func TestCancelBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, e := b.RecvFrom(ctx, 10, nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})
	if _, _, e := a.SendTo(ctx, []byte("ready"), ba, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto with cancelled ctx: %v", e)
	}
	r, e := b.RecvFrom(context.Background(), 10, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "ready" {
		t.Errorf("recvfrom: got %q, want %q", r.Data, "ready")
	}
}

func TestBadRequests(t *testing.T) {
	ctx := context.Background()
	tcp, _ := tcpPair(t, sockets.AFInet)
	udp, ua := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	tests := []struct {
		name string
		do   func() *sockets.Error
		want wantErr
	}{
		{"recv negative bufsize", func() *sockets.Error { _, e := tcp.Recv(ctx, -1, nil, sockets.CallOptions{}); return e },
			wantErr{sockets.KindBadRequest, "", 0, "ValueError", "negative buffersize in recv"}},
		{"recvfrom negative bufsize", func() *sockets.Error { _, e := udp.RecvFrom(ctx, -1, nil, sockets.CallOptions{}); return e },
			wantErr{sockets.KindBadRequest, "", 0, "ValueError", "negative buffersize in recvfrom"}},
		{"recv bufsize over the limit", func() *sockets.Error {
			_, e := tcp.Recv(ctx, sockets.MaxBufsize+1, nil, sockets.CallOptions{})
			return e
		},
			wantErr{sockets.KindLimit, "", 0, "", "bufsize is limited to 1048576 bytes here"}},
		{"recv unsupported flag", func() *sockets.Error { _, e := tcp.Recv(ctx, 10, []string{"MSG_OOB"}, sockets.CallOptions{}); return e },
			wantErr{sockets.KindBadRequest, "", 0, "", `unsupported flag "MSG_OOB"`}},
		{"send unsupported flag", func() *sockets.Error {
			_, e := tcp.Send(ctx, []byte("x"), []string{"MSG_PEEK"}, sockets.CallOptions{})
			return e
		},
			wantErr{sockets.KindBadRequest, "", 0, "", `unsupported flag "MSG_PEEK"`}},
		{"setsockopt unknown option", func() *sockets.Error { _, e := tcp.SetOption("SOL_SOCKET", "SO_LINGER", 1); return e },
			wantErr{sockets.KindBadRequest, "", 0, "AttributeError", "module 'socket' has no attribute 'SO_LINGER' (or sockplay does not offer it)"}},
		{"getsockopt unknown option", func() *sockets.Error { _, e := tcp.GetOption("SOL_SOCKET", "SO_NOPE"); return e },
			wantErr{sockets.KindBadRequest, "", 0, "AttributeError", "module 'socket' has no attribute 'SO_NOPE' (or sockplay does not offer it)"}},
		{"setsockopt wrong level", func() *sockets.Error { _, e := tcp.SetOption("SOL_SOCKET", "TCP_NODELAY", 1); return e },
			wantErr{sockets.KindBadRequest, "", 0, "", "TCP_NODELAY belongs to level IPPROTO_TCP, not SOL_SOCKET"}},
		{"getsockopt wrong level", func() *sockets.Error { _, e := udp.GetOption("IPPROTO_TCP", "SO_BROADCAST"); return e },
			wantErr{sockets.KindBadRequest, "", 0, "", "SO_BROADCAST belongs to level SOL_SOCKET, not IPPROTO_TCP"}},
		{"shutdown bad how", func() *sockets.Error { return tcp.Shutdown("SHUT_BOTH") },
			wantErr{sockets.KindBadRequest, "", 0, "", `how must be SHUT_RD, SHUT_WR or SHUT_RDWR, not "SHUT_BOTH"`}},
		{"settimeout negative", func() *sockets.Error { return tcp.SetTimeout(dur(-time.Second)) },
			wantErr{sockets.KindBadRequest, "", 0, "ValueError", "Timeout value out of range"}},
		{"bind port 70000", func() *sockets.Error {
			_, e := newSocket(t, sockets.AFInet, sockets.SockStream, nil).Bind(sockets.Addr{Host: "127.0.0.1", Port: 70000})
			return e
		}, wantErr{sockets.KindBadRequest, "", 0, "OverflowError", "bind(): port must be 0-65535."}},
		{"bind port -1", func() *sockets.Error {
			_, e := newSocket(t, sockets.AFInet, sockets.SockStream, nil).Bind(sockets.Addr{Host: "127.0.0.1", Port: -1})
			return e
		}, wantErr{sockets.KindBadRequest, "", 0, "OverflowError", "bind(): port must be 0-65535."}},
		{"connect port 70000", func() *sockets.Error {
			_, e := newSocket(t, sockets.AFInet, sockets.SockStream, nil).Connect(ctx, sockets.Addr{Host: "127.0.0.1", Port: 70000}, sockets.CallOptions{})
			return e
		}, wantErr{sockets.KindBadRequest, "", 0, "OverflowError", "connect(): port must be 0-65535."}},
		{"sendto port 70000", func() *sockets.Error {
			_, _, e := udp.SendTo(ctx, []byte("x"), sockets.Addr{Host: "127.0.0.1", Port: 70000}, sockets.CallOptions{})
			return e
		}, wantErr{sockets.KindBadRequest, "", 0, "OverflowError", "sendto(): port must be 0-65535."}},
		{"setsockopt read-only SO_TYPE", func() *sockets.Error { _, e := udp.SetOption("SOL_SOCKET", "SO_TYPE", 1); return e },
			wantErr{sockets.KindOS, "ENOPROTOOPT", 92, "OSError", "[Errno 92] Protocol not available"}},
		{"TCP option on a UDP socket", func() *sockets.Error { _, e := udp.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); return e },
			wantErr{sockets.KindOS, "ENOPROTOOPT", 92, "OSError", "[Errno 92] Protocol not available"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.do(), tt.want)
		})
	}
	// None of those broke the sockets.
	if _, _, e := udp.SendTo(ctx, []byte("ok"), ua, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto: %v", e)
	}
	if r, e := udp.RecvFrom(ctx, 10, nil, sockets.CallOptions{}); e != nil || string(r.Data) != "ok" {
		t.Errorf("recvfrom: got %q, %v, want \"ok\"", r.Data, e)
	}
	if tm := tcp.Timeout(); tm != nil {
		t.Errorf("Timeout after a refused settimeout: got %v, want nil", *tm)
	}
}

func TestHostNames(t *testing.T) {
	ctx := context.Background()
	gai := wantErr{sockets.KindOS, "EAI_ADDRFAMILY", -9, "socket.gaierror", "[Errno -9] Address family for hostname not supported"}
	noNames := wantErr{sockets.KindPolicy, "", 0, "", "sockplay resolves no host names: use a numeric address such as '127.0.0.1' or '::1', or 'localhost'"}
	tests := []struct {
		name   string
		family sockets.Family
		host   string
		want   wantErr
	}{
		{"name on AF_INET", sockets.AFInet, "example.com", noNames},
		{"name on AF_INET6", sockets.AFInet6, "example.com", noNames},
		{"ip6-localhost", sockets.AFInet6, "ip6-localhost", noNames},
		{"IPv6 literal on AF_INET", sockets.AFInet, "::1", gai},
		{"IPv4 literal on AF_INET6", sockets.AFInet6, "127.0.0.1", gai},
		{"<broadcast> on AF_INET6", sockets.AFInet6, "<broadcast>", gai},
	}
	ops := []struct {
		name string
		do   func(s *sockets.Socket, a sockets.Addr) *sockets.Error
	}{
		{"bind", func(s *sockets.Socket, a sockets.Addr) *sockets.Error { _, e := s.Bind(a); return e }},
		{"connect", func(s *sockets.Socket, a sockets.Addr) *sockets.Error {
			_, e := s.Connect(ctx, a, sockets.CallOptions{})
			return e
		}},
		{"sendto", func(s *sockets.Socket, a sockets.Addr) *sockets.Error {
			_, _, e := s.SendTo(ctx, []byte("x"), a, sockets.CallOptions{})
			return e
		}},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				s := newSocket(t, tt.family, sockets.SockDgram, &sockets.Policy{Wildcard: true})
				checkErr(t, op.do(s, sockets.Addr{Host: tt.host, Port: 9999}), tt.want)
				if st := s.Info().State; st != sockets.Created {
					t.Errorf("State: got %v, want %v", st, sockets.Created)
				}
			})
		}
	}
}
