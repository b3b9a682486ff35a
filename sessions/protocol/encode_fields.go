package protocol

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// structField is one member a struct type encodes.
type structField struct {
	name      string
	key       []byte // "name": escaped
	index     []int
	tagged    bool
	omitEmpty bool
	omitZero  bool
}

var fieldCache sync.Map // reflect.Type → []structField

// fieldsOf returns the members of struct type t, in encoding/json's order
// and by its rules: a promoted field of an embedded struct is a member of t
// unless a shallower field, or a tagged one at the same depth, has its
// name; two at the same depth and equally tagged cancel out.
func fieldsOf(t reflect.Type) []structField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]structField)
	}
	var all []structField
	type level struct {
		typ   reflect.Type
		index []int
	}
	current, visited := []level{}, map[reflect.Type]bool{}
	for next := []level{{typ: t}}; len(next) > 0; {
		current, next = next, nil
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := range l.typ.NumField() {
				sf := l.typ.Field(i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clip(l.index), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, level{ft, index})
					continue
				}
				f := structField{name: name, index: index, tagged: name != ""}
				if name == "" {
					f.name = sf.Name
				}
				for _, o := range strings.Split(opts, ",") {
					f.omitEmpty = f.omitEmpty || o == "omitempty"
					f.omitZero = f.omitZero || o == "omitzero"
				}
				f.key = append(AppendString(nil, f.name), ':')
				all = append(all, f)
			}
		}
	}
	slices.SortStableFunc(all, func(x, y structField) int {
		if c := strings.Compare(x.name, y.name); c != 0 {
			return c
		}
		if c := len(x.index) - len(y.index); c != 0 {
			return c
		}
		if x.tagged != y.tagged {
			if x.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(x.index, y.index)
	})
	var fs []structField
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		if j-i == 1 || len(all[i].index) < len(all[i+1].index) || all[i].tagged && !all[i+1].tagged {
			fs = append(fs, all[i])
		}
		i = j
	}
	slices.SortFunc(fs, func(x, y structField) int { return slices.Compare(x.index, y.index) })
	fieldCache.Store(t, fs)
	return fs
}

// validTag reports whether s may name a member, as encoding/json decides.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
