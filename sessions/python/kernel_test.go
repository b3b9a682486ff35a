package python

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// kernel is the cell kernel running in real CPython with its own socket
// module (this test does not put sockplay's lib on the path).
type kernel struct {
	t      *testing.T
	stdin  io.WriteCloser
	events chan KernelEvent
	stderr *strings.Builder // read it only after wait: the process writes it
	wait   func() error     // waits for the process (once; later calls return its result)
	seen   []KernelEvent
}

// startKernel starts a kernel with env added to the test's environment.
func startKernel(t *testing.T, env ...string) *kernel {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	cmd := exec.Command(py, "-I", "lib/_sockplay_kernel.py")
	cmd.Env = append(os.Environ(), env...)
	k := &kernel{t: t, events: make(chan KernelEvent, 100), stderr: &strings.Builder{}}
	cmd.Stderr = k.stderr
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
	k.wait = sync.OnceValue(cmd.Wait)
	go func() {
		defer close(k.events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ev, err := ParseKernelEvent(sc.Bytes())
			if err != nil {
				ev = KernelEvent{Event: err.Error()}
			}
			k.events <- ev
		}
	}()
	t.Cleanup(func() {
		k.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- k.wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	k.until(func(ev KernelEvent) bool { return ev.Event == "ready" }, "ready")
	return k
}

func (k *kernel) send(cell, code string) {
	k.t.Helper()
	if _, err := k.stdin.Write(KernelCell{Cell: cell, Code: code}.Line()); err != nil {
		k.t.Fatal(err)
	}
}

// until reads events until f says stop, within a generous deadline.
func (k *kernel) until(f func(KernelEvent) bool, what string) KernelEvent {
	k.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-k.events:
			if !ok {
				k.wait()
				k.t.Fatalf("kernel ended before %s; events %+v; stderr %q", what, k.seen, k.stderr.String())
			}
			k.seen = append(k.seen, ev)
			if f(ev) {
				return ev
			}
		case <-deadline:
			k.t.Fatalf("no %s within 60 s; events %+v", what, k.seen)
		}
	}
}

// done waits for the cell's done event (or finds it among those seen).
func (k *kernel) done(cell string) KernelEvent {
	k.t.Helper()
	is := func(ev KernelEvent) bool { return ev.Event == "done" && ev.Cell == cell }
	for _, ev := range k.seen {
		if is(ev) {
			return ev
		}
	}
	return k.until(is, cell+"'s done")
}

// output is what the cell printed so far on stream.
func (k *kernel) output(cell, stream string) string {
	var b strings.Builder
	for _, ev := range k.seen {
		if ev.Event == "output" && ev.Cell == cell && ev.Stream == stream {
			b.WriteString(ev.Text)
		}
	}
	return b.String()
}

// TestKernelAcceptWaitsThenConnect: "accept waits; now connect" works as it
// reads, with CPython's own sockets: the accept cell blocks, the kernel
// says it waits and runs the connect cell, and then the accept cell ends.
func TestKernelAcceptWaitsThenConnect(t *testing.T) {
	k := startKernel(t)
	k.send("listen", "import socket\nsrv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen()\nsrv.getsockname()[0]")
	k.send("accept", "conn, addr = srv.accept()\nprint('accepted from', addr[0])\nconn.recv(5)")
	k.send("connect", "cli = socket.create_connection(srv.getsockname())\ncli.sendall(b'hello')\nprint('sent')")
	waited := false
	k.until(func(ev KernelEvent) bool {
		if ev.Event == "waiting" && ev.Cell == "accept" {
			waited = true
		}
		if ev.Event == "done" && ev.Cell == "accept" && !waited {
			t.Fatalf("accept ended before the kernel said it waits: %+v", k.seen)
		}
		return ev.Event == "done" && ev.Cell == "accept"
	}, "accept's done")
	if got := k.output("listen", "stdout"); got != "'127.0.0.1'\n" {
		t.Errorf("listen printed %q, want the last expression's repr", got)
	}
	if got := k.output("accept", "stdout"); got != "accepted from 127.0.0.1\nb'hello'\n" {
		t.Errorf("accept printed %q", got)
	}
	k.done("connect")
	if got := k.output("connect", "stdout"); got != "sent\n" {
		t.Errorf("connect printed %q", got)
	}
}

