package web_test

import (
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
	resp, body := fetch(t, "GET", srv.URL+"/p/nosuchprogram", "")
	if resp.StatusCode != 404 {
		t.Errorf("/p/nosuchprogram: %d %s", resp.StatusCode, body)
	}
}
