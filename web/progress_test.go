package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/progress"
	"sockplay/web"
)

// progressT0 is the progress store's clock in these tests.
var progressT0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// progressServer is a server with the runner-fixture lesson (its cells run
// in the session's kernel) and a real
// progress store in a temporary directory, whose clock stands still at
// progressT0; exercise checks are recorded in it.
func progressServer(t *testing.T) (*testServer, *progress.Store) {
	t.Helper()
	store, err := progress.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store.Now = func() time.Time { return progressT0 }
	t.Cleanup(func() { store.Close() }) // after the server's cleanup, which runs first
	var mu sync.Mutex
	kernel, wire := kernelConfig(t) // for the fixture's cells on a page
	srv := newServer(t, sessions.Config{OnCheck: store.CheckHook(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("OnCheck: %v", err)
	}), Programs: kernel.Programs, Channel: kernel.Channel}, web.WithLessons(fixtureLessons(t)), web.WithProgress(store))
	wire(srv)
	return srv, store
}

// visitor is a browser: an HTTP client with the server's cookie jar, so
// its WebSocket (srv.dial) carries the same cookies.
type visitor struct {
	t   *testing.T
	srv *testServer
	c   *http.Client
}

func newVisitor(t *testing.T, srv *testServer) *visitor {
	return &visitor{t: t, srv: srv, c: &http.Client{Jar: srv.jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request; origin "" sends no Origin header.
func (v *visitor) do(method, path, ctype string, body []byte, origin string) (*http.Response, string) {
	v.t.Helper()
	req, err := http.NewRequest(method, v.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (v *visitor) get(path string) (*http.Response, string) {
	v.t.Helper()
	return v.do(http.MethodGet, path, "", nil, "")
}

// postStep posts a step report as the lesson page does, from the page's
// own origin.
func (v *visitor) postStep(body string) (*http.Response, string) {
	v.t.Helper()
	return v.do(http.MethodPost, "/progress/steps", "application/json", []byte(body), v.srv.URL)
}

// learner is the visitor's learner cookie ("" if it has none).
func (v *visitor) learner() string {
	u, _ := url.Parse(v.srv.URL)
	for _, ck := range v.srv.jar.Cookies(u) {
		if ck.Name == "sockplay_learner" {
			return ck.Value
		}
	}
	return ""
}

func (v *visitor) progress(store *progress.Store) progress.Progress {
	v.t.Helper()
	id := v.learner()
	if id == "" {
		v.t.Fatal("the visitor has no learner cookie")
	}
	p, err := store.Progress(context.Background(), id)
	if err != nil {
		v.t.Fatal(err)
	}
	return p
}

func learnerSetCookie(resp *http.Response) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == "sockplay_learner" {
			return ck
		}
	}
	return nil
}

// jsonErr is the "error" of a JSON error body.
func jsonErr(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not a JSON error", body)
	}
	return e.Error
}

func TestProgressLearnerCookie(t *testing.T) {
	srv, _ := progressServer(t)
	v := newVisitor(t, srv)

	resp, _ := v.get("/lessons")
	ck := learnerSetCookie(resp)
	if ck == nil {
		t.Fatalf("GET /lessons set no learner cookie (Set-Cookie: %q)", resp.Header.Values("Set-Cookie"))
	}
	if len(ck.Value) < 16 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
		ck.MaxAge < 364*24*3600 || ck.MaxAge > 366*24*3600 {
		t.Errorf("learner cookie %+v: want a random value, HttpOnly, SameSite=Lax, Path=/, Max-Age one year", ck)
	}
	first := v.learner()

	// It stays the same (and is kept alive) on the next page.
	resp, _ = v.get("/")
	if ck := learnerSetCookie(resp); ck == nil || ck.Value != first {
		t.Errorf("second page view: learner cookie %v, want %q again", ck, first)
	}
	// It is not the session cookie: the WebSocket's session has another id.
	c := srv.dial(t)
	if c.hello.str("session") == first {
		t.Error("the session id is the learner id")
	}
	// Static files, the health check and the protocol get none.
	for _, path := range []string{"/healthz", "/protocol"} {
		resp, _ := newVisitor(t, newServerLike(t, srv)).get(path)
		if ck := learnerSetCookie(resp); ck != nil {
			t.Errorf("GET %s set a learner cookie", path)
		}
	}
	// Another browser gets another learner.
	other := newVisitor(t, newServerLike(t, srv))
	other.get("/lessons/runner-fixture")
	if id := other.learner(); id == "" || id == first {
		t.Errorf("a second browser's learner %q, want a new one (the first is %q)", id, first)
	}
	// A cookie that is not a learner id is replaced.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/lessons", nil)
	req.AddCookie(&http.Cookie{Name: "sockplay_learner", Value: "too-short"})
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if ck := learnerSetCookie(resp2); ck == nil || len(ck.Value) < 16 {
		t.Errorf("a bad learner cookie was not replaced: %v", ck)
	}
}

// newServerLike is the same server with a fresh cookie jar: another browser.
func newServerLike(t *testing.T, srv *testServer) *testServer {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: srv.Server, manager: srv.manager, jar: jar}
}

func TestProgressNoStore(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithLessons(fixtureLessons(t)))
	v := newVisitor(t, srv)
	resp, body := v.get("/progress")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-saved="false"`) || !strings.Contains(body, "does not save progress") {
		t.Errorf("/progress without a store: %d, want a page that says progress is not saved", resp.StatusCode)
	}
	if learnerSetCookie(resp) != nil {
		t.Error("a server that saves nothing set a learner cookie")
	}
	resp, body = v.get("/lessons/runner-fixture")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<script id="lesson-progress" type="application/json">{"url":"","passed":[]}`) {
		t.Errorf("lesson page without a store: %d, want a lesson-progress script with no url", resp.StatusCode)
	}
	if resp, _ := v.get("/lessons"); resp.StatusCode != http.StatusOK {
		t.Errorf("/lessons: %d", resp.StatusCode)
	}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/progress/steps", `{"lesson":"runner-fixture","step":"udp","ok":true}`},
		{http.MethodGet, "/progress/export", ""},
		{http.MethodPost, "/progress/import", `{}`},
	} {
		resp, body := v.do(tc.method, tc.path, "application/json", []byte(tc.body), "")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(jsonErr(t, body), "not saved") {
			t.Errorf("%s %s without a store: %d %s, want 404 saying progress is not saved", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}

func TestProgressSteps(t *testing.T) {
	srv, store := progressServer(t)
	v := newVisitor(t, srv)
	v.get("/lessons/runner-fixture")

	resp, body := v.postStep(`{"lesson":"runner-fixture","step":"udp","ok":true}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST a passed step: %d %s", resp.StatusCode, body)
	}
	v.postStep(`{"lesson":"runner-fixture","step":"listen","ok":false}`)
	v.postStep(`{"lesson":"runner-fixture","step":"udp","ok":false}`)
	l := v.progress(store).Lesson("runner-fixture")
	if !l.Passed("udp") || l.Passed("listen") || len(l.Steps) != 2 || l.Steps[1].Runs != 2 || l.Steps[1].LastOK {
		t.Errorf("steps stored: %+v, want udp passed (2 runs, the last failed) and listen run but not passed", l.Steps)
	}

	for _, tc := range []struct {
		name, ctype, body string
		origin            string
		code              int
		want              string
	}{
		{"not JSON", "application/json", `lesson=x`, srv.URL, 400, "must be JSON"},
		{"unknown field", "application/json", `{"lesson":"runner-fixture","step":"udp","ok":true,"x":1}`, srv.URL, 400, "unknown field"},
		{"no ok", "application/json", `{"lesson":"runner-fixture","step":"udp"}`, srv.URL, 400, "required"},
		{"ok not a bool", "application/json", `{"lesson":"runner-fixture","step":"udp","ok":"yes"}`, srv.URL, 400, "must be JSON"},
		{"no such lesson", "application/json", `{"lesson":"nope","step":"udp","ok":true}`, srv.URL, 400, `no lesson "nope"`},
		{"no such step", "application/json", `{"lesson":"runner-fixture","step":"nope","ok":true}`, srv.URL, 400, `no step "nope"`},
		{"too large", "application/json", `{"lesson":"` + strings.Repeat("x", 70<<10) + `"}`, srv.URL, 413, "too large"},
		{"cross-origin", "application/json", `{"lesson":"runner-fixture","step":"in-use","ok":true}`, "http://evil.example", 403, "cross-origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := v.do(http.MethodPost, "/progress/steps", tc.ctype, []byte(tc.body), tc.origin)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.code)
			}
			if got := jsonErr(t, body); !strings.Contains(got, tc.want) {
				t.Errorf("error %q, want it to mention %q", got, tc.want)
			}
		})
	}
	if l := v.progress(store).Lesson("runner-fixture"); l.Passed("in-use") {
		t.Error("the cross-origin report was recorded")
	}
	// A script (no Origin) may report too.
	if resp, body := v.do(http.MethodPost, "/progress/steps", "application/json", []byte(`{"lesson":"runner-fixture","step":"in-use","ok":true}`), ""); resp.StatusCode != 200 {
		t.Errorf("POST without Origin: %d %s", resp.StatusCode, body)
	}
}

func TestProgressLessonRead(t *testing.T) {
	srv, store := progressServer(t)
	v := newVisitor(t, srv)
	_, body := v.get("/lessons")
	if strings.Contains(body, "data-read-mark") || !strings.Contains(body, `data-progress>5 cells</span>`) {
		t.Errorf("the index before anything was read shows progress")
	}
	if len(v.progress(store).Lessons) != 0 {
		t.Fatal("viewing the index recorded a lesson")
	}
	if resp, _ := v.get("/lessons/runner-fixture"); resp.StatusCode != http.StatusOK {
		t.Fatalf("lesson page: %d", resp.StatusCode)
	}
	l := v.progress(store).Lesson("runner-fixture")
	if !l.Read() || !l.FirstRead.Equal(progressT0) {
		t.Fatalf("lesson read %v at %v, want read at %v", l.Read(), l.FirstRead, progressT0)
	}
	v.get("/lessons/no-such-lesson")
	if n := len(v.progress(store).Lessons); n != 1 {
		t.Errorf("%d lessons recorded, want 1 (a 404 is not a lesson read)", n)
	}

	// The index and the lesson page show what the database holds.
	v.postStep(`{"lesson":"runner-fixture","step":"udp","ok":true}`)
	_, body = v.get("/lessons")
	for _, want := range []string{
		`data-lesson="runner-fixture" data-steps="udp in-use listen connect talk" data-passed="udp" data-read="true" data-done="false"`,
		`data-read-mark`,
		`data-progress>1 of 5 cells passed</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the index lacks %q", want)
		}
	}
	_, body = v.get("/lessons/runner-fixture")
	if want := `<script id="lesson-progress" type="application/json">{"url":"/progress/steps","passed":["udp"]}`; !strings.Contains(body, want) {
		t.Errorf("the lesson page lacks %s", want)
	}
	for _, step := range []string{"in-use", "listen", "connect", "talk"} {
		v.postStep(`{"lesson":"runner-fixture","step":"` + step + `","ok":true}`)
	}
	if _, body = v.get("/lessons"); !strings.Contains(body, `data-done="true"`) || !strings.Contains(body, `data-progress>done ✓</span>`) {
		t.Error("the index does not show the lesson done")
	}
	// Another browser sees none of it.
	other := newVisitor(t, newServerLike(t, srv))
	if _, body := other.get("/lessons"); strings.Contains(body, "data-read-mark") || strings.Contains(body, "cells passed</span>") { // (not the scripts' catalog)
		t.Error("another browser sees the first one's progress")
	}
}

// TestProgressCheckRecorded: a check run over the WebSocket of a page that
// has a learner cookie is recorded for that learner, and shows on
// /progress with its history.
func TestProgressCheckRecorded(t *testing.T) {
	srv, store := progressServer(t)
	v := newVisitor(t, srv)
	v.get("/lessons") // the learner cookie, as a page gets it before its WebSocket
	c := srv.dial(t)

	// A fail: nothing answers at the target.
	silent := c.bind(c.socket("SOCK_DGRAM"), "127.0.0.1", 0)
	if r := c.wait("result", c.send("check", obj{"exercise": "udp-upper", "target": silent})); r["pass"] != false {
		t.Fatalf("check of a silent socket: %v, want a fail", r)
	}
	// A pass: this socket shouts back.
	u := c.socket("SOCK_DGRAM")
	ua := c.bind(u, "127.0.0.1", 0)
	id := c.send("check", obj{"exercise": "udp-upper", "target": ua})
	for range 3 {
		got := c.must("recvfrom", obj{"sock": u, "bufsize": 2048})
		c.must("sendto", obj{"sock": u, "data": text(strings.ToUpper(got.obj("data").str("text"))), "addr": got.addr("addr")})
	}
	if r := c.wait("result", id); r["pass"] != true {
		t.Fatalf("check: %v, want a pass", r)
	}

	x := v.progress(store).Exercise("udp-upper")
	if len(x.Attempts) != 2 || x.Attempts[0].Pass || !x.Attempts[1].Pass ||
		!strings.HasPrefix(x.Attempts[0].FailedStep, "1 (") || x.Attempts[1].Summary != "3/3 datagrams answered" {
		t.Fatalf("attempts recorded: %+v, want a fail at step 1, then a pass", x.Attempts)
	}

	_, body := v.get("/progress")
	for _, want := range []string{
		`<section class="exercise-progress" data-exercise="udp-upper" data-status="passed">`,
		`(attempt 2 of 2).`,
		`<li class="attempt" data-pass="false">`,
		`<span class="failed-step">at step 1 (`,
		`<span class="verdict pass">PASS</span> <span class="attempt-summary">3/3 datagrams answered</span>`,
		`<section class="exercise-progress" data-exercise="tcp-echo" data-status="untried">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/progress lacks %q", want)
		}
	}

	// In Chinese: the failed step's name and the summary are the
	// checker's sentences, translated.
	_, body = v.get("/progress?lang=zh")
	for _, want := range []string{
		`<span class="failed-step">在第 1 步（数据报 1）</span>`,
		`<span class="verdict fail">未通过</span>`,
		`<span class="verdict pass">通过</span> <span class="attempt-summary">回复了 3/3 个数据报</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/progress in Chinese lacks %q", want)
		}
	}
	v.get("/progress?lang=en")

	// A client without a learner cookie (a script) is not recorded.
	bare := newServerLike(t, srv).dial(t)
	bu := bare.socket("SOCK_DGRAM")
	bare.wait("result", bare.send("check", obj{"exercise": "udp-upper", "target": bare.bind(bu, "127.0.0.1", 0), "timeout": 0.2}))
	if n := len(v.progress(store).Exercise("udp-upper").Attempts); n != 2 {
		t.Errorf("%d attempts after a check without a learner, want still 2", n)
	}
}

