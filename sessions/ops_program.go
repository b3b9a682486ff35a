package sessions

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"sockplay/sessions/programs"
	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Programs: op run starts a learner's Python program in a sandbox
// (package programs), op stop ends it, op input feeds its stdin; its
// output and its end are logged as output and exit messages. See
// web/PROTOCOL.md (Programs).

// The message kinds of programs.
const (
	KindOutput = "output"
	KindExit   = "exit"
)

// MaxPrograms is how many programs a session may run at once.
const MaxPrograms = 4

// ProgramArgs are the request fields of the program ops (protocol's).
type ProgramArgs = protocol.ProgramArgs

// OutputBody is a chunk of a program's output.
type OutputBody struct {
	Program string `json:"program"`
	Stream  string `json:"stream"` // stdout or stderr
	Text    string `json:"text"`
}

// ExitBody says how a program ended.
type ExitBody struct {
	Program string `json:"program"`
	Code    *int   `json:"code,omitempty"`   // its exit status (negative: the signal that killed it); absent when sockplay stopped it
	Reason  string `json:"reason,omitempty"` // timeout, stopped, memory, output, cpu, processes or files
	Limit   string `json:"limit,omitempty"`  // the limit it hit, in a sentence
}

// ProgramFields name a running program: the result fields of run, and the
// entries of a snapshot's programs.
type ProgramFields struct {
	Program string `json:"program"`
	Name    string `json:"name"`
}

// programEntry is a running program of the session.
type programEntry struct {
	id, name string
	p        *programs.Program
	kernel   *kernelLines // a cell kernel's (ops_cell.go); nil for a program
	stopping bool         // stopped for a new kernel; its exit is still to come
	lang     string       // run's lang: of sockplay's sentences on its channel ("" English)
}

// The languages of run's lang.
const (
	LangEN = "en" // English, the default
	LangZH = "zh" // Simplified Chinese
)

// programsOff says why this session's programs cannot run ("" they can).
func (s *Session) programsOff() string {
	if s.cfg.Programs == nil {
		return "this server does not run programs"
	}
	if err := s.cfg.Programs.Available(); err != nil {
		return "programs cannot run on this server: " + err.Error()
	}
	return ""
}

func programLimit(format string, args ...any) *sockets.Error {
	return &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf(format, args...),
		Hint: "Stop a program you no longer need (op stop), or wait for one to end."}
}

// opRun starts a program (inside withLock). Its output and exit come from
// its own goroutines, which log them through withLock.
func (s *Session) opRun(req *call) {
	switch {
	case s.ending:
		s.result(req, "", nil, sockets.BadRequest("", "the session is closing"))
		return
	case req.Code == nil && !req.Kernel:
		s.result(req, "", nil, sockets.BadRequest("", "run needs code, the program's Python source (or kernel: true, the cell kernel)"))
		return
	case req.Code != nil && req.Kernel:
		s.result(req, "", nil, sockets.BadRequest("", "run takes code or kernel: true, not both"))
		return
	case req.Lang != "" && req.Lang != LangEN && req.Lang != LangZH:
		s.result(req, "", nil, sockets.BadRequest("", "run's lang, if given, is \"en\" or \"zh\" (the language of sockplay's sentences in the program's exceptions), not %q", req.Lang))
		return
	}
	if why := s.programsOff(); why != "" {
		s.result(req, "", nil, &sockets.Error{Kind: sockets.KindPolicy, Message: why,
			Hint: "Programs need python3 and bubblewrap (bwrap) on the server; the workbench's buttons still work."})
		return
	}
	if req.Kernel {
		s.stopKernels() // one kernel a session (ops_cell.go)
	}
	if s.runningPrograms() >= MaxPrograms {
		s.result(req, "", nil, programLimit("a session may run at most %d programs at once", MaxPrograms))
		return
	}
	var spec programs.Spec
	if req.Kernel {
		spec = kernelSpec()
	} else {
		spec = programs.Spec{Code: *req.Code, Name: req.Name, Args: req.Args}
	}
	spec.Lang = req.Lang
	if err := spec.Check(); err != nil {
		s.result(req, "", nil, sockets.BadRequest("ValueError", "%v", err))
		return
	}
	id := "p" + strconv.Itoa(s.programSeq+1)
	mine, theirs, err := s.channelPair()
	if err != nil {
		s.result(req, "", nil, &sockets.Error{Kind: sockets.KindOS, Message: err.Error(),
			Hint: "The server is short of file descriptors; try again in a moment."})
		return
	}
	output := func(stream, text string) { s.programOutput(id, stream, text) }
	var kernel *kernelLines
	if req.Kernel {
		kernel = &kernelLines{}
		output = func(stream, text string) { s.kernelOutput(id, kernel, stream, text) }
	}
	p, err := s.cfg.Programs.Start(spec, programs.Options{
		Channel: theirs,
		Output:  output,
		Exit:    func(ex programs.Exit) { s.programExit(id, ex) },
	})
	if theirs != nil {
		theirs.Close() // the program has its own copy
	}
	if err != nil {
		if mine != nil {
			mine.Close()
		}
		s.result(req, "", nil, &sockets.Error{Kind: sockets.KindOS, Message: "the program could not start: " + err.Error(),
			Hint: "The server could not make the program's sandbox; try again in a moment."})
		return
	}
	s.programSeq++
	if s.programs == nil {
		s.programs = map[string]*programEntry{}
	}
	s.programs[id] = &programEntry{id: id, name: spec.Name, p: p, kernel: kernel, lang: req.Lang}
	s.counts.programs++
	s.result(req, "", ProgramFields{id, spec.Name}, nil)
	s.ops.Add(1) // until its exit is logged (programExit)
	if mine != nil {
		s.ops.Add(1)
		go func() {
			defer s.ops.Done()
			defer mine.Close()
			s.cfg.Channel(s, mine, id)
		}()
	}
}

