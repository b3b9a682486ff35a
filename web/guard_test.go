package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"sockplay/sessions"
	"sockplay/sockets"
	"sockplay/web"
)

// get sends GET path to srv with Host host and returns the status and body.
func get(t *testing.T, srv *testServer, host, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dialFresh opens a WebSocket with no cookie (a new session each time) and
// the given headers; on a refused handshake it returns the response.
func dialFresh(t *testing.T, srv *testServer, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(srv.wsURL(), h)
	if err == nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestHostAllowlist: a request naming another Host (a DNS-rebinding page:
// evil.example resolving to 127.0.0.1) is answered 421 and gets no session,
// pages and /ws alike; the loopback names and --host names are served.
func TestHostAllowlist(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithGuard(web.Guard{Hosts: []string{"class.example"}}))
	port := srv.Listener.Addr().String()
	port = port[strings.LastIndex(port, ":")+1:]

	for _, host := range []string{"evil.example:" + port, "evil.example", "class.example.evil:" + port} {
		for _, path := range []string{"/", "/workbench", "/lessons", "/static/x/app.css", "/ws"} {
			code, text := get(t, srv, host, path)
			if code != http.StatusMisdirectedRequest || !strings.Contains(text, "--host") || strings.Count(text, "\n") != 1 {
				t.Errorf("GET %s with Host %s: %d %q, want 421 with one line naming --host", path, host, code, text)
			}
		}
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		if _, resp, err := dialFresh(t, srv, h); err == nil || resp == nil || resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("upgrade with Host %s: %v %v, want 421", host, err, resp)
		}
	}
	if n := srv.manager.Len(); n != 0 {
		t.Fatalf("%d sessions after the refused requests, want 0", n)
	}

	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LocalHost.:" + port, "class.example:" + port, "class.example"} {
		for _, path := range []string{"/", "/workbench", "/healthz"} {
			if code, text := get(t, srv, host, path); code != http.StatusOK {
				t.Errorf("GET %s with Host %s: %d %q, want 200", path, host, code, text)
			}
		}
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		conn, resp, err := dialFresh(t, srv, h)
		if err != nil {
			t.Errorf("upgrade with Host %s: %v %v", host, err, resp)
			continue
		}
		var hello map[string]any
		if err := conn.ReadJSON(&hello); err != nil || hello["kind"] != "hello" {
			t.Errorf("Host %s: first message %v %v, want a hello", host, hello, err)
		}
	}
}

// TestOriginMatch: the Origin must have the server's scheme, host and port;
// with a public URL (behind a TLS proxy) it must be that URL's.
func TestOriginMatch(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	host := strings.TrimPrefix(srv.URL, "http://")
	pub := newServer(t, sessions.Config{}, web.WithGuard(web.Guard{PublicURL: &url.URL{Scheme: "https", Host: "class.example"}}))
	for _, tc := range []struct {
		name   string
		srv    *testServer
		host   string // "" keeps the URL's
		origin string
		want   int // 0: the upgrade succeeds
	}{
		{"same origin", srv, "", "http://" + host, 0},
		{"scheme mismatch", srv, "", "https://" + host, http.StatusForbidden},
		{"port mismatch", srv, "", "http://" + host[:strings.LastIndex(host, ":")] + ":1", http.StatusForbidden},
		{"default port", srv, "", "http://" + host[:strings.LastIndex(host, ":")], http.StatusForbidden},
		{"public URL", pub, "class.example", "https://class.example", 0},
		{"public URL, explicit port", pub, "class.example", "https://class.example:443", 0},
		{"public URL, scheme mismatch", pub, "class.example", "http://class.example", http.StatusForbidden},
		{"public URL, port mismatch", pub, "class.example", "https://class.example:8443", http.StatusForbidden},
		{"public URL, local origin", pub, "", "http://" + strings.TrimPrefix(pub.URL, "http://"), http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Origin": {tc.origin}}
			if tc.host != "" {
				h.Set("Host", tc.host)
			}
			_, resp, err := dialFresh(t, tc.srv, h)
			switch {
			case tc.want == 0 && err != nil:
				t.Fatalf("upgrade with Origin %s: %v", tc.origin, err)
			case tc.want != 0 && (err == nil || resp == nil || resp.StatusCode != tc.want):
				t.Fatalf("upgrade with Origin %s: %v %v, want HTTP %d", tc.origin, err, resp, tc.want)
			}
		})
	}
}

