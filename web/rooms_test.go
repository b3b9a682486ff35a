package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// A classroom over real WebSockets: an instructor's browser (a cookie jar
// of its own) makes a room over HTTP, students' browsers (jars of their
// own, so sessions of their own) join it with room_join.

// browser is one browser: its cookie jar, and so its own session.
type browser struct {
	srv *testServer
	jar *cookiejar.Jar
}

func newJarBrowser(srv *testServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{srv: srv, jar: jar}
}

// dial opens a page's connection to the browser's session.
func (b *browser) dial(t testing.TB) *client {
	t.Helper()
	c, _, err := b.srv.dialURL(t, b.srv.wsURL(), b.jar, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

// post sends body (JSON unless it is url.Values) to path and returns the
// response, its body read.
func (b *browser) post(t testing.TB, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	if form, ok := body.(url.Values); ok {
		rd, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	} else {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+path, rd)
	req.Header.Set("Content-Type", ctype)
	hc := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp, got
}

// createRoom makes a room with POST /rooms and returns its code.
func (b *browser) createRoom(t testing.TB, title, lesson string) string {
	t.Helper()
	resp, body := b.post(t, "/rooms", obj{"title": title, "lesson": lesson})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /rooms: %d %s", resp.StatusCode, body)
	}
	var m msg
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST /rooms: %v in %s", err, body)
	}
	return m.str("room")
}

// join sends room_join and returns its result, which must be ok.
func join(t testing.TB, c *client, code, name string) msg {
	t.Helper()
	return c.must("room_join", obj{"room": code, "name": name})
}

// waitKind returns the next message of kind that match accepts.
func waitKind(c *client, kind string, match func(msg) bool) msg {
	c.t.Helper()
	for {
		if m := c.next(); m.str("kind") == kind && (match == nil || match(m)) {
			return m
		}
	}
}

// members are a roster's members, by name.
func members(m msg) map[string]msg {
	out := map[string]msg{}
	for _, x := range m["members"].([]any) {
		mm := msg(x.(map[string]any))
		out[mm.str("name")] = mm
	}
	return out
}

// kinds counts the messages of kind c has seen.
func kinds(c *client, kind string) int {
	return len(c.find(func(m msg) bool { return m.str("kind") == kind }))
}

// roundTrip makes a round trip: every message logged for c's session before it
// has been seen once it returns.
func roundTrip(c *client) { c.do("room_at", obj{"page": "/workbench"}) }

// class is a room with an instructor and students, all joined.
type class struct {
	srv        *testServer
	code       string
	teacher    *browser
	inst       *client
	students   []*client
	studentIDs []string
}

func newClass(t *testing.T, srv *testServer, names ...string) *class {
	t.Helper()
	k := &class{srv: srv, teacher: newJarBrowser(srv)}
	k.code = k.teacher.createRoom(t, "Networks, week 3", "")
	k.inst = k.teacher.dial(t)
	if r := k.inst.must("room_join", obj{"room": k.code}); r["instructor"] != true || r.str("name") != "Instructor" {
		t.Fatalf("instructor's room_join: %v, want instructor true, name Instructor", r)
	}
	for _, n := range names {
		c := newJarBrowser(srv).dial(t)
		r := join(t, c, strings.ToLower(k.code), n) // codes are case-insensitive
		if r["instructor"] != false || r.str("name") != n || r.str("room") != k.code {
			t.Fatalf("%s's room_join: %v", n, r)
		}
		k.students = append(k.students, c)
		k.studentIDs = append(k.studentIDs, r.str("member"))
	}
	return k
}

