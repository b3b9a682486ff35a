package sockets_test

import (
	"testing"

	"sockplay/sockets"
)

// TestOptionDefaults: nothing turns on an option the learner did not ask for
// (Go's net package would set SO_BROADCAST on UDP and TCP_NODELAY on TCP).
func TestOptionDefaults(t *testing.T) {
	tests := []struct {
		typ         sockets.Type
		level, name string
		want        int
	}{
		{sockets.SockDgram, "SOL_SOCKET", "SO_BROADCAST", 0},
		{sockets.SockDgram, "SOL_SOCKET", "SO_REUSEADDR", 0},
		{sockets.SockDgram, "SOL_SOCKET", "SO_REUSEPORT", 0},
		{sockets.SockStream, "SOL_SOCKET", "SO_REUSEADDR", 0},
		{sockets.SockStream, "SOL_SOCKET", "SO_KEEPALIVE", 0},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_NODELAY", 0},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_CORK", 0},
		{sockets.SockStream, "SOL_SOCKET", "SO_ERROR", 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+tt.name, func(t *testing.T) {
			s := newSocket(t, sockets.AFInet, tt.typ, nil)
			got, e := s.GetOption(tt.level, tt.name)
			mustOK(t, "getsockopt", e)
			if got != tt.want {
				t.Errorf("getsockopt(%s, %s): got %d, want %d", tt.level, tt.name, got, tt.want)
			}
			if n := len(s.Info().Options); n != 0 {
				t.Errorf("Info().Options: got %v, want none set", s.Info().Options)
			}
		})
	}
}

func TestSetOption(t *testing.T) {
	tests := []struct {
		typ         sockets.Type
		level, name string
		value, want int
	}{
		{sockets.SockDgram, "SOL_SOCKET", "SO_REUSEADDR", 1, 1},
		{sockets.SockStream, "SOL_SOCKET", "SO_REUSEADDR", 1, 1},
		{sockets.SockDgram, "SOL_SOCKET", "SO_REUSEPORT", 1, 1},
		{sockets.SockDgram, "SOL_SOCKET", "SO_BROADCAST", 1, 1},
		{sockets.SockStream, "SOL_SOCKET", "SO_KEEPALIVE", 1, 1},
		{sockets.SockDgram, "SOL_SOCKET", "SO_RCVBUF", 4096, 8192}, // the kernel doubles it
		{sockets.SockStream, "SOL_SOCKET", "SO_RCVBUF", 4096, 8192},
		{sockets.SockDgram, "SOL_SOCKET", "SO_SNDBUF", 8192, 16384},
		{sockets.SockStream, "SOL_SOCKET", "SO_SNDBUF", 8192, 16384},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_NODELAY", 1, 1},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_CORK", 1, 1},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_QUICKACK", 0, 0},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_QUICKACK", 1, 1},
		{sockets.SockStream, "IPPROTO_TCP", "TCP_MAXSEG", 1000, 1000},
		{sockets.SockDgram, "SOL_SOCKET", "SO_BROADCAST", 0, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+tt.name, func(t *testing.T) {
			s := newSocket(t, sockets.AFInet, tt.typ, nil)
			got, e := s.SetOption(tt.level, tt.name, tt.value)
			mustOK(t, "setsockopt", e)
			if got != tt.want {
				t.Errorf("setsockopt(%s, %s, %d): got %d, want %d", tt.level, tt.name, tt.value, got, tt.want)
			}
			got, e = s.GetOption(tt.level, tt.name)
			mustOK(t, "getsockopt", e)
			if got != tt.want {
				t.Errorf("getsockopt(%s, %s): got %d, want %d", tt.level, tt.name, got, tt.want)
			}
			if v, ok := s.Info().Options[tt.name]; !ok || v != tt.want {
				t.Errorf("Info().Options[%s]: got %d (present %v), want %d", tt.name, v, ok, tt.want)
			}
		})
	}
}

func TestIPv6Only(t *testing.T) {
	s := newSocket(t, sockets.AFInet6, sockets.SockDgram, nil)
	got, e := s.SetOption("IPPROTO_IPV6", "IPV6_V6ONLY", 1)
	mustOK(t, "setsockopt", e)
	if got != 1 {
		t.Errorf("IPV6_V6ONLY: got %d, want 1", got)
	}
	// A v4-mapped address is then out of reach (Linux says EINVAL).
	_, e = s.Bind(sockets.Addr{Host: "::ffff:127.0.0.1"})
	checkErr(t, e, wantErr{sockets.KindOS, "EINVAL", 22, "OSError", "[Errno 22] Invalid argument"})

	// Without it, an AF_INET6 socket reaches IPv4 through v4-mapped addresses.
	m := newSocket(t, sockets.AFInet6, sockets.SockDgram, nil)
	a, e := m.Bind(sockets.Addr{Host: "::ffff:127.0.0.1"})
	mustOK(t, "bind v4-mapped", e)
	if a.Host != "::ffff:127.0.0.1" || a.Port == 0 {
		t.Errorf("bind: got %v, want ('::ffff:127.0.0.1', free port)", a)
	}
}

