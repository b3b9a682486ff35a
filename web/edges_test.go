package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"sockplay/sessions"
)

// TestInvalidUTF8Closes1007: a text frame that is not UTF-8 closes the
// connection with 1007 and a reason, and nothing it asked for is done.
func TestInvalidUTF8Closes1007(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	c.must("encoding", obj{"encoding": "utf-8"}) // the live stream has begun
	frame := []byte(`[{"id":1,"op":"socket","type":"SOCK_DGRAM"},{"id":2,"op":"socket","type":"SOCK_DGRAM","note":"` + "\xff\xfe" + `"}]`)
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	code, ms := c.closed()
	if code != websocket.CloseInvalidFramePayloadData {
		t.Errorf("close status %d, want %d (invalid frame payload data)", code, websocket.CloseInvalidFramePayloadData)
	}
	for _, m := range ms {
		if m.str("kind") == "result" || m.str("kind") == "socket" {
			t.Errorf("message after the invalid frame: %v, want none", m)
		}
	}
	// The session lives on, without the socket the frame asked for.
	d := srv.dial(t)
	if h := d.socket("SOCK_DGRAM"); h != "s1" {
		t.Errorf("first socket after the invalid frame is %q, want s1 (the frame created none)", h)
	}
}

// TestFrameTooLargeCloses1009: a request frame past the 2 MiB limit closes
// the connection with 1009 and a reason naming the limit; the requests
// answered before it are kept, and the session lives on with its socket.
func TestFrameTooLargeCloses1009(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	h := c.socket("SOCK_DGRAM")
	big := `{"id":9,"op":"sendto","sock":"` + h + `","data":{"text":"` + strings.Repeat("x", 2<<20) + `"},"addr":["127.0.0.1",9]}`
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	code, ms := c.closed()
	if code != websocket.CloseMessageTooBig {
		t.Errorf("close status %d, want %d (message too big)", code, websocket.CloseMessageTooBig)
	}
	for _, m := range ms {
		if m.str("kind") == "result" && m.num("id") == 9 {
			t.Errorf("the frame past the limit was run: %v", m)
		}
	}
	d := srv.dial(t)
	if got := d.socket("SOCK_DGRAM"); got != "s2" {
		t.Errorf("next socket after the large frame is %q, want s2 (the session and its s1 live on)", got)
	}
}

