package web_test

import (
	"bufio"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/programs"
)

// programRunner returns a Runner with small limits, or skips the test when
// this machine cannot make sandboxes (never under CI=true).
func programRunner(t *testing.T) *programs.Runner {
	t.Helper()
	r := programs.New(programs.Config{Limits: programs.Limits{
		Wall: 2 * time.Minute, CPU: 2 * time.Second, Memory: 256 << 20, Procs: 16, Output: 64 << 10,
	}})
	if err := r.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("programs cannot run under CI: %v", err)
		}
		t.Skipf("programs cannot run on this machine: %v", err)
	}
	return r
}

// programOutput collects a program's messages until its exit: its stdout,
// its stderr, and the exit message.
func (c *client) programOutput(program string) (stdout, stderr string, exit msg) {
	c.t.Helper()
	var out, errs strings.Builder
	for {
		m := c.next()
		if m.str("program") != program {
			continue
		}
		switch m.str("kind") {
		case "output":
			if m.str("stream") == "stdout" {
				out.WriteString(m.str("text"))
			} else {
				errs.WriteString(m.str("text"))
			}
		case "exit":
			return out.String(), errs.String(), m
		}
	}
}

// untilOutput reads messages until program's stdout has held want.
func (c *client) untilOutput(program, want string) {
	c.t.Helper()
	var out strings.Builder
	for !strings.Contains(out.String(), want) {
		m := c.next()
		if m.str("kind") == "exit" && m.str("program") == program {
			c.t.Fatalf("%s ended (%v) before its output held %q; it was %q", program, m, want, out.String())
		}
		if m.str("kind") == "output" && m.str("program") == program && m.str("stream") == "stdout" {
			out.WriteString(m.str("text"))
		}
	}
}

func (c *client) run(code string, args ...string) string {
	c.t.Helper()
	r := c.must("run", map[string]any{"code": code, "name": "prog.py", "args": args})
	if r.str("name") != "prog.py" || r.str("program") == "" {
		c.t.Fatalf("run result %v", r)
	}
	return r.str("program")
}

