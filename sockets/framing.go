package sockets

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The framings a stream can be cut into messages with (Framing.Kind).
const (
	FramingLength     = "length"      // a struct-packed length, then that many bytes
	FramingDelimiter  = "delimiter"   // bytes up to and including a delimiter
	FramingFixed      = "fixed"       // every message is exactly Size bytes
	FramingJSONHeader = "json_header" // struct-packed header length, JSON header with data_size, body (seed 004)
)

// KindFrame is the kind of error for bytes that do not make a valid frame: a
// negative length, or a JSON header that is not JSON, not an object, or has
// no usable data_size.
const KindFrame Kind = "frame"

// MaxFrame is the largest body a frame may declare or carry (16 MiB). A
// declared length above it is refused before anything is allocated for it.
const MaxFrame = 16 << 20

// MaxJSONHeader is the largest JSON header a json_header frame may declare
// (64 KiB); real headers are a few dozen bytes.
const MaxJSONHeader = 64 << 10

// MaxDelimiter is the longest delimiter accepted (64 bytes).
const MaxDelimiter = 64

// DefaultJSONHeaderFormat is the struct format of json_header's length prefix
// when Format is empty: 'i', native int, as in seed 004's
// struct.pack('i', len(head_bytes)).
const DefaultJSONHeaderFormat = "i"

// Framing says how messages are cut out of a byte stream.
type Framing struct {
	// Kind is FramingLength, FramingDelimiter, FramingFixed or FramingJSONHeader.
	Kind string
	// Format is a Python struct format for one integer, such as "!I", "<I",
	// "I", "i", "!H" or "!Q": the length prefix of length framing, or the
	// header-length prefix of json_header framing (default "i"). The byte
	// order is one of @ = < > ! or none; the code one of b B h H i I l L q Q.
	// Native order ("" or "@") is little-endian here, and native 'l'/'L' are
	// 8 bytes (as on x86-64 Linux), exactly as Python's struct module has it.
	Format string
	// Delimiter ends every message of delimiter framing (1 to MaxDelimiter bytes).
	Delimiter []byte
	// Size is the length of every message of fixed framing (1 to MaxFrame).
	Size int
}

// String describes the framing as the page may show it, e.g. "length '!I'".
func (f Framing) String() string {
	switch f.Kind {
	case FramingLength:
		return "length " + pyStr(f.Format)
	case FramingDelimiter:
		return "delimiter " + PyBytes(f.Delimiter)
	case FramingFixed:
		return "fixed " + strconv.Itoa(f.Size)
	case FramingJSONHeader:
		return "json_header " + pyStr(f.format())
	}
	return strconv.Quote(f.Kind)
}

// format is the prefix format, with json_header's default filled in.
func (f Framing) format() string {
	if f.Kind == FramingJSONHeader && f.Format == "" {
		return DefaultJSONHeaderFormat
	}
	return f.Format
}

// Validate reports, as a bad_request error, what is wrong with the framing.
func (f Framing) Validate() *Error {
	_, e := f.check()
	return e
}

// check validates f and returns its prefix format (zero for delimiter and
// fixed framing).
func (f Framing) check() (lengthFormat, *Error) {
	unused := func(what string) *Error {
		return BadRequest("", "%s framing does not use %s; leave it out", f.Kind, what)
	}
	switch f.Kind {
	case FramingLength, FramingJSONHeader:
		if f.Delimiter != nil {
			return lengthFormat{}, unused("a delimiter")
		}
		if f.Size != 0 {
			return lengthFormat{}, unused("a size")
		}
		if f.format() == "" {
			return lengthFormat{}, BadRequest("", "length framing needs a struct format for its length prefix, such as '!I' (4 bytes, big-endian)")
		}
		return parseFormat(f.format())
	case FramingDelimiter:
		if f.Format != "" {
			return lengthFormat{}, unused("a struct format")
		}
		if f.Size != 0 {
			return lengthFormat{}, unused("a size")
		}
		if len(f.Delimiter) == 0 {
			return lengthFormat{}, BadRequest("", "delimiter framing needs a delimiter of at least one byte, such as b'\\n'")
		}
		if len(f.Delimiter) > MaxDelimiter {
			return lengthFormat{}, BadRequest("", "the delimiter is %d bytes; at most %d are allowed", len(f.Delimiter), MaxDelimiter)
		}
	case FramingFixed:
		if f.Format != "" {
			return lengthFormat{}, unused("a struct format")
		}
		if f.Delimiter != nil {
			return lengthFormat{}, unused("a delimiter")
		}
		if f.Size < 1 || f.Size > MaxFrame {
			return lengthFormat{}, BadRequest("", "fixed framing needs a size from 1 to %d bytes, not %d", MaxFrame, f.Size)
		}
	default:
		return lengthFormat{}, BadRequest("", "framing kind must be length, delimiter, fixed or json_header, not %q", f.Kind)
	}
	return lengthFormat{}, nil
}

