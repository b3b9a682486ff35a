package sessions

import (
	"slices"
	"strconv"

	"sockplay/sessions/protocol"
)

// Wire encoding without reflection. The messages logged most often (results,
// waiting and socket messages) append their own JSON, byte for byte what
// encoding/json writes for the same values: field order, omitempty, HTML-safe
// string escaping and the compaction of raw values all match (the pieces are
// package protocol's). The message bodies are here, the fields of op
// results in wire_results.go; wire_test.go checks every type of both
// against json.Marshal.

// FieldAppender is a message body, or the fields of a result, that appends
// the members of its JSON object without the braces: `,"key":value` for each
// field encoding/json would write. The wire format flattens a body beside a
// message's seq, kind and time, which is why members come bare.
//
// It fails where json.Marshal fails for the same value: a raw value that is
// not valid JSON, or a result's Fields that cannot be encoded.
//
// The bodies implement it on values, as the session logs them: a nil pointer
// to one would panic where encoding/json writes null.
type FieldAppender interface {
	AppendFields(b []byte) ([]byte, error)
}

// AppendFields appends the members of v's JSON object as FieldAppender does:
// by v's own AppendFields if it has one, else by reflection
// (protocol.Members). Values that do not encode to an object with members
// (nil, "{}", a number) add nothing.
func AppendFields(b []byte, v any) ([]byte, error) {
	if v, ok := v.(FieldAppender); ok {
		return v.AppendFields(b)
	}
	return protocol.Members(b, v)
}

// AppendFields appends the common result fields, then the op's Fields.
func (r ResultBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"id":`...)
	b, err := protocol.AppendRaw(b, r.ID)
	if err != nil {
		return b, err
	}
	b = append(b, `,"op":`...)
	b = protocol.AppendString(b, r.Op)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, r.OK)
	if r.Sock != "" {
		b = append(b, `,"sock":`...)
		b = protocol.AppendString(b, r.Sock)
	}
	if r.Error != nil {
		b = append(b, `,"error":`...)
		b = r.Error.appendJSON(b)
	}
	if len(r.Request) > 0 {
		b = append(b, `,"request":`...)
		if b, err = appendRequest(b, r.Request, r.plainRequest); err != nil {
			return b, err
		}
	}
	return AppendFields(b, r.Fields)
}

func (e *ErrorBody) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = protocol.AppendString(b, e.Type)
	if e.Errno != "" {
		b = append(b, `,"errno":`...)
		b = protocol.AppendString(b, e.Errno)
	}
	if e.Code != 0 {
		b = append(b, `,"code":`...)
		b = strconv.AppendInt(b, int64(e.Code), 10)
	}
	if e.Exception != "" {
		b = append(b, `,"exception":`...)
		b = protocol.AppendString(b, e.Exception)
	}
	b = append(b, `,"message":`...)
	b = protocol.AppendString(b, e.Message)
	if e.Hint != "" {
		b = append(b, `,"hint":`...)
		b = protocol.AppendString(b, e.Hint)
	}
	return append(b, '}')
}

// AppendFields appends the waiting message's fields.
func (w WaitingBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"id":`...)
	b, err := protocol.AppendRaw(b, w.ID)
	if err != nil {
		return b, err
	}
	b = append(b, `,"op":`...)
	b = protocol.AppendString(b, w.Op)
	if w.Sock != "" {
		b = append(b, `,"sock":`...)
		b = protocol.AppendString(b, w.Sock)
	}
	if len(w.Request) > 0 {
		b = append(b, `,"request":`...)
		return appendRequest(b, w.Request, w.plainRequest)
	}
	return b, nil
}

// appendRequest writes a message's request: as it is when it is a
// request's PlainEcho (plain), which AppendRaw would copy unchanged after
// checking it again, else by AppendRaw.
func appendRequest(b []byte, echo protocol.Raw, plain bool) ([]byte, error) {
	if plain {
		return append(b, echo...), nil
	}
	return protocol.AppendRaw(b, echo)
}

