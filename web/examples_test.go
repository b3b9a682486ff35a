package web_test

import (
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/templates/examples"
)

// exampleWait bounds each wait for a program's output or exit: generous,
// for a busy machine.
const exampleWait = 60 * time.Second

// runningProgram is one example program as the test sees it: its output
// so far, its exit, and a way to type into it and to stop it — what the
// run op offers (output and exit messages, input and stop), whether it
// runs through op run or as a child process.
type runningProgram struct {
	t    testing.TB
	name string

	mu      sync.Mutex
	stdout  strings.Builder
	stderr  strings.Builder
	exited  bool
	code    int           // its exit status; -1 when a signal or the server ended it
	reason  string        // the exit message's reason (run only): "stopped", "timeout", …
	changed chan struct{} // closed and replaced whenever something above changes

	write func(text string) error // feeds stdin (the input op)
	kill  func()                  // the stop op
}

// startCPython runs one example program with args in real CPython as a
// child process, with CPython's own socket module, in the test's network
// namespace (run the tests under `unshare -n`): the reference the run op's
// programs must agree with.
func startCPython(t testing.TB, p examples.Program, args ...string) *runningProgram {
	t.Helper()
	py := pythonPath(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, p.Name), []byte(p.Code), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{p.Name}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	rp := newRunningProgram()
	rp.t, rp.name = t, p.Name
	rp.write = func(text string) error { _, err := io.WriteString(stdin, text); return err }
	rp.kill = func() { cmd.Process.Kill() }
	if err := cmd.Start(); err != nil {
		t.Fatalf("start python3 %s: %v", p.Name, err)
	}
	var copies sync.WaitGroup
	copies.Add(2)
	go func() { defer copies.Done(); rp.copy(outR, &rp.stdout) }()
	go func() { defer copies.Done(); rp.copy(errR, &rp.stderr) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		copies.Wait()
		cmd.Wait() // the exit status is in ProcessState
		rp.update(func() { rp.exited, rp.code = true, cmd.ProcessState.ExitCode() })
	}()
	t.Cleanup(func() { rp.kill(); <-done })
	return rp
}

// programSession runs example programs the way the learner's Run button
// does: op run on a real server's session, so each program runs in its
// sandbox with sockplay's socket module and its sockets are the session's.
// One goroutine reads the connection: it hands each program's output and
// exit messages to its runningProgram and each awaited result to its
// request; requests are sent from the test's goroutine.
type programSession struct {
	t    testing.TB
	c    *client
	done chan struct{} // closed when the reader has ended

	mu       sync.Mutex
	programs map[string]*runningProgram // by program id, made by whichever side sees it first
	waiting  map[int]chan msg           // results awaited, by request id
}

// newProgramSession starts a server whose sessions run programs (skipping
// the test where this machine cannot make sandboxes, never under CI) and
// opens a session on it.
func newProgramSession(t *testing.T) *programSession {
	t.Helper()
	srv := kernelServer(t)
	ps := &programSession{t: t, c: srv.dial(t), done: make(chan struct{}),
		programs: map[string]*runningProgram{}, waiting: map[int]chan msg{}}
	if ps.c.hello["programs"] != true {
		t.Fatalf("hello says programs cannot run: %v", ps.c.hello)
	}
	go ps.read()
	t.Cleanup(func() { ps.c.conn.Close(); <-ps.done })
	return ps
}

// read dispatches every message until the connection ends.
func (ps *programSession) read() {
	defer close(ps.done)
	for m := range ps.c.msgs {
		ps.c.check(m)
		switch m.str("kind") {
		case "result":
			ps.mu.Lock()
			ch := ps.waiting[m.num("id")]
			delete(ps.waiting, m.num("id"))
			ps.mu.Unlock()
			if ch != nil && m["id"] != nil {
				ch <- m
			}
		case "output":
			rp := ps.program(m.str("program"))
			b := &rp.stdout
			if m.str("stream") == "stderr" {
				b = &rp.stderr
			}
			rp.update(func() { b.WriteString(m.str("text")) })
		case "exit":
			rp := ps.program(m.str("program"))
			code := -1 // stopped by the server: like a process a signal ended
			if _, ok := m["code"]; ok {
				code = m.num("code")
			}
			rp.update(func() { rp.exited, rp.code, rp.reason = true, code, m.str("reason") })
		}
	}
}