// lengthFormat is a parsed one-integer struct format.
type lengthFormat struct {
	text   string // as given, e.g. "!I"
	order  byte   // 0 (native), '@', '=', '<', '>' or '!'
	code   byte   // b B h H i I l L q Q
	size   int    // bytes
	signed bool
	big    bool // big-endian
}

func parseFormat(s string) (lengthFormat, *Error) {
	lf := lengthFormat{text: s}
	rest := s
	if rest != "" && strings.IndexByte("@=<>!", rest[0]) >= 0 {
		lf.order, rest = rest[0], rest[1:]
	}
	if len(rest) != 1 {
		return lf, BadRequest("", "the length prefix is one integer, so its struct format is one code with an optional byte order (such as '!I', '<H' or 'i'), not %s", pyStr(s))
	}
	lf.code = rest[0]
	native := lf.order == 0 || lf.order == '@'
	switch lf.code {
	case 'b', 'B':
		lf.size = 1
	case 'h', 'H':
		lf.size = 2
	case 'i', 'I':
		lf.size = 4
	case 'l', 'L':
		lf.size = 4
		if native {
			lf.size = 8 // C long on x86-64 Linux
		}
	case 'q', 'Q':
		lf.size = 8
	default:
		return lf, &Error{Kind: KindBadRequest, Exception: "struct.error", Message: "bad char in struct format",
			Hint: "A length prefix uses one integer code: b B h H i I l L q Q (lower case signed, upper case unsigned)."}
	}
	lf.signed = lf.code >= 'a'
	lf.big = lf.order == '>' || lf.order == '!'
	return lf, nil
}

// max is the largest value the format can hold.
func (lf lengthFormat) max() uint64 {
	bits := uint(lf.size * 8)
	if lf.signed {
		bits--
	}
	if bits == 64 {
		return math.MaxUint64
	}
	return 1<<bits - 1
}

// put appends n in the format's byte order.
func (lf lengthFormat) put(dst []byte, n uint64) []byte {
	var b [8]byte
	if lf.big {
		binary.BigEndian.PutUint64(b[:], n)
		return append(dst, b[8-lf.size:]...)
	}
	binary.LittleEndian.PutUint64(b[:], n)
	return append(dst, b[:lf.size]...)
}

// value decodes a complete prefix: the unsigned value, or for signed
// formats the two's-complement value as int64.
func (lf lengthFormat) value(p []byte) prefixValue {
	return lf.decode(p, lf.big)
}

// decode reads p with the given byte order.
func (lf lengthFormat) decode(p []byte, big bool) prefixValue {
	var u uint64
	for i := range lf.size {
		b := p[i]
		if big {
			u = u<<8 | uint64(b)
		} else {
			u |= uint64(b) << (8 * i)
		}
	}
	if lf.signed {
		shift := uint(64 - 8*lf.size)
		v := int64(u<<shift) >> shift // sign-extend
		return prefixValue{neg: v < 0, abs: absSigned(v)}
	}
	return prefixValue{abs: u}
}

// prefixValue is a decoded prefix value: sign and magnitude, so that a 'Q'
// above MaxInt64 and a negative 'q' both print as Python would.
type prefixValue struct {
	neg bool
	abs uint64
}

