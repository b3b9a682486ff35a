package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// compactCases are JSON texts spaced and escaped in every way, and some
// that are not JSON.
var compactCases = []string{
	`1`, ` 7 `, "[1, 2,\n\t3]\r\n", `{"a" : "b c"}`, `"<b>&amp;</b>"`, "\"\u2028\u2029\"", "\"\xe2\x80\"",
	"\"\xff\"", `"\u003c"`, `{"a":[1,-0.5e+3,0,-0,2E-7,true,false,null,{},[]],"b":"\"\\\/\b\f\n\r\t\u00e9\uD83C"}`,
	strings.Repeat("[", 300) + strings.Repeat("]", 300), ``, `{`, `01`, `1 2`, `nul`, `-`, `1.`, `1e`, `.5`,
	`"\x"`, `"\u12"`, `"open`, "\"\x01\"", `[1,]`, `{"a"}`, `{"a":1,}`, `{1:2}`, `[1]]`, `truex`, `+1`,
}

func TestCompactMatchesJSON(t *testing.T) {
	for _, c := range compactCases {
		checkCompact(t, []byte(c))
	}
}

func FuzzCompact(f *testing.F) {
	for _, c := range compactCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkCompact)
}

// checkCompact compares Compact with json.Compact, and the escaping
// compaction AppendRaw does with json.Marshal of a RawMessage.
func checkCompact(t *testing.T, raw []byte) {
	t.Helper()
	var want bytes.Buffer
	wantErr := json.Compact(&want, raw)
	got, err := Compact([]byte("x"), raw)
	if (err != nil) != (wantErr != nil) || err == nil && string(got) != "x"+want.String() {
		t.Errorf("Compact(%q) = %q, %v; json.Compact %q, %v", raw, got, err, want.String(), wantErr)
	}
	wantRaw, wantErr := json.Marshal(json.RawMessage(raw))
	gotRaw, err := AppendRaw([]byte("x"), raw)
	if (err != nil) != (wantErr != nil) || err == nil && string(gotRaw) != "x"+string(wantRaw) {
		t.Errorf("AppendRaw(%q) = %q, %v; json.Marshal %q, %v", raw, gotRaw, err, wantRaw, wantErr)
	}
	if msg, ok := check(raw); ok != json.Valid(raw) {
		t.Errorf("check(%q) = %v (%s), json.Valid %v", raw, ok, msg, !ok)
	}
}
