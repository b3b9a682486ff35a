// Package programs runs learners' Python programs in real CPython 3, each in
// a sandbox of its own: bubblewrap (bwrap) gives it no network, no file of
// the machine beyond the system's software read-only, and a small private
// /tmp; resource limits bound its CPU time, memory, processes and threads,
// file sizes and open files; the server bounds its wall time and output.
// A program's only way to the network is sockplay's channel on file
// descriptor 3, which the caller serves (see sessions.Config.Channel).
//
// Inside the sandbox a small supervisor (supervise.py) is PID 1: it sets
// the limits on itself, starts the program, reaps what ends, and reports the
// program's exit status and CPU time on file descriptor 4; sitecustomize.py
// notes there which limit an uncaught exception came from (MemoryError, a
// process that could not start, a file too large). The Go side turns those
// into an Exit with its reason.
package programs

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

//go:embed supervise.py
var superviseScript []byte

//go:embed sitecustomize.py
var siteScript []byte

// Limits bound one program. Zero fields take the defaults of DefaultLimits.
type Limits struct {
	Wall      time.Duration // wall time from its start (default 10m)
	CPU       time.Duration // CPU time of each of its processes, in whole seconds (default 60s)
	Memory    int64         // address space of each of its processes, bytes (default 512 MiB)
	Procs     int           // processes and threads at once, its main thread included (default 32)
	FileSize  int64         // the largest file it may write, bytes (default 8 MiB)
	Tmp       int64         // size of its private /tmp, bytes (default 16 MiB)
	OpenFiles int           // open file descriptors in each process (default 64)
	Output    int64         // bytes of stdout and stderr together (default 1 MiB)
}

// DefaultLimits are the limits of a program unless the Runner's Config says
// otherwise.
var DefaultLimits = Limits{
	Wall: 10 * time.Minute, CPU: 60 * time.Second, Memory: 512 << 20, Procs: 32,
	FileSize: 8 << 20, Tmp: 16 << 20, OpenFiles: 64, Output: 1 << 20,
}

func (l Limits) filled() Limits {
	d := DefaultLimits
	if l.Wall <= 0 {
		l.Wall = d.Wall
	}
	if l.CPU < time.Second {
		l.CPU = d.CPU
	}
	if l.Memory <= 0 {
		l.Memory = d.Memory
	}
	if l.Procs <= 0 {
		l.Procs = d.Procs
	}
	if l.FileSize <= 0 {
		l.FileSize = d.FileSize
	}
	if l.Tmp <= 0 {
		l.Tmp = d.Tmp
	}
	if l.OpenFiles <= 0 {
		l.OpenFiles = d.OpenFiles
	}
	if l.Output <= 0 {
		l.Output = d.Output
	}
	return l
}

// Config says how a Runner runs programs.
type Config struct {
	// Python is the python3 to run ("": python3 looked up on PATH). The
	// interpreter it really is (a pyenv shim or a venv's python resolved)
	// and its installation are what the sandbox shows.
	Python string
	// Bwrap is bubblewrap's bwrap ("": looked up on PATH).
	Bwrap string
	// Lib is a directory bound read-only at /sockplay/lib, first on the
	// programs' PYTHONPATH (sockplay's socket module); "" none.
	Lib string
	// RestoreLib, if set, is called before each program starts: it puts
	// Lib's files back if something removed them (a cleaner of the
	// temporary directory, on a server that runs for weeks). Its error
	// refuses the program.
	RestoreLib func() error
	// Limits bound each program (zero fields: DefaultLimits).
	Limits Limits
}

// Runner starts programs in sandboxes. Its methods are safe for concurrent
// use.
type Runner struct {
	cfg    Config
	limits Limits

	once sync.Once
	err  error  // why programs cannot run (Available)
	py   python // the interpreter, once found
	// mapRoot: sockplay runs as root; the sandbox's processes run as user
	// 65534 (nobody) of this machine, because the kernel exempts root from
	// the limit on processes.
	mapRoot bool
}

// python is the interpreter programs run with.
type python struct {
	exe   string   // its real path
	binds []string // directories of its installation outside /usr, bound read-only
}

// New returns a Runner. It finds nothing yet: Available does, once.
func New(cfg Config) *Runner {
	return &Runner{cfg: cfg, limits: cfg.Limits.filled()}
}

// Limits returns the limits each program runs under.
func (r *Runner) Limits() Limits { return r.limits }

// Available reports why programs cannot run on this machine, or nil: no
// python3, no bwrap, or a sandbox that cannot be made or cannot limit
// processes. The first call tries a sandbox (a few tens of milliseconds);
// later calls return its answer.
func (r *Runner) Available() error {
	r.once.Do(func() { r.err = r.check() })
	return r.err
}

