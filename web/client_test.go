package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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

// dataText returns the hex of a result's data.
func (m msg) dataHex() string { return m.obj("data").str("hex") }

// testServer is a real sockplay server on an httptest listener.
type testServer struct {
	*httptest.Server
	manager *sessions.Manager
	jar     *cookiejar.Jar
}

func newServer(t *testing.T, cfg sessions.Config) *testServer {
	t.Helper()
	if cfg.Policy == nil {
		cfg.Policy = &sockets.Policy{Wildcard: true}
	}
	m := sessions.NewManager(cfg)
	srv := httptest.NewServer(web.New(m))
	jar, _ := cookiejar.New(nil)
	t.Cleanup(func() { m.Close(); srv.Close() })
	return &testServer{Server: srv, manager: m, jar: jar}
}

func (s *testServer) wsURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws" }

// client is a real WebSocket client speaking the protocol. It checks that
// seq never skips.
type client struct {
	t      *testing.T
	conn   *websocket.Conn
	resp   *http.Response
	msgs   chan msg
	nextID int

	mu        sync.Mutex
	lastSeq   int
	hello     msg
	closeCode int
}

// dial connects with the server's cookie jar (so it rejoins its session).
func (s *testServer) dial(t *testing.T) *client {
	t.Helper()
	d := websocket.Dialer{Jar: s.jar, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(s.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &client{t: t, conn: conn, resp: resp, msgs: make(chan msg, 10000), nextID: 100}
	go c.read()
	t.Cleanup(func() { conn.Close() })
	h := c.next()
	if h.str("kind") != "hello" {
		t.Fatalf("first message kind %q, want hello", h.str("kind"))
	}
	c.hello = h
	return c
}

func (c *client) read() {
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
				c.t.Errorf("bad frame %s: %v", frame, err)
				return
			}
		} else {
			var m msg
			if err := json.Unmarshal(frame, &m); err != nil {
				c.t.Errorf("bad frame %s: %v", frame, err)
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
		seq := m.num("seq")
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case m.str("kind") == "hello" && m["resumed"] == true, m.str("kind") == "snapshot":
			c.lastSeq = seq
		case c.lastSeq != 0 && seq != c.lastSeq+1:
			c.t.Errorf("seq %d after %d: gap or repeat (%v)", seq, c.lastSeq, m)
			c.lastSeq = seq
		default:
			c.lastSeq = seq
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no message within 10s")
	}
	return nil
}

// send sends a request and returns its id.
func (c *client) send(op string, args map[string]any) int {
	c.t.Helper()
	c.nextID++
	req := map[string]any{"id": c.nextID, "op": op}
	for k, v := range args {
		req[k] = v
	}
	if err := c.conn.WriteJSON(req); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return c.nextID
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
	for {
		m := c.next()
		if m.str("kind") == kind && (id < 0 || m.num("id") == id && m["id"] != nil) {
			return m
		}
	}
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

var _ = url.Parse
