package protocol

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

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
	if reqs, ok := decodeOnePass(frame); ok {
		return reqs, make([]*sockets.Error, len(reqs))
	}
	return decodeGeneral(frame)
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

// echo is requestEcho, in d's buffer when it fits.
func (d *decoder) echo(raw []byte) Raw {
	if len(raw) > maxEcho {
		return requestEcho(raw)
	}
	c := compacter{raw: raw, out: d.buf[len(d.buf):len(d.buf)], keepHTML: true}
	c.value(0)
	d.buf = d.buf[:len(d.buf)+len(c.out)]
	return c.out[:len(c.out):len(c.out)]
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

// maxEcho is the largest request repeated whole in its result.
const maxEcho = 4096

// requestEcho returns the request to repeat in its result: compacted, and
// with its data (and a long code or text) left out when it is large. The
// shortened one is written as encoding/json wrote it: keys sorted, the last
// of a repeated key kept, values compacted with <, > and & escaped.
func requestEcho(raw []byte) Raw {
	if len(raw) <= maxEcho {
		c := compacter{raw: raw, out: make([]byte, 0, len(raw)), keepHTML: true}
		c.value(0)
		return c.out
	}
	ms, _ := Object(raw)
	fields := map[string][]byte{}
	for _, m := range ms {
		fields[m.Key] = m.Value
	}
	omitted := func(n int) []byte { return fmt.Appendf(nil, `{"omitted":true,"size":%d}`, n) }
	if _, ok := fields["data"]; ok {
		fields["data"] = omitted(len(raw))
	}
	// A program's source or input (op run, input) is not repeated either.
	for _, k := range []string{"code", "text"} {
		if v, ok := fields[k]; ok && len(v) > maxEcho/4 {
			fields[k] = omitted(len(v))
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b, _ = compactJSON(b, fields[k]) // valid: the frame was checked
	}
	return append(b, '}')
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

// fail records a type error, unless there was one: the first is reported.
func (d *decoder) fail(want reflect.Type, value string) {
	if d.err == nil {
		d.err = &typeError{field: strings.Join(d.path, "."), want: jsonType(want), value: value}
	}
}

// jsonType names the JSON type a Go type takes, for errors.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice:
		return "array"
	}
	return "object"
}

// object decodes the object raw into the struct v, whose fields fs are.
func (d *decoder) object(raw []byte, v reflect.Value, fs *fieldTable) {
	for it := (iter{raw: raw, i: 1}); ; {
		key, val, ok := it.member()
		if !ok {
			return
		}
		f := fs.lookup(key)
		if f == nil {
			continue
		}
		n := len(d.path)
		d.path = append(d.path, f.path...)
		d.field(val, v.FieldByIndex(f.index), f)
		d.path = d.path[:n]
	}
}

// field decodes raw into the field fv. A pointer field is set to nil by a
// null; any other value gives it a value to point to first (kept if it had
// one), which stays zero if raw is of the wrong type, as in encoding/json.
func (d *decoder) field(raw []byte, fv reflect.Value, f *field) {
	null := raw[0] == 'n'
	if fv.Kind() == reflect.Pointer {
		if null {
			fv.SetZero()
			return
		}
		if fv.IsNil() {
			fv.Set(reflect.New(fv.Type().Elem()))
		}
		fv = fv.Elem()
	}
	t := fv.Type()
	switch p := fv.Addr().Interface().(type) {
	case *Raw:
		*p = d.clone(raw)
	case *AddrArg:
		*p = NewAddrArg(d.clone(raw))
	case *string:
		if !null {
			d.str(raw, p, t)
		}
	case *bool:
		if !null {
			d.boolean(raw, p, t)
		}
	case *int:
		if n, ok := d.integer(raw, strconv.IntSize, t); ok && !null {
			*p = int(n)
		}
	case *int64:
		if n, ok := d.integer(raw, 64, t); ok && !null {
			*p = n
		}
	case *[]string:
		d.strings(raw, p, t)
	case *map[string]any:
		d.anyMap(raw, p, t)
	default: // a struct
		if !null {
			if raw[0] != '{' {
				d.fail(t, valueKind(raw))
				return
			}
			d.object(raw, fv, f.nested)
		}
	}
}

func (d *decoder) strOK(raw []byte, t reflect.Type) (string, bool) {
	if raw[0] != '"' {
		d.fail(t, valueKind(raw))
		return "", false
	}
	return Unquote(raw), true
}

func (d *decoder) str(raw []byte, dst *string, t reflect.Type) {
	if s, ok := d.strOK(raw, t); ok {
		*dst = s
	}
}

func (d *decoder) boolean(raw []byte, dst *bool, t reflect.Type) bool {
	if raw[0] != 't' && raw[0] != 'f' {
		d.fail(t, valueKind(raw))
		return false
	}
	*dst = raw[0] == 't'
	return true
}

// integer reads an integer of bits; a number that is not one (1.5, 1e3, or
// too large) is "number 1.5" in the error.
func (d *decoder) integer(raw []byte, bits int, t reflect.Type) (int64, bool) {
	if raw[0] == 'n' {
		return 0, false
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		d.fail(t, valueKind(raw))
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil {
		d.fail(t, "number "+string(raw))
		return 0, false
	}
	return n, true
}

// strings reads an array of strings into *dst, as encoding/json reads one
// into a slice: a null leaves it nil, an array fills the slice there from
// its start (an element of the wrong type, reported, or a null keeps the
// string that was there), and [] makes it empty but not nil.
func (d *decoder) strings(raw []byte, dst *[]string, t reflect.Type) {
	switch raw[0] {
	case 'n':
		*dst = nil
		return
	case '[':
	default:
		d.fail(t, valueKind(raw))
		return
	}
	ss, n := *dst, 0
	for it := (iter{raw: raw, i: 1}); ; n++ {
		e, ok := it.elem()
		if !ok {
			break
		}
		if n >= len(ss) {
			ss = append(ss, "")
		}
		if e[0] != 'n' {
			d.str(e, &ss[n], t.Elem())
		}
	}
	if n == 0 {
		ss = []string{}
	}
	*dst = ss[:n]
}

// anyMap reads an object into a map of any values, as encoding/json reads
// one: into the map there is (a repeated key merges), or a new one.
func (d *decoder) anyMap(raw []byte, dst *map[string]any, t reflect.Type) {
	switch raw[0] {
	case 'n':
		*dst = nil
		return
	case '{':
	default:
		d.fail(t, valueKind(raw))
		return
	}
	if *dst == nil {
		*dst = map[string]any{}
	}
	for it := (iter{raw: raw, i: 1}); ; {
		k, v, ok := it.member()
		if !ok {
			return
		}
		(*dst)[keyString(k)] = d.anyValue(v)
	}
}

// anyValue reads any JSON value as encoding/json reads it into an any:
// objects as map[string]any, arrays as []any, numbers as float64.
func (d *decoder) anyValue(raw []byte) any {
	switch raw[0] {
	case 'n':
		return nil
	case 't', 'f':
		return raw[0] == 't'
	case '"':
		return Unquote(raw)
	case '[':
		out := []any{}
		for it := (iter{raw: raw, i: 1}); ; {
			e, ok := it.elem()
			if !ok {
				return out
			}
			out = append(out, d.anyValue(e))
		}
	case '{':
		out := map[string]any{}
		for it := (iter{raw: raw, i: 1}); ; {
			k, v, ok := it.member()
			if !ok {
				return out
			}
			out[keyString(k)] = d.anyValue(v)
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		d.fail(reflect.TypeFor[float64](), "number "+string(raw))
		return nil
	}
	return f
}
