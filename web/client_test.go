package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
	"sockplay/sockets"
	"sockplay/web"
)

// msg is one server message, decoded loosely.
type msg map[string]any

func (m msg) str(k string) string { s, _ := m[k].(string); return s }
func (m msg) num(k string) int    { f, _ := m[k].(float64); return int(f) }
func (m msg) ok() bool            { b, _ := m["ok"].(bool); return b }
func (m msg) obj(k string) msg    { o, _ := m[k].(map[string]any); return msg(o) }
func (m msg) addr(k string) []any { a, _ := m[k].([]any); return a }

// dataHex returns the hex of a result's data.
func (m msg) dataHex() string { return m.obj("data").str("hex") }

// testServer is a real sockplay server on an httptest listener.
type testServer struct {
	*httptest.Server
	web     *web.Server
	manager *sessions.Manager
	jar     *cookiejar.Jar
	dials   atomic.Int64 // connections made, to give each its own range of ids
}

func newServer(t testing.TB, cfg sessions.Config, opts ...web.Option) *testServer {
	t.Helper()
	if cfg.Policy == nil {
		cfg.Policy = &sockets.Policy{Wildcard: true}
	}
	m := sessions.NewManager(cfg)
	ws := web.New(m, opts...)
	srv := httptest.NewServer(ws)
	jar, _ := cookiejar.New(nil)
	t.Cleanup(func() { m.Close(); srv.Close() })
	return &testServer{Server: srv, web: ws, manager: m, jar: jar}
}

func (s *testServer) wsURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// client is a real WebSocket client speaking the protocol. It checks that
// seq never skips.
type client struct {
	t      testing.TB
	conn   *websocket.Conn
	resp   *http.Response
	msgs   chan msg
	nextID int

	mu        sync.Mutex
	lastSeq   int
	hello     msg
	closeCode int
	seen      []msg // every message next returned, in order
}

// dial connects with the server's cookie jar (so it rejoins its session).
func (s *testServer) dial(t testing.TB) *client {
	t.Helper()
	c, _, err := s.dialHeader(t, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// dialHeader connects with extra request headers. On a failed handshake it
// returns the HTTP response (if any) and the error.
func (s *testServer) dialHeader(t testing.TB, h http.Header) (*client, *http.Response, error) {
	t.Helper()
	return s.dialURL(t, s.wsURL(), s.jar, h)
}

// dialURL connects to the WebSocket at u with jar's cookies (its own
// session, for a jar of its own) and extra request headers.
func (s *testServer) dialURL(t testing.TB, u string, jar http.CookieJar, h http.Header) (*client, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Jar: jar, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(u, h)
	if err != nil {
		return nil, resp, err
	}
	// Each connection numbers its requests from its own base (100, 10100,
	// 20100, …) so that one page's ids are never taken for another's.
	base := 100 + 10000*int(s.dials.Add(1)-1)
	c := &client{t: t, conn: conn, resp: resp, msgs: make(chan msg, 10000), nextID: base, lastSeq: -1}
	go c.read(t)
	t.Cleanup(func() { conn.Close() })
	hello := c.next()
	if hello.str("kind") != "hello" {
		t.Fatalf("first message kind %q, want hello", hello.str("kind"))
	}
	c.hello = hello
	return c, resp, nil
}

// read runs on its own goroutine; t is the test that dialed.
func (c *client) read(t testing.TB) {
	defer close(c.msgs)
	for {
		_, frame, err := c.conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				c.mu.Lock()
				c.closeCode = ce.Code
				c.mu.Unlock()
			}
			return
		}
		var batch []msg
		if len(frame) > 0 && frame[0] == '[' {
			if err := json.Unmarshal(frame, &batch); err != nil {
				t.Errorf("bad frame %s: %v", frame, err)
				return
			}
		} else {
			var m msg
			if err := json.Unmarshal(frame, &m); err != nil {
				t.Errorf("bad frame %s: %v", frame, err)
				return
			}
			batch = []msg{m}
		}
		for _, m := range batch {
			c.msgs <- m
		}
	}
}

// next returns the next message, checking seq continuity for logged ones.
func (c *client) next() msg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a message")
		}
		c.check(m)
		return m
	case <-time.After(10 * time.Second):
		c.mu.Lock()
		last := c.seen[max(0, len(c.seen)-6):]
		c.mu.Unlock()
		c.t.Fatalf("no message within 10s; the last ones seen: %v", last)
	}
	return nil
}

