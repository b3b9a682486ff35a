package web_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// TestPolicy: addresses outside the playground's loopback network and
// privileged ports are refused before any system call, with a sentence that
// says what is allowed and which setting widens it; the socket stays usable.
func TestPolicy(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	udp, tcp := c.socket("SOCK_DGRAM"), c.socket("SOCK_STREAM")
	peer := "the playground connects and sends only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"
	for _, tc := range []struct {
		name string
		op   string
		args obj
		want errWant
	}{
		{"sendto link-local metadata", "sendto", obj{"sock": udp, "data": text("hi"), "addr": []any{"169.254.169.254", 80}},
			errWant{typ: "policy", message: peer}},
		{"sendto private network", "sendto", obj{"sock": udp, "data": text("hi"), "addr": []any{"10.0.0.1", 9000}},
			errWant{typ: "policy", message: peer}},
		{"sendto limited broadcast", "sendto", obj{"sock": udp, "data": text("hi"), "addr": []any{"<broadcast>", 9000}},
			errWant{typ: "policy", message: peer}},
		{"connect private network", "connect", obj{"sock": tcp, "addr": []any{"10.0.0.1", 80}},
			errWant{typ: "policy", message: peer}},
		{"bind private network", "bind", obj{"sock": udp, "addr": []any{"10.0.0.1", 9000}},
			errWant{typ: "policy", contains: []string{"loopback addresses (127.0.0.0/8, ::1)", "--allow-net"}}},
		{"bind port 80", "bind", obj{"sock": tcp, "addr": []any{"127.0.0.1", 80}},
			errWant{typ: "policy", message: "the playground binds only to port 0 (any free port) or ports 1024-65535"}},
		{"host name", "sendto", obj{"sock": udp, "data": text("hi"), "addr": []any{"example.com", 80}},
			errWant{typ: "policy", contains: []string{"resolves no host names", "127.0.0.1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer c.use(t)()
			r := c.do(tc.op, tc.args)
			checkError(t, r, tc.want)
			if r.str("sock") != tc.args["sock"] {
				t.Errorf("sock %q, want %q", r.str("sock"), tc.args["sock"])
			}
		})
	}
	// Nothing reached the kernel: neither socket got bound by the refused calls.
	if r := c.must("getsockname", obj{"sock": udp}); !reflect.DeepEqual(r.addr("addr"), wantAddr("0.0.0.0", 0)) {
		t.Errorf("UDP socket's address after refused calls %v, want ('0.0.0.0', 0)", r.addr("addr"))
	}
	// Both sockets still work.
	rx := c.socket("SOCK_DGRAM")
	to := c.bind(rx, "127.0.0.1", 0)
	c.must("sendto", obj{"sock": udp, "data": text("ok"), "addr": to})
	checkData(t, c.must("recvfrom", obj{"sock": rx, "bufsize": 8}), obj{"size": 2, "hex": "6f6b", "text": "ok", "encoding": "utf-8"})
	c.bind(tcp, "127.0.0.1", 0)
	c.must("listen", obj{"sock": tcp})
}

// TestBadInput sends requests that are wrong in every way the protocol
// names. Each gets a failed result with the id echoed when it could be read,
// none closes the connection or touches the session's sockets.
func TestBadInput(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	u := c.socket("SOCK_DGRAM") // s1
	to := c.bind(u, "127.0.0.1", 0)
	addr := fmt.Sprintf(`["127.0.0.1",%d]`, port(to))

	for _, tc := range []struct {
		name   string
		frame  string
		id     any // the id the result must echo (nil for null)
		op     string
		sock   string
		typ    string
		exc    string
		phrase string // a piece of the message
	}{
		{"malformed JSON", `{"id":1,"op":"socket"`, nil, "", "", "bad_request", "", "malformed request"},
		{"JSON array of non-objects", `[1,2]`, nil, "", "", "bad_request", "", "malformed request"},
		{"JSON string", `"socket"`, nil, "", "", "bad_request", "", "malformed request"},
		{"empty object", `{}`, nil, "", "", "bad_request", "", "id is required"},
		{"unknown op", `{"id":3,"op":"frobnicate"}`, 3.0, "frobnicate", "", "bad_request", "", `unknown op "frobnicate"`},
		{"missing op", `{"id":4}`, 4.0, "", "", "bad_request", "", "op is required"},
		{"missing id", `{"op":"socket","type":"SOCK_DGRAM"}`, nil, "socket", "", "bad_request", "", "id is required"},
		{"null id", `{"id":null,"op":"socket","type":"SOCK_DGRAM"}`, nil, "socket", "", "bad_request", "", "id is required"},
		{"string id", `{"id":"abc","op":"socket","type":"SOCK_DGRAM"}`, "abc", "socket", "", "bad_request", "", "id must be an integer"},
		{"fractional id", `{"id":1.5,"op":"socket","type":"SOCK_DGRAM"}`, 1.5, "socket", "", "bad_request", "", "id must be an integer"},
		{"unknown socket", `{"id":5,"op":"recv","sock":"s99","bufsize":10}`, 5.0, "recv", "s99", "bad_request", "", `no socket "s99"`},
		{"unknown family", `{"id":6,"op":"socket","family":"AF_UNIX"}`, 6.0, "socket", "", "bad_request", "", "AF_UNIX"},
		{"unknown type", `{"id":7,"op":"socket","type":"SOCK_RAW"}`, 7.0, "socket", "", "bad_request", "", "SOCK_RAW"},
		{"family not a string", `{"id":8,"op":"socket","family":2}`, 8.0, "socket", "", "bad_request", "TypeError", "family"},
		{"port 70000", `{"id":9,"op":"bind","sock":"s1","addr":["127.0.0.1",70000]}`, 9.0, "bind", "s1", "bad_request", "OverflowError", "port must be 0-65535"},
		{"sendto port -1", `{"id":10,"op":"sendto","sock":"s1","data":{"text":"x"},"addr":["127.0.0.1",-1]}`, 10.0, "sendto", "s1", "bad_request", "OverflowError", "port must be 0-65535"},
		{"addr too short", `{"id":11,"op":"bind","sock":"s1","addr":["127.0.0.1"]}`, 11.0, "bind", "s1", "bad_request", "TypeError", "addr must be"},
		{"addr not an array", `{"id":12,"op":"sendto","sock":"s1","data":{"text":"x"},"addr":"127.0.0.1:9"}`, 12.0, "sendto", "s1", "bad_request", "TypeError", "addr must be"},
		{"negative bufsize", `{"id":13,"op":"recv","sock":"s1","bufsize":-1}`, 13.0, "recv", "s1", "bad_request", "ValueError", "negative buffersize"},
		{"bufsize as a string", `{"id":14,"op":"recvfrom","sock":"s1","bufsize":"10"}`, 14.0, "recvfrom", "s1", "bad_request", "TypeError", "bufsize"},
		{"missing bufsize", `{"id":15,"op":"recv","sock":"s1"}`, 15.0, "recv", "s1", "bad_request", "TypeError", "bufsize"},
		{"bufsize over the limit", `{"id":16,"op":"recv","sock":"s1","bufsize":2097152}`, 16.0, "recv", "s1", "limit", "", "1048576"},
		{"unknown flag", `{"id":17,"op":"recv","sock":"s1","bufsize":10,"flags":["MSG_OOB"]}`, 17.0, "recv", "s1", "bad_request", "", "MSG_OOB"},
		{"text and hex", `{"id":18,"op":"sendto","sock":"s1","data":{"text":"a","hex":"61"},"addr":` + addr + `}`, 18.0, "sendto", "s1", "bad_request", "", "exactly one of text, hex or base64"},
		{"bad hex", `{"id":19,"op":"sendto","sock":"s1","data":{"hex":"zz"},"addr":` + addr + `}`, 19.0, "sendto", "s1", "bad_request", "ValueError", "non-hexadecimal"},
		{"bad base64", `{"id":20,"op":"sendto","sock":"s1","data":{"base64":"***"},"addr":` + addr + `}`, 20.0, "sendto", "s1", "bad_request", "binascii.Error", "base64"},
		{"no data", `{"id":21,"op":"sendto","sock":"s1","addr":` + addr + `}`, 21.0, "sendto", "s1", "bad_request", "", "data is required"},
		{"unknown text encoding", `{"id":22,"op":"sendto","sock":"s1","data":{"text":"a","encoding":"latin-9"},"addr":` + addr + `}`, 22.0, "sendto", "s1", "bad_request", "UnicodeEncodeError", "latin-9"},
		{"unknown option", `{"id":23,"op":"setsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_FOO","value":1}`, 23.0, "setsockopt", "s1", "bad_request", "AttributeError", "SO_FOO"},
		{"wrong level", `{"id":24,"op":"setsockopt","sock":"s1","level":"IPPROTO_TCP","option":"SO_REUSEADDR","value":1}`, 24.0, "setsockopt", "s1", "bad_request", "", "SOL_SOCKET"},
		{"option value a string", `{"id":25,"op":"setsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_REUSEADDR","value":"yes"}`, 25.0, "setsockopt", "s1", "bad_request", "TypeError", "value"},
		{"negative timeout", `{"id":26,"op":"settimeout","sock":"s1","timeout":-1}`, 26.0, "settimeout", "s1", "bad_request", "ValueError", "out of range"},
		{"timeout a string", `{"id":27,"op":"settimeout","sock":"s1","timeout":"soon"}`, 27.0, "settimeout", "s1", "bad_request", "TypeError", "timeout"},
		{"unknown how", `{"id":28,"op":"shutdown","sock":"s1","how":"SHUT_UP"}`, 28.0, "shutdown", "s1", "bad_request", "", "SHUT_UP"},
		{"unknown session encoding", `{"id":29,"op":"encoding","encoding":"latin-1"}`, 29.0, "encoding", "", "bad_request", "LookupError", "latin-1"},
		{"resume without after", `{"id":30,"op":"resume"}`, 30.0, "resume", "", "bad_request", "", "after"},
		{"cancel nothing", `{"id":31,"op":"cancel","target":12345}`, 31.0, "cancel", "", "bad_request", "", "12345"},
		{"listen on UDP", `{"id":32,"op":"listen","sock":"s1"}`, 32.0, "listen", "s1", "os", "OSError", "[Errno 95] Operation not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer c.use(t)()
			c.raw(tc.frame)
			r := c.wait("result", -1)
			if !reflect.DeepEqual(r["id"], tc.id) {
				t.Errorf("id %#v, want %#v", r["id"], tc.id)
			}
			if _, ok := r["id"]; !ok {
				t.Errorf("result has no id field, want %#v", tc.id)
			}
			if r.str("op") != tc.op {
				t.Errorf("op %q, want %q", r.str("op"), tc.op)
			}
			if r.str("sock") != tc.sock {
				t.Errorf("sock %q, want %q", r.str("sock"), tc.sock)
			}
			e := r.obj("error")
			if r["ok"] != false || e.str("type") != tc.typ || e.str("exception") != tc.exc || !strings.Contains(e.str("message"), tc.phrase) {
				t.Errorf("ok %v error %v, want false, type %q, exception %q, message with %q", r["ok"], e, tc.typ, tc.exc, tc.phrase)
			}
		})
	}
	t.Run("binary frame", func(t *testing.T) {
		defer c.use(t)()
		if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte(`{"id":40,"op":"socket"}`)); err != nil {
			t.Fatal(err)
		}
		r := c.wait("result", -1)
		if r["id"] != nil || r["ok"] != false || r.obj("error").str("type") != "bad_request" {
			t.Errorf("got %v, want a failed result with id null and error.type bad_request", r)
		}
	})

	// The session is intact: s1 still sends and receives, and the next
	// socket is s2 (no bad request created one).
	c.must("sendto", obj{"sock": u, "data": text("alive"), "addr": to})
	checkData(t, c.must("recvfrom", obj{"sock": u, "bufsize": 10}),
		obj{"size": 5, "hex": "616c697665", "text": "alive", "encoding": "utf-8"})
	if h := c.socket("SOCK_STREAM"); h != "s2" {
		t.Errorf("next socket %q, want s2", h)
	}
}