// program returns the record of program id, making it if it is new.
func (ps *programSession) program(id string) *runningProgram {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	rp := ps.programs[id]
	if rp == nil {
		rp = newRunningProgram()
		ps.programs[id] = rp
	}
	return rp
}

// request sends op and returns a channel that receives its result.
func (ps *programSession) request(op string, args map[string]any) <-chan msg {
	ps.t.Helper()
	ch := make(chan msg, 1)
	ps.mu.Lock()
	ps.c.nextID++
	id := ps.c.nextID
	ps.waiting[id] = ch
	ps.mu.Unlock()
	ps.c.sendID(id, op, args)
	return ch
}

// do sends op and waits for its result.
func (ps *programSession) do(op string, args map[string]any) (msg, error) {
	ps.t.Helper()
	select {
	case r := <-ps.request(op, args):
		if !r.ok() {
			return r, fmt.Errorf("%s: %v", op, r["error"])
		}
		return r, nil
	case <-ps.done:
		return nil, fmt.Errorf("%s: the connection ended", op)
	case <-time.After(exampleWait):
		return nil, fmt.Errorf("%s: no result within %v", op, exampleWait)
	}
}

// start runs p through op run; its output and exit arrive as messages.
func (ps *programSession) start(t testing.TB, p examples.Program, args ...string) *runningProgram {
	t.Helper()
	if args == nil {
		args = []string{}
	}
	r, err := ps.do("run", map[string]any{"code": p.Code, "name": p.Name, "args": args})
	if err != nil {
		t.Fatalf("run %s: %v", p.Name, err)
	}
	id := r.str("program")
	rp := ps.program(id)
	rp.mu.Lock()
	rp.t, rp.name = t, p.Name+" ("+id+")"
	rp.mu.Unlock()
	rp.write = func(text string) error {
		_, err := ps.do("input", map[string]any{"program": id, "text": text})
		return err
	}
	rp.kill = func() { ps.request("stop", map[string]any{"program": id}) } // refused once it has ended: that is fine
	return rp
}

// checkSockets checks that every program the session ran made its sockets
// as the session's: socket messages on the page carrying its id.
func (ps *programSession) checkSockets(t *testing.T) {
	t.Helper()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for id, rp := range ps.programs {
		marked := ps.c.find(func(m msg) bool { return m.str("kind") == "socket" && m.str("program") == id })
		if len(marked) == 0 {
			t.Errorf("%s made no socket the page saw as its (\"program\":%q)", rp.name, id)
		}
	}
}

// newRunningProgram returns a program that has printed nothing yet.
func newRunningProgram() *runningProgram {
	return &runningProgram{changed: make(chan struct{})}
}

// copy appends what r yields to b until r ends.
func (rp *runningProgram) copy(r io.Reader, b *strings.Builder) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			rp.update(func() { b.Write(buf[:n]) })
		}
		if err != nil {
			return
		}
	}
}

// update changes the program's state under its mutex and wakes waiters.
func (rp *runningProgram) update(f func()) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	f()
	close(rp.changed)
	rp.changed = make(chan struct{})
}

// snapshot returns the output so far, whether it exited, and a channel
// closed at the next change.
func (rp *runningProgram) snapshot() (stdout, stderr string, exited bool, changed <-chan struct{}) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.stdout.String(), rp.stderr.String(), rp.exited, rp.changed
}

// waitFor waits until the program's stdout matches the regular expression
// re, failing the test if it exits or the wait runs out first.
func (rp *runningProgram) waitFor(re string) {
	rp.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(exampleWait)
	for {
		out, errs, exited, changed := rp.snapshot()
		switch {
		case rx.MatchString(out):
			return
		case exited:
			rp.t.Fatalf("%s exited without printing %q; stdout:\n%s\nstderr:\n%s", rp.name, re, out, errs)
		}
		select {
		case <-changed:
		case <-deadline:
			rp.t.Fatalf("%s did not print %q within %v; stdout:\n%s\nstderr:\n%s", rp.name, re, exampleWait, out, errs)
		}
	}
}

