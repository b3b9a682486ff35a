package web_test

import (
	"reflect"
	"testing"

	"sockplay/sessions"
)

// TestReset: reset closes every socket of the page (a waiting call on one
// ends with an error) and stops every peer; their ports are free again,
// the log is kept, and the session goes on.
func TestReset(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	u := c.socket("SOCK_DGRAM")
	c.bind(u, "127.0.0.1", 0)
	waiting := c.send("recvfrom", obj{"sock": u, "bufsize": 64})
	if m := c.waitingOrResult(waiting); m.str("kind") != "waiting" {
		t.Fatalf("recvfrom on a quiet socket: %v, want waiting", m)
	}
	l := c.socket("SOCK_STREAM")
	la := c.bind(l, "127.0.0.1", 0)
	c.must("listen", obj{"sock": l, "backlog": 1})
	k := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": k, "addr": la})
	c.must("close", obj{"sock": k}) // already closed: not closed again
	k2 := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": k2, "addr": la})
	udpPeer := c.must("spawn", obj{"peer": "udp-echo", "addr": []any{"127.0.0.1", 0}}).addr("addr")
	tcpPeer := c.must("spawn", obj{"peer": "tcp-echo", "addr": []any{"127.0.0.1", 0}}).addr("addr")

	id := c.send("reset", obj{})
	ms := c.until("result", id)
	r := ms[len(ms)-1]
	if !r.ok() {
		t.Fatalf("reset: %v", r["error"])
	}
	if want := []any{u, l, k2}; !reflect.DeepEqual(r["sockets"], want) {
		t.Errorf("reset closed sockets %v, want %v", r["sockets"], want)
	}
	if want := []any{"p1", "p2"}; !reflect.DeepEqual(r["peers"], want) {
		t.Errorf("reset stopped peers %v, want %v", r["peers"], want)
	}
	for _, p := range []string{"p1", "p2"} {
		if len(c.find(func(m msg) bool { return m.str("kind") == "peer" && m.str("peer") == p && m.str("event") == "stopped" })) == 0 {
			t.Errorf("no stopped message from %s before reset's result", p)
		}
	}
	for _, h := range []string{u, l, k, k2} {
		if st := c.states(h); len(st) == 0 || st[len(st)-1] != "CLOSED" {
			t.Errorf("socket %s: states %v, want it closed", h, st)
		}
	}
	isWaiting := func(m msg) bool { return m.str("kind") == "result" && m["id"] != nil && m.num("id") == waiting }
	got := c.find(isWaiting)
	if len(got) == 0 {
		got = []msg{c.results(waiting)[waiting]}
	}
	if got[0].ok() || got[0].obj("error").str("errno") != "EBADF" {
		t.Errorf("the recvfrom waiting on a socket reset closed: %v, want EBADF", got[0])
	}

	// The log is kept, the peers' ports are free, and the session goes on.
	if len(findIn(c.resume(0), func(m msg) bool { return m.str("op") == "spawn" && m.ok() })) != 2 {
		t.Errorf("the log after reset does not hold the two spawn results")
	}
	c.bind(c.socket("SOCK_DGRAM"), "127.0.0.1", port(udpPeer))
	c.bind(c.socket("SOCK_STREAM"), "127.0.0.1", port(tcpPeer))
	again := c.must("reset", obj{})
	if len(again.addr("sockets")) != 2 || len(again.addr("peers")) != 0 {
		t.Errorf("second reset: %v, want the two new sockets and no peers", again)
	}
}

// findIn returns the messages of ms that match.
func findIn(ms []msg, match func(msg) bool) []msg {
	var out []msg
	for _, m := range ms {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}
