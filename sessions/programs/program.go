package programs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Spec says what to run: Code saved as /tmp/Name and run as `python3 Name
// Args...` from /tmp, or Module (a module of Config.Lib) run as `python3 -m
// Module Args...`.
type Spec struct {
	Code   string
	Name   string // the file name of Code ("" main.py)
	Args   []string
	Module string
	// Lang is the language of the sentences sockplay's own Python modules
	// write in the program (SOCKPLAY_LANG): "" or "en" English, "zh"
	// Simplified Chinese. Python's own exception text stays English.
	Lang string
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
	if s.Lang != "" && s.Lang != "en" && s.Lang != "zh" {
		return fmt.Errorf("lang is \"en\" or \"zh\", not %q", s.Lang)
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
	sandbox // its PID 1, and whether a kill waits for it (kill.go)

	done chan struct{}
	exit Exit
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
	if r.cfg.RestoreLib != nil {
		if err := r.cfg.RestoreLib(); err != nil {
			return nil, err
		}
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
	var filter *os.File
	if b := seccompFilter(); b != nil {
		if filter, err = memfd("seccomp", b); err != nil {
			return nil, err
		}
		closers = append(closers, filter)
	}
	pipes := make([]*os.File, 10) // stdin r/w, stdout r/w, stderr r/w, report r/w, info r/w
	for i := 0; i < len(pipes); i += 2 {
		if pipes[i], pipes[i+1], err = os.Pipe(); err != nil {
			for _, f := range pipes[:i] {
				f.Close()
			}
			return nil, err
		}
	}
	inR, inW, outR, outW, errR, errW, repR, repW := pipes[0], pipes[1], pipes[2], pipes[3], pipes[4], pipes[5], pipes[6], pipes[7]
	infoR, infoW := pipes[8], pipes[9]
	closers = append(closers, inR, outW, errW, repW, infoW) // the child's ends: the parent closes its copies

	cmd := exec.Command(r.cfg.Bwrap, r.bwrapArgs(lim, spec, code != nil, opts.Channel != nil, filter != nil, argv)...)
	cmd.Env = []string{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.ExtraFiles = []*os.File{opts.Channel, repW, sup, site, code, filter, infoW}
	cmd.SysProcAttr = r.sysProcAttr()
	if err := cmd.Start(); err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		repR.Close()
		infoR.Close()
		return nil, err
	}
	p := &Program{lim: lim, cmd: cmd, opts: opts, stdin: inW, inWake: make(chan struct{}, 1), done: make(chan struct{}), sandbox: sandbox{pidfd: -1}}
	go p.readInfo(infoR)
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
	p.closePidfd()
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

// stop ends the program for reason, unless something already has. Output
// cut at its limit is the reason even when the program has just ended by
// itself: what it wrote last was not passed on.
func (p *Program) stop(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	first := p.reason == "" && (!p.waited || reason == ReasonOutput)
	if first {
		p.reason = reason
	}
	if first && !p.waited {
		p.kill()
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