// TestReusedID: an id that is still waiting cannot be used again, by a
// waiting op or an immediate one; the waiting request is unaffected.
func TestReusedID(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	u := c.socket("SOCK_DGRAM")
	to := c.bind(u, "127.0.0.1", 0)
	const id = 77
	c.sendID(id, "recvfrom", obj{"sock": u, "bufsize": 100})
	c.wait("waiting", id)
	for _, tc := range []struct {
		op   string
		args obj
	}{
		{"recvfrom", obj{"sock": u, "bufsize": 100}},
		{"getsockname", obj{"sock": u}},
		{"socket", obj{"type": "SOCK_DGRAM"}},
		{"close", obj{"sock": u}},
	} {
		t.Run(tc.op, func(t *testing.T) {
			defer c.use(t)()
			c.sendID(id, tc.op, tc.args)
			r := c.wait("result", id)
			if r.str("op") != tc.op {
				t.Fatalf("result for op %q, want the refusal of %q (%v)", r.str("op"), tc.op, r)
			}
			checkError(t, r, errWant{typ: "bad_request", contains: []string{"still waiting"}})
		})
	}
	// The recvfrom still waits and still works; its socket was not closed.
	// The recvfrom may finish before the sendto reports: wait for both.
	send := c.send("sendto", obj{"sock": u, "data": text("late"), "addr": to})
	rs := c.results(send, id)
	if !rs[send].ok() {
		t.Fatalf("sendto: %v", rs[send])
	}
	r := rs[id]
	if r.str("op") != "recvfrom" || !r.ok() {
		t.Fatalf("result %v, want the recvfrom's success", r)
	}
	checkData(t, r, obj{"size": 4, "hex": "6c617465", "text": "late", "encoding": "utf-8"})
	// Once finished, the id may be used again.
	c.sendID(id, "getsockname", obj{"sock": u})
	if r := c.wait("result", id); !r.ok() || !reflect.DeepEqual(r.addr("addr"), to) {
		t.Errorf("getsockname with a finished id: %v, want ok and %v", r, to)
	}
}

