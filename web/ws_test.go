package web_test

import (
	"reflect"
	"testing"

	"sockplay/sessions"
)

// TestUDPRoundTrip sends datagrams between two sockets of one session: the
// receiver sees the sender's bound address, and a datagram longer than
// bufsize is reported truncated with its real size.
func TestUDPRoundTrip(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	addr := c.bind(rx, "127.0.0.1", 0)
	if port := port(addr); port <= 0 || addr[0] != "127.0.0.1" {
		t.Fatalf("bind to ('127.0.0.1', 0) reported %v, want 127.0.0.1 and a real port", addr)
	}
	if got := c.must("getsockname", obj{"sock": rx}).addr("addr"); !reflect.DeepEqual(got, addr) {
		t.Errorf("getsockname %v, want the bound address %v", got, addr)
	}
	from := c.bind(tx, "127.0.0.1", 0)

	r := c.must("sendto", obj{"sock": tx, "data": text("hello"), "addr": addr})
	if r.num("n") != 5 || !reflect.DeepEqual(r.addr("addr"), from) || r.str("sock") != tx {
		t.Errorf("sendto result n %v addr %v sock %q, want 5 %v %q", r["n"], r["addr"], r.str("sock"), from, tx)
	}
	r = c.must("recvfrom", obj{"sock": rx, "bufsize": 1024})
	checkData(t, r, obj{"size": 5, "hex": "68656c6c6f", "text": "hello", "encoding": "utf-8"})
	if !reflect.DeepEqual(r.addr("addr"), from) {
		t.Errorf("recvfrom addr %v, want the sender's bound address %v", r.addr("addr"), from)
	}
	if r["truncated"] != false || r.num("size") != 5 || r.str("sock") != rx {
		t.Errorf("truncated %v size %v sock %q, want false 5 %q", r["truncated"], r["size"], r.str("sock"), rx)
	}

	c.must("sendto", obj{"sock": tx, "data": text("01234567890123456789"), "addr": addr})
	r = c.must("recvfrom", obj{"sock": rx, "bufsize": 8})
	checkData(t, r, obj{"size": 8, "hex": "3031323334353637", "text": "01234567", "encoding": "utf-8"})
	if r["truncated"] != true || r.num("size") != 20 {
		t.Errorf("truncated %v size %v, want true 20", r["truncated"], r["size"])
	}
}

// A frame may carry an array of requests; they are handled in order.
func TestBatchedRequests(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	c.raw(`[{"id":1,"op":"socket","type":"SOCK_DGRAM"},{"id":2,"op":"bind","sock":"s1","addr":["127.0.0.1",0]},{"id":3,"op":"nope"}]`)
	first := c.wait("result", 1)
	if !first.ok() || first.str("sock") != "s1" {
		t.Fatalf("socket in a batch: %v", first)
	}
	bound := c.wait("result", 2)
	if !bound.ok() || bound.addr("addr")[1] == 0.0 {
		t.Fatalf("bind in a batch: %v", bound)
	}
	if r := c.wait("result", 3); r.ok() || r.obj("error").str("type") != "bad_request" {
		t.Errorf("unknown op in a batch: %v", r)
	}
	c.raw(`[]`)
	if r := c.wait("result", -1); r.ok() || r["id"] != nil {
		t.Errorf("empty batch: %v, want a bad_request with id null", r)
	}

	// A recvfrom batched before the sendto that feeds it is tried again at
	// the end of the batch: it completes without waiting.
	tx := c.socket("SOCK_DGRAM")
	mark := c.mark()
	if err := c.conn.WriteJSON([]obj{
		{"id": 10, "op": "recvfrom", "sock": "s1", "bufsize": 64},
		{"id": 11, "op": "sendto", "sock": tx, "data": text("fed"), "addr": bound.addr("addr")},
	}); err != nil {
		t.Fatal(err)
	}
	r := c.since(mark, func(m msg) bool { return m.str("kind") == "result" && m.num("id") == 10 })
	if !r.ok() || r.obj("data").str("text") != "fed" {
		t.Errorf("batched recvfrom: %v", r)
	}
	if ws := c.find(func(m msg) bool { return m.str("kind") == "waiting" && m.num("id") == 10 }); len(ws) != 0 {
		t.Errorf("batched recvfrom sent %d waiting messages, want none", len(ws))
	}
}

// A second recvfrom on a socket whose first recvfrom is waiting queues
// behind it without holding up the session.
func TestSecondWaiterDoesNotBlockSession(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	addr := c.bind(rx, "127.0.0.1", 0)
	first := c.send("recvfrom", map[string]any{"sock": rx, "bufsize": 64})
	c.wait("waiting", first)
	second := c.send("recvfrom", map[string]any{"sock": rx, "bufsize": 64})
	c.wait("waiting", second)
	c.must("getsockname", map[string]any{"sock": rx}) // the session still answers
	mark := c.mark()
	c.must("sendto", map[string]any{"sock": tx, "data": text("one"), "addr": addr})
	c.must("sendto", map[string]any{"sock": tx, "data": text("two"), "addr": addr})
	result := func(id int) msg {
		return c.since(mark, func(m msg) bool { return m.str("kind") == "result" && m.num("id") == id })
	}
	if a, b := result(first), result(second); a.obj("data").str("text") != "one" || b.obj("data").str("text") != "two" {
		t.Errorf("queued recvfroms got %v and %v, want one then two", a["data"], b["data"])
	}
}
