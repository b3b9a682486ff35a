package web_test

import (
	"net"
	"reflect"
	"testing"

	"sockplay/sessions"
)

// TestResumeAfterDrop is the key scenario: a page's connection drops while a
// recvfrom waits; the datagram arrives meanwhile; the page reconnects with
// its cookie and resumes after the last seq it saw, and gets the completed
// recvfrom, then the resume result, with no gap and nothing twice.
func TestResumeAfterDrop(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	tx, rx := a.socket("SOCK_DGRAM"), a.socket("SOCK_DGRAM")
	to := a.bind(rx, "127.0.0.1", 0)
	recv := a.send("recvfrom", obj{"sock": rx, "bufsize": 1024})
	a.wait("waiting", recv)

	// A second tab of the session watches, so the test knows when the
	// datagram has been received and logged while A is gone.
	w := srv.dial(t)
	w.resume(w.hello.num("last_seq"))

	seenByA := a.last()
	a.drop()

	sender, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port(to)})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	if _, err := sender.Write([]byte("while you were away")); err != nil {
		t.Fatal(err)
	}
	from := wantAddr("127.0.0.1", sender.LocalAddr().(*net.UDPAddr).Port)
	if r := w.wait("result", recv); !r.ok() {
		t.Fatalf("recvfrom while A was away: %v", r)
	}

	b := srv.dial(t)
	if b.hello["resumed"] != true || b.hello.str("session") != a.hello.str("session") {
		t.Errorf("hello resumed %v session %q, want true and A's session %q", b.hello["resumed"], b.hello.str("session"), a.hello.str("session"))
	}
	if last := b.hello.num("last_seq"); last <= seenByA || last != b.hello.num("seq") {
		t.Errorf("hello last_seq %d seq %d, want both beyond A's last seq %d", last, b.hello.num("seq"), seenByA)
	}
	ms := b.resume(seenByA)
	if first := ms[0].num("seq"); first != seenByA+1 {
		t.Errorf("replay starts at seq %d, want %d", first, seenByA+1)
	}
	var got msg
	for _, m := range ms {
		if m.str("kind") == "result" && m.num("id") == recv {
			if got != nil {
				t.Errorf("recvfrom result replayed twice")
			}
			got = m
		}
	}
	if got == nil {
		t.Fatalf("replay %v lacks the recvfrom result (id %d)", ms, recv)
	}
	checkData(t, got, obj{"size": 19, "hex": "7768696c6520796f7520776572652061776179", "text": "while you were away", "encoding": "utf-8"})
	if !reflect.DeepEqual(got.addr("addr"), from) || got["truncated"] != false || got.num("size") != 19 || got.str("sock") != rx {
		t.Errorf("recvfrom addr %v truncated %v size %v sock %q, want %v false 19 %q", got.addr("addr"), got["truncated"], got["size"], got.str("sock"), from, rx)
	}
	res := ms[len(ms)-1]
	if res.str("op") != "resume" || !res.ok() || res.num("replayed") != len(ms)-1 || res["snapshot"] != false {
		t.Errorf("resume result %v, want ok, replayed %d, snapshot false", res, len(ms)-1)
	}
	if res.num("seq") != b.hello.num("last_seq")+1 {
		t.Errorf("resume result seq %d, want %d (right after the replay)", res.num("seq"), b.hello.num("last_seq")+1)
	}

	// The session's sockets lived on.
	b.must("sendto", obj{"sock": tx, "data": text("back"), "addr": to})
	checkData(t, b.must("recvfrom", obj{"sock": rx, "bufsize": 10}), obj{"size": 4, "hex": "6261636b", "text": "back", "encoding": "utf-8"})
}

// TestResumeReload: a reload resumes after 0 and gets the whole log again,
// from the session's original hello, exactly as first sent.
func TestResumeReload(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	if a.hello.num("seq") != 1 || a.hello["resumed"] != false || a.hello.num("last_seq") != 1 || a.hello.str("protocol") != "sockplay.v1" {
		t.Errorf("first hello %v, want seq 1, resumed false, last_seq 1, sockplay.v1", a.hello)
	}
	u := a.socket("SOCK_DGRAM")
	to := a.bind(u, "127.0.0.1", 0)
	a.must("sendto", obj{"sock": u, "data": text("me"), "addr": to})
	a.must("recvfrom", obj{"sock": u, "bufsize": 10})
	a.do("bind", obj{"sock": u, "addr": []any{"127.0.0.1", 0}}) // EINVAL: already bound
	seen := a.find(func(msg) bool { return true })
	a.conn.Close()

	b := srv.dial(t)
	ms := b.resume(0)
	if len(ms) != len(seen)+1 {
		t.Fatalf("reload got %d messages, want the %d A saw and the resume result: %v", len(ms), len(seen), ms)
	}
	for i, m := range seen {
		if !reflect.DeepEqual(ms[i], m) {
			t.Errorf("replayed message %d:\n got %v\nwant %v", i, ms[i], m)
		}
	}
	if res := ms[len(ms)-1]; res.num("replayed") != len(seen) || res.num("seq") != len(seen)+1 {
		t.Errorf("resume result %v, want replayed %d at seq %d", res, len(seen), len(seen)+1)
	}
}

