package protocol

import (
	"encoding/json"
	"testing"

	"sockplay/sockets"
)

// addrSeeds are addresses as clients write them, well and badly formed.
var addrSeeds = []string{
	`["127.0.0.1",9000]`, `["127.0.0.1", 9000]`, `["::1",9000,0,0]`, `["",0]`, `["localhost",65535]`,
	`["127.0.0.1",09]`, `["127.0.0.1",-1]`, `["127.0.0.1",1.5]`, `["127.0.0.1",1e3]`, `["127.0.0.1",99999999999]`,
	`["a\"b",1]`, `["a\u0041",1]`, "[\"a\x01\",1]", "[\"\xff\",1]", `["你好",80]`, `[null,1]`, `["x",null]`,
	`["x",1,2,3,4]`, `["x"]`, `{"host":"x"}`, `"x"`, `[1,2]`, `["x","1"]`, `["x",1]]`, `[["x",1]]`, `["x",1 ]`,
}

// TestParseAddrFastAgrees checks the fast reading of an address against
// encoding/json's on the seeds: where the fast path answers, it answers the
// same, and it does answer the plain ones.
func TestParseAddrFastAgrees(t *testing.T) {
	for _, raw := range addrSeeds {
		checkAddrFast(t, []byte(raw))
	}
	for _, raw := range []string{`["127.0.0.1",9000]`, `["",0]`, `["你好",80]`} {
		if _, ok := parseAddrFast([]byte(raw)); !ok {
			t.Errorf("parseAddrFast(%s) left a plain address to the slow path", raw)
		}
	}
}

func FuzzParseAddrFast(f *testing.F) {
	for _, raw := range addrSeeds {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkAddrFast(t, raw) })
}

// checkAddrFast fails if parseAddrFast reads raw other than encoding/json.
func checkAddrFast(t *testing.T, raw []byte) {
	t.Helper()
	fast, ok := parseAddrFast(raw)
	if !ok {
		return
	}
	var parts []Raw
	var slow sockets.Addr
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 2 {
		t.Fatalf("parseAddrFast(%q) = %v, but encoding/json reads %d parts, %v", raw, fast, len(parts), err)
	}
	if json.Unmarshal(parts[0], &slow.Host) != nil || json.Unmarshal(parts[1], &slow.Port) != nil {
		t.Fatalf("parseAddrFast(%q) = %v, but encoding/json refuses it", raw, fast)
	}
	if fast != slow {
		t.Fatalf("parseAddrFast(%q) = %v, encoding/json reads %v", raw, fast, slow)
	}
}

// TestAddrArg: an address argument read as its request is decoded gives its
// op what ParseAddr gives when the op runs, error included, whether
// DecodeFrame or encoding/json decoded it, and none for a request without
// one.
func TestAddrArg(t *testing.T) {
	for _, raw := range append(addrSeeds, "null") {
		if !json.Valid([]byte(raw)) {
			continue // the frame is malformed
		}
		frame := []byte(`{"id":1,"op":"bind","addr":` + raw + `}`)
		want, wantErr := ParseAddr(Raw(raw))
		reqs, bads := DecodeFrame(frame)
		var viaJSON Request
		if bads[0] != nil || json.Unmarshal(frame, &viaJSON) != nil {
			t.Fatalf("%s: not decoded: %v", frame, bads[0])
		}
		for _, a := range []AddrArg{reqs[0].Addr, viaJSON.Addr} {
			got, err := a.Get()
			if got != want || (err == nil) != (wantErr == nil) || err != nil && *err != *wantErr {
				t.Errorf("%s: Get() = %v, %v; ParseAddr: %v, %v", raw, got, err, want, wantErr)
			}
			if string(a.Raw) != raw {
				t.Errorf("%s: kept as %s", raw, a.Raw)
			}
		}
	}
	reqs, _ := DecodeFrame([]byte(`{"id":1,"op":"bind"}`))
	_, err := reqs[0].Addr.Get()
	if _, want := ParseAddr(nil); reqs[0].Addr.Raw != nil || err == nil || *err != *want {
		t.Errorf("no addr: %q, %v; want nil and %v", reqs[0].Addr.Raw, err, want)
	}
}
