package programs

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// The streams of a program's output.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// The reasons a program ended other than by itself (Exit.Reason).
const (
	ReasonTimeout   = "timeout"   // it ran past Limits.Wall
	ReasonStopped   = "stopped"   // Stop (op stop, or its session ended)
	ReasonMemory    = "memory"    // a MemoryError under Limits.Memory ended it
	ReasonOutput    = "output"    // it wrote more than Limits.Output
	ReasonCPU       = "cpu"       // it used Limits.CPU of CPU time
	ReasonProcesses = "processes" // a process or thread it started could not start (Limits.Procs)
	ReasonFiles     = "files"     // a file too large, /tmp full, or too many open files
)

// Spec says what to run: Code saved as /tmp/Name and run as `python3 Name
// Args...` from /tmp, or Module (a module of Config.Lib) run as `python3 -m
// Module Args...`.
type Spec struct {
	Code   string
	Name   string // the file name of Code ("" main.py)
	Args   []string
	Module string
}

// MaxArgs and MaxArg bound a Spec's arguments.
const (
	MaxArgs = 64
	MaxArg  = 4096
)

// Check reports what is wrong with the spec, in a sentence, or nil.
func (s *Spec) Check() error {
	if s.Module != "" {
		if s.Code != "" {
			return errors.New("give either code or a module to run, not both")
		}
		for _, part := range strings.Split(s.Module, ".") {
			if !isIdent(part) {
				return fmt.Errorf("%q is not a Python module name", s.Module)
			}
		}
	}
	if s.Name == "" {
		s.Name = "main.py"
	}
	if len(s.Name) > 64 || strings.HasPrefix(s.Name, ".") || strings.HasPrefix(s.Name, "-") || strings.ContainsFunc(s.Name, func(r rune) bool {
		return !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		return fmt.Errorf("name %q is not a plain file name: use letters, digits, '.', '_' and '-' (at most 64), such as server.py", s.Name)
	}
	if len(s.Args) > MaxArgs {
		return fmt.Errorf("a program takes at most %d arguments, not %d", MaxArgs, len(s.Args))
	}
	for i, a := range s.Args {
		if len(a) > MaxArg || strings.ContainsRune(a, 0) {
			return fmt.Errorf("argument %d is longer than %d bytes or holds a NUL character", i+1, MaxArg)
		}
	}
	if strings.ContainsRune(s.Code, 0) {
		return errors.New("the code holds a NUL character, which Python source cannot")
	}
	return nil
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// Options are the caller's ends of a program.
type Options struct {
	// Channel becomes the program's file descriptor 3 (SOCKPLAY_FD=3);
	// nil: the program has none. Start does not close it.
	Channel *os.File
	// Output receives the program's output as it comes: one call per read
	// of a stream, text of at most readSize bytes, valid UTF-8 (a character
	// cut by a read is held for the next). Calls for one stream are in
	// order; the two streams may interleave. nil: dropped.
	Output func(stream, text string)
	// Exit, if set, is called once when the program has ended, after its
	// last Output.
	Exit func(Exit)
}

// Exit is how a program ended.
type Exit struct {
	// Code is its exit status, negative when a signal killed it (as
	// Python's subprocess says); nil when sockplay stopped it (timeout,
	// stopped, output).
	Code *int
	// Reason is "" when it ended by itself, else one of the Reason
	// constants.
	Reason string
	// Limit is a sentence naming the limit it hit ("" for stopped).
	Limit string
}

// String describes the exit for logs and errors.
func (e Exit) String() string {
	var parts []string
	if e.Code != nil {
		parts = append(parts, fmt.Sprintf("code %d", *e.Code))
	}
	if e.Reason != "" {
		parts = append(parts, e.Reason)
	}
	if e.Limit != "" {
		parts = append(parts, e.Limit)
	}
	return strings.Join(parts, ": ")
}

// readSize is the most one Output call carries.
const readSize = 32 << 10

// MaxInput is how many bytes of input may wait for a program to read them.
const MaxInput = 64 << 10

// Program is a running program.
type Program struct {
	lim  Limits
	cmd  *exec.Cmd
	opts Options

	stdin    *os.File
	inMu     sync.Mutex
	inQueue  [][]byte
	inQueued int
	inEOF    bool // CloseInput was called
	inWake   chan struct{}

	mu      sync.Mutex
	reason  string // why sockplay stopped it ("" not stopped)
	waited  bool   // bwrap has exited: too late to stop it
	written int64  // bytes of output so far
	report  report

	done chan struct{}
	exit Exit
}

// report is what the sandbox said on fd 4.
type report struct {
	status bool // the supervisor's line came
	code   int
	signal int
	cpu    float64
	hit    string // the first limit sitecustomize noted
	err    string
}

// Start runs spec in a sandbox. It fails if Available does, or spec does
// not Check.
func (r *Runner) Start(spec Spec, opts Options) (*Program, error) {
	if err := r.Available(); err != nil {
		return nil, err
	}
	if err := spec.Check(); err != nil {
		return nil, err
	}
	return r.start(spec, opts, r.limits)
}

// start runs spec under lim (Available has found python3 and bwrap).
func (r *Runner) start(spec Spec, opts Options, lim Limits) (*Program, error) {
	if spec.Name == "" {
		spec.Name = "main.py"
	}
	argv := []string{r.py.exe}
	if spec.Module != "" {
		argv = append(argv, "-m", spec.Module)
	} else {
		argv = append(argv, spec.Name)
	}
	argv = append(argv, spec.Args...)

	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	sup, err := memfd("supervise.py", superviseScript)
	if err != nil {
		return nil, err
	}
	closers = append(closers, sup)
	site, err := memfd("sitecustomize.py", siteScript)
	if err != nil {
		return nil, err
	}
	closers = append(closers, site)
	var code *os.File
	if spec.Module == "" {
		if code, err = memfd(spec.Name, []byte(spec.Code)); err != nil {
			return nil, err
		}
		closers = append(closers, code)
	}
	pipes := make([]*os.File, 8) // stdin r/w, stdout r/w, stderr r/w, report r/w
	for i := 0; i < len(pipes); i += 2 {
		if pipes[i], pipes[i+1], err = os.Pipe(); err != nil {
			for _, f := range pipes[:i] {
				f.Close()
			}
			return nil, err
		}
	}
	inR, inW, outR, outW, errR, errW, repR, repW := pipes[0], pipes[1], pipes[2], pipes[3], pipes[4], pipes[5], pipes[6], pipes[7]
	closers = append(closers, inR, outW, errW, repW) // the child's ends: the parent closes its copies

	cmd := exec.Command(r.cfg.Bwrap, r.bwrapArgs(lim, spec.Name, code != nil, opts.Channel != nil, argv)...)
	cmd.Env = []string{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.ExtraFiles = []*os.File{opts.Channel, repW, sup, site, code}
	cmd.SysProcAttr = r.sysProcAttr()
	if err := cmd.Start(); err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		repR.Close()
		return nil, err
	}
	p := &Program{lim: lim, cmd: cmd, opts: opts, stdin: inW, inWake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run(outR, errR, repR)
	go p.feed()
	return p, nil
}

// run follows the program until it has ended: its output, its report, its
// wall time; then it reports the Exit.
func (p *Program) run(outR, errR, repR *os.File) {
	timer := time.AfterFunc(p.lim.Wall, func() { p.stop(ReasonTimeout) })
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); p.copyOut(Stdout, outR) }()
	go func() { defer wg.Done(); p.copyOut(Stderr, errR) }()
	go func() { defer wg.Done(); p.readReport(repR) }()
	p.cmd.Wait() // its failure is in ProcessState, which outcome reads
	timer.Stop()
	p.mu.Lock()
	p.waited = true
	p.mu.Unlock()
	// Every process of the sandbox ends with its PID 1; the pipes close
	// then. Should one linger, its ends are closed for it.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		outR.Close()
		errR.Close()
		repR.Close()
		<-finished
	}
	p.inMu.Lock()
	p.inEOF = true
	p.inMu.Unlock()
	p.stdin.Close()
	p.wakeFeed()
	p.exit = p.outcome()
	if p.opts.Exit != nil {
		p.opts.Exit(p.exit)
	}
	close(p.done)
}

