package web_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/programs"

	pylib "sockplay/sessions/python"
	"sockplay/templates/lessons"
)

// This file runs a lesson's Python cells and asserts their hidden checks
// (templates/lessons/FORMAT.md, "Cells" and "Checks"), in three kernels:
// the kernel script in real CPython with CPython's own socket module (the
// cells are plain Python that runs anywhere), the same with sockplay's
// module on the session (the cells' sockets are the session's), and the
// session's kernel through op run {"kernel": true} and op cell. static/js/cells.js is the page's twin
// of runCells.

// cellsWait bounds how long a lesson's cells may take in all.
const cellsWait = 60 * time.Second

// cellKernel is a kernel the cells run in.
type cellKernel interface {
	// send starts a cell (the kernel queues it behind the ones before).
	send(cell, code string)
	// next returns the next event, false when the kernel ended or the
	// deadline passed.
	next(deadline time.Time) (pylib.KernelEvent, bool)
}

// cellRun is what one cell did.
type cellRun struct {
	cell   lessons.Cell
	done   bool
	ok     bool
	err    string
	waited bool
	out    strings.Builder
}

// runCells runs the cells in order as a learner clicking Run down the page
// would: the next cell is sent once the one before has ended, or — when its
// check says it waits or stays waiting — once the kernel said it waits;
// and once the waiting cells it ends (its check's ends) have ended too.
// When every cell has been sent, it waits until each has ended (or, for
// still-waiting cells, waits); then it asserts each cell's check. It
// returns the failures, each naming the cell's file line.
func runCells(k cellKernel, file string, cells []lessons.Cell) []string {
	runs := map[string]*cellRun{}
	for _, c := range cells {
		runs[c.ID] = &cellRun{cell: c}
	}
	released := func(r *cellRun) bool {
		for _, id := range r.cell.Check.Ends {
			if !runs[id].done {
				return false
			}
		}
		waits := r.cell.Check.Waits || r.cell.Check.StillWaiting
		return r.done || waits && r.waited
	}
	settled := func(r *cellRun) bool { return r.done || r.cell.Check.StillWaiting && r.waited }
	deadline := time.Now().Add(cellsWait)
	// read applies events until f holds or the time is up.
	read := func(f func() bool) bool {
		for !f() {
			ev, ok := k.next(deadline)
			if !ok {
				return false
			}
			r := runs[ev.Cell]
			if r == nil {
				continue
			}
			switch ev.Event {
			case "output":
				r.out.WriteString(ev.Text)
			case "waiting":
				r.waited = true
			case "done":
				r.done, r.ok, r.err = true, ev.OK, ev.Error
			}
		}
		return true
	}
	for _, c := range cells {
		k.send(c.ID, c.Code)
		if !read(func() bool { return released(runs[c.ID]) }) {
			break
		}
	}
	read(func() bool {
		for _, r := range runs {
			if !settled(r) {
				return false
			}
		}
		return true
	})
	var fails []string
	for _, c := range cells {
		r := runs[c.ID]
		if ok, why := c.Check.Passes(r.done, r.ok, r.err, r.waited, r.out.String()); !ok {
			fails = append(fails, fmt.Sprintf("%s:%d: cell %s: %s; its output:\n%s", file, c.Line, c.ID, why, r.out.String()))
		}
	}
	return fails
}

// localKernel is the kernel script in python3 with CPython's own modules.
type localKernel struct {
	t      testing.TB
	stdin  io.WriteCloser
	events chan pylib.KernelEvent
}

// startLocalKernel starts the kernel in real CPython with CPython's own
// modules (skips without python3).
func startLocalKernel(t *testing.T) *localKernel {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "sessions", "python", "lib", pylib.KernelFile))
	if err != nil {
		t.Fatal(err)
	}
	return startKernelProcess(t, exec.Command(pythonPath(t), "-I", script), nil)
}

// startModuleKernel starts the kernel in real CPython with sockplay's
// modules, its channel served for page's session as program (what op run
// {"kernel": true} does, without the sandbox).
func startModuleKernel(t *testing.T, ts *testServer, page *client, program string) *localKernel {
	t.Helper()
	dir, err := pylib.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cp := openChannel(t, ts, page, program)
	cmd := exec.Command(pythonPath(t), "-m", strings.TrimSuffix(pylib.KernelFile, ".py"))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "SOCKPLAY_FD=3", "PYTHONDONTWRITEBYTECODE=1")
	return startKernelProcess(t, cmd, cp.Program)
}

