package programs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockplay/sessions/programs"
)

// testLimits are small, so that each limit is reached quickly.
var testLimits = programs.Limits{
	Wall: 2 * time.Minute, CPU: 2 * time.Second, Memory: 256 << 20, Procs: 16,
	FileSize: 1 << 20, Tmp: 4 << 20, OpenFiles: 32, Output: 256 << 10,
}

// runner returns a Runner whose lib dir holds two modules, or skips the
// test when this machine cannot make sandboxes (never under CI=true).
func runner(t *testing.T, lim programs.Limits) *programs.Runner {
	t.Helper()
	r, _ := runnerWith(t, programs.Config{Limits: lim}, map[string]string{
		"libcheck.py": "WHERE = 'the lib dir'\n",
		"libmain.py":  "import sys\nprint('module', __name__, sys.argv[1:])\n",
	})
	return r
}

// runnerWith is runner for cfg, whose Lib is a new directory holding
// modules (name → source); it returns that directory too.
func runnerWith(t *testing.T, cfg programs.Config, modules map[string]string) (*programs.Runner, string) {
	t.Helper()
	lib, err := os.MkdirTemp("", "sockplay-lib-") // 0755 below /tmp: readable by the sandbox's user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(lib) })
	os.Chmod(lib, 0o755)
	for name, src := range modules {
		if err := os.WriteFile(filepath.Join(lib, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Lib = lib
	r := programs.New(cfg)
	if err := r.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("programs cannot run under CI: %v", err)
		}
		t.Skipf("programs cannot run on this machine: %v", err)
	}
	return r, lib
}

// run is one finished program: its output by stream, and how it ended.
type run struct {
	out, err string
	exit     programs.Exit
}

// collector gathers a program's output.
type collector struct {
	mu       sync.Mutex
	out, err strings.Builder
	changed  chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{}, 1)} }

func (c *collector) output(stream, text string) {
	c.mu.Lock()
	if stream == programs.Stdout {
		c.out.WriteString(text)
	} else {
		c.err.WriteString(text)
	}
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector) stdout() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitOut waits (generously) until stdout holds want.
func (c *collector) waitOut(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(c.stdout(), want) {
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("stdout never held %q; it is %q", want, c.stdout())
		}
	}
}

func start(t *testing.T, r *programs.Runner, spec programs.Spec, opts programs.Options) (*programs.Program, *collector) {
	t.Helper()
	c := newCollector()
	opts.Output = c.output
	p, err := r.Start(spec, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop(); p.Wait() })
	return p, c
}

func runCode(t *testing.T, r *programs.Runner, code string, args ...string) run {
	t.Helper()
	p, c := start(t, r, programs.Spec{Code: code, Name: "prog.py", Args: args}, programs.Options{})
	ex := p.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return run{out: c.out.String(), err: c.err.String(), exit: ex}
}

func code(ex programs.Exit) int {
	if ex.Code == nil {
		return -1000
	}
	return *ex.Code
}

// wantExit checks an ended program's code (nil: none) and reason.
func wantReason(t *testing.T, got run, reason string) {
	t.Helper()
	if got.exit.Reason != reason {
		t.Fatalf("reason %q (%s), want %q; stderr:\n%s", got.exit.Reason, got.exit, reason, tail(got.err))
	}
	if reason != programs.ReasonStopped && got.exit.Limit == "" {
		t.Errorf("reason %s without the limit's sentence", reason)
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// alive checks that the runner still runs an ordinary program.
func alive(t *testing.T, r *programs.Runner) {
	t.Helper()
	got := runCode(t, r, "print('still here')")
	if got.out != "still here\n" || code(got.exit) != 0 || got.exit.Reason != "" {
		t.Fatalf("a later program: stdout %q, exit %s, stderr %q", got.out, got.exit, got.err)
	}
}

func TestPrintAndExit(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, `import sys, libcheck
print("hello", sys.argv[1:], libcheck.WHERE)
print("über", file=sys.stderr)
sys.exit(3)
`, "a b", "c")
	if want := "hello ['a b', 'c'] the lib dir\n"; got.out != want {
		t.Errorf("stdout %q, want %q", got.out, want)
	}
	if got.err != "über\n" {
		t.Errorf("stderr %q, want über", got.err)
	}
	if code(got.exit) != 3 || got.exit.Reason != "" {
		t.Errorf("exit %s, want code 3 and no reason", got.exit)
	}
	got = runCode(t, r, "print('ok')")
	if got.out != "ok\n" || code(got.exit) != 0 {
		t.Errorf("second program: %q, %s", got.out, got.exit)
	}
}

// TestStdoutLineBuffered: stdout is a pipe, yet line-buffered as on a
// terminal, so that a print is one write (its pieces are not written one
// by one, which let stderr's lines land inside it) and shows at once.
func TestStdoutLineBuffered(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "import sys\nprint(sys.stdout.isatty(), sys.stdout.line_buffering, sys.stderr.line_buffering)\n")
	if got.out != "False True True\n" {
		t.Errorf("stdout's isatty, stdout's and stderr's line_buffering: %q, want False True True", got.out)
	}
}

