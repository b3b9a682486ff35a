package protocol

import (
	"reflect"
	"strconv"
	"strings"
)

// The general decoder's value readers: each field of a request, found by
// reflection, read from its (valid) JSON as encoding/json reads it.

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
		d.field(val, fieldOf(v, f.index), f)
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
