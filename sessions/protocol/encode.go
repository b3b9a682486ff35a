package protocol

import (
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Encoding any value by reflection, as encoding/json's Marshal does, for
// the result fields and bodies that do not write their own JSON (the
// message kinds logged most often do: sessions' wire.go and
// wire_results.go). It covers what Marshal covers: struct tags (name,
// omitempty, omitzero, "-"), embedded structs and their promoted fields,
// pointers, interfaces, maps (keys sorted), slices ([]byte as base64),
// arrays, numbers (floats formatted as Marshal formats them), and values
// with a MarshalJSON or MarshalText method. Not covered: the ",string"
// option, and cycles (a cycle never ends).

// Members appends the members of v's JSON object without its braces:
// `,"key":value` for each. The message format flattens a body beside a
// message's seq, kind and time, which is why members come bare. Values that
// do not encode to an object with members (nil, {}, a number) add nothing.
func Members(b []byte, v any) ([]byte, error) {
	if v == nil {
		return b, nil
	}
	start := len(b)
	b, err := AppendValue(b, v)
	if err != nil {
		return b[:start], err
	}
	if len(b)-start > 2 && b[start] == '{' {
		b[start] = ','
		return b[:len(b)-1], nil
	}
	return b[:start], nil
}

// AppendValue appends v's JSON, as json.Marshal writes it.
func AppendValue(b []byte, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	return appendValue(b, reflect.ValueOf(v))
}

// marshaler is encoding/json's Marshaler, which the types that write their
// own JSON implement.
type marshaler interface {
	MarshalJSON() ([]byte, error)
}

var (
	marshalerType     = reflect.TypeFor[marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// ErrUnsupported is AppendValue's error for a value JSON cannot hold (a
// channel, a function, a complex number, NaN or an infinity).
var ErrUnsupported = errors.New("protocol: value not supported by JSON")

func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	t := v.Type()
	if t.Kind() != reflect.Pointer && v.CanAddr() && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		v, t = v.Addr(), v.Addr().Type()
	}
	if t.Implements(marshalerType) {
		if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil() {
			return append(b, "null"...), nil
		}
		j, err := v.Interface().(marshaler).MarshalJSON()
		if err != nil {
			return b, err
		}
		return compactJSON(b, j)
	}
	if t.Implements(textMarshalerType) {
		if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil() {
			return append(b, "null"...), nil
		}
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return b, err
		}
		return AppendString(b, string(text)), nil
	}
	switch v.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Float32:
		return AppendFloat(b, v.Float(), 32)
	case reflect.Float64:
		return AppendFloat(b, v.Float(), 64)
	case reflect.String:
		if isJSONNumber(t) { // decoded headers keep their numbers so
			return appendNumber(b, v.String())
		}
		return AppendString(b, v.String()), nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, v.Elem())
	case reflect.Struct:
		return appendStruct(b, v)
	case reflect.Map:
		return appendMap(b, v)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(marshalerType) && !reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, v.Bytes())
			return append(b, '"'), nil
		}
		return appendElems(b, v)
	case reflect.Array:
		return appendElems(b, v)
	}
	return b, fmt.Errorf("%w: %s", ErrUnsupported, t)
}

// isJSONNumber reports whether t is encoding/json's Number (or a json
// package's Number like it): a number kept as its text, written as a number.
func isJSONNumber(t reflect.Type) bool {
	return t.Kind() == reflect.String && t.Name() == "Number" && path.Base(t.PkgPath()) == "json"
}

// appendNumber writes a Number's text as encoding/json does: "" as 0,
// anything but a JSON number an error.
func appendNumber(b []byte, n string) ([]byte, error) {
	if n == "" {
		n = "0"
	}
	p := plainScanner{raw: []byte(n)}
	if !p.number() || p.i != len(n) {
		return b, fmt.Errorf("%w: invalid number literal %q", ErrUnsupported, n)
	}
	return append(b, n...), nil
}

// AppendFloat appends f as encoding/json writes a float of bits 32 or 64:
// the shortest decimal that reads back as f, in exponent form below 1e-6
// and from 1e21 on.
func AppendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("%w: %s", ErrUnsupported, strconv.FormatFloat(f, 'g', -1, bits))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // e-09 becomes e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendElems(b []byte, v reflect.Value) ([]byte, error) {
	b = append(b, '[')
	for i := range v.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendValue(b, v.Index(i)); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendMap(b []byte, v reflect.Value) ([]byte, error) {
	if v.IsNil() {
		return append(b, "null"...), nil
	}
	type kv struct {
		key string
		val reflect.Value
	}
	kvs := make([]kv, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		k := it.Key()
		var key string
		switch {
		case k.Kind() == reflect.String:
			key = k.String()
		case k.Type().Implements(textMarshalerType):
			if k.Kind() == reflect.Pointer && k.IsNil() {
				return b, fmt.Errorf("%w: a nil map key", ErrUnsupported)
			}
			text, err := k.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return b, err
			}
			key = string(text)
		case k.CanInt():
			key = strconv.FormatInt(k.Int(), 10)
		case k.CanUint():
			key = strconv.FormatUint(k.Uint(), 10)
		default:
			return b, fmt.Errorf("%w: map key %s", ErrUnsupported, k.Type())
		}
		kvs = append(kvs, kv{key, it.Value()})
	}
	slices.SortFunc(kvs, func(x, y kv) int { return strings.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, e := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, e.key)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, e.val); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendStruct(b []byte, v reflect.Value) ([]byte, error) {
	b = append(b, '{')
	first := true
fields:
	for _, f := range fieldsOf(v.Type()) {
		fv := v
		for _, i := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue fields // a nil embedded pointer has no fields
				}
				fv = fv.Elem()
			}
			fv = fv.Field(i)
		}
		if f.omitEmpty && isEmpty(fv) || f.omitZero && isZero(fv) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		var err error
		if b, err = appendValue(b, fv); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero is omitzero's test: an IsZero method if the value has one, else
// the zero value.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}
