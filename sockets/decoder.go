package sockets

import (
	"bytes"
	"fmt"
	"strings"
)

// Message is one framed message cut out of a stream: its body, and the
// framing's bytes around it as they arrived. (In sockplay's words a *frame*
// is a WebSocket frame; what a Framing cuts out of a stream is a message.)
type Message struct {
	// Body is the message's payload (without prefix, header or delimiter).
	Body []byte
	// Header is json_header's decoded JSON header, data_size included;
	// numbers are json.Number so that none loses precision. Nil otherwise.
	Header map[string]any
	// Prefix is the length prefix as it arrived (length and json_header).
	Prefix []byte
	// HeaderJSON is json_header's JSON header as it arrived.
	HeaderJSON []byte
	// Carried is how many of the message's bytes had been read by an earlier
	// RecvMessage that was interrupted (always 0 from Decoder.Feed).
	Carried int
}

// The phases of a Decoder (Progress.Phase).
const (
	PhaseHeader     = "header"      // reading the length prefix
	PhaseJSONHeader = "json_header" // reading the JSON header
	PhaseBody       = "body"        // reading the body (delimiter: up to the delimiter)
	PhaseDone       = "done"        // a message has just been completed
)

// Progress is a Decoder's live state, for the page.
type Progress struct {
	Phase      string // PhaseHeader, PhaseJSONHeader, PhaseBody or PhaseDone
	PrefixSize int    // size of the length prefix; 0 when the framing has none
	PrefixRead int    // bytes of the length prefix read
	HeaderSize int    // json_header: the JSON header's declared length; -1 until known
	HeaderRead int    // json_header: bytes of the JSON header read
	Declared   int    // body length (from the prefix, from data_size, or Size); -1 until known, and for delimiter until the delimiter arrives
	BodyRead   int    // body bytes read; for delimiter, bytes held (they may end with part of the delimiter)
	Awaiting   int    // bytes still needed to finish the current phase; -1 when unknown (delimiter)
	Consumed   int    // bytes of this message consumed so far

	// Read is the recv call this report follows, when RecvMessage reports;
	// nil from Decoder.Progress and for RecvMessage's report on carried bytes.
	Read *Read
}

// Decoder cuts messages out of a byte stream fed to it in pieces of any size.
// It is pure (no I/O) and not safe for concurrent use. Memory grows only
// with the bytes fed, never with a declared length, and never past MaxMessage
// for a body (MaxJSONHeader for a JSON header).
type Decoder struct {
	f     Framing
	lf    lengthFormat
	err   *Error // sticky: once set, every Feed returns it
	phase string

	prefix   []byte // length prefix read so far
	hsize    int    // declared JSON header length; -1 until known
	hjson    []byte // JSON header read so far
	header   map[string]any
	declared int      // body length; -1 until known
	body     []byte   // body read so far; for delimiter, everything since the message began
	last     Progress // the message just completed, while phase is PhaseDone
}

// NewDecoder returns a decoder for f. If f is not valid, every Feed returns
// f.Validate()'s error.
func NewDecoder(f Framing) *Decoder {
	d := &Decoder{f: f}
	d.lf, d.err = f.check()
	d.reset()
	return d
}

func (d *Decoder) reset() {
	d.prefix, d.hjson, d.header, d.body = nil, nil, nil, nil
	d.hsize, d.declared = -1, -1
	switch d.f.Kind {
	case FramingLength, FramingJSONHeader:
		d.phase = PhaseHeader
	case FramingFixed:
		d.phase, d.declared = PhaseBody, d.f.Size
	default:
		d.phase = PhaseBody
	}
}

// Err is the error the decoder stopped at, or nil.
func (d *Decoder) Err() *Error { return d.err }

// Want is how many more bytes the decoder needs before its next step can be
// decided: the rest of the length prefix, of the JSON header or of the body.
// Feeding at most Want bytes never goes past the end of a message. For
// delimiter framing, where the message length is unknown, it is the fewest
// bytes that could complete the delimiter (the delimiter's length, less the
// part of it already seen at the end of the held bytes), so at least 1. After
// a completed message it is what the next message needs first; after an error, 0.
func (d *Decoder) Want() int {
	switch {
	case d.err != nil:
		return 0
	case d.phase == PhaseDone:
		switch d.f.Kind {
		case FramingFixed:
			return d.f.Size
		case FramingDelimiter:
			return len(d.f.Delimiter)
		}
		return d.lf.size
	case d.phase == PhaseHeader:
		return d.lf.size - len(d.prefix)
	case d.phase == PhaseJSONHeader:
		return d.hsize - len(d.hjson)
	case d.f.Kind == FramingDelimiter:
		delim := d.f.Delimiter
		for k := min(len(delim)-1, len(d.body)); k > 0; k-- {
			if bytes.HasSuffix(d.body, delim[:k]) {
				return len(delim) - k
			}
		}
		return len(delim)
	}
	return d.declared - len(d.body)
}

