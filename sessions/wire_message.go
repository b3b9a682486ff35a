package sessions

import (
	"sockplay/sessions/protocol"
	"strconv"
	"time"
)

// timeFormat is how a message's time is written: UTC, to the millisecond.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// AppendMessage appends m as one JSON object: seq, kind and time, then the
// members of its body (flattened beside them): as the log encoded them
// when the session logged m, else by AppendFields. See web/PROTOCOL.md.
func AppendMessage(b []byte, m Message) ([]byte, error) {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	b = append(b, `,"kind":`...)
	b = protocol.AppendString(b, m.Kind)
	// The time holds only digits and -T:.Z+, which need no escaping.
	b = append(b, `,"time":"`...)
	b = appendTime(b, m.Time)
	b = append(b, '"')
	if m.fields != nil {
		b = append(b, m.fields...)
	} else {
		var err error
		if b, err = AppendFields(b, m.Body); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
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