// TestKernelCells: one namespace, cells in order, tracebacks as Python
// prints them, threads print into their cell, stdin and fd 1 are not the
// cells', a bad line is reported and the kernel goes on.
func TestKernelCells(t *testing.T) {
	k := startKernel(t)
	k.send("a", "import time\ntime.sleep(0.3)\nx = 21")
	k.send("b", "x * 2")
	if ev := k.done("b"); !ev.OK {
		t.Fatalf("b: %+v (a cell that only computes is waited for)", ev)
	}
	if got := k.output("b", "stdout"); got != "42\n" {
		t.Errorf("b printed %q, want 42 (x from cell a)", got)
	}

	k.send("err", "def f():\n    return 1/0\nf()")
	ev := k.done("err")
	if ev.OK || ev.Error != "ZeroDivisionError: division by zero" {
		t.Errorf("err: %+v", ev)
	}
	tb := k.output("err", "stderr")
	for _, part := range []string{"Traceback (most recent call last):\n", `File "<cell err>", line 3, in <module>`,
		`File "<cell err>", line 2, in f`, "    return 1/0\n", "ZeroDivisionError: division by zero\n"} {
		if !strings.Contains(tb, part) {
			t.Errorf("traceback %q lacks %q", tb, part)
		}
	}
	if strings.Contains(tb, "_sockplay_kernel") {
		t.Errorf("traceback shows the kernel's frames: %q", tb)
	}

	k.send("syntax", "def f(:\n")
	if ev := k.done("syntax"); ev.OK || !strings.HasPrefix(ev.Error, "SyntaxError") {
		t.Errorf("syntax: %+v", ev)
	}
	k.send("thread", "import threading\nt = threading.Thread(target=lambda: print('from a thread'))\nt.start(); t.join()")
	k.done("thread")
	if got := k.output("thread", "stdout"); got != "from a thread\n" {
		t.Errorf("thread printed %q", got)
	}
	k.send("stdin", "input()")
	if ev := k.done("stdin"); ev.OK || !strings.Contains(ev.Error, "input() is not available") {
		t.Errorf("stdin: %+v", ev)
	}
	k.send("fd1", "import os\nos.write(1, b'raw bytes\\n')\nprint('kept')")
	k.done("fd1")
	if got := k.output("fd1", "stdout"); got != "kept\n" {
		t.Errorf("fd1 printed %q", got)
	}
	if _, err := k.stdin.Write([]byte("{\"cell\": 1}\nnot json\n")); err != nil {
		t.Fatal(err)
	}
	k.send("after", "print('still here')")
	k.done("after")
	var complaints int
	for _, ev := range k.seen {
		if ev.Event == "output" && ev.Cell == "" && strings.HasPrefix(ev.Text, "kernel: ") {
			complaints++
		}
	}
	if complaints != 2 {
		t.Errorf("%d complaints about the two bad lines, want 2: %+v", complaints, k.seen)
	}
	k.stdin.Close()
	for range k.events { // the kernel ends at the end of stdin
	}
	k.wait()
	if !strings.Contains(k.stderr.String(), "raw bytes") {
		t.Errorf("os.write(1, …) went to %q, want stderr", k.stderr.String())
	}
}

// sendRun sends a run of the cell with rerun key key.
func (k *kernel) sendRun(cell, key, code string) {
	k.t.Helper()
	if _, err := k.stdin.Write(KernelCell{Cell: cell, Code: code, RerunKey: key}.Line()); err != nil {
		k.t.Fatal(err)
	}
}

// start is the cell's start event (among those seen).
func (k *kernel) start(cell string) KernelEvent {
	for _, ev := range k.seen {
		if ev.Event == "start" && ev.Cell == cell {
			return ev
		}
	}
	k.t.Fatalf("no start event of %s: %+v", cell, k.seen)
	return KernelEvent{}
}

