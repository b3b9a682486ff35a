package protocol

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Reading JSON values: the pieces of a value already known to be valid
// JSON (a request's raw fields), read as encoding/json's Unmarshal reads
// them into Go values. Each reports false where Unmarshal would fail.

// trim drops the whitespace around a value.
func trim(raw []byte) []byte { return bytes.Trim(raw, " \t\r\n") }

// Valid reports whether raw is one JSON value (whitespace around it
// allowed).
func Valid(raw []byte) bool {
	if plainJSON(raw) {
		return true
	}
	c := compacter{raw: raw}
	c.space()
	if !c.value(0) {
		return false
	}
	c.space()
	return c.i == len(raw)
}

// skip returns where the valid value starting at raw[i] ends.
func skip(raw []byte, i int) int {
	depth := 0
	for ; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			i = skipString(raw, i+1)
		case '{', '[':
			depth++
			continue
		case '}', ']':
			depth--
		default:
			if depth > 0 {
				continue
			}
			// A number or literal: it ends where a delimiter starts.
			for i < len(raw) && !isSpace(raw[i]) && raw[i] != ',' && raw[i] != ']' && raw[i] != '}' && raw[i] != ':' {
				i++
			}
			return i
		}
		if depth == 0 {
			return i + 1
		}
	}
	return i
}

// skipString returns the index of the quote that closes the valid string
// whose contents start at raw[i].
func skipString(raw []byte, i int) int {
	for ; ; i++ {
		switch raw[i] {
		case '"':
			return i
		case '\\':
			i++ // an escape: the character after the backslash is not the end
		}
	}
}

// Elems returns the elements of a JSON array, each without the whitespace
// around it, or false when raw is not an array.
func Elems(raw []byte) ([][]byte, bool) {
	raw = trim(raw)
	if len(raw) < 2 || raw[0] != '[' || !Valid(raw) {
		return nil, false
	}
	var out [][]byte
	for it := (iter{raw: raw, i: 1}); ; {
		e, ok := it.elem()
		if !ok {
			return out, true
		}
		out = append(out, e)
	}
}

// Member is one key and value of a JSON object.
type Member struct {
	Key   string // unescaped
	Value []byte // without the whitespace around it
}

// Object returns the members of a JSON object in order, or false when raw
// is not an object.
func Object(raw []byte) ([]Member, bool) {
	raw = trim(raw)
	if len(raw) < 2 || raw[0] != '{' || !Valid(raw) {
		return nil, false
	}
	var out []Member
	for it := (iter{raw: raw, i: 1}); ; {
		k, v, ok := it.member()
		if !ok {
			return out, true
		}
		out = append(out, Member{Key: keyString(k), Value: v})
	}
}

// iter walks the elements or members of a valid array or object (raw, from
// its opening bracket on), without checking it again.
type iter struct {
	raw []byte
	i   int
}

func (it *iter) space() {
	for isSpace(it.raw[it.i]) {
		it.i++
	}
}

// elem returns the next element, or false at the array's end.
func (it *iter) elem() ([]byte, bool) {
	it.space()
	if c := it.raw[it.i]; c == ']' || c == '}' {
		return nil, false
	}
	start := it.i
	it.i = skip(it.raw, it.i)
	v := it.raw[start:it.i]
	it.space()
	if it.raw[it.i] == ',' {
		it.i++
	}
	return v, true
}

// member returns the next member's key (its literal, quotes included) and
// value, or false at the object's end.
func (it *iter) member() (key, val []byte, ok bool) {
	if key, ok = it.elem(); !ok {
		return nil, nil, false
	}
	// elem stopped at the colon: the value follows it.
	it.i++
	val, _ = it.elem()
	return key, val, true
}

// keyString returns a key literal's text.
func keyString(lit []byte) string { return Unquote(lit) }

// IsNull reports whether raw is null.
func IsNull(raw []byte) bool { return string(trim(raw)) == "null" }

// String reads a JSON string, as Unmarshal into a string does.
func String(raw []byte) (string, bool) {
	raw = trim(raw)
	if len(raw) < 2 || raw[0] != '"' || !Valid(raw) {
		return "", false
	}
	return Unquote(raw), true
}

// Bool reads true or false.
func Bool(raw []byte) (bool, bool) {
	switch string(trim(raw)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Int reads an integer that fits in bits, as Unmarshal into an int type
// does: no fraction or exponent, even 1.0 or 1e3.
func Int(raw []byte, bits int) (int64, bool) {
	raw = trim(raw)
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || !Valid(raw) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	return n, err == nil
}

// Uint reads an unsigned integer that fits in bits.
func Uint(raw []byte, bits int) (uint64, bool) {
	raw = trim(raw)
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' || !Valid(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw), 10, bits)
	return n, err == nil
}

// Float reads a number as a float64 (false when out of its range).
func Float(raw []byte) (float64, bool) {
	raw = trim(raw)
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || !Valid(raw) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

// Unquote returns the string the valid JSON string literal lit stands for,
// as encoding/json decodes it: each byte of invalid UTF-8, and each \u
// escape of a UTF-16 surrogate that is not half of a pair, becomes U+FFFD.
func Unquote(lit []byte) string {
	s := lit[1 : len(lit)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s)
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			e := s[i+1]
			i += 2
			switch e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(s[i:])
				i += 4
				if utf16.IsSurrogate(r) {
					r1 := rune(-1)
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r1 = hex4(s[i+2:])
					}
					if dec := utf16.DecodeRune(r, r1); dec != unicode.ReplacementChar {
						i += 6
						r = dec
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
			default: // '"', '\\' and '/' stand for themselves
				b = append(b, e)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return string(b)
}

// hex4 returns the value of the 4 hex digits that start s, or -1 if they are
// not hex digits.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Kind names the JSON type of the value raw, for error messages.
func Kind(raw []byte) string {
	raw = trim(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean (" + string(raw) + ")"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case '"':
		return "a string"
	}
	return "a number (" + string(raw) + ")"
}