func TestProgressPage(t *testing.T) {
	srv, _ := progressServer(t)
	v := newVisitor(t, srv)
	v.get("/lessons/runner-fixture")
	v.postStep(`{"lesson":"runner-fixture","step":"listen","ok":true}`)
	resp, body := v.get("/progress")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/progress: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<div class="prose progress-page" id="progress" data-saved="true">`,
		`<tr class="lesson-row" data-lesson="runner-fixture" data-read="true" data-passed="1" data-total="5">`,
		`<td data-read-at><time datetime="2026-11-22T09:00:00Z">2026-11-22 09:00 UTC</time></td>`,
		`<li data-step="listen" data-passed="true">`,
		`<li data-step="udp" data-passed="false">`,
		`<a href="/progress">Progress</a>`,
		`<a class="button" id="export-progress" href="/progress/export" download>`,
		`<form id="import-progress" method="post" action="/progress/import" enctype="multipart/form-data">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/progress lacks %q", want)
		}
	}
}

func TestProgressExportImport(t *testing.T) {
	srv, store := progressServer(t)
	alice := newVisitor(t, srv)
	alice.get("/lessons/runner-fixture")
	alice.postStep(`{"lesson":"runner-fixture","step":"udp","ok":true}`)
	if err := store.RecordAttempt(context.Background(), alice.learner(), "tcp-echo", false, "2 (second connection)", "connect → refused"); err != nil {
		t.Fatal(err)
	}

	resp, data := alice.get("/progress/export")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="sockplay-progress-2026-11-22.json"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	var f progress.File
	if err := json.Unmarshal([]byte(data), &f); err != nil || f.Format != "sockplay-progress" || len(f.Lessons) != 1 || len(f.Exercises) != 1 {
		t.Fatalf("export %s: %v", data, err)
	}
	if strings.Contains(data, alice.learner()) {
		t.Error("the export holds the learner id")
	}

	// Bob imports it as a JSON body: he has alice's progress.
	bob := newVisitor(t, newServerLike(t, srv))
	bob.get("/progress")
	resp, body := bob.do(http.MethodPost, "/progress/import", "application/json", []byte(data), srv.URL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import (JSON): %d %s", resp.StatusCode, body)
	}
	if _, bobs := bob.get("/progress/export"); bobs != data {
		t.Errorf("bob's export after the import differs from alice's:\n%s\n---\n%s", bobs, data)
	}

	// Carol imports it through the page's form.
	carol := newVisitor(t, newServerLike(t, srv))
	carol.get("/progress")
	ctype, form := multipartFile(t, "file", "sockplay-progress.json", []byte(data))
	resp, body = carol.do(http.MethodPost, "/progress/import", ctype, form, srv.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/progress?imported=1" {
		t.Fatalf("import (form): %d Location %q, want 303 to /progress?imported=1 (%s)", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page := carol.get("/progress?imported=1")
	for _, want := range []string{"data-notice", `data-lesson="runner-fixture" data-read="true" data-passed="1"`, `data-exercise="tcp-echo" data-status="failed"`} {
		if !strings.Contains(page, want) {
			t.Errorf("carol's /progress after the import lacks %q", want)
		}
	}

	// Bad files are refused with the reason, and change nothing.
	before := carol.progress(store)
	resp, body = carol.do(http.MethodPost, "/progress/import", "application/json", []byte(`{"format":"sockplay-progress",`), srv.URL)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(jsonErr(t, body), "ends too early") {
		t.Errorf("import of cut JSON: %d %s, want 400 saying it ends too early", resp.StatusCode, body)
	}
	ctype, form = multipartFile(t, "file", "notes.txt", []byte("my notes"))
	resp, body = carol.do(http.MethodPost, "/progress/import", ctype, form, srv.URL)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "data-error") || !strings.Contains(body, "Nothing was imported: not a sockplay progress file") {
		t.Errorf("form import of a text file: %d, want 400 and the page with the reason", resp.StatusCode)
	}
	ctype, form = multipartFile(t, "other", "x.json", []byte(data))
	if resp, body = carol.do(http.MethodPost, "/progress/import", ctype, form, srv.URL); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "choose a progress file") {
		t.Errorf("form import without a file: %d", resp.StatusCode)
	}
	if resp, body = carol.do(http.MethodPost, "/progress/import", "application/json", []byte(data), "http://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin import: %d %s, want 403", resp.StatusCode, body)
	}
	big := bytes.Repeat([]byte(" "), progress.MaxImport+100<<10)
	if resp, body = carol.do(http.MethodPost, "/progress/import", "application/json", big, srv.URL); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("import of a huge body: %d %s, want 413", resp.StatusCode, body)
	}
	if after := carol.progress(store); len(after.Lessons) != len(before.Lessons) || len(after.Exercise("tcp-echo").Attempts) != 1 {
		t.Errorf("refused imports changed the progress: %+v", after)
	}
}

// multipartFile is a multipart form with one file field.
func multipartFile(t *testing.T, field, name string, data []byte) (ctype string, body []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}
