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
