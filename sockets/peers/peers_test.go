package peers_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sockplay/sockets"
	"sockplay/sockets/peers"
)

// TestPeerNames: the peers FORMAT.md lists, and no others.
func TestPeerNames(t *testing.T) {
	want := []string{"broadcaster", "burst-sender", "file-server", "framed-server", "ipmsg-listener",
		"slow-reader", "tcp-echo", "threaded-tcp-server", "udp-chat", "udp-echo"}
	if got := peers.Names(); !slices.Equal(got, want) {
		t.Errorf("Names: got %v, want %v", got, want)
	}
}

// TestPeerStartErrors: an unknown name or a bad option is bad_request with a
// message that says what would do; an address the policy refuses is policy.
func TestPeerStartErrors(t *testing.T) {
	tests := []struct {
		name string
		peer string
		addr sockets.Addr
		opts map[string]any
		kind sockets.Kind
		msg  string
	}{
		{"unknown peer", "echo", loopback, nil, sockets.KindBadRequest,
			`there is no built-in peer "echo"; the peers are broadcaster, burst-sender, file-server, framed-server, ipmsg-listener, slow-reader, tcp-echo, threaded-tcp-server, udp-chat, udp-echo`},
		{"option of a peer without options", "udp-echo", loopback, map[string]any{"port": 1}, sockets.KindBadRequest,
			`udp-echo takes no options, so "port" is not one`},
		{"unknown option", "burst-sender", loopback, map[string]any{"counts": 1}, sockets.KindBadRequest,
			`burst-sender has no option "counts"; its options are count, size, message`},
		{"count 0", "burst-sender", loopback, map[string]any{"count": 0.0}, sockets.KindBadRequest,
			`burst-sender: option count must be a whole number from 1 to 1000, not 0`},
		{"count as a string", "burst-sender", loopback, map[string]any{"count": "3"}, sockets.KindBadRequest,
			`burst-sender: option count must be a whole number from 1 to 1000, not "3"`},
		{"size and message", "burst-sender", loopback, map[string]any{"size": 3, "message": "hi"}, sockets.KindBadRequest,
			`burst-sender: give size or message, not both`},
		{"burst too big", "burst-sender", loopback, map[string]any{"size": 65536, "count": 100}, sockets.KindBadRequest,
			`burst-sender: count × size is 6553600 bytes; at most 1048576 are sent on one connection`},
		{"fraction", "slow-reader", loopback, map[string]any{"delay_ms": 1.5}, sockets.KindBadRequest,
			`slow-reader: option delay_ms must be a whole number from 10 to 60000, not 1.5`},
		{"broadcaster without port", "broadcaster", loopback, nil, sockets.KindBadRequest,
			`broadcaster: option port is required: the port the receivers are bound to`},
		{"broadcaster over IPv6", "broadcaster", sockets.Addr{Host: "::1"}, map[string]any{"port": 9000}, sockets.KindBadRequest,
			`broadcaster: IPv6 has no broadcast; bind it to an IPv4 address such as ["127.0.0.1", 0]`},
		{"chat message without to", "udp-chat", loopback, map[string]any{"message": "hi"}, sockets.KindBadRequest,
			`udp-chat: message, interval_ms and count are for the messages sent to option to, which is missing`},
		{"chat to a string", "udp-chat", loopback, map[string]any{"to": "127.0.0.1:9000"}, sockets.KindBadRequest,
			`udp-chat: option to must be an address [host, port] such as ["127.0.0.1", 9000], not "127.0.0.1:9000"`},
		{"chat interval too short", "udp-chat", loopback, map[string]any{"to": []any{"127.0.0.1", 9000.0}, "interval_ms": 10}, sockets.KindBadRequest,
			`udp-chat: option interval_ms must be a whole number from 100 to 60000, not 10`},
		{"negative drop_after", "file-server", loopback, map[string]any{"drop_after": -1}, sockets.KindBadRequest,
			`file-server: option drop_after must be a whole number from 0 to 8388608, not -1`},
		{"threaded mode unknown", "threaded-tcp-server", loopback, map[string]any{"mode": "lines"}, sockets.KindBadRequest,
			`threaded-tcp-server: option mode must be "chunk" or "line", not "lines"`},
		{"bind elsewhere", "udp-echo", sockets.Addr{Host: "10.0.0.1", Port: 9000}, nil, sockets.KindPolicy, ""},
		{"listen elsewhere", "tcp-echo", sockets.Addr{Host: "10.0.0.1", Port: 9000}, nil, sockets.KindPolicy, ""},
		{"chat to elsewhere", "udp-chat", loopback, map[string]any{"to": []any{"10.0.0.1", 9000}}, sockets.KindPolicy, ""},
		{"wildcard refused by the policy", "ipmsg-listener", sockets.Addr{Host: ""}, nil, sockets.KindPolicy, ""},
		{"privileged port", "tcp-echo", sockets.Addr{Host: "127.0.0.1", Port: 80}, nil, sockets.KindPolicy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			p, e := peers.Start(context.Background(), tt.peer, tt.addr, tt.opts, nil, rec.report)
			if e == nil {
				p.Stop()
				t.Fatalf("Start: got no error, want %s", tt.kind)
			}
			if e.Kind != tt.kind {
				t.Errorf("Kind: got %s (%v), want %s", e.Kind, e, tt.kind)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("Message:\n got %s\nwant %s", e.Message, tt.msg)
			}
			if n := len(rec.all()); n != 0 {
				t.Errorf("a peer that did not start reported %d events", n)
			}
		})
	}
}

