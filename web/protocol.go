package web

import "sockplay/sessions"

// Messages: the session's log entries become protocol JSON (see
// PROTOCOL.md). Requests are decoded by package sessions/protocol
// (DecodeFrame).

// encodeMessage writes m as one JSON object (sessions.AppendMessage).
func encodeMessage(m sessions.Message) ([]byte, error) {
	return sessions.AppendMessage(make([]byte, 0, 512), m) // room for a typical result
}

// encodeFrame writes one message as an object, several as an array.
func encodeFrame(ms []sessions.Message) ([]byte, error) {
	return appendFrame(nil, ms)
}

// appendFrame appends the frame encodeFrame writes.
func appendFrame(b []byte, ms []sessions.Message) ([]byte, error) {
	if len(ms) == 1 {
		return sessions.AppendMessage(b, ms[0])
	}
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = sessions.AppendMessage(b, m); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}
