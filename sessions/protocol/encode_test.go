package protocol

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// The reflection encoder against encoding/json, its reference.

type inner struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type deep struct {
	X int `json:"x"`
}

type withTag struct {
	Y string `json:"y"`
}

type embedsPtr struct {
	*inner
	C bool `json:"c"`
}

type shadow struct {
	inner
	A     int `json:"a"` // shallower: wins over inner.A
	deep      // promoted x
	Named inner
	skip  int
	Dash  int `json:"-"`
	Comma int `json:"-,"`
}

// Other has a member named as deep's: embedded beside it at the same
// depth, the two cancel out (conflict, built by reflection, since vet
// refuses the struct written out).
type Other struct {
	X string `json:"x"`
}

// Deep is deep, exported for reflect.StructOf.
type Deep = deep

var conflict = reflect.StructOf([]reflect.StructField{
	{Name: "Deep", Type: reflect.TypeFor[Deep](), Anonymous: true},
	{Name: "Other", Type: reflect.TypeFor[Other](), Anonymous: true},
})

type tagWins struct {
	withTag
	untagged
}

type untagged struct{ Y string }

type kinds struct {
	I8   int8              `json:"i8"`
	U16  uint16            `json:"u16,omitempty"`
	F32  float32           `json:"f32"`
	F64  float64           `json:"f64"`
	Bs   []byte            `json:"bs"`
	Arr  [2]int            `json:"arr"`
	M    map[string]any    `json:"m,omitempty"`
	MI   map[int]string    `json:"mi"`
	Any  any               `json:"any"`
	P    *int              `json:"p"`
	PP   **string          `json:"pp,omitempty"`
	T    time.Time         `json:"t"`
	TZ   time.Time         `json:"tz,omitzero"`
	IP   netip.Addr        `json:"ip"`
	Raw  Raw               `json:"raw"`
	S    []inner           `json:"s"`
	Dur  time.Duration     `json:"dur"`
	Emb  *embedsPtr        `json:"emb"`
	Uni  string            `json:"uni"`
	Keys map[string]string `json:"keys"`
}

func TestAppendValueMatchesJSON(t *testing.T) {
	n, s := 7, "x"
	ps := &s
	vals := []any{
		nil, 1, -2.5, 1e21, 1e-7, 123456789.0, float32(0.1), float32(1e-7), 0.0, math.Copysign(0, -1), "<&>\u2028",
		[]int(nil), []int{}, map[string]int(nil), map[string]int{"b": 1, "a": 2}, []byte("hi"), []byte(nil),
		inner{}, &inner{A: "a", B: 3}, (*inner)(nil), embedsPtr{}, embedsPtr{inner: &inner{A: "z"}},
		shadow{inner: inner{A: "in", B: 4}, A: 9, deep: deep{X: 5}, Named: inner{A: "n"}, skip: 1, Dash: 2, Comma: 3},
		reflect.New(conflict).Elem().Interface(), tagWins{withTag{"t"}, untagged{"u"}},
		kinds{}, kinds{I8: -8, U16: 16, F32: 3.25, F64: 1e-9, Bs: []byte{0, 255}, Arr: [2]int{1, 2},
			M: map[string]any{"z": nil, "a": []any{1.5, "s", true}}, MI: map[int]string{10: "ten", 2: "two"},
			Any: &inner{A: "p"}, P: &n, PP: &ps, T: time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC),
			IP: netip.MustParseAddr("::1"), Raw: Raw(` {"a" : [1, 2]} `), S: []inner{{A: "1"}, {B: 2}},
			Dur: time.Second, Emb: &embedsPtr{C: true}, Uni: "héllo \xff", Keys: map[string]string{"<": ">"}},
		struct {
			Timeout Raw `json:"timeout"`
		}{Raw("0.5")},
	}
	for _, v := range vals {
		checkValue(t, v)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		checkValue(t, f)
		checkValue(t, float32(f))
		checkValue(t, r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
}

func checkValue(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := AppendValue(nil, v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendValue(%#v): error %v, want %v", v, err, wantErr)
	}
	if string(got) != string(want) {
		t.Errorf("AppendValue(%#v)\n got %s\nwant %s", v, got, want)
	}
}

func TestAppendValueErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(-1), make(chan int), func() {}, complex(1, 2), struct {
		R Raw `json:"r"`
	}{Raw("{")}} {
		if _, err := AppendValue(nil, v); err == nil {
			t.Errorf("AppendValue(%T) did not fail", v)
		}
		if _, err := json.Marshal(v); err == nil {
			t.Errorf("json.Marshal(%T) did not fail: the case is wrong", v)
		}
	}
}

func TestMembers(t *testing.T) {
	for _, v := range []any{nil, 42, struct{}{}, inner{A: "a"}, map[string]int{"k": 1}, []int{1}} {
		got, err := Members([]byte("x"), v)
		if err != nil {
			t.Fatal(err)
		}
		want := []byte("x")
		if j, _ := json.Marshal(v); len(j) > 2 && j[0] == '{' {
			want = append(append(want, ','), j[1:len(j)-1]...)
		}
		if string(got) != string(want) {
			t.Errorf("Members(%#v) = %s, want %s", v, got, want)
		}
	}
}

