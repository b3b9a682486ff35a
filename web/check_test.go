package web_test

import (
	"bytes"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sockets/exercises"
)

// checkMsgs returns the check messages seen so far for request id.
func (c *client) checkMsgs(id int) []msg {
	return c.find(func(m msg) bool { return m.str("kind") == "check" && m.num("id") == id })
}

// checkEvent returns the first check message of request id with event
// (seen so far, or coming).
func (c *client) checkEvent(id int, event string) msg {
	c.t.Helper()
	ok := func(m msg) bool { return m.str("kind") == "check" && m.num("id") == id && m.str("event") == event }
	if ms := c.find(ok); len(ms) > 0 {
		return ms[0]
	}
	for {
		if m := c.next(); ok(m) {
			return m
		}
	}
}

// failedStep returns a check result's failed step, failing the test when
// there is none.
func failedStep(t *testing.T, r msg) msg {
	t.Helper()
	f := r.obj("failed")
	if f == nil {
		t.Fatalf("check result has no failed step: %v", r)
	}
	return f
}

// verdicts records what Config.OnCheck is called with (who the learner
// is, the web side's business, is not checked here).
type verdicts struct {
	mu  sync.Mutex
	got []struct {
		learner string
		v       exercises.Verdict
	}
}

func (vs *verdicts) record(learner string, v exercises.Verdict) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.got = append(vs.got, struct {
		learner string
		v       exercises.Verdict
	}{learner, v})
}

func (vs *verdicts) all() []string {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	var out []string
	for _, g := range vs.got {
		out = append(out, g.v.Exercise+" "+strconv.FormatBool(g.v.Pass))
	}
	return out
}

// TestCheckUDPUpperWorkbench: the learner's udp-upper server is a page
// socket that the test drives by hand, as fast as a script would: recvfrom,
// then sendto(data.upper(), addr), three times. The check waits, reports
// each step and call as check messages, and passes.
func TestCheckUDPUpperWorkbench(t *testing.T) {
	var vs verdicts
	srv := newServer(t, sessions.Config{OnCheck: vs.record})
	c := srv.dial(t)
	u := c.socket("SOCK_DGRAM")
	ua := c.bind(u, "127.0.0.1", 0)

	id := c.send("check", obj{"exercise": "udp-upper", "target": ua})
	w := c.waitingOrResult(id)
	if w.str("kind") != "waiting" || w.str("op") != "check" {
		t.Fatalf("first message for the check: %v, want waiting", w)
	}
	if _, ok := w["sock"]; ok {
		t.Errorf("waiting for a check has sock %v; a check has no socket", w["sock"])
	}
	for i := 0; i < 3; i++ {
		got := c.must("recvfrom", obj{"sock": u, "bufsize": 2048})
		data := []byte(got.obj("data").str("text"))
		c.must("sendto", obj{"sock": u, "data": text(string(bytes.ToUpper(data))), "addr": got.addr("addr")})
	}
	r := c.wait("result", id)
	if !r.ok() || r["pass"] != true {
		t.Fatalf("check result %v, want ok and pass", r)
	}
	if r.str("exercise") != "udp-upper" || r.str("summary") != "3/3 datagrams answered" || r["failed"] != nil ||
		!reflect.DeepEqual(r.addr("addr"), ua) {
		t.Errorf("check result %v, want exercise udp-upper, summary 3/3 datagrams answered, failed null, addr %v", r, ua)
	}
	if !strings.HasPrefix(r.str("verdict"), "PASS udp-upper: 3/3 datagrams answered\n") {
		t.Errorf("verdict %q, want it to start PASS udp-upper: …", r.str("verdict"))
	}
	steps, _ := r["steps"].([]any)
	if len(steps) != 3 {
		t.Fatalf("%d steps, want 3: %v", len(steps), r["steps"])
	}
	for i, s := range steps {
		st := msg(s.(map[string]any))
		if st.num("n") != i+1 || st.str("name") != "datagram "+strconv.Itoa(i+1) || st["pass"] != true ||
			!strings.HasPrefix(st.str("did"), "sendto(b'") || st.str("expected") == "" || st.str("received") == "" {
			t.Errorf("step %d: %v", i+1, st)
		}
	}

	// The events: for each step a step, calls, and its step_done, in order.
	var events []string
	for _, m := range c.checkMsgs(id) {
		if m.str("exercise") != "udp-upper" || m.str("text") == "" {
			t.Errorf("check message %v, want exercise udp-upper and a text", m)
		}
		events = append(events, m.str("event")+" "+strconv.Itoa(m.num("n")))
		if m.str("event") == "step_done" && m.obj("step").str("name") != m.str("text") {
			t.Errorf("step_done %v: step.name and text differ", m)
		}
	}
	want := []string{
		"step 1", "call 1", "call 1", "step_done 1",
		"step 2", "call 2", "call 2", "step_done 2",
		"step 3", "call 3", "call 3", "step_done 3",
	}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("check events %v, want %v", events, want)
	}
	if got := vs.all(); !reflect.DeepEqual(got, []string{"udp-upper true"}) {
		t.Errorf("OnCheck got %v, want one passed udp-upper", got)
	}
}

