package programs

import (
	"encoding/json"
	"os"

	"golang.org/x/sys/unix"
)

// A program is stopped by killing its sandbox's PID 1, the supervisor: the
// kernel then kills every other process of the sandbox's PID namespace.
//
// Killing bwrap alone is not enough. Its child binds its life to bwrap's
// (--die-with-parent) only a moment after bwrap has let it run, and a
// prctl made when the parent is already gone never fires. A program stopped
// in its first milliseconds (a lesson page that starts a second kernel
// straight after the first) was left running with no parent, and its pipes
// held open. So bwrap names its child on --info-fd, and a stop waits for
// that name when it comes before it.

// sandbox is what the Program knows of its sandbox's PID 1 (under Program.mu).
type sandbox struct {
	pidfd    int  // a pidfd of the sandbox's PID 1; -1 none (yet)
	infoRead bool // bwrap's info has come, or its pipe has closed without it
	killing  bool // a kill is asked for: done once infoRead
}

// readInfo reads bwrap's --info-fd, a JSON object whose "child-pid" is the
// sandbox's PID 1, and kills the sandbox if a stop came first.
func (p *Program) readInfo(f *os.File) {
	var info struct {
		Child int `json:"child-pid"`
	}
	fd := -1
	if json.NewDecoder(f).Decode(&info) == nil && info.Child > 0 {
		if got, err := unix.PidfdOpen(info.Child, 0); err == nil {
			fd = got
		}
	}
	f.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pidfd, p.infoRead = fd, true
	if p.waited {
		p.closePidfd()
	}
	if p.killing {
		p.kill()
	}
}

// kill kills the sandbox (inside p.mu): its PID 1 once bwrap has named it,
// then bwrap. Until then it only asks, and readInfo does it.
func (p *Program) kill() {
	p.killing = true
	if !p.infoRead {
		return
	}
	if p.pidfd >= 0 {
		unix.PidfdSendSignal(p.pidfd, unix.SIGKILL, nil, 0)
	}
	p.cmd.Process.Kill()
}

// closePidfd closes the pidfd once bwrap has exited (inside p.mu).
func (p *Program) closePidfd() {
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
}
