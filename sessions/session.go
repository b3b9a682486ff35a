// Package sessions holds a browser session: the sockets it owns, the
// seq-numbered log of everything that happened to them, and the connections
// (subscribers) watching it. A session's state is guarded by one mutex: it
// is touched only inside withLock, one closure at a time, on the goroutine
// that brought the news (a connection's reader, or the goroutine of a socket
// operation that finished): each handoff to a separate session goroutine
// cost a wake-up on the critical path of every round trip. Nothing done
// under the mutex waits on the network; subscribers get bounded queues that
// never block it, and each connection's writer is woken once per locked
// step that queued messages for it, not once per message. The Manager maps
// cookie ids to sessions and closes those left without a page.
package sessions

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Session is one learner's set of sockets and its log.
type Session struct {
	ID  string
	cfg Config

	mu   sync.Mutex // guards the session's state: held while a closure of withLock runs
	over bool       // the session has ended: withLock runs nothing more
	quit chan struct{}
	ctx  context.Context // cancelled when the session closes; parent of every op
	stop context.CancelFunc
	ops  sync.WaitGroup // running socket operations

	closeOnce sync.Once

	learner  atomic.Pointer[string] // the learner's id (learner.go)
	network  network                // where its sockets live (network.go)
	captures captures               // its namespaces' packet captures (packets.go)

	attachMu   sync.Mutex // guards attached and detachedAt, read by the Manager
	attached   int
	detachedAt time.Time

	// Guarded by mu (see withLock).
	queued     []*Subscriber // got messages in the running withLock (wakeQueued)
	log        msgLog        // the last messages, bounded by cfg.LogSize and cfg.LogBytes
	lastSeq    int64
	stepTime   time.Time // the running withLock's messages' time, from its first (the clock is a system call on some VMs)
	subs       map[*Subscriber]bool
	socks      map[string]*entry
	order      []string // handles in creation order
	next       int      // last handle number used
	pending    map[string]*pending
	encoding   string
	ending     bool                     // Close has begun: results are no longer logged
	collecting bool                     // DoBatch's requests are running: a call that would wait is retried at its end
	retries    []retry                  // the calls DoBatch retries at its end
	rest       []call                   // while DoBatch runs: the requests after the running one
	restBad    []*sockets.Error         // their decoding errors (DoBatch's bads)
	batching   bool                     // DoBatch is running (its retries included)
	batchOut   int                      // messages logged by the running DoBatch so far
	unstarted  []waitingCall            // waiting receives DoFrames defers as it ends (wait.go)
	deferred   []waitingCall            // waiting receives whose goroutines start later (launchDeferred)
	deferTimer *time.Timer              // starts them after deferWait
	held       map[string]bool          // waiting receives a sendto fed: the writers wait for their results (wait.go)
	holdTimer  *time.Timer              // ends the hold after holdWindow
	peers      map[string]*peerEntry    // running built-in peers, by id (peers.go)
	peerSeq    int                      // last peer number used
	programs   map[string]*programEntry // running programs, by id (ops_program.go)
	programSeq int                      // last program number used
	lab        *labState                // the session's lab LAN, if it has one (lab.go)
	labBusy    bool                     // a lab is being built or torn down
	packets    packetRate               // how many packet messages were logged this second (packets.go)
	checks     int                      // running exercise checks (check.go)
	counts     sessionCounts            // totals for the line logged at its end (stats.go)
	polled     bool                     // enlisted with the Manager's poller (stat.go)
	locals     int                      // programs attached with sockplay run so far (attach.go)
	room       roomSeen                 // its room, if it is in one (room_session.go)
	created    time.Time

	programReqSeq int64 // the last session id given to a program's request (program.go)
}

type entry struct {
	handle   string
	sock     *sockets.Socket
	listener string
	host     string        // the lab host it lives on ("" the session's own network; lab.go)
	program  string        // the program whose request made it ("" a page's; program.go)
	last     []byte        // the last socket message body sent, to send only changes
	lastStat *statKey      // what the last stat message sent showed (stat.go)
	state    sockets.State // the state in the last socket message
	local    *sockets.Addr // the local address in the last socket message (nil: none)
	// The addresses of its connection, as the last socket message that had
	// a peer showed them: segments (segments.go) still finds the
	// connection's packets once it is shut down or closed.
	connLocal, connPeer *sockets.Addr
	closed              bool
	released            bool // closed, and the kernel no longer keeps its connection (pollStats)
	follow              int  // polls left to follow it for since an op touched it (stat.go)

	// A character the last chunk received ended inside: its first bytes,
	// where it was cut in the incoming stream, and the encoding it was read
	// with (see streamData).
	carry    []byte
	carryAt  int64
	carryEnc string
}

// streamData describes a chunk received on e's stream, showing at most
// limit bytes of it: a character cut by the chunk before it (same encoding,
// right where that one ended) is shown as a cut start with the whole
// character. A peek leaves the carry as it is. With full it also returns
// the chunk with every byte shown (else nil).
func (e *entry) streamData(r sockets.Received, enc string, peek bool, limit int, full bool) (shown, whole *Data) {
	var carry []byte
	if e.carryEnc == enc && e.carryAt == r.Stream[0] {
		carry = e.carry
	}
	shown, next := newDataAfter(r.Data, enc, carry, limit, true)
	if full {
		whole, _ = newDataAfter(r.Data, enc, carry, len(r.Data), true)
	}
	if !peek && len(r.Data) > 0 {
		e.carry, e.carryAt, e.carryEnc = next, r.Stream[1], enc
	}
	return shown, whole
}

