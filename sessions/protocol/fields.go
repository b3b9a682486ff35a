package protocol

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The decoder's view of the request types: each JSON name and the field it
// fills, found once by reflection from the json tags (see request.go for
// the types a field may have).

// field is one JSON member of a struct the decoder fills.
type field struct {
	name   string      // its JSON name
	index  []int       // the field's index path (fieldOf)
	path   []string    // its name in errors: the embedded structs' Go names, then name
	nested *fieldTable // a pointer to a struct's fields
}

// fieldTable is a struct type's fields by JSON name.
type fieldTable struct {
	exact map[string]*field
	all   []*field
}

// lookup returns the field the key literal lit (quotes included) names:
// exactly, or else in any case as encoding/json matches it
// (bytes.EqualFold), or nil.
func (t *fieldTable) lookup(lit []byte) *field {
	key := lit[1 : len(lit)-1]
	if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
		key = []byte(Unquote(lit))
	}
	if f := t.exact[string(key)]; f != nil {
		return f
	}
	for _, f := range t.all {
		if bytes.EqualFold([]byte(f.name), key) {
			return f
		}
	}
	return nil
}

var requestFields = tableOf(reflect.TypeFor[Request]())

// decodable are the field types the decoder knows (a pointer to any of the
// scalar ones too, and to a struct of them).
var decodable = map[reflect.Type]bool{
	reflect.TypeFor[string]():         true,
	reflect.TypeFor[bool]():           true,
	reflect.TypeFor[int]():            true,
	reflect.TypeFor[int64]():          true,
	reflect.TypeFor[[]string]():       true,
	reflect.TypeFor[Raw]():            true,
	reflect.TypeFor[AddrArg]():        true,
	reflect.TypeFor[map[string]any](): true,
}

// tableOf finds the fields of struct type t and of the structs it embeds.
// It panics on a field it cannot decode or a JSON name used twice: both are
// mistakes in the request types, for the first test to find.
func tableOf(t reflect.Type) *fieldTable {
	tab := &fieldTable{exact: map[string]*field{}}
	var walk func(t reflect.Type, index []int, path []string)
	walk = func(t reflect.Type, index []int, path []string) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			idx := append(index[:len(index):len(index)], i)
			switch {
			case !sf.IsExported() || tag == "-":
				continue
			case sf.Anonymous && tag == "":
				et, p := sf.Type, append(path[:len(path):len(path)], sf.Name)
				if et.Kind() == reflect.Pointer { // a Request's *RareArgs: fieldOf gives it a value
					et, p = et.Elem(), path // and errors name its fields as Request's own
				}
				walk(et, idx, p)
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if name == "" {
				panic(fmt.Sprintf("protocol: %s.%s has no JSON name", t, sf.Name))
			}
			f := &field{name: name, index: idx, path: append(path[:len(path):len(path)], name)}
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case decodable[ft]:
			case ft.Kind() == reflect.Struct && sf.Type.Kind() == reflect.Pointer:
				f.nested = tableOf(ft)
			default:
				panic(fmt.Sprintf("protocol: %s.%s is a %s, which the decoder does not know (see request.go)", t, sf.Name, sf.Type))
			}
			if tab.exact[name] != nil {
				panic(fmt.Sprintf("protocol: the JSON name %q is used twice in %s", name, t))
			}
			tab.exact[name] = f
			tab.all = append(tab.all, f)
		}
	}
	walk(t, nil, nil)
	return tab
}

// fieldOf returns the field of the struct v at index (as
// reflect.Value.FieldByIndex), giving an embedded struct pointer on the way
// a value of its own first: a new RareArgs for a Request that has none or
// the shared empty one.
func fieldOf(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() || v.Interface() == any(&noArgs) {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}
