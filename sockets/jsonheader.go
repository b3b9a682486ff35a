package sockets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

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
		return &Error{Kind: KindFraming, Message: "the JSON header is not valid JSON: " + err.Error(),
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
		return &Error{Kind: KindFraming, Exception: "TypeError", Message: msg,
			Hint: "The JSON header must be an object such as {\"data_size\": 5}."}
	}
	raw, ok := h["data_size"]
	if !ok {
		return &Error{Kind: KindFraming, Exception: "KeyError", Message: "'data_size'",
			Hint: "The JSON header has no data_size, so the body's length is unknown."}
	}
	n, _ := raw.(json.Number)
	if !isDigits(string(n)) { // not a number, negative, a fraction or an exponent
		return &Error{Kind: KindFraming, Message: fmt.Sprintf("data_size in the JSON header must be a whole number of bytes, 0 or more, not %s", JSONText(raw)),
			Hint: "The sender must put the body's length, len(body), in data_size."}
	}
	size, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || size > MaxMessage {
		return &Error{Kind: KindLimit, Message: fmt.Sprintf("the JSON header declares a body of %s bytes, more than the %d allowed here", n, MaxMessage),
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

// pyUTF8Error is the UnicodeDecodeError Python's bytes.decode('utf-8')
// raises for b, or nil when b is valid UTF-8.
func pyUTF8Error(b []byte) *Error {
	fail := func(start, end int, reason string) *Error {
		msg := fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: %s", b[start], start, reason)
		if end > start {
			msg = fmt.Sprintf("'utf-8' codec can't decode bytes in position %d-%d: %s", start, end, reason)
		}
		return &Error{Kind: KindFraming, Exception: "UnicodeDecodeError", Message: msg,
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
