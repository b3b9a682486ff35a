package sessions

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Wire encoding without reflection. The messages logged most often (results,
// waiting and socket messages) append their own JSON, byte for byte what
// encoding/json writes for the same values: field order, omitempty, HTML-safe
// string escaping and the compaction of raw values all match. wire_test.go
// checks every type here against json.Marshal.

// FieldAppender is a message body, or the fields of a result, that appends
// the members of its JSON object without the braces: `,"key":value` for each
// field encoding/json would write. The wire format flattens a body beside a
// message's seq, kind and time, which is why members come bare.
//
// The error is json.Marshal's for the same value: a raw value that is not
// valid JSON, or a result's Fields that cannot be marshalled.
//
// The bodies implement it on values, as the session logs them: a nil pointer
// to one would panic where encoding/json writes null.
type FieldAppender interface {
	AppendFields(b []byte) ([]byte, error)
}

// AppendFields appends the members of v's JSON object as FieldAppender does:
// by v's own AppendFields if it has one, else by splicing json.Marshal's
// output. Values that do not marshal to an object with members (nil, "{}", a
// number) add nothing.
func AppendFields(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return b, nil
	case FieldAppender:
		return v.AppendFields(b)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	if len(j) > 2 && j[0] == '{' {
		b = append(b, ',')
		b = append(b, j[1:len(j)-1]...)
	}
	return b, nil
}

// AppendFields appends the common result fields, then the op's Fields.
func (r ResultBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"id":`...)
	b, err := appendRaw(b, r.ID)
	if err != nil {
		return b, err
	}
	b = append(b, `,"op":`...)
	b = AppendJSONString(b, r.Op)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, r.OK)
	if r.Sock != "" {
		b = append(b, `,"sock":`...)
		b = AppendJSONString(b, r.Sock)
	}
	if r.Error != nil {
		b = append(b, `,"error":`...)
		b = r.Error.appendJSON(b)
	}
	if len(r.Request) > 0 {
		b = append(b, `,"request":`...)
		if b, err = appendRaw(b, r.Request); err != nil {
			return b, err
		}
	}
	return AppendFields(b, r.Fields)
}

func (e *ErrorBody) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = AppendJSONString(b, e.Type)
	if e.Errno != "" {
		b = append(b, `,"errno":`...)
		b = AppendJSONString(b, e.Errno)
	}
	if e.Code != 0 {
		b = append(b, `,"code":`...)
		b = strconv.AppendInt(b, int64(e.Code), 10)
	}
	if e.Exception != "" {
		b = append(b, `,"exception":`...)
		b = AppendJSONString(b, e.Exception)
	}
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, e.Message)
	if e.Hint != "" {
		b = append(b, `,"hint":`...)
		b = AppendJSONString(b, e.Hint)
	}
	return append(b, '}')
}

// AppendFields appends the waiting message's fields.
func (w WaitingBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"id":`...)
	b, err := appendRaw(b, w.ID)
	if err != nil {
		return b, err
	}
	b = append(b, `,"op":`...)
	b = AppendJSONString(b, w.Op)
	if w.Sock != "" {
		b = append(b, `,"sock":`...)
		b = AppendJSONString(b, w.Sock)
	}
	if len(w.Request) > 0 {
		b = append(b, `,"request":`...)
		return appendRaw(b, w.Request)
	}
	return b, nil
}