// TestReadMatchesJSON reads values as json.Unmarshal reads them into Go
// values: strings, booleans, integers of every size, floats.
func TestReadMatchesJSON(t *testing.T) {
	values := []string{
		`"x"`, `""`, `"a\"b\\c\/\b\f\n\r\t"`, `"\u0041\u00e9\u4f60"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`,
		`"\ud83d\u0041"`, `"\ud83d\\u0041"`, "\"\xff\"", "\"\xc3\"", "\"\xc3\\u00a9\"", `"\ufffd"`, "\"\u2028\"",
		`true`, `false`, `null`, `0`, `-0`, `1`, `-1`, `2147483647`, `2147483648`, `-2147483648`, `-2147483649`,
		`4294967295`, `4294967296`, `9223372036854775807`, `9223372036854775808`, `1.0`, `1e3`, `1E3`, `0.5`,
		`-1.5e-3`, `1e400`, `-1e400`, `1e-400`, `[1]`, `{}`, ` 7 `, "\n\"s\"\t",
	}
	for _, raw := range values {
		b := []byte(raw)
		var s string
		gs, ok := String(b)
		if wantOK := json.Unmarshal(b, &s) == nil && trim(b)[0] == '"'; ok != wantOK || ok && gs != s {
			t.Errorf("String(%s) = %q, %v; encoding/json %q, %v", raw, gs, ok, s, wantOK)
		}
		var bo bool
		gb, ok := Bool(b)
		if wantOK := json.Unmarshal(b, &bo) == nil && !IsNull(b); ok != wantOK || gb != bo {
			t.Errorf("Bool(%s) = %v, %v; encoding/json %v, %v", raw, gb, ok, bo, wantOK)
		}
		var i32 int32
		gi, ok := Int(b, 32)
		if wantOK := json.Unmarshal(b, &i32) == nil && !IsNull(b); ok != wantOK || ok && gi != int64(i32) {
			t.Errorf("Int(%s, 32) = %v, %v; encoding/json %v, %v", raw, gi, ok, i32, wantOK)
		}
		var i64 int64
		gi, ok = Int(b, 64)
		if wantOK := json.Unmarshal(b, &i64) == nil && !IsNull(b); ok != wantOK || ok && gi != i64 {
			t.Errorf("Int(%s, 64) = %v, %v; encoding/json %v, %v", raw, gi, ok, i64, wantOK)
		}
		var u32 uint32
		gu, ok := Uint(b, 32)
		if wantOK := json.Unmarshal(b, &u32) == nil && !IsNull(b); ok != wantOK || ok && gu != uint64(u32) {
			t.Errorf("Uint(%s, 32) = %v, %v; encoding/json %v, %v", raw, gu, ok, u32, wantOK)
		}
		var f float64
		gf, ok := Float(b)
		if wantOK := json.Unmarshal(b, &f) == nil && !IsNull(b); ok != wantOK || ok && gf != f {
			t.Errorf("Float(%s) = %v, %v; encoding/json %v, %v", raw, gf, ok, f, wantOK)
		}
	}
}

func TestElemsAndObject(t *testing.T) {
	for _, raw := range []string{`[]`, `[1]`, ` [ 1 , "a" , [2, 3], {"k": [4]} ] `, `[1,]`, `{}`, `1`, `[`} {
		var want []Raw
		wantOK := json.Unmarshal([]byte(raw), &want) == nil && want != nil
		got, ok := Elems([]byte(raw))
		if ok != wantOK || len(got) != len(want) {
			t.Errorf("Elems(%s) = %q, %v; encoding/json %q, %v", raw, got, ok, want, wantOK)
			continue
		}
		for i := range got {
			if string(got[i]) != string(want[i]) {
				t.Errorf("Elems(%s)[%d] = %s, want %s", raw, i, got[i], want[i])
			}
		}
	}
	ms, ok := Object([]byte(` { "a" : 1 , "b\u0063" : { "x" : [ ] } , "a":null } `))
	if !ok || len(ms) != 3 || ms[0].Key != "a" || string(ms[0].Value) != "1" || ms[1].Key != "bc" || string(ms[1].Value) != `{ "x" : [ ] }` || string(ms[2].Value) != "null" {
		t.Errorf("Object = %q, %v", ms, ok)
	}
	for _, raw := range []string{`[]`, `{`, `{"a"}`, `1`} {
		if _, ok := Object([]byte(raw)); ok {
			t.Errorf("Object(%s) took it", raw)
		}
	}
}

// TestParseOptionBytes reads setsockopt's byte values as encoding/json reads
// them into the struct sessions used before.
func TestParseOptionBytes(t *testing.T) {
	type ref struct {
		Group     *string `json:"group"`
		Interface *string `json:"interface"`
		Payload
	}
	for _, raw := range []string{
		`{"hex":"e0010101 00000000"}`, `{"group":"224.1.1.1","interface":"0.0.0.0"}`, `{"GROUP":"224.1.1.1"}`,
		`{"text":"hi","encoding":"gbk"}`, `{"Text":"a","text":"b"}`, `{"hex":null}`, `{"hex":"00","hex":null}`,
		`{"group":1}`, `{"encoding":null,"base64":"aGk="}`, `{"extra":[1,{"a":2}],"hex":"ff"}`, `{"encoding":3}`,
		`{"ba\u017fe64":"aGk="}`, `{"hex":["00"]}`, `{}`,
	} {
		var want ref
		wantOK := json.Unmarshal([]byte(raw), &want) == nil
		got, ok := ParseOptionBytes(Raw(raw))
		if ok != wantOK {
			t.Errorf("ParseOptionBytes(%s): ok %v, encoding/json %v", raw, ok, wantOK)
			continue
		}
		if ok && !reflect.DeepEqual(ref{got.Group, got.Interface, got.Payload}, want) {
			t.Errorf("ParseOptionBytes(%s) = %+v, encoding/json %+v", raw, got, want)
		}
	}
}

func TestAppendValueNumber(t *testing.T) {
	for _, v := range []any{json.Number("10"), json.Number("-1.5e3"), json.Number(""), map[string]any{"n": json.Number("7")}} {
		checkValue(t, v)
	}
	if _, err := AppendValue(nil, json.Number("x")); err == nil {
		t.Error(`json.Number("x") encoded`)
	}
}
