package protocol

import (
	"bytes"
	"reflect"

	"sockplay/sockets"
)

// Decoding request frames: JSON text becomes Request values. Every
// transport decodes its frames here (the WebSocket, a program's socket
// channel, the CLI bridge). The decoder reads what encoding/json's
// Unmarshal reads into a Request, the same way, errors included (its tests
// compare the two): keys match exactly or else in any case, unknown keys
// are ignored, a repeated key's last value wins (objects merge), a value of
// the wrong type leaves its field as it was and rejects the request with the
// first such error. The frames clients send nearly always are decoded in
// one pass (onepass.go); the general decoder here validates any other frame
// once and decodes it in a second pass, finding fields by reflection.

// DecodeFrame returns the requests of a frame: the frame itself, or the
// elements of a JSON array of requests (a client may batch several requests
// into one frame; they are handled in order). A non-nil bads[i] rejects
// reqs[i]; reqs[i] then holds what could be read of it (its id and op).
func DecodeFrame(frame []byte) (reqs []Request, bads []*sockets.Error) {
	reqs, ok := decodeOnePass(frame)
	if ok {
		bads = make([]*sockets.Error, len(reqs))
	} else {
		reqs, bads = decodeGeneral(frame)
	}
	for i := range reqs {
		reqs[i].FillArgs()
	}
	return reqs, bads
}

// decodeGeneral is DecodeFrame's general decoder: any frame, errors
// included.
func decodeGeneral(frame []byte) (reqs []Request, bads []*sockets.Error) {
	if msg, ok := check(frame); !ok {
		return []Request{{}}, []*sockets.Error{malformed(msg)}
	}
	raw := trim(frame)
	// Raw fields and echoes are copied out of the frame (which the
	// transport reuses) into one buffer: at most twice the frame.
	d := decoder{buf: make([]byte, 0, 2*len(raw))}
	elems, batch := batchOf(raw)
	if !batch {
		reqs, bads = make([]Request, 1), make([]*sockets.Error, 1)
		bads[0] = d.request(raw, &reqs[0])
		return reqs, bads
	}
	if len(elems) > MaxBatch {
		// Refused whole, before any request is decoded: one result, id
		// null, as for a frame that cannot be read.
		return []Request{{}}, []*sockets.Error{sockets.BadRequest("",
			"a batch may hold at most %d requests (limits.batch); this one holds %d, and none of them ran: send them in smaller batches",
			MaxBatch, len(elems))}
	}
	reqs, bads = make([]Request, len(elems)), make([]*sockets.Error, len(elems))
	for i, e := range elems {
		bads[i] = d.request(e, &reqs[i])
	}
	return reqs, bads
}

// batchOf returns the elements of a batch (a valid frame's): a non-empty
// array of objects. Any other array is one malformed request.
func batchOf(raw []byte) ([][]byte, bool) {
	if raw[0] != '[' {
		return nil, false
	}
	var elems [][]byte
	for it := (iter{raw: raw, i: 1}); ; {
		e, ok := it.elem()
		if !ok {
			break
		}
		if e[0] != '{' {
			return nil, false
		}
		elems = append(elems, e)
	}
	return elems, len(elems) > 0
}

func malformed(msg string) *sockets.Error {
	return sockets.BadRequest("", "malformed request: %s; a request is a JSON object such as {\"id\":1,\"op\":\"socket\",\"type\":\"SOCK_DGRAM\"}", msg)
}

// requestType names the request's type in the errors of a frame that is not
// an object, as they always have.
const requestType = "sessions.Request"

// request decodes one valid request into r, and sets its echo when it
// could.
func (d *decoder) request(raw []byte, r *Request) *sockets.Error {
	if raw[0] != '{' {
		if raw[0] == 'n' { // null: nothing to decode, and no error
			r.setEcho(requestEcho(raw))
			return nil
		}
		return malformed("json: cannot unmarshal " + valueKind(raw) + " into Go value of type " + requestType)
	}
	d.err = nil
	d.object(raw, reflect.ValueOf(r).Elem(), requestFields)
	if d.err != nil {
		return sockets.BadRequest("TypeError", "%s must be of JSON type %s, not %s", d.err.field, d.err.want, d.err.value)
	}
	r.setEcho(d.echo(raw))
	return nil
}

// clone copies b into d's buffer.
func (d *decoder) clone(b []byte) Raw {
	if len(d.buf)+len(b) > cap(d.buf) {
		return bytes.Clone(b)
	}
	start := len(d.buf)
	d.buf = append(d.buf, b...)
	return d.buf[start:len(d.buf):len(d.buf)]
}

// valueKind names a JSON value's type as encoding/json's errors do.
func valueKind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// typeError is the first value of a wrong type: the field's path, the JSON
// type it wants and what it got.
type typeError struct {
	field, want, value string
}

// decoder decodes one request's (valid) JSON.
type decoder struct {
	err  *typeError
	path []string // the field being decoded, as errors name it
	buf  []byte   // the request's raw fields and echo
}
