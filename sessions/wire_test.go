package sessions

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Every appender must write exactly what encoding/json writes for the same
// value; these tests compare the two, json.Marshal being the reference.

// trickyStrings exercise every branch of JSON string escaping.
var trickyStrings = []string{
	"", "s1", "127.0.0.1", "::1", "fe80::1%lo", "AF_INET6",
	`say "hi"`, `C:\path\`, "a\nb\rc\td\be\ff", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "你好", "emoji 🎉👍🏽", "é", "\u2028\u2029 sep",
	"\xff", "bad \xc3( utf8", "cut \xe4\xbd", "\xed\xa0\x80 surrogate", "\xef\xbf\xbd literal",
	"\u00e2\u0080\u00a8", "\xe2\x80", "\xe2\x80\xa8\xe2\x80\xa9",
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range trickyStrings {
		checkString(t, s)
	}
	// Every byte alone and every rune up to U+3000 (covers U+2028/9).
	for c := 0; c < 256; c++ {
		checkString(t, string([]byte{byte(c)}))
	}
	for r := rune(0); r < 0x3000; r++ {
		checkString(t, "x"+string(r)+"y")
	}
}

func checkString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := protocol.AppendString(nil, s); string(got) != string(want) {
		t.Errorf("protocol.AppendString(%q) = %s, want %s", s, got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkString(t, s)
	})
}

// rawValues are raw JSON values as ids, timeouts and request echoes may hold
// them: compact or not, plain or with characters encoding/json escapes, and
// some that are not JSON at all (json.Marshal fails on those).
var rawValues = []protocol.Raw{
	nil, protocol.Raw(`1`), protocol.Raw(`-17`), protocol.Raw(`null`), protocol.Raw(`"x"`),
	protocol.Raw(`0.25`), protocol.Raw(`1e3`), protocol.Raw(`true`),
	protocol.Raw(`{"id":1,"op":"sendto","data":{"text":"ping"},"addr":["127.0.0.1",9000]}`),
	protocol.Raw(" 7 "), protocol.Raw("[1, 2,\n\t3]\r\n"), protocol.Raw(`{"a" : "b c"}`),
	protocol.Raw(`"<b>&amp;</b>"`), protocol.Raw("\"\u2028\u2029\""), protocol.Raw("\"\xe2\x80\""),
	protocol.Raw("\"\xff\""), protocol.Raw(`"\u003c"`), protocol.Raw(`"你好"`),
	protocol.Raw(`{"a":[1,-0.5e+3,0,-0,2E-7,true,false,null,{},[]],"b":"\"\\\/\b\f\n\r\t\u00e9\uD83C"}`),
	protocol.Raw(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`),
	{}, protocol.Raw(`{`), protocol.Raw(`01`), protocol.Raw(`1 2`), protocol.Raw(`nul`),
	protocol.Raw(`-`), protocol.Raw(`1.`), protocol.Raw(`1e`), protocol.Raw(`1e+`), protocol.Raw(`.5`),
	protocol.Raw(`"\x"`), protocol.Raw(`"\u12"`), protocol.Raw(`"\u12G4"`), protocol.Raw(`"open`),
	protocol.Raw("\"\x01\""), protocol.Raw(`[1,]`), protocol.Raw(`{"a"}`), protocol.Raw(`{"a":1,}`),
	protocol.Raw(`{1:2}`), protocol.Raw(`[1]]`), protocol.Raw(`truex`), protocol.Raw(`+1`),
}

func TestAppendRaw(t *testing.T) {
	for _, raw := range rawValues {
		checkRaw(t, raw)
	}
}

func checkRaw(t *testing.T, raw []byte) {
	t.Helper()
	want, wantErr := json.Marshal(protocol.Raw(raw))
	got, err := protocol.AppendRaw([]byte("prefix"), raw)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("protocol.AppendRaw(%q): error %v, want %v", raw, err, wantErr)
	}
	if err == nil && string(got) != "prefix"+string(want) {
		t.Errorf("protocol.AppendRaw(%q) = %s, want prefix%s", raw, got, want)
	}
}

func FuzzAppendRaw(f *testing.F) {
	for _, raw := range rawValues {
		f.Add([]byte(raw))
	}
	f.Fuzz(checkRaw)
}

