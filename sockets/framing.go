package sockets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// The framings a stream can be cut into messages with (Framing.Kind).
const (
	FramingLength     = "length"      // a struct-packed length, then that many bytes
	FramingDelimiter  = "delimiter"   // bytes up to and including a delimiter
	FramingFixed      = "fixed"       // every message is exactly Size bytes
	FramingJSONHeader = "json_header" // struct-packed header length, JSON header with data_size, body (seed 004)
)

// KindFraming is the kind of error for bytes that do not make a valid
// message of the framing: a negative length, or a JSON header that is not
// JSON, not an object, or has no usable data_size. Its protocol name is
// "frame" (web/PROTOCOL.md, error types).
const KindFraming Kind = "frame"

// MaxMessage is the largest body a message may declare or carry (16 MiB). A
// declared length above it is refused before anything is allocated for it.
const MaxMessage = 16 << 20

// MaxJSONHeader is the largest JSON header a json_header message may declare
// (64 KiB); real headers are a few dozen bytes.
const MaxJSONHeader = 64 << 10

// MaxDelimiter is the longest delimiter accepted (64 bytes).
const MaxDelimiter = 64

// DefaultJSONHeaderFormat is the struct format of json_header's length prefix
// when Format is empty: 'i', native int, as in seed 004's
// struct.pack('i', len(head_bytes)).
const DefaultJSONHeaderFormat = "i"

// Framing says how messages are cut out of a byte stream.
type Framing struct {
	// Kind is FramingLength, FramingDelimiter, FramingFixed or FramingJSONHeader.
	Kind string
	// Format is a Python struct format for one integer, such as "!I", "<I",
	// "I", "i", "!H" or "!Q": the length prefix of length framing, or the
	// header-length prefix of json_header framing (default "i"). The byte
	// order is one of @ = < > ! or none; the code one of b B h H i I l L q Q.
	// Native order ("" or "@") is little-endian here, and native 'l'/'L' are
	// 8 bytes (as on x86-64 Linux), exactly as Python's struct module has it.
	Format string
	// Delimiter ends every message of delimiter framing (1 to MaxDelimiter bytes).
	Delimiter []byte
	// Size is the length of every message of fixed framing (1 to MaxMessage).
	Size int
}

// String describes the framing as the page may show it, e.g. "length '!I'".
func (f Framing) String() string {
	switch f.Kind {
	case FramingLength:
		return "length " + pyStr(f.Format)
	case FramingDelimiter:
		return "delimiter " + PyBytes(f.Delimiter)
	case FramingFixed:
		return "fixed " + strconv.Itoa(f.Size)
	case FramingJSONHeader:
		return "json_header " + pyStr(f.format())
	}
	return strconv.Quote(f.Kind)
}

// format is the prefix format, with json_header's default filled in.
func (f Framing) format() string {
	if f.Kind == FramingJSONHeader && f.Format == "" {
		return DefaultJSONHeaderFormat
	}
	return f.Format
}

// Validate reports, as a bad_request error, what is wrong with the framing.
func (f Framing) Validate() *Error {
	_, e := f.check()
	return e
}

// check validates f and returns its prefix format (zero for delimiter and
// fixed framing).
func (f Framing) check() (lengthFormat, *Error) {
	unused := func(what string) *Error {
		return BadRequest("", "%s framing does not use %s; leave it out", f.Kind, what)
	}
	switch f.Kind {
	case FramingLength, FramingJSONHeader:
		if f.Delimiter != nil {
			return lengthFormat{}, unused("a delimiter")
		}
		if f.Size != 0 {
			return lengthFormat{}, unused("a size")
		}
		if f.format() == "" {
			return lengthFormat{}, BadRequest("", "length framing needs a struct format for its length prefix, such as '!I' (4 bytes, big-endian)")
		}
		return parseFormat(f.format())
	case FramingDelimiter:
		if f.Format != "" {
			return lengthFormat{}, unused("a struct format")
		}
		if f.Size != 0 {
			return lengthFormat{}, unused("a size")
		}
		if len(f.Delimiter) == 0 {
			return lengthFormat{}, BadRequest("", "delimiter framing needs a delimiter of at least one byte, such as b'\\n'")
		}
		if len(f.Delimiter) > MaxDelimiter {
			return lengthFormat{}, BadRequest("", "the delimiter is %d bytes; at most %d are allowed", len(f.Delimiter), MaxDelimiter)
		}
	case FramingFixed:
		if f.Format != "" {
			return lengthFormat{}, unused("a struct format")
		}
		if f.Delimiter != nil {
			return lengthFormat{}, unused("a delimiter")
		}
		if f.Size < 1 || f.Size > MaxMessage {
			return lengthFormat{}, BadRequest("", "fixed framing needs a size from 1 to %d bytes, not %d", MaxMessage, f.Size)
		}
	default:
		return lengthFormat{}, BadRequest("", "framing kind must be length, delimiter, fixed or json_header, not %q", f.Kind)
	}
	return lengthFormat{}, nil
}