// TestLimits: a session holds at most MaxSockets open sockets and MaxData
// bytes per request; closing a socket makes room.
func TestLimits(t *testing.T) {
	srv := newServer(t, sessions.Config{MaxSockets: 3, MaxData: 16})
	c := srv.dial(t)
	if l := c.hello.obj("limits"); l.num("sockets") != 3 || l.num("data") != 16 || l.num("log") != 10000 || l.num("bufsize") != 1<<20 {
		t.Errorf("hello limits %v, want sockets 3, data 16, log 10000, bufsize 1048576", l)
	}
	socks := []string{c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM"), c.socket("SOCK_STREAM")}
	r := c.do("socket", obj{"type": "SOCK_DGRAM"})
	checkError(t, r, errWant{typ: "limit", message: "a session may have at most 3 open sockets"})

	to := c.bind(socks[0], "127.0.0.1", 0)
	r = c.do("sendto", obj{"sock": socks[1], "data": text("0123456789abcdefX"), "addr": to})
	checkError(t, r, errWant{typ: "limit", message: "data is limited to 16 bytes per request here"})
	c.must("sendto", obj{"sock": socks[1], "data": text("0123456789abcdef"), "addr": to})

	c.must("close", obj{"sock": socks[2]})
	if h := c.socket("SOCK_DGRAM"); h != "s4" {
		t.Errorf("socket after a close: %q, want s4", h)
	}
	checkError(t, c.do("socket", obj{}), errWant{typ: "limit", message: "a session may have at most 3 open sockets"})
}