// AppendFields appends the socket's state.
func (s SocketBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"sock":`...)
	b = AppendJSONString(b, s.Sock)
	b = append(b, `,"fd":`...)
	b = strconv.AppendInt(b, int64(s.FD), 10)
	b = append(b, `,"family":`...)
	b = AppendJSONString(b, string(s.Family))
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, string(s.Type))
	b = append(b, `,"state":`...)
	b = AppendJSONString(b, string(s.State))
	b = append(b, `,"laddr":`...)
	b = s.Laddr.appendJSON(b)
	b = append(b, `,"raddr":`...)
	b = s.Raddr.appendJSON(b)
	b = append(b, `,"timeout":`...)
	b, err := appendRaw(b, s.Timeout)
	if err != nil {
		return b, err
	}
	b = append(b, `,"options":`...)
	b = appendOptions(b, s.Options)
	b = append(b, `,"shut_rd":`...)
	b = strconv.AppendBool(b, s.ShutRD)
	b = append(b, `,"shut_wr":`...)
	b = strconv.AppendBool(b, s.ShutWR)
	b = append(b, `,"listener":`...)
	b = AppendJSONString(b, s.Listener)
	if s.Host != "" {
		b = append(b, `,"host":`...)
		b = AppendJSONString(b, s.Host)
	}
	if s.Program != "" {
		b = append(b, `,"program":`...)
		b = AppendJSONString(b, s.Program)
	}
	return b, nil
}

// appendOptions writes the map as encoding/json does: null when nil, keys in
// sorted order.
func appendOptions(b []byte, m map[string]int) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	// A socket has a handful of options at most: the keys stay on the stack.
	var buf [8]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(m[k]), 10)
	}
	return append(b, '}')
}

// AppendFields appends the hello's fields.
func (h HelloBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"session":`...)
	b = AppendJSONString(b, h.Session)
	b = append(b, `,"protocol":`...)
	b = AppendJSONString(b, h.Protocol)
	b = append(b, `,"resumed":`...)
	b = strconv.AppendBool(b, h.Resumed)
	b = append(b, `,"last_seq":`...)
	b = strconv.AppendInt(b, h.LastSeq, 10)
	b = append(b, `,"encoding":`...)
	b = AppendJSONString(b, h.Encoding)
	b = append(b, `,"network":`...)
	b = AppendJSONString(b, h.Network)
	p := &h.Policy
	b = append(b, `,"policy":{"profile":`...)
	b = AppendJSONString(b, p.Profile)
	b = append(b, `,"bind":`...)
	b = AppendJSONString(b, p.Bind)
	b = append(b, `,"connect":`...)
	b = AppendJSONString(b, p.Connect)
	b = append(b, `,"wildcard":`...)
	b = strconv.AppendBool(b, p.Wildcard)
	l := &h.Limits
	b = append(b, `},"limits":{"sockets":`...)
	b = strconv.AppendInt(b, int64(l.Sockets), 10)
	b = append(b, `,"log":`...)
	b = strconv.AppendInt(b, int64(l.Log), 10)
	b = append(b, `,"log_bytes":`...)
	b = strconv.AppendInt(b, int64(l.LogBytes), 10)
	b = append(b, `,"bufsize":`...)
	b = strconv.AppendInt(b, int64(l.Bufsize), 10)
	b = append(b, `,"data":`...)
	b = strconv.AppendInt(b, int64(l.Data), 10)
	b = append(b, `,"shown":`...)
	b = strconv.AppendInt(b, int64(l.Shown), 10)
	b = append(b, `,"batch":`...)
	b = strconv.AppendInt(b, int64(l.Batch), 10)
	b = append(b, `,"programs":`...)
	b = strconv.AppendInt(b, int64(l.Programs), 10)
	b = append(b, `},"programs":`...)
	b = strconv.AppendBool(b, h.Programs)
	if h.ProgramsNote != "" {
		b = append(b, `,"programs_note":`...)
		b = AppendJSONString(b, h.ProgramsNote)
	}
	return b, nil
}

// AppendFields appends the snapshot's fields.
func (s SnapshotBody) AppendFields(b []byte) ([]byte, error) {
	var err error
	b = append(b, `,"sockets":`...)
	if b, err = appendObjects(b, s.Sockets); err != nil {
		return b, err
	}
	b = append(b, `,"pending":`...)
	if b, err = appendObjects(b, s.Pending); err != nil {
		return b, err
	}
	b = append(b, `,"peers":`...)
	if b, err = appendObjects(b, s.Peers); err != nil {
		return b, err
	}
	b = append(b, `,"programs":`...)
	if b, err = appendObjects(b, s.Programs); err != nil {
		return b, err
	}
	b = append(b, `,"encoding":`...)
	b = AppendJSONString(b, s.Encoding)
	b = append(b, `,"first_seq":`...)
	b = strconv.AppendInt(b, s.FirstSeq, 10)
	b = append(b, `,"lab":`...)
	lab, err := json.Marshal(s.Lab) // null without a lab; rare, so the plain way
	return append(b, lab...), err
}

