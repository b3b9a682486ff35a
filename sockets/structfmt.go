package sockets

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

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
