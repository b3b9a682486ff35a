package sockets_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"sockplay/sockets"
)

// NewIn makes its descriptor with the opener it is given, asking for a
// non-blocking, close-on-exec socket of the family and type, and reports
// the opener's failure as Python would.
func TestNewIn(t *testing.T) {
	var calls [][3]int
	opener := func(domain, typ, proto int) (int, error) {
		calls = append(calls, [3]int{domain, typ, proto})
		return unix.Socket(domain, typ, proto)
	}
	s, e := sockets.NewIn(sockets.AFInet6, sockets.SockDgram, nil, opener)
	if e != nil {
		t.Fatal(e)
	}
	defer s.Close()
	want := [3]int{unix.AF_INET6, unix.SOCK_DGRAM | unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC, 0}
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("opener called with %v, want once with %v", calls, want)
	}
	if a, e := s.Bind(sockets.Addr{Host: "::1"}); e != nil || a.Port == 0 {
		t.Errorf("bind on the opened socket: %v %v", a, e)
	}

	failing := func(int, int, int) (int, error) { return -1, unix.EMFILE }
	if _, e := sockets.NewIn(sockets.AFInet, sockets.SockStream, nil, failing); e == nil || e.Errno != "EMFILE" {
		t.Errorf("a failing opener: %v, want EMFILE", e)
	}
}