// Progress describes the message being decoded, or the one just completed.
func (d *Decoder) Progress() Progress {
	if d.phase == PhaseDone {
		return d.last
	}
	p := Progress{
		Phase:      d.phase,
		PrefixSize: d.lf.size,
		PrefixRead: len(d.prefix),
		HeaderRead: len(d.hjson),
		Declared:   d.declared,
		BodyRead:   len(d.body),
		Consumed:   d.consumed(),
	}
	if d.f.Kind == FramingJSONHeader {
		p.HeaderSize = d.hsize
	}
	switch {
	case d.err != nil:
	case d.f.Kind == FramingDelimiter:
		p.Awaiting = -1
	default:
		p.Awaiting = d.Want()
	}
	return p
}

// consumed is how many bytes of the message in progress have been fed.
func (d *Decoder) consumed() int { return len(d.prefix) + len(d.hjson) + len(d.body) }

// wire returns the bytes of the message in progress, as they arrived.
func (d *Decoder) wire() []byte {
	if d.phase == PhaseDone {
		return nil
	}
	w := make([]byte, 0, d.consumed())
	return append(append(append(w, d.prefix...), d.hjson...), d.body...)
}

// Feed gives the decoder the next bytes of the stream. It consumes bytes
// up to the end of at most one message: when p completes a message, msg is that
// message and consumed tells where it ended in p (feed the rest again for the
// next message); otherwise all of p is consumed and msg is nil. Feeding nothing
// does nothing. An error (a length over MaxMessage, a bad JSON header) is
// final: every later Feed returns it, since the stream is out of step. On
// error, consumed counts the bytes taken before the error was found.
func (d *Decoder) Feed(p []byte) (consumed int, msg *Message, err *Error) {
	if d.err != nil {
		return 0, nil, d.err
	}
	if len(p) == 0 {
		return 0, nil, nil
	}
	if d.phase == PhaseDone {
		d.reset()
	}
	for {
		rest := p[consumed:]
		switch d.phase {
		case PhaseHeader:
			if d.prefix == nil {
				d.prefix = make([]byte, 0, d.lf.size)
			}
			k := min(len(rest), d.lf.size-len(d.prefix))
			d.prefix = append(d.prefix, rest[:k]...)
			consumed += k
			if len(d.prefix) < d.lf.size {
				return consumed, nil, nil
			}
			if e := d.declare(); e != nil {
				d.err = e
				return consumed, nil, e
			}
		case PhaseJSONHeader:
			k := min(len(rest), d.hsize-len(d.hjson))
			d.hjson = appendCapped(d.hjson, rest[:k], d.hsize)
			consumed += k
			if len(d.hjson) < d.hsize {
				return consumed, nil, nil
			}
			if e := d.parseHeader(); e != nil {
				d.err = e
				return consumed, nil, e
			}
		default: // PhaseBody
			if d.f.Kind == FramingDelimiter {
				n, e := d.feedDelimited(rest)
				consumed += n
				if e != nil {
					d.err = e
					return consumed, nil, e
				}
				if d.declared < 0 {
					return consumed, nil, nil
				}
				return consumed, d.finish(), nil
			}
			k := min(len(rest), d.declared-len(d.body))
			d.body = appendCapped(d.body, rest[:k], d.declared)
			consumed += k
			if len(d.body) < d.declared {
				return consumed, nil, nil
			}
			return consumed, d.finish(), nil
		}
	}
}

// appendCapped appends p to b, never growing b's capacity past limit (the
// caller guarantees len(b)+len(p) <= limit), so that a declared length
// cannot make the decoder allocate more than the bytes that arrived warrant.
func appendCapped(b, p []byte, limit int) []byte {
	if need := len(b) + len(p); need > cap(b) {
		nb := make([]byte, len(b), min(max(need, 2*cap(b), 64), limit))
		copy(nb, b)
		b = nb
	}
	return append(b, p...)
}

