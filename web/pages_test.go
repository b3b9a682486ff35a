package web_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"sockplay/sessions"
)

// TestProtocolPage: /protocol is the protocol document as an HTML page,
// /protocol.md the Markdown itself, byte for byte.
func TestProtocolPage(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := fetch(t, "GET", srv.URL+"/protocol", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/protocol: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<h1", "sockplay WebSocket protocol v1", "<h2", "Messages from the server", `href="/protocol.md"`, "<table"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/protocol has no %q", want)
		}
	}
	if strings.Contains(string(body), "\n## Messages") {
		t.Error("/protocol shows Markdown headings unrendered")
	}
	resp, body = fetch(t, "GET", srv.URL+"/protocol.md", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || string(body) != string(doc) {
		t.Errorf("/protocol.md: %d %q, %d bytes (PROTOCOL.md has %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(doc))
	}
}

// TestNotFoundIsHTML: an address no route answers gets an HTML page with
// links, not Echo's JSON; an API answer keeps its JSON.
func TestNotFoundIsHTML(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	for _, path := range []string{"/no/such/page", "/lesson", "/static/v0/none.css"} {
		resp, body := fetch(t, "GET", srv.URL+path, "")
		if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		for _, want := range []string{"<!doctype html>", `href="/lessons"`, `href="/workbench"`, "Not found"} {
			if !strings.Contains(strings.ToLower(string(body)), strings.ToLower(want)) {
				t.Errorf("%s: no %q in the page", path, want)
			}
		}
	}
	resp, body := fetch(t, "GET", srv.URL+"/no/such/page?lang=zh", "")
	if resp.StatusCode != 404 || !strings.Contains(string(body), "页面不存在") || !strings.Contains(string(body), `lang="zh-CN"`) {
		t.Errorf("/no/such/page?lang=zh: %d, want the Chinese 404 page", resp.StatusCode)
	}
	resp, body = fetch(t, "GET", srv.URL+"/p/nosuchprogram", "")
	if resp.StatusCode != 404 {
		t.Errorf("/p/nosuchprogram: %d %s", resp.StatusCode, body)
	}
}

// TestNewSession: POST /session/new ends the cookie's session (its page gets
// the bye, its sockets close) and the next connection starts a fresh one.
func TestNewSession(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	if r := c.must("socket", map[string]any{"family": "AF_INET", "type": "SOCK_DGRAM"}); r.str("sock") != "s1" {
		t.Fatalf("first socket %q, want s1", r.str("sock"))
	}
	c.must("socket", map[string]any{"family": "AF_INET", "type": "SOCK_DGRAM"})
	hc := &http.Client{Jar: srv.jar}
	resp, err := hc.Post(srv.URL+"/session/new", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /session/new: %d", resp.StatusCode)
	}
	_, ms := c.closed()
	bye := false
	for _, m := range ms {
		bye = bye || m.str("kind") == "bye" && strings.Contains(m.str("reason"), "new session")
	}
	if !bye {
		t.Errorf("the old page got no bye naming the new session: %v", ms)
	}
	fresh := srv.dial(t)
	if r := fresh.must("socket", map[string]any{"family": "AF_INET", "type": "SOCK_DGRAM"}); r.str("sock") != "s1" {
		t.Errorf("the new connection's first socket is %q: it joined the old session, want a fresh one (s1)", r.str("sock"))
	}
	// Cross-origin posts are refused and end nothing.
	req, _ := http.NewRequest("POST", srv.URL+"/session/new", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST /session/new: %d, want 403", resp.StatusCode)
	}
	fresh.must("getsockname", map[string]any{"sock": "s1"})
}