func TestReusePort(t *testing.T) {
	a := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	for _, s := range []*sockets.Socket{a, b} {
		if _, e := s.SetOption("SOL_SOCKET", "SO_REUSEPORT", 1); e != nil {
			t.Fatalf("SO_REUSEPORT: %v", e)
		}
	}
	aa, e := a.Bind(sockets.Addr{Host: "127.0.0.1"})
	mustOK(t, "first bind", e)
	ba, e := b.Bind(aa)
	mustOK(t, "second bind with SO_REUSEPORT", e)
	if ba != aa {
		t.Errorf("second bind: got %v, want %v", ba, aa)
	}
	// A third socket without the option is refused.
	c := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, e = c.Bind(aa)
	checkErr(t, e, wantErr{sockets.KindOS, "EADDRINUSE", 98, "OSError", "[Errno 98] Address already in use"})
}

// TestSetOptionBytes: a bytes value goes to the kernel as Python passes
// it: a one-byte IP_MULTICAST_TTL is read back as an int; a membership
// takes bytes only, is checked by the kernel (EINVAL for a short struct)
// and cannot be read back.
func TestSetOptionBytes(t *testing.T) {
	s := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	v, ok, e := s.SetOptionBytes("IPPROTO_IP", "IP_MULTICAST_TTL", []byte{5})
	mustOK(t, "setsockopt", e)
	if !ok || v != 5 {
		t.Errorf("IP_MULTICAST_TTL from one byte: got %d (%v), want 5", v, ok)
	}
	if got := s.Info().Options["IP_MULTICAST_TTL"]; got != 5 {
		t.Errorf("Info().Options[IP_MULTICAST_TTL]: got %d, want 5", got)
	}
	if _, _, e := s.SetOptionBytes("IPPROTO_IP", "IP_ADD_MEMBERSHIP", []byte{224, 1, 1, 1}); e == nil || e.Errno != "EINVAL" {
		t.Errorf("IP_ADD_MEMBERSHIP with 4 bytes: got %v, want EINVAL", e)
	}
	if _, e := s.SetOption("IPPROTO_IP", "IP_ADD_MEMBERSHIP", 1); e == nil || e.Exception != "TypeError" {
		t.Errorf("IP_ADD_MEMBERSHIP with an int: got %v, want TypeError", e)
	}
	if _, e := s.GetOption("IPPROTO_IP", "IP_ADD_MEMBERSHIP"); e == nil || e.Errno != "ENOPROTOOPT" {
		t.Errorf("getsockopt IP_ADD_MEMBERSHIP: got %v, want ENOPROTOOPT", e)
	}
	if _, _, e := s.SetOptionBytes("IPPROTO_IP", "IP_TTL", make([]byte, sockets.MaxOptionBytes+1)); e == nil || e.Kind != sockets.KindBadRequest {
		t.Errorf("a 65-byte value: got %v, want bad_request", e)
	}
}

// TestGetOptionBytes: getsockopt with a buflen gives the kernel's bytes:
// an int option's 4 (cut to buflen), TCP_INFO's struct tcp_info whose
// first byte is the connection's state; a buflen out of 1–1024, a
// membership and TCP_INFO on UDP are errors.
func TestGetOptionBytes(t *testing.T) {
	client, server := tcpPair(t, sockets.AFInet)
	mustOK(t, "setsockopt", func() *sockets.Error { _, e := client.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); return e }())
	for _, tt := range []struct {
		s         *sockets.Socket
		name      string
		buflen    int
		wantLen   int
		wantFirst byte
	}{
		{client, "TCP_NODELAY", 8, 4, 1},
		{client, "TCP_NODELAY", 2, 2, 1},
		{server, "TCP_NODELAY", 4, 4, 0},
		{server, "TCP_INFO", 1, 1, 1}, // TCP_ESTABLISHED
	} {
		b, e := tt.s.GetOptionBytes("IPPROTO_TCP", tt.name, tt.buflen)
		mustOK(t, "getsockopt", e)
		if len(b) != tt.wantLen || b[0] != tt.wantFirst {
			t.Errorf("getsockopt(IPPROTO_TCP, %s, %d) = %x, want %d bytes starting %d", tt.name, tt.buflen, b, tt.wantLen, tt.wantFirst)
		}
	}
	if b, e := server.GetOptionBytes("IPPROTO_TCP", "TCP_INFO", 1024); e != nil || len(b) < 100 || len(b) > 1024 {
		t.Errorf("TCP_INFO with buflen 1024: %d bytes, %v; want all of struct tcp_info", len(b), e)
	}
	for _, n := range []int{0, -1, 1025} {
		if _, e := server.GetOptionBytes("IPPROTO_TCP", "TCP_INFO", n); e == nil || e.Message != "getsockopt buflen out of range" {
			t.Errorf("buflen %d: %v, want getsockopt buflen out of range", n, e)
		}
	}
	u := newSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	if _, e := u.GetOptionBytes("IPPROTO_TCP", "TCP_INFO", 8); e == nil || e.Message != "[Errno 95] Operation not supported" {
		t.Errorf("TCP_INFO on UDP: %v, want EOPNOTSUPP", e)
	}
	if _, e := u.GetOptionBytes("IPPROTO_IP", "IP_ADD_MEMBERSHIP", 8); e == nil || e.Errno != "ENOPROTOOPT" {
		t.Errorf("IP_ADD_MEMBERSHIP: %v, want ENOPROTOOPT", e)
	}
}