func TestRoomCreate(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	b := newJarBrowser(srv)
	resp, body := b.post(t, "/rooms", obj{"title": "  Week 3 ", "lesson": ls[0].Slug})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /rooms: %d %s", resp.StatusCode, body)
	}
	var m msg
	json.Unmarshal(body, &m)
	code := m.str("room")
	if !regexp.MustCompile(`^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$`).MatchString(code) {
		t.Errorf("room code %q, want 8 letters of the 32 without look-alikes", code)
	}
	if m["instructor"] != true || m.str("join") != srv.URL+"/r/"+code || m.str("title") != "Week 3" || m.str("lesson") != ls[0].Slug {
		t.Errorf("POST /rooms answered %s", body)
	}
	var key *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == web.InstructorCookie {
			key = ck
		}
	}
	if key == nil || !key.HttpOnly || key.SameSite != http.SameSiteLaxMode || key.Path != "/" || len(key.Value) < 20 {
		t.Fatalf("instructor cookie %v, want an HttpOnly, SameSite=Lax key", key)
	}
	if strings.Contains(string(body), key.Value) {
		t.Errorf("the instructor key is in the answer: %s", body)
	}

	// The same browser's next room has the same key; a form post is
	// redirected to the room's page.
	resp, body = b.post(t, "/rooms", url.Values{"title": {"Week 4"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/rooms/") {
		t.Fatalf("form POST /rooms: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	second := strings.TrimPrefix(resp.Header.Get("Location"), "/rooms/")
	for _, ck := range resp.Cookies() {
		if ck.Name == web.InstructorCookie && ck.Value != key.Value {
			t.Errorf("second room got another key")
		}
	}
	rooms := srv.manager.RoomsOf(key.Value)
	if len(rooms) != 2 || rooms[0].Code != code || rooms[1].Code != second || rooms[1].Title != "Week 4" {
		t.Errorf("RoomsOf the key: %+v, want %s and %s", rooms, code, second)
	}
	if _, inst, ok := srv.manager.Room(strings.ToLower(code), key.Value); !ok || !inst {
		t.Errorf("Room(%s): ok %v instructor %v", code, ok, inst)
	}
	if _, inst, _ := srv.manager.Room(code, "someone-else-entirely-xyz"); inst {
		t.Errorf("another key is the instructor")
	}

	for _, bad := range []struct {
		body any
		want string
	}{
		{obj{"title": strings.Repeat("x", 81)}, "at most 80 characters"},
		{obj{"title": "x", "lesson": "no-such-lesson"}, `no-such-lesson`},
		{obj{"title": 5}, "must be JSON"},
	} {
		resp, body := newJarBrowser(srv).post(t, "/rooms", bad.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), bad.want) {
			t.Errorf("POST /rooms %v: %d %s, want 400 saying %q", bad.body, resp.StatusCode, body, bad.want)
		}
	}
}

// TestRoomRoster: three students join; the instructor's roster lists
// them with their names and follows one student's socket; students never
// get a roster.
func TestRoomRoster(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "Li Lei", "Han Meimei", "Wang Fang")
	r := waitKind(k.inst, "roster", func(m msg) bool { return len(members(m)) == 4 })
	ms := members(r)
	if r.str("room") != k.code || ms["Instructor"]["instructor"] != true {
		t.Errorf("roster %v", r)
	}
	for _, n := range []string{"Li Lei", "Han Meimei", "Wang Fang"} {
		m := ms[n]
		if m == nil || m["instructor"] != false || m["online"] != true || m.num("sockets") != 0 || m["following"] != true {
			t.Errorf("roster's %s: %v", n, m)
		}
	}

	// Li Lei makes a socket and moves to a lesson's step.
	k.students[0].socket("SOCK_DGRAM")
	k.students[0].must("room_at", obj{"page": "/lessons/udp-echo-server", "lesson": "udp-echo-server", "step": "cell-2"})
	r = waitKind(k.inst, "roster", func(m msg) bool {
		li := members(m)["Li Lei"]
		return li.num("sockets") == 1 && li.str("step") == "cell-2"
	})
	if li := members(r)["Li Lei"]; li.str("lesson") != "udp-echo-server" || li.str("page") != "/lessons/udp-echo-server" {
		t.Errorf("Li Lei in the roster: %v", li)
	}

	// A failing op twice: last_error and stuck.
	for range 2 {
		if r := k.students[1].do("bind", obj{"sock": "s9", "addr": []any{"127.0.0.1", 0}}); r.ok() {
			t.Fatalf("bind of no socket: %v", r)
		}
	}
	r = waitKind(k.inst, "roster", func(m msg) bool { return members(m)["Han Meimei"].str("stuck") != "" })
	if h := members(r)["Han Meimei"]; h.str("stuck") != "same error twice" || !strings.Contains(h.str("last_error"), `no socket "s9"`) {
		t.Errorf("Han Meimei: %v", h)
	}

	// Wang Fang closes her page: offline.
	k.students[2].conn.Close()
	waitKind(k.inst, "roster", func(m msg) bool { return members(m)["Wang Fang"]["online"] == false })

	for i, c := range k.students[:2] {
		roundTrip(c)
		if n := kinds(c, "roster"); n != 0 {
			t.Errorf("student %d got %d roster messages", i, n)
		}
		if st := c.find(func(m msg) bool { return m.str("kind") == "room_state" }); len(st) != 1 || st[0].str("room") != k.code ||
			st[0].str("instructor_name") != "Instructor" || st[0]["following"] != true || st[0]["lan"] != nil || st[0].str("lan_note") == "" {
			t.Errorf("student %d's room_state: %v", i, st)
		}
	}
}

// TestRoomFollow: the instructor's room_at and room_drive send follow to
// followers, not to one who stopped following; room_show and room_push
// reach followers too.
func TestRoomFollow(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B")
	a, b := k.students[0], k.students[1]
	place := obj{"page": "/lessons/udp-broadcast", "lesson": "udp-broadcast", "step": "cell-1"}
	if r := k.inst.must("room_at", place); r.num("followers") != 2 {
		t.Errorf("room_at: %v, want 2 followers", r)
	}
	for _, c := range k.students {
		f := waitKind(c, "follow", nil)
		if f.str("page") != "/lessons/udp-broadcast" || f.str("step") != "cell-1" || f.str("by") != "Instructor" || f.str("room") != k.code {
			t.Errorf("follow %v", f)
		}
	}
	if r := b.must("room_follow", obj{"flag": false}); r["following"] != false {
		t.Errorf("room_follow false: %v", r)
	}
	b.forget()
	if r := k.inst.must("room_drive", obj{"page": "/workbench"}); r.num("followers") != 1 {
		t.Errorf("room_drive: %v, want 1 follower", r)
	}
	if f := waitKind(a, "follow", nil); f.str("page") != "/workbench" {
		t.Errorf("follow %v", f)
	}
	k.inst.must("room_show", obj{"cell": "c1", "code": "print(1)", "output": "1\n", "ok": true})
	k.inst.must("room_push", obj{"cell": "c2", "code": "print(2)"})
	if m := waitKind(a, "room_show", nil); m.str("code") != "print(1)" || m.str("output") != "1\n" || m["ok"] != true || m.str("from") != "Instructor" {
		t.Errorf("room_show %v", m)
	}
	if m := waitKind(a, "room_push", nil); m.str("code") != "print(2)" || m.str("cell") != "c2" {
		t.Errorf("room_push %v", m)
	}
	roundTrip(b)
	for _, kind := range []string{"follow", "room_show", "room_push"} {
		if n := kinds(b, kind); n != 0 {
			t.Errorf("B stopped following but got %d %s", n, kind)
		}
	}
	// Following again: B is sent where the instructor is.
	b.must("room_follow", obj{"flag": true})
	if f := waitKind(b, "follow", nil); f.str("page") != "/workbench" {
		t.Errorf("follow on resuming: %v", f)
	}
	// The instructor's room page moves nobody.
	roundTrip(a)
	a.forget()
	if r := k.inst.must("room_at", obj{"page": "/rooms/" + k.code}); r["followers"] != nil {
		t.Errorf("room_at of the room page: %v", r)
	}
	// With drive off, the instructor's room_at moves nobody.
	if r := k.inst.must("room_drive", obj{"flag": false}); r["drive"] != false {
		t.Errorf("room_drive off: %v", r)
	}
	if r := k.inst.must("room_at", obj{"page": "/lessons"}); r["followers"] != nil {
		t.Errorf("room_at with drive off: %v", r)
	}
	roundTrip(a)
	if n := kinds(a, "follow"); n != 0 {
		t.Errorf("drive off, yet A got %d follow", n)
	}
}

// TestRoomForbidden: a student's instructor-only ops are forbidden, and
// the student's session lives on.
func TestRoomForbidden(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B")
	a := k.students[0]
	sock := a.socket("SOCK_DGRAM")
	other := k.studentIDs[1]
	for _, op := range []struct {
		op   string
		args obj
	}{
		{"room_drive", obj{"page": "/lessons"}},
		{"room_observe", obj{"member": other}},
		{"room_reset", obj{}},
		{"room_reset", obj{"member": other}},
		{"room_hint", obj{"member": other, "text": "hi"}},
		{"room_end", obj{}},
		{"room_show", obj{"code": "x"}},
		{"room_push", obj{"code": "x"}},
		{"room_peers", obj{"lesson": "x"}},
		{"room_check", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 9}}},
	} {
		r := a.do(op.op, op.args)
		if r.ok() || r.obj("error").str("type") != "forbidden" || !strings.Contains(r.obj("error").str("message"), "only the room's instructor may") {
			t.Errorf("student's %s: %v, want forbidden", op.op, r)
		}
	}
	if r := a.must("getsockname", obj{"sock": sock}); r.addr("addr") == nil {
		t.Errorf("the student's socket after the refusals: %v", r)
	}
	roundTrip(k.students[1])
	if n := kinds(k.students[1], "room_hint") + kinds(k.students[1], "note"); n != 0 {
		t.Errorf("B got %d hints or notes from A's refused ops", n)
	}
	if srv.manager.Rooms() != 1 {
		t.Errorf("the room ended")
	}
}

