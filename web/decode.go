package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"sockplay/sessions"
	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Requests: protocol JSON becomes sessions.Request values (see PROTOCOL.md).
//
// Every request frame is decoded here, so decodeFrame parses it once with
// fastjson and fills the requests directly. encoding/json stays the
// reference: the fast path takes only requests whose every field it decodes
// exactly as encoding/json would, and leaves anything else (unknown or
// repeated keys, wrong types, odd strings, nested arguments, large frames) to
// decodeFrameSlow, so errors and edge cases come out as they always have.

// decodeFrame returns the requests of a frame: the frame itself, or the
// elements of a JSON array of requests (a client may batch several requests
// into one frame; they are handled in order). A non-nil bads[i] rejects
// reqs[i]; reqs[i] then holds what could be read of its id and op.
func decodeFrame(frame []byte) (reqs []sessions.Request, bads []*sockets.Error) {
	reqs, batch := decodeFast(frame)
	if reqs == nil {
		return decodeFrameSlow(frame)
	}
	bads = make([]*sockets.Error, len(reqs))
	var sent [][]byte // the batch's requests as sent, split only if needed
	for i := range reqs {
		if reqs[i].Echo != nil {
			continue
		}
		// The slow path gets the request's own bytes, so that raw fields
		// keep the client's spacing as they always did.
		raw := frame
		if batch {
			if sent == nil {
				sent = splitBatch(frame)
			}
			if len(sent) != len(reqs) { // the parsers disagree: trust encoding/json
				return decodeFrameSlow(frame)
			}
			raw = sent[i]
		}
		reqs[i], bads[i] = decodeRequest(raw)
	}
	return reqs, bads
}

