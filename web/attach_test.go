package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
	"sockplay/templates/i18n"
	"sockplay/web"
)

// attachCode asks the page's session for its attach code (op attach).
func attachCode(t *testing.T, page *client) string {
	t.Helper()
	r := page.must("attach", nil)
	code := r.str("code")
	if len(code) < 26 || !strings.Contains(r.str("command"), "--session "+code) {
		t.Fatalf("attach: %v, want a code of 26 characters and the command naming it", r)
	}
	return code
}

// dialAttach opens /ws?attach=code as sockplay run does (no Origin, no
// cookie), with extra headers h.
func dialAttach(ts *testServer, code string, h http.Header) (*websocket.Conn, *http.Response, error) {
	return websocket.DefaultDialer.Dial(ts.wsURL()+"?attach="+code, h)
}

// refused tries to attach with code and returns the status and text of
// the refusal (failing the test if it was accepted).
func refused(t *testing.T, ts *testServer, code string, h http.Header) (int, string, *http.Response) {
	t.Helper()
	conn, resp, err := dialAttach(ts, code, h)
	if err == nil {
		conn.Close()
		t.Fatal("the attach was accepted, want it refused")
	}
	if resp == nil {
		t.Fatalf("no HTTP answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body), resp
}

// TestAttachProgram: a connection to /ws?attach=CODE is a program front end
// of the code's session: its lines (one per frame) are requests, it gets
// the hello and its own results, its sockets are marked local1 and a page
// of the session sees them; when it closes, the session lives on.
func TestAttachProgram(t *testing.T) {
	ts := newServer(t, sessions.Config{})
	page := ts.dial(t)
	code := attachCode(t, page)

	conn, resp, err := dialAttach(ts, code, nil)
	if err != nil {
		t.Fatalf("attach: %v %v", err, resp)
	}
	defer conn.Close()
	if p := resp.Header.Get(web.ProgramHeader); p != "local1" {
		t.Errorf("%s: %q, want local1", web.ProgramHeader, p)
	}
	read := func() msg {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		typ, frame, err := conn.ReadMessage()
		if err != nil || typ != websocket.TextMessage {
			t.Fatalf("read: %v (type %d)", err, typ)
		}
		var m msg
		if err := json.Unmarshal(frame, &m); err != nil {
			t.Fatalf("frame %q is not one message: %v", frame, err)
		}
		return m
	}
	if h := read(); h.str("kind") != "hello" || h.str("session") != page.hello.str("session") {
		t.Fatalf("first frame %v, want the session's hello", h)
	}
	conn.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`))
	r := read()
	if r.str("kind") != "result" || r.num("id") != 1 || !r.ok() || r.str("program") != "local1" {
		t.Fatalf("socket result %v, want id 1, ok, program local1", r)
	}
	sock := r.str("sock")
	if m := page.socketMsg(sock, nil); m.str("program") != "local1" {
		t.Errorf("the page's socket message %v, want program local1", m)
	}
	// A frame with newlines in it is still one request.
	conn.WriteMessage(websocket.TextMessage, []byte("{\"id\":2,\n\"op\":\"bind\",\"sock\":\""+sock+"\",\n\"addr\":[\"127.0.0.1\",0]}"))
	if r := read(); r.num("id") != 2 || !r.ok() || r.addr("addr") == nil {
		t.Fatalf("bind over two lines: %v", r)
	}
	// The page's own requests are not sent to the program.
	page.must("socket", map[string]any{"type": "SOCK_STREAM"})
	conn.WriteMessage(websocket.TextMessage, []byte(`{"id":3,"op":"close","sock":"`+sock+`"}`))
	if r := read(); r.num("id") != 3 || !r.ok() {
		t.Fatalf("close: %v, want the program's own result (nothing of the page's)", r)
	}

	conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done"))
	for {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, _, err := conn.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("after the program's close: %v, want a normal close", err)
			}
			break
		}
	}
	page.must("socket", nil) // the session lives on

	// A second program is local2.
	c2, resp, err := dialAttach(ts, code, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if p := resp.Header.Get(web.ProgramHeader); p != "local2" {
		t.Errorf("second program: %q, want local2", p)
	}
	// When the session ends, the program's connection is closed normally.
	ts.manager.ByAttachCode(code).Close("test")
	for {
		c2.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, _, err := c2.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("after the session ended: %v, want a normal close", err)
			}
			break
		}
	}
}

// TestAttachRefused: a wrong code, a revoked one, and a valid code from
// another site's page are refused with a sentence; past maxBadCodes wrong
// codes, an address is refused even with the right one, for a while.
func TestAttachRefused(t *testing.T) {
	ts := newServer(t, sessions.Config{})
	page := ts.dial(t)
	code := attachCode(t, page)

	status, text, _ := refused(t, ts, "nosuchcode", nil)
	if status != http.StatusForbidden || !strings.Contains(text, "no session has this attach code") {
		t.Errorf("wrong code: %d %q", status, text)
	}
	texts := []string{text} // the refusals sockplay run --lang zh prints in Chinese

	// A lang other than en or zh is refused, before the code is looked at.
	status, text, _ = refused(t, ts, code+"&lang=fr", nil)
	if status != http.StatusBadRequest || !strings.Contains(text, `en or zh`) || !strings.Contains(text, `not "fr"`) {
		t.Errorf("lang fr: %d %q, want 400 naming en, zh and fr", status, text)
	}
	texts = append(texts, text)

	h := http.Header{"Origin": {"http://evil.example"}}
	status, text, _ = refused(t, ts, code, h)
	if status != http.StatusForbidden || !strings.Contains(text, "cross-origin") {
		t.Errorf("another site's page with the code: %d %q", status, text)
	}

	// A plain GET says whether a code is valid, without upgrading.
	resp, err := http.Get(ts.URL + "/ws?attach=" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with the valid code: %d", resp.StatusCode)
	}

	fresh := page.must("attach_revoke", nil)
	if fresh.str("code") == code || fresh["revoked"] != true {
		t.Fatalf("attach_revoke: %v, want a new code and revoked", fresh)
	}
	status, text, _ = refused(t, ts, code, nil)
	if status != http.StatusForbidden || !strings.Contains(text, "revoked") {
		t.Errorf("revoked code: %d %q", status, text)
	}
	c, _, err := dialAttach(ts, fresh.str("code"), nil)
	if err != nil {
		t.Fatalf("the new code: %v", err)
	}
	c.Close()

	// Two wrong codes are counted above; the limit is 10 a minute.
	for i := 2; i < 10; i++ {
		if status, _, _ := refused(t, ts, "guess", nil); status != http.StatusForbidden {
			t.Fatalf("wrong code %d: %d, want 403", i+1, status)
		}
	}
	status, text, resp = refused(t, ts, fresh.str("code"), nil)
	if status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(text, "too many wrong attach codes") {
		t.Errorf("after 10 wrong codes, the right one: %d %q (Retry-After %q), want 429", status, text, resp.Header.Get("Retry-After"))
	}
	for _, text := range append(texts, text) {
		text = strings.TrimSpace(text)
		if zh := i18n.Server(i18n.ZH, text); !hasHan(zh) || i18n.EnglishLeft(text) != "" {
			t.Errorf("the catalog's Chinese of %q is %q", text, zh)
		}
	}
	page.must("socket", nil) // the session lives on
}