// FuzzAppendData checks the data of a receive, as NewData builds it from any
// bytes in either encoding, whole or cut (a limit under its size).
func FuzzAppendData(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add([]byte(s), false, uint16(0))
		f.Add([]byte(s), true, uint16(0))
		f.Add([]byte(s), false, uint16(3))
	}
	f.Add([]byte{0xc4, 0xe3, 0xba, 0xc3, 0x81, 0x20, 0xff}, true, uint16(0))
	f.Add([]byte{0xc4, 0xe3, 0xba, 0xc3, 0x81, 0x20, 0xff}, true, uint16(2))
	f.Fuzz(func(t *testing.T, b []byte, gbk bool, limit uint16) {
		enc := UTF8
		if gbk {
			enc = GBK
		}
		d := NewData(b, enc, len(b))
		if limit > 0 && len(b) > 0 {
			d = NewData(b, enc, int(limit)%len(b)) // a cut chunk: shown and sha256 too
		}
		want, err := json.Marshal(d.view()) // the rune-by-rune reference (payload_ref_test.go)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.appendJSON(nil); string(got) != string(want) {
			t.Errorf("Data of %q in %s:\n got %s\nwant %s", b, enc, got, want)
		}
	})
}

// TestWireMatchesJSON fills each appender type at random, with every field
// either zero or set (so omitempty goes both ways), and compares its output
// with encoding/json's. It also guards against drift: a field added to one of
// these types but not to its appender fails here.
func TestWireMatchesJSON(t *testing.T) {
	types := []any{
		ResultBody{}, WaitingBody{}, SocketBody{}, HelloBody{}, SnapshotBody{}, ByeBody{},
		PeerFields{}, ProgramFields{}, sendFields{}, recvFields{}, recvfromFields{}, addrField{}, valueField{},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range types {
		rt := reflect.TypeOf(typ)
		t.Run(rt.Name(), func(t *testing.T) {
			for i := range 3000 {
				v := reflect.New(rt).Elem()
				if i > 0 { // the zero value first
					fill(r, v, 0)
				}
				checkWire(t, v.Interface().(FieldAppender))
			}
		})
	}
	// The values written inside bodies, against their own encodings.
	for range 3000 {
		var a Addr
		fill(r, reflect.ValueOf(&a).Elem(), 0)
		want, _ := json.Marshal(a)
		if got := a.appendJSON(nil); string(got) != string(want) {
			t.Errorf("Addr %+v:\n got %s\nwant %s", a.A, got, want)
		}
		var e ErrorBody
		fill(r, reflect.ValueOf(&e).Elem(), 0)
		want, _ = json.Marshal(e)
		if got := e.appendJSON(nil); string(got) != string(want) {
			t.Errorf("ErrorBody:\n got %s\nwant %s", got, want)
		}
	}
}

// TestWirePlainRequest: a result or waiting message whose request is its
// decoded request's plain echo, written without a second check, is what
// encoding/json writes, as is one whose echo needs escaping.
func TestWirePlainRequest(t *testing.T) {
	plain := map[bool]int{}
	for _, frame := range []string{
		`[{"bufsize":64,"id":1,"op":"recvfrom","sock":"s1"},{"addr":["127.0.0.1",9],"data":{"text":"ping"},"id":2,"op":"sendto","sock":"s2"}]`,
		`{"id": 3, "op": "send", "sock": "s1", "data": {"text": "a\u00e9 \"q\""}}`,
		`{"id":4,"op":"send","data":{"text":"<b>&amp;</b>"}}`,
		"{\"id\":5,\"op\":\"send\",\"data\":{\"text\":\"\u2028\xff\"}}",
	} {
		reqs, bads := protocol.DecodeFrame([]byte(frame))
		for i, r := range reqs {
			if bads[i] != nil {
				t.Fatalf("%s: %v", frame, bads[i])
			}
			plain[r.PlainEcho()]++
			checkWire(t, ResultBody{ID: r.ID, Op: r.Op, OK: true, Request: r.Echo, plainRequest: r.PlainEcho()})
			checkWire(t, WaitingBody{ID: r.ID, Op: r.Op, Request: r.Echo, plainRequest: r.PlainEcho()})
		}
	}
	if plain[true] == 0 || plain[false] == 0 {
		t.Errorf("plain echoes: %d, others %d; want some of each", plain[true], plain[false])
	}
}

// checkWire compares v's members with json.Marshal's, spliced as the web
// package did before the appenders: the body, then a result's Fields.
func checkWire(t *testing.T, v FieldAppender) {
	t.Helper()
	want, wantErr := splice(nil, v)
	if r, ok := v.(ResultBody); ok && wantErr == nil && r.Fields != nil {
		want, wantErr = splice(want, r.Fields)
	}
	got, err := v.AppendFields(nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%T: error %v, want %v", v, err, wantErr)
	}
	if err == nil && string(got) != string(want) {
		t.Fatalf("%T:\n got %s\nwant %s", v, got, want)
	}
}

func splice(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(j) > 2 && j[0] == '{' {
		b = append(b, ',')
		b = append(b, j[1:len(j)-1]...)
	}
	return b, nil
}

var rawType = reflect.TypeFor[protocol.Raw]()

// resultFields are what a ResultBody's Fields may hold: the fast types, the
// anonymous structs ops.go passes (encoded by json.Marshal), and values
// that marshal to no members or fail to marshal.
var resultFields = []func() any{
	func() any { return sendFields{} }, func() any { return recvFields{} },
	func() any { return recvfromFields{} }, func() any { return addrField{} },
	func() any { return valueField{} }, func() any { return PeerFields{} },
	func() any {
		return struct {
			Timeout protocol.Raw `json:"timeout"`
		}{}
	},
	func() any {
		return struct {
			Conn string `json:"conn"`
			Addr Addr   `json:"addr"`
		}{}
	},
	func() any { return struct{}{} },
	func() any { return 42 },
	func() any { return (*Data)(nil) },
	func() any { return math.NaN() },
}

// fill sets v to a random value: each field zero one time in four, strings
// from trickyStrings, raw JSON from rawValues.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	if depth > 0 && v.CanSet() && r.IntN(4) == 0 {
		v.SetZero()
		return
	}
	if v.Type() == rawType {
		v.SetBytes(rawValues[r.IntN(len(rawValues))])
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(trickyStrings[r.IntN(len(trickyStrings))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n := []int64{0, 1, -1, 98, 65535, math.MaxInt32, math.MinInt32, math.MaxInt64}[r.IntN(8)]
		if v.OverflowInt(n) {
			n = 7
		}
		v.SetInt(n)
	case reflect.Uint32, reflect.Uint64:
		v.SetUint([]uint64{0, 1, 3, math.MaxUint32}[r.IntN(4)])
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem(), depth+1)
	case reflect.Slice:
		n := r.IntN(4)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range r.IntN(12) { // past the 8 keys appendOptions keeps on the stack
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(r, k, depth+1)
			fill(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			f := v.Field(i)
			if f.CanSet() || v.Type().Field(i).Anonymous {
				fill(r, f, depth+1)
			}
		}
	case reflect.Interface: // ResultBody.Fields
		f := reflect.ValueOf(resultFields[r.IntN(len(resultFields))]())
		x := reflect.New(f.Type()).Elem()
		x.Set(f)
		if x.Kind() == reflect.Struct {
			fill(r, x, depth+1)
		}
		v.Set(x)
	default:
		panic("fill: no values for " + v.Type().String())
	}
}

// TestWireAddrs covers the IPv4/IPv6 split on addresses as sockets gives them.
func TestWireAddrs(t *testing.T) {
	for _, a := range []*sockets.Addr{
		nil, {Host: "127.0.0.1", Port: 9000}, {Host: "::1", Port: 1, FlowInfo: 2, ScopeID: 3},
		{Host: "fe80::1%lo", Port: 65535, ScopeID: 1}, {Host: "", Port: 0},
	} {
		want, _ := json.Marshal(Addr{a})
		if got := (Addr{a}).appendJSON(nil); string(got) != string(want) {
			t.Errorf("Addr %+v = %s, want %s", a, got, want)
		}
	}
	// A snapshot's peers and sockets, as session.go builds them.
	s := SnapshotBody{Sockets: []SocketBody{}, Pending: []WaitingBody{}, Peers: []PeerFields{}, Programs: []ProgramFields{}, Encoding: UTF8, FirstSeq: 1}
	checkWire(t, s)
	if !strings.Contains(string(must(s.AppendFields(nil))), `"sockets":[]`) {
		t.Error("empty snapshot lists must be [] not null")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestEncodeTime compares appendTime with time.AppendFormat over times from
// year -100 to 10100, in UTC and in other zones.
func TestEncodeTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 0), time.FixedZone("X", 3600+30*60+15), time.FixedZone("Y", -7*3600)}
	r := rand.New(rand.NewPCG(3, 4))
	lo, hi := time.Date(-100, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(10100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	times := []time.Time{{}, time.Unix(0, 0).UTC(), time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range 20000 {
		times = append(times, time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)).UTC())
	}
	for i, tm := range times {
		tm = tm.In(zones[i%len(zones)])
		if i%2 == 0 {
			tm = tm.UTC()
		}
		want := tm.AppendFormat([]byte("x"), timeFormat)
		if got := appendTime([]byte("x"), tm); !bytes.Equal(got, want) {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