// TestCheckWithPeers: a tcp-echo peer passes the tcp-echo exercise; a
// udp-echo peer fails udp-upper at its first step, with the advice for a
// server that echoes unchanged. The peers' side shows as peer messages.
func TestCheckWithPeers(t *testing.T) {
	var vs verdicts
	srv := newServer(t, sessions.Config{OnCheck: vs.record})
	c := srv.dial(t)

	tcp := c.must("spawn", obj{"peer": "tcp-echo"}).addr("addr")
	r := c.do("check", obj{"exercise": "tcp-echo", "target": tcp})
	if !r.ok() || r["pass"] != true || r.str("summary") != "2 connections, 4 messages echoed" {
		t.Fatalf("tcp-echo peer: %v\n%s", r, r.str("verdict"))
	}
	if steps, _ := r["steps"].([]any); len(steps) != 4 {
		t.Errorf("%d steps, want 4", len(steps))
	}
	// The peer logs from its own goroutines: its messages may come after
	// the check's result.
	accepted := func(m msg) bool { return m.str("kind") == "peer" && m.str("event") == "accepted" }
	for len(c.find(accepted)) < 2 {
		c.next() // the checker connected twice; fails after 10 s without a message
	}

	udp := c.must("spawn", obj{"peer": "udp-echo"}).addr("addr")
	r = c.do("check", obj{"exercise": "udp-upper", "target": udp})
	if !r.ok() || r["pass"] != false {
		t.Fatalf("udp-echo peer against udp-upper: %v, want ok and pass false", r)
	}
	f := failedStep(t, r)
	if f.num("n") != 1 || f.str("name") != "datagram 1" || f["pass"] != false ||
		f.str("advice") != "your server sent the datagram back unchanged: reply with data.upper()" {
		t.Errorf("failed step %v, want step 1, datagram 1, the advice for an unchanged echo", f)
	}
	if !strings.Contains(f.str("received"), "b'Hello, UDP! ") || !strings.Contains(f.str("expected"), "b'HELLO, UDP! ") {
		t.Errorf("failed step received %q, expected %q: want the datagram as sent and upper-cased", f.str("received"), f.str("expected"))
	}
	if !strings.HasPrefix(r.str("verdict"), "FAIL udp-upper at step 1 (datagram 1): ") {
		t.Errorf("verdict %q", r.str("verdict"))
	}
	done := c.checkEvent(r.num("id"), "step_done")
	if done.obj("step")["pass"] != false || done.num("n") != 1 {
		t.Errorf("step_done %v, want step 1 failed", done)
	}

	if got := vs.all(); !reflect.DeepEqual(got, []string{"tcp-echo true", "udp-upper false"}) {
		t.Errorf("OnCheck got %v", got)
	}
}

