package sessions

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
	"sockplay/sockets/exercises"
)

// KindCheck is the progress of an exercise check (see web/PROTOCOL.md).
const KindCheck = "check"

// CheckTimeout is a check's time limit when its request gives none (60 s):
// for a client-role exercise, how long the checker waits for the learner's
// client to connect.
const CheckTimeout = 60 * time.Second

// MaxCheckTimeout is the longest time limit a check request may ask for
// (10 min).
const MaxCheckTimeout = 10 * time.Minute

// CheckBody is one thing a running check did: a step began, the checker
// listens, it made a socket call, a step ended.
type CheckBody struct {
	ID       protocol.Raw `json:"id"`       // the check request's id
	Exercise string       `json:"exercise"` // the exercise's id
	Event    string       `json:"event"`    // step | listening | call | step_done
	N        int          `json:"n"`        // the step it belongs to, from 1 (0 before the first)
	Text     string       `json:"text"`     // step: its name; listening, call: what happened
	Addr     Addr         `json:"addr"`     // listening: the address, with the real port; else null
	Step     *StepBody    `json:"step,omitempty"`
}

// StepBody is one step of a check on the wire: what the checker did, what
// it expected and what it received, bytes written as Python bytes literals.
type StepBody struct {
	N        int    `json:"n"`
	Name     string `json:"name"`
	Did      string `json:"did"`
	Expected string `json:"expected"`
	Received string `json:"received"`
	Pass     bool   `json:"pass"`
	Advice   string `json:"advice"` // on a fail: what the program should do instead; else ""
}

func stepBody(r exercises.StepResult) StepBody {
	return StepBody{N: r.N, Name: r.Name, Did: r.Did, Expected: r.Expected, Received: r.Received, Pass: r.Pass, Advice: r.Advice}
}

// checkFields are the result fields of check.
type checkFields struct {
	Exercise string     `json:"exercise"`
	Addr     Addr       `json:"addr"` // the target, or where the checker listened (null if it never did)
	Pass     bool       `json:"pass"`
	Verdict  string     `json:"verdict"` // exercises.Verdict.Text()
	Summary  string     `json:"summary"`
	Steps    []StepBody `json:"steps"`
	Failed   *StepBody  `json:"failed"`
}

func verdictFields(v exercises.Verdict, addr *sockets.Addr) checkFields {
	f := checkFields{Exercise: v.Exercise, Pass: v.Pass, Verdict: v.Text(), Summary: v.Summary, Steps: []StepBody{}}
	if addr != nil {
		f.Addr = addrOf(*addr)
	}
	for _, st := range v.Steps {
		f.Steps = append(f.Steps, stepBody(st))
	}
	if v.Failed != nil {
		b := stepBody(*v.Failed)
		f.Failed = &b
	}
	return f
}

// opCheck starts an exercise's checker against the learner's program
// (inside withLock). The check runs on its own goroutine as a blocking
// request: it is waiting at once, cancel ends it, and while it runs it
// counts as one socket towards the session's limit. Its progress is logged
// as check messages, its verdict as its result.
func (s *Session) opCheck(req *call) {
	x, addr, lim, err := s.checkArgs(req)
	switch {
	case err != nil:
	case s.ending:
		err = sockets.BadRequest("", "the session is closing")
	case s.openCount() >= s.cfg.MaxSockets:
		err = &sockets.Error{Kind: sockets.KindLimit,
			Message: "a session may have at most " + strconv.Itoa(s.cfg.MaxSockets) + " open sockets, and a running check counts as one",
			Hint:    "Close sockets you no longer need, or wait for the running check to end."}
	}
	if err != nil {
		s.result(req, "", nil, err)
		return
	}
	key := string(bytes.TrimSpace(req.ID)) // not waiting: handle checked
	ctx, cancel := context.WithTimeout(s.ctx, lim.total)
	s.pending[key] = &pending{id: req.ID, op: req.Op, cancel: cancel, echo: req.Echo, waited: true}
	s.checks++
	s.appendTo(KindWaiting, WaitingBody{ID: req.ID, Op: req.Op, Request: req.Echo}, req.from, nil)
	s.ops.Add(1)
	go s.runCheck(ctx, cancel, req, key, x, addr, lim.reply)
}

// runCheck is a check's goroutine.
func (s *Session) runCheck(ctx context.Context, cancel context.CancelFunc, req *call, key string, x *exercises.Exercise, addr sockets.Addr, reply time.Duration) {
	defer s.ops.Done()
	defer cancel()
	shown := &addr // the address the result names
	if x.Role == exercises.RoleClient {
		shown = nil // until the checker listens
	}
	report := func(ev exercises.Event) {
		if ev.Kind == exercises.EventListening && ev.Addr != nil {
			a := *ev.Addr
			shown = &a
		}
		s.withLock(func() {
			if !s.ending {
				s.append(KindCheck, checkBody(req.ID, x.ID, ev))
			}
		})
	}
	v := x.Check(ctx, addr, exercises.Options{Policy: s.cfg.Policy, Open: s.network.opener(), ReplyWait: reply, Report: report})
	// A failure that came with a cancel request was the cancel's doing; a
	// pass stands even if the cancel came as the check ended.
	cancelled := !v.Pass && errors.Is(ctx.Err(), context.Canceled)
	// Before the result is logged, so that a page that sees it finds the
	// attempt recorded.
	if !cancelled && s.ctx.Err() == nil && s.cfg.OnCheck != nil {
		s.cfg.OnCheck(s.Learner(), v)
	}

	s.withLock(func() {
		delete(s.pending, key)
		s.checks--
		if s.ending {
			return
		}
		var e *sockets.Error
		if cancelled {
			e = &sockets.Error{Kind: sockets.KindCancelled, Message: "cancelled",
				Hint: "You cancelled the check; its steps so far are listed. Run it again when your program is ready."}
		}
		s.resultWith(req, "", verdictFields(v, shown), e)
	})
}

