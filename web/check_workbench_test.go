package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"sockplay/sessions"
)

// The learner's programs of every exercise, correct and typically wrong,
// written as workbench requests over one WebSocket session: page sockets
// that the test drives in answer to the checker's traffic, as a learner
// clicking (quickly) or a page script would. Each check's result must be a
// pass, or a fail at the expected step with the expected advice.

// wbFail is what a wrong program's failed step must be: n and name and
// advice exactly, and received must contain every piece of received.
type wbFail struct {
	n        int
	name     string
	advice   string
	received []string
}

// wbCase is one program against one exercise. For a server-role exercise,
// serve makes the learner's server and returns its address, the check's
// target; for a client-role one (serve nil) the check listens on port 0.
// play then acts the program's part, given the target (server role) or
// where the checker listens (client role). fail nil means the check must
// pass.
type wbCase struct {
	name, exercise string
	serve          func(c *client) (sock string, addr []any)
	play           func(t *testing.T, c *client, sock string, addr []any)
	fail           *wbFail
}

// checkResult returns the result of check id, seen already or coming.
func (c *client) checkResult(id int) msg {
	c.t.Helper()
	ok := func(m msg) bool { return m.str("kind") == "result" && m["id"] != nil && m.num("id") == id }
	if ms := c.find(ok); len(ms) > 0 {
		return ms[0]
	}
	for {
		if m := c.next(); ok(m) {
			return m
		}
	}
}

// runWorkbenchChecks runs each case as a subtest on one session.
func runWorkbenchChecks(t *testing.T, cases []wbCase) {
	runWorkbenchChecksOn(t, newServer(t, sessions.Config{}).dial(t), cases)
}

// runWorkbenchChecksOn runs each case as a subtest on c's session.
func runWorkbenchChecksOn(t *testing.T, c *client, cases []wbCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer c.use(t)()
			var sock string
			var addr []any
			args := obj{"exercise": tc.exercise, "timeout": 30}
			if tc.serve != nil {
				sock, addr = tc.serve(c)
				args["target"] = addr
			} else {
				args["listen"] = []any{"127.0.0.1", 0}
			}
			id := c.send("check", args)
			if tc.serve == nil {
				addr = c.checkEvent(id, "listening").addr("addr")
			}
			tc.play(t, c, sock, addr)
			r := c.checkResult(id)
			if !r.ok() || r.str("exercise") != tc.exercise {
				t.Fatalf("check: %v, want ok for %s", r, tc.exercise)
			}
			if tc.fail == nil {
				if r["pass"] != true || r["failed"] != nil || r.str("summary") == "" {
					t.Fatalf("check: pass %v, want a pass\n%s", r["pass"], r.str("verdict"))
				}
				return
			}
			if r["pass"] != false {
				t.Fatalf("check: pass %v, want a fail\n%s", r["pass"], r.str("verdict"))
			}
			f := failedStep(t, r)
			if f.num("n") != tc.fail.n || f.str("name") != tc.fail.name || f["pass"] != false {
				t.Errorf("failed step %d (%s), want %d (%s)\n%s", f.num("n"), f.str("name"), tc.fail.n, tc.fail.name, r.str("verdict"))
			}
			if f.str("advice") != tc.fail.advice {
				t.Errorf("advice\n got %q\nwant %q", f.str("advice"), tc.fail.advice)
			}
			for _, part := range tc.fail.received {
				if !strings.Contains(f.str("received"), part) {
					t.Errorf("received %q, want it to contain %q", f.str("received"), part)
				}
			}
			if want := fmt.Sprintf("FAIL %s at step %d (%s): ", tc.exercise, tc.fail.n, tc.fail.name); !strings.HasPrefix(r.str("verdict"), want) {
				t.Errorf("verdict %q, want it to start %q", r.str("verdict"), want)
			}
		})
	}
}

// rawData returns the bytes of a data object from the server.
func rawData(t *testing.T, d msg) []byte {
	t.Helper()
	b, err := hex.DecodeString(d.str("hex"))
	if err != nil || len(b) != d.num("size") {
		t.Fatalf("data %v: hex %v, %d bytes for size %d", d, err, len(b), d.num("size"))
	}
	return b
}

func hexData(b []byte) obj { return obj{"hex": hex.EncodeToString(b)} }

// udpServer binds a page UDP socket on host, port 0.
func udpServer(host string) func(c *client) (string, []any) {
	return func(c *client) (string, []any) {
		u := c.socket("SOCK_DGRAM")
		return u, c.bind(u, host, 0)
	}
}

