package protocol

import (
	"errors"
	"unicode/utf8"
)

// Writing JSON: strings escaped as encoding/json escapes them, and raw
// values copied, compacted where they need it. Byte for byte what
// encoding/json writes (protocol's tests compare the two).

// Raw is a JSON value as it was sent (a request's id, its echo), written as
// is. A nil Raw is written as null. Like encoding/json's RawMessage, which
// it replaces, it decodes to its text and encodes to itself.
type Raw []byte

// MarshalJSON returns r, or null when r is nil.
func (r Raw) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON sets *r to a copy of data.
func (r *Raw) UnmarshalJSON(data []byte) error {
	if r == nil {
		return errors.New("protocol.Raw: UnmarshalJSON on nil pointer")
	}
	*r = append((*r)[0:0], data...)
	return nil
}

// Null is the JSON null, as a Raw.
var Null = Raw("null")

// ErrInvalid is AppendRaw's error for a value that is not JSON.
var ErrInvalid = errors.New("protocol: invalid JSON value")

// AppendRaw writes a raw value as encoding/json writes a RawMessage: null
// when nil, otherwise compacted, with <, > and & (and U+2028, U+2029)
// escaped, and an error when it is not valid JSON. Raw values here are
// nearly always valid, compact and plain (ids, timeouts, the compacted
// request echo): those are checked in one pass and copied; anything else is
// compacted by compactJSON.
func AppendRaw(b []byte, raw []byte) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	if plainJSON(raw) {
		return append(b, raw...), nil
	}
	return compactJSON(b, raw)
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
// compactJSON.
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

// AppendString appends s as a JSON string, escaped exactly as
// encoding/json escapes it: \n, \r, \t, \b and \f by name, other control
// characters and <, >, & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029,
// and each byte of invalid UTF-8 as \ufffd.
func AppendString(b []byte, s string) []byte {
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

// AppendText appends valid UTF-8 text as the inside of a JSON string,
// escaped as AppendString escapes it; runs that need no escaping are
// copied whole.
func AppendText(b, s []byte) []byte {
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