// appendObjects writes a slice of bodies as a JSON array of objects (null
// when nil).
func appendObjects[T FieldAppender](b []byte, xs []T) ([]byte, error) {
	if xs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		// The members start with a comma: it becomes the opening brace.
		start := len(b)
		var err error
		if b, err = x.AppendFields(b); err != nil {
			return b, err
		}
		if len(b) == start {
			b = append(b, '{')
		} else {
			b[start] = '{'
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// AppendFields appends the bye's reason.
func (y ByeBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"reason":`...)
	return AppendJSONString(b, y.Reason), nil
}

// AppendFields appends the fields of a spawn result.
func (p PeerFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"peer":`...)
	b = AppendJSONString(b, p.Peer)
	b = append(b, `,"name":`...)
	b = AppendJSONString(b, p.Name)
	b = append(b, `,"addr":`...)
	return p.Addr.appendJSON(b), nil
}

// AppendFields appends the fields of a send, sendall or sendto result.
func (f sendFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(f.N), 10)
	if f.Addr != nil {
		b = append(b, `,"addr":`...)
		b = f.Addr.appendJSON(b)
	}
	if f.Stream != nil {
		b = append(b, `,"stream":`...)
		b = appendRange(b, *f.Stream)
	}
	return b, nil
}

// AppendFields appends the fields of a recv result.
func (f recvFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"data":`...)
	b = f.Data.appendJSON(b)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, f.Truncated)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(f.Size), 10)
	if f.Stream != nil {
		b = append(b, `,"stream":`...)
		b = appendRange(b, *f.Stream)
	}
	if len(f.Sends) > 0 {
		b = append(b, `,"sends":[`...)
		for i, s := range f.Sends {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			var err error
			if b, err = appendRaw(b, s.ID); err != nil {
				return b, err
			}
			b = append(b, `,"index":`...)
			b = strconv.AppendInt(b, int64(s.Index), 10)
			b = append(b, `,"range":`...)
			b = appendRange(b, s.Range)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b, nil
}

// AppendFields appends the fields of a recvfrom result: the address first,
// then the embedded recvFields, as encoding/json orders them. (Without this
// method recvFields' would be promoted and the address lost.)
func (f recvfromFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"addr":`...)
	b = f.Addr.appendJSON(b)
	return f.recvFields.AppendFields(b)
}

// AppendFields appends the address of a bind, getsockname or getpeername
// result.
func (f addrField) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"addr":`...)
	return f.Addr.appendJSON(b), nil
}

// AppendFields appends the value of a setsockopt or getsockopt result.
func (f valueField) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"value":`...)
	return strconv.AppendInt(b, int64(f.Value), 10), nil
}

func appendRange(b []byte, r [2]int64) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, r[0], 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r[1], 10)
	return append(b, ']')
}

// appendJSON writes what MarshalJSON does: [host, port], four elements for
// IPv6, or null.
func (a Addr) appendJSON(b []byte) []byte {
	if a.A == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	b = AppendJSONString(b, a.A.Host)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.A.Port), 10)
	if strings.Contains(a.A.Host, ":") { // as in MarshalJSON
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(a.A.FlowInfo), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(a.A.ScopeID), 10)
	}
	return append(b, ']')
}

