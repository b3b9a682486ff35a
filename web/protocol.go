package web

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sockplay/sessions"
)

// Messages: the session's log entries become protocol JSON (see
// PROTOCOL.md). Requests are decoded in decode.go.

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// encodeMessage writes m as one JSON object: seq, kind and time, then the
// fields of its body flattened beside them.
func encodeMessage(m sessions.Message) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"seq":%d,"kind":%q,"time":%q`, m.Seq, m.Kind, m.Time.Format(timeFormat))
	parts := []any{m.Body}
	if r, ok := m.Body.(sessions.ResultBody); ok && r.Fields != nil {
		parts = append(parts, r.Fields)
	}
	for _, p := range parts {
		j, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if len(j) > 2 && j[0] == '{' {
			b.WriteByte(',')
			b.Write(j[1 : len(j)-1])
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeFrame writes one message as an object, several as an array.
func encodeFrame(ms []sessions.Message) ([]byte, error) {
	if len(ms) == 1 {
		return encodeMessage(ms[0])
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, m := range ms {
		j, err := encodeMessage(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(j)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}
