package sessions

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
)

// msgLog is a session's log: its last messages, oldest first, as many as
// both bounds allow: at most maxLen of them, and records of at most
// maxBytes in all (their JSON, and two or three bytes each of kind and
// time). The newest message is always kept, however large.
//
// The log keeps no Go values: each message is a record of its JSON (its
// body's members, as AppendFields writes them, behind a few bytes of kind
// and time; its seq is its place in the log), and records lie back to back
// in chunks. A full chunk of small records is packed (S2, a Snappy-like
// block format): a session's messages repeat one another (the same ops,
// sockets, addresses and request echoes), and a chunk of them shrinks about
// tenfold, at several GB/s (deflate's best speed shrank it a little more at
// a tenth of the speed, and cost a busy session an eighth of its CPU). A
// replay sends the records' bytes as they are, decoding nothing.
type msgLog struct {
	chunks   []*chunk // chunks[0] is the oldest; the last one is being filled
	skip     int      // records of chunks[0] dropped already (older than the oldest kept)
	skipOff  int      // the offset in chunks[0].sizes of the oldest kept record's size
	n        int      // records kept
	bytes    int      // the sum of the kept records' sizes
	maxLen   int
	maxBytes int
}

// chunk holds records back to back: recs while it is being filled (or
// when packing it saved little), packed once packed. Each record is
// its kind's code (kindCode, an uvarint), the milliseconds since the
// record before it in the chunk (a varint; the first one's are since t0,
// so 0), then the body's members.
type chunk struct {
	recs   []byte
	packed []byte // recs deflated; recs is then nil
	sizes  []byte // each record's length, as uvarints
	n      int    // records in the chunk
	t0     int64  // the first record's time, in Unix milliseconds
	last   int64  // the last record's time, in Unix milliseconds
}

// Chunk sizes: a session's first chunk is small (an idle session logs its
// hello alone), each next one twice the one before, up to maxChunk. A
// record too large for maxChunk gets a chunk of its own, never packed (a
// large payload's record is its hex and text: packing it on every receive
// would cost more than the receive).
const (
	firstChunk = 512
	maxChunk   = 8 << 10
)

// add logs a message of kind, logged at t, with body, then drops the
// oldest records until both bounds hold. It returns the body's members as
// the log holds them, for the live subscribers to send, or nil if body
// could not be encoded (the record says so).
func (l *msgLog) add(kind string, t time.Time, body any) []byte {
	scratch := scratches.Get().(*[]byte)
	buf, err := AppendFields((*scratch)[:headRoom], body)
	if err != nil {
		buf = buf[:headRoom]
	}
	var rec []byte
	if cap(buf) > maxScratch && err == nil {
		rec = l.recordOwn(kind, t, buf)
	} else {
		rec = l.record(kind, t, buf[headRoom:], err != nil)
		if cap(buf) <= maxScratch {
			*scratch = buf[:0]
			scratches.Put(scratch)
		}
	}
	if err != nil {
		return nil
	}
	return rec
}

// scratches hold a body's members while add encodes them (after headRoom
// bytes): the log copies them into its chunk once their size is known. A
// scratch that grew past maxScratch (a large payload) becomes the record's
// own chunk instead (recordOwn), and leaves the pool.
var scratches = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const (
	maxScratch = 64 << 10
	headRoom   = 2 * binary.MaxVarintLen64 // room for a record's head before its members
)

// head appends a record's head to b: its kind's code (the low bit set
// when bad: the body could not be encoded) and delta, the milliseconds
// since the record before it in its chunk.
func head(b []byte, kind string, bad bool, delta int64) []byte {
	code := uint64(kindCode(kind)) << 1
	if bad {
		code |= 1
	}
	return binary.AppendVarint(binary.AppendUvarint(b, code), delta)
}

// record appends a record of kind, time t and members fields (bad: the
// body could not be encoded) and returns its members as the chunk holds
// them.
func (l *msgLog) record(kind string, t time.Time, fields []byte, bad bool) []byte {
	ms := t.UnixMilli()
	c := l.room(headRoom + len(fields))
	if c.n == 0 {
		c.t0, c.last = ms, ms
	}
	start := len(c.recs)
	c.recs = head(c.recs, kind, bad, ms-c.last)
	h := len(c.recs) - start
	c.last = ms
	c.recs = append(c.recs, fields...)
	l.added(c, len(c.recs)-start)
	end := len(c.recs)
	return c.recs[start+h : end : end]
}

// recordOwn appends a record of kind and time t whose members are
// buf[headRoom:] as a chunk of its own, made of buf's array (a large
// scratch): the members are not copied. It returns them.
func (l *msgLog) recordOwn(kind string, t time.Time, buf []byte) []byte {
	ms := t.UnixMilli()
	var hdr [headRoom]byte
	h := head(hdr[:0], kind, false, 0)
	start := headRoom - len(h)
	copy(buf[start:], h)
	if k := len(l.chunks); k > 0 {
		l.chunks[k-1].pack()
	}
	c := &chunk{recs: buf[start:len(buf):len(buf)], t0: ms, last: ms}
	l.chunks = append(l.chunks, c)
	l.added(c, len(c.recs))
	return buf[headRoom:len(buf):len(buf)]
}

// added counts a record of size bytes just appended to c, then evicts.
func (l *msgLog) added(c *chunk, size int) {
	c.sizes = binary.AppendUvarint(c.sizes, uint64(size))
	c.n++
	l.n++
	l.bytes += size
	l.evict()
}

