package web_test

import (
	"net/http/cookiejar"
	"strconv"
	"testing"
	"time"

	"sockplay/sessions"
)

// Stat messages are pushed for the sockets a connection watches (op watch)
// and, for a few polls, those an op touched; nothing else is polled. The
// tests here show that a socket is not polled by waiting for poll ticks
// that a control session sees (ticker), then checking that nothing was
// logged; each ends by watching the socket, when the stat must come.

// watchEvery is the stat poll of these tests.
const watchEvery = 20 * time.Millisecond

// pythonSend sends datagrams of the given sizes to 127.0.0.1:port from a
// Python program (an outside client), one after the other.
const pythonSend = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in sys.argv[2:]:
    s.sendto(b'x' * int(n), ('127.0.0.1', int(sys.argv[1])))
`

// sendFromPython returns once the datagrams are sent.
func sendFromPython(t *testing.T, port int, sizes ...int) {
	t.Helper()
	args := []string{strconv.Itoa(port)}
	for _, n := range sizes {
		args = append(args, strconv.Itoa(n))
	}
	startPython(t, pythonSend, args...).wait()
}

// ticker is a control session of its own on the server, watching a UDP
// socket: each tick waits for a stat message that only a poll made after
// the call began can have logged.
type ticker struct {
	t    *testing.T
	c    *client
	sock string
	port int
	n    int
}

func newTicker(t *testing.T, srv *testServer) *ticker {
	t.Helper()
	jar, _ := cookiejar.New(nil) // no cookie: a session of its own
	c := (&testServer{Server: srv.Server, manager: srv.manager, jar: jar}).dial(t)
	sock := c.socket("SOCK_DGRAM")
	port := port(c.bind(sock, "127.0.0.1", 0))
	c.must("watch", obj{"socks": []string{sock}})
	return &ticker{t: t, c: c, sock: sock, port: port}
}

// wait lets n polls of the Manager go by: a datagram arrives, its stat is
// logged by a poll, the datagram is read; the next one is one byte larger,
// so each stat is another poll's.
func (k *ticker) wait(n int) {
	k.t.Helper()
	for range n {
		k.n++
		mark := k.c.mark()
		sendFromPython(k.t, k.port, k.n)
		k.c.waitStat(mark, k.sock, k.n)
		k.c.must("recvfrom", obj{"sock": k.sock, "bufsize": 64})
	}
}

// udpSocket makes a bound UDP socket and returns its handle and port.
func (c *client) udpSocket() (string, int) {
	c.t.Helper()
	s := c.socket("SOCK_DGRAM")
	return s, port(c.bind(s, "127.0.0.1", 0))
}

// statsOf returns the stat messages of sock with inq bytes queued among
// those seen since mark (make a request first to see all those logged).
func (c *client) statsOf(mark int, sock string, inq int) []msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []msg
	for _, m := range c.seen[mark:] {
		if m.str("kind") == "stat" && m.str("sock") == sock && m.num("inq") == inq {
			out = append(out, m)
		}
	}
	return out
}

// notPolledUntilWatched fails the test if a stat of sock with inq bytes
// queued is among the messages seen since mark (what was polled, described
// by what); then it watches socks and waits for that stat.
func (c *client) notPolledUntilWatched(mark int, sock string, inq int, what string, socks ...string) {
	c.t.Helper()
	if got := c.statsOf(mark, sock, inq); len(got) > 0 {
		c.t.Errorf("%s was polled: %v", what, got)
	}
	c.must("watch", obj{"socks": socks})
	c.waitStat(mark, sock, inq)
}

// TestWatchArrivals: a watched socket's card learns of datagrams from an
// outside client that nobody on the page receives; a socket that is
// neither watched nor touched by an op is not polled, until it is watched.
func TestWatchArrivals(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: watchEvery})
	c := srv.dial(t)
	s1, p1 := c.udpSocket()
	s2, p2 := c.udpSocket()
	if r := c.must("watch", obj{"socks": []string{s1, s1}}); r["hidden"] != false || len(r.addr("socks")) != 1 {
		t.Errorf("watch result %v, want socks [%s], hidden false", r, s1)
	}
	// s1's stats are polls; three of them after s2's bind, and s2 (quiet
	// since) is no longer followed.
	k := &ticker{t: t, c: c, sock: s1, port: p1}
	k.wait(3)

	mark := c.mark()
	sendFromPython(t, p2, 5)
	k.wait(2)
	c.notPolledUntilWatched(mark, s2, 5, "the unwatched, untouched socket", s1, s2)
}

// TestWatchNoPage: a session whose page has gone is not polled while
// datagrams arrive on its socket, not even one that an op has just used
// (a recvfrom that was waiting when the page left); nothing is logged. A
// page that comes back and watches it sees the queue.
func TestWatchNoPage(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: watchEvery})
	c := srv.dial(t)
	s1, p1 := c.udpSocket()
	c.must("watch", obj{"socks": []string{s1}})
	c.wait("waiting", c.send("recvfrom", obj{"sock": s1, "bufsize": 64}))
	c.conn.Close()
	waitDetached(t, srv)

	sendFromPython(t, p1, 3, 7) // 3 ends the recvfrom, 7 stays queued
	newTicker(t, srv).wait(3)

	back := srv.dial(t)
	mark := back.mark()
	back.resume(0)
	back.notPolledUntilWatched(mark, s1, 7, "the session without a page", s1)
}

// waitDetached waits until no session of srv has a page attached.
func waitDetached(t *testing.T, srv *testServer) {
	t.Helper()
	for srv.manager.Stats().Attached > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWatchHidden: a connection that says its page is hidden has nothing
// polled, not even the socket it watched, nor one that an op has just used
// (a recvfrom that was waiting); shown again, it gets the stat of what
// arrived meanwhile.
func TestWatchHidden(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: watchEvery})
	c := srv.dial(t)
	s1, p1 := c.udpSocket()
	c.must("watch", obj{"socks": []string{s1}})
	mark := c.mark()
	sendFromPython(t, p1, 3)
	c.waitStat(mark, s1, 3) // watched, and shown
	c.must("recvfrom", obj{"sock": s1, "bufsize": 64})
	recv := c.send("recvfrom", obj{"sock": s1, "bufsize": 64})
	c.wait("waiting", recv)
	if r := c.must("watch", obj{"hidden": true, "socks": []string{s1}}); r["hidden"] != true || len(r.addr("socks")) != 0 {
		t.Errorf("watch result %v, want hidden, no socks", r)
	}

	mark = c.mark()
	sendFromPython(t, p1, 4, 5) // 4 ends the recvfrom, 5 stays queued
	c.wait("result", recv)
	newTicker(t, srv).wait(3)
	c.must("watch", obj{"hidden": true}) // its result comes after anything logged before it
	c.notPolledUntilWatched(mark, s1, 5, "a hidden page's socket", s1)
}

// TestWatchBadRequest: a watch that is not a list of this session's
// handles is refused, names what is wrong, and changes nothing.
func TestWatchBadRequest(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: watchEvery})
	c := srv.dial(t)
	s1, p1 := c.udpSocket()
	c.must("watch", obj{"socks": []string{s1}})
	for _, tc := range []struct {
		name string
		args obj
		exc  string
		want []string
	}{
		{"socks not a list", obj{"socks": s1}, "TypeError", []string{"socks", "array"}},
		{"a handle not a string", obj{"socks": []any{1}}, "TypeError", []string{"socks", "string"}},
		{"unknown handle", obj{"socks": []string{s1, "s99"}}, "", []string{`no socket "s99"`}},
		{"nothing to watch", obj{}, "TypeError", []string{"socks", "hidden"}},
		{"socks null", obj{"socks": nil}, "TypeError", []string{"socks", "hidden"}},
		{"hidden not a boolean", obj{"hidden": "yes"}, "TypeError", []string{"hidden", "boolean"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, c.do("watch", tc.args), errWant{typ: "bad_request", exception: tc.exc, contains: tc.want})
		})
	}
	// The session lives on, still watching s1.
	mark := c.mark()
	sendFromPython(t, p1, 4)
	c.waitStat(mark, s1, 4)
	if st := c.must("stat", obj{"sock": s1}); st.num("inq") != 4 {
		t.Errorf("stat %v, want inq 4", st)
	}
}