// AppendFields appends the socket's state.
func (s SocketBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"sock":`...)
	b = protocol.AppendString(b, s.Sock)
	b = append(b, `,"fd":`...)
	b = strconv.AppendInt(b, int64(s.FD), 10)
	b = append(b, `,"family":`...)
	b = protocol.AppendString(b, string(s.Family))
	b = append(b, `,"type":`...)
	b = protocol.AppendString(b, string(s.Type))
	b = append(b, `,"state":`...)
	b = protocol.AppendString(b, string(s.State))
	b = append(b, `,"laddr":`...)
	b = s.Laddr.appendJSON(b)
	b = append(b, `,"raddr":`...)
	b = s.Raddr.appendJSON(b)
	b = append(b, `,"timeout":`...)
	b, err := protocol.AppendRaw(b, s.Timeout)
	if err != nil {
		return b, err
	}
	b = append(b, `,"options":`...)
	b = appendOptions(b, s.Options)
	b = append(b, `,"shut_rd":`...)
	b = strconv.AppendBool(b, s.ShutRD)
	b = append(b, `,"shut_wr":`...)
	b = strconv.AppendBool(b, s.ShutWR)
	b = append(b, `,"listener":`...)
	b = protocol.AppendString(b, s.Listener)
	if s.Host != "" {
		b = append(b, `,"host":`...)
		b = protocol.AppendString(b, s.Host)
	}
	if s.Program != "" {
		b = append(b, `,"program":`...)
		b = protocol.AppendString(b, s.Program)
	}
	return b, nil
}

// appendOptions writes the map as encoding/json does: null when nil, keys in
// sorted order.
func appendOptions(b []byte, m map[string]int) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	// A socket has a handful of options at most: the keys stay on the stack.
	var buf [8]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = protocol.AppendString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(m[k]), 10)
	}
	return append(b, '}')
}

// AppendFields appends the hello's fields.
func (h HelloBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"session":`...)
	b = protocol.AppendString(b, h.Session)
	b = append(b, `,"protocol":`...)
	b = protocol.AppendString(b, h.Protocol)
	b = append(b, `,"resumed":`...)
	b = strconv.AppendBool(b, h.Resumed)
	b = append(b, `,"last_seq":`...)
	b = strconv.AppendInt(b, h.LastSeq, 10)
	b = append(b, `,"encoding":`...)
	b = protocol.AppendString(b, h.Encoding)
	b = append(b, `,"network":`...)
	b = protocol.AppendString(b, h.Network)
	p := &h.Policy
	b = append(b, `,"policy":{"profile":`...)
	b = protocol.AppendString(b, p.Profile)
	b = append(b, `,"bind":`...)
	b = protocol.AppendString(b, p.Bind)
	b = append(b, `,"connect":`...)
	b = protocol.AppendString(b, p.Connect)
	b = append(b, `,"wildcard":`...)
	b = strconv.AppendBool(b, p.Wildcard)
	l := &h.Limits
	b = append(b, `},"limits":{"sockets":`...)
	b = strconv.AppendInt(b, int64(l.Sockets), 10)
	b = append(b, `,"log":`...)
	b = strconv.AppendInt(b, int64(l.Log), 10)
	b = append(b, `,"log_bytes":`...)
	b = strconv.AppendInt(b, int64(l.LogBytes), 10)
	b = append(b, `,"bufsize":`...)
	b = strconv.AppendInt(b, int64(l.Bufsize), 10)
	b = append(b, `,"data":`...)
	b = strconv.AppendInt(b, int64(l.Data), 10)
	b = append(b, `,"shown":`...)
	b = strconv.AppendInt(b, int64(l.Shown), 10)
	b = append(b, `,"batch":`...)
	b = strconv.AppendInt(b, int64(l.Batch), 10)
	b = append(b, `,"programs":`...)
	b = strconv.AppendInt(b, int64(l.Programs), 10)
	b = append(b, `},"programs":`...)
	b = strconv.AppendBool(b, h.Programs)
	if h.ProgramsNote != "" {
		b = append(b, `,"programs_note":`...)
		b = protocol.AppendString(b, h.ProgramsNote)
	}
	return b, nil
}

// AppendFields appends the snapshot's fields.
func (s SnapshotBody) AppendFields(b []byte) ([]byte, error) {
	var err error
	b = append(b, `,"sockets":`...)
	if b, err = appendObjects(b, s.Sockets); err != nil {
		return b, err
	}
	b = append(b, `,"pending":`...)
	if b, err = appendObjects(b, s.Pending); err != nil {
		return b, err
	}
	b = append(b, `,"peers":`...)
	if b, err = appendObjects(b, s.Peers); err != nil {
		return b, err
	}
	b = append(b, `,"programs":`...)
	if b, err = appendObjects(b, s.Programs); err != nil {
		return b, err
	}
	b = append(b, `,"encoding":`...)
	b = protocol.AppendString(b, s.Encoding)
	b = append(b, `,"first_seq":`...)
	b = strconv.AppendInt(b, s.FirstSeq, 10)
	b = append(b, `,"lab":`...)
	return protocol.AppendValue(b, s.Lab) // null without a lab; rare, so by reflection
}

// appendObjects writes a slice of bodies as a JSON array of objects (null
// when nil).
func appendObjects[T FieldAppender](b []byte, xs []T) ([]byte, error) {
	if xs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		// The members start with a comma: it becomes the opening brace.
		start := len(b)
		var err error
		if b, err = x.AppendFields(b); err != nil {
			return b, err
		}
		if len(b) == start {
			b = append(b, '{')
		} else {
			b[start] = '{'
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// AppendFields appends the bye's reason.
func (y ByeBody) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"reason":`...)
	return protocol.AppendString(b, y.Reason), nil
}