// decodeFast decodes the requests of frame with fastjson, and reports whether
// the frame is a batch. It leaves Echo nil in the requests it cannot decode
// exactly as encoding/json would, and returns nil when the frame as a whole
// is for the slow path.
func decodeFast(frame []byte) (reqs []sessions.Request, batch bool) {
	// A large frame's echo leaves out its data (see requestEcho): rare
	// enough to be the slow path's business.
	if len(frame) > maxEcho {
		return nil, false
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v := parseFrame(p, frame)
	if v == nil {
		return nil, false
	}
	objs := []*fastjson.Value{v}
	switch v.Type() {
	case fastjson.TypeObject:
	case fastjson.TypeArray:
		// A batch over the limit is the slow path's to refuse.
		if objs, batch = batchObjects(v), true; objs == nil || len(objs) > sessions.MaxBatch {
			return nil, false
		}
	default:
		return nil, false
	}
	reqs = make([]sessions.Request, len(objs))
	// Echoes and raw fields together take at most twice the frame.
	d := requestDecoder{buf: make([]byte, 0, 2*len(frame))}
	for i, o := range objs {
		if !d.decode(o, &reqs[i]) {
			reqs[i] = sessions.Request{}
		}
	}
	return reqs, batch
}

// parsers hold the fastjson parsers of decodeFrame. A parsed value lives in
// its parser's memory, so nothing decoded may point into it once the parser
// is back in the pool.
var parsers fastjson.ParserPool

// parseFrame parses frame, or returns nil if it is not valid JSON.
func parseFrame(p *fastjson.Parser, frame []byte) *fastjson.Value {
	v, err := p.ParseBytes(frame)
	if err != nil {
		return nil
	}
	// fastjson's parser takes numbers and strings on trust: it accepts
	// 01, NaN, "\x" and raw control characters, which encoding/json
	// refuses. Validate checks them; it runs second because the parser
	// limits the nesting depth and Validate does not.
	if fastjson.ValidateBytes(frame) != nil {
		return nil
	}
	return v
}

// batchObjects returns the elements of a batch, or nil when it is empty or
// holds anything but objects.
func batchObjects(v *fastjson.Value) []*fastjson.Value {
	elems, _ := v.Array()
	if len(elems) == 0 {
		return nil
	}
	for _, e := range elems {
		if e.Type() != fastjson.TypeObject {
			return nil
		}
	}
	return elems
}

// requestDecoder fills sessions.Request values from parsed request objects.
//
// fastjson keeps strings and numbers as sent until they are read, and Type
// or StringBytes unescape a string in place, its own way. So strings and
// numbers are only ever read here through MarshalTo, which gives them as
// sent, and decoded the way encoding/json decodes them.
type requestDecoder struct {
	buf []byte // echoes and raw fields, copied out of the parser

	req  *sessions.Request
	seen uint32 // the fields set so far, bit i for field i
	ok   bool   // every field so far was decoded
}

// decode fills req from the request object o and reports whether it could.
// When not, req is partly filled and the request needs the slow path.
func (d *requestDecoder) decode(o *fastjson.Value, req *sessions.Request) bool {
	// The echo is the object as sent without its spaces, which is what
	// json.Compact makes of it. It must be taken before Visit, which
	// unescapes the keys.
	start := len(d.buf)
	d.buf = o.MarshalTo(d.buf)
	echo := d.buf[start:len(d.buf):len(d.buf)]

	obj, _ := o.Object()
	d.req, d.seen, d.ok = req, 0, true
	obj.Visit(d.field)
	if !d.ok {
		return false
	}
	req.Echo = echo
	return true
}

// The fields of sessions.Request the fast path decodes, as bits of seen.
const (
	fieldID = iota
	fieldOp
	fieldSock
	fieldFamily
	fieldType
	fieldAddr
	fieldBacklog
	fieldData
	fieldFlags
	fieldBufsize
	fieldLevel
	fieldOption
	fieldValue
	fieldTimeout
	fieldFlag
	fieldHow
	fieldTarget
	fieldAfter
	fieldEncoding
	fieldPeer
	fieldExercise
	fieldListen
	fieldFull
	fieldRead
	fieldWrite
)

// field decodes one key of a request object. Keys are matched exactly:
// encoding/json also takes them in any case, and ignores unknown ones,
// which the slow path does for it. framing, header and options are rare
// enough to leave to it as well.
func (d *requestDecoder) field(key []byte, v *fastjson.Value) {
	if !d.ok {
		return
	}
	r := d.req
	ok := false
	switch string(key) {
	case "id":
		ok = d.first(fieldID) && d.setScalar(&r.ID, v)
	case "op":
		ok = d.first(fieldOp) && d.setString(&r.Op, v)
	case "sock":
		ok = d.first(fieldSock) && d.setString(&r.Sock, v)
	case "family":
		ok = d.first(fieldFamily) && d.setString(&r.Family, v)
	case "type":
		ok = d.first(fieldType) && d.setString(&r.Type, v)
	case "addr":
		ok = d.first(fieldAddr) && d.setRaw(&r.Addr, v)
	case "backlog":
		ok = d.first(fieldBacklog) && setInt(d, &r.Backlog, v, strconv.IntSize)
	case "data":
		ok = d.first(fieldData) && d.setPayload(&r.Data, v)
	case "flags":
		ok = d.first(fieldFlags) && d.setStrings(&r.Flags, v)
	case "bufsize":
		ok = d.first(fieldBufsize) && setInt(d, &r.Bufsize, v, strconv.IntSize)
	case "level":
		ok = d.first(fieldLevel) && d.setString(&r.Level, v)
	case "option":
		ok = d.first(fieldOption) && d.setString(&r.Option, v)
	case "value":
		ok = d.first(fieldValue) && d.setRaw(&r.Value, v)
	case "timeout":
		ok = d.first(fieldTimeout) && d.setRaw(&r.Timeout, v)
	case "flag":
		ok = d.first(fieldFlag) && setBool(&r.Flag, v)
	case "how":
		ok = d.first(fieldHow) && d.setString(&r.How, v)
	case "target":
		ok = d.first(fieldTarget) && d.setScalar(&r.Target, v)
	case "after":
		ok = d.first(fieldAfter) && setInt(d, &r.After, v, 64)
	case "encoding":
		ok = d.first(fieldEncoding) && d.setString(&r.Encoding, v)
	case "peer":
		ok = d.first(fieldPeer) && d.setString(&r.Peer, v)
	case "exercise":
		ok = d.first(fieldExercise) && d.setString(&r.Exercise, v)
	case "listen":
		ok = d.first(fieldListen) && d.setRaw(&r.Listen, v)
	case "full":
		ok = d.first(fieldFull) && setFlag(&r.Full, v)
	case "read":
		ok = d.first(fieldRead) && d.setStrings(&r.Read, v)
	case "write":
		ok = d.first(fieldWrite) && d.setStrings(&r.Write, v)
	}
	d.ok = ok
}

// first reports whether field is met for the first time in the request.
func (d *requestDecoder) first(field int) bool {
	return firstTime(&d.seen, field)
}

// firstTime reports whether bit i of seen was clear, and sets it. A
// repeated key is left to the slow path: encoding/json merges a repeated
// object into the first and keeps a string when the repeat is null.
func firstTime(seen *uint32, i int) bool {
	bit := uint32(1) << i
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// literal returns v's JSON text as sent. It is written in buf's spare room,
// and valid until buf grows.
func (d *requestDecoder) literal(v *fastjson.Value) []byte {
	n := len(d.buf)
	b := v.MarshalTo(d.buf)
	d.buf = b[:n]
	return b[n:]
}

// setRaw sets a json.RawMessage field to v's JSON text, without spaces. A null
// is kept as "null", as encoding/json hands it to RawMessage.UnmarshalJSON.
func (d *requestDecoder) setRaw(dst *protocol.Raw, v *fastjson.Value) bool {
	start := len(d.buf)
	d.buf = v.MarshalTo(d.buf)
	*dst = d.buf[start:len(d.buf):len(d.buf)]
	return true
}

// setScalar is setRaw for the fields whose text shows in error messages (id,
// target): an array or object there, where the slow path would keep the
// client's spaces, is left to it.
func (d *requestDecoder) setScalar(dst *protocol.Raw, v *fastjson.Value) bool {
	d.setRaw(dst, v)
	c := (*dst)[0]
	return c != '[' && c != '{'
}

// setString sets a string field. A null leaves it as it is, as in encoding/json.
func (d *requestDecoder) setString(dst *string, v *fastjson.Value) bool {
	lit := d.literal(v)
	switch lit[0] {
	case 'n':
		return true
	case '"':
		s, ok := unquote(lit)
		*dst = s
		return ok
	}
	return false
}

// setStringPtr sets a *string field; a null leaves it nil.
func (d *requestDecoder) setStringPtr(dst **string, v *fastjson.Value) bool {
	lit := d.literal(v)
	switch lit[0] {
	case 'n':
		return true
	case '"':
		s, ok := unquote(lit)
		*dst = &s
		return ok
	}
	return false
}

// setStrings sets a []string field. A null leaves it nil; an empty array makes
// it empty but not nil, as in encoding/json.
func (d *requestDecoder) setStrings(dst *[]string, v *fastjson.Value) bool {
	// Type unescapes a string in place, but a string here is a type error
	// for the slow path anyway.
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeArray:
	default:
		return false
	}
	elems, _ := v.Array()
	ss := make([]string, len(elems))
	for i, e := range elems {
		lit := d.literal(e)
		if lit[0] != '"' { // a null element is rare: let the slow path decide
			return false
		}
		var ok bool
		if ss[i], ok = unquote(lit); !ok {
			return false
		}
	}
	*dst = ss
	return true
}

// setPayload sets the data field. A null leaves it nil.
func (d *requestDecoder) setPayload(dst **sessions.Payload, v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeObject:
	default:
		return false
	}
	obj, _ := v.Object()
	p := new(sessions.Payload)
	var seen uint32
	ok := true
	obj.Visit(func(key []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		switch string(key) {
		case "text":
			ok = firstTime(&seen, 0) && d.setStringPtr(&p.Text, v)
		case "encoding":
			ok = firstTime(&seen, 1) && d.setString(&p.Encoding, v)
		case "hex":
			ok = firstTime(&seen, 2) && d.setStringPtr(&p.Hex, v)
		case "base64":
			ok = firstTime(&seen, 3) && d.setStringPtr(&p.Base64, v)
		default:
			ok = false
		}
	})
	*dst = p
	return ok
}

