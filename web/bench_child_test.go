package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockplay/sockets/netns"
)

// The Row benchmarks (bench_rows_test.go) measure servers running as child
// processes, so that the CPU time (the threads' schedstat in /proc/PID/task) and the
// resident memory (VmRSS in /proc/PID/status) they report are the server's
// alone: the real sockplay command, built once with go build, and the
// benchmark's own minimal bridge (bench_bridge_test.go), which is this test
// binary run again with SOCKPLAY_BENCH_CHILD=bridge.

// benchChildEnv names the environment variable that makes the test binary
// serve as a benchmark child instead of running tests.
const benchChildEnv = "SOCKPLAY_BENCH_CHILD"

func TestMain(m *testing.M) {
	netns.Main() // a private network's helper is this test binary, re-executed
	if os.Getenv(benchChildEnv) == "bridge" {
		raiseFileLimit()
		if err := serveBridge(); err != nil {
			fmt.Fprintln(os.Stderr, "bridge:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	raiseFileLimit()
	code := m.Run()
	if builtSockplay.dir != "" {
		os.RemoveAll(builtSockplay.dir)
	}
	os.Exit(code)
}

// raiseFileLimit raises the soft limit of open files to the hard limit, for
// this process and (by inheritance) the children it starts: 1,000 sessions
// need 2,000 descriptors on each side.
func raiseFileLimit() {
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &l)
	}
}

// fileLimit is the soft limit of open files of this process.
func fileLimit() int {
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &l) != nil {
		return 1024
	}
	return int(l.Cur)
}

// envInt is the integer in environment variable name, or def.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// envDuration is the duration in environment variable name, or def.
func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a positive duration such as 3s", name, v)
	}
	return d
}

// reportPlacement reports how many CPUs this process (and so its children)
// may run on: 1 when the run is pinned with taskset -c 0.
func reportPlacement(b *testing.B) {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		b.ReportMetric(float64(set.Count()), "cpus")
	}
}

// builtSockplay is the sockplay command built for the benchmarks, once per
// test binary, into a temporary directory removed by TestMain.
var builtSockplay struct {
	once      sync.Once
	dir, path string
	err       error
}

// sockplayBinary returns the path of the sockplay command to benchmark:
// SOCKPLAY_BENCH_SOCKPLAY if set, else ./cmd/sockplay built with go build.
func sockplayBinary(b *testing.B) string {
	if p := os.Getenv("SOCKPLAY_BENCH_SOCKPLAY"); p != "" {
		return p
	}
	bs := &builtSockplay
	bs.once.Do(func() {
		if bs.dir, bs.err = os.MkdirTemp("", "sockplay-bench-"); bs.err != nil {
			return
		}
		bs.path = filepath.Join(bs.dir, "sockplay")
		out, err := exec.Command(goTool(), "build", "-o", bs.path, "sockplay/cmd/sockplay").CombinedOutput()
		if err != nil {
			bs.err = fmt.Errorf("go build ./cmd/sockplay: %v\n%s", err, out)
		}
	})
	if bs.err != nil {
		b.Fatal(bs.err)
	}
	return bs.path
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// child is a server process started by a benchmark.
type child struct {
	name   string
	cmd    *exec.Cmd
	addr   string // host:port of its HTTP listener
	stderr bytes.Buffer
}

// servingLine is how both children announce their listener on stdout:
// "bridge serving http://ADDR/", or sockplay's log line
// msg="sockplay serving" url=http://ADDR/.
var servingLine = regexp.MustCompile(`serving"?\s+(?:url=)?http://([^/\s]+)/`)

// startSockplay starts the real sockplay command on a free loopback port,
// saving no progress, with room for every session a row opens.
func startSockplay(b *testing.B) *child {
	return startChild(b, "sockplay", exec.Command(sockplayBinary(b), "--addr", "127.0.0.1:0", "--data=", "--max-sessions", "100000"))
}

// startBridge starts this test binary as the minimal bridge.
func startBridge(b *testing.B) *child {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchChildEnv+"=bridge")
	return startChild(b, "bridge", cmd)
}

// startChild starts cmd, waits for its serving line and stops it (SIGTERM,
// then SIGKILL after 10 s) when b ends.
func startChild(b *testing.B, name string, cmd *exec.Cmd) *child {
	b.Helper()
	c := &child{name: name, cmd: cmd}
	cmd.Stderr = &c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", name, err)
	}
	b.Cleanup(c.stop)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for said := false; sc.Scan(); { // read on, so the child never blocks on stdout
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil && !said {
				found <- m[1]
				said = true
			}
		}
	}()
	select {
	case c.addr = <-found:
	case <-time.After(60 * time.Second):
		c.stop()
		b.Fatalf("%s did not say where it serves within 60s; stderr: %s", name, c.stderr.String())
	}
	return c
}

func (c *child) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// cpu is the CPU time the child has used so far, user plus system: the
// sum over its threads of /proc/PID/task/TID/schedstat's time on CPU (ns;
// Go parks its threads rather than ending them, so none is lost).
func (c *child) cpu(b *testing.B) time.Duration {
	dir := fmt.Sprintf("/proc/%d/task", c.cmd.Process.Pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ns int64
	for _, t := range tasks {
		st, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread has just ended
		}
		f := strings.Fields(string(st))
		if len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			ns += n
		}
	}
	return time.Duration(ns)
}

// rssKB is the child's resident memory (VmRSS) in kB.
func (c *child) rssKB(b *testing.B) int64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Fatalf("no VmRSS in /proc/%d/status", c.cmd.Process.Pid)
	return 0
}