// TestRoomHint: a hint reaches its student only.
func TestRoomHint(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B")
	r := k.inst.must("room_hint", obj{"member": k.studentIDs[0], "text": "  Bind before\nrecvfrom  "})
	if r.str("member") != k.studentIDs[0] {
		t.Errorf("room_hint: %v", r)
	}
	h := waitKind(k.students[0], "room_hint", nil)
	if h.str("text") != "Bind before recvfrom" || h.str("from") != "Instructor" {
		t.Errorf("hint %v", h)
	}
	roundTrip(k.students[1])
	if n := kinds(k.students[1], "room_hint"); n != 0 {
		t.Errorf("B got %d hints", n)
	}
	for _, bad := range []obj{{"member": k.studentIDs[0]}, {"member": k.studentIDs[0], "text": strings.Repeat("x", 301)}, {"text": "x"}} {
		if r := k.inst.do("room_hint", bad); r.ok() || r.obj("error").str("type") != "bad_request" {
			t.Errorf("room_hint %v: %v, want bad_request", bad, r)
		}
	}
	if r := k.inst.do("room_hint", obj{"member": "m99", "text": "x"}); r.ok() || r.obj("error").str("type") != "not_found" {
		t.Errorf("room_hint to m99: %v, want not_found", r)
	}
}

