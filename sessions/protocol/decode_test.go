package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"sockplay/sockets"
)

// decodeCases are frames for TestDecodeFrame and the seeds of
// FuzzDecodeFrame. onePass marks the frames the one-pass decoder takes
// itself (TestDecodeOnePass); the general decoder reads the others. Both
// are compared with encoding/json on every case.
var decodeCases = []struct {
	name    string
	frame   string
	onePass bool
}{
	// Every op of PROTOCOL.md.
	{"socket", `{"id":1,"op":"socket","family":"AF_INET","type":"SOCK_DGRAM"}`, true},
	{"socket defaults", `{"id":2,"op":"socket"}`, true},
	{"socket AF_INET6", `{"id":2,"op":"socket","family":"AF_INET6","type":"SOCK_STREAM"}`, true},
	{"bind", `{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",9000]}`, true},
	{"bind wildcard", `{"id":3,"op":"bind","sock":"s1","addr":["",0]}`, true},
	{"listen", `{"id":4,"op":"listen","sock":"s1","backlog":5}`, true},
	{"listen without backlog", `{"id":4,"op":"listen","sock":"s1"}`, true},
	{"accept", `{"id":5,"op":"accept","sock":"s1"}`, true},
	{"connect", `{"id":6,"op":"connect","sock":"s2","addr":["::1",9000,0,0]}`, true},
	{"send", `{"id":7,"op":"send","sock":"s2","data":{"text":"hello"},"flags":["MSG_DONTWAIT","MSG_MORE"]}`, true},
	{"sendall hex", `{"id":8,"op":"sendall","sock":"s2","data":{"hex":"68 65 6c 6c 6f"}}`, true},
	{"sendto base64", `{"id":9,"op":"sendto","sock":"s1","data":{"base64":"aGVsbG8="},"addr":["127.0.0.1",9000]}`, true},
	{"sendto gbk", `{"id":9,"op":"sendto","sock":"s1","data":{"text":"你好","encoding":"gbk"},"addr":["<broadcast>",9000]}`, true},
	{"recv", `{"id":10,"op":"recv","sock":"s2","bufsize":1024,"flags":["MSG_PEEK"]}`, true},
	{"recv no flags", `{"id":10,"op":"recv","sock":"s2","bufsize":1024,"flags":[]}`, true},
	{"recvfrom", `{"id":11,"op":"recvfrom","sock":"s1","bufsize":65536}`, true},
	{"recv full", `{"id":10,"op":"recv","sock":"s2","bufsize":1048576,"flags":["MSG_WAITALL"],"full":true}`, true},
	{"recvfrom full false", `{"id":11,"op":"recvfrom","sock":"s1","bufsize":65536,"full":false}`, true},
	{"select", `{"id":12,"op":"select","read":["s1","s2"],"write":[],"timeout":0.5}`, true},
	{"select without lists", `{"id":12,"op":"select","timeout":null}`, true},
	{"select read null", `{"id":12,"op":"select","read":null,"write":["s1"]}`, true},
	{"select read not a list", `{"id":12,"op":"select","read":"s1"}`, false},
	{"select read of numbers", `{"id":12,"op":"select","read":[1]}`, false},
	{"packets", `{"id":13,"op":"packets","after":40}`, true},
	{"recv full null", `{"id":10,"op":"recv","sock":"s2","bufsize":1,"full":null}`, true},
	{"recv full not a bool", `{"id":10,"op":"recv","sock":"s2","bufsize":1,"full":1}`, false},
	{"setsockopt", `{"id":12,"op":"setsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_REUSEADDR","value":1}`, true},
	{"setsockopt bool", `{"id":13,"op":"setsockopt","sock":"s1","level":"IPPROTO_TCP","option":"TCP_NODELAY","value":true}`, true},
	{"getsockopt", `{"id":14,"op":"getsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_RCVBUF"}`, true},
	{"settimeout", `{"id":15,"op":"settimeout","sock":"s1","timeout":2.5}`, true},
	{"settimeout null", `{"id":16,"op":"settimeout","sock":"s1","timeout":null}`, true},
	{"setblocking", `{"id":17,"op":"setblocking","sock":"s1","flag":false}`, true},
	{"setblocking true", `{"id":17,"op":"setblocking","sock":"s1","flag":true}`, true},
	{"shutdown", `{"id":18,"op":"shutdown","sock":"s1","how":"SHUT_WR"}`, true},
	{"close", `{"id":19,"op":"close","sock":"s1"}`, true},
	{"getsockname", `{"id":20,"op":"getsockname","sock":"s1"}`, true},
	{"getpeername", `{"id":21,"op":"getpeername","sock":"s1"}`, true},
	{"cancel", `{"id":22,"op":"cancel","target":9}`, true},
	{"stat", `{"id":23,"op":"stat","sock":"s4"}`, true},
	{"resume", `{"id":24,"op":"resume","after":0}`, true},
	{"resume later", `{"id":24,"op":"resume","after":20412}`, true},
	{"encoding", `{"id":25,"op":"encoding","encoding":"gbk"}`, true},
	{"send_frame", `{"id":26,"op":"send_frame","sock":"s4","framing":{"kind":"length","format":"!I"},"data":{"text":"hi"}}`, true},
	{"send_frame json_header", `{"id":27,"op":"send_frame","sock":"s4","framing":{"kind":"json_header","format":"i"},"data":{"text":"hi"},"header":{"cmd":"echo"}}`, true},
	{"recv_frame delimiter", `{"id":28,"op":"recv_frame","sock":"s4","framing":{"kind":"delimiter","delimiter":{"text":"\n"}}}`, true},
	{"recv_frame fixed", `{"id":29,"op":"recv_frame","sock":"s4","framing":{"kind":"fixed","size":16}}`, true},
	{"spawn", `{"id":30,"op":"spawn","peer":"udp-echo","addr":["127.0.0.1",0]}`, true},
	{"spawn options", `{"id":31,"op":"spawn","peer":"udp-chat","options":{"to":["127.0.0.1",9000],"interval_ms":500}}`, true},
	{"kill", `{"id":32,"op":"kill","peer":"p1"}`, true},
	{"check target", `{"id":33,"op":"check","exercise":"udp-upper","target":["127.0.0.1",9000]}`, true},
	{"check listen", `{"id":34,"op":"check","exercise":"tcp-client","listen":["127.0.0.1",0],"timeout":30}`, true},
	{"run", `{"id":35,"op":"run","code":"print(1)\n","name":"server.py","args":["9000","-v"]}`, true},
	{"stop", `{"id":36,"op":"stop","program":"p1"}`, true},
	{"input", `{"id":37,"op":"input","program":"p1","text":"hi\n","eof":true}`, true},

	// The benchmark's frames, and batches.
	{"hot recvfrom", `{"bufsize":64,"id":1000000,"op":"recvfrom","sock":"s1"}`, true},
	{"hot sendto", `{"addr":["127.0.0.1",52924],"data":{"text":"ping"},"id":1000001,"op":"sendto","sock":"s2"}`, true},
	{"hot batch", hotBatch, true},
	{"batch of one", `[{"id":1,"op":"socket"}]`, true},
	{"batch spaced", " \r\n\t[ {\"id\": 1, \"op\": \"socket\"} ,\n {\"id\": 2, \"op\": \"close\", \"sock\": \"s1\"} ]\n", true},
	{"batch with a bad request", `[{"id":1,"op":"recv","sock":"s1","bufsize":"10"},{"id":2,"op":"close","sock":"s1"}]`, false},
	{"batch with a spaced array id", `[{"id":[1, 2],"op":"socket"},{"id":3,"op":"close"}]`, true},
	{"batch with a spaced target", `[{"id":1,"op":"cancel","target":{"a": 1}},{"id":2,"op":"close"}]`, true},
	{"batch with framing", `[{"id":1,"op":"recv_frame","sock":"s4","framing":{"kind":"fixed","size":16}},{"id":2,"op":"recv","sock":"s4","bufsize":1}]`, true},
	{"empty batch", `[]`, false},
	{"batch of numbers", `[1,2]`, false},
	{"batch with a number", `[{"id":1},2]`, false},
	{"batch with null", `[{"id":1},null]`, false},
	{"batch with a string", `[{"id":1},"x"]`, false},
	{"batch in a batch", `[[{"id":1}]]`, false},
	{"batch unterminated", `[{"id":1}`, false},
	{"batch trailing comma", `[{"id":1},]`, false},

	// Not JSON, or not a request.
	{"malformed", `{"id":1,"op":"socket"`, false},
	{"string", `"socket"`, false},
	{"number", `42`, false},
	{"null", `null`, false},
	{"true", `true`, false},
	{"empty", ``, false},
	{"spaces", " \t\n", false},
	{"empty object", `{}`, true},
	{"trailing comma", `{"id":1,}`, false},
	{"leading zero", `{"id":01}`, false},
	{"bare point", `{"id":1.}`, false},
	{"NaN", `{"id":NaN}`, false},
	{"nan", `{"id":nan}`, false},
	{"Infinity", `{"id":-Infinity}`, false},
	{"plus", `{"id":+1}`, false},
	{"minus", `{"id":-}`, false},
	{"hex number", `{"id":0x10}`, false},
	{"bad escape", `{"id":1,"op":"\x"}`, false},
	{"short unicode escape", `{"id":1,"op":"\u12"}`, false},
	{"control character", "{\"id\":1,\"op\":\"a\tb\"}", false},
	{"control character in key", "{\"i\nd\":1}", false},
	{"tail", `{"id":1}x`, false},
	{"two objects", `{"id":1} {"id":2}`, false},
	{"byte order mark", "\ufeff{\"id\":1}", false},
	{"form feed", "\f{\"id\":1}", false},
	{"single quotes", `{'id':1}`, false},
	{"unquoted key", `{id:1}`, false},
	{"deep", `{"id":1,"addr":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `}`, true},
	{"nested", `{"id":1,"op":"bind","addr":[[["127.0.0.1"]],{"x":[{}]}]}`, true},
	{"invalid UTF-8 outside strings", "{\"id\":1\xff}", false},
	// Cut off inside a token: encoding/json reads a space at the end.
	{"cut literal", `n`, false},
	{"cut true", `{"id":1,"full":tr`, false},
	{"cut minus", `{"id":-`, false},
	{"cut point", `{"id":1.`, false},
	{"cut exponent", `{"id":1e+`, false},
	{"cut escape", `{"id":1,"op":"\`, false},
	{"cut unicode escape", `{"id":1,"op":"\u12`, false},
	{"cut string", `{"id":1,"op":"sock`, false},
	{"cut after key", `{"id"`, false},
	{"too deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), false},
	{"deep enough", `{"id":1,"addr":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`, true},

	// Nulls.
	{"nulls", `{"id":null,"op":null,"sock":null,"family":null,"type":null,"addr":null,"backlog":null,"data":null,"flags":null,"bufsize":null,"level":null,"option":null,"value":null,"timeout":null,"flag":null,"how":null,"target":null,"after":null,"encoding":null,"peer":null,"exercise":null,"listen":null}`, true},
	{"null payload fields", `{"id":1,"op":"send","data":{"text":null,"encoding":null,"hex":null,"base64":null}}`, true},
	{"null framing", `{"id":1,"framing":null,"header":null,"options":null}`, true},
	{"null flag", `{"id":1,"op":"recv","flags":["MSG_PEEK",null]}`, true},
	{"empty payload", `{"id":1,"op":"send","data":{}}`, true},

	// Wrong types.
	{"family a number", `{"id":8,"op":"socket","family":2}`, false},
	{"op a number", `{"id":1,"op":1}`, false},
	{"sock an array", `{"id":1,"op":"close","sock":[]}`, false},
	{"bufsize a string", `{"id":14,"op":"recvfrom","sock":"s1","bufsize":"10"}`, false},
	{"bufsize fractional", `{"id":1,"op":"recv","bufsize":1.5}`, false},
	{"bufsize 1.0", `{"id":1,"op":"recv","bufsize":1.0}`, false},
	{"bufsize 1e3", `{"id":1,"op":"recv","bufsize":1e3}`, false},
	{"bufsize 1E3", `{"id":1,"op":"recv","bufsize":1E3}`, false},
	{"bufsize too big", `{"id":1,"op":"recv","bufsize":99999999999999999999}`, false},
	{"bufsize negative", `{"id":1,"op":"recv","bufsize":-1}`, true},
	{"bufsize -0", `{"id":1,"op":"recv","bufsize":-0}`, true},
	{"bufsize max", `{"id":1,"op":"recv","bufsize":9223372036854775807}`, true},
	{"bufsize min", `{"id":1,"op":"recv","bufsize":-9223372036854775808}`, true},
	{"bufsize an object", `{"id":1,"op":"recv","bufsize":{}}`, false},
	{"bufsize true", `{"id":1,"op":"recv","bufsize":true}`, false},
	{"backlog true", `{"id":1,"op":"listen","backlog":true}`, false},
	{"after too big", `{"id":1,"op":"resume","after":9223372036854775808}`, false},
	{"after negative", `{"id":1,"op":"resume","after":-5}`, true},
	{"after a string", `{"id":1,"op":"resume","after":"5"}`, false},
	{"flag a string", `{"id":1,"op":"setblocking","flag":"yes"}`, false},
	{"flag a number", `{"id":1,"op":"setblocking","flag":1}`, false},
	{"flags a string", `{"id":1,"op":"recv","flags":"MSG_PEEK"}`, false},
	{"flags numbers", `{"id":1,"op":"recv","flags":[1]}`, false},
	{"flags an object", `{"id":1,"op":"recv","flags":{}}`, false},
	{"data a string", `{"id":1,"op":"send","data":"hi"}`, false},
	{"data an array", `{"id":1,"op":"send","data":[1]}`, false},
	{"data true", `{"id":1,"op":"send","data":true}`, false},
	{"text a number", `{"id":1,"op":"send","data":{"text":1}}`, false},
	{"encoding an array", `{"id":1,"op":"send","data":{"text":"a","encoding":[]}}`, false},
	{"unknown payload field", `{"id":1,"op":"send","data":{"text":"a","extra":1}}`, true},
	{"payload key case", `{"id":1,"op":"send","data":{"Text":"a"}}`, true},
	{"framing a string", `{"id":1,"op":"recv_frame","framing":"x"}`, false},
	{"header an array", `{"id":1,"op":"send_frame","header":[]}`, false},
	{"options a number", `{"id":1,"op":"spawn","options":1}`, false},

	// Raw fields keep any JSON.
	{"string id", `{"id":"abc","op":"socket"}`, true},
	{"fractional id", `{"id":1.5,"op":"socket"}`, true},
	{"exponent id", `{"id":1e2,"op":"socket"}`, true},
	{"big id", `{"id":9007199254740993,"op":"socket"}`, true},
	{"bool id", `{"id":true,"op":"socket"}`, true},
	{"array id", `{"id":[1,2],"op":"socket"}`, true},
	{"spaced array id", `{"id":[1, 2],"op":"socket"}`, true},
	{"object target", `{"id":1,"op":"cancel","target":{"id":9}}`, true},
	{"string target", `{"id":1,"op":"cancel","target":"9"}`, true},
	{"value big", `{"id":1,"op":"setsockopt","value":2147483648}`, true},
	{"value string", `{"id":1,"op":"setsockopt","value":"yes"}`, true},
	{"timeout small", `{"id":1,"op":"settimeout","timeout":1e-3}`, true},
	{"addr an object", `{"id":1,"op":"bind","addr":{"host": "127.0.0.1", "port": 1}}`, true},
	{"addr escaped", `{"id":1,"op":"bind","addr":["127.0.0.\u0031",1]}`, true},

	// Keys: encoding/json matches them in any case, and ignores unknown ones.
	{"upper case keys", `{"ID":1,"Op":"socket"}`, true},
	{"exact and folded key", `{"id":1,"OP":"socket","op":"bind"}`, true},
	{"folded key after exact", `{"id":1,"op":"bind","OP":"socket"}`, true},
	{"kelvin sign", `{"id":1,"op":"listen","bac\u212alog":1}`, true},
	{"unknown key", `{"id":1,"op":"socket","unknown":1}`, true},
	{"Echo key", `{"id":1,"op":"socket","Echo":"x"}`, true},
	{"dash key", `{"id":1,"op":"socket","-":1}`, true},
	{"escaped keys", `{"\u0069d":1,"o\u0070":"socket"}`, true},
	{"escaped key surrogates", `{"id":1,"\ud83d\ude00":1}`, true},
	{"lone surrogate key", `{"id":1,"\ud83d":1}`, true},
	{"empty key", `{"id":1,"":1}`, true},

	// Repeated keys: the last wins, objects merge.
	{"repeated id", `{"id":1,"id":2}`, true},
	{"repeated op then null", `{"id":1,"op":"socket","op":null}`, true},
	{"repeated data", `{"id":1,"data":{"text":"a"},"data":{"hex":"00"}}`, true},
	{"repeated text", `{"id":1,"data":{"text":"a","text":"b"}}`, true},
	{"repeated flags", `{"id":1,"flags":["MSG_PEEK"],"flags":[]}`, true},
	{"repeated bufsize then null", `{"id":1,"bufsize":1,"bufsize":null}`, true},

	// Unicode and escapes.
	{"unicode", `{"id":1,"op":"send","data":{"text":"héllo 你好 😀"}}`, true},
	{"escapes", `{"id":1,"op":"send","data":{"text":"line\n\t\"q\" \\ \/ \b\f\r \u0041\u00e9\u4f60\u0000"}}`, true},
	{"surrogate pair", `{"id":1,"op":"send","data":{"text":"\ud83d\ude00!"}}`, true},
	{"surrogate pair upper", `{"id":1,"op":"send","data":{"text":"\uD83D\uDE00"}}`, true},
	{"lone high surrogate", `{"id":1,"op":"send","data":{"text":"\ud83d"}}`, true},
	{"lone high surrogate then text", `{"id":1,"op":"send","data":{"text":"\ud83dabcdefg"}}`, true},
	{"lone low surrogate", `{"id":1,"op":"send","data":{"text":"\ude00"}}`, true},
	{"high surrogate then letter", `{"id":1,"op":"send","data":{"text":"\ud83d\u0041"}}`, true},
	{"high surrogate then escaped backslash", `{"id":1,"op":"send","data":{"text":"\ud83d\\u0041"}}`, true},
	{"two high surrogates", `{"id":1,"op":"send","data":{"text":"\ud83d\ud83d\ude00"}}`, true},
	{"replacement character", `{"id":1,"op":"send","data":{"text":"\ufffd�"}}`, true},
	{"line separator", "{\"id\":1,\"op\":\"send\",\"data\":{\"text\":\"a\u2028b\\u2029\"}}", true},
	{"html", `{"id":1,"op":"send","data":{"text":"<a href='x'>&amp;</a>"}}`, true},
	{"invalid UTF-8 text", "{\"id\":1,\"op\":\"send\",\"data\":{\"text\":\"a\xffb\"}}", true},
	{"invalid UTF-8 op", "{\"id\":1,\"op\":\"sen\xc3\"}", true},
	{"invalid UTF-8 id", "{\"id\":\"\xfe\",\"op\":\"socket\"}", true},
	{"invalid UTF-8 addr", "{\"id\":1,\"op\":\"bind\",\"addr\":[\"\xff\",1]}", true},
	{"invalid UTF-8 flag", "{\"id\":1,\"op\":\"recv\",\"flags\":[\"\xff\"]}", true},
	{"truncated UTF-8 before escape", "{\"id\":1,\"op\":\"send\",\"data\":{\"text\":\"\xc3\\u00a9\"}}", true},
	{"DEL", "{\"id\":1,\"op\":\"send\",\"data\":{\"text\":\"\x7f\"}}", true},

	// Clients that space their JSON (Python's json.dumps).
	{"python", `{"id": 1, "op": "sendto", "sock": "s1", "data": {"text": "hi"}, "addr": ["127.0.0.1", 9000]}`, true},
	{"indented", "{\n  \"id\": 1,\n  \"op\": \"recv\",\n  \"sock\": \"s1\",\n  \"bufsize\": 10,\n  \"flags\": [\n    \"MSG_PEEK\"\n  ]\n}\n", true},

	// Large frames: the echo leaves their data out.
	{"at maxEcho", sendtoOfSize(maxEcho), true},
	{"over maxEcho", sendtoOfSize(maxEcho + 1), true},
	{"large", sendtoOfSize(3 * maxEcho), true},
	{"large batch", "[" + sendtoOfSize(maxEcho-100) + "," + sendtoOfSize(200) + "]", true},
	{"large without data", `{"id":1,"op":"socket","family":"` + strings.Repeat("x", maxEcho) + `"}`, true},
	{"large malformed", sendtoOfSize(2 * maxEcho)[1:], false},
	{"large repeated key", `{"id":1,"id":"<2>",` + sendtoOfSize(maxEcho)[1:], true},
	{"large escaped key", `{"\u0069d":1,"op":"send","data":{"hex":"` + strings.Repeat("ab", maxEcho) + `"},"sock":"s1"}`, true},
	{"large spaced", `{"id": 1, "op": "send", "sock": "s1", "data": {"text": "` + strings.Repeat("a", maxEcho) + `"}, "flags": [ "MSG_OOB" ]}`, true},
	{"large code", `{"id":1,"op":"run","code":"` + strings.Repeat(`print(1)\n`, maxEcho/8) + `","name":"a.py","args":["<x>"]}`, true},
	{"large input", `{"id":1,"op":"input","program":"p1","text":"` + strings.Repeat("y", maxEcho) + `"}`, true},
	{"large batch of large", "[" + sendtoOfSize(2*maxEcho) + "," + sendtoOfSize(3*maxEcho) + "]", true},
}

const hotBatch = `[{"bufsize":64,"id":1000000,"op":"recvfrom","sock":"s1"},{"addr":["127.0.0.1",52924],"data":{"text":"ping"},"id":1000001,"op":"sendto","sock":"s2"}]`

// sendtoOfSize returns a sendto request of n bytes.
func sendtoOfSize(n int) string {
	head, tail := `{"id":1,"op":"sendto","sock":"s1","addr":["127.0.0.1",9000],"data":{"text":"`, `"}}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

func TestDecodeFrame(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			frame := []byte(tc.frame)
			if d := diffDecoded(frame); d != "" {
				t.Errorf("%q: the decoder differs from encoding/json:\n%s", tc.frame, d)
			}
		})
	}
}

// TestDecodeFrameSizes: a frame of maxEcho bytes is echoed whole, a larger
// one without its data.
func TestDecodeFrameSizes(t *testing.T) {
	for _, n := range []int{maxEcho, maxEcho + 1} {
		if got := len(sendtoOfSize(n)); got != n {
			t.Fatalf("sendtoOfSize(%d) has %d bytes", n, got)
		}
	}
	reqs, _ := DecodeFrame([]byte(sendtoOfSize(maxEcho + 1)))
	if !strings.Contains(string(reqs[0].Echo), `"omitted":true`) {
		t.Errorf("echo of a large frame is %.100s…, want its data omitted", reqs[0].Echo)
	}
}

// TestDecodeFrameCopies: what DecodeFrame returns does not share memory with
// the frame, which the transport reuses for the next one.
func TestDecodeFrameCopies(t *testing.T) {
	// A small frame (copied whole) and a large one (copied piece by piece).
	for _, frame := range [][]byte{
		[]byte(`{"id":7,"op":"sendto","sock":"s1","data":{"text":"ping\n"},"addr":["127.0.0.1",9],"flags":["MSG_DONTWAIT"]}`),
		[]byte(`{"id":7,"op":"sendto","sock":"s1","data":{"text":"` + strings.Repeat("p", 2*maxOwned) + `"},"addr":["127.0.0.1",9],"flags":["MSG_DONTWAIT"]}`),
	} {
		reqs, _ := DecodeFrame(frame)
		want, _ := decodeFrameSlow(frame)
		clear(frame)
		for range 10 {
			DecodeFrame([]byte(`{"id":999999,"op":"xxxxxxxxxxxx","sock":"yyyyyyy","data":{"text":"zzzzzzzzz"},"addr":["aaaaaaaaaaa",0],"flags":["bbbbbbbbbbbbbb"]}`))
		}
		if d := diffRequests(reqs[0], want[0]); d != "" {
			t.Errorf("%d bytes: after the frame and parser were reused:\n%s", len(frame), d)
		}
	}
}

// TestDiffRequests: the comparison finds every kind of difference, so a test
// that passes says something.
func TestDiffRequests(t *testing.T) {
	frame := []byte(`{"id":1,"op":"send","sock":"s1","addr":["127.0.0.1",9],"data":{"text":"a"},"flags":["MSG_MORE"],"bufsize":3,"flag":true,"after":4,"target":5}`)
	base, _ := decodeFrameSlow(frame)
	for name, change := range map[string]func(r *Request){
		"string":         func(r *Request) { r.Sock = "s2" },
		"id spacing":     func(r *Request) { r.ID = Raw(" 1") },
		"target":         func(r *Request) { r.Target = Raw("5.0") },
		"addr":           func(r *Request) { r.Addr = NewAddrArg(Raw(`["127.0.0.1",10]`)) },
		"addr escaped":   func(r *Request) { r.Addr = NewAddrArg(Raw(`["127.0.0.\u0031",9]`)) },
		"missing value":  func(r *Request) { r.Value = Raw("null") },
		"echo":           func(r *Request) { r.Echo = append(Raw(" "), r.Echo...) },
		"text":           func(r *Request) { s := "b"; r.Data.Text = &s },
		"hex":            func(r *Request) { s := ""; r.Data.Hex = &s },
		"payload nil":    func(r *Request) { r.Data = nil },
		"flags empty":    func(r *Request) { r.Flags = []string{} },
		"flags nil":      func(r *Request) { r.Flags = nil },
		"bufsize":        func(r *Request) { n := 4; r.Bufsize = &n },
		"flag":           func(r *Request) { r.Flag = nil },
		"after":          func(r *Request) { r.After = nil },
		"header":         func(r *Request) { r.Header = map[string]any{} },
		"framing":        func(r *Request) { r.Framing = &FramingArg{} },
		"invalid UTF-8":  func(r *Request) { r.Op = "send\xff" },
		"encoding empty": func(r *Request) { r.Data.Encoding = "utf-8" },
		"full":           func(r *Request) { r.Full = true },
	} {
		got, _ := decodeFrameSlow(frame)
		change(&got[0])
		if diffRequests(got[0], base[0]) == "" {
			t.Errorf("%s: a changed request compares equal", name)
		}
	}
	if diffErrors(sockets.BadRequest("", "a"), sockets.BadRequest("", "b")) == "" ||
		diffErrors(sockets.BadRequest("", "a"), nil) == "" ||
		diffErrors(&sockets.Error{Kind: sockets.KindLimit, Message: "a"}, sockets.BadRequest("", "a")) == "" {
		t.Error("different errors compare equal")
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.frame))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if d := diffDecoded(frame); d != "" {
			t.Errorf("%q: the decoder differs from encoding/json:\n%s", frame, d)
		}
		if _, d := diffOnePass(frame); d != "" {
			t.Errorf("%q: the one-pass decoder differs from the general one:\n%s", frame, d)
		}
	})
}

// TestDecodeOnePass: the one-pass decoder takes the frames it should (the
// hot ops', spaced ones, unknown keys, fields it reads by reflection) and
// leaves the others (errors, folded keys) to the general decoder, and what
// it takes it decodes exactly as the general decoder does, raw fields'
// spacing and echoes included.
func TestDecodeOnePass(t *testing.T) {
	for _, tc := range decodeCases {
		took, d := diffOnePass([]byte(tc.frame))
		if took != tc.onePass {
			t.Errorf("%s: the one-pass decoder took it: %v, want %v", tc.name, took, tc.onePass)
		}
		if d != "" {
			t.Errorf("%s: %q: the one-pass decoder differs from the general one:\n%s", tc.name, tc.frame, d)
		}
	}
}

// TestPlainEcho: the echoes of the frames clients send are plain (written
// without a second check), one with something to escape or an echo set by
// hand is not; diffDecoded checks that no echo said to be plain is not.
func TestPlainEcho(t *testing.T) {
	for _, tc := range []struct {
		frame string
		plain []bool
	}{
		{hotBatch, []bool{true, true}},
		{`{"id": 1, "op": "recv", "sock": "s1", "bufsize": 10}`, []bool{true}},
		{`{"id":1,"op":"send","data":{"text":"<a href='x'>&amp;</a>"}}`, []bool{false}},
		{"{\"id\":1,\"op\":\"send\",\"data\":{\"text\":\"a\u2028b\"}}", []bool{false}},
		{`{"id":1,"op":"bind","addr":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, []bool{false}},
		{sendtoOfSize(maxEcho + 1), []bool{true}},                                            // shortened, as encoding/json writes it
		{`[{"id":1,"op":"socket"},{"id":2,"op":"recv","bufsize":"x"}]`, []bool{true, false}}, // the general decoder's; a rejected request has no echo
	} {
		reqs, _ := DecodeFrame([]byte(tc.frame))
		for i, r := range reqs {
			if got := r.PlainEcho(); got != tc.plain[i] {
				t.Errorf("%.60q: request %d: PlainEcho %v, want %v (echo %.60q)", tc.frame, i, got, tc.plain[i], r.Echo)
			}
			if r.PlainEcho() {
				if out, err := AppendRaw(nil, r.Echo); err != nil || !bytes.Equal(out, r.Echo) {
					t.Errorf("%.60q: AppendRaw writes the plain echo %q as %q, %v", tc.frame, r.Echo, out, err)
				}
				r.Echo = append(Raw(nil), r.Echo...) // the same bytes, set by hand
				if r.PlainEcho() {
					t.Errorf("%.60q: an echo set by hand is said to be plain", tc.frame)
				}
			}
		}
	}
}

// diffOnePass reports whether the one-pass decoder took frame, and how
// what it decoded differs from the general decoder's requests ("": not at
// all). The two must be identical, field by field and byte by byte.
func diffOnePass(frame []byte) (bool, string) {
	reqs, ok := decodeOnePass(bytes.Clone(frame))
	if !ok {
		return false, ""
	}
	want, bads := decodeGeneral(bytes.Clone(frame))
	if len(reqs) != len(want) {
		return true, fmt.Sprintf("%d requests, want %d", len(reqs), len(want))
	}
	var b strings.Builder
	for i := range reqs {
		if bads[i] != nil {
			fmt.Fprintf(&b, "request %d: taken, but the general decoder rejects it: %v\n", i, bads[i])
		}
		if !reflect.DeepEqual(reqs[i], want[i]) {
			fmt.Fprintf(&b, "request %d:\n%s", i, diffRequestsExactly(reqs[i], want[i]))
		}
	}
	return true, b.String()
}

// diffRequestsExactly is diffRequests with no spacing allowed to differ.
func diffRequestsExactly(got, want Request) string {
	d := diffRequests(got, want)
	for _, name := range []string{"Value", "Timeout", "Listen"} {
		g, w := reflect.ValueOf(got).FieldByName(name).Bytes(), reflect.ValueOf(want).FieldByName(name).Bytes()
		if !bytes.Equal(g, w) || (g == nil) != (w == nil) {
			d += fmt.Sprintf("\t%s: got %q, want %q\n", name, g, w)
		}
	}
	if d == "" {
		d = fmt.Sprintf("\tgot %+v\n\twant %+v\n", got, want)
	}
	return d
}

// diffDecoded describes how DecodeFrame's result for frame differs from
// encoding/json's (decodeFrameSlow), or returns "".
func diffDecoded(frame []byte) string {
	reqs, bads := DecodeFrame(bytes.Clone(frame))
	wantReqs, wantBads := decodeFrameSlow(bytes.Clone(frame))
	if len(reqs) != len(wantReqs) || len(bads) != len(wantBads) {
		return fmt.Sprintf("%d requests and %d errors, want %d and %d", len(reqs), len(bads), len(wantReqs), len(wantBads))
	}
	var b strings.Builder
	for i := range reqs {
		if d := diffRequests(reqs[i], wantReqs[i]); d != "" {
			fmt.Fprintf(&b, "request %d:\n%s", i, d)
		}
		if reqs[i].PlainEcho() && !plainJSON(reqs[i].Echo) {
			fmt.Fprintf(&b, "request %d: its echo %q is said to be plain, and is not\n", i, reqs[i].Echo)
		}
		if d := diffErrors(bads[i], wantBads[i]); d != "" {
			fmt.Fprintf(&b, "request %d: %s\n", i, d)
		}
	}
	return b.String()
}

// Raw fields of Request whose spacing may differ between the two (the
// decoder's old fast path dropped it, and may again); every other field must
// be identical, including the raw id and target, whose text shows in error
// messages, and the address as sent and as read.
var respaced = map[string]bool{"Value": true, "Timeout": true, "Listen": true}

// diffRequests describes how got differs from want field by field, or
// returns "".
func diffRequests(got, want Request) string {
	var b strings.Builder
	got.FillArgs()
	want.FillArgs()
	diffFields(&b, reflect.ValueOf(got), reflect.ValueOf(want))
	diffFields(&b, reflect.ValueOf(got.RareArgs).Elem(), reflect.ValueOf(want.RareArgs).Elem())
	return b.String()
}

// diffFields writes how the fields of the structs gv and wv differ (but
// Request's RareArgs, which diffRequests compares field by field).
func diffFields(b *strings.Builder, gv, wv reflect.Value) {
	for i := range gv.NumField() {
		if !gv.Type().Field(i).IsExported() || gv.Type().Field(i).Name == "RareArgs" { // set by the session, not decoded
			continue
		}
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		same := reflect.DeepEqual(g, w)
		if respaced[name] {
			same = sameJSON(g.(Raw), w.(Raw))
		}
		if !same {
			fmt.Fprintf(b, "\t%s: got %s, want %s\n", name, show(g), show(w))
		}
	}
}

// sameJSON reports whether a and b are the same JSON once compacted: a
// re-encoding may change spaces but not a character of the rest.
func sameJSON(a, b Raw) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// diffErrors compares two rejections by their every field and full text.
func diffErrors(got, want *sockets.Error) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("error %s, want %s", show(got), show(want))
	case *got != *want || got.Error() != want.Error():
		return fmt.Sprintf("error %+v (%q), want %+v (%q)", *got, got.Error(), *want, want.Error())
	}
	return ""
}

// show formats a field's value with what its pointers point to.
func show(v any) string {
	switch v := v.(type) {
	case Raw:
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("%q", []byte(v))
	case []string:
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("%q", v)
	case *Payload:
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("&{Text:%s Encoding:%q Hex:%s Base64:%s}", show(v.Text), v.Encoding, show(v.Hex), show(v.Base64))
	case *string:
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("&%q", *v)
	case AddrArg:
		a, err := v.Get()
		return fmt.Sprintf("%s (%+v, %v)", show(v.Raw), a, err)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "nil"
		}
		return "&" + fmt.Sprintf("%+v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%#v", v)
}

func BenchmarkDecodeFrame(b *testing.B) {
	frames := []struct{ name, frame string }{
		{"batch", hotBatch},
		{"recvfrom", `{"bufsize":64,"id":1000000,"op":"recvfrom","sock":"s1"}`},
		{"sendto", `{"addr":["127.0.0.1",52924],"data":{"text":"ping"},"id":1000001,"op":"sendto","sock":"s2"}`},
	}
	for _, f := range frames {
		frame := []byte(f.frame)
		for _, path := range []struct {
			name   string
			decode func([]byte) ([]Request, []*sockets.Error)
		}{{"encoding_json", decodeFrameSlow}, {"general", decodeGeneral}, {"decoder", DecodeFrame}} {
			b.Run(f.name+"/"+path.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					path.decode(frame)
				}
			})
		}
	}
}

// TestDecodeFrameRandom compares the decoder with encoding/json on random
// requests made of the protocol's keys and values of every JSON type, which
// reach deeper than FuzzDecodeFrame's byte mutations do in a short run.
func TestDecodeFrameRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ok, took := 0, 0
	const n = 3000
	for range n {
		frame := []byte(randomFrame(rng))
		if d := diffDecoded(frame); d != "" {
			t.Fatalf("%q: the decoder differs from encoding/json:\n%s", frame, d)
		}
		onePass, d := diffOnePass(frame)
		if d != "" {
			t.Fatalf("%q: the one-pass decoder differs from the general one:\n%s", frame, d)
		}
		if onePass {
			took++
		}
		if _, bads := DecodeFrame(frame); bads[0] == nil {
			ok++
		}
	}
	// Most random frames hold a value of a wrong type; enough must not,
	// and the one-pass decoder must take most of those.
	if ok < n/10 || took < ok*3/4 {
		t.Errorf("%d frames of %d decoded without an error, %d in one pass", ok, n, took)
	}
}