// TestTraceback: an uncaught exception is printed as Python prints it,
// with the program's own file and lines only.
func TestTraceback(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "def f():\n    return 1 / 0\n\nf()\n")
	want := `Traceback (most recent call last):
  File "/tmp/prog.py", line 4, in <module>
    f()
  File "/tmp/prog.py", line 2, in f
    return 1 / 0
           ~~^~~
ZeroDivisionError: division by zero
`
	if got.err != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got.err, want)
	}
	if code(got.exit) != 1 || got.exit.Reason != "" {
		t.Errorf("exit %s, want code 1", got.exit)
	}
}

func TestInput(t *testing.T) {
	r := runner(t, testLimits)
	p, c := start(t, r, programs.Spec{Code: "name = input('name? ')\nprint('hi', name)\nimport sys\nprint(repr(sys.stdin.read()))\n"}, programs.Options{})
	c.waitOut(t, "name? ")
	if err := p.Input([]byte("Ada\n")); err != nil {
		t.Fatal(err)
	}
	c.waitOut(t, "hi Ada\n")
	if err := p.Input([]byte("rest")); err != nil {
		t.Fatal(err)
	}
	p.CloseInput()
	ex := p.Wait()
	if got, want := c.stdout(), "name? hi Ada\n'rest'\n"; got != want || code(ex) != 0 {
		t.Errorf("stdout %q (exit %s), want %q", got, ex, want)
	}
	if err := p.Input([]byte("late")); err == nil {
		t.Errorf("input after the end was taken")
	}
}

func TestStop(t *testing.T) {
	r := runner(t, testLimits)
	p, c := start(t, r, programs.Spec{Code: "import time\nprint('up')\ntime.sleep(600)\n"}, programs.Options{})
	c.waitOut(t, "up\n")
	p.Stop()
	ex := p.Wait()
	if ex.Reason != programs.ReasonStopped || ex.Code != nil {
		t.Errorf("exit %s, want stopped", ex)
	}
	alive(t, r)
}

