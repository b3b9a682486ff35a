package sockets_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
	"time"

	"sockplay/sockets"
)

func TestNew(t *testing.T) {
	tests := []struct {
		family   sockets.Family
		typ      sockets.Type
		wildcard string
		soType   int
	}{
		{sockets.AFInet, sockets.SockStream, "0.0.0.0", 1},
		{sockets.AFInet, sockets.SockDgram, "0.0.0.0", 2},
		{sockets.AFInet6, sockets.SockStream, "::", 1},
		{sockets.AFInet6, sockets.SockDgram, "::", 2},
	}
	for _, tt := range tests {
		t.Run(string(tt.family)+"/"+string(tt.typ), func(t *testing.T) {
			s := newSocket(t, tt.family, tt.typ, nil)
			if s.Family() != tt.family {
				t.Errorf("Family: got %v, want %v", s.Family(), tt.family)
			}
			if s.Type() != tt.typ {
				t.Errorf("Type: got %v, want %v", s.Type(), tt.typ)
			}
			if s.FD() < 3 {
				t.Errorf("FD: got %d, want a real descriptor (>= 3)", s.FD())
			}
			v, e := s.GetOption("SOL_SOCKET", "SO_TYPE")
			mustOK(t, "getsockopt", e)
			if v != tt.soType {
				t.Errorf("SO_TYPE: got %d, want %d", v, tt.soType)
			}
			in := s.Info()
			if in.State != sockets.Created {
				t.Errorf("State: got %v, want %v", in.State, sockets.Created)
			}
			if in.Local == nil || *in.Local != (sockets.Addr{Host: tt.wildcard}) {
				t.Errorf("Local: got %v, want %v", in.Local, sockets.Addr{Host: tt.wildcard})
			}
			if in.Peer != nil {
				t.Errorf("Peer: got %v, want nil", in.Peer)
			}
			if in.Timeout != nil {
				t.Errorf("Timeout: got %v, want nil (blocking)", *in.Timeout)
			}
		})
	}
}