// setInt sets an *int or *int64 field from a JSON integer that fits in
// bits. A null leaves it nil. Anything else, 1.0 and 1e3 included, is a type
// error that the slow path reports.
func setInt[T int | int64](d *requestDecoder, dst **T, v *fastjson.Value, bits int) bool {
	lit := d.literal(v)
	if lit[0] == 'n' {
		return true
	}
	if lit[0] != '-' && (lit[0] < '0' || lit[0] > '9') || bytes.ContainsAny(lit, ".eE") {
		return false
	}
	n, err := strconv.ParseInt(string(lit), 10, bits)
	if err != nil {
		return false
	}
	t := T(n)
	*dst = &t
	return true
}

// setBool sets a *bool field. A null leaves it nil.
func setBool(dst **bool, v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeTrue, fastjson.TypeFalse:
		b := v.Type() == fastjson.TypeTrue
		*dst = &b
		return true
	}
	return false
}

// setFlag sets a bool field that is true or false (a null is left to the
// slow path, like any other value).
func setFlag(dst *bool, v *fastjson.Value) bool {
	var p *bool
	ok := setBool(&p, v) && p != nil
	if ok {
		*dst = *p
	}
	return ok
}

// unquote returns the string that the JSON string literal lit (well formed:
// the frame was validated) stands for. It reports false where encoding/json
// would replace something with U+FFFD: invalid UTF-8, or a \u escape of a
// UTF-16 surrogate that is not half of a pair.
func unquote(lit []byte) (string, bool) {
	s := lit[1 : len(lit)-1]
	if !utf8.Valid(s) {
		return "", false
	}
	i := bytes.IndexByte(s, '\\')
	if i < 0 {
		return string(s), true
	}
	b := make([]byte, 0, len(s))
	for ; i >= 0; i = bytes.IndexByte(s, '\\') {
		if i+1 == len(s) { // cannot happen in a validated string; do not panic
			return "", false
		}
		b = append(b, s[:i]...)
		c := s[i+1]
		s = s[i+2:]
		switch c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s)
			if r < 0 {
				return "", false
			}
			s = s[4:]
			if utf16.IsSurrogate(r) {
				if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
					return "", false
				}
				if r = utf16.DecodeRune(r, hex4(s[2:])); r == utf8.RuneError {
					return "", false
				}
				s = s[6:]
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\' and '/' stand for themselves
			b = append(b, c)
		}
	}
	b = append(b, s...)
	return string(b), true
}