// TestServerAddressOffLimits: a playground socket may not connect or send
// to sockplay's own HTTP address, nor point a check at it; another port of
// the same address is the policy's business as usual.
func TestServerAddressOffLimits(t *testing.T) {
	policy := &sockets.Policy{Wildcard: true}
	m := sessions.NewManager(sessions.Config{Policy: policy})
	ts := httptest.NewUnstartedServer(web.New(m))
	policy.Server = netip.MustParseAddrPort(ts.Listener.Addr().String())
	ts.Start()
	jar, _ := cookiejar.New(nil)
	t.Cleanup(func() { m.Close(); ts.Close() })
	srv := &testServer{Server: ts, manager: m, jar: jar}
	self := []any{"127.0.0.1", int(policy.Server.Port())}

	c := srv.dial(t)
	tcp, udp := c.socket("SOCK_STREAM"), c.socket("SOCK_DGRAM")
	for _, tc := range []struct {
		op   string
		args obj
	}{
		{"connect", obj{"sock": tcp, "addr": self}},
		{"sendto", obj{"sock": udp, "data": text("GET /healthz HTTP/1.0\r\n\r\n"), "addr": self}},
		{"connect", obj{"sock": udp, "addr": []any{"localhost", self[1]}}},
		{"check", obj{"exercise": "udp-upper", "target": self}},
	} {
		r := c.do(tc.op, tc.args)
		if e := r.obj("error"); r.ok() || e.str("type") != "policy" || !strings.Contains(e.str("message"), "sockplay's own address") {
			t.Errorf("%s to the server's own address: %v, want a policy error naming it", tc.op, r)
		}
	}
	other := c.do("connect", obj{"sock": tcp, "addr": []any{"127.0.0.1", 1}})
	if e := other.obj("error"); e.str("type") != "os" {
		t.Errorf("connect to another port: %v, want the kernel's answer", other)
	}
}

// TestSessionLimit: past --max-sessions a new session's upgrade is answered
// 503 with Retry-After and a sentence, and a plain GET of /ws says why; a
// page that has a session still joins it, and /healthz answers.
func TestSessionLimit(t *testing.T) {
	srv := newServer(t, sessions.Config{MaxSessions: 2})
	first := srv.dial(t) // with the jar: its cookie is kept
	if _, _, err := dialFresh(t, srv, nil); err != nil {
		t.Fatalf("second session: %v", err)
	}
	_, resp, err := dialFresh(t, srv, nil)
	if err == nil || resp == nil {
		t.Fatalf("third session: %v, want a refused upgrade", err)
	}
	if text := body(resp); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "60" ||
		!strings.Contains(text, "the server is full, try again in a minute") {
		t.Fatalf("third session: %d Retry-After %q %q, want 503, 60 and the reason", resp.StatusCode, resp.Header.Get("Retry-After"), text)
	}

	resp, err = http.Get(srv.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Admitted   bool   `json:"admitted"`
		Reason     string `json:"reason"`
		Message    string `json:"message"`
		RetryAfter int    `json:"retry_after"`
	}
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || a.Admitted || a.Reason != "full" || a.RetryAfter != 60 || !strings.Contains(a.Message, "the server is full") {
		t.Errorf("GET /ws when full: %d %+v, want 503 and the reason", resp.StatusCode, a)
	}

	if code, text := get(t, srv, strings.TrimPrefix(srv.URL, "http://"), "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz when full: %d %s", code, text)
	}
	first.conn.Close()
	again := srv.dial(t) // the cookie names a live session: no new one is needed
	if again.hello.str("session") != first.hello.str("session") {
		t.Errorf("rejoin when full: session %q, want %q", again.hello.str("session"), first.hello.str("session"))
	}
}

// TestPageServerFull: a page that cannot get a session says so (a browser's
// WebSocket cannot see the 503; the page asks GET /ws).
func TestPageServerFull(t *testing.T) {
	srv := newServer(t, sessions.Config{MaxSessions: 1})
	if _, _, err := dialFresh(t, srv, nil); err != nil {
		t.Fatal(err)
	}
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the workbench on a full server",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="refused"]`)),
	)
	if got := eval[string](p, `document.getElementById('status').textContent`); !strings.Contains(got, "the server is full, try again in a minute") {
		t.Errorf("status %q, want it to say the server is full", got)
	}
	p.shot("full")
}

// TestForwardedForNeedsTrust: without TrustProxy an X-Forwarded-For header
// is not the client's address (anyone can send one); with it, the last
// entry is, and the per-client limit counts it.
func TestForwardedForNeedsTrust(t *testing.T) {
	h := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	plain := newServer(t, sessions.Config{MaxPerClient: 1})
	for i := range 2 {
		if _, resp, err := dialFresh(t, plain, h); err != nil {
			t.Fatalf("session %d from loopback with a forged X-Forwarded-For: %v %v", i+1, err, resp)
		}
	}
	trusting := newServer(t, sessions.Config{MaxPerClient: 1}, web.WithGuard(web.Guard{TrustProxy: true}))
	if _, resp, err := dialFresh(t, trusting, h); err != nil {
		t.Fatalf("first session of 203.0.113.7: %v %v", err, resp)
	}
	_, resp, err := dialFresh(t, trusting, h)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second session of 203.0.113.7 behind a trusted proxy: %v %v, want 503 with Retry-After", err, resp)
	}
	if text := body(resp); !strings.Contains(text, "too many sessions from one address") {
		t.Errorf("refusal %q, want the reason", text)
	}
}
