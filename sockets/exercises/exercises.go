// Package exercises holds sockplay's self-paced exercises: each states a
// small network program for the learner to write (a UDP server, an echo
// server, a client that speaks a framed protocol, …), and comes with a
// checker that plays the other side against the learner's running program on
// real sockets, through the sockets engine and its address policy (loopback
// only by default). A check ends in a Verdict that says, step by step, what
// the checker did, what it expected and what it received, with bytes written
// as Python bytes literals.
//
// The package imports the standard library, golang.org/x/sys and
// sockplay/sockets only; it never logs. Progress is reported through the
// report callback given to Check, as Events.
package exercises

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sockplay/sockets"
)

// Role says which side of the conversation the learner's program plays.
type Role string

// The roles.
const (
	// RoleServer: the learner's server runs at the target address and the
	// checker is its client.
	RoleServer Role = "server"
	// RoleClient: the checker listens at the target address and the
	// learner's client connects to it.
	RoleClient Role = "client"
)

// ReplyWait is how long the checker waits for each reply it expects (2 s),
// unless Options say otherwise.
const ReplyWait = 2 * time.Second

// MaxReplyWait is the longest reply wait Options may ask for (5 minutes).
const MaxReplyWait = 5 * time.Minute

// ConnectWait is how long a client-role checker waits for the learner's
// client to connect, when Check's context has no deadline (30 s). With a
// deadline, it waits until the deadline.
const ConnectWait = 30 * time.Second

// ReconnectWait is how long file-transfer waits for the learner's client to
// connect again after the checker broke the connection (10 s).
const ReconnectWait = 10 * time.Second

// Exercise is one exercise: what to build and the checker that tests it.
type Exercise struct {
	ID        string   // short name used on the command line and in URLs, e.g. "udp-upper"
	Title     string   // one line
	Statement string   // Markdown: what to build, and the exact contract the checker enforces
	Hints     []string // shown one at a time, from gentle to explicit
	Role      Role

	// The Chinese text, shown on a page in Chinese (Text("zh")); where it is
	// empty the page shows the English. HintsZH, when given, has one hint
	// for each of Hints, in the same order.
	TitleZH     string   // Title in Chinese
	StatementZH string   // Statement in Chinese (Markdown, the same contract)
	HintsZH     []string // Hints in Chinese

	check func(c *checker)
}

// Text is an exercise's words in one language.
type Text struct {
	Title     string
	Statement string // Markdown
	Hints     []string
	Lang      string // the language it is in: "zh" or "en"
}

// Text returns the exercise's title, statement and hints in lang ("zh" or
// "en"): the Chinese ones for "zh" when the exercise has them (TitleZH and
// StatementZH), the English ones otherwise (Lang says which came back).
func (x *Exercise) Text(lang string) Text {
	if lang == "zh" && x.TitleZH != "" && x.StatementZH != "" {
		hints := x.HintsZH
		if len(hints) != len(x.Hints) {
			hints = x.Hints
		}
		return Text{Title: x.TitleZH, Statement: x.StatementZH, Hints: hints, Lang: "zh"}
	}
	return Text{Title: x.Title, Statement: x.Statement, Hints: x.Hints, Lang: "en"}
}

// Options tune a check.
type Options struct {
	// Policy is the address policy every socket of the checker obeys (nil:
	// the default, loopback only).
	Policy *sockets.Policy
	// Open makes the descriptors of the checker's sockets (nil: in this
	// process's network), such as a private network's Namespace.Socket, so
	// the check runs in the network of the program it checks.
	Open sockets.Opener
	// ReplyWait is how long the checker waits for each reply it expects
	// (0: ReplyWait). A learner who answers by hand, clicking through the
	// workbench, needs far longer than a program; at most MaxReplyWait.
	ReplyWait time.Duration
	// Report, if not nil, is called from the checking goroutine with each
	// step and socket call as it happens; it must not block for long.
	Report func(Event)
}

// Check runs the checker against the learner's program and returns its
// verdict. For RoleServer, target is the learner's server; for RoleClient,
// the checker listens on target (port 0 picks a free port, announced by an
// EventListening event) and waits for the learner's client until ctx ends,
// or at most ConnectWait when ctx has no deadline. Check closes every
// socket it opened before it returns.
func (x *Exercise) Check(ctx context.Context, target sockets.Addr, opts Options) Verdict {
	policy, report, reply := opts.Policy, opts.Report, min(opts.ReplyWait, MaxReplyWait)
	if policy == nil {
		policy = &sockets.Policy{}
	}
	if report == nil {
		report = func(Event) {}
	}
	if reply <= 0 {
		reply = ReplyWait
	}
	c := &checker{ctx: ctx, target: target, policy: policy, opener: opts.Open, report: report, id: x.ID, reply: reply}
	defer c.closeAll()
	x.check(c)
	return c.verdict()
}