// input types text (with its newline) into the program.
func (rp *runningProgram) input(text string) {
	rp.t.Helper()
	if err := rp.write(text); err != nil {
		rp.t.Fatalf("input to %s: %v", rp.name, err)
	}
}

// exit waits for the program to end and returns its stdout, failing the
// test unless its exit status is code.
func (rp *runningProgram) exit(code int) string {
	rp.t.Helper()
	deadline := time.After(exampleWait)
	for {
		out, errs, exited, changed := rp.snapshot()
		if exited {
			if rp.code != code || rp.reason != "" {
				rp.t.Fatalf("%s exited with %d %s, want %d; stdout:\n%s\nstderr:\n%s", rp.name, rp.code, rp.reason, code, out, errs)
			}
			return out
		}
		select {
		case <-changed:
		case <-deadline:
			rp.t.Fatalf("%s still runs after %v; stdout:\n%s\nstderr:\n%s", rp.name, exampleWait, out, errs)
		}
	}
}

// stop ends a program that serves forever, waits until it has ended and
// returns its stdout; it must not have failed before (no traceback on
// stderr).
func (rp *runningProgram) stop() string {
	rp.t.Helper()
	out, errs, _, _ := rp.snapshot()
	if errs != "" {
		rp.t.Fatalf("%s wrote to stderr:\n%s", rp.name, errs)
	}
	rp.kill()
	deadline := time.After(exampleWait)
	for {
		_, _, exited, changed := rp.snapshot()
		if exited {
			if rp.reason != "" && rp.reason != "stopped" {
				rp.t.Fatalf("%s ended with reason %s, not by the stop", rp.name, rp.reason)
			}
			return out
		}
		select {
		case <-changed:
		case <-deadline:
			rp.t.Fatalf("%s still runs %v after it was stopped", rp.name, exampleWait)
		}
	}
}