// TestRoomObserve: the instructor's observe link is a read-only feed of
// the student's session: it sees the student's sockets, makes no ops, and
// works for the instructor's cookie alone.
func TestRoomObserve(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B")
	a := k.students[0]
	before := a.socket("SOCK_DGRAM")
	code := a.must("attach", nil).str("code")
	r := k.inst.must("room_observe", obj{"member": k.studentIDs[0]})
	u := r.str("url")
	if !strings.HasPrefix(u, "/workbench?observe=") || r.str("name") != "A" {
		t.Fatalf("room_observe: %v", r)
	}
	token := strings.TrimPrefix(u, "/workbench?observe=")
	obsURL := srv.wsURL() + "?observe=" + url.QueryEscape(token)

	// Not with a student's cookie, nor with none.
	for name, jar := range map[string]http.CookieJar{"the student's": newJarBrowser(srv).jar, "no": nil} {
		if _, resp, err := srv.dialURL(t, obsURL, jar, nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("observe with %s cookie: %v %v, want 403", name, err, resp)
		}
	}
	obs, _, err := srv.dialURL(t, obsURL, k.teacher.jar, nil)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	if s := obs.hello.str("session"); s != "" || a.hello.str("session") == "" {
		t.Errorf("the observer's hello names session %q", s)
	}
	obs.mu.Lock()
	obs.lastSeq = 1 // the replay of after 0 starts at seq 2
	obs.mu.Unlock()
	ms := obs.until("result", obs.send("resume", obj{"after": 0}))
	if len(ms) == 0 || ms[0].num("seq") != 2 {
		t.Errorf("observer's replay starts at %v, want seq 2 (after the hello naming the session)", ms[0])
	}
	seen := func(h string) func(m msg) bool {
		return func(m msg) bool { return m.str("kind") == "socket" && m.str("sock") == h }
	}
	if len(obs.find(seen(before))) == 0 {
		t.Errorf("the observer's replay has no socket %s", before)
	}
	after := a.socket("SOCK_STREAM")
	waitKind(obs, "socket", seen(after))
	revoked := a.must("attach_revoke", nil).str("code")
	waitKind(obs, "result", func(m msg) bool { return m.str("op") == "attach_revoke" })
	// The attach codes would let the observer's program drive A's session.
	for _, m := range obs.find(func(m msg) bool { return strings.HasPrefix(m.str("op"), "attach") }) {
		if m["code"] != nil || m["command"] != nil {
			t.Errorf("the observer got an attach code: %v", m)
		}
	}
	if code == "" || revoked == "" || len(obs.find(func(m msg) bool { return m.str("op") == "attach" })) != 1 {
		t.Errorf("A's attach codes %q, %q; the observer's replay of attach missing", code, revoked)
	}
	for _, op := range []string{"socket", "close", "room_join", "reset"} {
		r := obs.do(op, obj{"type": "SOCK_DGRAM", "family": "AF_INET", "sock": before, "room": k.code})
		if r.ok() || r.obj("error").str("type") != "forbidden" {
			t.Errorf("observer's %s: %v, want forbidden", op, r)
		}
	}
	if r := a.must("getsockname", obj{"sock": before}); !r.ok() {
		t.Errorf("A's socket after the observer's close: %v", r)
	}
	// The observer keeps nobody's session: A leaving the room ends it.
	a.must("room_leave", obj{})
	if code, _ := obs.closed(); code == 0 {
		t.Errorf("observer not closed after the student left")
	}
	if _, resp, err := srv.dialURL(t, obsURL, k.teacher.jar, nil); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("observe after the student left: %v, want 403", err)
	}
}