// appendJSON writes the received data as an object, or null: its hex and
// text are made here, from the bytes it keeps.
func (d *Data) appendJSON(b []byte) []byte {
	if d == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"size":`...)
	b = strconv.AppendInt(b, int64(d.size), 10)
	if d.sum != nil {
		if len(d.shown) > 0 { // omitempty
			b = append(b, `,"shown":`...)
			b = strconv.AppendInt(b, int64(len(d.shown)), 10)
		}
		b = append(b, `,"sha256":"`...)
		b = hex.AppendEncode(b, d.sum[:])
		b = append(b, '"')
	}
	b = append(b, `,"hex":"`...) // hex digits need no escaping
	b = hex.AppendEncode(b, d.shown)
	b = append(b, `","text":`...)
	b, invalid := d.appendText(b)
	b = append(b, `,"encoding":`...)
	b = AppendJSONString(b, d.encoding)
	if len(invalid) > 0 {
		b = append(b, `,"invalid":[`...)
		for i, v := range invalid {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"offset":`...)
			b = strconv.AppendInt(b, int64(v.Offset), 10)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, int64(v.Size), 10)
			if v.Cut != "" {
				b = append(b, `,"cut":`...)
				b = AppendJSONString(b, v.Cut)
			}
			if v.Char != "" {
				b = append(b, `,"char":`...)
				b = AppendJSONString(b, v.Char)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendRaw writes a json.RawMessage as encoding/json does: null when nil,
// otherwise compacted, with <, > and & (and U+2028, U+2029) escaped, and an
// error when it is not valid JSON. Raw values here are nearly always valid,
// compact and plain (ids, timeouts, the compacted request echo): those are
// checked in one pass and copied; anything else takes json.Marshal's path.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	if plainJSON(raw) {
		return append(b, raw...), nil
	}
	j, err := json.Marshal(raw)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// plainJSON reports whether raw is one valid JSON value that encoding/json
// would copy unchanged: no whitespace to drop, nothing to escape. It is
// json.Valid for the common case, at a fraction of the cost of its state
// machine, and may say no to a plain value (nested very deep), never yes to
// one that is not.
func plainJSON(raw []byte) bool {
	p := plainScanner{raw: raw}
	return p.value(0) && p.i == len(raw)
}

// maxPlainDepth bounds plainScanner's recursion; deeper values are left to
// encoding/json.
const maxPlainDepth = 64

type plainScanner struct {
	raw []byte
	i   int // the next byte to read
}

func (p *plainScanner) value(depth int) bool {
	if p.i >= len(p.raw) || depth > maxPlainDepth {
		return false
	}
	switch c := p.raw[p.i]; c {
	case '{':
		p.i++
		if p.next('}') {
			return true
		}
		for {
			if !p.next('"') || !p.string() || !p.next(':') || !p.value(depth+1) {
				return false
			}
			if p.next('}') {
				return true
			}
			if !p.next(',') {
				return false
			}
		}
	case '[':
		p.i++
		if p.next(']') {
			return true
		}
		for {
			if !p.value(depth + 1) {
				return false
			}
			if p.next(']') {
				return true
			}
			if !p.next(',') {
				return false
			}
		}
	case '"':
		p.i++
		return p.string()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	return p.number()
}

// next consumes c if it comes next.
func (p *plainScanner) next(c byte) bool {
	if p.i < len(p.raw) && p.raw[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *plainScanner) literal(s string) bool {
	if len(p.raw)-p.i < len(s) || string(p.raw[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// plainInString marks the bytes a plain string holds as they are. Bytes of
// invalid UTF-8 count: encoding/json's compaction copies them unchanged.
var plainInString = func() (t [256]bool) {
	for c := ' '; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2
	}
	return t
}()

// string reads the rest of a string after its opening quote.
func (p *plainScanner) string() bool {
	raw := p.raw
	for i := p.i; i < len(raw); i++ {
		if plainInString[raw[i]] {
			continue
		}
		switch raw[i] {
		case '"':
			p.i = i + 1
			return true
		case '\\':
			i++
			if i == len(raw) {
				return false
			}
			switch raw[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(raw)-i <= 4 || !isHex(raw[i+1]) || !isHex(raw[i+2]) || !isHex(raw[i+3]) || !isHex(raw[i+4]) {
					return false
				}
				i += 4
			default:
				return false
			}
		case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
			if i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8 {
				return false
			}
		default: // control characters, and <, > and & which get escaped
			return false
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *plainScanner) number() bool {
	raw, i := p.raw, p.i
	digits := func() bool {
		start := i
		for i < len(raw) && '0' <= raw[i] && raw[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	if i < len(raw) && raw[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	p.i = i
	return true
}

const hexDigits = "0123456789abcdef"

// safeASCII marks the ASCII bytes a JSON string holds as they are. Like
// encoding/json by default, it leaves out <, > and & (escaped so that JSON is
// safe inside HTML) besides the quote, the backslash and control characters.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendJSONString appends s as a JSON string, escaped exactly as
// encoding/json escapes it: \n, \r, \t, \b and \f by name, other control
// characters and <, >, & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029,
// and each byte of invalid UTF-8 as \ufffd.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript before ES2019.
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendValidText appends valid UTF-8 text as the inside of a JSON string,
// escaped as AppendJSONString escapes it; runs that need no escaping are
// copied whole.
func appendValidText(b, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			start = i + 1
			continue
		}
		// U+2028 and U+2029 (E2 80 A8, E2 80 A9): valid JSON, not valid
		// JavaScript before ES2019.
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8 {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]-0xA0])
			i += 2
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}