// check records m and checks that its seq follows the last one: a resumed
// hello and a snapshot set the position, everything else must be the next
// seq. Before the first message (lastSeq -1) any seq goes.
func (c *client) check(m msg) {
	c.t.Helper()
	seq := m.num("seq")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, m)
	switch {
	case m.str("kind") == "hello" && m["resumed"] == true, m.str("kind") == "snapshot":
	case c.lastSeq >= 0 && seq != c.lastSeq+1:
		c.t.Errorf("seq %d after %d: gap or repeat (%v)", seq, c.lastSeq, m)
	}
	c.lastSeq = seq
}

// use makes the client report to t (a subtest) until the returned func runs:
//
//	defer c.use(t)()
func (c *client) use(t testing.TB) func() {
	old := c.t
	c.t = t
	return func() { c.t = old }
}

// send sends a request and returns its id.
func (c *client) send(op string, args map[string]any) int {
	c.t.Helper()
	c.nextID++
	c.sendID(c.nextID, op, args)
	return c.nextID
}

// sendID sends a request with the given id (which may repeat an earlier one).
func (c *client) sendID(id any, op string, args map[string]any) {
	c.t.Helper()
	req := map[string]any{"id": id, "op": op}
	for k, v := range args {
		req[k] = v
	}
	if err := c.conn.WriteJSON(req); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// raw sends a frame as is.
func (c *client) raw(frame string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// wait returns the message of kind for request id, skipping others.
func (c *client) wait(kind string, id int) msg {
	c.t.Helper()
	ms := c.until(kind, id)
	return ms[len(ms)-1]
}

// until returns every message up to and including the next one of kind for
// request id (any id if id < 0).
func (c *client) until(kind string, id int) []msg {
	c.t.Helper()
	var ms []msg
	for {
		m := c.next()
		ms = append(ms, m)
		if m.str("kind") == kind && (id < 0 || m.num("id") == id && m["id"] != nil) {
			return ms
		}
	}
}

// waitingOrResult returns the first waiting or result message for request
// id: whether it had to wait, or finished at once.
func (c *client) waitingOrResult(id int) msg {
	c.t.Helper()
	for {
		m := c.next()
		if k := m.str("kind"); (k == "waiting" || k == "result") && m["id"] != nil && m.num("id") == id {
			return m
		}
	}
}

// resume sends resume {after} and returns every message up to its result.
// The replay starts right after seq after, so the seq check starts there.
func (c *client) resume(after int) []msg {
	c.t.Helper()
	c.mu.Lock()
	c.lastSeq = after
	c.mu.Unlock()
	return c.until("result", c.send("resume", map[string]any{"after": after}))
}

// last returns the last seq this client has seen.
func (c *client) last() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// drop closes the TCP connection under the WebSocket without a close frame,
// as a crashed tab or a lost network would.
func (c *client) drop() {
	c.conn.UnderlyingConn().Close()
	for range c.msgs { // let the reader end
	}
}

// closed reads until the server closes the connection and returns the close
// frame's status code (0 if there was none). Messages on the way are
// returned too.
func (c *client) closed() (int, []msg) {
	c.t.Helper()
	var ms []msg
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.closeCode, ms
			}
			c.check(m)
			ms = append(ms, m)
		case <-timeout:
			c.t.Fatalf("connection still open after 10s")
		}
	}
}

// forget empties the history find searches.
func (c *client) forget() {
	c.mu.Lock()
	c.seen = nil
	c.mu.Unlock()
}