// TestStopWhileStarting stops programs in their first milliseconds, while
// bwrap is still setting the sandbox up, and checks that no process of
// theirs is left once Wait has returned. (Killing only bwrap left about one
// in four running with no parent.)
func TestStopWhileStarting(t *testing.T) {
	r := runner(t, testLimits)
	for i := 0; i < 20; i++ {
		mark := fmt.Sprintf("sockplay-stop-test-%d-%d", os.Getpid(), i)
		p, err := r.Start(programs.Spec{Code: "import time\ntime.sleep(600)\n", Args: []string{mark}}, programs.Options{})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		time.Sleep(time.Duration(i) * time.Millisecond / 2) // spreads the stops over bwrap's setup
		p.Stop()
		if ex := p.Wait(); ex.Reason != programs.ReasonStopped {
			t.Errorf("program %d: exit %s, want stopped", i, ex)
		}
		if left := processesWith(mark); len(left) > 0 {
			t.Errorf("program %d stopped after %v: processes left running: %v", i, time.Duration(i)*time.Millisecond/2, left)
			for _, pid := range left {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
	}
	alive(t, r)
}

// processesWith lists the processes whose command line holds mark.
func processesWith(mark string) []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline")); err == nil && strings.Contains(string(b), mark) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestSeveral: programs run at once and talk through a pipe of their own
// input: one waits for a line the test gives only after the other printed.
func TestSeveral(t *testing.T) {
	r := runner(t, testLimits)
	a, ca := start(t, r, programs.Spec{Code: "print('a ready')\nprint('a got', input())\n", Name: "a.py"}, programs.Options{})
	b, cb := start(t, r, programs.Spec{Code: "print('b ready')\nprint('b got', input())\n", Name: "b.py"}, programs.Options{})
	ca.waitOut(t, "a ready")
	cb.waitOut(t, "b ready")
	b.Input([]byte("2\n"))
	a.Input([]byte("1\n"))
	if ea, eb := a.Wait(), b.Wait(); code(ea) != 0 || code(eb) != 0 {
		t.Fatalf("exits %s, %s", ea, eb)
	}
	if ca.stdout() != "a ready\na got 1\n" || cb.stdout() != "b ready\nb got 2\n" {
		t.Errorf("outputs %q, %q", ca.stdout(), cb.stdout())
	}
}

// TestNoFiles: the machine's files, sockplay's data dir among them, are not
// there; nothing outside /tmp can be written; no network.
func TestNoFiles(t *testing.T) {
	r := runner(t, testLimits)
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "progress.db"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := runCode(t, r, `import os, sys
def attempt(what, f):
    try:
        f()
        print(what, "ALLOWED")
    except OSError as e:
        print(what, "refused", type(e).__name__)
attempt("read passwd", lambda: open("/etc/passwd").read())
attempt("read data", lambda: open(sys.argv[1] + "/progress.db").read())
attempt("list data", lambda: os.listdir(sys.argv[1]))
attempt("list root", lambda: os.listdir("/root"))
attempt("list home", lambda: os.listdir("/home"))
attempt("list work", lambda: os.listdir("/work"))
attempt("write root", lambda: open("/evil", "w"))
attempt("write usr", lambda: open("/usr/evil", "w"))
attempt("write lib", lambda: open("/sockplay/lib/evil.py", "w"))
attempt("write dev", lambda: open("/dev/evil", "w"))
attempt("memfd", lambda: os.memfd_create("hog"))
import _socket
attempt("network", lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM).connect(("1.1.1.1", 53)))
open("/tmp/mine.txt", "w").write("ok")
print("tmp", open("mine.txt").read(), os.getcwd())
print("interfaces", sorted(n for _, n in _socket.if_nameindex()))
`, data)
	for _, line := range strings.Split(strings.TrimSpace(got.out), "\n") {
		if strings.Contains(line, "ALLOWED") {
			t.Errorf("%s", line)
		}
	}
	for _, want := range []string{"read passwd refused FileNotFoundError", "read data refused", "write root refused", "write usr refused", "network refused", "memfd refused PermissionError", "tmp ok /tmp\n", "interfaces ['lo']\n"} {
		if !strings.Contains(got.out, want) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, got.out, got.err)
		}
	}
}

func TestForkBomb(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "import os\nwhile True:\n    os.fork()\n")
	wantReason(t, got, programs.ReasonProcesses)
	if !strings.Contains(got.err, "BlockingIOError") || strings.Contains(got.err, "sitecustomize") {
		t.Errorf("stderr is not the program's own traceback:\n%s", tail(got.err))
	}
	alive(t, r)
}

func TestThreadBomb(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
	wantReason(t, got, programs.ReasonProcesses)
	alive(t, r)
}

func TestMemoryBomb(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "hog = []\nwhile True:\n    hog.append(bytearray(8 << 20))\n")
	wantReason(t, got, programs.ReasonMemory)
	if !strings.Contains(got.err, "MemoryError") {
		t.Errorf("stderr lacks MemoryError:\n%s", tail(got.err))
	}
	alive(t, r)
}

func TestInfiniteLoop(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "while True:\n    pass\n")
	wantReason(t, got, programs.ReasonCPU)
	// A program that ignores SIGXCPU is killed at the hard limit.
	got = runCode(t, r, "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n")
	wantReason(t, got, programs.ReasonCPU)
	alive(t, r)
}

func TestTimeout(t *testing.T) {
	lim := testLimits
	lim.Wall = time.Second
	r := runner(t, lim)
	got := runCode(t, r, "import time\ntime.sleep(600)\n")
	wantReason(t, got, programs.ReasonTimeout)
	if got.exit.Code != nil {
		t.Errorf("a program sockplay stopped has code %d", *got.exit.Code)
	}
}

