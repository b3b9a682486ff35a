package protocol

import (
	"bytes"
	"strconv"
	"sync/atomic"
)

// The one-pass decoder's value readers (onepass.go assembles requests from
// them): single values read in place, names interned.

// at reports whether c is the next byte.
func (d *onePass) at(c byte) bool { return d.i < len(d.raw) && d.raw[d.i] == c }

func (d *onePass) space() {
	for d.i < len(d.raw) && isSpace(d.raw[d.i]) {
		d.i++
		d.spaced = true
	}
}

// rawValue reads any value into *dst, as sent.
func (d *onePass) rawValue(dst *Raw, depth int) bool {
	start := d.i
	if d.i < len(d.raw) && (d.raw[d.i] == '-' || '0' <= d.raw[d.i] && d.raw[d.i] <= '9') {
		if lit, _ := d.number(); lit == nil {
			return false
		}
		*dst = d.keep(d.raw[start:d.i])
		return true
	}
	s := scanner{raw: d.raw, i: d.i}
	if !s.value(depth) {
		return false
	}
	d.i, d.spaced = s.i, d.spaced || s.spaced
	*dst = d.keep(d.raw[start:d.i])
	return true
}

// keep returns the bytes b of the frame as the request keeps them.
func (d *onePass) keep(b []byte) Raw {
	if d.owned {
		return Raw(b[:len(b):len(b)])
	}
	return bytes.Clone(b)
}

// null reads a null, if one comes next.
func (d *onePass) null() bool {
	if len(d.raw)-d.i >= 4 && string(d.raw[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// str reads a string into *dst (interned: a name); a null leaves it as it
// is.
func (d *onePass) str(dst *string, name bool) bool {
	if d.null() {
		return true
	}
	s, ok := d.string(name)
	if ok {
		*dst = s
	}
	return ok
}

// strPtr reads a string into **dst; a null sets *dst to nil. A new *dst
// is *spare, if there is one (which is then used up).
func (d *onePass) strPtr(dst **string, spare **string) bool {
	if d.null() {
		*dst = nil
		return true
	}
	s, ok := d.string(false)
	if !ok {
		return false
	}
	switch {
	case *dst != nil:
		**dst = s
	case *spare != nil:
		**spare = s
		*dst, *spare = *spare, nil
	default:
		*dst = new(string)
		**dst = s
	}
	return true
}

// string reads a string, interned if it is a name.
func (d *onePass) string(name bool) (string, bool) {
	if !d.at('"') {
		return "", false
	}
	start := d.i
	for j := start + 1; j < len(d.raw); j++ {
		c := d.raw[j]
		if c == '"' {
			d.i = j + 1
			if name {
				return intern(d.raw[start+1 : j]), true
			}
			return string(d.raw[start+1 : j]), true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break // read the long way: escapes, and UTF-8 to check
		}
	}
	s := scanner{raw: d.raw, i: start + 1}
	if !s.string() {
		return "", false
	}
	d.i = s.i
	return Unquote(d.raw[start:d.i]), true
}

// intPtr reads an integer into **dst; a null sets *dst to nil.
func (d *onePass) intPtr(dst **int) bool {
	if d.null() {
		*dst = nil
		return true
	}
	lit, integer := d.number()
	if !integer {
		return false // not a number, or not an integer
	}
	n, ok := parseInt(lit)
	if !ok {
		return false
	}
	if *dst == nil {
		*dst = new(int)
	}
	**dst = n
	return true
}

// number reads a number (plainScanner's, the scanner's grammar); integer
// says it has no fraction or exponent. It returns nil for anything else.
func (d *onePass) number() (lit []byte, integer bool) {
	p := plainScanner{raw: d.raw, i: d.i}
	if !p.number() {
		return nil, false
	}
	lit, d.i = d.raw[d.i:p.i], p.i
	return lit, bytes.IndexAny(lit, ".eE") < 0
}

// parseInt reads a valid JSON integer that fits in an int.
func parseInt(lit []byte) (int, bool) {
	digits := lit
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) > 18 {
		n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
		return int(n), err == nil
	}
	n := 0
	for _, c := range digits {
		n = n*10 + int(c-'0')
	}
	if lit[0] == '-' {
		n = -n
	}
	return n, true
}

// intern returns b as a string without allocating when it is a short name
// that requests repeat (op names, socket handles, flags, hosts): the last
// string seen at b's slot of a small table is reused when it is b.
func intern(b []byte) string {
	if len(b) == 0 || len(b) > maxInterned {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &interned[h%uint32(len(interned))]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

const maxInterned = 32

var interned [1024]atomic.Pointer[string]