// tcpServer makes a listening page TCP socket on 127.0.0.1, port 0.
func tcpServer(c *client) (string, []any) {
	l := c.socket("SOCK_STREAM")
	a := c.bind(l, "127.0.0.1", 0)
	c.must("listen", obj{"sock": l})
	return l, a
}

// udpAnswer plays n rounds of recvfrom, then sendto(reply(data), addr).
func udpAnswer(n int, reply func([]byte) []byte) func(*testing.T, *client, string, []any) {
	return func(t *testing.T, c *client, u string, _ []any) {
		for i := 0; i < n; i++ {
			got := c.must("recvfrom", obj{"sock": u, "bufsize": 2048})
			c.must("sendto", obj{"sock": u, "data": hexData(reply(rawData(t, got.obj("data")))), "addr": got.addr("addr")})
		}
		c.must("close", obj{"sock": u})
	}
}

// accept accepts a connection on listener l and returns its handle.
func accept(c *client, l string) string {
	c.t.Helper()
	return c.must("accept", obj{"sock": l}).str("conn")
}

// echoUntilEOF echoes what k receives until the peer closes, then closes k.
func echoUntilEOF(t *testing.T, c *client, k string) {
	t.Helper()
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatalf("still echoing on %s after 100 recv calls", k)
		}
		r := c.do("recv", obj{"sock": k, "bufsize": 65536})
		if !r.ok() || r.obj("data").num("size") == 0 {
			break
		}
		c.must("sendall", obj{"sock": k, "data": hexData(rawData(t, r.obj("data")))})
	}
	c.must("close", obj{"sock": k})
}

// echoLine receives on k up to a newline and echoes it.
func echoLine(t *testing.T, c *client, k string) {
	t.Helper()
	var line []byte
	for i := 0; !bytes.HasSuffix(line, []byte("\n")); i++ {
		if i == 100 {
			t.Fatalf("no newline on %s after 100 recv calls: %q", k, line)
		}
		d := c.must("recv", obj{"sock": k, "bufsize": 4096}).obj("data")
		if d.num("size") == 0 {
			t.Fatalf("%s closed before a whole line came (%q)", k, line)
		}
		line = append(line, rawData(t, d)...)
	}
	c.must("sendall", obj{"sock": k, "data": hexData(line)})
}

var (
	lengthFramingArg = obj{"kind": "length", "format": "!I"}
	headerFramingArg = obj{"kind": "json_header", "format": "!I"}
)

// tcpClientPlay connects to the checker, greets, reads the number and
// answers answer(n), then closes.
// The number the checker asked is left in *asked.
func tcpClientPlay(asked *int, answer func(int) int) func(*testing.T, *client, string, []any) {
	return func(t *testing.T, c *client, _ string, la []any) {
		k := c.socket("SOCK_STREAM")
		c.must("connect", obj{"sock": k, "addr": la})
		c.must("sendall", obj{"sock": k, "data": text("HELLO Ada\n")})
		var number string
		for i := 0; !strings.HasSuffix(number, "\n"); i++ {
			d := c.must("recv", obj{"sock": k, "bufsize": 64}).obj("data")
			if d.num("size") == 0 || i == 64 {
				t.Fatalf("no whole number from the checker (%q)", number)
			}
			number += d.str("text")
		}
		n, err := strconv.Atoi(strings.TrimSpace(number))
		if err != nil {
			t.Fatalf("the checker sent %q, not a number", number)
		}
		*asked = n
		c.must("sendall", obj{"sock": k, "data": text(strconv.Itoa(answer(n)) + "\n")})
		c.must("close", obj{"sock": k})
	}
}

// The file-transfer upload: a 70,000-byte file put in 8,192-byte pieces.
var (
	ftData = func() []byte {
		b := make([]byte, 70000)
		for i := range b {
			b[i] = byte(i*7 + i/251)
		}
		return b
	}()
	ftFile = "data.bin"
)

// ftRequest sends one request on k and returns the reply's header, or nil
// when the connection broke (on the send or while waiting for the reply).
func ftRequest(c *client, k string, header obj, body []byte) msg {
	c.t.Helper()
	if r := c.do("send_frame", obj{"sock": k, "framing": headerFramingArg, "header": header, "data": hexData(body)}); !r.ok() {
		return nil
	}
	r := c.do("recv_frame", obj{"sock": k, "framing": headerFramingArg})
	if !r.ok() {
		return nil
	}
	return r.obj("header")
}