func randomFrame(rng *rand.Rand) string {
	if rng.IntN(4) > 0 {
		return randomRequest(rng)
	}
	reqs := make([]string, 1+rng.IntN(3))
	for i := range reqs {
		reqs[i] = randomRequest(rng)
	}
	return "[" + strings.Join(reqs, ","+space(rng)) + "]"
}

var randomKeys = []string{
	"id", "op", "sock", "family", "type", "addr", "backlog", "data", "flags", "bufsize", "level", "option",
	"value", "timeout", "flag", "how", "target", "after", "encoding", "peer", "exercise", "listen",
}

func randomRequest(rng *rand.Rand) string {
	var fields []string
	for range rng.IntN(6) {
		key := randomKeys[rng.IntN(len(randomKeys))]
		switch rng.IntN(40) {
		case 0:
			key = strings.ToUpper(key)
		case 1:
			key = `o\u0070`
		case 2:
			key = "framing"
		}
		fields = append(fields, `"`+key+`":`+space(rng)+randomValue(rng, key, 0))
	}
	return "{" + space(rng) + strings.Join(fields, ","+space(rng)) + space(rng) + "}"
}

// randomValue returns a value that is mostly of the type key takes.
func randomValue(rng *rand.Rand, key string, depth int) string {
	if rng.IntN(8) == 0 || depth > 2 {
		return []string{"null", "true", "false", "0", "-1", "1.5", "1e3", `""`, "[]", "{}"}[rng.IntN(10)]
	}
	switch key {
	case "backlog", "bufsize", "after", "id", "target", "value", "timeout":
		return []string{"0", "-0", "7", "-12", "65536", "9223372036854775807", "9223372036854775808", "1.0", "2.5e-3", "1E2", `"5"`}[rng.IntN(11)]
	case "flag":
		return []string{"true", "false"}[rng.IntN(2)]
	case "flags":
		elems := make([]string, rng.IntN(3))
		for i := range elems {
			elems[i] = randomString(rng)
		}
		return "[" + strings.Join(elems, ","+space(rng)) + "]"
	case "addr", "listen":
		return "[" + randomString(rng) + "," + space(rng) + randomValue(rng, "bufsize", depth+1) + "]"
	case "data":
		var fields []string
		for range rng.IntN(3) {
			k := []string{"text", "encoding", "hex", "base64", "Text", "size"}[rng.IntN(6)]
			fields = append(fields, `"`+k+`":`+space(rng)+randomValue(rng, "", depth+1))
		}
		return "{" + strings.Join(fields, ",") + "}"
	}
	return randomString(rng)
}