func TestProgramsOverWebSocket(t *testing.T) {
	var channels atomic.Int64
	srv := newServer(t, sessions.Config{Programs: programRunner(t),
		// A stand-in for the server side of the channel: it answers each
		// line with the line upper-cased.
		Channel: func(s *sessions.Session, f *os.File, program string) {
			channels.Add(1)
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				f.Write([]byte(strings.ToUpper(sc.Text()) + " from " + program + "\n"))
			}
		}})
	c := srv.dial(t)
	if c.hello["programs"] != true || c.hello.obj("limits").num("programs") != sessions.MaxPrograms {
		t.Fatalf("hello: %v", c.hello)
	}

	t.Run("print, traceback, exit code", func(t *testing.T) {
		defer c.use(t)()
		p := c.run("import sys\nprint('hi', sys.argv[1])\ndef f():\n    raise ValueError('bad')\nf()\n", "there")
		out, errs, exit := c.programOutput(p)
		if out != "hi there\n" {
			t.Errorf("stdout %q", out)
		}
		want := "Traceback (most recent call last):\n  File \"/tmp/prog.py\", line 5, in <module>\n    f()\n  File \"/tmp/prog.py\", line 4, in f\n    raise ValueError('bad')\nValueError: bad\n"
		if errs != want {
			t.Errorf("stderr %q, want %q", errs, want)
		}
		if exit.num("code") != 1 || exit["reason"] != nil {
			t.Errorf("exit %v", exit)
		}
	})

	t.Run("input and the channel", func(t *testing.T) {
		defer c.use(t)()
		p := c.run("import os, socket\nch = socket.socket(fileno=int(os.environ['SOCKPLAY_FD']))\nf = ch.makefile('rw')\nline = input('say: ')\nf.write(line + '\\n'); f.flush()\nprint(f.readline().strip())\n")
		c.untilOutput(p, "say: ")
		r := c.must("input", map[string]any{"program": p, "text": "hello\n"})
		if r.num("bytes") != 6 {
			t.Errorf("input result %v", r)
		}
		out, _, exit := c.programOutput(p)
		if out != "HELLO from "+p+"\n" || exit.num("code") != 0 {
			t.Errorf("stdout %q, exit %v", out, exit)
		}
	})

	t.Run("stop", func(t *testing.T) {
		defer c.use(t)()
		p := c.run("import time\nprint('up')\ntime.sleep(600)\n")
		c.untilOutput(p, "up")
		c.must("stop", map[string]any{"program": p})
		_, _, exit := c.programOutput(p)
		if exit.str("reason") != "stopped" || exit["code"] != nil {
			t.Errorf("exit %v", exit)
		}
		r := c.do("stop", map[string]any{"program": p})
		checkError(t, r, errWant{typ: "bad_request", contains: []string{"no program"}})
	})

	t.Run("several at once, and the limit", func(t *testing.T) {
		defer c.use(t)()
		var ps []string
		for range sessions.MaxPrograms {
			p := c.run("print('ready')\nprint(input())\n")
			c.untilOutput(p, "ready")
			ps = append(ps, p)
		}
		r := c.do("run", map[string]any{"code": "print(1)"})
		checkError(t, r, errWant{typ: "limit", contains: []string{"at most 4 programs"}})
		for i, p := range ps {
			c.must("input", map[string]any{"program": p, "text": p + "\n", "eof": true})
			if out, _, exit := c.programOutput(p); out != p+"\n" || exit.num("code") != 0 {
				t.Errorf("program %d: stdout %q, exit %v", i, out, exit)
			}
		}
	})

	t.Run("a fork bomb, then the session lives on", func(t *testing.T) {
		defer c.use(t)()
		p := c.run("import os\nwhile True:\n    os.fork()\n")
		_, _, exit := c.programOutput(p)
		if exit.str("reason") != "processes" || !strings.Contains(exit.str("limit"), "16 processes") {
			t.Errorf("exit %v", exit)
		}
		p = c.run("print('alive')")
		if out, _, exit := c.programOutput(p); out != "alive\n" || exit.num("code") != 0 {
			t.Errorf("after the bomb: %q, %v", out, exit)
		}
		c.socket("SOCK_DGRAM") // the session's sockets still work
	})

	t.Run("bad requests", func(t *testing.T) {
		defer c.use(t)()
		checkError(t, c.do("run", map[string]any{}), errWant{typ: "bad_request", contains: []string{"run needs code"}})
		checkError(t, c.do("run", map[string]any{"code": "x", "name": "../x.py"}), errWant{typ: "bad_request", exception: "ValueError", contains: []string{"plain file name"}})
		checkError(t, c.do("input", map[string]any{"program": "p99", "text": "x"}), errWant{typ: "bad_request", contains: []string{"no program"}})
		checkError(t, c.do("input", map[string]any{"program": "p1"}), errWant{typ: "bad_request", contains: []string{"input needs text"}})
	})
	if channels.Load() == 0 {
		t.Errorf("the channel hook was never called")
	}

	// The session's end stops a running program.
	p := c.run("import time\nprint('up')\ntime.sleep(600)\n")
	c.untilOutput(p, "up")
	done := make(chan struct{})
	go func() { srv.manager.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the session did not end with a program running")
	}
}

// TestProgramsRefused: without a runner, hello says why and run is refused
// with that sentence; the session lives on.
func TestProgramsRefused(t *testing.T) {
	srv := newServer(t, sessions.Config{Programs: programs.New(programs.Config{Bwrap: "/nonexistent/bwrap"})})
	c := srv.dial(t)
	if c.hello["programs"] != false || !strings.Contains(c.hello.str("programs_note"), "bubblewrap") {
		t.Fatalf("hello: %v", c.hello)
	}
	checkError(t, c.do("run", map[string]any{"code": "print(1)"}), errWant{typ: "policy", contains: []string{"apt-get install bubblewrap"}})
	c.socket("SOCK_STREAM")

	srv = newServer(t, sessions.Config{})
	c = srv.dial(t)
	if c.hello["programs"] != false || c.hello.str("programs_note") == "" {
		t.Fatalf("hello without a runner: %v", c.hello)
	}
	checkError(t, c.do("run", map[string]any{"code": "print(1)"}), errWant{typ: "policy", contains: []string{"does not run programs"}})
}