func absSigned(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

func (v prefixValue) String() string {
	s := strconv.FormatUint(v.abs, 10)
	if v.neg {
		return "-" + s
	}
	return s
}

// rangeError is Python 3's struct.error for a number the format cannot hold
// (CPython uses the native packers for little-endian and native 'b'/'h').
func (lf lengthFormat) rangeError(n int) *Error {
	var msg string
	switch {
	case lf.code == 'b':
		msg = "byte format requires -128 <= number <= 127"
	case lf.code == 'B':
		msg = "ubyte format requires 0 <= number <= 255"
	case lf.code == 'h' && !lf.big:
		msg = "short format requires -32768 <= number <= 32767"
	case lf.code == 'H' && !lf.big:
		msg = "ushort format requires 0 <= number <= 65535"
	case lf.signed:
		msg = fmt.Sprintf("'%c' format requires %d <= number <= %d", lf.code, -int64(lf.max())-1, lf.max())
	default:
		msg = fmt.Sprintf("'%c' format requires 0 <= number <= %d", lf.code, lf.max())
	}
	return &Error{Kind: KindBadRequest, Exception: "struct.error", Message: msg,
		Hint: fmt.Sprintf("%d bytes do not fit in a %s length prefix (at most %d); use a wider format such as '!I'.", n, pyStr(lf.text), lf.max())}
}

// Encode returns body framed for the wire:
//   - length: the struct-packed length of body, then body;
//   - delimiter: body, then the delimiter (body must not contain it);
//   - fixed: body as it is, which must be exactly Size bytes (sockplay does
//     not pad: the receiver would keep the padding as data);
//   - json_header: the struct-packed length of the JSON header, the header
//     (header's fields plus "data_size": len(body), compact JSON with keys
//     sorted), then body. header may be nil; it is not modified.
func (f Framing) Encode(body []byte, header map[string]any) ([]byte, *Error) {
	lf, e := f.check()
	if e != nil {
		return nil, e
	}
	if header != nil && f.Kind != FramingJSONHeader {
		return nil, BadRequest("", "%s framing has no header; only json_header framing sends one", f.Kind)
	}
	if len(body) > MaxFrame {
		return nil, &Error{Kind: KindLimit, Message: fmt.Sprintf("the body is %d bytes; a frame carries at most %d bytes here", len(body), MaxFrame),
			Hint: "Send large data as several frames."}
	}
	switch f.Kind {
	case FramingLength:
		if uint64(len(body)) > lf.max() {
			return nil, lf.rangeError(len(body))
		}
		return append(lf.put(make([]byte, 0, lf.size+len(body)), uint64(len(body))), body...), nil
	case FramingDelimiter:
		wire := append(append(make([]byte, 0, len(body)+len(f.Delimiter)), body...), f.Delimiter...)
		if i := bytes.Index(wire, f.Delimiter); i < len(body) {
			msg := fmt.Sprintf("the body contains the delimiter %s at byte %d, so the receiver would cut the message there", PyBytes(f.Delimiter), i)
			if i+len(f.Delimiter) > len(body) {
				msg = fmt.Sprintf("the body ends with %s, which with the delimiter %s after it reads as a delimiter at byte %d, so the receiver would cut the message there",
					PyBytes(body[i:]), PyBytes(f.Delimiter), i)
			}
			return nil, &Error{Kind: KindBadRequest, Message: msg,
				Hint: "Pick a delimiter that never occurs in the data, escape it in the data, or use length framing, which can carry any bytes."}
		}
		return wire, nil
	case FramingFixed:
		if len(body) != f.Size {
			return nil, &Error{Kind: KindBadRequest,
				Message: fmt.Sprintf("fixed framing sends exactly %d bytes per message; this body has %d", f.Size, len(body)),
				Hint:    fmt.Sprintf("sockplay does not pad, because the receiver would keep the padding as data: pad it yourself (in Python, body.ljust(%d, b' ')) or split it into pieces of %d bytes.", f.Size, f.Size)}
		}
		return append([]byte{}, body...), nil
	}
	// json_header
	h := make(map[string]any, len(header)+1)
	for k, v := range header {
		h[k] = v
	}
	if v, ok := h["data_size"]; ok {
		if n, ok := JSONInt(v); !ok || n != int64(len(body)) {
			return nil, BadRequest("", "the header's data_size is %v but the body has %d bytes; leave data_size out and it is filled in", v, len(body))
		}
	}
	h["data_size"] = len(body)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, BadRequest("", "the header cannot be written as JSON: %v", err)
	}
	js := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(js) > MaxJSONHeader {
		return nil, &Error{Kind: KindLimit, Message: fmt.Sprintf("the JSON header is %d bytes; at most %d are allowed here", len(js), MaxJSONHeader),
			Hint: "A header describes the body (its size, a command name); put bulk data in the body."}
	}
	if uint64(len(js)) > lf.max() {
		return nil, lf.rangeError(len(js))
	}
	wire := lf.put(make([]byte, 0, lf.size+len(js)+len(body)), uint64(len(js)))
	return append(append(wire, js...), body...), nil
}