// TestCheckPython: Python programs as the learner's: a tcp-echo server
// that stops after its first client fails at step 4, the second
// connection; a correct tcp-client passes against a checker listening on
// port 0, started once the check message says where it listens.
func TestCheckPython(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	script := func(name string) string {
		b, err := os.ReadFile("../sockets/exercises/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("tcp-echo once", func(t *testing.T) {
		defer c.use(t)()
		py := startPython(t, script("tcp_echo_once.py"))
		r := c.do("check", obj{"exercise": "tcp-echo", "target": []any{"localhost", py.port()}})
		if !r.ok() || r["pass"] != false {
			t.Fatalf("check: %v, want a failed verdict", r)
		}
		if f := failedStep(t, r); f.num("n") != 4 || f.str("name") != "second connection" ||
			!strings.Contains(f.str("received"), "Connection") {
			// Refused, or reset when the connection came just before the
			// program closed its listener.
			t.Errorf("failed step %v, want step 4, second connection, refused or reset", f)
		}
		if got := r.addr("addr"); len(got) != 2 || got[0] != "127.0.0.1" {
			t.Errorf("result addr %v, want localhost written as 127.0.0.1", got)
		}
	})

	t.Run("tcp-client", func(t *testing.T) {
		defer c.use(t)()
		id := c.send("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}})
		l := c.checkEvent(id, "listening")
		la := l.addr("addr")
		if len(la) != 2 || la[0] != "127.0.0.1" || port(la) <= 0 || l.num("n") != 1 || !strings.Contains(l.str("text"), strconv.Itoa(port(la))) {
			t.Fatalf("listening message %v, want 127.0.0.1 with the real port, step 1", l)
		}
		py := startPython(t, script("tcp_client_ok.py"), strconv.Itoa(port(la)))
		r := c.wait("result", id)
		py.wait()
		if !r.ok() || r["pass"] != true || !strings.HasPrefix(r.str("summary"), "HELLO Ada, ") {
			t.Fatalf("check: %v\n%s", r, r.str("verdict"))
		}
		if !reflect.DeepEqual(r.addr("addr"), la) {
			t.Errorf("result addr %v, want where the checker listened, %v", r.addr("addr"), la)
		}
	})
}

// TestCheckClientWorkbench: the learner's tcp-client is built from page
// sockets: connect to where the checker listens, greet, read the number,
// answer twice it, close.
func TestCheckClientWorkbench(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	id := c.send("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}})
	la := c.checkEvent(id, "listening").addr("addr")

	k := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": k, "addr": la})
	c.must("sendall", obj{"sock": k, "data": text("HELLO 页面\n")})
	var number string
	for !strings.HasSuffix(number, "\n") {
		got := c.must("recv", obj{"sock": k, "bufsize": 64}).obj("data")
		if got.num("size") == 0 {
			t.Fatalf("the checker closed before its number came (%q)", number)
		}
		number += got.str("text")
	}
	n, err := strconv.Atoi(strings.TrimSpace(number))
	if err != nil {
		t.Fatalf("the checker sent %q, not a number", number)
	}
	c.must("sendall", obj{"sock": k, "data": text(strconv.Itoa(2*n) + "\n")})
	c.must("close", obj{"sock": k})
	r := c.wait("result", id)
	if !r.ok() || r["pass"] != true {
		t.Fatalf("check: %v\n%s", r, r.str("verdict"))
	}
	if want := "HELLO 页面, " + strconv.Itoa(n) + " → " + strconv.Itoa(2*n) + ", then closed"; r.str("summary") != want {
		t.Errorf("summary %q, want %q", r.str("summary"), want)
	}
}

// TestCheckBadRequests: an unknown exercise, the wrong address argument
// for the exercise's role, bad addresses and time limits are refused at
// once, with no waiting; addresses the policy refuses are policy errors.
func TestCheckBadRequests(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	tests := []struct {
		name string
		args obj
		want errWant
	}{
		{"no exercise", obj{"target": []any{"127.0.0.1", 9000}},
			errWant{typ: "bad_request", contains: []string{"check needs exercise", "udp-upper", "tcp-client"}}},
		{"unknown exercise", obj{"exercise": "nope", "target": []any{"127.0.0.1", 9000}},
			errWant{typ: "bad_request", contains: []string{`no exercise "nope"`, "tcp-echo"}}},
		{"server role with listen", obj{"exercise": "udp-upper", "listen": []any{"127.0.0.1", 9000}},
			errWant{typ: "bad_request", contains: []string{"udp-upper checks your server", "target"}}},
		{"server role with both", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 9000}, "listen": []any{"127.0.0.1", 9000}},
			errWant{typ: "bad_request", contains: []string{"udp-upper checks your server"}}},
		{"server role without target", obj{"exercise": "tcp-echo"},
			errWant{typ: "bad_request", contains: []string{"tcp-echo checks your server"}}},
		{"client role with target", obj{"exercise": "tcp-client", "target": []any{"127.0.0.1", 9000}},
			errWant{typ: "bad_request", contains: []string{"tcp-client checks your client", "listen"}}},
		{"client role without listen", obj{"exercise": "tcp-client", "listen": nil},
			errWant{typ: "bad_request", contains: []string{"tcp-client checks your client"}}},
		{"target not an address", obj{"exercise": "udp-upper", "target": "127.0.0.1:9000"},
			errWant{typ: "bad_request", exception: "TypeError", contains: []string{"[host, port]"}}},
		{"target port 0", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 0}},
			errWant{typ: "bad_request", exception: "OverflowError", contains: []string{"1 to 65535"}}},
		{"listen port too big", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 70000}},
			errWant{typ: "bad_request", exception: "OverflowError", contains: []string{"0 (any free port) to 65535"}}},
		{"target wildcard", obj{"exercise": "udp-upper", "target": []any{"", 9000}},
			errWant{typ: "bad_request", contains: []string{"must be an address"}}},
		{"timeout 0", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 9000}, "timeout": 0},
			errWant{typ: "bad_request", contains: []string{"at most 600"}}},
		{"timeout too long", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 9000}, "timeout": 601},
			errWant{typ: "bad_request", contains: []string{"at most 600"}}},
		{"host name", obj{"exercise": "udp-upper", "target": []any{"example.com", 9000}},
			errWant{typ: "policy", contains: []string{"resolves no host names"}}},
		{"target off loopback", obj{"exercise": "tcp-echo", "target": []any{"10.0.0.1", 9000}},
			errWant{typ: "policy", contains: []string{"connects and sends only to loopback"}}},
		{"listen on a privileged port", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 80}},
			errWant{typ: "policy", contains: []string{"1024-65535"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer c.use(t)()
			id := c.send("check", tt.args)
			r := c.waitingOrResult(id)
			if r.str("kind") != "result" {
				t.Fatalf("got %v, want a result at once", r)
			}
			checkError(t, r, tt.want)
			if _, ok := r["pass"]; ok {
				t.Errorf("a refused check has verdict fields: %v", r)
			}
		})
	}
}