// exampleScenarios say, for each example, how a learner runs its programs
// and what they must see: the behaviour its seed describes.
var exampleScenarios = map[string]func(t *testing.T, run func(name string, args ...string) *runningProgram){
	"udp-send-receive": func(t *testing.T, run func(string, ...string) *runningProgram) {
		rx := run("receiver.py")
		rx.waitFor(`waiting for one datagram on port 9100\n`)
		tx := run("sender.py")
		tx.waitFor(`type one line to send\n`)
		tx.input("你好, UDP\n")
		if out := tx.exit(0); !strings.Contains(out, "sent 11 bytes to ('127.0.0.1', 9100)\n") {
			t.Errorf("sender printed:\n%s\nwant it to say 11 bytes went to ('127.0.0.1', 9100)", out)
		}
		out := rx.exit(0)
		want := regexp.MustCompile(`got b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd, UDP' from \('127\.0\.0\.1', \d+\)\nas text: 你好, UDP\n`)
		if !want.MatchString(out) {
			t.Errorf("receiver printed:\n%s\nwant it to match %s", out, want)
		}
	},
	"udp-echo": func(t *testing.T, run func(string, ...string) *runningProgram) {
		srv := run("server.py")
		srv.waitFor(`echo server on port 9101\n`)
		cl := run("client.py")
		cl.waitFor(`an empty line ends\n`)
		for _, line := range []string{"first", "second datagram"} {
			cl.input(line + "\n")
			cl.waitFor(`echoed: ` + line + `\n`)
			srv.waitFor(`from \('127\.0\.0\.1', \d+\): ` + line + `\n`)
		}
		cl.input("\n")
		if out := cl.exit(0); !strings.HasSuffix(out, "bye\n") {
			t.Errorf("client printed:\n%s\nwant it to end with bye", out)
		}
		srv.stop()
		lone := run("client.py")
		lone.input("anyone?\n")
		lone.waitFor(`no answer within 2 s`)
		lone.input("\n")
		lone.exit(0)
	},
	"udp-chat": func(t *testing.T, run func(string, ...string) *runningProgram) {
		a := run("chat.py", "9102")
		a.waitFor(`chat on port 9102, waiting for someone to write\n`)
		b := run("chat.py", "9103", "9102")
		b.waitFor(`chat on port 9103 with \('127\.0\.0\.1', 9102\)`)
		b.input("hello from b\n")
		a.waitFor(`\('127\.0\.0\.1', 9103\) says: hello from b\n`)
		a.waitFor(`type lines to answer`)
		// Both directions, several times: each side's receiving thread
		// prints while its main thread waits in input().
		for i := range 3 {
			a.input(fmt.Sprintf("a to b %d\n", i))
			b.waitFor(fmt.Sprintf(`\('127\.0\.0\.1', 9102\) says: a to b %d\n`, i))
			b.input(fmt.Sprintf("b to a %d\n", i))
			a.waitFor(fmt.Sprintf(`\('127\.0\.0\.1', 9103\) says: b to a %d\n`, i))
		}
		a.input("\n")
		a.waitFor(`chat ended\n`)
		a.exit(0)
		b.input("\n")
		b.exit(0)
	},
	"udp-broadcast": func(t *testing.T, run func(string, ...string) *runningProgram) {
		r1 := run("receiver.py")
		r1.waitFor(`listening for broadcasts on port 9104\n`)
		r2 := run("receiver.py")
		r2.waitFor(`listening for broadcasts on port 9104\n`)
		tx := run("sender.py")
		out := tx.exit(0)
		for _, want := range []string{
			"without SO_BROADCAST: PermissionError: [Errno 13] Permission denied\n",
			"with SO_BROADCAST: sent 43 bytes to ('127.255.255.255', 9104)\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("sender printed:\n%s\nwant the line %q", out, want)
			}
		}
		for _, r := range []*runningProgram{r1, r2} {
			r.waitFor(`broadcast from \('127\.0\.0\.1', \d+\): 1:100:learner:learner-pc:32:hello, everyone\n`)
			if n := strings.Count(r.stop(), "broadcast from"); n != 1 {
				t.Errorf("a receiver got %d broadcasts, want 1 (the one sent without SO_BROADCAST must not arrive)", n)
			}
		}
	},
	"tcp-client-server": func(t *testing.T, run func(string, ...string) *runningProgram) {
		refused := run("client.py")
		if out := refused.exit(1); !strings.Contains(out, "ConnectionRefusedError: [Errno 111] Connection refused") {
			t.Errorf("client without a server printed:\n%s\nwant ConnectionRefusedError: [Errno 111]", out)
		}
		srv := run("server.py")
		srv.waitFor(`listening on \('127\.0\.0\.1', 9105\)\n`)
		for round := range 2 { // one client after the other
			cl := run("client.py")
			cl.waitFor(`connected to \('127\.0\.0\.1', 9105\) from \('127\.0\.0\.1', \d+\)\n`)
			srv.waitFor(strings.Repeat(`(?s:.*)connected: \('127\.0\.0\.1', \d+\)\n`, round+1))
			cl.input("hello server\n")
			cl.waitFor(`server: received 12 bytes\n`)
			srv.waitFor(`received: hello server\n`)
			cl.input("exit\n")
			if out := cl.exit(0); !strings.HasSuffix(out, "closed\n") {
				t.Errorf("client printed:\n%s\nwant it to end with closed", out)
			}
			srv.waitFor(strings.Repeat(`(?s:.*)closed the connection\n`, round+1))
		}
		srv.stop()
	},
	"tcp-threaded-server": func(t *testing.T, run func(string, ...string) *runningProgram) {
		srv := run("server.py")
		srv.waitFor(`serving on \('127\.0\.0\.1', 9106\)\n`)
		c1 := run("client.py")
		c1.waitFor(`connected as`)
		c1.input("hello\n")
		c1.waitFor(`1: HELLO\n`)
		// The second client is served while the first is still connected.
		c2 := run("client.py")
		c2.waitFor(`connected as`)
		c2.input("second one\n")
		c2.waitFor(`2: SECOND ONE\n`)
		c1.input("still here\n")
		c1.waitFor(`1: STILL HERE\n`)
		srv.waitFor(`client 1 connected from (?s:.*)client 2 connected from `)
		c1.input("\n")
		c2.input("\n")
		c1.exit(0)
		c2.exit(0)
		srv.waitFor(`client 1 left\n`)
		srv.waitFor(`client 2 left\n`)
		srv.stop()
	},
	"sticky-packets": func(t *testing.T, run func(string, ...string) *runningProgram) {
		for _, tc := range []struct{ args, first, second string }{
			{"", `recv 1: b'helloworldSB'\n`, `recv 2: b''\n`},
			{"1", `recv 1: b'h'\n`, `recv 2: b'elloworldSB'\n`},
		} {
			args := []string{"9107"}
			if tc.args != "" {
				args = append(args, tc.args)
			}
			srv := run("server.py", args...)
			srv.waitFor(`listening on port 9107\n`)
			cl := run("client.py")
			if out := cl.exit(0); out != "sent b'helloworld'\nsent b'SB'\nclosed\n" {
				t.Errorf("client printed:\n%s", out)
			}
			srv.waitFor(`press Enter to read\n`)
			srv.input("\n")
			srv.waitFor(tc.first)
			srv.waitFor(tc.second)
			srv.exit(0)
		}
	},
	"length-prefix": func(t *testing.T, run func(string, ...string) *runningProgram) {
		srv := run("server.py")
		srv.waitFor(`listening on port 9108\n`)
		cl := run("client.py")
		if out := cl.exit(0); out != "sent b'\\x00\\x00\\x00\\nhelloworld'\nsent b'\\x00\\x00\\x00\\x02SB'\nclosed\n" {
			t.Errorf("client printed:\n%s", out)
		}
		srv.waitFor(`press Enter to read\n`)
		srv.input("\n")
		srv.waitFor(`message 1: b'helloworld'\nmessage 2: b'SB'\nthe client closed\n`)
		srv.exit(0)
	},
	"json-header": func(t *testing.T, run func(string, ...string) *runningProgram) {
		srv := run("server.py")
		srv.waitFor(`listening on port 9109\n`)
		cl := run("client.py")
		cl.waitFor(`an empty line quits\)\n`)
		for _, tc := range []struct{ cmd, want string }{
			{"echo 你好", `\{'cmd': 'echo', 'data_size': 6, 'status': 'ok'\}\n你好\n`},
			{"ls", `\{'cmd': 'ls', 'data_size': 30, 'status': 'ok'\}\nhello.txt\nnotes.md\nreport.pdf\n\z`},
			{"big 300000", `\{'cmd': 'big', 'data_size': 300000, 'status': 'ok'\}\n300000 bytes: b'abcdefghij'\.\.\.\n`},
			{"time", `\{'cmd': 'time', 'data_size': 20, 'status': 'ok'\}\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n`},
			{"rm -rf /", `\{'cmd': 'rm', 'data_size': \d+, 'status': 'error'\}\nunknown command 'rm': the commands are echo <text>, big <n>, ls and time\n`},
		} {
			cl.input(tc.cmd + "\n")
			cl.waitFor(tc.want)
			srv.waitFor(`request: ` + regexp.QuoteMeta(tc.cmd) + `\n`)
		}
		cl.input("\n")
		cl.exit(0)
		srv.waitFor(`left\n`)
		srv.stop()
	},
	"file-transfer": func(t *testing.T, run func(string, ...string) *runningProgram) {
		srv := run("server.py")
		srv.waitFor(`file server on port 9110\n`)
		out := run("client.py").exit(0)
		want := "uploading notes.bin (300000 bytes)\n25%\n50%\n75%\n100%\n" +
			"on the server: notes.bin 300000\ndownloaded 300000 bytes, sha256 matches: True\n"
		if out != want {
			t.Errorf("client printed:\n%s\nwant:\n%s", out, want)
		}
		srv.waitFor(`put notes.bin at 225000: 75000 bytes, now 300000\n`)
		srv.waitFor(`get notes.bin from 0: 300000 bytes\n`)
		srv.stop()
	},
}

