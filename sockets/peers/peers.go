// Package peers runs sockplay's built-in peers: small socket programs (an
// echo server, a broadcaster, an IPMsg listener, a file server, …) that a
// lesson starts for the learner's own sockets or Python code to talk to.
// Each peer is written on the sockets engine, so the address policy, the
// error texts and the stream bookkeeping (which send() calls a recv() chunk
// holds) are those of every other playground socket. A peer reports what it
// does as Events; it never logs, never runs a shell and never touches the
// disk. Stop closes every socket a peer opened and returns once its
// goroutines have ended.
//
// The peers and their options are listed in templates/lessons/FORMAT.md;
// the wire formats of framed-server and file-server in web/PROTOCOL.md.
package peers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"sockplay/sockets"
)

// Event is one thing a peer did, for the session log.
type Event struct {
	// What happened: "listening", "accepted", "recv", "sent", "decoded",
	// "closed", "error", "done" or "stopped".
	What string
	// Addr is the other side (a client, a datagram's sender or target), or
	// nil when there is none.
	Addr *sockets.Addr
	// Data is the bytes received or sent (for "decoded", the request's
	// body), at most MaxEventData of them.
	Data []byte
	// Size is how many bytes there were in all (Data may show fewer).
	Size int
	// Fields are decoded values: IPMsg fields, a framed command, a
	// file-server request or reply header.
	Fields map[string]string
	// Note is one plain sentence saying what the peer did.
	Note string
}

// MaxEventData is how many bytes of a payload an Event carries (256).
const MaxEventData = 256

// MaxConns is how many connections one TCP peer serves at a time (64); a
// connection beyond that is accepted and closed at once.
const MaxConns = 64

// Peer is one running built-in peer.
type Peer struct {
	name   string
	addr   sockets.Addr // as bound
	policy *sockets.Policy
	open   sockets.Opener // makes its sockets' descriptors (nil: in this process's network)
	report func(Event)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu      sync.Mutex
	stopped bool
	socks   map[*sockets.Socket]bool
	conns   int // accepted connections being served
}

// spec describes one kind of peer.
type spec struct {
	options []string                                 // the option names it takes
	start   func(p *Peer, o *options) *sockets.Error // opens its sockets, then starts its goroutines
}

// registry lists the built-in peers by name.
var registry = map[string]spec{
	"udp-echo":            {nil, startUDPEcho},
	"tcp-echo":            {nil, startTCPEcho},
	"udp-chat":            {[]string{"to", "message", "interval_ms", "count"}, startUDPChat},
	"broadcaster":         {[]string{"port", "message", "interval_ms", "count"}, startBroadcaster},
	"ipmsg-listener":      {nil, startIPMsgListener},
	"burst-sender":        {[]string{"count", "size", "message"}, startBurstSender},
	"slow-reader":         {[]string{"chunk", "delay_ms", "rcvbuf"}, startSlowReader},
	"threaded-tcp-server": {[]string{"mode"}, startThreadedServer},
	"framed-server":       {nil, startFramedServer},
	"file-server":         {[]string{"drop_after"}, startFileServer},
}

// Names returns the names of the built-in peers, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Start starts the peer called name at addr (port 0 picks a free port) with
// opts (option name → value as decoded from JSON: float64 or int for
// numbers, string, []any for an address). Its sockets obey policy. report,
// if not nil, is called from the peer's own goroutines (never from Start)
// for everything it does. The peer waits for report, so report must return
// quickly and never wait for anything that may wait for the peer (a
// session queues the events; see sessions/peers.go); it must not call
// Stop. The peer runs until Stop or until ctx is cancelled. An unknown name or a bad option is a
// bad_request error; binding can fail as bind() does (policy, EADDRINUSE).
func Start(ctx context.Context, name string, addr sockets.Addr, opts map[string]any, policy *sockets.Policy, report func(Event)) (*Peer, *sockets.Error) {
	return StartIn(ctx, name, addr, opts, policy, nil, report)
}