// Verdict is the outcome of one check.
type Verdict struct {
	Pass     bool
	Exercise string       // the exercise's ID
	Summary  string       // on a pass, one line such as "3/3 datagrams answered"
	Steps    []StepResult // every step taken, in order; on a fail the last one failed
	Failed   *StepResult  // the step that failed; nil on a pass
}

// StepResult is one step of a check: what the checker did, what it expected
// and what it received. Bytes are written as Python bytes literals (b'HELLO');
// an expected reply that did not come reads "nothing came within 2 s".
type StepResult struct {
	N        int    // the step's number, from 1
	Name     string // e.g. "second connection"
	Did      string // e.g. "connect to ('127.0.0.1', 9000), then sendall(b'hello')"
	Expected string // e.g. "b'hello' back within 2 s"
	Received string // e.g. "b'hello'", or "nothing came within 2 s"
	Pass     bool
	Advice   string // on a fail: what the learner's program should do instead
}

// Text is the verdict as lines for a terminal or a <pre>: a first line
// "PASS udp-upper: 3/3 datagrams answered" or "FAIL tcp-echo at step 4
// (second connection): <did> → <received> — <advice>", then one line per
// passed step and, for a failed one, what was done, expected and received.
func (v Verdict) Text() string { return v.TextIn(English) }

// Wording is how a verdict's text is written: the format of each of its
// lines, and Sentence, which writes the checker's own texts (step names,
// did, expected, received, advice, the summary) in the same language (nil:
// as they are, in English).
type Wording struct {
	Pass     string // exercise, summary
	FailAt   string // exercise, step number, step name, did, received
	Advice   string // advice, after FailAt
	Fail     string // exercise (a check without steps)
	Passed   string // step number, name, did, received
	Failed   string // step number, name
	Did      string // did
	Expected string // expected
	Received string // received
	Sentence func(string) string
}

// English is the wording of Text.
var English = Wording{
	Pass:     "PASS %s: %s\n",
	FailAt:   "FAIL %s at step %d (%s): %s → %s",
	Advice:   " — %s",
	Fail:     "FAIL %s\n",
	Passed:   "  ✓ %d. %s: %s → %s\n",
	Failed:   "  ✗ %d. %s\n",
	Did:      "       did:      %s\n",
	Expected: "       expected: %s\n",
	Received: "       received: %s\n",
}

// TextIn is Text written with w (sockplay check --lang zh).
func (v Verdict) TextIn(w Wording) string {
	tr := w.Sentence
	if tr == nil {
		tr = func(s string) string { return s }
	}
	var b strings.Builder
	if v.Pass {
		fmt.Fprintf(&b, w.Pass, v.Exercise, tr(v.Summary))
	} else if f := v.Failed; f != nil {
		fmt.Fprintf(&b, w.FailAt, v.Exercise, f.N, tr(f.Name), tr(f.Did), tr(f.Received))
		if f.Advice != "" {
			fmt.Fprintf(&b, w.Advice, tr(f.Advice))
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, w.Fail, v.Exercise)
	}
	for _, s := range v.Steps {
		if s.Pass {
			fmt.Fprintf(&b, w.Passed, s.N, tr(s.Name), tr(s.Did), tr(s.Received))
			continue
		}
		fmt.Fprintf(&b, w.Failed, s.N, tr(s.Name))
		fmt.Fprintf(&b, w.Did, tr(s.Did))
		fmt.Fprintf(&b, w.Expected, tr(s.Expected))
		fmt.Fprintf(&b, w.Received, tr(s.Received))
	}
	return b.String()
}

// EventKind says what an Event reports.
type EventKind string

// The kinds of event a check reports.
const (
	EventStep      EventKind = "step"      // a step begins: Step, Text (its name)
	EventListening EventKind = "listening" // a client-role checker listens: Addr (with the real port)
	EventCall      EventKind = "call"      // the checker made a socket call: Text, in Python's words, with its outcome
	EventStepDone  EventKind = "step_done" // a step ended: Result
)

// Event is a check's progress, for a page or a terminal to show live.
type Event struct {
	Step   int // the step it belongs to, from 1 (0 before the first step)
	Kind   EventKind
	Text   string
	Addr   *sockets.Addr // EventListening: the address the checker listens on
	Result *StepResult   // EventStepDone: the step's result
}

// registry lists the exercises in the order a learner meets them.
var registry = []*Exercise{
	udpUpper,
	tcpEcho,
	tcpMulti,
	tcpClient,
	framedSum,
	jsonHeader,
	udpBroadcast,
	fileTransfer,
}

// All returns the exercises, in the order a learner meets them.
func All() []*Exercise { return append([]*Exercise(nil), registry...) }

// Lookup finds an exercise by ID.
func Lookup(id string) (*Exercise, bool) {
	for _, x := range registry {
		if x.ID == id {
			return x, true
		}
	}
	return nil, false
}
