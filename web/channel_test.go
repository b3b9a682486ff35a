package web_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockplay/sessions"
)

// channelPair is a program's channel served by ServeChannel for the
// session of a page client: Program is the program's end (fd 3 of a
// child, or read and written by the test itself).
type channelPair struct {
	Program *os.File
	done    chan struct{} // closed when ServeChannel has returned
}

// openChannel serves a channel named program for page's session.
func openChannel(t *testing.T, ts *testServer, page *client, program string) *channelPair {
	t.Helper()
	sess := ts.manager.Get(page.hello.str("session"))
	if sess == nil {
		t.Fatal("the page's session is gone")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	server, prog := os.NewFile(uintptr(fds[0]), "server"), os.NewFile(uintptr(fds[1]), "program")
	cp := &channelPair{Program: prog, done: make(chan struct{})}
	go func() {
		defer close(cp.done)
		ts.web.ServeChannel(sess, server, program)
	}()
	t.Cleanup(func() {
		unix.Shutdown(fds[1], unix.SHUT_RDWR) // ends a read the test has going on it, so Close can close it
		prog.Close()
		select {
		case <-cp.done:
		case <-time.After(10 * time.Second):
			t.Error("ServeChannel did not return within 10 s of the program's end closing")
		}
	})
	return cp
}

// lineReader reads the server's lines from a channel, one message each.
type lineReader struct {
	t    *testing.T
	msgs chan msg
}

func readLines(t *testing.T, f *os.File) *lineReader {
	lr := &lineReader{t: t, msgs: make(chan msg, 1000)}
	go func() {
		defer close(lr.msgs)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			var m msg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("line %q is not one JSON message: %v", sc.Text(), err)
				return
			}
			lr.msgs <- m
		}
	}()
	return lr
}

func (lr *lineReader) next() msg {
	lr.t.Helper()
	select {
	case m, ok := <-lr.msgs:
		if !ok {
			lr.t.Fatal("the channel closed while waiting for a message")
		}
		return m
	case <-time.After(10 * time.Second):
		lr.t.Fatal("no message on the channel within 10 s")
	}
	return nil
}

// TestChannelRequests: a program's lines are requests of the session, it
// gets only the answers to its own (with its own ids), pages see them with
// the session's negative ids and the program's sockets marked, and bad lines
// get clear errors while the channel goes on.
func TestChannelRequests(t *testing.T) {
	ts := newServer(t, sessions.Config{})
	page := ts.dial(t)
	page.must("encoding", map[string]any{"encoding": "utf-8"}) // the page is live
	cp := openChannel(t, ts, page, "p1")
	lr := readLines(t, cp.Program)
	if h := lr.next(); h.str("kind") != "hello" || h.str("session") != page.hello.str("session") {
		t.Fatalf("first line %v, want the session's hello", h)
	}
	write := func(line string) {
		t.Helper()
		if _, err := cp.Program.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
	}

	write(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`)
	r := lr.next()
	if r.str("kind") != "result" || r.num("id") != 1 || !r.ok() || r.str("program") != "p1" {
		t.Fatalf("socket result %v, want id 1, ok, program p1", r)
	}
	sock := r.str("sock")
	pr := page.wait("result", -1)
	if pr.num("id") >= 0 || pr.str("sock") != sock || pr.obj("request").num("id") != 1 {
		t.Errorf("the page's result %v: want a negative id, sock %s, request.id 1", pr, sock)
	}
	if m := page.socketMsg(sock, func(m msg) bool { return true }); m.str("program") != "p1" {
		t.Errorf("socket message %v, want program p1", m)
	}

	// The page's own requests are not the program's business.
	page.must("socket", map[string]any{"type": "SOCK_STREAM"})
	write(`[{"id":2,"op":"bind","sock":"` + sock + `","addr":["127.0.0.1",0]},{"id":3,"op":"getsockname","sock":"` + sock + `"}]`)
	for _, id := range []int{2, 3} {
		if r := lr.next(); r.str("kind") != "result" || r.num("id") != id || !r.ok() {
			t.Fatalf("result %v, want id %d ok (and nothing of the page's)", r, id)
		}
	}

	// Bad lines: each gets a result saying what is wrong; nothing closes.
	for _, bad := range []struct{ line, want string }{
		{`hello there`, "malformed request"},
		{"{\"id\":4,\"op\":\"\xff\"}", "not UTF-8"},
		{`{"id":5,"op":"fly"}`, `unknown op "fly"`},
		{`{"id":"x","op":"close","sock":"` + sock + `"}`, "id must be an integer"},
	} {
		write(bad.line)
		r := lr.next()
		if r.str("kind") != "result" || r.ok() || !strings.Contains(r.obj("error").str("message"), bad.want) {
			t.Errorf("line %q: %v, want an error saying %q", bad.line, r, bad.want)
		}
	}
	write(`{"id":6,"op":"close","sock":"` + sock + `"}`)
	if r := lr.next(); r.num("id") != 6 || !r.ok() {
		t.Fatalf("close after the bad lines: %v", r)
	}

	// A page may not use the programs' negative ids.
	page.sendID(-7, "socket", nil)
	for {
		r := page.wait("result", -1)
		if r.obj("request").num("id") != -7 {
			continue
		}
		if r.ok() || r.num("id") != -7 || !strings.Contains(r.obj("error").str("message"), "negative") {
			t.Errorf("a page's negative id: %v, want refused", r)
		}
		break
	}
}
