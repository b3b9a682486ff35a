package python

import (
	"encoding/json"
	"fmt"
)

// KernelFile is the cell kernel's script in the lib (Dir): run it with
// python3, write cells to its stdin, read KernelEvents from its stdout.
// Its doc string is the protocol.
const KernelFile = "_sockplay_kernel.py"

// KernelCell is one line for the kernel's stdin: a cell to run.
type KernelCell struct {
	Cell string `json:"cell"`
	Code string `json:"code"`
	// RerunKey, if not empty, makes the cell a run of the cell with that
	// key: it closes first what earlier runs with the key left open.
	RerunKey string `json:"rerun_key,omitempty"`
}

// KernelEvent is one line of the kernel's stdout.
type KernelEvent struct {
	// Event is "ready", "start", "output", "waiting" or "done".
	Event string `json:"event"`
	// Cell names the cell; empty for output of no cell (and ready).
	Cell   string `json:"cell"`
	Stream string `json:"stream,omitempty"` // output: "stdout" or "stderr"
	Text   string `json:"text,omitempty"`   // output
	OK     bool   `json:"ok,omitempty"`     // done: ended without an exception
	// Error is the exception's last line, as Python prints it (done, !OK).
	Error string `json:"error,omitempty"`
	// Sockets are the sockplay handles of the sockets the cell's code
	// names (start, done).
	Sockets []string `json:"sockets,omitempty"`
	// Closed and Stopped (start of a re-run) are the socket handles
	// closed and the peer ids stopped by the re-run cleanup: earlier runs
	// with the cell's rerun key made them and left them open.
	Closed  []string `json:"closed,omitempty"`
	Stopped []string `json:"stopped,omitempty"`
}

// ParseKernelEvent reads one line of the kernel's stdout.
func ParseKernelEvent(line []byte) (KernelEvent, error) {
	var ev struct {
		KernelEvent
		Cell *string `json:"cell"`
	}
	if err := json.Unmarshal(line, &ev); err != nil {
		return KernelEvent{}, fmt.Errorf("kernel: not an event line: %v", err)
	}
	switch ev.Event {
	case "ready", "start", "output", "waiting", "done":
	default:
		return KernelEvent{}, fmt.Errorf("kernel: unknown event %q", ev.Event)
	}
	out := ev.KernelEvent
	if ev.Cell != nil {
		out.Cell = *ev.Cell
	}
	return out, nil
}

// Line is the cell as one line for the kernel's stdin, newline included.
func (c KernelCell) Line() []byte {
	b, _ := json.Marshal(c)
	return append(b, '\n')
}