// startKernelProcess starts cmd, the kernel; fd3, if not nil, becomes its
// file descriptor 3.
func startKernelProcess(t *testing.T, cmd *exec.Cmd, fd3 *os.File) *localKernel {
	t.Helper()
	var err error
	cmd.Dir = t.TempDir()
	if fd3 != nil {
		cmd.ExtraFiles = []*os.File{fd3}
	}
	k := &localKernel{t: t, events: make(chan pylib.KernelEvent, 64)}
	if k.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		defer close(k.events)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			ev, err := pylib.ParseKernelEvent(sc.Bytes())
			if err != nil {
				t.Errorf("%v: %s", err, sc.Text())
				continue
			}
			select {
			case k.events <- ev:
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		k.stdin.Close()
		cmd.Process.Kill() // cells still waiting end with the kernel
		cmd.Wait()
	})
	return k
}

func (k *localKernel) send(cell, code string) {
	if _, err := k.stdin.Write(pylib.KernelCell{Cell: cell, Code: code}.Line()); err != nil {
		k.t.Errorf("kernel stdin: %v", err)
	}
}

func (k *localKernel) next(deadline time.Time) (pylib.KernelEvent, bool) {
	select {
	case ev, ok := <-k.events:
		return ev, ok
	case <-time.After(time.Until(deadline)):
		return pylib.KernelEvent{}, false
	}
}

// runLessonCells runs a lesson's cells in real CPython with its own
// modules (subtest cpython), with sockplay's modules on c's session
// (subtest sockplay: the kernel's channel served directly) and in the
// session's kernel (subtest session: op run and op cell); the lesson's
// peers are running on c's session. A lab lesson's cells need the lab's
// hosts, which only sockplay's kernels have: its cpython subtest is skipped,
// and so it is on a private network (private: the peers live in the
// session's namespace, which CPython's own sockets cannot reach).
func runLessonCells(t *testing.T, ts *testServer, c *client, l *lessons.Lesson, private bool) {
	t.Run("cpython", func(t *testing.T) {
		switch {
		case l.Network == lessons.NetworkLab:
			t.Skip("a lab lesson's cells make their sockets on the lab's hosts (sockplay.lab, sockplay.socket_on): they run in sockplay's kernels only")
		case private:
			t.Skip("on a private network the lesson's peers live in the session's namespace: CPython's own sockets cannot reach them")
		}
		for _, f := range runCells(startLocalKernel(t), l.File, l.Cells) {
			t.Error(f)
		}
	})
	t.Run("sockplay", func(t *testing.T) {
		defer c.use(t)()
		for _, f := range runCells(startModuleKernel(t, ts, c, "kernel"), l.File, l.Cells) {
			t.Error(f)
		}
	})
	t.Run("session", func(t *testing.T) {
		defer c.use(t)()
		k, why := startSessionKernel(c, l.Lang)
		if k == nil {
			t.Skip(why)
		}
		for _, f := range runCells(k, l.File, l.Cells) {
			t.Error(f)
		}
	})
}

// kernelConfig is a sessions.Config whose sessions run programs, and so
// the cell kernel, with sockplay's modules, where this machine can make
// sandboxes (elsewhere op run is refused with the reason); wire, called
// with the server made from it, serves the programs' channels.
func kernelConfig(t testing.TB) (sessions.Config, func(*testServer)) {
	lib, err := pylib.Dir()
	if err != nil {
		t.Fatal(err)
	}
	var ts atomic.Pointer[testServer]
	cfg := sessions.Config{Programs: programs.New(programs.Config{Lib: lib}),
		Channel: func(s *sessions.Session, f *os.File, program string) { ts.Load().web.ServeChannel(s, f, program) }}
	return cfg, func(srv *testServer) { ts.Store(srv) }
}

// kernelServer is a server made from kernelConfig, its channels served;
// the test is skipped (failed under CI) where programs cannot run.
func kernelServer(t *testing.T) *testServer {
	t.Helper()
	cfg, wire := kernelConfig(t)
	if err := cfg.Programs.Available(); err != nil {
		skipOrFail(t, "programs cannot run on this machine: "+err.Error())
	}
	srv := newServer(t, cfg)
	wire(srv)
	return srv
}

// sessionKernel is the session's kernel, over the client's WebSocket.
type sessionKernel struct {
	c       *client
	program string
}

// startSessionKernel starts the session's kernel: op run {"kernel":
// true}, with lang (the lesson's language, as its page sends it). It
// returns nil and why when the server cannot (no op run yet).
func startSessionKernel(c *client, lang string) (*sessionKernel, string) {
	r := c.do("run", map[string]any{"kernel": true, "lang": lang})
	if !r.ok() {
		return nil, fmt.Sprintf("the session's kernel did not start: %v", r["error"])
	}
	return &sessionKernel{c: c, program: r.str("program")}, ""
}