// JSONInt reads an integer from a decoded JSON value as Go or encoding/json
// (with or without UseNumber) represents it.
func JSONInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// Frame is one message cut out of a stream.
type Frame struct {
	// Body is the message (without prefix, header or delimiter).
	Body []byte
	// Header is json_header's decoded JSON header, data_size included;
	// numbers are json.Number so that none loses precision. Nil otherwise.
	Header map[string]any
	// Prefix is the length prefix as it arrived (length and json_header).
	Prefix []byte
	// HeaderJSON is json_header's JSON header as it arrived.
	HeaderJSON []byte
	// Carried is how many of the frame's bytes had been read by an earlier
	// RecvFrame that was interrupted (always 0 from Decoder.Feed).
	Carried int
}

// The phases of a Decoder (Progress.Phase).
const (
	PhaseHeader     = "header"      // reading the length prefix
	PhaseJSONHeader = "json_header" // reading the JSON header
	PhaseBody       = "body"        // reading the body (delimiter: up to the delimiter)
	PhaseDone       = "done"        // a frame has just been completed
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
	Consumed   int    // bytes of this frame consumed so far

	// Read is the recv call this report follows, when RecvFrame reports;
	// nil from Decoder.Progress and for RecvFrame's report on carried bytes.
	Read *Read
}

// Decoder cuts frames out of a byte stream fed to it in pieces of any size.
// It is pure (no I/O) and not safe for concurrent use. Memory grows only
// with the bytes fed, never with a declared length, and never past MaxFrame
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
	body     []byte   // body read so far; for delimiter, everything since the frame began
	last     Progress // the frame just completed, while phase is PhaseDone
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
// Feeding at most Want bytes never goes past the end of a frame. For
// delimiter framing, where the message length is unknown, it is the fewest
// bytes that could complete the delimiter (the delimiter's length, less the
// part of it already seen at the end of the held bytes), so at least 1. After
// a completed frame it is what the next frame needs first; after an error, 0.
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

// Progress describes the frame being decoded, or the one just completed.
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

// consumed is how many bytes of the frame in progress have been fed.
func (d *Decoder) consumed() int { return len(d.prefix) + len(d.hjson) + len(d.body) }

// wire returns the bytes of the frame in progress, as they arrived.
func (d *Decoder) wire() []byte {
	if d.phase == PhaseDone {
		return nil
	}
	w := make([]byte, 0, d.consumed())
	return append(append(append(w, d.prefix...), d.hjson...), d.body...)
}

// Feed gives the decoder the next bytes of the stream. It consumes bytes
// up to the end of at most one frame: when p completes a frame, msg is that
// frame and consumed tells where it ended in p (feed the rest again for the
// next frame); otherwise all of p is consumed and msg is nil. Feeding nothing
// does nothing. An error (a length over MaxFrame, a bad JSON header) is
// final: every later Feed returns it, since the stream is out of step. On
// error, consumed counts the bytes taken before the error was found.
func (d *Decoder) Feed(p []byte) (consumed int, msg *Frame, err *Error) {
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
	room := MaxFrame + len(d.f.Delimiter) - len(d.body) // bytes the held buffer may still take
	end := d.delimEnd(p)
	switch {
	case end >= 0 && end <= room:
		d.body = appendCapped(d.body, p[:end], MaxFrame+len(d.f.Delimiter))
		d.declared = len(d.body) - len(d.f.Delimiter)
		return end, nil
	case end < 0 && len(p) < room:
		d.body = appendCapped(d.body, p, MaxFrame+len(d.f.Delimiter))
		return len(p), nil
	}
	return min(len(p), room), &Error{Kind: KindLimit,
		Message: fmt.Sprintf("no delimiter %s within %d bytes: a message may be at most %d bytes here", PyBytes(d.f.Delimiter), MaxFrame, MaxFrame),
		Hint:    "The sender does not end its messages with this delimiter, or uses another framing; the stream is out of step, so close the connection."}
}

