package exercises

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"sockplay/sockets"
)

// checker is one running check: its steps so far and the sockets it opened.
// It is used by one goroutine, the one running Check.
type checker struct {
	ctx    context.Context
	id     string
	target sockets.Addr
	policy *sockets.Policy
	opener sockets.Opener // makes its sockets' descriptors (Options.Open)
	report func(Event)
	reply  time.Duration // how long to wait for each reply (Options.ReplyWait)

	steps    []StepResult
	failed   bool
	summary  string
	socks    []*sockets.Socket
	listener *sockets.Socket // a client-role checker's listening socket
}

// begin starts a step named name that expects expected.
func (c *checker) begin(name, expected string) {
	c.steps = append(c.steps, StepResult{N: len(c.steps) + 1, Name: name, Expected: expected})
	c.report(Event{Step: len(c.steps), Kind: EventStep, Text: name})
}

func (c *checker) cur() *StepResult { return &c.steps[len(c.steps)-1] }

// did adds an action to the running step's Did.
func (c *checker) did(format string, args ...any) {
	st := c.cur()
	if st.Did != "" {
		st.Did += ", then "
	}
	st.Did += fmt.Sprintf(format, args...)
}

// call reports a socket call the checker made.
func (c *checker) call(format string, args ...any) {
	c.report(Event{Step: len(c.steps), Kind: EventCall, Text: fmt.Sprintf(format, args...)})
}

// pass ends the running step successfully.
func (c *checker) pass(received string) {
	st := c.cur()
	st.Received, st.Pass = received, true
	r := *st
	c.report(Event{Step: st.N, Kind: EventStepDone, Result: &r})
}

// fail ends the running step, and the check, with a failure.
func (c *checker) fail(received, advice string) {
	st := c.cur()
	st.Received, st.Advice = received, advice
	c.failed = true
	r := *st
	c.report(Event{Step: st.N, Kind: EventStepDone, Result: &r})
}

func (c *checker) verdict() Verdict {
	v := Verdict{Exercise: c.id, Steps: c.steps}
	if c.failed || len(c.steps) == 0 {
		if len(c.steps) > 0 {
			v.Failed = &v.Steps[len(v.Steps)-1]
		}
		return v
	}
	v.Pass, v.Summary = true, c.summary
	return v
}

func (c *checker) closeAll() {
	for _, s := range c.socks {
		s.Close()
	}
}

// stopped describes why the check's context ended.
func (c *checker) stopped() string {
	if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
		return "the check's time limit ran out"
	}
	return "the check was cancelled"
}

// family is the address family of host: AF_INET6 for an IPv6 address.
func family(host string) sockets.Family {
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		return sockets.AFInet6
	}
	return sockets.AFInet
}

// localHost is the address the checker binds its own sockets to for
// talking to target: the loopback address when target is on loopback (or
// is the loopback broadcast address), otherwise the wildcard.
func localHost(target sockets.Addr) string {
	ip, err := netip.ParseAddr(target.Host)
	if target.Host == "localhost" || err == nil && (ip.Unmap().IsLoopback() || ip == loopbackBroadcast) {
		if family(target.Host) == sockets.AFInet6 {
			return "::1"
		}
		return "127.0.0.1"
	}
	return ""
}

// open creates a socket for talking to target.
func (c *checker) open(typ sockets.Type) (*sockets.Socket, *sockets.Error) {
	s, e := sockets.NewIn(family(c.target.Host), typ, c.policy, c.opener)
	if e != nil {
		return nil, e
	}
	c.socks = append(c.socks, s)
	return s, nil
}

// udpSocket opens a UDP socket bound to the local end for target. On
// failure it fails the running step.
func (c *checker) udpSocket() (*sockets.Socket, bool) {
	s, e := c.open(sockets.SockDgram)
	if e != nil {
		c.did("socket(AF_INET, SOCK_DGRAM)")
		c.fail(e.Error(), "the checker could not create its socket")
		return nil, false
	}
	local := sockets.Addr{Host: localHost(c.target)}
	if _, e := s.Bind(local); e != nil {
		c.did("bind(%s)", local)
		c.fail(e.Error(), "the checker could not bind its own socket")
		return nil, false
	}
	return s, true
}