// TestCloseReasonFor1007 reads the close frame itself: it names the problem.
func TestCloseReasonFor1007(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	conn, _, err := (&websocket.Dialer{}).Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := conn.ReadMessage(); err != nil { // the hello
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("{\"id\":1,\"op\":\"\xc3\"}")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a failure, not a measurement
	for {
		_, frame, err := conn.ReadMessage()
		if err == nil {
			t.Errorf("frame after the invalid one: %s", frame)
			continue
		}
		ce, ok := err.(*websocket.CloseError)
		if !ok || ce.Code != websocket.CloseInvalidFramePayloadData || !strings.Contains(ce.Text, "UTF-8") {
			t.Fatalf("read error %v, want close 1007 with a reason naming UTF-8", err)
		}
		return
	}
}

// batchOf returns a frame holding n requests made by req(id).
func batchOf(n, firstID int, req func(id int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = req(firstID + i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestBatchLimit: hello announces limits.batch; a larger batch is refused
// whole with one bad_request naming the limit, and the connection goes on;
// a batch at the limit from a page that reads gets every result, even when
// its results are many more than the subscriber queue holds.
func TestBatchLimit(t *testing.T) {
	srv := newServer(t, sessions.Config{QueueSize: 100})
	c := srv.dial(t)
	if got := c.hello.obj("limits").num("batch"); got != sessions.MaxBatch || sessions.MaxBatch != 1000 {
		t.Fatalf("hello limits.batch %d (MaxBatch %d), want 1000", got, sessions.MaxBatch)
	}
	c.must("encoding", obj{"encoding": "utf-8"})

	encoding := func(id int) string { return fmt.Sprintf(`{"id":%d,"op":"encoding","encoding":"utf-8"}`, id) }
	for _, tc := range []struct {
		name  string
		frame string
	}{
		{"1001 requests", batchOf(1001, 1, encoding)},
		{"1001 empty objects (the fast decoder's size)", batchOf(1001, 1, func(int) string { return "{}" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer c.use(t)()
			c.raw(tc.frame)
			r := c.wait("result", -1)
			checkError(t, r, errWant{typ: "bad_request", contains: []string{"at most 1000 requests", "limits.batch", "holds 1001"}})
			if r["id"] != nil {
				t.Errorf("id %v, want null", r["id"])
			}
			// Nothing of the batch ran: the next message is the answer to
			// the next request.
			id := c.send("getsockopt", obj{"sock": "none"})
			if m := c.next(); m.str("kind") != "result" || m.num("id") != id {
				t.Errorf("message after the refused batch: %v, want the result of request %d", m, id)
			}
		})
	}

	// 1000 results at once, ten times the queue of 100: the page reads them
	// all, and stays connected.
	c.raw(batchOf(1000, 50000, encoding))
	got := 0
	for got < 1000 {
		if m := c.next(); m.str("kind") == "result" && m.num("id") >= 50000 {
			if !m.ok() {
				t.Fatalf("result in the batch: %v", m)
			}
			got++
		}
	}
	if h := c.socket("SOCK_DGRAM"); h != "s1" {
		t.Errorf("socket after the batch: %q, want s1", h)
	}
}

// TestAddrTypes: a host that is not a string (null is not "") and a port
// that is not an integer in 0-65535 are bad requests that bind nothing.
func TestAddrTypes(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	s := c.socket("SOCK_DGRAM")
	for _, tc := range []struct {
		addr     string
		exc      string
		contains []string
	}{
		{`[null,0]`, "TypeError", []string{"host in addr must be a string, not null", `["127.0.0.1", 9000]`, "INADDR_ANY"}},
		{`[null,9000]`, "TypeError", []string{"not null"}},
		{`[0,0]`, "TypeError", []string{"not a number (0)"}},
		{`[2130706433,9000]`, "TypeError", []string{"host in addr must be a string"}},
		{`[true,0]`, "TypeError", []string{"not a boolean (true)"}},
		{`[["127.0.0.1"],0]`, "TypeError", []string{"not an array"}},
		{`[{"host":"127.0.0.1"},0]`, "TypeError", []string{"not an object"}},
		{`["127.0.0.1",null]`, "TypeError", []string{"port in addr must be an integer, not null"}},
		{`["127.0.0.1","9000"]`, "TypeError", []string{"port in addr must be an integer"}},
		{`["127.0.0.1",1.5]`, "TypeError", []string{"port in addr must be an integer, not 1.5"}},
		{`["127.0.0.1",true]`, "TypeError", []string{"port in addr must be an integer"}},
		{`["127.0.0.1",99999999999]`, "OverflowError", []string{"port must be 0-65535"}},
		{`["127.0.0.1",-1]`, "OverflowError", []string{"port must be 0-65535"}},
		{`["127.0.0.1",65536]`, "OverflowError", []string{"port must be 0-65535"}},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			defer c.use(t)()
			id := c.nextID + 1
			c.raw(fmt.Sprintf(`{"id":%d,"op":"bind","sock":%q,"addr":%s}`, id, s, tc.addr))
			c.nextID = id
			checkError(t, c.wait("result", id), errWant{typ: "bad_request", exception: tc.exc, contains: tc.contains})
			if a := c.must("getsockname", obj{"sock": s}).addr("addr"); port(a) != 0 {
				t.Errorf("after bind(%s) the socket is bound to %v, want unbound", tc.addr, a)
			}
		})
	}
	if a := c.bind(s, "127.0.0.1", 0); port(a) == 0 {
		t.Errorf("bind after the refusals: %v, want a real port", a)
	}
}

// TestListenBacklogRange: a backlog outside 0-65535 is a bad request and
// the socket does not listen; 0 and 65535 are accepted.
func TestListenBacklogRange(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	s := c.socket("SOCK_STREAM")
	c.bind(s, "127.0.0.1", 0)
	for _, b := range []int{99999999999, -99999999999, -1, 65536} {
		r := c.do("listen", obj{"sock": s, "backlog": b})
		checkError(t, r, errWant{typ: "bad_request", exception: "ValueError", contains: []string{"backlog must be 0-65535", fmt.Sprint(b)}})
		if st := c.must("stat", obj{"sock": s}).str("state"); st == "LISTEN" {
			t.Fatalf("after listen(%d) the socket is in state %s, want not listening", b, st)
		}
	}
	for _, b := range []int{0, 65535} {
		if r := c.must("listen", obj{"sock": s, "backlog": b}); r.num("backlog") != b {
			t.Errorf("listen(%d) result %v, want backlog %d", b, r, b)
		}
	}
}

// TestResumeOutsideLog: resume after a seq the session never had (beyond
// its last, or negative) is a bad request; after its last seq it replays
// nothing.
func TestResumeOutsideLog(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	c.must("encoding", obj{"encoding": "utf-8"})
	for _, after := range []int{c.last() + 5, c.last() + 2, -1} {
		r := c.do("resume", obj{"after": after})
		checkError(t, r, errWant{typ: "bad_request", exception: "ValueError", contains: []string{fmt.Sprintf("resume after %d", after), "from 1 to"}})
		if r.num("replayed") != 0 || r["snapshot"] != nil {
			t.Errorf("failed resume carries result fields: %v", r)
		}
	}
	// The last seq seen is fine: the result is the very next message.
	last := c.last()
	r := c.must("resume", obj{"after": last})
	if r.num("replayed") != 0 || r.num("seq") != last+1 {
		t.Errorf("resume after the last seq %d: %v, want replayed 0 at seq %d", last, r, last+1)
	}
}

// TestSlowReaderGetsTryAgainLater: a page that stops reading while its
// session sends it more than it can hold is closed with 1013 (try again
// later), whether its queue overflows or the writer waits writeWait (10 s)
// in vain for room in the kernel. The close frame comes after every whole
// frame it had not read yet, even when it reads again only after the server
// has given up on the connection; it then resumes on a new connection
// without losing a message.
func TestSlowReaderGetsTryAgainLater(t *testing.T) {
	for _, tc := range []struct {
		name     string
		overflow bool // flood until the queue overflows, or only until the writer is stuck
	}{
		{"queue overflows", true},
		{"writer waits writeWait", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			slowReader(t, tc.overflow)
		})
	}
}

// slowReader is a TestSlowReaderGetsTryAgainLater case.
//
// The slow page has a tiny receive buffer. A second page of the session,
// which keeps up, makes the flood: batches of requests whose results carry
// a 3 KB echo each. The test knows how much is enough without watching the
// clock: the kernel holds at most the server's largest send buffer
// (tcp_wmem) and the page's receive buffer unread, the writer at most one
// frame (512 messages), the queue 4,096 messages plus one batch. Then the
// test waits until the server has ended the connection, and only then does
// the slow page read again.
func slowReader(t *testing.T, overflow bool) {
	// The byte bounds are raised out of the way: the log must hold the whole
	// flood for the resume, and the queue is bounded by its message count.
	srv := newServer(t, sessions.Config{LogBytes: 64 << 20, QueueBytes: 64 << 20})
	fast := srv.dial(t)

	const rcvbuf = 4096
	d := websocket.Dialer{Jar: srv.jar, NetDialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf) })
		return err
	}}).DialContext}
	slow, _, err := d.Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	var seen []msg // what the slow page read
	readSlow := func() error {
		_, frame, err := slow.ReadMessage()
		if err != nil {
			return err
		}
		var ms []msg
		if frame[0] != '[' {
			frame = []byte("[" + string(frame) + "]")
		}
		if err := json.Unmarshal(frame, &ms); err != nil {
			t.Fatalf("slow page: bad frame: %v", err)
		}
		seen = append(seen, ms...)
		return nil
	}
	if err := readSlow(); err != nil || seen[0].str("kind") != "hello" {
		t.Fatalf("slow page's first message %v, %v; want a hello", seen, err)
	}
	if err := slow.WriteJSON(obj{"id": 1, "op": "resume", "after": seen[0].num("last_seq")}); err != nil {
		t.Fatal(err)
	}
	for len(seen) < 2 || seen[len(seen)-1].str("op") != "resume" {
		if err := readSlow(); err != nil {
			t.Fatalf("slow page, before the flood: %v", err)
		}
	}
	// From here on the slow page reads nothing.

	wmem, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(wmem))
	maxSndbuf, _ := strconv.Atoi(fields[len(fields)-1])
	const perBatch, pad, queue = 100, 3000, 4096
	inKernel := (maxSndbuf + 2*rcvbuf + pad - 1) / pad // each message is larger than pad
	stuck := inKernel + 512 + perBatch                 // the writer waits with messages queued
	enough := stuck
	if overflow {
		enough += queue + perBatch
	} else if stuck >= queue {
		t.Fatalf("tcp_wmem %d: %d messages would fill the kernel, more than the queue holds", maxSndbuf, stuck)
	}
	padding := strings.Repeat("x", pad)
	id := 1000
	for logged := 0; logged < enough; logged += perBatch {
		frame := batchOf(perBatch, id, func(id int) string {
			return fmt.Sprintf(`{"id":%d,"op":"encoding","encoding":"utf-8","pad":%q}`, id, padding)
		})
		id += perBatch
		fast.raw(frame)
		fast.wait("result", id-1)
	}
	fast.drop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := srv.web.Wait(ctx); err != nil {
		t.Fatalf("the server still serves the slow page: %v", err)
	}

	// Now the slow page reads: everything the kernel kept for it, then the
	// close frame.
	var closeErr *websocket.CloseError
	for {
		err := readSlow()
		if err == nil {
			continue
		}
		if !errors.As(err, &closeErr) {
			t.Fatalf("slow page's connection ended with %v after %d messages, want a close frame", err, len(seen))
		}
		break
	}
	if closeErr.Code != websocket.CloseTryAgainLater || !strings.HasPrefix(closeErr.Text, "too slow") {
		t.Errorf("slow page closed with %d %q, want %d \"too slow…\"", closeErr.Code, closeErr.Text, websocket.CloseTryAgainLater)
	}
	for i := 2; i < len(seen); i++ {
		if seen[i].num("seq") != seen[i-1].num("seq")+1 {
			t.Fatalf("slow page read seq %d after %d", seen[i].num("seq"), seen[i-1].num("seq"))
		}
	}

	// The page comes back and resumes where it stopped.
	last := seen[len(seen)-1].num("seq")
	back := srv.dial(t)
	if back.hello["resumed"] != true {
		t.Fatalf("reconnected hello %v, want the same session, resumed", back.hello)
	}
	ms := back.resume(last)
	res := ms[len(ms)-1]
	if !res.ok() || res.num("replayed") != back.hello.num("last_seq")-last || res["snapshot"] != false {
		t.Errorf("resume after %d: %v, want every message since replayed (last_seq %d)", last, res, back.hello.num("last_seq"))
	}
}