func TestNewBadArguments(t *testing.T) {
	tests := []struct {
		name    string
		family  sockets.Family
		typ     sockets.Type
		message string
	}{
		{"family", "AF_UNIX", sockets.SockStream, `family must be AF_INET or AF_INET6, not "AF_UNIX"`},
		{"type", sockets.AFInet, "SOCK_RAW", `type must be SOCK_STREAM or SOCK_DGRAM, not "SOCK_RAW"`},
		{"empty", "", "", `family must be AF_INET or AF_INET6, not ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := sockets.New(tt.family, tt.typ, nil)
			if e == nil {
				s.Close()
				t.Fatalf("got a socket, want an error")
			}
			checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", tt.message})
		})
	}
}

func TestBindPortZero(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
			t.Run(string(f)+"/"+string(typ), func(t *testing.T) {
				s := newSocket(t, f, typ, nil)
				a, e := s.Bind(sockets.Addr{Host: loopback(f), Port: 0})
				mustOK(t, "bind", e)
				if a.Host != loopback(f) {
					t.Errorf("bound host: got %q, want %q", a.Host, loopback(f))
				}
				if a.Port < 1024 || a.Port > 65535 {
					t.Errorf("bound port: got %d, want an ephemeral port", a.Port)
				}
				got, e := s.GetSockName()
				mustOK(t, "getsockname", e)
				if got != a {
					t.Errorf("getsockname: got %v, want %v", got, a)
				}
				if st := s.Info().State; st != sockets.Bound {
					t.Errorf("State: got %v, want %v", st, sockets.Bound)
				}
			})
		}
	}
}

func TestBindLocalhost(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			s := newSocket(t, f, sockets.SockDgram, nil)
			a, e := s.Bind(sockets.Addr{Host: "localhost"})
			mustOK(t, "bind", e)
			if a.Host != loopback(f) {
				t.Errorf("got %q, want %q", a.Host, loopback(f))
			}
		})
	}
}

func TestTCPStates(t *testing.T) {
	l := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	step := func(s *sockets.Socket, want sockets.State) {
		t.Helper()
		if got := s.Info().State; got != want {
			t.Errorf("State: got %v, want %v", got, want)
		}
	}
	step(l, sockets.Created)
	la, e := l.Bind(sockets.Addr{Host: "127.0.0.1"})
	mustOK(t, "bind", e)
	step(l, sockets.Bound)
	mustOK(t, "listen", l.Listen(5))
	step(l, sockets.Listening)
	if in := l.Info(); in.Local == nil || *in.Local != la {
		t.Errorf("listener Local: got %v, want %v", in.Local, la)
	}

	c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	ca, e := c.Connect(context.Background(), la, sockets.CallOptions{})
	mustOK(t, "connect", e)
	step(c, sockets.Connected)
	conn, _, e := l.Accept(context.Background(), sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer conn.Close()
	step(conn, sockets.Connected)
	in := conn.Info()
	if in.Local == nil || *in.Local != la {
		t.Errorf("accepted Local: got %v, want %v", in.Local, la)
	}
	if in.Peer == nil || *in.Peer != ca {
		t.Errorf("accepted Peer: got %v, want %v", in.Peer, ca)
	}

	c.Close()
	step(c, sockets.Closed)
	l.Close()
	step(l, sockets.Closed)
	step(conn, sockets.Connected) // the accepted socket lives on its own
}

func TestAcceptWaitsForConnect(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			l, la := listener(t, f)
			opts, waiting := onWait()
			type acceptResult struct {
				conn *sockets.Socket
				peer sockets.Addr
				e    *sockets.Error
			}
			done := make(chan acceptResult, 1)
			go func() {
				conn, peer, e := l.Accept(context.Background(), opts)
				done <- acceptResult{conn, peer, e}
			}()
			await(t, waiting, "accept waiting")
			select {
			case res := <-done:
				t.Fatalf("accept returned %v, %v with nobody connecting", res.peer, res.e)
			default:
			}

			c := newSocket(t, f, sockets.SockStream, nil)
			local, e := c.Connect(context.Background(), la, sockets.CallOptions{})
			mustOK(t, "connect", e)
			if local.Host != loopback(f) || local.Port == 0 || local.Port == la.Port {
				t.Errorf("connect local addr: got %v, want (%s, ephemeral port)", local, loopback(f))
			}
			res := await(t, done, "accept")
			mustOK(t, "accept", res.e)
			defer res.conn.Close()
			if res.peer != local {
				t.Errorf("accept peer: got %v, want %v", res.peer, local)
			}
			peer, e := c.GetPeerName()
			mustOK(t, "getpeername", e)
			if peer != la {
				t.Errorf("client getpeername: got %v, want %v", peer, la)
			}
			name, e := res.conn.GetSockName()
			mustOK(t, "getsockname", e)
			if name != la {
				t.Errorf("accepted getsockname: got %v, want %v", name, la)
			}
			if res.conn.Family() != f || res.conn.Type() != sockets.SockStream {
				t.Errorf("accepted socket: got %v/%v, want %v/SOCK_STREAM", res.conn.Family(), res.conn.Type(), f)
			}
		})
	}
}

func TestTCPSendRecv(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			c, s := tcpPair(t, f)
			ctx := context.Background()
			n, e := c.Send(ctx, []byte("hello"), nil, sockets.CallOptions{})
			mustOK(t, "send", e)
			if n != 5 {
				t.Errorf("send: got %d, want 5", n)
			}
			r, e := s.Recv(ctx, 1024, nil, sockets.CallOptions{})
			mustOK(t, "recv", e)
			if string(r.Data) != "hello" || r.Size != 5 || r.Truncated || r.From != nil {
				t.Errorf("recv: got %q size %d truncated %v from %v, want \"hello\" size 5 false <nil>", r.Data, r.Size, r.Truncated, r.From)
			}
			// And back the other way, with sendall.
			n, e = s.SendAll(ctx, []byte("world!"), sockets.CallOptions{})
			mustOK(t, "sendall", e)
			if n != 6 {
				t.Errorf("sendall: got %d, want 6", n)
			}
			r, e = c.Recv(ctx, 1024, nil, sockets.CallOptions{})
			mustOK(t, "recv", e)
			if string(r.Data) != "world!" {
				t.Errorf("recv: got %q, want %q", r.Data, "world!")
			}
		})
	}
}

// TestSendAllLarge sends more than the socket buffers hold, so sendall has to
// wait for the reader several times.
func TestSendAllLarge(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	payload := make([]byte, 4<<20)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		var buf []byte
		for range 100000 { // bounded; each recv returns at least one byte
			r, e := s.Recv(context.Background(), 65536, nil, sockets.CallOptions{})
			if e != nil || len(r.Data) == 0 {
				break
			}
			buf = append(buf, r.Data...)
			if len(buf) >= len(payload) {
				break
			}
		}
		got <- buf
	}()
	n, e := c.SendAll(context.Background(), payload, sockets.CallOptions{})
	mustOK(t, "sendall", e)
	if n != len(payload) {
		t.Errorf("sendall: got %d, want %d", n, len(payload))
	}
	buf := await(t, got, "reading everything")
	if !bytes.Equal(buf, payload) {
		t.Errorf("received %d bytes, want the %d sent, identical", len(buf), len(payload))
	}
}

// TestTwoSendsOneChunk shows stream coalescing: two sends that are both
// queued before the receiver reads come back from one recv.
func TestTwoSendsOneChunk(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	if _, e := c.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); e != nil {
		t.Fatalf("TCP_NODELAY: %v", e)
	}
	for _, p := range []string{"hello", "world"} {
		if _, e := c.Send(ctx, []byte(p), nil, sockets.CallOptions{}); e != nil {
			t.Fatalf("send %q: %v", p, e)
		}
	}
	// Wait (bounded) until both segments are in the receive queue; peeking
	// leaves them there.
	for i := 0; ; i++ {
		r, e := s.Recv(ctx, 1024, []string{"MSG_PEEK"}, sockets.CallOptions{})
		mustOK(t, "peek", e)
		if len(r.Data) == 10 {
			break
		}
		if i == 1000 {
			t.Fatalf("receive queue holds %q, want both sends", r.Data)
		}
		time.Sleep(time.Millisecond)
	}
	r, e := s.Recv(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != "helloworld" {
		t.Errorf("recv: got %q, want %q", r.Data, "helloworld")
	}
}

func TestRecvInPieces(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	if _, e := c.SendAll(ctx, []byte("hello world!"), sockets.CallOptions{}); e != nil {
		t.Fatalf("sendall: %v", e)
	}
	for _, want := range []string{"hello", " worl", "d!"} {
		r, e := s.Recv(ctx, 5, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if string(r.Data) != want || r.Size != len(want) {
			t.Errorf("recv(5): got %q size %d, want %q size %d", r.Data, r.Size, want, len(want))
		}
	}
}

// TestRecvCutsMultibyte: 你好 in GBK is c4e3 bac3; recv(3) cuts the second
// character in two.
func TestRecvCutsMultibyte(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	gbk, _ := hex.DecodeString("c4e3bac3")
	if _, e := c.SendAll(ctx, gbk, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendall: %v", e)
	}
	for _, want := range []string{"c4e3ba", "c3"} {
		r, e := s.Recv(ctx, 3, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if got := hex.EncodeToString(r.Data); got != want {
			t.Errorf("recv(3): got %s, want %s", got, want)
		}
	}
}

func TestRecvPeek(t *testing.T) {
	for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
		t.Run(string(typ), func(t *testing.T) {
			ctx := context.Background()
			var snd, rcv *sockets.Socket
			if typ == sockets.SockStream {
				snd, rcv = tcpPair(t, sockets.AFInet)
				if _, e := snd.SendAll(ctx, []byte("peekaboo"), sockets.CallOptions{}); e != nil {
					t.Fatalf("sendall: %v", e)
				}
			} else {
				var ra sockets.Addr
				rcv, ra = boundSocket(t, sockets.AFInet, typ, nil)
				snd, _ = boundSocket(t, sockets.AFInet, typ, nil)
				if _, _, e := snd.SendTo(ctx, []byte("peekaboo"), ra, sockets.CallOptions{}); e != nil {
					t.Fatalf("sendto: %v", e)
				}
			}
			for _, flags := range [][]string{{"MSG_PEEK"}, {"MSG_PEEK"}, nil} {
				r, e := rcv.Recv(ctx, 1024, flags, sockets.CallOptions{})
				mustOK(t, "recv", e)
				if string(r.Data) != "peekaboo" {
					t.Errorf("recv %v: got %q, want %q", flags, r.Data, "peekaboo")
				}
			}
			mustOK(t, "settimeout", rcv.SetTimeout(dur(0)))
			_, e := rcv.Recv(ctx, 1024, nil, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"})
		})
	}
}

func TestShutdownWrite(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	mustOK(t, "shutdown", c.Shutdown("SHUT_WR"))
	if in := c.Info(); !in.ShutWR || in.ShutRD {
		t.Errorf("Info: got ShutWR %v ShutRD %v, want true false", in.ShutWR, in.ShutRD)
	}
	r, e := s.Recv(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if len(r.Data) != 0 || r.Size != 0 {
		t.Errorf("peer recv after SHUT_WR: got %q size %d, want b'' size 0", r.Data, r.Size)
	}
	// The other direction still works.
	if _, e := s.SendAll(ctx, []byte("still here"), sockets.CallOptions{}); e != nil {
		t.Fatalf("sendall: %v", e)
	}
	r, e = c.Recv(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != "still here" {
		t.Errorf("recv: got %q, want %q", r.Data, "still here")
	}
	_, e = c.Send(ctx, []byte("x"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EPIPE", 32, "BrokenPipeError", "[Errno 32] Broken pipe"})
}

func TestShutdownBoth(t *testing.T) {
	c, _ := tcpPair(t, sockets.AFInet)
	mustOK(t, "shutdown", c.Shutdown("SHUT_RDWR"))
	if in := c.Info(); !in.ShutWR || !in.ShutRD {
		t.Errorf("Info: got ShutWR %v ShutRD %v, want true true", in.ShutWR, in.ShutRD)
	}
	r, e := c.Recv(context.Background(), 10, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if len(r.Data) != 0 {
		t.Errorf("recv after SHUT_RD: got %q, want b''", r.Data)
	}
}

func TestRecvAfterPeerCloses(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	if _, e := s.SendAll(ctx, []byte("bye"), sockets.CallOptions{}); e != nil {
		t.Fatalf("sendall: %v", e)
	}
	s.Close()
	for _, want := range []string{"bye", ""} {
		r, e := c.Recv(ctx, 1024, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if string(r.Data) != want {
			t.Errorf("recv: got %q, want %q", r.Data, want)
		}
	}
}

func TestConnectRefused(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			// Bound but not listening: the kernel answers a SYN with RST.
			_, a := boundSocket(t, f, sockets.SockStream, nil)
			c := newSocket(t, f, sockets.SockStream, nil)
			_, e := c.Connect(context.Background(), a, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindOS, "ECONNREFUSED", 111, "ConnectionRefusedError", "[Errno 111] Connection refused"})
			if st := c.Info().State; st == sockets.Connecting || st == sockets.Connected {
				t.Errorf("State after refusal: got %v, want neither CONNECTING nor CONNECTED", st)
			}
		})
	}
}

func TestConnectNonBlocking(t *testing.T) {
	l, la := listener(t, sockets.AFInet)
	c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	mustOK(t, "settimeout", c.SetTimeout(dur(0)))
	_, e := c.Connect(context.Background(), la, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EINPROGRESS", 115, "BlockingIOError", "[Errno 115] Operation now in progress"})
	// The handshake goes on in the kernel; once the listener has the
	// connection, the client is connected.
	conn, peer, e := l.Accept(context.Background(), sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer conn.Close()
	local, e := c.GetSockName()
	mustOK(t, "getsockname", e)
	if peer != local {
		t.Errorf("accept peer: got %v, want %v", peer, local)
	}
	got, e := c.GetPeerName()
	mustOK(t, "getpeername", e)
	if got != la {
		t.Errorf("getpeername: got %v, want %v", got, la)
	}
	if st := c.Info().State; st != sockets.Connected {
		t.Errorf("State: got %v, want %v", st, sockets.Connected)
	}
}

// TestConnectTimeout fills a listener's accept queue (backlog 0 holds one
// connection), after which the kernel drops SYNs and a connect can only time
// out.
func TestConnectTimeout(t *testing.T) {
	l, la := boundSocket(t, sockets.AFInet, sockets.SockStream, nil)
	mustOK(t, "listen", l.Listen(0))
	var e *sockets.Error
	var c *sockets.Socket
	for i := range 8 {
		c = newSocket(t, sockets.AFInet, sockets.SockStream, nil)
		mustOK(t, "settimeout", c.SetTimeout(dur(200*time.Millisecond)))
		_, e = c.Connect(context.Background(), la, sockets.CallOptions{})
		if e != nil {
			break
		}
		if i == 7 {
			t.Fatalf("8 connects to a backlog-0 listener all succeeded, want one to time out")
		}
	}
	checkErr(t, e, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"})
	if st := c.Info().State; st != sockets.Connecting {
		t.Errorf("State after timeout: got %v, want %v", st, sockets.Connecting)
	}
}

func TestAcceptTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    wantErr
	}{
		{"non-blocking", 0, wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"}},
		{"timeout", 20 * time.Millisecond, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, la := listener(t, sockets.AFInet)
			mustOK(t, "settimeout", l.SetTimeout(dur(tt.timeout)))
			_, _, e := l.Accept(context.Background(), sockets.CallOptions{})
			checkErr(t, e, tt.want)
			// The listener is still usable.
			c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
			if _, e := c.Connect(context.Background(), la, sockets.CallOptions{}); e != nil {
				t.Fatalf("connect: %v", e)
			}
			mustOK(t, "settimeout", l.SetTimeout(nil))
			conn, _, e := l.Accept(context.Background(), sockets.CallOptions{})
			mustOK(t, "accept after timeout", e)
			conn.Close()
		})
	}
}

func TestStreamOnlyOps(t *testing.T) {
	// errno 95 is both EOPNOTSUPP and ENOTSUP on Linux; Python's
	// errno.errorcode[95] is "ENOTSUP" too.
	u, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	checkErr(t, u.Listen(1), wantErr{sockets.KindOS, "ENOTSUP", 95, "OSError", "[Errno 95] Operation not supported"})
	_, _, e := u.Accept(context.Background(), sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "ENOTSUP", 95, "OSError", "[Errno 95] Operation not supported"})

	s, _ := boundSocket(t, sockets.AFInet, sockets.SockStream, nil)
	_, _, e = s.Accept(context.Background(), sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EINVAL", 22, "OSError", "[Errno 22] Invalid argument"})
}

func TestNotConnected(t *testing.T) {
	s, _ := boundSocket(t, sockets.AFInet, sockets.SockStream, nil)
	enotconn := wantErr{sockets.KindOS, "ENOTCONN", 107, "OSError", "[Errno 107] Transport endpoint is not connected"}
	_, e := s.GetPeerName()
	checkErr(t, e, enotconn)
	checkErr(t, s.Shutdown("SHUT_WR"), enotconn)
	if e := s.Shutdown("SHUT_WR"); e == nil || e.Hint != "shutdown() needs a connected socket." {
		t.Errorf("shutdown hint: got %v, want %q", e, "shutdown() needs a connected socket.")
	}
	_, e = s.Recv(context.Background(), 10, nil, sockets.CallOptions{})
	checkErr(t, e, enotconn)
	_, e = s.Send(context.Background(), []byte("x"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EPIPE", 32, "BrokenPipeError", "[Errno 32] Broken pipe"})
}

func TestListenBacklog(t *testing.T) {
	for _, backlog := range []int{-1, 0, sockets.DefaultBacklog} {
		l, _ := boundSocket(t, sockets.AFInet, sockets.SockStream, nil)
		mustOK(t, "listen", l.Listen(backlog))
		if st := l.Info().State; st != sockets.Listening {
			t.Errorf("listen(%d): got %v, want %v", backlog, st, sockets.Listening)
		}
	}
}

// fillSendBuffer sends on c without waiting until the kernel has no more room
// (the peer is not reading), and returns how many bytes went in.
func fillSendBuffer(t *testing.T, c *sockets.Socket) int {
	t.Helper()
	mustOK(t, "settimeout", c.SetTimeout(dur(0)))
	defer func() { mustOK(t, "settimeout", c.SetTimeout(nil)) }()
	chunk := make([]byte, 64<<10)
	total := 0
	for range 10000 { // bounded: the buffers of a loopback pair hold a few MiB at most
		n, e := c.Send(context.Background(), chunk, nil, sockets.CallOptions{})
		total += n
		if e != nil {
			checkErr(t, e, wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"})
			return total
		}
	}
	t.Fatalf("sent %d bytes without the buffer filling up", total)
	return 0
}

func TestSendFullBuffer(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	queued := fillSendBuffer(t, c)
	if queued == 0 {
		t.Fatalf("nothing fit in the send buffer")
	}
	mustOK(t, "settimeout", c.SetTimeout(dur(20*time.Millisecond)))
	n, e := c.SendAll(context.Background(), make([]byte, 1<<20), sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"})
	if n >= 1<<20 {
		t.Errorf("sendall n: got %d, want less than all of it", n)
	}
	// The reader drains exactly what went in, then the stream is quiet.
	c.Close()
	got := 0
	for range 100000 {
		r, e := s.Recv(context.Background(), 1<<20, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if len(r.Data) == 0 {
			break
		}
		got += len(r.Data)
	}
	if got != queued+n {
		t.Errorf("received %d bytes, want %d (%d queued + %d from sendall)", got, queued+n, queued, n)
	}
}

// TestNonBlockingConnectStreamMap: a connect that returned EINPROGRESS
// finishes in the kernel; the connection's stream map still names the
// sender's calls, as for a blocking connect.
func TestNonBlockingConnectStreamMap(t *testing.T) {
	ctx := context.Background()
	for _, later := range []struct {
		name   string
		settle func(t *testing.T, c *sockets.Socket, la sockets.Addr)
	}{
		{"send first", func(*testing.T, *sockets.Socket, sockets.Addr) {}},
		{"connect again", func(t *testing.T, c *sockets.Socket, la sockets.Addr) {
			// Linux answers the first connect after the handshake with
			// success, and only the next one with EISCONN.
			_, e := c.Connect(ctx, la, sockets.CallOptions{})
			mustOK(t, "second connect", e)
			_, e = c.Connect(ctx, la, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindOS, "EISCONN", 106, "OSError", "[Errno 106] Transport endpoint is already connected"})
		}},
		{"state", func(t *testing.T, c *sockets.Socket, _ sockets.Addr) {
			if st := c.Info().State; st != sockets.Connected {
				t.Errorf("state after the handshake: got %s, want CONNECTED", st)
			}
		}},
	} {
		t.Run(later.name, func(t *testing.T) {
			l, la := listener(t, sockets.AFInet)
			c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
			mustOK(t, "settimeout(0)", c.SetTimeout(dur(0)))
			_, e := c.Connect(ctx, la, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindOS, "EINPROGRESS", 115, "BlockingIOError", "[Errno 115] Operation now in progress"})
			srv, _, e := l.Accept(ctx, sockets.CallOptions{}) // the handshake is done once accept returns
			mustOK(t, "accept", e)
			t.Cleanup(srv.Close)
			later.settle(t, c, la)
			mustOK(t, "settimeout(None)", c.SetTimeout(nil))
			if _, e := c.Send(ctx, []byte("hello"), nil, sockets.CallOptions{}); e != nil {
				t.Fatalf("send: %v", e)
			}
			r, e := srv.Recv(ctx, 64, nil, sockets.CallOptions{})
			mustOK(t, "recv", e)
			if len(r.Sends) != 1 || r.Sends[0].Index != 1 || r.Sends[0].End != 5 {
				t.Errorf("recv sends: got %+v, want the client's first send of 5 bytes", r.Sends)
			}
		})
	}
}