// StartIn is Start with the peer's sockets made by open (nil: in this
// process's network), such as a private network's Namespace.Socket, so the
// peer lives in that network: it binds its address there.
func StartIn(ctx context.Context, name string, addr sockets.Addr, opts map[string]any, policy *sockets.Policy, open sockets.Opener, report func(Event)) (*Peer, *sockets.Error) {
	sp, ok := registry[name]
	if !ok {
		return nil, sockets.BadRequest("", "there is no built-in peer %q; the peers are %s", name, strings.Join(Names(), ", "))
	}
	for _, k := range sortedKeys(opts) {
		if !slices.Contains(sp.options, k) {
			if len(sp.options) == 0 {
				return nil, sockets.BadRequest("", "%s takes no options, so %q is not one", name, k)
			}
			return nil, sockets.BadRequest("", "%s has no option %q; its options are %s", name, k, strings.Join(sp.options, ", "))
		}
	}
	if report == nil {
		report = func(Event) {}
	}
	if policy == nil {
		policy = &sockets.Policy{}
	}
	p := &Peer{name: name, addr: addr, policy: policy, open: open, report: report, socks: map[*sockets.Socket]bool{}}
	p.ctx, p.cancel = context.WithCancel(ctx)
	context.AfterFunc(p.ctx, func() { p.closeAll() })
	if e := sp.start(p, &options{peer: name, m: opts}); e != nil {
		p.shutdown()
		return nil, e
	}
	return p, nil
}

// Name is the peer's name, such as "udp-echo".
func (p *Peer) Name() string { return p.name }

// Addr is the address the peer is bound to.
func (p *Peer) Addr() sockets.Addr { return p.addr }

// Stop closes every socket the peer opened, waits until its goroutines have
// ended and reports "stopped". Calling it again, from any goroutine, waits
// for the first call to finish.
func (p *Peer) Stop() {
	p.once.Do(func() {
		n := p.shutdown()
		p.report(Event{What: "stopped", Note: fmt.Sprintf("%s stopped; it closed its %s.", p.name, plural(n, "open socket"))})
	})
}

// shutdown ends the peer and returns how many sockets it closed.
func (p *Peer) shutdown() int {
	n := p.closeAll()
	p.cancel()
	p.wg.Wait()
	return n
}

// closeAll marks the peer stopped and closes its sockets; waiting calls on
// them end with EBADF.
func (p *Peer) closeAll() int {
	p.mu.Lock()
	p.stopped = true
	socks := p.socks
	p.socks = map[*sockets.Socket]bool{}
	p.mu.Unlock()
	for s := range socks {
		s.Close()
	}
	return len(socks)
}

// ending reports whether the peer is being stopped: its waiting calls end
// because of that, not because something went wrong.
func (p *Peer) ending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped || p.ctx.Err() != nil
}

// spawn runs f on a goroutine that Stop waits for. It reports false (and
// runs nothing) once the peer is stopping.
func (p *Peer) spawn(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

// track adds s to the sockets Stop closes; once the peer is stopping it
// closes s instead and reports false.
func (p *Peer) track(s *sockets.Socket) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		s.Close()
		return false
	}
	p.socks[s] = true
	return true
}

// release closes s and forgets it.
func (p *Peer) release(s *sockets.Socket) {
	s.Close()
	p.mu.Lock()
	delete(p.socks, s)
	p.mu.Unlock()
}

// emit reports ev, cutting its data to MaxEventData bytes.
func (p *Peer) emit(ev Event) {
	if ev.Size == 0 {
		ev.Size = len(ev.Data)
	}
	if ev.Data != nil {
		ev.Data = append([]byte{}, ev.Data[:min(len(ev.Data), MaxEventData)]...)
	}
	p.report(ev)
}

// fail reports e as an error event, unless the peer is stopping (then e is
// just how its waiting call ended).
func (p *Peer) fail(what string, from *sockets.Addr, e *sockets.Error) {
	if p.ending() {
		return
	}
	p.emit(Event{What: "error", Addr: from, Note: fmt.Sprintf("%s failed: %v", what, e)})
}

// sleep waits d, or until the peer stops; it reports whether to go on.
func (p *Peer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