func checkBody(id protocol.Raw, exercise string, ev exercises.Event) CheckBody {
	b := CheckBody{ID: id, Exercise: exercise, Event: string(ev.Kind), N: ev.Step, Text: ev.Text}
	if ev.Addr != nil {
		b.Addr = addrOf(*ev.Addr)
	}
	if ev.Result != nil {
		st := stepBody(*ev.Result)
		b.Step = &st
		if b.Text == "" {
			b.Text = ev.Result.Name
		}
	}
	return b
}

// checkLimits are a check's times: its whole time limit, and how long the
// checker waits for each reply (0: the exercise's default, 2 s).
type checkLimits struct {
	total, reply time.Duration
}

// checkArgs reads a check request: the exercise, the address its role
// needs (target for a server-role exercise, listen for a client-role one),
// the time limit and the reply wait.
func (s *Session) checkArgs(req *call) (*exercises.Exercise, sockets.Addr, checkLimits, *sockets.Error) {
	var none sockets.Addr
	var lim checkLimits
	if req.Exercise == "" {
		return nil, none, lim, sockets.BadRequest("", "check needs exercise, the id of an exercise: %s", exerciseIDs())
	}
	x, ok := exercises.Lookup(req.Exercise)
	if !ok {
		return nil, none, lim, sockets.BadRequest("", "no exercise %q; the exercises are %s", req.Exercise, exerciseIDs())
	}
	var err *sockets.Error
	if lim.total, err = checkSeconds(req.Timeout, CheckTimeout, MaxCheckTimeout, "timeout is the check's time limit"); err != nil {
		return nil, none, lim, err
	}
	if lim.reply, err = checkSeconds(req.ReplyWait, 0, exercises.MaxReplyWait, "reply_wait is how long the checker waits for each reply"); err != nil {
		return nil, none, lim, err
	}
	present := func(raw protocol.Raw) bool { return len(raw) > 0 && string(raw) != "null" }
	var addr sockets.Addr
	switch x.Role {
	case exercises.RoleServer:
		if present(req.Listen) || !present(req.Target) {
			return nil, none, lim, sockets.BadRequest("", "%s checks your server: give its address as target, [host, port] (not listen)", x.ID)
		}
		addr, err = checkAddr(req.Target, false)
		if err == nil {
			err = s.cfg.Policy.CheckPeer(mustIP(addr.Host), addr.Port)
		}
	default: // exercises.RoleClient
		if present(req.Target) || !present(req.Listen) {
			return nil, none, lim, sockets.BadRequest("", "%s checks your client: the checker listens and your client connects to it; give the address as listen, [host, port] (port 0: any free port), not target", x.ID)
		}
		addr, err = checkAddr(req.Listen, true)
		if err == nil {
			err = s.cfg.Policy.CheckBind(mustIP(addr.Host), addr.Port)
		}
	}
	if err != nil {
		return nil, none, lim, err
	}
	return x, addr, lim, nil
}

// checkSeconds reads a number of seconds, more than 0 and at most max; absent
// or null is def. what names the field in the error.
func checkSeconds(raw protocol.Raw, def, max time.Duration, what string) (time.Duration, *sockets.Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	sec, ok := protocol.Float(raw)
	if !ok || sec <= 0 || time.Duration(sec*float64(time.Second)) > max {
		return 0, sockets.BadRequest("", "%s in seconds, more than 0 and at most %d", what, int(max.Seconds()))
	}
	return time.Duration(sec * float64(time.Second)), nil
}

// checkAddr reads a check's [host, port]. The host is a numeric address or
// "localhost" (written as 127.0.0.1); for listen also "" (the wildcard).
// The port is 1-65535, or also 0 for listen.
func checkAddr(raw protocol.Raw, listen bool) (sockets.Addr, *sockets.Error) {
	a, err := parseAddr(raw)
	if err != nil {
		return a, err
	}
	if a.Port < 0 || a.Port > 65535 || a.Port == 0 && !listen {
		low := "1"
		if listen {
			low = "0 (any free port)"
		}
		return a, sockets.BadRequest("OverflowError", "the port must be %s to 65535, not %d", low, a.Port)
	}
	switch a.Host {
	case "localhost":
		a.Host = "127.0.0.1"
		return a, nil
	case "":
		if listen {
			return a, nil
		}
		return a, sockets.BadRequest("", "the target's host must be an address, such as '127.0.0.1'")
	}
	ip, perr := netip.ParseAddr(a.Host)
	if perr != nil {
		return a, &sockets.Error{Kind: sockets.KindPolicy,
			Message: "sockplay resolves no host names: use a numeric address such as '127.0.0.1' or '::1', or 'localhost'",
			Hint:    "Name lookups would ask DNS servers outside this machine; the playground stays on numeric addresses."}
	}
	// The checker picks its sockets' family from the host: an IPv4 address
	// written as IPv6 (::ffff:127.0.0.1) is IPv4.
	a.Host = ip.WithZone("").Unmap().String()
	return a, nil
}

// mustIP is the IP of a host checkAddr accepted ("" is the wildcard).
func mustIP(host string) netip.Addr {
	if host == "" {
		return netip.IPv4Unspecified()
	}
	return netip.MustParseAddr(host)
}

func exerciseIDs() string {
	var ids []string
	for _, x := range exercises.All() {
		ids = append(ids, x.ID)
	}
	return strings.Join(ids, ", ")
}
