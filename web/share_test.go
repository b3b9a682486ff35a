package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/progress"
	"sockplay/templates/examples"
	"sockplay/web"
)

// shareClock is a clock a test moves by hand.
type shareClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *shareClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *shareClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// shareServer is a server with a real store in a temporary directory,
// whose share limit runs on a clock that stands still unless the test
// moves it. With trustProxy it takes the client from X-Forwarded-For.
func shareServer(t *testing.T, burst int, trustProxy bool) (*testServer, *shareClock) {
	t.Helper()
	return shareServerWith(t, sessions.Config{}, burst, trustProxy)
}

// shareServerWith is shareServer whose sessions have cfg.
func shareServerWith(t *testing.T, cfg sessions.Config, burst int, trustProxy bool) (*testServer, *shareClock) {
	t.Helper()
	store, err := progress.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := &shareClock{now: progressT0}
	srv := newServer(t, cfg, web.WithProgress(store),
		web.WithGuard(web.Guard{TrustProxy: trustProxy}),
		web.WithShareLimit(web.ShareLimit{Every: 6 * time.Second, Burst: burst, Now: clock.Now}))
	return srv, clock
}

// httpDo sends one request with headers (name, value pairs) and returns the
// status, headers and body.
func httpDo(t *testing.T, method, url, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// share posts {code, name} as the editor does and returns the status and
// the decoded answer.
func share(t *testing.T, srv *testServer, code, name string, headers ...string) (int, map[string]string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"code": code, "name": name})
	status, _, resp := httpDo(t, http.MethodPost, srv.URL+"/share", string(body), append([]string{"Content-Type", "application/json"}, headers...)...)
	var out map[string]string
	if err := json.Unmarshal([]byte(resp), &out); err != nil {
		t.Fatalf("POST /share answered %d %q: not JSON", status, resp)
	}
	return status, out
}

var shareIDForm = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// TestShareLink shares a program and opens its link: the page holds the
// code (escaped, so markup in it stays text) in the editor and its name.
func TestShareLink(t *testing.T) {
	srv, _ := shareServer(t, 10, false)
	code := "import socket\nprint('<b>你好</b> & bye')\n"
	status, got := share(t, srv, code, "server.py")
	if status != http.StatusCreated || !shareIDForm.MatchString(got["id"]) || got["url"] != "/p/"+got["id"] {
		t.Fatalf("POST /share: %d %v, want 201 with an id of 26 base32 characters and url /p/ID", status, got)
	}
	status2, got2 := share(t, srv, code, "server.py")
	if status2 != http.StatusCreated || got2["id"] == got["id"] {
		t.Errorf("the same program shared twice: %d %v, want a second, different id", status2, got2)
	}
	status, _, page := httpDo(t, http.MethodGet, srv.URL+got["url"], "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", got["url"], status)
	}
	for _, want := range []string{
		`data-name="server.py"`,
		`data-shared="` + got["id"] + `"`,
		">" + html.EscapeString(code) + "</textarea>",
		`id="program-run"`,
		`<pre class="editor-lines" id="editor-lines" aria-hidden="true">1` + "\n2</pre>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of %s lacks %q", got["url"], want)
		}
	}
	if strings.Contains(page, "<b>你好</b>") {
		t.Error("the code's markup reached the page unescaped")
	}
}