// TestCheckCancel: cancel ends a check that waits for a client: its result
// is a cancelled error that still lists the steps so far; OnCheck is not
// called for it. While it ran it counted as a socket towards the limit.
func TestCheckCancel(t *testing.T) {
	var vs verdicts
	srv := newServer(t, sessions.Config{MaxSockets: 2, OnCheck: vs.record})
	c := srv.dial(t)
	c.socket("SOCK_DGRAM")
	id := c.send("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}})
	c.checkEvent(id, "listening")

	checkError(t, c.do("socket", obj{"type": "SOCK_STREAM"}), errWant{typ: "limit", contains: []string{"at most 2 open sockets"}})
	checkError(t, c.do("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}}),
		errWant{typ: "limit", contains: []string{"a running check counts as one"}})
	checkError(t, c.do("spawn", obj{"peer": "udp-echo"}), errWant{typ: "limit"})

	if r := c.do("cancel", obj{"target": id}); !r.ok() {
		t.Fatalf("cancel: %v", r)
	}
	r := c.wait("result", id)
	checkError(t, r, errWant{typ: "cancelled", message: "cancelled"})
	if r["pass"] != false || r.str("exercise") != "tcp-client" {
		t.Errorf("cancelled check result %v, want pass false and the exercise", r)
	}
	f := failedStep(t, r)
	if f.num("n") != 1 || f.str("name") != "connection" || !strings.Contains(f.str("received"), "cancelled") {
		t.Errorf("failed step %v, want step 1 (connection) and the cancel", f)
	}
	c.must("socket", obj{"type": "SOCK_STREAM"}) // the check's place is free again
	if got := vs.all(); len(got) != 0 {
		t.Errorf("OnCheck called for a cancelled check: %v", got)
	}
}

// TestCheckTimeLimit: a client-role check whose time limit runs out fails
// its first step (a verdict, not an error).
func TestCheckTimeLimit(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	r := c.do("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}, "timeout": 1})
	if !r.ok() || r["pass"] != false {
		t.Fatalf("check: %v, want a failed verdict", r)
	}
	if f := failedStep(t, r); f.str("received") != "no connection came within 1 s" {
		t.Errorf("failed step %v, want no connection within 1 s", f)
	}
}

// TestCheckSessionClose: closing the session ends a running check; the
// session closes without waiting for the check's time limit.
func TestCheckSessionClose(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	id := c.send("check", obj{"exercise": "tcp-client", "listen": []any{"127.0.0.1", 0}})
	c.checkEvent(id, "listening")
	start := time.Now()
	srv.manager.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closing took %v with a check running", d)
	}
	code, ms := c.closed()
	for _, m := range ms {
		if m.str("kind") == "result" && m.num("id") == id {
			t.Errorf("a result after the session ended: %v", m)
		}
	}
	if code != 1001 {
		t.Errorf("close code %d, want 1001", code)
	}
}