// find returns the messages seen so far that match.
func (c *client) find(match func(msg) bool) []msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []msg
	for _, m := range c.seen {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// do sends a request and returns its result.
func (c *client) do(op string, args map[string]any) msg {
	c.t.Helper()
	return c.wait("result", c.send(op, args))
}

// must is do, failing the test unless the result is ok.
func (c *client) must(op string, args map[string]any) msg {
	c.t.Helper()
	r := c.do(op, args)
	if !r.ok() {
		c.t.Fatalf("%s %v: %v", op, args, r["error"])
	}
	return r
}

func (c *client) socket(typ string) string {
	c.t.Helper()
	return c.must("socket", map[string]any{"family": "AF_INET", "type": typ}).str("sock")
}

func (c *client) bind(sock string, host string, port int) []any {
	c.t.Helper()
	return c.must("bind", map[string]any{"sock": sock, "addr": []any{host, port}}).addr("addr")
}

func text(s string) map[string]any { return map[string]any{"text": s} }

// obj is a request's arguments or an expected JSON object.
type obj = map[string]any

// results waits until a result has arrived for every one of ids and returns
// them by id (the first result for each id).
func (c *client) results(ids ...int) map[int]msg {
	c.t.Helper()
	got := map[int]msg{}
	want := map[int]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(got) < len(want) {
		m := c.next()
		if id := m.num("id"); m.str("kind") == "result" && m["id"] != nil && want[id] && got[id] == nil {
			got[id] = m
		}
	}
	return got
}

// socketMsg returns the first socket message for handle that matches (nil
// matches any), looking at the messages seen so far, then waiting for more.
func (c *client) socketMsg(handle string, match func(msg) bool) msg {
	c.t.Helper()
	ok := func(m msg) bool {
		return m.str("kind") == "socket" && m.str("sock") == handle && (match == nil || match(m))
	}
	if ms := c.find(ok); len(ms) > 0 {
		return ms[0]
	}
	for {
		if m := c.next(); ok(m) {
			return m
		}
	}
}

// states returns the state of every socket message seen for handle, in order.
func (c *client) states(handle string) []string {
	var out []string
	for _, m := range c.find(func(m msg) bool { return m.str("kind") == "socket" && m.str("sock") == handle }) {
		out = append(out, m.str("state"))
	}
	return out
}

// port returns the port of an address as the protocol writes it.
func port(a []any) int {
	if len(a) < 2 {
		return -1
	}
	f, _ := a[1].(float64)
	return int(f)
}

// wantAddr is an address as it arrives from the server (JSON numbers are
// float64), for comparing with reflect.DeepEqual.
func wantAddr(host string, port int) []any { return []any{host, float64(port)} }

// errWant is what a failed result's error must hold. Fields left empty must
// be absent, except message, which is checked only when set; contains lists
// pieces the message must have.
type errWant struct {
	typ, errno string
	code       int
	exception  string
	message    string
	contains   []string
}

// checkError fails the test unless r is a failed result with exactly w's
// error fields and a hint where the protocol promises one.
func checkError(t testing.TB, r msg, w errWant) {
	t.Helper()
	if r.ok() || r["ok"] != false {
		t.Errorf("%s: ok %v, want false (%v)", r.str("op"), r["ok"], r)
		return
	}
	e := r.obj("error")
	if got := e.str("type"); got != w.typ {
		t.Errorf("%s: error.type %q, want %q (%v)", r.str("op"), got, w.typ, e)
	}
	if got := e.str("errno"); got != w.errno {
		t.Errorf("%s: error.errno %q, want %q", r.str("op"), got, w.errno)
	}
	if got := e.num("code"); got != w.code {
		t.Errorf("%s: error.code %d, want %d", r.str("op"), got, w.code)
	}
	if got := e.str("exception"); got != w.exception {
		t.Errorf("%s: error.exception %q, want %q (%v)", r.str("op"), got, w.exception, e)
	}
	if w.message != "" && e.str("message") != w.message {
		t.Errorf("%s: error.message %q, want %q", r.str("op"), e.str("message"), w.message)
	}
	for _, part := range w.contains {
		if !strings.Contains(e.str("message"), part) {
			t.Errorf("%s: error.message %q, want it to contain %q", r.str("op"), e.str("message"), part)
		}
	}
	if e.str("message") == "" {
		t.Errorf("%s: error.message is empty", r.str("op"))
	}
	if (w.typ == "os" || w.typ == "timeout" || w.typ == "policy" || w.typ == "limit") && e.str("hint") == "" {
		t.Errorf("%s: error.hint is empty for a %s error", r.str("op"), w.typ)
	}
}

// checkData fails the test unless a received data object is exactly want.
func checkData(t testing.TB, r msg, want obj) {
	t.Helper()
	got := map[string]any(r.obj("data"))
	w := map[string]any{}
	for k, v := range want {
		w[k] = v
	}
	if _, ok := w["size"]; ok {
		w["size"] = float64(w["size"].(int))
	}
	if inv, ok := w["invalid"].([]obj); ok {
		var l []any
		for _, i := range inv {
			o := map[string]any{}
			for k, v := range i {
				if n, isInt := v.(int); isInt {
					v = float64(n)
				}
				o[k] = v
			}
			l = append(l, o)
		}
		w["invalid"] = l
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("%s data\n got %v\nwant %v", r.str("op"), got, w)
	}
}