// ftPlay uploads ftData until the checker breaks the connection, then
// connects again, asks the size and puts from resume(size), then sends
// done. It returns early when a request after the break fails (the
// checker's verdict says why).
func ftPlay(resume func(size int) int) func(*testing.T, *client, string, []any) {
	return func(t *testing.T, c *client, _ string, la []any) {
		// putAll puts from off to the end; false when the connection broke.
		putAll := func(k string, off int) bool {
			for i := 0; off < len(ftData); i++ {
				if i == 20 {
					t.Fatalf("upload not done after 20 puts")
				}
				end := min(off+8192, len(ftData))
				h := ftRequest(c, k, obj{"cmd": "put", "filename": ftFile, "offset": off}, ftData[off:end])
				if h == nil || h.str("status") != "ok" {
					return false
				}
				off = h.num("size")
			}
			return true
		}
		k := c.socket("SOCK_STREAM")
		c.must("connect", obj{"sock": k, "addr": la})
		if putAll(k, 0) {
			t.Fatalf("the whole file went up without a break")
		}
		c.must("close", obj{"sock": k})

		k = c.socket("SOCK_STREAM")
		c.must("connect", obj{"sock": k, "addr": la})
		h := ftRequest(c, k, obj{"cmd": "size", "filename": ftFile}, nil)
		if h == nil || h.str("status") != "ok" {
			t.Fatalf("size after the break: %v", h)
		}
		if putAll(k, resume(h.num("size"))) {
			sum := sha256.Sum256(ftData)
			if h := ftRequest(c, k, obj{"cmd": "done", "filename": ftFile, "sha256": hex.EncodeToString(sum[:])}, nil); h == nil || h.str("status") != "ok" {
				t.Errorf("done: %v", h)
			}
		}
		c.must("close", obj{"sock": k})
	}
}

