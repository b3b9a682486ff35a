package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// Memory bounds: a chunk's bytes shown up to --max-shown, the log bounded
// in bytes, and a connection's queue too.

// connectedPair makes a listening TCP socket, a client connected to it and
// the accepted connection, and returns the client and the accepted handle.
func connectedPair(t *testing.T, c *client) (string, string) {
	t.Helper()
	l, cl := c.socket("SOCK_STREAM"), c.socket("SOCK_STREAM")
	addr := c.bind(l, "127.0.0.1", 0)
	c.must("listen", obj{"sock": l})
	acc := c.send("accept", obj{"sock": l})
	con := c.send("connect", obj{"sock": cl, "addr": addr})
	rs := c.results(acc, con) // in either order
	if !rs[acc].ok() || !rs[con].ok() {
		t.Fatalf("accept %v, connect %v", rs[acc], rs[con])
	}
	return cl, rs[acc].str("conn")
}

// TestLargeChunkShown: a 1 MiB recv (sendall, then recv MSG_WAITALL) shows
// its first 64 KiB with its real size and SHA-256, to every connection and
// in the log; with "full": true the connection that asked gets every byte,
// while another page of the session, and a resume, get the bounded form.
func TestLargeChunkShown(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	a := srv.dial(t)
	b := srv.dial(t)
	b.resume(b.hello.num("last_seq"))
	cl, conn := connectedPair(t, a)

	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i*7 + i/251)
	}
	sum := sha256.Sum256(payload)
	wantSum := hex.EncodeToString(sum[:])
	for _, full := range []bool{false, true} {
		send := a.send("sendall", obj{"sock": cl, "data": obj{"base64": base64.StdEncoding.EncodeToString(payload)}})
		args := obj{"sock": conn, "bufsize": 1 << 20, "flags": []string{"MSG_WAITALL"}}
		if full {
			args["full"] = true
		}
		recv := a.send("recv", args)
		mine := a.wait("result", recv)
		// The sendall's result may come before the recv's or after it.
		r := a.find(func(m msg) bool { return m.str("kind") == "result" && m.num("id") == send })
		if len(r) == 0 {
			r = []msg{a.wait("result", send)}
		}
		if r[0].num("n") != 1<<20 {
			t.Fatalf("sendall result %v, want n 1048576", r[0])
		}
		theirs := b.wait("result", recv)
		if mine.num("seq") != theirs.num("seq") {
			t.Fatalf("A got the recv at seq %d, B at %d", mine.num("seq"), theirs.num("seq"))
		}
		checkBounded(t, "B's copy", theirs.obj("data"), payload, wantSum)
		if !full {
			checkBounded(t, "A's result", mine.obj("data"), payload, wantSum)
			continue
		}
		d := mine.obj("data")
		if d.num("size") != 1<<20 || d["shown"] != nil || d["sha256"] != nil || d.str("hex") != hex.EncodeToString(payload) {
			t.Errorf("A's full result: size %v shown %v sha256 %v, %d hex digits; want every byte and no shown or sha256",
				d["size"], d["shown"], d["sha256"], len(d.str("hex")))
		}
		// The log keeps the bounded form: a resume replays it.
		c := srv.dial(t)
		ms := c.resume(mine.num("seq") - 1)
		if ms[0].num("seq") != mine.num("seq") {
			t.Fatalf("resume replayed %v first, want seq %d", ms[0], mine.num("seq"))
		}
		checkBounded(t, "the replay", ms[0].obj("data"), payload, wantSum)
	}
}

func checkBounded(t *testing.T, what string, d msg, payload []byte, sum string) {
	t.Helper()
	if d.num("size") != 1<<20 || d.num("shown") != 65536 || d.str("sha256") != sum {
		t.Errorf("%s: size %v shown %v sha256 %v; want 1048576, 65536, %s", what, d["size"], d["shown"], d["sha256"], sum)
	}
	if d.str("hex") != hex.EncodeToString(payload[:65536]) {
		t.Errorf("%s: %d hex digits, want the first 65536 bytes", what, len(d.str("hex")))
	}
}

