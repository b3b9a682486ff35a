package programs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
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

// report is what the sandbox said on fd 4.
type report struct {
	status bool // the supervisor's line came
	code   int
	signal int
	cpu    float64
	hit    string // the first limit sitecustomize noted
	err    string
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