// TestCheckWorkbenchServers: the server-role exercises, each with a correct
// program and a typical wrong one made of page sockets.
func TestCheckWorkbenchServers(t *testing.T) {
	perRecv := &wbFail{n: 2, name: "three frames in one send", // received gets the number answered
		advice: "that is only the first number: all three frames came in one send, so one recv() may hold them all; read the frames one by one by their lengths"}
	boundOne := &wbFail{n: 1, name: "broadcast 1", // advice gets the port
		received: []string{"nothing came within 2 s to the broadcast; the datagram sent straight to ", "was answered with b'here'"}}
	cases := []wbCase{
		{name: "udp-upper ok", exercise: "udp-upper", serve: udpServer("127.0.0.1"),
			play: udpAnswer(3, bytes.ToUpper)},
		{name: "udp-upper unchanged", exercise: "udp-upper", serve: udpServer("127.0.0.1"),
			play: udpAnswer(1, func(b []byte) []byte { return b }),
			fail: &wbFail{n: 1, name: "datagram 1", received: []string{"b'Hello, UDP! "},
				advice: "your server sent the datagram back unchanged: reply with data.upper()"}},

		{name: "tcp-echo ok", exercise: "tcp-echo", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				echoUntilEOF(t, c, accept(c, l))
				echoUntilEOF(t, c, accept(c, l))
				c.must("close", obj{"sock": l})
			}},
		{name: "tcp-echo once", exercise: "tcp-echo", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				k := accept(c, l)
				c.must("close", obj{"sock": l}) // one client is all it serves
				echoUntilEOF(t, c, k)
			},
			fail: &wbFail{n: 4, name: "second connection", received: []string{"ConnectionRefusedError"},
				advice: "your server must keep accepting after its first client"}},

		{name: "tcp-multi ok", exercise: "tcp-multi", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				a, b := accept(c, l), accept(c, l) // A connects first
				echoLine(t, c, a)
				echoLine(t, c, b)
				echoLine(t, c, b)
				echoLine(t, c, a)
				echoUntilEOF(t, c, a)
				echoUntilEOF(t, c, b)
				c.must("close", obj{"sock": l})
			}},
		{name: "tcp-multi one at a time", exercise: "tcp-multi", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				echoUntilEOF(t, c, accept(c, l)) // B waits in the backlog
				c.must("close", obj{"sock": l})
			},
			fail: &wbFail{n: 3, name: "round 1, B's echo", received: []string{"(client A is still connected)"},
				advice: "while one client is connected your server must serve the other too: run each connection in its own thread (or use selectors)"}},

		{name: "framed-sum ok", exercise: "framed-sum", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				k := accept(c, l)
				sum := 0
				for i := 0; i < 3; i++ {
					body := c.must("recv_frame", obj{"sock": k, "framing": lengthFramingArg}).obj("data").str("text")
					n, err := strconv.Atoi(body)
					if err != nil {
						t.Fatalf("frame %d: %q", i+1, body)
					}
					sum += n
				}
				c.must("send_frame", obj{"sock": k, "framing": lengthFramingArg, "data": text(strconv.Itoa(sum))})
				echoUntilEOF(t, c, k) // until the checker closes
				c.must("close", obj{"sock": l})
			}},
		{name: "framed-sum per recv", exercise: "framed-sum", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				k := accept(c, l)
				// One recv taken for one message: its first frame's number
				// is all it adds up.
				got := rawData(t, c.must("recv", obj{"sock": k, "bufsize": 1024}).obj("data"))
				if len(got) < 4 || len(got) < 4+int(binary.BigEndian.Uint32(got)) {
					t.Fatalf("the first recv holds %q, not a whole frame", got)
				}
				first := string(got[4 : 4+binary.BigEndian.Uint32(got)])
				perRecv.received = []string{"(body b'" + first + "')"}
				c.must("send_frame", obj{"sock": k, "framing": lengthFramingArg, "data": text(first)})
				c.must("close", obj{"sock": k})
				c.must("close", obj{"sock": l})
			},
			fail: perRecv},

		{name: "json-header ok", exercise: "json-header", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				k := accept(c, l)
				for i := 0; i < 2; i++ {
					r := c.must("recv_frame", obj{"sock": k, "framing": headerFramingArg})
					if r.obj("header").str("cmd") != "upper" {
						t.Errorf("request %d header %v, want cmd upper", i+1, r.obj("header"))
					}
					body := rawData(t, r.obj("data"))
					c.must("send_frame", obj{"sock": k, "framing": headerFramingArg, "header": obj{"status": "ok"}, "data": hexData(bytes.ToUpper(body))})
				}
				echoUntilEOF(t, c, k) // until the checker closes
				c.must("close", obj{"sock": l})
			}},
		{name: "json-header unframed", exercise: "json-header", serve: tcpServer,
			play: func(t *testing.T, c *client, l string, _ []any) {
				k := accept(c, l)
				body := rawData(t, c.must("recv_frame", obj{"sock": k, "framing": headerFramingArg}).obj("data"))
				c.must("sendall", obj{"sock": k, "data": hexData(bytes.ToUpper(body))}) // no prefix, no header
				echoUntilEOF(t, c, k)
				c.must("close", obj{"sock": l})
			},
			fail: &wbFail{n: 2, name: "first request", received: []string{"b'JSON HEADERS: HELLO, WORLD! ", "its first 4 bytes, b'JSON', read as a '!I' length, announce a 1246973774-byte header"},
				advice: "frame your reply like the request: struct.pack('!I', len(header)) + header + body, with \"data_size\" in the JSON header"}},

		{name: "udp-broadcast ok", exercise: "udp-broadcast",
			serve: func(c *client) (string, []any) {
				u, a := udpServer("")(c) // bound as ('0.0.0.0', P): the target is the broadcast address
				return u, []any{"127.255.255.255", a[1]}
			},
			play: udpAnswer(2, func([]byte) []byte { return []byte("here") })},
		{name: "udp-broadcast bound to 127.0.0.1", exercise: "udp-broadcast",
			serve: func(c *client) (string, []any) {
				u, a := udpServer("127.0.0.1")(c)
				boundOne.advice = fmt.Sprintf("your socket is bound to one address, so it misses broadcasts: bind it to ('', %d)", port(a))
				return u, a
			},
			// Only the checker's probe, sent straight to it, arrives.
			play: udpAnswer(1, func([]byte) []byte { return []byte("here") }),
			fail: boundOne},
	}
	runWorkbenchChecks(t, cases)
}

// TestCheckWorkbenchClients: the client-role exercises, each with a correct
// program and a typical wrong one made of page sockets.
func TestCheckWorkbenchClients(t *testing.T) {
	var n int
	answersN := &wbFail{n: 3, name: "the answer"} // received and advice get the number
	runWorkbenchChecks(t, []wbCase{
		{name: "tcp-client ok", exercise: "tcp-client", play: tcpClientPlay(&n, func(n int) int { return 2 * n })},
		{name: "tcp-client answers N", exercise: "tcp-client",
			play: func(t *testing.T, c *client, s string, la []any) {
				tcpClientPlay(&n, func(n int) int { return n })(t, c, s, la)
				answersN.received = []string{fmt.Sprintf("b'%d\\n'", n)}
				answersN.advice = fmt.Sprintf("that is the number itself: send twice it, b'%d\\n'", 2*n)
			},
			fail: answersN},

		{name: "file-transfer ok", exercise: "file-transfer", play: ftPlay(func(size int) int { return size })},
		{name: "file-transfer resumes from 0", exercise: "file-transfer", play: ftPlay(func(int) int { return 0 }),
			fail: &wbFail{n: 5, name: "resume", received: []string{`"offset":0`, `while "data.bin" has 20000 bytes`},
				advice: "your client started over from offset 0: continue from the size the server reported after the break (20000)"}},
	})
}