// TestRoomReset: room_reset closes every student's sockets, with a note.
func TestRoomReset(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B")
	var socks []string
	for _, c := range k.students {
		socks = append(socks, c.socket("SOCK_DGRAM"))
	}
	mine := k.inst.socket("SOCK_DGRAM")
	r := k.inst.must("room_reset", obj{})
	if ids, _ := r["members"].([]any); len(ids) != 2 {
		t.Errorf("room_reset: %v, want two members", r)
	}
	for i, c := range k.students {
		waitKind(c, "socket", func(m msg) bool { return m.str("sock") == socks[i] && m.str("state") == "CLOSED" })
		note := waitKind(c, "note", nil)
		if !strings.Contains(note.str("text"), "Instructor") || !strings.Contains(note.str("text"), "1 closed") {
			t.Errorf("note %v", note)
		}
		if r := c.do("getsockname", obj{"sock": socks[i]}); r.ok() {
			t.Errorf("student %d's socket still open: %v", i, r)
		}
	}
	if r := k.inst.must("getsockname", obj{"sock": mine}); !r.ok() {
		t.Errorf("the instructor's own socket was reset")
	}
	waitKind(k.inst, "roster", func(m msg) bool { return members(m)["A"].num("sockets") == 0 && members(m)["B"].num("sockets") == 0 })
}

// TestRoomCheckAndPeers: room_check's verdicts reach the roster; room_peers
// starts a lesson's peers in a student's session.
func TestRoomCheckAndPeers(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	k := newClass(t, srv, "A", "B")
	a, b := k.students[0], k.students[1]
	echo := a.must("spawn", obj{"peer": "tcp-echo"}).addr("addr")
	k.inst.must("room_check", obj{"exercise": "tcp-echo", "target": echo, "member": k.studentIDs[0]})
	waitKind(k.inst, "roster", func(m msg) bool { return members(m)["A"].obj("checks").str("tcp-echo") == "pass" })
	k.inst.must("room_check", obj{"exercise": "udp-upper", "target": []any{"127.0.0.1", 9}, "reply_wait": 0.2})
	r := waitKind(k.inst, "roster", func(m msg) bool {
		ms := members(m)
		return ms["A"].obj("checks").str("udp-upper") == "fail" && ms["B"].obj("checks").str("udp-upper") == "fail"
	})
	if ma := members(r)["A"]; !slices.Equal(ma["passed"].([]any), []any{"tcp-echo"}) {
		t.Errorf("A passed %v, want tcp-echo", ma["passed"])
	}
	if mb := members(r)["B"]; len(mb["passed"].([]any)) != 0 || mb.obj("checks").str("tcp-echo") != "" {
		t.Errorf("B: %v", mb)
	}
	waitKind(b, "note", func(m msg) bool { return strings.Contains(m.str("text"), "udp-upper") })
	if r := k.inst.do("room_check", obj{"exercise": "no-such"}); r.ok() || r.obj("error").str("type") != "bad_request" {
		t.Errorf("room_check of no exercise: %v", r)
	}

	var withPeers *lessons.Lesson
	for _, l := range ls {
		if len(l.Peers) > 0 && withPeers == nil {
			withPeers = l
		}
	}
	r = k.inst.must("room_peers", obj{"lesson": withPeers.Slug, "member": k.studentIDs[1]})
	if r.num("peers") != len(withPeers.Peers) {
		t.Errorf("room_peers: %v", r)
	}
	spawned := waitKind(b, "result", func(m msg) bool { return m.str("op") == "spawn" })
	if !spawned.ok() || spawned.num("id") >= 0 {
		t.Errorf("B's spawn: %v, want ok with a session id (negative)", spawned)
	}
	if r := k.inst.do("room_peers", obj{"lesson": "nope"}); r.ok() || !strings.Contains(r.obj("error").str("message"), `no lesson "nope"`) {
		t.Errorf("room_peers of no lesson: %v", r)
	}
}