// TestHugePrint: 1 GB of printing is cut at the output limit.
func TestHugePrint(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "line = 'x' * 999\nfor _ in range(10 ** 6):\n    print(line)\n")
	wantReason(t, got, programs.ReasonOutput)
	if int64(len(got.out)) != testLimits.Output {
		t.Errorf("%d bytes of output passed, want the limit, %d", len(got.out), testLimits.Output)
	}
	alive(t, r)
}

func TestDiskFill(t *testing.T) {
	r := runner(t, testLimits)
	// One file past the file size limit.
	got := runCode(t, r, "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * 65536)\n")
	wantReason(t, got, programs.ReasonFiles)
	if !strings.Contains(got.err, "File too large") || !strings.Contains(got.exit.Limit, "file may grow") {
		t.Errorf("file size: %s\n%s", got.exit, tail(got.err))
	}
	// Files below it, until /tmp is full.
	got = runCode(t, r, "i = 0\nwhile True:\n    with open('f%d' % i, 'wb') as f:\n        f.write(b'x' * 512 * 1024)\n    i += 1\n")
	wantReason(t, got, programs.ReasonFiles)
	if !strings.Contains(got.err, "No space left on device") || !strings.Contains(got.exit.Limit, "/tmp") {
		t.Errorf("/tmp full: %s\n%s", got.exit, tail(got.err))
	}
	// Open files.
	got = runCode(t, r, "fs = []\nwhile True:\n    fs.append(open('/dev/null'))\n")
	wantReason(t, got, programs.ReasonFiles)
	alive(t, r)
}

// TestCaughtLimit: a limit the program handles itself is not its exit's
// reason.
func TestCaughtLimit(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, "try:\n    x = bytearray(1 << 40)\nexcept MemoryError:\n    print('caught')\n")
	if got.out != "caught\n" || code(got.exit) != 0 || got.exit.Reason != "" {
		t.Errorf("stdout %q, exit %s", got.out, got.exit)
	}
}

