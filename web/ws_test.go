package web_test

import (
	"testing"

	"sockplay/sessions"
)

func TestUDPRoundTrip(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	addr := c.bind(rx, "127.0.0.1", 0)
	if port := int(addr[1].(float64)); port == 0 {
		t.Fatalf("bind to port 0 reported port 0")
	}
	c.must("sendto", map[string]any{"sock": tx, "data": text("01234567890123456789"), "addr": addr})
	r := c.must("recvfrom", map[string]any{"sock": rx, "bufsize": 8})
	if got, want := r.dataHex(), "3031323334353637"; got != want {
		t.Errorf("data %s, want %s", got, want)
	}
	if r["truncated"] != true || r.num("size") != 20 {
		t.Errorf("truncated %v size %v, want true 20", r["truncated"], r["size"])
	}
	t.Log(r)
}
