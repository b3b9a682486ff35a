package web_test

import (
	"testing"
	"time"

	"sockplay/sessions"
)

func TestZZProbe(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: 20 * time.Millisecond})
	c := srv.dial(t)
	cl, conn := c.tcpPair()
	r := c.do("send_frame", map[string]any{"sock": cl, "framing": map[string]any{"kind": "length", "format": "!I"}, "data": text("hello")})
	t.Logf("send_frame: %v", r)
	_ = conn
	u := c.socket("SOCK_DGRAM")
	addr := c.bind(u, "127.0.0.1", 0)
	u2 := c.socket("SOCK_DGRAM")
	c.must("sendto", map[string]any{"sock": u2, "data": text("abc"), "addr": addr})
	c.must("sendto", map[string]any{"sock": u2, "data": text("defgh"), "addr": addr})
	time.Sleep(100 * time.Millisecond)
	st := c.must("stat", map[string]any{"sock": u})
	t.Logf("udp stat: inq %v peek %v", st["inq"], st["peek"])
	c.send("recv", map[string]any{"sock": conn, "bufsize": 4})
	for {
		m := c.next()
		if m.str("kind") == "stat" {
			continue
		}
		t.Logf("%v", m)
		if m.str("kind") == "result" && m.str("op") == "recv" {
			break
		}
	}
}