// TestRoomLeaveAndEnd: leaving keeps the session and its sockets; ending
// the room ends it for every member.
func TestRoomLeaveAndEnd(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "A", "B", "C")
	a := k.students[0]
	sock := a.socket("SOCK_DGRAM")
	if r := a.must("room_leave", obj{}); r.str("room") != k.code {
		t.Errorf("room_leave: %v", r)
	}
	if st := a.find(func(m msg) bool { return m.str("kind") == "room_state" }); len(st) != 2 || st[1].str("room") != "" {
		t.Errorf("room_state after leaving: %v", st)
	}
	a.must("getsockname", obj{"sock": sock})
	if r := a.do("room_at", obj{"page": "/"}); r.ok() || r.obj("error").str("type") != "not_found" {
		t.Errorf("room_at out of the room: %v", r)
	}
	waitKind(k.inst, "roster", func(m msg) bool { return len(members(m)) == 3 && members(m)["A"] == nil })

	k.inst.must("room_end", obj{})
	if n := kinds(k.inst, "room_end"); n != 1 { // before its result
		t.Errorf("the instructor got %d room_end", n)
	}
	for _, c := range k.students[1:] { // A left before
		if e := waitKind(c, "room_end", nil); e.str("room") != k.code || e.str("by") != "Instructor" {
			t.Errorf("room_end %v", e)
		}
	}
	roundTrip(a)
	if n := kinds(a, "room_end"); n != 0 {
		t.Errorf("A, who had left, got room_end")
	}
	if n := srv.manager.Rooms(); n != 0 {
		t.Errorf("%d rooms after room_end", n)
	}
	if r := k.students[1].do("room_at", obj{"page": "/"}); r.ok() || r.obj("error").str("type") != "not_found" {
		t.Errorf("room_at after the end: %v", r)
	}
	if r := k.students[1].do("room_join", obj{"room": k.code, "name": "B"}); r.obj("error").str("type") != "not_found" {
		t.Errorf("room_join of the ended room: %v", r)
	}
}

// TestRoomJoinErrors: bad joins get clear errors and lose nothing; joins
// are rate-limited per address.
func TestRoomJoinErrors(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	code := newJarBrowser(srv).createRoom(t, "x", "")
	c := newJarBrowser(srv).dial(t)
	sock := c.socket("SOCK_DGRAM")
	for _, tc := range []struct {
		args      obj
		typ, want string
	}{
		{obj{"room": "ABCDEFGH", "name": "Li"}, "not_found", "no room ABCDEFGH"},
		{obj{"room": "AB0", "name": "Li"}, "bad_request", "8 letters"},
		{obj{"name": "Li"}, "bad_request", "needs room"},
		{obj{"room": code}, "bad_request", "needs name"},
		{obj{"room": code, "name": "   "}, "bad_request", "needs name"},
		{obj{"room": code, "name": strings.Repeat("名", 41)}, "bad_request", "at most 40 characters"},
		{obj{"room": code, "name": "a\x01b"}, "bad_request", "control characters"},
		{obj{"room": 5, "name": "Li"}, "bad_request", "room must be of JSON type string"},
		{obj{"room": code, "name": []any{"Li"}}, "bad_request", "name must be of JSON type string"},
	} {
		r := c.do("room_join", tc.args)
		if e := r.obj("error"); r.ok() || e.str("type") != tc.typ || !strings.Contains(e.str("message"), tc.want) {
			t.Errorf("room_join %v: %v, want %s saying %q", tc.args, r, tc.typ, tc.want)
		}
	}
	for _, tc := range []struct {
		op   string
		args obj
		want string
	}{
		{"room_at", obj{}, "needs page"},
		{"room_at", obj{"page": "http://x/"}, "path on this server"},
		{"room_follow", obj{}, "needs flag"},
		{"room_follow", obj{"flag": "no"}, "flag must be of JSON type boolean"},
	} {
		if r := c.do(tc.op, tc.args); r.ok() || !strings.Contains(r.obj("error").str("message"), tc.want) {
			t.Errorf("%s %v: %v, want %q", tc.op, tc.args, r, tc.want)
		}
	}
	c.must("getsockname", obj{"sock": sock})

	// Every join attempt from this address counted (those that could be
	// decoded): past a burst of 30, joins are refused.
	var limited msg
	for i := 0; i < 80 && limited == nil; i++ {
		if r := c.do("room_join", obj{"room": "ABCDEFGH", "name": "Li"}); r.obj("error").str("type") == "limit" {
			limited = r
		}
	}
	if limited == nil || !strings.Contains(limited.obj("error").str("message"), "too many room joins") {
		t.Fatalf("no limit after 87 joins: %v", limited)
	}
	c.must("getsockname", obj{"sock": sock})
}