// delimEnd finds where the delimiter ends in p, counting a delimiter that
// began in the bytes already held: the number of bytes of p through the end
// of the delimiter, or -1 when p does not complete one.
func (d *Decoder) delimEnd(p []byte) int {
	delim := d.f.Delimiter
	if len(delim) > 1 && len(d.body) > 0 && len(p) > 0 {
		var win [2 * MaxDelimiter]byte
		tail := d.body[max(0, len(d.body)-(len(delim)-1)):]
		w := append(append(win[:0], tail...), p[:min(len(p), len(delim)-1)]...)
		if i := bytes.Index(w, delim); i >= 0 && i < len(tail) {
			return i + len(delim) - len(tail)
		}
	}
	if j := bytes.Index(p, delim); j >= 0 {
		return j + len(delim)
	}
	return -1
}

// feedDelimited takes bytes of p up to and including the delimiter, and sets
// declared when the delimiter has arrived.
func (d *Decoder) feedDelimited(p []byte) (int, *Error) {
	room := MaxMessage + len(d.f.Delimiter) - len(d.body) // bytes the held buffer may still take
	end := d.delimEnd(p)
	switch {
	case end >= 0 && end <= room:
		d.body = appendCapped(d.body, p[:end], MaxMessage+len(d.f.Delimiter))
		d.declared = len(d.body) - len(d.f.Delimiter)
		return end, nil
	case end < 0 && len(p) < room:
		d.body = appendCapped(d.body, p, MaxMessage+len(d.f.Delimiter))
		return len(p), nil
	}
	return min(len(p), room), &Error{Kind: KindLimit,
		Message: fmt.Sprintf("no delimiter %s within %d bytes: a message may be at most %d bytes here", PyBytes(d.f.Delimiter), MaxMessage, MaxMessage),
		Hint:    "The sender does not end its messages with this delimiter, or uses another framing; the stream is out of step, so close the connection."}
}

// declare reads the completed length prefix.
func (d *Decoder) declare() *Error {
	v := d.lf.value(d.prefix)
	what, limit := "a body of", MaxMessage
	if d.f.Kind == FramingJSONHeader {
		what, limit = "a JSON header of", MaxJSONHeader
	}
	if v.neg {
		return &Error{Kind: KindFraming, Exception: "ValueError", Message: "negative buffersize in recv",
			Hint: fmt.Sprintf("The prefix %s read as %s means %s, and a length cannot be negative: the sender used another format, or the stream is out of step.", hexBytes(d.prefix), pyStr(d.lf.text), v)}
	}
	if v.abs > uint64(limit) {
		hint := "These bytes are probably not a length prefix at all: the stream is out of step, or the sender uses another framing. Nothing was allocated for them; close the connection."
		if d.lf.size > 1 {
			alt, altFormat := d.lf.decode(d.prefix, !d.lf.big), "'<"+string(d.lf.code)+"'"
			if !d.lf.big {
				altFormat = "'!" + string(d.lf.code) + "'"
			}
			if !alt.neg && alt.abs <= uint64(limit) {
				hint = fmt.Sprintf("Read as %s the prefix %s means %s, but in the other byte order (%s) it means %s: the sender probably packed it with %s. Nothing was allocated for it; the stream is now out of step, so close the connection.",
					pyStr(d.lf.text), hexBytes(d.prefix), v, altFormat, alt, altFormat)
			}
		}
		return &Error{Kind: KindLimit,
			Message: fmt.Sprintf("the length prefix declares %s %s bytes, more than the %d allowed here", what, v, limit),
			Hint:    hint}
	}
	if d.f.Kind == FramingJSONHeader {
		d.hsize, d.phase = int(v.abs), PhaseJSONHeader
	} else {
		d.declared, d.phase = int(v.abs), PhaseBody
	}
	return nil
}

// finish hands out the completed message and records its Progress.
func (d *Decoder) finish() *Message {
	fr := &Message{Prefix: d.prefix, HeaderJSON: d.hjson, Header: d.header, Body: d.body}
	if d.f.Kind == FramingDelimiter {
		fr.Body = d.body[:d.declared:d.declared]
	}
	if fr.Body == nil {
		fr.Body = []byte{}
	}
	d.last = Progress{
		Phase:      PhaseDone,
		PrefixSize: d.lf.size,
		PrefixRead: len(d.prefix),
		HeaderRead: len(d.hjson),
		Declared:   d.declared,
		BodyRead:   len(fr.Body),
		Consumed:   d.consumed(),
	}
	if d.f.Kind == FramingJSONHeader {
		d.last.HeaderSize = d.hsize
	}
	d.prefix, d.hjson, d.header, d.body = nil, nil, nil, nil
	d.phase = PhaseDone
	return fr
}

// hexBytes writes b as spaced hex, e.g. "00 00 00 05".
func hexBytes(b []byte) string {
	var s strings.Builder
	for i, c := range b {
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(&s, "%02x", c)
	}
	return s.String()
}