type pending struct {
	id     protocol.Raw
	op     string
	sock   string
	cancel context.CancelFunc
	echo   protocol.Raw
	waited bool // its waiting message has been logged

	// A datagram receive (spawn): its context, the Preempt that lets a
	// sendto's step complete it (takeOver), and its call, to make the
	// preempting call with.
	ctx     context.Context
	preempt *sockets.Preempt
	run     opCall
}

func newSession(id string, cfg Config) *Session {
	ctx, stop := context.WithCancel(context.Background())
	s := &Session{
		ID: id, cfg: cfg,
		quit: make(chan struct{}), ctx: ctx, stop: stop,
		detachedAt: cfg.Now(),
		subs:       map[*Subscriber]bool{},
		socks:      map[string]*entry{},
		pending:    map[string]*pending{},
		encoding:   UTF8,
		created:    cfg.Now(),
		log:        msgLog{maxLen: cfg.LogSize, maxBytes: cfg.LogBytes},
		network:    network{make: cfg.Private},
	}
	s.network.made = func(ns Namespace) { s.startCapture("h1", ns) }
	s.append(KindHello, s.hello(false))
	return s
}

// withLock runs f with the session's mutex held, then wakes, once each, the
// writers of the subscribers f queued messages for (wakeQueued). It reports
// false, running nothing, if the session has ended. f must not wait on the
// network or call withLock.
func (s *Session) withLock(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over {
		return false
	}
	s.stepTime = time.Time{}
	f()
	s.wakeQueued()
	return true
}

// noteQueued records that sub got a message in the running withLock.
func (s *Session) noteQueued(sub *Subscriber) {
	if !sub.queued {
		sub.queued = true
		s.queued = append(s.queued, sub)
	}
}

// wakeQueued wakes the writer of each subscriber that got messages since
// the last call: one wake-up for all that a step queued, so the writer
// takes them in one frame instead of waking for the first message alone.
func (s *Session) wakeQueued() {
	if len(s.held) > 0 {
		return // woken as the hold ends (holdFor)
	}
	for i, sub := range s.queued {
		sub.queued = false
		sub.wake()
		s.queued[i] = nil
	}
	s.queued = s.queued[:0]
}

// append logs a message, gives it the next seq and sends it to every active
// subscriber.
func (s *Session) append(kind string, body any) Message {
	return s.appendTo(kind, body, nil, nil)
}

// appendTo is append for a message that one subscriber, to, gets in another
// form: own is the body it gets instead of the logged one (a result with
// every byte its request asked for).
func (s *Session) appendTo(kind string, body any, to *Subscriber, own any) Message {
	s.lastSeq++
	if s.stepTime.IsZero() {
		s.stepTime = s.cfg.Now().UTC()
	}
	m := Message{Seq: s.lastSeq, Kind: kind, Time: s.stepTime, Body: body}
	m.fields = s.log.add(kind, m.Time, body)
	if s.room.room != nil {
		s.roomLogged(kind, body) // room_session.go
	}
	cost := messageBytes(m)
	if s.batching {
		s.batchOut++
	}
	for sub := range s.subs {
		if !sub.active || !sub.wants(to) {
			continue
		}
		pm, pc := m, cost
		if sub == to && (own != nil || sub.ids != nil) {
			if own != nil {
				pm.Body = own
			}
			if sub.ids != nil {
				pm.Body = s.programBody(sub, kind, pm.Body)
			}
			pm.fields = nil // encoded as it is sent
			pc = messageBytes(pm)
		}
		if sub.observer {
			pm = observerView(pm) // room_observers.go
		}
		if !sub.push(pm, pc, false, s.batchOut) {
			if !s.ending {
				s.cfg.counts.dropped.Add(1) // too slow (stats.go)
			}
			s.drop(sub)
			continue
		}
		s.noteQueued(sub)
	}
	return m
}

// firstSeq is the oldest seq the log still holds.
func (s *Session) firstSeq() int64 { return s.log.first(s.lastSeq) }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.quit }

// Close ends the session: waiting calls end, every socket is closed, and each
// attached connection gets a bye, then its Done. It waits until all of that
// is finished.
func (s *Session) Close(reason string) {
	s.closeOnce.Do(func() {
		s.withLock(func() {
			s.ending = true
			s.launchDeferred() // ending: their contexts are cancelled, nothing starts
			s.stop()
			for _, h := range s.order {
				if e := s.socks[h]; !e.closed {
					e.sock.Close()
					e.closed = true
				}
			}
			s.stopPrograms() // their exits are waited for with s.ops
			s.append(KindBye, ByeBody{Reason: reason})
			for sub := range s.subs {
				if !sub.active {
					sub.active = true
					s.replay(sub, sub.from)
				}
				sub.close(reason)
			}
		})
		s.cfg.codes.forget(s)
		s.roomClosed() // room_session.go
		s.stopPeers()
		// Let the operations finish (what they report is no longer logged).
		s.ops.Wait()
		s.captures.close()
		s.closeLab()      // lab.go
		s.network.close() // after its sockets, peers, checks and lab
		s.mu.Lock()
		s.over = true
		s.mu.Unlock()
		close(s.quit)
	})
}
