package sessions

import (
	"bytes"
	"regexp"
	"strings"

	"sockplay/sessions/programs"
	"sockplay/sessions/protocol"
	"sockplay/sessions/python"
	"sockplay/sockets"
)

// Cells: op run {"kernel": true} starts sockplay's cell kernel
// (sessions/python/lib/_sockplay_kernel.py) as a program; op cell sends
// it a cell of Python code. The kernel runs a session's cells in one
// namespace, each in its own thread, one after the other (the next when
// the one before has ended or waits); what it prints is logged as output
// messages with the cell, and its start, waiting and end as cell_start,
// cell_waiting and cell_done messages. See web/PROTOCOL.md (Cells).

// The message kinds of cells.
const (
	KindCellStart   = "cell_start"
	KindCellWaiting = "cell_waiting"
	KindCellDone    = "cell_done"
)

// KernelModule is the module op run {"kernel": true} runs (python -m).
var KernelModule = strings.TrimSuffix(python.KernelFile, ".py")

// CellArgs are the request fields of cells (protocol's).
type CellArgs = protocol.CellArgs

// cellName is a cell's name.
var cellName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,80}$`)

// CellOutputBody is a chunk of what a cell printed (kind output).
type CellOutputBody struct {
	Program string `json:"program"`
	Cell    string `json:"cell"`
	Stream  string `json:"stream"`
	Text    string `json:"text"`
}

// CellBody is a cell_start, cell_waiting or cell_done message.
type CellBody struct {
	Program string `json:"program"`
	Cell    string `json:"cell"`
	// OK (cell_done): the cell ended without an exception.
	OK *bool `json:"ok,omitempty"`
	// Error (cell_done, not ok): the exception's last line, as Python
	// prints it ("OSError: [Errno 98] Address already in use").
	Error string `json:"error,omitempty"`
	// Sockets (cell_start, cell_done): the handles of the sockets the
	// cell's code names.
	Sockets []string `json:"sockets,omitempty"`
	// Closed and Stopped (cell_start of a re-run): the sockets closed and
	// the peers stopped because an earlier run with the cell's rerun_key
	// made them and left them open.
	Closed  []string `json:"closed,omitempty"`
	Stopped []string `json:"stopped,omitempty"`
}

// kernelLines turns a kernel's stdout into cell messages. Only the
// program's stdout goroutine uses it.
type kernelLines struct {
	buf []byte
}

// maxKernelLine bounds a kernel event line: longer ones are shown as text.
const maxKernelLine = 1 << 20

// kernelOutput is the Output of a kernel program: stdout carries the
// kernel's events, stderr is plain text (on the program's goroutines).
func (s *Session) kernelOutput(id string, k *kernelLines, stream, text string) {
	if stream != programs.Stdout {
		s.programOutput(id, stream, text)
		return
	}
	k.buf = append(k.buf, text...)
	for {
		i := bytes.IndexByte(k.buf, '\n')
		if i < 0 {
			if len(k.buf) > maxKernelLine {
				s.programOutput(id, programs.Stderr, string(k.buf))
				k.buf = k.buf[:0]
			}
			return
		}
		line := k.buf[:i]
		s.kernelEvent(id, line)
		k.buf = k.buf[i+1:]
	}
}

// kernelEvent logs one event line of a kernel.
func (s *Session) kernelEvent(id string, line []byte) {
	ev, err := python.ParseKernelEvent(line)
	if err != nil {
		s.programOutput(id, programs.Stderr, string(line)+"\n")
		return
	}
	var kind string
	var body any
	switch ev.Event {
	case "ready":
		return
	case "output":
		kind, body = KindOutput, CellOutputBody{Program: id, Cell: ev.Cell, Stream: ev.Stream, Text: ev.Text}
		if ev.Cell == "" {
			kind, body = KindOutput, OutputBody{Program: id, Stream: ev.Stream, Text: ev.Text}
		}
	case "start":
		kind, body = KindCellStart, CellBody{Program: id, Cell: ev.Cell, Sockets: ev.Sockets, Closed: ev.Closed, Stopped: ev.Stopped}
	case "waiting":
		kind, body = KindCellWaiting, CellBody{Program: id, Cell: ev.Cell}
	case "done":
		ok := ev.OK
		kind, body = KindCellDone, CellBody{Program: id, Cell: ev.Cell, OK: &ok, Error: ev.Error, Sockets: ev.Sockets}
	}
	s.withLock(func() {
		if !s.ending {
			s.append(kind, body)
		}
	})
}

// stopKernels stops the session's running kernel (inside withLock): a
// session has one, and a new run {"kernel": true} replaces it (each lesson
// page starts its own, with a fresh namespace). The old one's exit, reason
// stopped, comes once it has ended.
func (s *Session) stopKernels() {
	for _, pe := range s.programs {
		if pe.kernel != nil && !pe.stopping {
			pe.stopping = true
			pe.p.Stop()
		}
	}
}

// runningPrograms counts the programs that count towards MaxPrograms:
// all but kernels being stopped for a new one.
func (s *Session) runningPrograms() int {
	n := 0
	for _, pe := range s.programs {
		if !pe.stopping {
			n++
		}
	}
	return n
}

// kernelSpec is what op run {"kernel": true} runs.
func kernelSpec() programs.Spec {
	return programs.Spec{Module: KernelModule, Name: "kernel"}
}

// opCell sends a cell to a kernel (inside withLock). The result comes at
// once; the cell's messages follow as the kernel runs it.
func (s *Session) opCell(req *call) {
	switch {
	case req.Code == nil:
		s.result(req, "", nil, sockets.BadRequest("", "cell needs code, the cell's Python source"))
		return
	case !cellName.MatchString(req.Cell):
		s.result(req, "", nil, sockets.BadRequest("", "cell needs cell, the cell's name: 1 to 80 letters, digits, '.', '_' or '-' (such as \"c1\"), not %q", req.Cell))
		return
	case req.RerunKey != "" && !cellName.MatchString(req.RerunKey):
		s.result(req, "", nil, sockets.BadRequest("", "cell's rerun_key, if given, is 1 to 80 letters, digits, '.', '_' or '-' (such as the lesson's cell id \"create\"), not %q", req.RerunKey))
		return
	}
	pe := s.program(req)
	if pe == nil {
		return
	}
	if pe.kernel == nil {
		s.result(req, "", nil, sockets.BadRequest("", "program %s is not a cell kernel: start one with {\"op\":\"run\",\"kernel\":true}", pe.id))
		return
	}
	if err := pe.p.Input(python.KernelCell{Cell: req.Cell, Code: *req.Code, RerunKey: req.RerunKey}.Line()); err != nil {
		if err == programs.ErrInputFull {
			s.result(req, "", nil, programLimit("%v", err))
		} else {
			s.result(req, "", nil, sockets.BadRequest("", "program %s: %v", pe.id, err))
		}
		return
	}
	s.result(req, "", struct {
		Program string `json:"program"`
		Cell    string `json:"cell"`
	}{pe.id, req.Cell}, nil)
}
