package sessions

// msgLog is a session's log: its last messages, oldest first, as many as
// both bounds allow: at most maxLen of them and, roughly, maxBytes of memory
// (messageBytes). The newest message is always kept, however large.
type msgLog struct {
	entries  []logEntry // entries[0] is the oldest kept
	bytes    int        // the sum of the entries' costs
	maxLen   int
	maxBytes int
}

type logEntry struct {
	m    Message
	cost int // messageBytes(m)
}

// add appends m, then drops the oldest entries until both bounds hold.
func (l *msgLog) add(m Message, cost int) {
	l.entries = append(l.entries, logEntry{m, cost})
	l.bytes += cost
	for len(l.entries) > 1 && (len(l.entries) > l.maxLen || l.bytes > l.maxBytes) {
		l.bytes -= l.entries[0].cost
		l.entries[0] = logEntry{} // the array must not keep what it dropped
		l.entries = l.entries[1:]
	}
}

// first is the seq of the oldest entry kept (last+1 when none is).
func (l *msgLog) first(last int64) int64 { return last - int64(len(l.entries)) + 1 }

// since returns the entries after seq after, oldest first; last is the
// newest seq. It reports false if the log no longer reaches back that far.
func (l *msgLog) since(after, last int64) ([]logEntry, bool) {
	first := l.first(last)
	if after+1 < first {
		return nil, false
	}
	return l.entries[after+1-first:], true
}

// msgOverhead is what a logged message costs besides the bytes it holds:
// the Message, its boxed body and fields, an address or two (bytes,
// roughly).
const msgOverhead = 320

// holder is a body, or a result's fields, holding bytes of variable size.
type holder interface{ heldBytes() int }

// messageBytes is roughly the memory m holds: what the log's and the
// queues' byte bounds count.
func messageBytes(m Message) int {
	n := msgOverhead
	if h, ok := m.Body.(holder); ok {
		n += h.heldBytes()
	}
	return n
}

func (r ResultBody) heldBytes() int {
	n := len(r.ID) + len(r.Request)
	if h, ok := r.Fields.(holder); ok {
		n += h.heldBytes()
	}
	return n
}

func (w WaitingBody) heldBytes() int { return len(w.ID) + len(w.Request) }

func (f recvFields) heldBytes() int {
	n := f.Data.heldBytes()
	for _, s := range f.Sends {
		n += 48 + len(s.ID)
	}
	return n
}

func (f recvfromFields) heldBytes() int { return f.recvFields.heldBytes() }

func (b StatBody) heldBytes() int { return b.Peek.heldBytes() }

func (b PeerBody) heldBytes() int { return b.Data.heldBytes() + 64*len(b.Fields) }

func (b FrameBody) heldBytes() int {
	n := len(b.ID) + len(b.Request)
	if b.Read != nil {
		n += b.Read.Data.heldBytes()
	}
	return n
}