// room returns the chunk a record of at most n bytes goes into: the last
// one if it has room, else a new one (the last is packed as it fills up).
func (l *msgLog) room(n int) *chunk {
	size := firstChunk
	if k := len(l.chunks); k > 0 {
		c := l.chunks[k-1]
		if c.packed == nil && cap(c.recs)-len(c.recs) >= n {
			return c
		}
		size = min(2*cap(c.recs), maxChunk)
		c.pack()
	}
	c := &chunk{recs: make([]byte, 0, max(size, n))}
	l.chunks = append(l.chunks, c)
	return c
}

// evict drops the oldest records until both bounds hold, and the chunks
// left with none.
func (l *msgLog) evict() {
	for l.n > 1 && (l.n > l.maxLen || l.bytes > l.maxBytes) {
		c := l.chunks[0]
		size, w := binary.Uvarint(c.sizes[l.skipOff:])
		l.skipOff += w
		l.skip++
		l.n--
		l.bytes -= int(size)
		if l.skip == c.n {
			l.chunks[0] = nil // the array must not keep what was dropped
			l.chunks = l.chunks[1:]
			l.skip, l.skipOff = 0, 0
		}
	}
}

// first is the seq of the oldest record kept (last+1 when none is).
func (l *msgLog) first(last int64) int64 { return last - int64(l.n) + 1 }

// since calls f for each message after seq after, oldest first; last is the
// newest seq. Each message has its seq, kind, time (to the millisecond, as
// the wire has it) and members, but no Body; size is its record's size. It
// reports false, calling nothing, if the log no longer reaches back that
// far.
func (l *msgLog) since(after, last int64, f func(m Message, size int)) bool {
	first := l.first(last)
	if after+1 < first {
		return false
	}
	seq := first - int64(l.skip) // the seq of chunks[0]'s first record
	for _, c := range l.chunks {
		if seq+int64(c.n) <= after+1 { // nothing after after: not unpacked
			seq += int64(c.n)
			continue
		}
		c.each(func(m Message, size int) {
			m.Seq = seq
			if seq > after {
				f(m, size)
			}
			seq++
		})
	}
	return true
}

// each calls f for each record of the chunk, oldest first (the messages
// without their seq).
func (c *chunk) each(f func(m Message, size int)) {
	recs := c.recs
	if c.packed != nil {
		recs = c.unpack()
	}
	ms := c.t0
	for sizes := c.sizes; len(sizes) > 0; {
		size, w := binary.Uvarint(sizes)
		sizes = sizes[w:]
		rec := recs[:size:size]
		recs = recs[size:]
		code, n := binary.Uvarint(rec)
		dt, k := binary.Varint(rec[n:])
		ms += dt
		m := Message{Kind: kindName(int(code >> 1)), Time: time.UnixMilli(ms).UTC(), fields: rec[n+k:]}
		if code&1 != 0 {
			m.Body, m.fields = unencodable{}, nil
		}
		f(m, int(size))
	}
}

// pack packs the chunk's records, if it holds more than one (a chunk of
// one record holds a large one) and packing saves a quarter at least.
func (c *chunk) pack() {
	if c.packed != nil || c.n < 2 {
		return
	}
	scratch := packScratch.Get().(*[]byte)
	defer packScratch.Put(scratch)
	if n := s2.MaxEncodedLen(len(c.recs)); cap(*scratch) < n {
		*scratch = make([]byte, n)
	}
	packed := s2.Encode((*scratch)[:cap(*scratch)], c.recs)
	if len(packed) > len(c.recs)*3/4 {
		return
	}
	c.packed = bytes.Clone(packed)
	c.recs = nil
}

// unpack returns the records of a packed chunk (a replay's own copy).
func (c *chunk) unpack() []byte {
	recs, err := s2.Decode(nil, c.packed)
	if err != nil {
		panic("sessions: a log chunk does not unpack: " + err.Error()) // the log packed it
	}
	return recs
}

// packScratch holds the output of pack while its size is found out: the
// sessions share them (a full chunk's worth each).
var packScratch = sync.Pool{New: func() any { b := make([]byte, s2.MaxEncodedLen(maxChunk)); return &b }}

// Kinds in records are codes: their indexes in one table, shared by every
// session, that grows as new kinds are logged (a program has a few dozen).
// Readers load the table without a lock; it is replaced whole, never
// changed, under mu.
var kinds struct {
	mu    sync.Mutex
	names atomic.Pointer[[]string]
}

// kindCode returns kind's code, adding it to the table if it is new.
func kindCode(kind string) int {
	if i := kindIndex(kinds.names.Load(), kind); i >= 0 {
		return i
	}
	kinds.mu.Lock()
	defer kinds.mu.Unlock()
	old := kinds.names.Load()
	if i := kindIndex(old, kind); i >= 0 {
		return i
	}
	var names []string
	if old != nil {
		names = slices.Clip(*old)
	}
	names = append(names, kind)
	kinds.names.Store(&names)
	return len(names) - 1
}

func kindIndex(names *[]string, kind string) int {
	if names == nil {
		return -1
	}
	return slices.Index(*names, kind)
}

// kindName returns the kind of code.
func kindName(code int) string { return (*kinds.names.Load())[code] }

// unencodable is the body of a logged message that could not be encoded:
// sending it fails, as encoding its body failed (a bug: the connection
// closes).
type unencodable struct{}

var errUnencodable = errors.New("sessions: the message's body could not be encoded")

func (unencodable) AppendFields(b []byte) ([]byte, error) { return b, errUnencodable }

// msgOverhead is what a queued message costs besides the bytes it holds:
// the Message, its boxed body and fields, an address or two (bytes,
// roughly).
const msgOverhead = 320

// holder is a body, or a result's fields, holding bytes of variable size.
type holder interface{ heldBytes() int }

// messageBytes is roughly the memory m holds while queued: what the
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