// sendto sends one datagram and reports the call.
func (c *checker) sendto(s *sockets.Socket, data []byte, to sockets.Addr) *sockets.Error {
	ctx, cancel := context.WithTimeout(c.ctx, c.reply)
	defer cancel()
	_, _, e := s.SendTo(ctx, data, to, sockets.CallOptions{})
	if e != nil {
		c.call("sendto(%s, %s) → %v", show(data), to, e)
		return e
	}
	c.call("sendto(%s, %s)", show(data), to)
	return nil
}

// recvfrom waits up to wait for one datagram.
func (c *checker) recvfrom(s *sockets.Socket, wait time.Duration) (sockets.Received, got) {
	ctx, cancel := context.WithTimeout(c.ctx, wait)
	defer cancel()
	r, e := s.RecvFrom(ctx, 65536, nil, sockets.CallOptions{})
	g := got{wait: wait}
	if e != nil {
		g.end = c.ending(e)
		c.call("recvfrom(65536) → %s", g)
		return r, g
	}
	g.data = r.Data
	c.call("recvfrom(65536) → (%s, %s)", show(r.Data), r.From)
	return r, g
}

// endKind says how a wait ended without what it waited for.
type endKind int

const (
	endNone    endKind = iota
	endTimeout         // the wait ran out
	endEOF             // the peer closed (recv returned b'')
	endError           // an error from the socket
	endStopped         // the check's own context ended
)

// ending is how a wait ended.
type ending struct {
	kind endKind
	err  *sockets.Error
	why  string // endStopped: why the check stopped
}

// ending classifies an error from a call that waited with a context derived
// from c.ctx: cancellation is a timeout unless the check itself stopped.
func (c *checker) ending(e *sockets.Error) ending {
	switch {
	case e == nil:
		return ending{}
	case e.Kind == sockets.KindCancelled && c.ctx.Err() != nil:
		return ending{kind: endStopped, why: c.stopped()}
	case e.Kind == sockets.KindCancelled || e.Kind == sockets.KindTimeout:
		return ending{kind: endTimeout}
	}
	return ending{kind: endError, err: e}
}

func (end ending) describe(wait time.Duration) string {
	switch end.kind {
	case endTimeout:
		return "nothing came within " + seconds(wait)
	case endEOF:
		return "the connection was closed (recv returned b'')"
	case endError:
		return end.err.Error()
	case endStopped:
		return "nothing came before " + end.why
	}
	return ""
}

// got is what a wait for bytes received, and how it ended.
type got struct {
	data []byte
	want int           // bytes expected, when known
	wait time.Duration // how long the checker waited
	end  ending        // endNone: the wait got what it waited for
}

func (g got) ok() bool { return g.end.kind == endNone }

// String describes what came: "b'HELLO'", "nothing came within 2 s",
// "b'hel' (3 of 5 bytes), then nothing more within 2 s", …
func (g got) String() string {
	if g.end.kind == endNone {
		return show(g.data)
	}
	if len(g.data) == 0 {
		return g.end.describe(g.wait)
	}
	s := show(g.data)
	if g.want > 0 {
		s += fmt.Sprintf(" (%d of %d bytes)", len(g.data), g.want)
	}
	switch g.end.kind {
	case endTimeout:
		return s + ", then nothing more within " + seconds(g.wait)
	case endStopped:
		return s + ", then " + g.end.why
	}
	return s + ", then " + g.end.describe(g.wait)
}

// seconds writes d as the contract states it: "2 s", "30 s", "1.5 s".
func seconds(d time.Duration) string {
	s := fmt.Sprintf("%.1f", d.Seconds())
	return strings.TrimSuffix(s, ".0") + " s"
}

// showMax is how many bytes show writes out before it abbreviates.
const showMax = 64

// show is Python's repr() of b, abbreviated when long:
// b'abcabc'… (2000 bytes).
func show(b []byte) string {
	if len(b) <= showMax {
		return sockets.PyBytes(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", sockets.PyBytes(b[:showMax-16]), len(b))
}