// TestRoomRejoinAndMove: room_join is idempotent (and free of the rate
// limit); joining another room leaves the first.
func TestRoomRejoinAndMove(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	teacher := newJarBrowser(srv)
	one, two := teacher.createRoom(t, "one", ""), teacher.createRoom(t, "two", "")
	c := newJarBrowser(srv).dial(t)
	first := join(t, c, one, "Li")
	for i := range 15 {
		if r := join(t, c, one, fmt.Sprint("Li ", i)); r.str("member") != first.str("member") {
			t.Fatalf("rejoin %d: member %s, want %s", i, r.str("member"), first.str("member"))
		}
	}
	inst := teacher.dial(t)
	inst.must("room_join", obj{"room": one})
	if r := waitKind(inst, "roster", nil); members(r)["Li 14"] == nil {
		t.Errorf("roster after renames: %v", r)
	}
	join(t, c, two, "Li")
	waitKind(inst, "roster", func(m msg) bool { return len(members(m)) == 1 })
}

// TestRoomIdle: a room with no member online ends after the idle time;
// one with a member online does not.
func TestRoomIdle(t *testing.T) {
	srv := newServer(t, sessions.Config{RoomIdle: time.Hour, Grace: 1000 * time.Hour})
	k := newClass(t, srv, "A")
	srv.manager.Reap(time.Now().Add(2 * time.Hour))
	roundTrip(k.inst) // the room's goroutine ran the idle check before this
	if srv.manager.Rooms() != 1 {
		t.Fatalf("a room with members online ended")
	}
	k.inst.conn.Close()
	k.students[0].conn.Close()
	// Until the server has seen both pages go, each idle check finds a
	// member online: the clock given to Reap moves on an hour each time.
	start := time.Now().Add(3 * time.Hour)
	for i := 0; i < 500 && srv.manager.Rooms() != 0; i++ {
		srv.manager.Reap(start.Add(time.Duration(i) * time.Hour))
		time.Sleep(20 * time.Millisecond)
	}
	if n := srv.manager.Rooms(); n != 0 {
		t.Errorf("%d rooms left with nobody online past the idle time", n)
	}
}

// TestRoomCreateLimits: POST /rooms is rate-limited per address and
// refused from another site's page.
func TestRoomCreateLimits(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithRoomLimit(web.RoomLimit{Create: web.ShareLimit{Every: time.Hour, Burst: 2}}))
	b := newJarBrowser(srv)
	b.createRoom(t, "one", "")
	b.createRoom(t, "two", "")
	resp, body := b.post(t, "/rooms", obj{"title": "three"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "too many rooms") {
		t.Errorf("third room: %d %v %s, want 429 with Retry-After", resp.StatusCode, resp.Header, body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rooms", strings.NewReader(`{"title":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("cross-origin POST /rooms: %d, cookies %v; want 403 and no cookie", resp.StatusCode, resp.Cookies())
	}
	if n := srv.manager.Rooms(); n != 2 {
		t.Errorf("%d rooms, want 2", n)
	}
}