func (k *sessionKernel) send(cell, code string) {
	k.c.send("cell", map[string]any{"program": k.program, "cell": cell, "code": code})
}

func (k *sessionKernel) next(deadline time.Time) (pylib.KernelEvent, bool) {
	for time.Now().Before(deadline) {
		var m msg
		select {
		case got, ok := <-k.c.msgs:
			if !ok {
				return pylib.KernelEvent{}, false
			}
			k.c.check(got)
			m = got
		case <-time.After(time.Until(deadline)):
			return pylib.KernelEvent{}, false
		}
		if m.str("program") != k.program {
			if m.str("kind") == "result" && m.str("op") == "cell" && !m.ok() {
				k.c.t.Errorf("a cell request failed: %v", m)
			}
			continue
		}
		ev := pylib.KernelEvent{Cell: m.str("cell")}
		switch m.str("kind") {
		case "output":
			ev.Event, ev.Stream, ev.Text = "output", m.str("stream"), m.str("text")
		case "cell_waiting":
			ev.Event = "waiting"
		case "cell_done":
			ev.Event, ev.OK, ev.Error = "done", m.ok(), m.str("error")
		case "exit":
			k.c.t.Errorf("the kernel ended: %v", m)
			return pylib.KernelEvent{}, false
		default:
			continue
		}
		return ev, true
	}
	return pylib.KernelEvent{}, false
}

// TestCellOps: op cell and run {"kernel": true} over a WebSocket: bad
// requests get clear errors and lose nothing, a second kernel replaces the
// first, and a cell's messages carry the program and the cell.
func TestCellOps(t *testing.T) {
	srv := kernelServer(t)
	c := srv.dial(t)

	for _, tt := range []struct {
		op   string
		args map[string]any
		want string
	}{
		{"run", map[string]any{"kernel": true, "code": "print(1)"}, "run takes code or kernel: true, not both"},
		{"cell", map[string]any{"program": "p9", "cell": "c1", "code": "1"}, `no program "p9" is running`},
		{"cell", map[string]any{"program": "p1", "cell": "c 1", "code": "1"}, "cell needs cell, the cell's name"},
		{"cell", map[string]any{"program": "p1", "cell": "c1"}, "cell needs code"},
	} {
		r := c.do(tt.op, tt.args)
		if r.ok() || !strings.Contains(r.obj("error").str("message"), tt.want) {
			t.Errorf("%s %v: %v, want an error saying %q", tt.op, tt.args, r["error"], tt.want)
		}
	}

	prog := c.must("run", map[string]any{"code": "import time\ntime.sleep(60)"}).str("program")
	if r := c.do("cell", map[string]any{"program": prog, "cell": "c1", "code": "1"}); r.ok() || !strings.Contains(r.obj("error").str("message"), "is not a cell kernel") {
		t.Errorf("cell to a program: %v", r)
	}
	c.must("stop", map[string]any{"program": prog})

	first := c.must("run", map[string]any{"kernel": true}).str("program")
	if r := c.do("input", map[string]any{"program": first, "text": "x\n"}); r.ok() || !strings.Contains(r.obj("error").str("message"), "is a cell kernel") {
		t.Errorf("input to a kernel: %v", r)
	}
	second := c.must("run", map[string]any{"kernel": true}).str("program")
	if second == first {
		t.Fatalf("the second kernel is %s again", second)
	}
	for m := c.next(); !(m.str("kind") == "exit" && m.str("program") == first); m = c.next() {
	} // the first kernel is stopped (c.next fails the test after 10 s without a message)

	k := &sessionKernel{c: c, program: second}
	cells := []lessons.Cell{
		{ID: "a", Code: "import socket\ns = socket.socket()\nprint('made', type(s).__module__)", Check: lessons.Check{Prints: []string{"made socket"}}},
		{ID: "b", Code: "try:\n    s.bind(('127.0.0.1', 80))\nexcept PermissionError as err:\n    print('refused:', err)", Check: lessons.Check{Prints: []string{"refused: "}}},
		{ID: "c", Code: "1/0", Check: lessons.Check{Raises: "ZeroDivisionError"}},
	}
	for _, f := range runCells(k, "TestCellOps", cells) {
		t.Error(f)
	}
	done := c.find(func(m msg) bool { return m.str("kind") == "cell_done" && m.str("cell") == "a" })
	if len(done) != 1 || done[0].str("program") != second || done[0]["ok"] != true || len(done[0].addr("sockets")) != 1 {
		t.Errorf("cell a's cell_done: %v", done)
	}
}
