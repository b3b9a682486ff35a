package protocol

import (
	"bytes"
	"reflect"
)

// The one-pass decoder. The frames clients send nearly always are valid
// JSON whose keys are the fields' exact names (or unknown ones) and whose
// values are of their fields' types. Such a frame is checked and decoded in
// a single pass: the fields of the hot ops (id, op, sock, addr, bufsize,
// data, flags) are read without reflection, short names are interned, and
// a request sent without spaces is its own echo. Any other frame (a syntax
// error, a value of the wrong type, a key that matches a field only in
// another case or only once unescaped) makes it give up, and the general
// decoder (decode.go) reads the frame from its start: the one-pass decoder
// never reports an error, so every error text is the general decoder's.
// Its tests check that it decodes exactly what the general decoder does,
// for every frame it takes.

// onePass is the state of one frame's decoding.
type onePass struct {
	raw    []byte // the frame, or the decoder's copy of it (owned)
	i      int    // the next byte to read
	owned  bool   // raw is the decoder's copy: raw fields and echoes may be slices of it
	spaced bool   // whitespace was skipped since the current request began
	gen    decoder
	large  bool     // the frame is longer than maxEcho: a request's members are kept for its echo
	ms     []Member // the current request's members, when large
}

// maxOwned is the largest frame copied whole, whose requests' raw fields
// and echoes are then slices of the one copy. A larger frame's are copied
// one by one, so that a request that outlives the others (a waiting call,
// a stream's send record) does not keep a large frame alive.
const maxOwned = 2 * maxEcho

// decodeOnePass returns a frame's requests, or false when the general
// decoder must read it.
func decodeOnePass(frame []byte) ([]Request, bool) {
	d := onePass{raw: frame, large: len(frame) > maxEcho}
	if len(frame) <= maxOwned {
		d.raw, d.owned = bytes.Clone(frame), true
	}
	d.space()
	if d.i >= len(d.raw) {
		return nil, false
	}
	var reqs []Request
	switch d.raw[d.i] {
	case '{':
		reqs = make([]Request, 1)
		if !d.request(&reqs[0], 1) {
			return nil, false
		}
	case '[':
		d.i++
		var ok bool
		if reqs, ok = d.batch(); !ok {
			return nil, false
		}
	default:
		return nil, false
	}
	d.space()
	return reqs, d.i == len(d.raw)
}

// batch decodes the requests of a batch, after its opening bracket: a
// non-empty array of at most MaxBatch objects. They are decoded in place:
// a batch sent without spaces has as many requests as "},{" plus one.
func (d *onePass) batch() ([]Request, bool) {
	reqs := make([]Request, 0, min(1+bytes.Count(d.raw[d.i:], []byte("},{")), MaxBatch))
	d.space()
	for {
		if !d.at('{') || len(reqs) == MaxBatch {
			return nil, false
		}
		reqs = append(reqs, Request{})
		if !d.request(&reqs[len(reqs)-1], 2) {
			return nil, false
		}
		if done, ok := d.after(']'); done || !ok {
			return reqs, ok
		}
	}
}

// request decodes the object at d.i into r and sets its echo; depth is
// the object's, as the scanner counts it.
func (d *onePass) request(r *Request, depth int) bool {
	start := d.i
	d.spaced = false
	d.ms = d.ms[:0]
	ok := d.object(depth, func(key []byte, plain bool) bool {
		from := d.i
		if !d.member(r, key, plain, depth) {
			return false
		}
		if d.large {
			d.ms = append(d.ms, Member{Key: keyString(key), Value: d.raw[from:d.i]})
		}
		return true
	})
	if !ok {
		return false
	}
	r.setEcho(d.echo(d.raw[start:d.i]))
	return true
}

// member reads the value of the request's member key (see object).
func (d *onePass) member(r *Request, key []byte, plain bool, depth int) bool {
	if plain {
		switch string(key[1 : len(key)-1]) {
		case "id":
			return d.rawValue(&r.ID, depth)
		case "op":
			return d.str(&r.Op, true)
		case "sock":
			return d.str(&r.Sock, true)
		case "addr":
			var raw Raw
			if !d.rawValue(&raw, depth) {
				return false
			}
			r.Addr = NewAddrArg(raw)
			return true
		case "bufsize":
			return d.intPtr(&r.Bufsize)
		case "data":
			return d.payload(&r.Data, depth)
		case "flags":
			return d.names(&r.Flags, depth)
		}
	}
	return d.general(reflect.ValueOf(r).Elem(), requestFields, key, depth)
}