func (r *Runner) check() error {
	r.mapRoot = os.Geteuid() == 0
	py, err := findPython(r.cfg.Python, r.mapRoot)
	if err != nil && r.mapRoot {
		py, err = findPython(r.cfg.Python, false) // the probe then says whether processes are limited
	}
	if err != nil {
		return err
	}
	r.py = py
	bwrap := r.cfg.Bwrap
	if bwrap == "" {
		bwrap = "bwrap"
	}
	{
		path, err := exec.LookPath(bwrap)
		if err != nil {
			return errors.New("bubblewrap (bwrap) is not installed: install it (for example `apt-get install bubblewrap`) so that programs can run; sockplay never runs a program outside its sandbox")
		}
		r.cfg.Bwrap = path
	}
	if r.cfg.Lib != "" {
		if fi, err := os.Stat(r.cfg.Lib); err != nil || !fi.IsDir() {
			return fmt.Errorf("the Python library directory %s cannot be used: %v", r.cfg.Lib, err)
		}
		if r.mapRoot && !reachable(r.cfg.Lib) {
			return fmt.Errorf("the Python library directory %s cannot be read by other users, as programs run: sockplay runs as root and its sandbox as user nobody", r.cfg.Lib)
		}
	}
	err = r.probe()
	if err != nil && r.mapRoot {
		// Root in a user namespace where uid 65534 is not mapped: try as
		// ourselves; the probe then says whether processes are limited.
		r.mapRoot = false
		err = r.probe()
	}
	return err
}

// probeCode forks until the limit on processes refuses; the children wait
// on stdin, which never comes, and end with the sandbox.
const probeCode = `import os
try:
    for _ in range(64):
        if os.fork() == 0:
            os.read(0, 1)
            os._exit(0)
except BlockingIOError:
    print("limited")
else:
    print("unlimited")
`

// probe runs a program that checks the sandbox limits processes.
func (r *Runner) probe() error {
	var mu sync.Mutex
	var out, errText strings.Builder
	lim := r.limits
	lim.Procs, lim.Wall = 4, 30*time.Second
	p, err := r.start(Spec{Code: probeCode, Name: "probe.py"}, Options{Output: func(stream, text string) {
		mu.Lock()
		defer mu.Unlock()
		if stream == Stdout {
			out.WriteString(text)
		} else if errText.Len() < 4096 {
			errText.WriteString(text)
		}
	}}, lim)
	if err != nil {
		return fmt.Errorf("the sandbox could not start: %v", err)
	}
	ex := p.Wait()
	mu.Lock()
	defer mu.Unlock()
	switch got := strings.TrimSpace(out.String()); {
	case got == "limited":
		return nil
	case got == "unlimited":
		return errors.New("the sandbox cannot limit processes: sockplay runs as root, which the kernel exempts from that limit, in a user namespace where it cannot run programs as user 65534 (nobody); run sockplay as an ordinary user")
	default:
		why := strings.TrimSpace(errText.String())
		if why == "" {
			why = ex.String()
		}
		msg := "the sandbox (bubblewrap) could not run python3: " + why
		if strings.Contains(why, "namespace") {
			msg += "; the kernel must allow user namespaces (for example `sysctl -w kernel.unprivileged_userns_clone=1` and `sysctl -w user.max_user_namespaces=15000`)"
		}
		return errors.New(msg)
	}
}

// findPython resolves the python3 to run: name, or python3 on PATH, asked
// where it really lives (a pyenv shim or a venv is a step away from it).
// With forOthers (sockplay is root, the sandbox runs as nobody) it is the
// first python3 on PATH that any user can run: a pyenv under /root is not.
func findPython(name string, forOthers bool) (python, error) {
	if name != "" {
		return askPython(name, forOthers)
	}
	var first error
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		py, err := askPython(filepath.Join(dir, "python3"), forOthers)
		if err == nil {
			return py, nil
		}
		if first == nil && !errors.Is(err, errNoPython) {
			first = err
		}
	}
	if first != nil {
		return python{}, first
	}
	return python{}, errNoPython
}

var errNoPython = errors.New("python3 is not installed (not found on PATH): install Python 3 (for example `apt-get install python3`) so that programs can run")

// askPython asks the python3 at path where its interpreter and its
// installation are.
func askPython(path string, forOthers bool) (python, error) {
	path, err := exec.LookPath(path)
	if err != nil {
		return python{}, errNoPython
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-I", "-S", "-c",
		"import os, sys; print(os.path.realpath(sys.executable)); print(sys.base_prefix); print(sys.base_exec_prefix); print(sys.version_info[0])")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")} // what pyenv needs to find its version
	outb, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	if err != nil || len(lines) != 4 {
		return python{}, fmt.Errorf("%s does not run as Python 3: %v", path, err)
	}
	if lines[3] != "3" {
		return python{}, fmt.Errorf("%s is Python %s, not Python 3", path, lines[3])
	}
	py := python{exe: lines[0]}
	for _, dir := range []string{lines[1], lines[2], filepath.Dir(lines[0])} {
		if underUsr(dir) || dir == "/" || !filepath.IsAbs(dir) {
			continue
		}
		if !contains(py.binds, dir) {
			py.binds = append(py.binds, dir)
		}
	}
	if forOthers && !reachable(py.exe) {
		return python{}, fmt.Errorf("%s (%s) cannot be run by other users, as programs run: sockplay runs as root and its sandbox as user nobody", path, py.exe)
	}
	return py, nil
}

// reachable reports whether any user can reach and read path: every
// directory above it searchable by others, and path readable by them.
func reachable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o004 == 0 {
		return false
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" {
			return true
		}
	}
}

func underUsr(dir string) bool { return dir == "/usr" || strings.HasPrefix(dir, "/usr/") }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x || strings.HasPrefix(x, y+"/") {
			return true
		}
	}
	return false
}