// TestKernelRerunCleanup: a run of a cell with a rerun key closes first
// what the earlier run with that key made and left open, through the
// sockplay_made hook (here called by the cells themselves, as sockplay's
// modules do), names it in its start event and says so in its first line;
// what was closed already, what other keys and keyless cells made, and a
// run that is not valid Python, close nothing.
func TestKernelRerunCleanup(t *testing.T) {
	k := startKernel(t)
	k.send("helpers", `import threading
opened = {}
def make(kind, name):
    opened[name] = True
    def close():
        was, opened[name] = opened[name], False
        return was
    threading.current_thread().sockplay_made(kind, name, close)`)
	setup := func(run string) string {
		return "make('socket', 'x1" + run + "')\nmake('socket', 'x2" + run + "')\n" +
			"t = threading.Thread(target=make, args=('peer', 'x3" + run + "'))\nt.start(); t.join()\n" +
			"opened['x2" + run + "'] = False  # closed by the learner\nprint('made')"
	}
	k.sendRun("setup.1", "setup", setup("a"))
	k.sendRun("other.1", "other", "make('socket', 'y1')")
	k.send("nokey", "print(threading.current_thread().sockplay_made)")
	k.sendRun("setup.2", "setup", setup("b"))
	k.sendRun("setup.3", "setup", "def f(:\n")
	k.sendRun("setup.4", "setup", "print(sorted(n for n, o in opened.items() if o))")
	k.sendRun("plain.1", "plain", "1")
	k.sendRun("plain.2", "plain", "1")
	for _, c := range []string{"helpers", "setup.1", "other.1", "nokey", "setup.2", "setup.3", "setup.4", "plain.1", "plain.2"} {
		if ev := k.done(c); !ev.OK && c != "setup.3" {
			t.Fatalf("%s: %+v; stderr %q", c, ev, k.output(c, "stderr"))
		}
	}
	for _, tt := range []struct {
		cell, out     string
		closed, peers []string
	}{
		{"setup.1", "made\n", nil, nil},
		{"nokey", "None\n", nil, nil},
		{"setup.2", "# re-run: closed x1a and stopped peer x3a made by the previous run of this cell\nmade\n", []string{"x1a"}, []string{"x3a"}},
		{"setup.4", "# re-run: closed x1b and stopped peer x3b made by the previous run of this cell\n['y1']\n", []string{"x1b"}, []string{"x3b"}},
		{"plain.2", "1\n", nil, nil},
	} {
		if got := k.output(tt.cell, "stdout"); got != tt.out {
			t.Errorf("%s printed %q, want %q", tt.cell, got, tt.out)
		}
		ev := k.start(tt.cell)
		if strings.Join(ev.Closed, " ") != strings.Join(tt.closed, " ") || strings.Join(ev.Stopped, " ") != strings.Join(tt.peers, " ") {
			t.Errorf("%s's start: closed %v, stopped %v; want %v, %v", tt.cell, ev.Closed, ev.Stopped, tt.closed, tt.peers)
		}
	}
}

// TestKernelInChinese: with SOCKPLAY_LANG=zh (run's lang "zh") the
// kernel's own sentences are Chinese: the re-run note, a close that
// failed, input(); Python's own words (the traceback's exception names)
// stay as Python prints them.
func TestKernelInChinese(t *testing.T) {
	k := startKernel(t, "SOCKPLAY_LANG=zh")
	k.send("helpers", `import threading
def make(kind, name, fails=False):
    def close():
        if fails:
            raise OSError("no such thing")
        return True
    threading.current_thread().sockplay_made(kind, name, close)`)
	k.sendRun("a.1", "a", "make('socket', 's1'); make('socket', 's2'); make('peer', 'p1'); make('socket', 's3', fails=True)")
	k.sendRun("a.2", "a", "print('again')")
	k.sendRun("b.1", "b", "make('peer', 'p2')")
	k.sendRun("b.2", "b", "pass")
	k.send("stdin", "input()")
	for _, c := range []string{"helpers", "a.1", "a.2", "b.1", "b.2"} {
		if ev := k.done(c); !ev.OK {
			t.Fatalf("%s: %+v; stderr %q", c, ev, k.output(c, "stderr"))
		}
	}
	for cell, want := range map[string]string{
		"a.2": "# 重新运行：已关闭这个单元格上次运行时创建的 s1、s2，并停止了它启动的对端程序 p1\nagain\n",
		"b.2": "# 重新运行：已停止这个单元格上次运行时启动的对端程序 p2\n",
	} {
		if got := k.output(cell, "stdout"); got != want {
			t.Errorf("%s printed %q, want %q", cell, got, want)
		}
	}
	if got, want := k.output("a.2", "stderr"), "# 重新运行：无法关闭 s3：no such thing\n"; got != want {
		t.Errorf("a.2's stderr %q, want %q", got, want)
	}
	if ev := k.done("stdin"); ev.OK || !strings.Contains(ev.Error, "RuntimeError: 单元格里不能用 input()：标准输入用来传送单元格") {
		t.Errorf("input() in a cell: %+v, want the Chinese RuntimeError", ev)
	}
}
