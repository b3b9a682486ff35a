package sessions

import "sync"

// Subscriber is one connection's view of a session: a queue of messages,
// bounded in messages and in bytes, that the session fills without ever
// waiting, and the connection's writer drains. A subscriber whose queue
// overflows is dropped: Done is closed and the connection should close; the
// page reconnects and resumes.
type Subscriber struct {
	mu         sync.Mutex
	queue      []logEntry // messages with their messageBytes
	bytes      int        // the sum of the queued messages' costs
	limit      int        // messages the queue may hold (Config.QueueSize, plus a replay's)
	limitBytes int        // bytes the queue may hold (Config.QueueBytes, plus a replay's)
	baseLimit  int
	baseBytes  int
	closed     bool
	held       bool // between Hold and Release: push does not wake the writer
	reason     string
	ready      chan struct{} // has a value while the queue is not empty
	done       chan struct{}

	// flush, if set, writes out the queue now when nobody else is writing;
	// the goroutine of a finished operation calls it, sparing the writer a
	// wake-up. It must not wait for another writer.
	flush func()

	// Guarded by the session lock (see post).
	active bool     // receiving live messages (after its first request)
	from   int64    // the hello's last_seq: where an implicit resume starts
	watch  []string // the sockets its page shows (op watch, stat.go)
	hidden bool     // its page is hidden: it shows nothing
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

// Ready has a value when messages are waiting to be taken.
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
func (s *Subscriber) Take(max int) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(max, len(s.queue))
	out := make([]Message, n)
	for i := range out {
		out[i] = s.queue[i].m
		s.bytes -= s.queue[i].cost
		s.queue[i] = logEntry{} // the array must not keep what was taken
	}
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil
	} else if !s.held {
		s.signal()
	}
	return out
}

// Hold keeps push from waking the connection's writer: the caller is about
// to write the queue out itself (a reader answering its own request, or the
// goroutine of a finished operation), and a writer woken for nothing costs
// a thread wake-up on every round trip. Release must follow.
func (s *Subscriber) Hold() {
	s.mu.Lock()
	s.held = true
	s.mu.Unlock()
}

// Release ends Hold. Whatever is still queued (pushed after the caller's
// last Take, or left because another goroutine was writing) wakes the
// writer now.
func (s *Subscriber) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = false
	if len(s.queue) > 0 {
		s.signal()
	}
}

// push queues m, whose messageBytes is cost; a replay may go past the
// bounds by its own length and bytes. So may the messages of one batch of
// requests (DoBatch) go past the message bound, by as many as the batch has
// logged so far (batch, counting m): they are queued all at once, with the
// session locked, and the batch's own reader writes them out as soon as it
// ends, so a page that keeps up is never dropped for sending a batch, while
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
	s.queue = append(s.queue, logEntry{m, cost})
	s.bytes += cost
	if !s.held {
		s.signal()
	}
	return true
}

func (s *Subscriber) signal() {
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