// TestExamples runs every example's programs together as its header says
// and checks that each behaves as its seed describes: through op run on a
// real server (subtest "run": sandboxed, with sockplay's socket module, so
// every call is an op of the session) and, so that both agree, in plain
// CPython with its own socket module (subtest "cpython"). Every example
// must have a scenario.
func TestExamples(t *testing.T) {
	xs, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		t.Run(x.Slug, func(t *testing.T) {
			scenario := exampleScenarios[x.Slug]
			if scenario == nil {
				t.Fatalf("example %s has no scenario in exampleScenarios", x.Slug)
			}
			program := func(t *testing.T, name string) examples.Program {
				t.Helper()
				p := x.Program(name)
				if p == nil {
					t.Fatalf("example %s has no program %s", x.Slug, name)
				}
				return *p
			}
			t.Run("run", func(t *testing.T) {
				ps := newProgramSession(t)
				scenario(t, func(name string, args ...string) *runningProgram {
					t.Helper()
					return ps.start(t, program(t, name), args...)
				})
				ps.checkSockets(t)
			})
			t.Run("cpython", func(t *testing.T) {
				scenario(t, func(name string, args ...string) *runningProgram {
					t.Helper()
					return startCPython(t, program(t, name), args...)
				})
			})
		})
	}
	if len(exampleScenarios) != len(xs) {
		t.Errorf("%d scenarios for %d examples", len(exampleScenarios), len(xs))
	}
}