// TestShareRefused: bad requests get a clear error and store nothing;
// links that name nothing are a 404 page.
func TestShareRefused(t *testing.T) {
	srv, _ := shareServer(t, 100, false)
	exact := strings.Repeat("x", progress.MaxShare)
	if status, got := share(t, srv, exact, "big.py"); status != http.StatusCreated {
		t.Errorf("a program of exactly %d bytes: %d %v, want 201", progress.MaxShare, status, got)
	}
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		want   string
	}{
		{"too large", mustJSON(map[string]string{"code": exact + "x", "name": "a.py"}), nil, http.StatusRequestEntityTooLarge, "at most 65536 bytes; this one is 65537 bytes"},
		{"huge body", `{"code":"` + strings.Repeat(`\u0041`, progress.MaxShare+1000) + `"}`, nil, http.StatusRequestEntityTooLarge, "too large to share"},
		{"not JSON", `code=1`, nil, http.StatusBadRequest, "must be JSON"},
		{"unknown field", `{"code":"x","lang":"py"}`, nil, http.StatusBadRequest, "must be JSON"},
		{"empty", `{"code":"","name":"a.py"}`, nil, http.StatusBadRequest, "empty"},
		{"bad name", `{"code":"x","name":"../../etc/passwd"}`, nil, http.StatusBadRequest, "not a file name"},
		{"cross origin", `{"code":"x"}`, []string{"Origin", "http://evil.example"}, http.StatusForbidden, "cross-origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := httpDo(t, http.MethodPost, srv.URL+"/share", tc.body, tc.header...)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			if status != tc.status || !strings.Contains(e.Error, tc.want) {
				t.Errorf("%d %q, want %d with an error saying %q", status, body, tc.status, tc.want)
			}
		})
	}
	for _, path := range []string{"/p/" + strings.Repeat("A", 26), "/p/nothing", "/p/%2e%2e"} {
		status, _, page := httpDo(t, http.MethodGet, srv.URL+path, "")
		if status != http.StatusNotFound || !strings.Contains(page, "There is no shared program at this address.") {
			t.Errorf("GET %s: %d, want the 404 page", path, status)
		}
	}
	// The server lives on.
	if status, _ := share(t, srv, "print(1)\n", "ok.py"); status != http.StatusCreated {
		t.Errorf("a good share after the bad ones: %d", status)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestShareRateLimit: a client may share Burst programs at once, then one
// per Every; other clients have buckets of their own.
func TestShareRateLimit(t *testing.T) {
	srv, clock := shareServer(t, 3, true)
	alice := []string{"X-Forwarded-For", "203.0.113.7"}
	for i := range 3 {
		if status, got := share(t, srv, "print(1)\n", "a.py", alice...); status != http.StatusCreated {
			t.Fatalf("share %d of the burst: %d %v", i+1, status, got)
		}
	}
	body := mustJSON(map[string]string{"code": "print(1)\n"})
	status, h, resp := httpDo(t, http.MethodPost, srv.URL+"/share", body, alice...)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "6" || !strings.Contains(resp, "try again in 6 s") {
		t.Errorf("the fourth share: %d, Retry-After %q, %s; want 429, 6 and a sentence", status, h.Get("Retry-After"), resp)
	}
	if status, got := share(t, srv, "print(2)\n", "b.py", "X-Forwarded-For", "198.51.100.1"); status != http.StatusCreated {
		t.Errorf("another client while the first is limited: %d %v", status, got)
	}
	clock.add(6 * time.Second)
	if status, got := share(t, srv, "print(3)\n", "a.py", alice...); status != http.StatusCreated {
		t.Errorf("after Every: %d %v, want one more share", status, got)
	}
	if status, _ := share(t, srv, "print(4)\n", "a.py", alice...); status != http.StatusTooManyRequests {
		t.Errorf("a second share after Every: %d, want 429", status)
	}
}

// TestShareNoStore: without a data directory nothing is shared, and the
// answers say why.
func TestShareNoStore(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	status, got := share(t, srv, "print(1)\n", "a.py")
	if status != http.StatusNotFound || !strings.Contains(got["error"], "data directory") {
		t.Errorf("POST /share without a store: %d %v", status, got)
	}
	if status, _, _ := httpDo(t, http.MethodGet, srv.URL+"/p/"+strings.Repeat("A", 26), ""); status != http.StatusNotFound {
		t.Errorf("GET /p/ID without a store: %d", status)
	}
	status, _, page := httpDo(t, http.MethodGet, srv.URL+"/examples/udp-echo/server.py", "")
	if status != http.StatusOK || !strings.Contains(page, `id="program-share" class="secondary" disabled`) {
		t.Errorf("an example without a store: %d, want its page with Share disabled", status)
	}
}

// TestExamplePages: /examples lists every program of every example, and
// each link opens it in the editor with its header's fields.
func TestExamplePages(t *testing.T) {
	srv, _ := shareServer(t, 10, false)
	xs, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	status, _, index := httpDo(t, http.MethodGet, srv.URL+"/examples", "")
	if status != http.StatusOK {
		t.Fatalf("GET /examples: %d", status)
	}
	for _, x := range xs {
		for _, p := range x.Programs {
			url := "/examples/" + x.Slug + "/" + p.Name
			if !strings.Contains(index, `href="`+url+`"`) {
				t.Errorf("/examples has no link to %s", url)
			}
			status, _, page := httpDo(t, http.MethodGet, srv.URL+url, "")
			if status != http.StatusOK || !strings.Contains(page, ">"+html.EscapeString(p.Code)+"</textarea>") ||
				!strings.Contains(page, html.EscapeString(p.Expect)) || !strings.Contains(page, `id="program-share" class="secondary">`) {
				t.Errorf("GET %s: %d, want the editor with its code, what to expect and Share", url, status)
			}
		}
	}
	for _, path := range []string{"/examples/udp-echo/nope.py", "/examples/nope/server.py"} {
		if status, _, page := httpDo(t, http.MethodGet, srv.URL+path, ""); status != http.StatusNotFound || !strings.Contains(page, "There is no example program") {
			t.Errorf("GET %s: %d, want the 404 page", path, status)
		}
	}
}
