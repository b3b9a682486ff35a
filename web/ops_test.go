package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// plain is a client that neither asks for nor undoes compression, so the
// test sees the bytes as sent.
var plain = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// fetch makes a request with the given Accept-Encoding ("" for none) and
// returns the response with its body read.
func fetch(t *testing.T, method, u, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("broken gzip: %v", err)
	}
	return out
}

// assetRE finds a stylesheet's versioned URL in a page.
var assetRE = regexp.MustCompile(`href="(/static/[0-9a-f]+/css/site\.css)"`)

// TestGzip: pages and static files are gzipped for a client that accepts
// it and un-gzip to what an identity request gets; static files keep their
// caching headers; a small answer (/healthz) is sent as it is.
func TestGzip(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	resp, identity := fetch(t, "GET", srv.URL+"/workbench", "")
	if resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(identity), "<!doctype html>") {
		t.Fatalf("/workbench without Accept-Encoding: Content-Encoding %q, body %.80q", resp.Header.Get("Content-Encoding"), identity)
	}
	resp, zipped := fetch(t, "GET", srv.URL+"/workbench", "gzip, deflate, br")
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("/workbench with Accept-Encoding gzip: Content-Encoding %q, want gzip", got)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q, want Accept-Encoding in it", resp.Header.Get("Vary"))
	}
	if page := gunzip(t, zipped); !bytes.Equal(page, identity) {
		t.Errorf("gunzipped page (%d bytes) differs from the identity page (%d bytes)", len(page), len(identity))
	}
	if len(zipped) >= len(identity) {
		t.Errorf("gzip %d bytes, identity %d: nothing gained", len(zipped), len(identity))
	}

	m := assetRE.FindSubmatch(identity)
	if m == nil {
		t.Fatal("no site.css link in the workbench page")
	}
	resp, css := fetch(t, "GET", srv.URL+string(m[1]), "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("site.css: %d, headers %v; want gzip, text/css and immutable caching", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(string(gunzip(t, css)), ":root") {
		t.Error("site.css does not un-gzip to the stylesheet")
	}

	resp, health := fetch(t, "GET", srv.URL+"/healthz", "gzip")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(health), `"status":"ok"`) {
		t.Errorf("/healthz: %d, Content-Encoding %q, body %q; want 200 and plain JSON", resp.StatusCode, resp.Header.Get("Content-Encoding"), health)
	}
	// Not even through the middleware (which marks what it saw with Vary):
	// a probe's answer costs no gzip writer.
	if v := resp.Header.Get("Vary"); strings.Contains(v, "Accept-Encoding") {
		t.Errorf("/healthz: Vary %q: the gzip middleware handled it", v)
	}
}

// TestWebSocketNotCompressed: a client that offers gzip still upgrades,
// the 101 carries no Content-Encoding, and the protocol works through it.
func TestWebSocketNotCompressed(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c, resp, err := srv.dialHeader(t, http.Header{"Accept-Encoding": {"gzip"}})
	if err != nil {
		t.Fatalf("dial with Accept-Encoding gzip: %v (response %v)", err, resp)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("upgrade response Content-Encoding %q, want none", ce)
	}
	s := c.socket("SOCK_DGRAM")
	addr := c.bind(s, "127.0.0.1", 0)
	c.must("sendto", map[string]any{"sock": s, "data": map[string]any{"text": "through"}, "addr": addr})
	if got := c.must("recvfrom", map[string]any{"sock": s, "bufsize": 64}).obj("data").str("text"); got != "through" {
		t.Errorf("recvfrom: %q, want %q", got, "through")
	}
}

// rawHead sends HEAD path over a bare connection and returns the status
// line, the headers and whatever bytes followed them.
func rawHead(t *testing.T, base, path, acceptEncoding string) (int, http.Header, []byte) {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "HEAD " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n"
	if acceptEncoding != "" {
		req += "Accept-Encoding: " + acceptEncoding + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(conn) // the server closes after its answer
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("HEAD %s: no end of headers in %q", path, all)
	}
	br := bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...)))
	resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
	if err != nil {
		t.Fatalf("HEAD %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header, rest
}

// TestHead: HEAD on every kind of GET route answers as the GET does —
// status, Content-Type, Content-Encoding, and a Content-Length equal to
// the GET's body — with no body at all (read off the bare connection).
func TestHead(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	_, page := fetch(t, "GET", srv.URL+"/", "")
	css := assetRE.FindSubmatch(page)
	if css == nil {
		t.Fatal("no site.css link on /")
	}
	paths := []string{"/", "/workbench", "/lessons", "/lessons/" + ls[0].Slug, "/exercises", "/protocol",
		"/healthz", "/favicon.ico", string(css[1]), "/lessons/no-such-lesson", "/no/such/page", "/protocol.md"}
	for _, path := range paths {
		for _, enc := range []string{"", "gzip"} {
			t.Run(path+" "+enc, func(t *testing.T) {
				get, body := fetch(t, "GET", srv.URL+path, enc)
				status, h, rest := rawHead(t, srv.URL, path, enc)
				if status != get.StatusCode {
					t.Errorf("status %d, GET's %d", status, get.StatusCode)
				}
				for _, k := range []string{"Content-Type", "Content-Encoding", "Cache-Control"} {
					if h.Get(k) != get.Header.Get(k) {
						t.Errorf("%s %q, GET's %q", k, h.Get(k), get.Header.Get(k))
					}
				}
				if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %q, GET's body is %d bytes", cl, len(body))
				}
				if len(rest) != 0 {
					t.Errorf("HEAD sent a body of %d bytes: %.60q", len(rest), rest)
				}
			})
		}
	}
	if status, _, _ := rawHead(t, srv.URL, "/progress/import", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD on a POST-only route: %d, want 405", status)
	}
}

// TestFavicon: /favicon.ico and /favicon.svg answer the SVG icon, and every
// page links it.
func TestFavicon(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	for _, path := range []string{"/favicon.ico", "/favicon.svg"} {
		resp, b := fetch(t, "GET", srv.URL+path, "")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !bytes.HasPrefix(b, []byte("<svg ")) {
			t.Errorf("%s: %d %q %.40q; want 200, image/svg+xml and an <svg>", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	_, page := fetch(t, "GET", srv.URL+"/workbench", "")
	m := regexp.MustCompile(`<link rel="icon" type="image/svg\+xml" href="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("the workbench page links no icon")
	}
	if resp, b := fetch(t, "GET", srv.URL+string(m[1]), ""); resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("<svg ")) {
		t.Errorf("the linked icon %s: %d %.40q", m[1], resp.StatusCode, b)
	}
}

// BenchmarkHealthz is one /healthz answer to a client that accepts gzip
// (as Go's HTTP client and every load balancer's probe does), served by
// the whole middleware chain.
func BenchmarkHealthz(b *testing.B) {
	srv := newServer(b, sessions.Config{})
	req := httptest.NewRequest("GET", srv.URL+"/healthz", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.web.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("/healthz: %d", w.Code)
		}
	}
}