// TestLogBytesEvicts: the log keeps what its byte bound allows, however
// few messages that is; a resume from before its oldest entry gets a
// snapshot, one from that entry on a replay.
func TestLogBytesEvicts(t *testing.T) {
	const logBytes = 64 << 10
	srv := newServer(t, sessions.Config{LogBytes: logBytes, MaxShown: 16 << 10})
	a := srv.dial(t)
	u := a.socket("SOCK_DGRAM")
	addr := a.bind(u, "127.0.0.1", 0)
	big := strings.Repeat("x", 20000)
	for range 10 {
		a.must("sendto", obj{"sock": u, "data": text(big), "addr": addr})
		a.must("recvfrom", obj{"sock": u, "bufsize": 65536})
	}
	last := a.last()

	b := srv.dial(t)
	ms := b.resume(0)
	snap := ms[0]
	if snap.str("kind") != "snapshot" || len(ms) != 2 {
		t.Fatalf("resume after 0: %d messages, first %v; want a snapshot and the result", len(ms), snap)
	}
	first := snap.num("first_seq")
	// Each recvfrom keeps 16 KiB: the log holds a handful of messages, far
	// fewer than its count bound (10,000), and at least the newest.
	if kept := last - first + 1; kept < 1 || kept > 8 {
		t.Errorf("log keeps seq %d…%d (%d messages), want a few under %d bytes", first, last, kept, logBytes)
	}
	c := srv.dial(t)
	ms = c.resume(first - 1)
	if ms[0].str("kind") == "snapshot" || ms[0].num("seq") != first {
		t.Errorf("resume from the oldest kept (%d): first message %v, want a replay from it", first, ms[0])
	}
	for _, m := range ms {
		if m.str("op") == "recvfrom" && m.obj("data").num("shown") != 16<<10 {
			t.Errorf("replayed recvfrom shows %v bytes, want 16384", m.obj("data")["shown"])
		}
	}
	d := srv.dial(t)
	if ms = d.resume(first - 2); ms[0].str("kind") != "snapshot" || ms[0].num("first_seq") > first-1+2 {
		t.Errorf("resume from before the oldest kept: %v, want a snapshot", ms[0])
	}
}

// TestSlowReaderDroppedByBytes: a page that stops reading is dropped once
// its queue holds more bytes than its bound, long before it holds as many
// messages as the count bound (4,096) would allow; the page that keeps
// reading stays.
func TestSlowReaderDroppedByBytes(t *testing.T) {
	srv := newServer(t, sessions.Config{QueueBytes: 256 << 10})
	a := srv.dial(t)

	// The slow page: a bare connection to the same session whose messages
	// nobody reads until the end. (The kernel's socket buffers take a few
	// MB of them first.)
	d := websocket.Dialer{Jar: srv.jar}
	slow, _, err := d.Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.WriteJSON(obj{"id": 1, "op": "resume", "after": 0}); err != nil {
		t.Fatal(err)
	}

	u := a.socket("SOCK_DGRAM")
	addr := a.bind(u, "127.0.0.1", 0)
	big := strings.Repeat("y", 60000)
	const rounds = 120 // 240 messages, 43 MB of JSON for the slow page
	for range rounds {
		a.must("sendto", obj{"sock": u, "data": text(big), "addr": addr})
		a.must("recvfrom", obj{"sock": u, "bufsize": 65536})
	}
	// Now read what the slow page was sent: it must end with "too slow".
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	frames, total := 0, 0
	for {
		_, f, err := slow.ReadMessage()
		if err == nil {
			frames++
			total += len(f)
			continue
		}
		t.Logf("slow page read %d frames, %d bytes", frames, total)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater {
			t.Fatalf("slow page ended with %v, want close 1013 (too slow)", err)
		}
		break
	}
	a.must("getsockname", obj{"sock": u}) // the reading page lives on
}