// copyOut passes a stream's output on, counting it against Limits.Output.
func (p *Program) copyOut(stream string, f *os.File) {
	defer f.Close()
	buf := make([]byte, readSize)
	var carry int // bytes at the start of buf held from the last read (a cut character)
	for {
		n, err := f.Read(buf[carry:])
		n += carry
		if n > 0 {
			keep := n
			if err == nil {
				keep = n - cutTail(buf[:n])
			}
			allowed := p.count(keep)
			if allowed > 0 && p.opts.Output != nil {
				p.opts.Output(stream, strings.ToValidUTF8(string(buf[:allowed]), "\uFFFD"))
			}
			if allowed < keep {
				p.stop(ReasonOutput)
				io.Copy(io.Discard, f) // until the sandbox is gone
				return
			}
			carry = copy(buf, buf[keep:n])
		}
		if err != nil {
			return
		}
	}
}

// cutTail is how many bytes at the end of b are the start of a UTF-8
// character that the next read completes (0 to 3).
func cutTail(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a leading byte: is its character whole?
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// count adds n bytes of output and returns how many of them the limit
// lets through.
func (p *Program) count(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	left := p.lim.Output - p.written
	if left < 0 {
		left = 0
	}
	if int64(n) > left {
		n = int(left)
	}
	p.written += int64(n)
	return n
}

// readReport reads the sandbox's reports (fd 4): the supervisor's status
// line and the first limit noted. It reads at most 64 KiB of lines.
func (p *Program) readReport(f *os.File) {
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		var line struct {
			Hit    string   `json:"hit"`
			Code   *int     `json:"code"`
			Signal *int     `json:"signal"`
			CPU    *float64 `json:"cpu"`
			Error  string   `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		p.mu.Lock()
		switch {
		case line.Hit != "" && p.report.hit == "":
			p.report.hit = line.Hit
		case line.Code != nil || line.Signal != nil || line.Error != "":
			if !p.report.status {
				p.report.status = true
				if line.Code != nil {
					p.report.code = *line.Code
				}
				if line.Signal != nil {
					p.report.signal = *line.Signal
				}
				if line.CPU != nil {
					p.report.cpu = *line.CPU
				}
				p.report.err = line.Error
			}
		}
		p.mu.Unlock()
	}
	io.Copy(io.Discard, f)
}

// outcome decides how the program ended, from what sockplay did to it,
// the supervisor's report, and bwrap's own exit.
func (p *Program) outcome() Exit {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reason != "" {
		return Exit{Reason: p.reason, Limit: p.lim.sentence(p.reason, "")}
	}
	rep := p.report
	if !rep.status {
		// No word from the supervisor: bwrap's own status says what there is.
		code := p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = -int(ws.Signal())
		}
		return Exit{Code: &code}
	}
	code := rep.code
	if rep.signal != 0 {
		code = -rep.signal
	}
	ex := Exit{Code: &code}
	cpuLimit := p.lim.CPU.Seconds()
	switch {
	case rep.signal == int(syscall.SIGXCPU) || rep.signal == int(syscall.SIGKILL) && rep.cpu >= cpuLimit:
		ex.Reason, ex.Limit = ReasonCPU, p.lim.sentence(ReasonCPU, "")
	case code != 0 && rep.hit != "":
		ex.Reason = hitReason(rep.hit)
		ex.Limit = p.lim.sentence(ex.Reason, rep.hit)
	}
	return ex
}

func hitReason(hit string) string {
	switch hit {
	case "memory":
		return ReasonMemory
	case "processes":
		return ReasonProcesses
	}
	return ReasonFiles
}

// sentence names the limit behind a reason (hit: which files limit).
func (l Limits) sentence(reason, hit string) string {
	switch reason {
	case ReasonTimeout:
		return fmt.Sprintf("a program may run for at most %v (wall time)", l.Wall)
	case ReasonOutput:
		return fmt.Sprintf("a program may write at most %s to stdout and stderr together", size(l.Output))
	case ReasonCPU:
		return fmt.Sprintf("a program's process may use at most %v of CPU time", l.CPU)
	case ReasonMemory:
		return fmt.Sprintf("a program's process may use at most %s of memory (address space)", size(l.Memory))
	case ReasonProcesses:
		return fmt.Sprintf("a program may run at most %d processes and threads at once", l.Procs)
	case ReasonFiles:
		switch hit {
		case "fsize":
			return fmt.Sprintf("a file may grow to at most %s", size(l.FileSize))
		case "nofile":
			return fmt.Sprintf("a program's process may have at most %d files open at once", l.OpenFiles)
		}
		return fmt.Sprintf("a program's /tmp holds at most %s", size(l.Tmp))
	}
	return ""
}

// size writes a byte count the way the limits are chosen: in MiB or KiB
// when whole.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// stop ends the program for reason, unless something already has.
func (p *Program) stop(reason string) {
	p.mu.Lock()
	first := p.reason == "" && !p.waited
	if first {
		p.reason = reason
	}
	p.mu.Unlock()
	if first {
		// bwrap's death kills the sandbox's PID 1 (--die-with-parent),
		// and with it every process of the sandbox.
		p.cmd.Process.Kill()
	}
}

// Stop ends the program (reason stopped). It does not wait: Wait does.
func (p *Program) Stop() { p.stop(ReasonStopped) }

// Done is closed once the program has ended and Options.Exit has returned.
func (p *Program) Done() <-chan struct{} { return p.done }

// Wait waits for the program to end and returns how it did.
func (p *Program) Wait() Exit {
	<-p.done
	return p.exit
}

// ErrInputClosed is Input's error once the program's stdin is closed.
var ErrInputClosed = errors.New("the program's input is closed")

// ErrInputFull is Input's error when MaxInput bytes already wait.
var ErrInputFull = fmt.Errorf("%d bytes of input are already waiting for the program to read them", MaxInput)

// Input queues b for the program's stdin; it never waits for the program
// to read it.
func (p *Program) Input(b []byte) error {
	p.inMu.Lock()
	defer p.inMu.Unlock()
	switch {
	case p.inEOF:
		return ErrInputClosed
	case p.inQueued+len(b) > MaxInput:
		return ErrInputFull
	}
	if len(b) > 0 {
		p.inQueue = append(p.inQueue, b)
		p.inQueued += len(b)
	}
	p.wakeFeed()
	return nil
}

// CloseInput closes the program's stdin once what is queued is written
// (the program then reads end of file).
func (p *Program) CloseInput() {
	p.inMu.Lock()
	p.inEOF = true
	p.inMu.Unlock()
	p.wakeFeed()
}

func (p *Program) wakeFeed() {
	select {
	case p.inWake <- struct{}{}:
	default:
	}
}

// feed writes queued input to the program's stdin, on its own goroutine.
func (p *Program) feed() {
	defer p.stdin.Close()
	for range p.inWake {
		for {
			p.inMu.Lock()
			if len(p.inQueue) == 0 {
				eof := p.inEOF
				p.inMu.Unlock()
				if eof {
					return
				}
				break
			}
			b := p.inQueue[0]
			p.inQueue = p.inQueue[1:]
			p.inMu.Unlock()
			_, err := p.stdin.Write(b)
			p.inMu.Lock()
			p.inQueued -= len(b)
			p.inMu.Unlock()
			if err != nil {
				p.inMu.Lock()
				p.inEOF, p.inQueue, p.inQueued = true, nil, 0
				p.inMu.Unlock()
				return
			}
		}
	}
}
