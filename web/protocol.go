package web

import (
	"strconv"
	"time"

	"sockplay/sessions"
)

// Messages: the session's log entries become protocol JSON (see
// PROTOCOL.md). Requests are decoded in decode.go.

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// encodeMessage writes m as one JSON object: seq, kind and time, then the
// fields of its body flattened beside them.
func encodeMessage(m sessions.Message) ([]byte, error) {
	return appendMessage(make([]byte, 0, 512), m) // room for a typical result
}

// appendMessage appends m as encodeMessage writes it. The common bodies
// append their own fields (sessions.FieldAppender); any other body is
// marshalled by encoding/json and spliced in, with the same result.
func appendMessage(b []byte, m sessions.Message) ([]byte, error) {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	b = append(b, `,"kind":`...)
	b = sessions.AppendJSONString(b, m.Kind)
	// The time holds only digits and -T:.Z+, which need no escaping.
	b = append(b, `,"time":"`...)
	b = appendTime(b, m.Time)
	b = append(b, '"')
	b, err := sessions.AppendFields(b, m.Body)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// encodeFrame writes one message as an object, several as an array.
func encodeFrame(ms []sessions.Message) ([]byte, error) {
	return appendFrame(nil, ms)
}

// appendFrame appends the frame encodeFrame writes.
func appendFrame(b []byte, ms []sessions.Message) ([]byte, error) {
	if len(ms) == 1 {
		return appendMessage(b, ms[0])
	}
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendMessage(b, m); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendTime appends t as t.AppendFormat(b, timeFormat) does. Log times are
// UTC: those it writes by hand, since AppendFormat interprets its layout on
// every call and took as long as the rest of a result's encoding.
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if t.Location() != time.UTC || year < 0 || year > 9999 {
		return t.AppendFormat(b, timeFormat)
	}
	hour, min, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, min, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3) // truncated, as Format does
	return append(b, 'Z')
}

// appendDigits appends n >= 0 zero-padded to width digits (n has no more).
func appendDigits(b []byte, n, width int) []byte {
	for range width {
		b = append(b, '0')
	}
	for i := len(b) - 1; n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}
