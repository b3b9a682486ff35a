package sessions

import (
	"context"
	"errors"
	"testing"
	"time"

	"sockplay/sockets"
)

// A room LAN made by NetnsRooms carries a private session's broadcast to
// 10.78.0.255 and to '<broadcast>' — which the private policy allows — to
// another member's ("", P) socket; a namespace that is not a netns one is
// refused with a sentence.
func TestNetnsRooms(t *testing.T) {
	h := helperOrSkip(t)
	lan, err := NetnsRooms(h).NewLAN()
	if err != nil {
		t.Fatal(err)
	}
	defer lan.Close()
	policy := privatePolicy(&sockets.Policy{})
	var socks []*sockets.Socket
	for n := 1; n <= 2; n++ {
		ns, err := h.New()
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		if err := lan.Join(ns, n); err != nil {
			t.Fatal(err)
		}
		s, e := sockets.NewIn(sockets.AFInet, sockets.SockDgram, policy, ns.Socket)
		if e != nil {
			t.Fatal(e)
		}
		defer s.Close()
		if _, e := s.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil {
			t.Fatal(e)
		}
		if _, e := s.Bind(sockets.Addr{Host: "", Port: 9500}); e != nil {
			t.Fatal(e)
		}
		socks = append(socks, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, to := range []string{"10.78.0.255", "<broadcast>", "10.78.0.2"} {
		if _, _, e := socks[0].SendTo(ctx, []byte(to), sockets.Addr{Host: to, Port: 9500}, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendto %s: %v", to, e)
		}
		r, e := socks[1].RecvFrom(ctx, 100, nil, sockets.CallOptions{})
		if e != nil {
			t.Fatal(e)
		}
		if string(r.Data) != to || r.From.Host != "10.78.0.1" {
			t.Errorf("host 2 got %q from %v, want %q from 10.78.0.1", r.Data, r.From, to)
		}
	}
	if _, _, e := socks[0].SendTo(ctx, []byte("x"), sockets.Addr{Host: "10.79.0.1", Port: 9500}, sockets.CallOptions{}); e == nil || e.Kind != sockets.KindPolicy {
		t.Errorf("sendto 10.79.0.1: %v, want a policy refusal", e)
	}

	n := &namespaces{h: h}
	other, err := n.make() // a wrapper, not a *netns.Namespace
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := lan.Join(other, 3); !errors.Is(err, errNotNetns) {
		t.Errorf("joining a namespace of another kind: %v, want %v", err, errNotNetns)
	}
}
