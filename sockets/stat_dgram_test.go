package sockets

import (
	"context"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// askedStat is a datagram socket's kernel state asked the long way, one
// system call a figure, as Stat asked it before readDgram.
func askedStat(t *testing.T, s *Socket) Stat {
	t.Helper()
	var st Stat
	e := s.control("stat", func(fd int) error {
		var err error
		if st.InQ, err = unix.IoctlGetInt(fd, unix.SIOCINQ); err != nil {
			return err
		}
		if st.OutQ, err = unix.IoctlGetInt(fd, unix.SIOCOUTQ); err != nil {
			return err
		}
		st.State = "UNCONN"
		if _, err := syscall.Getpeername(fd); err == nil {
			st.State = "ESTABLISHED"
		}
		return nil
	})
	if e != nil {
		t.Fatalf("asking the kernel: %v", e)
	}
	return st
}

// TestStatDgramAsAsked: Stat's datagram state, read from SO_MEMINFO and a
// kept peer (readDgram), is what SIOCINQ, SIOCOUTQ and getpeername say, in
// every state a socket goes through: fresh, bound, with datagrams of
// different sizes queued, partly and wholly read, connected, connected
// elsewhere, after a refused connect; over IPv4 and IPv6.
func TestStatDgramAsAsked(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		family Family
		host   string
	}{{AFInet, "127.0.0.1"}, {AFInet6, "::1"}} {
		t.Run(string(c.family), func(t *testing.T) {
			open := func() *Socket {
				s, e := New(c.family, SockDgram, &Policy{})
				if e != nil {
					t.Fatal(e)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			a, b, other := open(), open(), open()
			same := func(what string, s *Socket) Stat {
				t.Helper()
				got, e := s.Stat()
				if e != nil {
					t.Fatalf("%s: stat: %v", what, e)
				}
				if want := askedStat(t, s); got != want {
					t.Fatalf("%s: Stat says %+v, the kernel %+v", what, got, want)
				}
				return got
			}
			same("fresh", b)
			aa, e := a.Bind(Addr{Host: c.host})
			if e != nil {
				t.Fatal(e)
			}
			ba, e := b.Bind(Addr{Host: c.host})
			if e != nil {
				t.Fatal(e)
			}
			oa, e := other.Bind(Addr{Host: c.host})
			if e != nil {
				t.Fatal(e)
			}
			same("bound", b)
			for _, p := range []string{"abc", "defgh", "ij"} {
				if _, _, e := a.SendTo(ctx, []byte(p), ba, CallOptions{}); e != nil {
					t.Fatalf("sendto: %v", e)
				}
				same("after sendto "+p+" (sender)", a)
			}
			// Loopback delivers in the sendto: the queue holds all three.
			if st := same("three queued", b); st.InQ != 3 {
				t.Fatalf("three queued: InQ %d, want 3 (the first datagram's size)", st.InQ)
			}
			for _, want := range []int{5, 2, 0} {
				if _, e := b.RecvFrom(ctx, 64, nil, CallOptions{}); e != nil {
					t.Fatalf("recvfrom: %v", e)
				}
				if st := same("after a recvfrom", b); st.InQ != want {
					t.Fatalf("after a recvfrom: InQ %d, want %d", st.InQ, want)
				}
			}
			if _, e := b.Connect(ctx, aa, CallOptions{}); e != nil {
				t.Fatalf("connect: %v", e)
			}
			if st := same("connected", b); st.State != "ESTABLISHED" {
				t.Fatalf("connected: state %q", st.State)
			}
			if _, e := b.Connect(ctx, oa, CallOptions{}); e != nil {
				t.Fatalf("connect elsewhere: %v", e)
			}
			same("connected elsewhere", b)
			// The playground's policy refuses it before any system call.
			if _, e := a.Connect(ctx, Addr{Host: "192.0.2.1", Port: 9}, CallOptions{}); e == nil {
				t.Fatal("a connect beyond loopback was made")
			}
			if st := same("after a refused connect", a); st.State != "UNCONN" {
				t.Fatalf("after a refused connect: state %q", st.State)
			}
			if _, _, e := other.SendTo(ctx, []byte("x"), ba, CallOptions{}); e != nil {
				t.Fatalf("sendto: %v", e)
			}
			// b, connected to other, takes other's datagram.
			if st := same("connected, one queued", b); st.InQ != 1 {
				t.Fatalf("connected, one queued: InQ %d, want 1", st.InQ)
			}
		})
	}
}

// BenchmarkStatDgram is one stat poll of an idle bound UDP socket, what a
// followed socket costs four times a second.
func BenchmarkStatDgram(b *testing.B) {
	s, e := New(AFInet, SockDgram, &Policy{})
	if e != nil {
		b.Fatal(e)
	}
	defer s.Close()
	if _, e := s.Bind(Addr{Host: "127.0.0.1"}); e != nil {
		b.Fatal(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, e := s.Stat(); e != nil {
			b.Fatal(e)
		}
	}
}
