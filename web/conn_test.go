package web_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// TestOrigin: a browser page from another site may not open the WebSocket
// (it would drive the learner's sockets); the same site and scripts may.
func TestOrigin(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		name   string
		origin string // "" sends no Origin header
		status int    // 0: the upgrade succeeds
	}{
		{"other site", "http://evil.example", http.StatusForbidden},
		{"same host, other port", "http://127.0.0.1:1", http.StatusForbidden},
		{"opaque origin", "null", http.StatusForbidden},
		{"same origin", "http://" + host, 0},
		{"no origin", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := srv.dialHeader(t, h)
			if tc.status != 0 {
				if err == nil {
					t.Fatalf("upgrade with Origin %q succeeded, want HTTP %d", tc.origin, tc.status)
				}
				if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != tc.status {
					t.Fatalf("dial error %v, response %v; want a bad handshake with HTTP %d", err, resp, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial with Origin %q: %v", tc.origin, err)
			}
			if r := c.must("socket", obj{"type": "SOCK_DGRAM"}); r.str("sock") == "" {
				t.Errorf("socket result %v, want a handle", r)
			}
		})
	}
}

// TestServerShutdown: closing the Manager says bye to every page, closes the
// WebSocket with 1001 (going away) and closes the session's real sockets.
func TestServerShutdown(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	l, u := c.socket("SOCK_STREAM"), c.socket("SOCK_DGRAM")
	laddr := c.bind(l, "127.0.0.1", 0)
	c.must("listen", obj{"sock": l})
	uaddr := c.bind(u, "127.0.0.1", 0)
	recv := c.send("recvfrom", obj{"sock": u, "bufsize": 10})
	c.wait("waiting", recv)

	// Before: the listener is there.
	tcpAddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port(laddr)}
	if k, err := net.DialTCP("tcp4", nil, tcpAddr); err != nil {
		t.Fatalf("connect to the page's listener before shutdown: %v", err)
	} else {
		k.Close()
	}

	srv.manager.Close()
	code, ms := c.closed()
	if code != websocket.CloseGoingAway {
		t.Errorf("close status %d, want %d (going away)", code, websocket.CloseGoingAway)
	}
	if n := len(ms); n == 0 || ms[n-1].str("kind") != "bye" || ms[n-1].str("reason") != "server shutting down" {
		t.Fatalf("messages before the close %v, want the last to be a bye with reason \"server shutting down\"", ms)
	}
	for _, m := range ms {
		if m.str("kind") == "result" {
			t.Errorf("result after shutdown began: %v (the waiting recvfrom must not report)", m)
		}
	}

	// After: the listener's port refuses, and the UDP port is free again.
	if k, err := net.DialTCP("tcp4", nil, tcpAddr); !errors.Is(err, syscall.ECONNREFUSED) {
		if k != nil {
			k.Close()
		}
		t.Errorf("connect to the former listener: %v, want connection refused", err)
	}
	if p, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port(uaddr)}); err != nil {
		t.Errorf("bind the page's former UDP address %v: %v, want it free", uaddr, err)
	} else {
		p.Close()
	}
	// A new connection is turned away.
	if _, resp, err := srv.dialHeader(t, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %v, want HTTP 503", err)
	}
}
