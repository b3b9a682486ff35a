package sockets

import (
	"bytes"
	"fmt"
	"strings"
)

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

// PyBytesCut is PyBytes of at most the first max bytes of b, followed by
// "…" when b is longer.
func PyBytesCut(b []byte, max int) string {
	if len(b) <= max {
		return PyBytes(b)
	}
	return PyBytes(b[:max]) + "…"
}

// pyStr is Python's repr() of an ASCII string such as a struct format.
func pyStr(s string) string { return PyBytes([]byte(s))[1:] }