// TestResumeSnapshot: with a short log, a resume from before the log's start
// gets a snapshot of the sockets and waiting calls instead of a replay; a
// resume from just inside the log still gets a replay.
func TestResumeSnapshot(t *testing.T) {
	const logSize = 20
	srv := newServer(t, sessions.Config{LogSize: logSize})
	a := srv.dial(t)
	u, l := a.socket("SOCK_DGRAM"), a.socket("SOCK_STREAM")
	uaddr := a.bind(u, "127.0.0.1", 0)
	laddr := a.bind(l, "127.0.0.1", 0)
	a.must("listen", obj{"sock": l})
	a.must("setsockopt", obj{"sock": u, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": 1})
	acc := a.send("accept", obj{"sock": l})
	a.wait("waiting", acc)
	for a.last() <= 2*logSize {
		a.must("getsockname", obj{"sock": u})
	}
	a.must("encoding", obj{"encoding": "gbk"})
	last := a.last()

	b := srv.dial(t)
	ms := b.resume(1)
	if len(ms) != 2 {
		t.Fatalf("resume after 1 with a log of %d got %v, want a snapshot and the result", logSize, ms)
	}
	snap, res := ms[0], ms[1]
	if snap.str("kind") != "snapshot" || snap.num("seq") != last || snap.num("first_seq") != last-logSize+1 || snap.str("encoding") != "gbk" {
		t.Errorf("snapshot seq %v first_seq %v encoding %v, want %d %d gbk", snap["seq"], snap["first_seq"], snap["encoding"], last, last-logSize+1)
	}
	socks, _ := snap["sockets"].([]any)
	type view struct{ Sock, Type, State, Laddr, Options any }
	var got []view
	for _, s := range socks {
		s := msg(s.(map[string]any))
		if _, has := s["seq"]; has {
			t.Errorf("snapshot socket %v has a seq", s)
		}
		got = append(got, view{s["sock"], s["type"], s["state"], s["laddr"], s["options"]})
	}
	want := []view{
		{u, "SOCK_DGRAM", "BOUND", uaddr, map[string]any{"SO_BROADCAST": 1.0}},
		{l, "SOCK_STREAM", "LISTENING", laddr, map[string]any{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot sockets\n got %v\nwant %v", got, want)
	}
	pending, _ := snap["pending"].([]any)
	if len(pending) != 1 {
		t.Errorf("snapshot pending %v, want the accept %d on %s", snap["pending"], acc, l)
	} else if p := msg(pending[0].(map[string]any)); p.num("id") != acc || p.str("op") != "accept" || p.str("sock") != l {
		t.Errorf("snapshot pending %v, want the accept %d on %s", p, acc, l)
	}
	if res.num("seq") != last+1 || res["snapshot"] != true || res.num("replayed") != 0 {
		t.Errorf("resume result %v, want seq %d, snapshot true, replayed 0", res, last+1)
	}

	// The log now holds last+1-logSize+1 … last+1.
	first := last + 1 - logSize + 1
	c := srv.dial(t)
	ms = c.resume(first - 1)
	if len(ms) != logSize+1 || ms[0].num("seq") != first || ms[0].str("kind") == "snapshot" {
		t.Errorf("resume from the log's first seq: %d messages starting %v, want a replay of %d from seq %d", len(ms), ms[0], logSize, first)
	}
	d := srv.dial(t)
	if ms = d.resume(first - 2); ms[0].str("kind") != "snapshot" {
		t.Errorf("resume from one before the log's first seq: %v, want a snapshot", ms[0])
	}
}

// TestNewConnectionWithoutResume: a connection whose first request is not a
// resume gets the live stream from its hello's last_seq on, including what
// happened between its hello and that request.
func TestNewConnectionWithoutResume(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	u := a.socket("SOCK_DGRAM")
	bound := a.bind(u, "127.0.0.1", 0)
	a.socketMsg(u, func(m msg) bool { return m.str("state") == "BOUND" })

	b := srv.dial(t)
	start := b.hello.num("last_seq")
	if b.hello["resumed"] != true || start != a.last() {
		t.Fatalf("hello %v, want resumed, last_seq %d", b.hello, a.last())
	}
	made := a.send("socket", obj{"type": "SOCK_STREAM"})
	a.wait("result", made)
	mine := b.send("getsockname", obj{"sock": u})
	ms := b.until("result", mine)
	if ms[0].num("seq") != start+1 || ms[0].num("id") != made || ms[0].str("op") != "socket" {
		t.Errorf("first message after the hello: %v, want A's socket result at seq %d", ms[0], start+1)
	}
	if r := ms[len(ms)-1]; !r.ok() || !reflect.DeepEqual(r.addr("addr"), bound) {
		t.Errorf("getsockname %v, want ok and %v", r, bound)
	}
}

// TestTwoPages: two connections of one session see each other's results,
// as the same messages.
func TestTwoPages(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	b := srv.dial(t)
	b.resume(b.hello.num("last_seq"))
	a.must("encoding", obj{"encoding": "utf-8"}) // activates A's stream

	u := a.socket("SOCK_DGRAM")
	byA := a.do("bind", obj{"sock": u, "addr": []any{"127.0.0.1", 0}})
	if got := b.wait("result", byA.num("id")); !reflect.DeepEqual(got, byA) {
		t.Errorf("B saw A's bind as\n%v\nwant\n%v", got, byA)
	}
	byB := b.do("sendto", obj{"sock": u, "data": text("from B"), "addr": byA.addr("addr")})
	if got := a.wait("result", byB.num("id")); !reflect.DeepEqual(got, byB) {
		t.Errorf("A saw B's sendto as\n%v\nwant\n%v", got, byB)
	}
	r := a.must("recvfrom", obj{"sock": u, "bufsize": 10})
	if got := b.wait("result", r.num("id")); !reflect.DeepEqual(got, r) {
		t.Errorf("B saw A's recvfrom as\n%v\nwant\n%v", got, r)
	}
	if a.last() != b.last() {
		t.Errorf("A is at seq %d, B at %d; want the same", a.last(), b.last())
	}
}