// object reads the object at d.i, of depth depth, calling member for each
// key (its literal, quotes included; plain: without escapes, so that the
// literal's inside is the key) with d.i at its value, which member reads.
func (d *onePass) object(depth int, member func(key []byte, plain bool) bool) bool {
	d.i++ // the brace
	d.space()
	if d.at('}') {
		d.i++
		return true
	}
	for {
		key, plain, ok := d.key()
		if !ok {
			return false
		}
		d.space()
		if !d.at(':') {
			return false
		}
		d.i++
		d.space()
		if !member(key, plain) {
			return false
		}
		if done, ok := d.after('}'); done || !ok {
			return ok
		}
	}
}

// after reads what follows an element of the object or array that close
// ends: close (done), or a comma and the spaces after it; ok is false for
// anything else.
func (d *onePass) after(close byte) (done, ok bool) {
	d.space()
	switch {
	case d.at(close):
		d.i++
		return true, true
	case d.at(','):
		d.i++
		d.space()
		return false, true
	}
	return false, false
}

// key reads a key's literal; plain reports that it has no escapes (and so
// that its inside is the key).
func (d *onePass) key() (lit []byte, plain, ok bool) {
	if !d.at('"') {
		return nil, false, false
	}
	start := d.i
	for j := start + 1; j < len(d.raw); j++ {
		switch c := d.raw[j]; {
		case c == '"':
			d.i = j + 1
			return d.raw[start:d.i], true, true
		case c == '\\' || c < 0x20:
			s := scanner{raw: d.raw, i: start + 1}
			if !s.string() {
				return nil, false, false
			}
			d.i = s.i
			return d.raw[start:d.i], false, true
		}
	}
	return nil, false, false
}

// general reads the value of the member key of the struct v, whose fields
// fs are, as the general decoder reads it: an unknown key's value is
// checked and skipped, a field's decoded by reflection. A value of the
// wrong type gives up.
func (d *onePass) general(v reflect.Value, fs *fieldTable, key []byte, depth int) bool {
	start := d.i
	s := scanner{raw: d.raw, i: d.i}
	if !s.value(depth) {
		return false
	}
	d.i, d.spaced = s.i, d.spaced || s.spaced
	f := fs.lookup(key)
	if f == nil {
		return true
	}
	val := d.raw[start:d.i]
	fv := fieldOf(v, f.index)
	switch p := fv.Addr().Interface().(type) {
	case *Raw:
		*p = d.keep(val)
		return true
	case *AddrArg:
		*p = NewAddrArg(d.keep(val))
		return true
	}
	d.gen.err = nil
	d.gen.field(val, fv, f)
	return d.gen.err == nil
}

// payload reads a request's data: an object (merged into *dst's, if it
// has one), or null.
func (d *onePass) payload(dst **Payload, depth int) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if !d.at('{') {
		return false
	}
	var spare *string
	if *dst == nil {
		// The payload and the string its text (or hex, or base64) points
		// to, in one allocation.
		box := new(struct {
			p Payload
			s string
		})
		*dst, spare = &box.p, &box.s
	}
	p := *dst
	return d.object(depth+1, func(key []byte, plain bool) bool {
		if plain {
			switch string(key[1 : len(key)-1]) {
			case "text":
				return d.strPtr(&p.Text, &spare)
			case "hex":
				return d.strPtr(&p.Hex, &spare)
			case "base64":
				return d.strPtr(&p.Base64, &spare)
			case "encoding":
				return d.str(&p.Encoding, true)
			}
		}
		return d.general(reflect.ValueOf(p).Elem(), payloadFields, key, depth+1)
	})
}

var payloadFields = requestFields.exact["data"].nested

// names reads an array of names (flags) as the general decoder reads an
// array of strings: into the slice there is, from its start; a null
// element keeps the string there.
func (d *onePass) names(dst *[]string, depth int) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if !d.at('[') {
		return false
	}
	d.i++
	d.space()
	ss, n := *dst, 0
	if d.at(']') {
		d.i++
		*dst = []string{}
		return true
	}
	for ; ; n++ {
		if n >= len(ss) {
			ss = append(ss, "")
		}
		if !d.str(&ss[n], true) {
			return false
		}
		done, ok := d.after(']')
		if !ok {
			return false
		}
		if done {
			*dst = ss[:n+1]
			return true
		}
	}
}

// echo returns a request's echo (requestEcho's): the request itself when
// it has no spaces to drop; a large one's from the members read, without
// reading the request again.
func (d *onePass) echo(obj []byte) Raw {
	switch {
	case len(obj) > maxEcho:
		return shortEcho(obj, d.ms)
	case !d.spaced:
		return d.keep(obj)
	}
	c := compacter{raw: obj, out: make([]byte, 0, len(obj)), keepHTML: true}
	c.value(0)
	return c.out
}
