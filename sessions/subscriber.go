package sessions

import "sync"

// Subscriber is one connection's view of a session: a queue of messages,
// bounded in messages and in bytes, that the session fills without ever
// waiting, and the connection's writer drains. A subscriber whose queue
// overflows is dropped: Done is closed and the connection should close; the
// page reconnects and resumes.
type Subscriber struct {
	mu         sync.Mutex
	queue      []queuedMsg
	bytes      int // the sum of the queued messages' costs
	limit      int // messages the queue may hold (Config.QueueSize, plus a replay's)
	limitBytes int // bytes the queue may hold (Config.QueueBytes, plus a replay's)
	baseLimit  int
	baseBytes  int
	closed     bool
	reason     string
	ready      chan struct{} // has a value once messages are queued and not yet taken
	done       chan struct{}
	reuse      ArrayReuse // whether the queue's array is kept after a take

	// Guarded by the session's mutex (see Session.withLock).
	active bool     // receiving live messages (after its first request)
	from   int64    // the hello's last_seq: where an implicit resume starts
	queued bool     // got a message in the running withLock: wake it as that ends
	watch  []string // the sockets its page shows (op watch, stat.go)
	hidden bool     // its page is hidden: it shows nothing

	program string      // a program's subscriber: the program's name (AttachProgram, program.go)
	ids     *programIDs // a program's request ids (program.go)

	// Rooms (room_session.go, room_observers.go): set before the connection's
	// first request.
	roomKey  string // the instructor key its browser holds (SetRoomIdentity)
	client   string // the address it comes from, for the join rate limit
	observer bool   // an instructor's read-only view (AttachObserver)
}

// queuedMsg is a queued message with what it costs (messageBytes, or a
// replayed record's size).
type queuedMsg struct {
	m    Message
	cost int
}

func newSubscriber(limit, limitBytes int) *Subscriber {
	return &Subscriber{
		limit: limit, limitBytes: limitBytes, baseLimit: limit, baseBytes: limitBytes,
		ready: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// allow raises the queue's bounds by what a replay just queued (n messages,
// bytes of them), so that the replay does not count against live messages.
func (s *Subscriber) allow(n, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.limitBytes = s.baseLimit+n, s.baseBytes+bytes
}

// Ready has a value when messages are waiting to be taken. The session
// gives it one value per locked step that queued messages (not one per
// message), so the writer wakes once for all that the step produced.
func (s *Subscriber) Ready() <-chan struct{} { return s.ready }

// Done is closed when the subscriber was dropped or the session ended; take
// what is left, then close the connection.
func (s *Subscriber) Done() <-chan struct{} { return s.done }

// Reason says why Done was closed.
func (s *Subscriber) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Take removes and returns up to max queued messages, oldest first.
func (s *Subscriber) Take(max int) []Message { return s.TakeInto(nil, max) }

// TakeInto is Take into dst's memory: it removes up to max queued messages
// and returns dst[:0] with them appended, so that a writer can take every
// batch into one slice of its own.
func (s *Subscriber) TakeInto(dst []Message, max int) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(max, len(s.queue))
	out := dst[:0]
	for i := range n {
		out = append(out, s.queue[i].m)
		s.bytes -= s.queue[i].cost
		s.queue[i] = queuedMsg{} // the array must not keep what was taken
	}
	keep := s.reuse.Keep(cap(s.queue), n)
	switch rest := s.queue[n:]; {
	case len(rest) > 0:
		s.queue = rest
		s.wake() // what is left is still to be taken
	case keep:
		s.queue = s.queue[:0] // the next step's messages go in the same array
	default:
		s.queue = nil
	}
	return out
}

// ArrayReuse says whether an array that a connection fills and empties at
// every step (a subscriber's queue, its writer's batch) is kept for the
// next step: a small one (maxKeptQueue elements) always; a larger one
// while large steps keep coming, and not after largeQueueTakes steps in a
// row that a small one would have held. Its arrays hold messages, which
// hold pointers: every collection scans a kept array whole, and a page's
// resume (a replay of up to 512 messages a frame) would otherwise leave
// each connection 45 kB of them to scan for as long as it lives.
type ArrayReuse struct {
	smallTakes int // steps in a row of at most maxKeptQueue elements while the array is larger
}

// Keep reports whether an array of capacity elements, of which a step
// just used used, is kept for the next one.
func (r *ArrayReuse) Keep(capacity, used int) bool {
	switch {
	case used > maxKeptQueue:
		r.smallTakes = 0
		return true
	case capacity <= maxKeptQueue:
		return true
	}
	r.smallTakes++
	if r.smallTakes < largeQueueTakes {
		return true
	}
	r.smallTakes = 0
	return false
}

// A connection's queue fills and drains at every step, and its array is
// reused: a small one (maxKeptQueue messages, 1.5 kB at most) for as long
// as the connection lives; a larger one while large takes keep coming (a
// page with many requests in flight fills it at every step, and growing
// it again each time was a sixth of the bytes a busy session allocated),
// and left to the collector after largeQueueTakes takes in a row that a
// small array would have held (a replay's or a burst's array is not kept
// by an idle page).
const (
	maxKeptQueue    = 16
	largeQueueTakes = 64
)

// push queues m, whose messageBytes is cost; a replay may go past the
// bounds by its own length and bytes. So may the messages of one batch of
// requests (DoBatch) go past the message bound, by as many as the batch has
// logged so far (batch, counting m): they are queued all at once, with the
// session locked, and the connection's writer is woken as the batch ends
// and writes them out, so a page that keeps up is never dropped for sending a batch, while
// one that does not read gets at most one batch past the bound. A message
// that would take the queue past either bound drops the subscriber, unless
// the queue is empty (a single message always goes). It reports false if the
// subscriber is now dropped.
func (s *Subscriber) push(m Message, cost int, replay bool, batch int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if !replay && len(s.queue) > 0 && (len(s.queue) >= s.limit+batch || s.bytes+cost > s.limitBytes) {
		s.closeLocked("too slow: the page did not keep up with its messages")
		return false
	}
	s.queue = append(s.queue, queuedMsg{m, cost})
	s.bytes += cost
	return true
}

// wake tells the writer that messages are queued (see Ready). It never
// waits: a writer already told is not told twice.
func (s *Subscriber) wake() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *Subscriber) close(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(reason)
}

func (s *Subscriber) closeLocked(reason string) {
	if !s.closed {
		s.closed, s.reason = true, reason
		close(s.done)
	}
}