func randomString(rng *rand.Rand) string {
	pieces := []string{"a", "MSG_PEEK", "é", "你", "😀", `\n`, `\"`, `\\`, `\/`, `\u0041`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00`, `\u0000`, "\xff", "\xc3", " "}
	var b strings.Builder
	b.WriteByte('"')
	for range rng.IntN(4) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	b.WriteByte('"')
	return b.String()
}

func space(rng *rand.Rand) string {
	return []string{"", "", "", " ", "\n  ", "\t"}[rng.IntN(6)]
}

// decodeFrameSlow is DecodeFrame with encoding/json: the reference, as the
// server decoded frames before package protocol had its own decoder.
func decodeFrameSlow(frame []byte) ([]Request, []*sockets.Error) {
	frames := splitBatch(frame)
	if len(frames) > MaxBatch {
		// Refused whole, before any request is decoded: one result, id
		// null, as for a frame that cannot be read.
		return []Request{{}}, []*sockets.Error{sockets.BadRequest("",
			"a batch may hold at most %d requests (limits.batch); this one holds %d, and none of them ran: send them in smaller batches",
			MaxBatch, len(frames))}
	}
	reqs, bads := make([]Request, len(frames)), make([]*sockets.Error, len(frames))
	for i, f := range frames {
		reqs[i], bads[i] = decodeRequestSlow(f)
	}
	return reqs, bads
}

// decodeRequestSlow parses one request with encoding/json. On failure it
// still returns what could be read of the id and op, so the error result can
// name them.
func decodeRequestSlow(frame []byte) (Request, *sockets.Error) {
	var req Request
	err := json.Unmarshal(frame, &req)
	req.FillArgs() // as DecodeFrame does
	if err == nil {
		req.Echo = requestEchoSlow(frame)
		return req, nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		// The decoder names RareArgs' fields as Request's own.
		field := strings.TrimPrefix(typeErr.Field, "RareArgs.")
		return req, sockets.BadRequest("TypeError", "%s must be of JSON type %s, not %s", field, jsonTypeSlow(typeErr.Type.Kind().String()), typeErr.Value)
	}
	// Not an object at all: read what we can.
	var head struct {
		ID Raw    `json:"id"`
		Op string `json:"op"`
	}
	if json.Unmarshal(frame, &head) == nil {
		req.ID, req.Op = head.ID, head.Op
	}
	// The type's name as it was, in package sessions.
	msg := strings.ReplaceAll(err.Error(), "protocol.Request", "sessions.Request")
	return req, sockets.BadRequest("", "malformed request: %s; a request is a JSON object such as {\"id\":1,\"op\":\"socket\",\"type\":\"SOCK_DGRAM\"}", msg)
}

func jsonTypeSlow(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return "object"
}

// requestEchoSlow returns the request to repeat in its result: compacted, and with its
// data (and a long code or text) left out when the frame is large.
func requestEchoSlow(frame []byte) Raw {
	if len(frame) > maxEcho {
		var fields map[string]Raw
		if json.Unmarshal(frame, &fields) != nil {
			return nil
		}
		if _, ok := fields["data"]; ok {
			fields["data"] = Raw(fmt.Sprintf(`{"omitted":true,"size":%d}`, len(frame)))
		}
		// A program's source or input (op run, input) is not repeated either.
		for _, k := range []string{"code", "text"} {
			if v, ok := fields[k]; ok && len(v) > maxEcho/4 {
				fields[k] = Raw(fmt.Sprintf(`{"omitted":true,"size":%d}`, len(v)))
			}
		}
		b, _ := json.Marshal(fields)
		return b
	}
	var b bytes.Buffer
	if json.Compact(&b, frame) != nil {
		return nil
	}
	return b.Bytes()
}

// splitBatch returns the requests of a frame with encoding/json: the
// frame itself, or the elements of a JSON array of requests.
func splitBatch(frame []byte) [][]byte {
	trimmed := bytes.TrimLeft(frame, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{frame}
	}
	var batch []Raw
	if json.Unmarshal(trimmed, &batch) != nil || len(batch) == 0 {
		return [][]byte{frame} // decodeRequest will explain what is wrong
	}
	out := make([][]byte, len(batch))
	for i, r := range batch {
		if len(r) == 0 || r[0] != '{' {
			return [][]byte{frame} // not an array of requests
		}
		out[i] = r
	}
	return out
}

// TestSharedArgs: a request that names no rare field shares the empty
// RareArgs, which OwnArgs never hands out to be written; one that names one
// has its own.
func TestSharedArgs(t *testing.T) {
	reqs, _ := DecodeFrame([]byte(`[{"id":1,"op":"recv","sock":"s1","bufsize":4},{"id":2,"op":"socket","type":"SOCK_DGRAM"}]`))
	if reqs[0].RareArgs != &noArgs || reqs[1].RareArgs == &noArgs || reqs[1].Type != "SOCK_DGRAM" {
		t.Fatalf("RareArgs %p and %p (the shared one %p), type %q", reqs[0].RareArgs, reqs[1].RareArgs, &noArgs, reqs[1].Type)
	}
	a := reqs[0].OwnArgs()
	a.Type, a.Target = "SOCK_STREAM", Raw("7")
	if a == &noArgs || reqs[0].RareArgs != a || !reflect.DeepEqual(noArgs, RareArgs{}) {
		t.Errorf("OwnArgs gave %p (the shared one %p), which the request has: %v; the shared one is %+v", a, &noArgs, reqs[0].RareArgs == a, noArgs)
	}
	var made Request
	made.FillArgs()
	if made.RareArgs != &noArgs || made.Family != "" {
		t.Errorf("FillArgs: %p, want the shared %p", made.RareArgs, &noArgs)
	}
}