// hex4 returns the value of the 4 hex digits that start s, or -1 if they are
// not hex digits.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// decodeFrameSlow is decodeFrame with encoding/json: the reference, and the
// path for everything the fast one leaves.
func decodeFrameSlow(frame []byte) ([]sessions.Request, []*sockets.Error) {
	frames := splitBatch(frame)
	if len(frames) > sessions.MaxBatch {
		// Refused whole, before any request is decoded: one result, id
		// null, as for a frame that cannot be read.
		return []sessions.Request{{}}, []*sockets.Error{sockets.BadRequest("",
			"a batch may hold at most %d requests (limits.batch); this one holds %d, and none of them ran: send them in smaller batches",
			sessions.MaxBatch, len(frames))}
	}
	reqs, bads := make([]sessions.Request, len(frames)), make([]*sockets.Error, len(frames))
	for i, f := range frames {
		reqs[i], bads[i] = decodeRequest(f)
	}
	return reqs, bads
}

// decodeRequest parses one request with encoding/json. On failure it
// still returns what could be read of the id and op, so the error result can
// name them.
func decodeRequest(frame []byte) (sessions.Request, *sockets.Error) {
	var req sessions.Request
	err := json.Unmarshal(frame, &req)
	if err == nil {
		req.Echo = requestEcho(frame)
		return req, nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return req, sockets.BadRequest("TypeError", "%s must be of JSON type %s, not %s", typeErr.Field, jsonType(typeErr.Type.Kind().String()), typeErr.Value)
	}
	// Not an object at all: read what we can.
	var head struct {
		ID protocol.Raw `json:"id"`
		Op string       `json:"op"`
	}
	if json.Unmarshal(frame, &head) == nil {
		req.ID, req.Op = head.ID, head.Op
	}
	return req, sockets.BadRequest("", "malformed request: %v; a request is a JSON object such as {\"id\":1,\"op\":\"socket\",\"type\":\"SOCK_DGRAM\"}", err)
}

func jsonType(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return "object"
}

// maxEcho is the largest request repeated whole in its result.
const maxEcho = 4096

// requestEcho returns the request to repeat in its result: compacted, and with its
// data (and a long code or text) left out when the frame is large.
func requestEcho(frame []byte) protocol.Raw {
	if len(frame) > maxEcho {
		var fields map[string]json.RawMessage
		if json.Unmarshal(frame, &fields) != nil {
			return nil
		}
		if _, ok := fields["data"]; ok {
			fields["data"] = json.RawMessage(fmt.Sprintf(`{"omitted":true,"size":%d}`, len(frame)))
		}
		// A program's source or input (op run, input) is not repeated either.
		for _, k := range []string{"code", "text"} {
			if v, ok := fields[k]; ok && len(v) > maxEcho/4 {
				fields[k] = json.RawMessage(fmt.Sprintf(`{"omitted":true,"size":%d}`, len(v)))
			}
		}
		b, _ := json.Marshal(fields)
		return b
	}
	var b bytes.Buffer
	if json.Compact(&b, frame) != nil {
		return nil
	}
	return b.Bytes()
}

// splitBatch returns the requests of a frame with encoding/json: the
// frame itself, or the elements of a JSON array of requests.
func splitBatch(frame []byte) [][]byte {
	trimmed := bytes.TrimLeft(frame, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{frame}
	}
	var batch []json.RawMessage
	if json.Unmarshal(trimmed, &batch) != nil || len(batch) == 0 {
		return [][]byte{frame} // decodeRequest will explain what is wrong
	}
	out := make([][]byte, len(batch))
	for i, r := range batch {
		if len(r) == 0 || r[0] != '{' {
			return [][]byte{frame} // not an array of requests
		}
		out[i] = r
	}
	return out
}