// ProgramLang is the lang the run of program ("p1") asked for: the
// language its channel writes sockplay's sentences in ("en" or "zh"; "" when
// it asked for none, or no such program runs). See PROTOCOL.md, Programs.
func (s *Session) ProgramLang(program string) string {
	var lang string
	s.withLock(func() {
		if pe := s.programs[program]; pe != nil {
			lang = pe.lang
		}
	})
	return lang
}

// channelPair makes the program's channel when the server serves one:
// the server's end and the program's (its fd 3). Both nil: no channel.
func (s *Session) channelPair() (mine, theirs *os.File, err error) {
	if s.cfg.Channel == nil {
		return nil, nil, nil
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return os.NewFile(uintptr(fds[0]), "channel"), os.NewFile(uintptr(fds[1]), "program channel"), nil
}

// programOutput logs a chunk of a program's output (on the program's
// goroutine).
func (s *Session) programOutput(id, stream, text string) {
	s.withLock(func() {
		if !s.ending {
			s.append(KindOutput, OutputBody{Program: id, Stream: stream, Text: text})
		}
	})
}

// programExit logs a program's end (on the program's goroutine).
func (s *Session) programExit(id string, ex programs.Exit) {
	defer s.ops.Done()
	s.withLock(func() {
		delete(s.programs, id)
		if !s.ending {
			s.append(KindExit, ExitBody{Program: id, Code: ex.Code, Reason: ex.Reason, Limit: ex.Limit})
		}
	})
}

// program returns the running program req names, or logs why there is
// none.
func (s *Session) program(req *call) *programEntry {
	pe, ok := s.programs[req.Program]
	switch {
	case req.Program == "":
		s.result(req, "", nil, sockets.BadRequest("", "%s needs program, the id run returned (such as \"p1\")", req.Op))
	case !ok:
		s.result(req, "", nil, sockets.BadRequest("", "no program %q is running in this session", req.Program))
	}
	return pe
}

// opStop ends a program (inside withLock). The result comes at once; the
// exit message, reason stopped, once it has ended.
func (s *Session) opStop(req *call) {
	pe := s.program(req)
	if pe == nil {
		return
	}
	pe.p.Stop()
	s.result(req, "", struct {
		Program string `json:"program"`
	}{pe.id}, nil)
}

// opInput queues text for a program's stdin (inside withLock); it never
// waits for the program to read it.
func (s *Session) opInput(req *call) {
	if req.Text == nil && !req.EOF {
		s.result(req, "", nil, sockets.BadRequest("", "input needs text (what the program reads from stdin), or eof: true"))
		return
	}
	pe := s.program(req)
	if pe == nil {
		return
	}
	if pe.kernel != nil {
		s.result(req, "", nil, sockets.BadRequest("", "program %s is a cell kernel: its stdin carries cells, send them with op cell", pe.id))
		return
	}
	n := 0
	if req.Text != nil {
		n = len(*req.Text)
		switch err := pe.p.Input([]byte(*req.Text)); err {
		case nil:
		case programs.ErrInputFull:
			s.result(req, "", nil, programLimit("%v", err))
			return
		default:
			s.result(req, "", nil, sockets.BadRequest("", "program %s: %v", pe.id, err))
			return
		}
	}
	if req.EOF {
		pe.p.CloseInput()
	}
	s.result(req, "", struct {
		Program string `json:"program"`
		Bytes   int    `json:"bytes"`
		EOF     bool   `json:"eof,omitempty"`
	}{pe.id, n, req.EOF}, nil)
}

// stopPrograms stops every program of a closing session (its exits are not
// logged); Close then waits for them through s.ops.
func (s *Session) stopPrograms() {
	for _, pe := range s.programs {
		pe.p.Stop()
	}
}

// programList is the running programs, for snapshots.
func (s *Session) programList() []ProgramFields {
	list := []ProgramFields{}
	for _, pe := range s.programs {
		list = append(list, ProgramFields{pe.id, pe.name})
	}
	slices.SortFunc(list, func(a, b ProgramFields) int {
		return cmp.Or(cmp.Compare(len(a.Program), len(b.Program)), strings.Compare(a.Program, b.Program))
	})
	return list
}

// AppendFields appends the program's id and name.
func (f ProgramFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"program":`...)
	b = protocol.AppendString(b, f.Program)
	b = append(b, `,"name":`...)
	return protocol.AppendString(b, f.Name), nil
}