// TestPeerStartAddrInUse: a second peer on a taken port fails as bind() does.
func TestPeerStartAddrInUse(t *testing.T) {
	p, _ := start(t, "tcp-echo", loopback, nil, nil)
	_, e := peers.Start(context.Background(), "framed-server", p.Addr(), nil, nil, nil)
	if e == nil || e.Errno != "EADDRINUSE" {
		t.Errorf("second listener on %v: got %v, want EADDRINUSE", p.Addr(), e)
	}
}

// TestPeerStop: Stop closes every socket the peer opened (its listener and its
// connections), ends its goroutines, reports "stopped" last, and can be
// called again.
func TestPeerStop(t *testing.T) {
	ctx := timeout(t)
	for _, name := range []string{"tcp-echo", "burst-sender", "slow-reader", "threaded-tcp-server", "framed-server", "file-server"} {
		t.Run(name, func(t *testing.T) {
			p, rec := start(t, name, loopback, nil, nil)
			c := dial(t, ctx, p.Addr())
			rec.wait(1, what("accepted"))
			stop(p, rec)
			p.Stop()

			all := rec.all()
			last := all[len(all)-1]
			if last.What != "stopped" || last.Note != name+" stopped; it closed its 2 open sockets." {
				t.Errorf("last event: %q %q, want stopped, closing 2 sockets", last.What, last.Note)
			}
			for _, ev := range all {
				if ev.What == "error" {
					t.Errorf("error event while stopping: %s", ev.Note)
				}
			}
			// The connection was closed by the peer: the client reads the end
			// of the stream (after whatever was sent before).
			for {
				r, e := c.Recv(ctx, 65536, nil, sockets.CallOptions{})
				if e != nil {
					if e.Errno != "ECONNRESET" {
						t.Errorf("recv on the connection: %v, want b'' or ECONNRESET", e)
					}
					break
				}
				if len(r.Data) == 0 {
					break
				}
			}
			s := newSocket(t, sockets.SockStream, nil)
			if _, e := s.Connect(ctx, p.Addr(), sockets.CallOptions{}); e == nil || e.Errno != "ECONNREFUSED" {
				t.Errorf("connect after Stop: got %v, want ECONNREFUSED", e)
			}
		})
	}
}

// TestPeerStopUDP: after Stop the port of a UDP peer is free again.
func TestPeerStopUDP(t *testing.T) {
	for _, name := range []string{"udp-echo", "udp-chat", "ipmsg-listener"} {
		t.Run(name, func(t *testing.T) {
			p, rec := start(t, name, loopback, nil, nil)
			rec.wait(1, what("listening"))
			stop(p, rec)
			s := newSocket(t, sockets.SockDgram, nil)
			if _, e := s.Bind(p.Addr()); e != nil {
				t.Errorf("bind %v after Stop: %v", p.Addr(), e)
			}
		})
	}
}

// TestPeerContextCancel: cancelling Start's context ends the peer too; Stop
// then returns at once and says so.
func TestPeerContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := newRecorder(t)
	p, e := peers.Start(ctx, "tcp-echo", loopback, nil, nil, rec.report)
	mustOK(t, "Start", e)
	rec.wait(1, what("listening"))
	cancel()
	cctx := timeout(t)
	for {
		s := newSocket(t, sockets.SockStream, nil)
		_, e := s.Connect(cctx, p.Addr(), sockets.CallOptions{})
		s.Close()
		if e != nil && e.Errno == "ECONNREFUSED" {
			break
		}
		if cctx.Err() != nil {
			t.Fatalf("the listener is still open after the context was cancelled (%v)", e)
		}
		pause()
	}
	stop(p, rec)
	if all := rec.all(); all[len(all)-1].What != "stopped" {
		t.Errorf("last event %q, want stopped", all[len(all)-1].What)
	}
}

// TestPeerEventData: an event carries at most MaxEventData bytes, and the real
// size.
func TestPeerEventData(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "udp-echo", loopback, nil, nil)
	s, _ := udpSocket(t)
	big := []byte(strings.Repeat("x", 1000))
	_, _, e := s.SendTo(ctx, big, p.Addr(), sockets.CallOptions{})
	mustOK(t, "sendto", e)
	ev := rec.wait(1, what("recv"))[0]
	if len(ev.Data) != peers.MaxEventData || ev.Size != 1000 {
		t.Errorf("event data: %d bytes shown, size %d; want %d shown, size 1000", len(ev.Data), ev.Size, peers.MaxEventData)
	}
}