// Encode returns body framed for the wire:
//   - length: the struct-packed length of body, then body;
//   - delimiter: body, then the delimiter (body must not contain it);
//   - fixed: body as it is, which must be exactly Size bytes (sockplay does
//     not pad: the receiver would keep the padding as data);
//   - json_header: the struct-packed length of the JSON header, the header
//     (header's fields plus "data_size": len(body), compact JSON with keys
//     sorted), then body. header may be nil; it is not modified.
func (f Framing) Encode(body []byte, header map[string]any) ([]byte, *Error) {
	lf, e := f.check()
	if e != nil {
		return nil, e
	}
	if header != nil && f.Kind != FramingJSONHeader {
		return nil, BadRequest("", "%s framing has no header; only json_header framing sends one", f.Kind)
	}
	if len(body) > MaxMessage {
		return nil, &Error{Kind: KindLimit, Message: fmt.Sprintf("the body is %d bytes; a frame carries at most %d bytes here", len(body), MaxMessage),
			Hint: "Send large data as several frames."}
	}
	switch f.Kind {
	case FramingLength:
		if uint64(len(body)) > lf.max() {
			return nil, lf.rangeError(len(body))
		}
		return append(lf.put(make([]byte, 0, lf.size+len(body)), uint64(len(body))), body...), nil
	case FramingDelimiter:
		wire := append(append(make([]byte, 0, len(body)+len(f.Delimiter)), body...), f.Delimiter...)
		if i := bytes.Index(wire, f.Delimiter); i < len(body) {
			msg := fmt.Sprintf("the body contains the delimiter %s at byte %d, so the receiver would cut the message there", PyBytes(f.Delimiter), i)
			if i+len(f.Delimiter) > len(body) {
				msg = fmt.Sprintf("the body ends with %s, which with the delimiter %s after it reads as a delimiter at byte %d, so the receiver would cut the message there",
					PyBytes(body[i:]), PyBytes(f.Delimiter), i)
			}
			return nil, &Error{Kind: KindBadRequest, Message: msg,
				Hint: "Pick a delimiter that never occurs in the data, escape it in the data, or use length framing, which can carry any bytes."}
		}
		return wire, nil
	case FramingFixed:
		if len(body) != f.Size {
			return nil, &Error{Kind: KindBadRequest,
				Message: fmt.Sprintf("fixed framing sends exactly %d bytes per message; this body has %d", f.Size, len(body)),
				Hint:    fmt.Sprintf("sockplay does not pad, because the receiver would keep the padding as data: pad it yourself (in Python, body.ljust(%d, b' ')) or split it into pieces of %d bytes.", f.Size, f.Size)}
		}
		return append([]byte{}, body...), nil
	}
	// json_header
	h := make(map[string]any, len(header)+1)
	for k, v := range header {
		h[k] = v
	}
	if v, ok := h["data_size"]; ok {
		if n, ok := JSONInt(v); !ok || n != int64(len(body)) {
			return nil, BadRequest("", "the header's data_size is %v but the body has %d bytes; leave data_size out and it is filled in", v, len(body))
		}
	}
	h["data_size"] = len(body)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, BadRequest("", "the header cannot be written as JSON: %v", err)
	}
	js := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(js) > MaxJSONHeader {
		return nil, &Error{Kind: KindLimit, Message: fmt.Sprintf("the JSON header is %d bytes; at most %d are allowed here", len(js), MaxJSONHeader),
			Hint: "A header describes the body (its size, a command name); put bulk data in the body."}
	}
	if uint64(len(js)) > lf.max() {
		return nil, lf.rangeError(len(js))
	}
	wire := lf.put(make([]byte, 0, lf.size+len(js)+len(body)), uint64(len(js)))
	return append(append(wire, js...), body...), nil
}