// TestChannel: the caller's file is the program's fd 3, named by SOCKPLAY_FD.
func TestChannel(t *testing.T) {
	r := runner(t, testLimits)
	mine, theirs, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	p, c := start(t, r, programs.Spec{Code: `import os, socket
fd = int(os.environ["SOCKPLAY_FD"])
s = socket.socket(fileno=fd)
s.sendall(b"ping\n")
print("got", s.recv(100))
`}, programs.Options{Channel: theirs})
	theirs.Close()
	buf := make([]byte, 5)
	if _, err := mine.Read(buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	mine.Write([]byte("pong"))
	if ex := p.Wait(); code(ex) != 0 || c.stdout() != "got b'pong'\n" {
		t.Errorf("exit %s, stdout %q", ex, c.stdout())
	}
	// Without a channel there is no fd 3.
	got := runCode(t, r, "import os\nprint(os.environ.get('SOCKPLAY_FD'))\ntry:\n    os.fstat(3)\nexcept OSError as e:\n    print(e.strerror)\n")
	if got.out != "None\nBad file descriptor\n" {
		t.Errorf("without a channel: %q", got.out)
	}
}

// TestLang: a spec's Lang is the program's SOCKPLAY_LANG; without one
// there is none.
func TestLang(t *testing.T) {
	r := runner(t, testLimits)
	const prog = "import os\nprint(os.environ.get('SOCKPLAY_LANG'))\n"
	for lang, want := range map[string]string{"zh": "zh\n", "en": "en\n", "": "None\n"} {
		p, c := start(t, r, programs.Spec{Code: prog, Lang: lang}, programs.Options{})
		if ex := p.Wait(); code(ex) != 0 || c.stdout() != want {
			t.Errorf("lang %q: exit %s, stdout %q, want %q", lang, ex, c.stdout(), want)
		}
	}
}

// TestRestoreLib: Config.RestoreLib runs before each program starts, so
// a library directory a cleaner emptied is whole again when the program
// imports from it; its error refuses the program, and the next start
// tries again.
func TestRestoreLib(t *testing.T) {
	var module string // lib's libcheck.py, which RestoreLib writes when it is missing
	var fail error
	cfg := programs.Config{Limits: testLimits, RestoreLib: func() error {
		if fail != nil {
			return fail
		}
		if _, err := os.Stat(module); err != nil {
			return os.WriteFile(module, []byte("WHERE = 'restored'\n"), 0o644)
		}
		return nil
	}}
	r, lib := runnerWith(t, cfg, nil) // Available's probe does not restore: only Start does
	module = filepath.Join(lib, "libcheck.py")
	const prog = "import libcheck\nprint(libcheck.WHERE)\n"
	if got := runCode(t, r, prog); got.out != "restored\n" {
		t.Errorf("the first program printed %q (stderr %q), want the restored module's WHERE", got.out, got.err)
	}
	os.Remove(module) // a cleaner of /tmp
	if got := runCode(t, r, prog); got.out != "restored\n" {
		t.Errorf("after the module was removed, the program printed %q (stderr %q), want it restored", got.out, got.err)
	}
	fail = errors.New("cannot put it back")
	if _, err := r.Start(programs.Spec{Code: prog}, programs.Options{}); err == nil || err.Error() != "cannot put it back" {
		t.Errorf("with RestoreLib failing: %v, want its error", err)
	}
	fail = nil
	if got := runCode(t, r, prog); got.out != "restored\n" {
		t.Errorf("once RestoreLib works again, the program printed %q (stderr %q)", got.out, got.err)
	}
}

func TestBadSpec(t *testing.T) {
	r := runner(t, testLimits)
	for _, s := range []programs.Spec{
		{Code: "x", Name: "../etc/x.py"}, {Code: "x", Name: ".hidden"}, {Code: "x", Name: "a b.py"},
		{Code: "x\x00"}, {Code: "x", Module: "m"}, {Module: "no-dash"}, {Code: "x", Args: []string{"a\x00"}},
		{Code: "x", Lang: "fr"},
	} {
		if _, err := r.Start(s, programs.Options{}); err == nil {
			t.Errorf("%+v was started", s)
		}
	}
}

func TestMissingTools(t *testing.T) {
	for _, cfg := range []programs.Config{{Python: "/nonexistent/python3"}, {Bwrap: "/nonexistent/bwrap"}} {
		r := programs.New(cfg)
		err := r.Available()
		if err == nil || !strings.Contains(err.Error(), "install") {
			t.Errorf("%+v: %v", cfg, err)
		}
		if _, err := r.Start(programs.Spec{Code: "print(1)"}, programs.Options{}); err == nil {
			t.Errorf("%+v: a program started", cfg)
		}
	}
}

func socketpair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "mine"), os.NewFile(uintptr(fds[1]), "theirs"), nil
}

// TestProcessesAndThreads: what a program may start works as in Python
// (sockplay's wrappers leave no trace), and a signal's death is its code.
func TestProcessesAndThreads(t *testing.T) {
	r := runner(t, testLimits)
	got := runCode(t, r, `import subprocess, sys, threading, os
print(subprocess.run([sys.executable, "-c", "print('child')"], capture_output=True, text=True).stdout.strip())
pid = os.fork()
if pid == 0:
    os._exit(7)
print("forked", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
def boom():
    raise ValueError("in a thread")
t = threading.Thread(target=boom)
t.start()
t.join()
print("after the thread")
`)
	if got.out != "child\nforked 7\nafter the thread\n" || code(got.exit) != 0 {
		t.Errorf("stdout %q, exit %s, stderr:\n%s", got.out, got.exit, got.err)
	}
	if !strings.Contains(got.err, "Exception in thread") || !strings.Contains(got.err, "ValueError: in a thread") || strings.Contains(got.err, "sitecustomize") {
		t.Errorf("the thread's traceback:\n%s", got.err)
	}
	got = runCode(t, r, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
	if code(got.exit) != -15 || got.exit.Reason != "" {
		t.Errorf("killed by SIGTERM: exit %s", got.exit)
	}
}

// TestModule: a module of the lib dir runs as python3 -m (the cell kernel's way).
func TestModule(t *testing.T) {
	r := runner(t, testLimits)
	p, c := start(t, r, programs.Spec{Module: "libmain", Args: []string{"x"}}, programs.Options{})
	if ex := p.Wait(); code(ex) != 0 || c.stdout() != "module __main__ ['x']\n" {
		t.Errorf("exit %s, stdout %q", ex, c.stdout())
	}
}
