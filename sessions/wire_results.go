package sessions

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"sockplay/sessions/protocol"
)

// AppendFields appends the fields of a spawn result.
func (p PeerFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"peer":`...)
	b = protocol.AppendString(b, p.Peer)
	b = append(b, `,"name":`...)
	b = protocol.AppendString(b, p.Name)
	b = append(b, `,"addr":`...)
	return p.Addr.appendJSON(b), nil
}

// AppendFields appends the fields of a send, sendall or sendto result.
func (f sendFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(f.N), 10)
	if f.Addr.A != nil { // omitzero
		b = append(b, `,"addr":`...)
		b = f.Addr.appendJSON(b)
	}
	if f.Stream != nil {
		b = append(b, `,"stream":`...)
		b = appendRange(b, *f.Stream)
	}
	return b, nil
}

// AppendFields appends the fields of a recv result.
func (f recvFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"data":`...)
	b = f.Data.appendJSON(b)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, f.Truncated)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(f.Size), 10)
	if f.Stream != nil {
		b = append(b, `,"stream":`...)
		b = appendRange(b, *f.Stream)
	}
	if len(f.Sends) > 0 {
		b = append(b, `,"sends":[`...)
		for i, s := range f.Sends {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			var err error
			if b, err = protocol.AppendRaw(b, s.ID); err != nil {
				return b, err
			}
			b = append(b, `,"index":`...)
			b = strconv.AppendInt(b, int64(s.Index), 10)
			b = append(b, `,"range":`...)
			b = appendRange(b, s.Range)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b, nil
}

// AppendFields appends the fields of a recvfrom result: the address first,
// then the embedded recvFields, as encoding/json orders them. (Without this
// method recvFields' would be promoted and the address lost.)
func (f recvfromFields) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"addr":`...)
	b = f.Addr.appendJSON(b)
	return f.recvFields.AppendFields(b)
}

// AppendFields appends the address of a bind, getsockname or getpeername
// result.
func (f addrField) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"addr":`...)
	return f.Addr.appendJSON(b), nil
}

// AppendFields appends the value of a setsockopt or getsockopt result.
func (f valueField) AppendFields(b []byte) ([]byte, error) {
	b = append(b, `,"value":`...)
	return strconv.AppendInt(b, int64(f.Value), 10), nil
}

func appendRange(b []byte, r [2]int64) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, r[0], 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r[1], 10)
	return append(b, ']')
}

// appendJSON writes what MarshalJSON does: [host, port], four elements for
// IPv6, or null.
func (a Addr) appendJSON(b []byte) []byte {
	if a.A == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	b = protocol.AppendString(b, a.A.Host)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.A.Port), 10)
	if strings.Contains(a.A.Host, ":") { // as in MarshalJSON
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(a.A.FlowInfo), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(a.A.ScopeID), 10)
	}
	return append(b, ']')
}

// appendJSON writes the received data as an object, or null: its hex and
// text are made here, from the bytes it keeps.
func (d *Data) appendJSON(b []byte) []byte {
	if d == nil {
		return append(b, "null"...)
	}
	b = slices.Grow(b, 3*len(d.shown)+128) // hex and text, grown once
	b = append(b, `{"size":`...)
	b = strconv.AppendInt(b, int64(d.size), 10)
	if d.sum != nil {
		if len(d.shown) > 0 { // omitempty
			b = append(b, `,"shown":`...)
			b = strconv.AppendInt(b, int64(len(d.shown)), 10)
		}
		b = append(b, `,"sha256":"`...)
		b = hex.AppendEncode(b, d.sum[:])
		b = append(b, '"')
	}
	b = append(b, `,"hex":"`...) // hex digits need no escaping
	b = hex.AppendEncode(b, d.shown)
	b = append(b, `","text":`...)
	b, invalid := d.appendText(b)
	b = append(b, `,"encoding":`...)
	b = protocol.AppendString(b, d.encoding)
	if len(invalid) > 0 {
		b = append(b, `,"invalid":[`...)
		for i, v := range invalid {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"offset":`...)
			b = strconv.AppendInt(b, int64(v.Offset), 10)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, int64(v.Size), 10)
			if v.Cut != "" {
				b = append(b, `,"cut":`...)
				b = protocol.AppendString(b, v.Cut)
			}
			if v.Char != "" {
				b = append(b, `,"char":`...)
				b = protocol.AppendString(b, v.Char)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
