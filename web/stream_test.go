package web_test

import (
	"fmt"
	"net/http/cookiejar"
	"testing"
	"time"

	"sockplay/sessions"
)

// tcpPair makes a connected pair of TCP sockets in the page's session and
// returns the client's and the accepted socket's handles.
func (c *client) tcpPair() (string, string) {
	c.t.Helper()
	l := c.socket("SOCK_STREAM")
	addr := c.bind(l, "127.0.0.1", 0)
	c.must("listen", map[string]any{"sock": l})
	cl := c.socket("SOCK_STREAM")
	c.must("connect", map[string]any{"sock": cl, "addr": addr})
	return cl, c.must("accept", map[string]any{"sock": l}).str("conn")
}

// mark returns how many messages the client has seen, for waitStat.
func (c *client) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// waitStat waits for a pushed stat message of sock with inq bytes queued,
// among the messages seen since mark and those still to come.
func (c *client) waitStat(mark int, sock string, inq int) msg {
	c.t.Helper()
	return c.since(mark, func(m msg) bool { return m.str("kind") == "stat" && m.str("sock") == sock && m.num("inq") == inq })
}

// since returns the first message that matches ok among those seen since
// mark, or else the next one to come.
func (c *client) since(mark int, ok func(msg) bool) msg {
	c.t.Helper()
	c.mu.Lock()
	since := append([]msg{}, c.seen[mark:]...)
	c.mu.Unlock()
	for _, m := range since {
		if ok(m) {
			return m
		}
	}
	for {
		if m := c.next(); ok(m) {
			return m
		}
	}
}

func sendsOf(m msg) string {
	out := ""
	for _, s := range m["sends"].([]any) {
		s := msg(s.(map[string]any))
		r := s["range"].([]any)
		out += fmt.Sprintf("[id %v #%d %v-%v]", s["id"], s.num("index"), r[0], r[1])
	}
	return out
}

func TestStreamMapThroughWebSocket(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: 10 * time.Millisecond})
	c := srv.dial(t)
	cl, conn := c.tcpPair()
	c.must("watch", obj{"socks": []string{conn}}) // as a page showing its card

	// Sticky: two sends, read late, come back as one chunk naming both.
	mark := c.mark()
	a := c.must("send", map[string]any{"sock": cl, "data": text("hello")})
	b := c.must("send", map[string]any{"sock": cl, "data": text("world")})
	if fmt.Sprint(a["stream"], b["stream"]) != "[0 5] [5 10]" {
		t.Errorf("send streams %v %v, want [0 5] [5 10]", a["stream"], b["stream"])
	}
	st := c.waitStat(mark, conn, 10)
	if st.obj("peek").str("text") != "helloworld" || st.str("state") != "ESTABLISHED" {
		t.Errorf("stat %v, want peek helloworld, ESTABLISHED", st)
	}
	r := c.must("recv", map[string]any{"sock": conn, "bufsize": 1024})
	if got := r.obj("data").str("text"); got != "helloworld" {
		t.Fatalf("recv %q, want helloworld", got)
	}
	want := fmt.Sprintf("[id %d #1 0-5][id %d #2 5-10]", a.num("id"), b.num("id"))
	if got := sendsOf(r); got != want {
		t.Errorf("sends %s, want %s", got, want)
	}

	// Split: one send read by two recvs; both name it.
	mark = c.mark()
	s := c.must("sendall", map[string]any{"sock": cl, "data": text("0123456789")})
	c.waitStat(mark, conn, 10)
	for _, w := range []struct {
		n      int
		stream string
	}{{4, "[10 14]"}, {6, "[14 20]"}} {
		r := c.must("recv", map[string]any{"sock": conn, "bufsize": w.n})
		if got := fmt.Sprint(r["stream"]); got != w.stream {
			t.Errorf("recv(%d) stream %s, want %s", w.n, got, w.stream)
		}
		if got, want := sendsOf(r), fmt.Sprintf("[id %d #3 10-20]", s.num("id")); got != want {
			t.Errorf("recv(%d) sends %s, want %s", w.n, got, want)
		}
	}

	// The stat op answers on demand.
	mark = c.mark()
	c.must("send", map[string]any{"sock": cl, "data": text("abc")})
	c.waitStat(mark, conn, 3)
	st = c.must("stat", map[string]any{"sock": conn})
	if st.num("inq") != 3 || st.num("bytes_received") != 23 || st.num("data_segs_in") < 1 {
		t.Errorf("stat %v, want inq 3, bytes_received 23", st)
	}
}

// A send from another session is named by index, with a null id.
func TestStreamMapAcrossSessions(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	l := a.socket("SOCK_STREAM")
	addr := a.bind(l, "127.0.0.1", 0)
	a.must("listen", map[string]any{"sock": l})

	jar, _ := cookiejar.New(nil) // no cookie: a new session
	b := (&testServer{Server: srv.Server, manager: srv.manager, jar: jar}).dial(t)
	cl := b.socket("SOCK_STREAM")
	b.must("connect", map[string]any{"sock": cl, "addr": addr})
	conn := a.must("accept", map[string]any{"sock": l}).str("conn")
	b.must("sendall", map[string]any{"sock": cl, "data": text("from b")})
	r := a.must("recv", map[string]any{"sock": conn, "bufsize": 64})
	if got := sendsOf(r); got != "[id <nil> #1 0-6]" {
		t.Errorf("sends %s, want one send with a null id", got)
	}
}

// TestStatTimeWait: the server closes first; once the client has closed
// too, the server's closed socket still answers stat with the kernel's
// TIME_WAIT, and the pushed stat messages follow it there. The client's
// closed socket is gone at once.
func TestStatTimeWait(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: 20 * time.Millisecond})
	c := srv.dial(t)
	p := connectPair(t, c)
	c.must("watch", obj{"socks": []string{p.server}}) // as a page showing its card
	mark := c.mark()
	c.must("close", obj{"sock": p.server})
	if r := c.must("recv", obj{"sock": p.client, "bufsize": 16}); r.obj("data").num("size") != 0 {
		t.Fatalf("client recv %v, want b''", r["data"])
	}
	c.must("close", obj{"sock": p.client})
	pushed := c.since(mark, func(m msg) bool {
		return m.str("kind") == "stat" && m.str("sock") == p.server && m.str("state") == "TIME_WAIT"
	})
	if pushed["closed"] != true || pushed.num("expires_ms") <= 0 || pushed.num("expires_ms") > 60_000 {
		t.Errorf("pushed stat %v, want TIME_WAIT, closed, expiring within a minute", pushed)
	}
	st := c.must("stat", obj{"sock": p.server})
	if st.str("state") != "TIME_WAIT" || st["closed"] != true || st["data_segs_out"] != nil {
		t.Errorf("stat of the closed server socket %v, want TIME_WAIT, closed, no counters", st)
	}
	checkError(t, c.do("stat", obj{"sock": p.client}), errWant{typ: "os", errno: "EBADF", code: 9, exception: "OSError", message: "[Errno 9] Bad file descriptor"})
}