// declare reads the completed length prefix.
func (d *Decoder) declare() *Error {
	v := d.lf.value(d.prefix)
	what, limit := "a body of", MaxFrame
	if d.f.Kind == FramingJSONHeader {
		what, limit = "a JSON header of", MaxJSONHeader
	}
	if v.neg {
		return &Error{Kind: KindFrame, Exception: "ValueError", Message: "negative buffersize in recv",
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

// parseHeader reads the completed JSON header as seed 004's receiver does:
// head_dic = json.loads(head_bytes.decode('utf8')); head_dic['data_size'].
func (d *Decoder) parseHeader() *Error {
	if e := pyUTF8Error(d.hjson); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(d.hjson))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("extra data after the JSON value")
		}
	}
	if err != nil {
		return &Error{Kind: KindFrame, Message: "the JSON header is not valid JSON: " + err.Error(),
			Hint: "The header bytes are not what json.dumps() writes: the header length may be wrong, or the stream is out of step."}
	}
	h, ok := v.(map[string]any)
	if !ok {
		var msg string
		switch v := v.(type) {
		case []any:
			msg = "list indices must be integers or slices, not str"
		case string:
			msg = "string indices must be integers, not 'str'"
		case bool:
			msg = "'bool' object is not subscriptable"
		case json.Number:
			msg = "'int' object is not subscriptable"
			if _, err := v.Int64(); err != nil {
				msg = "'float' object is not subscriptable"
			}
		default: // null
			msg = "'NoneType' object is not subscriptable"
		}
		return &Error{Kind: KindFrame, Exception: "TypeError", Message: msg,
			Hint: "The JSON header must be an object such as {\"data_size\": 5}."}
	}
	raw, ok := h["data_size"]
	if !ok {
		return &Error{Kind: KindFrame, Exception: "KeyError", Message: "'data_size'",
			Hint: "The JSON header has no data_size, so the body's length is unknown."}
	}
	n, _ := raw.(json.Number)
	if !isDigits(string(n)) { // not a number, negative, a fraction or an exponent
		return &Error{Kind: KindFrame, Message: fmt.Sprintf("data_size in the JSON header must be a whole number of bytes, 0 or more, not %s", jsonText(raw)),
			Hint: "The sender must put the body's length, len(body), in data_size."}
	}
	size, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || size > MaxFrame {
		return &Error{Kind: KindLimit, Message: fmt.Sprintf("the JSON header declares a body of %s bytes, more than the %d allowed here", n, MaxFrame),
			Hint: "Send large data as several frames."}
	}
	d.header, d.declared, d.phase = h, int(size), PhaseBody
	return nil
}

// isDigits reports whether s is one or more decimal digits.
func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// finish hands out the completed frame and records its Progress.
func (d *Decoder) finish() *Frame {
	fr := &Frame{Prefix: d.prefix, HeaderJSON: d.hjson, Header: d.header, Body: d.body}
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

// pyUTF8Error is the UnicodeDecodeError Python's bytes.decode('utf-8')
// raises for b, or nil when b is valid UTF-8.
func pyUTF8Error(b []byte) *Error {
	fail := func(start, end int, reason string) *Error {
		msg := fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: %s", b[start], start, reason)
		if end > start {
			msg = fmt.Sprintf("'utf-8' codec can't decode bytes in position %d-%d: %s", start, end, reason)
		}
		return &Error{Kind: KindFrame, Exception: "UnicodeDecodeError", Message: msg,
			Hint: "The JSON header must be UTF-8 text: the header length may be wrong, or the stream is out of step."}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		n, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			n = 2
		case c == 0xE0:
			n, lo = 3, 0xA0
		case c == 0xED:
			n, hi = 3, 0x9F
		case c >= 0xE1 && c <= 0xEF:
			n = 3
		case c == 0xF0:
			n, lo = 4, 0x90
		case c >= 0xF1 && c <= 0xF3:
			n = 4
		case c == 0xF4:
			n, hi = 4, 0x8F
		default:
			return fail(i, i, "invalid start byte")
		}
		for k := 1; k < n; k++ {
			if i+k >= len(b) {
				return fail(i, len(b)-1, "unexpected end of data")
			}
			l, h := byte(0x80), byte(0xBF)
			if k == 1 {
				l, h = lo, hi
			}
			if x := b[i+k]; x < l || x > h {
				return fail(i, i+k-1, "invalid continuation byte")
			}
		}
		i += n
	}
	return nil
}

// PyBytes is Python's repr() of b, e.g. b'\n' or b"it's".
func PyBytes(b []byte) string {
	q := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		q = '"'
	}
	var s strings.Builder
	s.WriteString("b")
	s.WriteByte(q)
	for _, c := range b {
		switch {
		case c == q || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c == '\t':
			s.WriteString(`\t`)
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\r':
			s.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&s, `\x%02x`, c)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte(q)
	return s.String()
}

// pyStr is Python's repr() of an ASCII string such as a struct format.
func pyStr(s string) string { return PyBytes([]byte(s))[1:] }

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