// TestExamplePagesInChinese: on a Chinese page /examples and every
// program's page show the example's and the program's header in Chinese
// (the -zh keys: title, how to run it, arguments, what to expect), and on
// an English page the English, without the Chinese outside the code.
func TestExamplePagesInChinese(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	xs, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"zh", "en"} {
		_, index, _ := getPage(t, srv, "/examples", map[string]string{"Cookie": "sockplay_lang=" + lang})
		for _, x := range xs {
			want, other := x.TitleIn(lang), x.TitleIn(otherLang(lang))
			if !strings.Contains(index, "<h2>"+html.EscapeString(want)+"</h2>") || strings.Contains(index, "<h2>"+html.EscapeString(other)+"</h2>") {
				t.Errorf("%s /examples: %s's title is not %q", lang, x.Slug, want)
			}
			for _, p := range x.Programs {
				path := "/examples/" + x.Slug + "/" + p.Name
				code, page, _ := getPage(t, srv, path, map[string]string{"Cookie": "sockplay_lang=" + lang})
				if code != 200 {
					t.Fatalf("%s %s: status %d", lang, path, code)
				}
				text, not := p.In(lang), p.In(otherLang(lang))
				for field, v := range map[string][2]string{"expect": {text.Expect, not.Expect}, "args": {text.Args, not.Args}} {
					if !strings.Contains(page, `data-field="`+field+`">`+html.EscapeString(v[0])+"</dd>") {
						t.Errorf("%s %s: its %s is not %q", lang, path, field, v[0])
					}
					if strings.Contains(page, `data-field="`+field+`">`+html.EscapeString(v[1])) {
						t.Errorf("%s %s: its %s shows the other language's %q", lang, path, field, v[1])
					}
				}
				if !strings.Contains(page, "— "+html.EscapeString(text.Title)) || !strings.Contains(page, html.EscapeString(text.Together)) ||
					!strings.Contains(page, "<title>"+html.EscapeString(p.Name+" · "+want)) {
					t.Errorf("%s %s: the title %q, %q and how to run it, %q, are not all on the page", lang, path, text.Title, want, text.Together)
				}
			}
		}
	}
}

func otherLang(lang string) string {
	if lang == "zh" {
		return "en"
	}
	return "zh"
}
