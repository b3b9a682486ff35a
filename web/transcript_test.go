package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/programs"
	pylib "sockplay/sessions/python"
	"sockplay/templates/i18n"
	"sockplay/web"
)

// transcriptOf is the workbench's transcript of msgs (a session's messages
// in seq order), as static/js/pyprogram.js writes it: testdata/transcript.mjs
// run by node. Without node the test is skipped, except on CI.
func transcriptOf(t *testing.T, msgs []msg) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is needed to run the transcript's JavaScript: %v", err)
		}
		t.Skipf("no node: %v", err)
	}
	in, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	defer cancel()
	catalog, err := json.Marshal(i18n.JSCatalog(i18n.EN))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, "--experimental-default-type=module", "testdata/transcript.mjs")
	cmd.Env = append(os.Environ(), "SOCKPLAY_I18N="+string(catalog))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transcript.mjs: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// recvLine is a transcript line that receives: its variables and socket.
var recvLine = regexp.MustCompile(`^data(?:, addr)? = (?:(s\d+)\.(?:recv|recvfrom)\(|recv_(?:exactly|until)\((s\d+), )`)

// instrumented is the transcript with each receive followed by a print
// of what it got: "RECV s3 68656c6c6f".
func instrumented(src string) string {
	var prog strings.Builder
	for _, line := range strings.Split(src, "\n") {
		prog.WriteString(line + "\n")
		if m := recvLine.FindStringSubmatch(line); m != nil {
			fmt.Fprintf(&prog, "print('RECV', %q, data.hex(), flush=True)\n", m[1]+m[2])
		}
	}
	return prog.String()
}

// recvsOf reads what an instrumented transcript printed: what each socket
// received, in order (hex).
func recvsOf(out string) map[string][]string {
	got := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "RECV" {
			got[f[1]] = append(got[f[1]], strings.Join(f[2:], ""))
		}
	}
	return got
}

// runTranscript runs the transcript with CPython in the test's network
// and returns what each socket received (recvsOf). A transcript that
// fails or never ends fails the test.
func runTranscript(t *testing.T, src string) map[string][]string {
	t.Helper()
	p := startPython(t, instrumented(src))
	var out bytes.Buffer
	out.ReadFrom(p.out)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("the transcript does not run: %v\n--- transcript\n%s--- stderr\n%s", err, src, p.stderr.String())
	}
	return recvsOf(out.String())
}

// runTranscriptOp runs the transcript through op run in page's session,
// on sockplay's socket module, and returns what each socket received.
func runTranscriptOp(t *testing.T, page *client, src string) map[string][]string {
	t.Helper()
	r := page.must("run", map[string]any{"code": instrumented(src), "name": "transcript.py"})
	stdout, stderr, exit := page.programOutput(r.str("program"))
	if exit.num("code") != 0 || exit.str("reason") != "" {
		t.Fatalf("the transcript's run: %v\n--- transcript\n%s--- stderr\n%s", exit, src, stderr)
	}
	return recvsOf(stdout)
}

// received is what each socket's successful receives (recv_frame's
// message bodies too) got in msgs (hex).
func received(msgs []msg) map[string][]string {
	got := map[string][]string{}
	for _, m := range msgs {
		if op := m.str("op"); m.str("kind") == "result" && m.ok() && (op == "recv" || op == "recvfrom" || op == "recv_frame") {
			got[m.str("sock")] = append(got[m.str("sock")], m.dataHex())
		}
	}
	return got
}

// codeOf is a transcript without its comments (none of its payloads holds
// a # here).
func codeOf(src string) string {
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		code, _, _ := strings.Cut(line, "#")
		b.WriteString(code + "\n")
	}
	return b.String()
}

// swapped is msgs with the result of id a moved to just before the result
// of id b (or b's before a's, whichever came later): the other order of
// two calls that finished at once.
func swapped(msgs []msg, a, b int) []msg {
	ia, ib := -1, -1
	for i, m := range msgs {
		if m.str("kind") == "result" {
			switch m.num("id") {
			case a:
				ia = i
			case b:
				ib = i
			}
		}
	}
	if ia < 0 || ib < 0 {
		return nil
	}
	first, later := min(ia, ib), max(ia, ib)
	out := slices.Clone(msgs)
	moved := out[later]
	copy(out[first+1:later+1], out[first:later])
	out[first] = moved
	return out
}

// TestTranscriptRuns replays a workbench session through a real WebSocket
// (an accept that waits for a later connect, a recv that waits for a later
// send, a UDP exchange on ports the kernel chose, framed messages with a
// recv_frame that waits for its send_frame), takes its transcript and
// runs it with CPython, then through op run on sockplay's module: it runs
// to the end and every socket receives what it received in the session. The ports the kernel chose appear only in
// comments. The same holds with the results of calls that finished at
// once in the other order (an accept's before its connect's, a recv's
// before its send's, a recv_frame's before its send_frame's). A session
// that spawns built-in peers (peerSession) gets sockplay.spawn and
// sockplay.kill lines and runs through op run the same way (not on plain
// CPython: it needs sockplay's module).
func TestTranscriptRuns(t *testing.T) {
	ts := newServer(t, sessions.Config{})
	page := ts.dial(t)
	var ports []int

	// TCP: accept waits, then connect; recv waits, then send.
	s1 := page.socket("SOCK_STREAM")
	ports = append(ports, int(page.bind(s1, "127.0.0.1", 0)[1].(float64)))
	page.must("listen", obj{"sock": s1, "backlog": 5})
	s2 := page.socket("SOCK_STREAM")
	accept := page.send("accept", obj{"sock": s1})
	page.wait("waiting", accept)
	connect := page.send("connect", obj{"sock": s2, "addr": []any{"127.0.0.1", ports[0]}})
	s3 := page.results(accept, connect)[accept].str("conn")
	recv := page.send("recv", obj{"sock": s3, "bufsize": 100})
	page.wait("waiting", recv)
	send := page.send("send", obj{"sock": s2, "data": text("hello, server")})
	page.results(recv, send)
	page.must("sendall", obj{"sock": s3, "data": text("HELLO, CLIENT")})
	page.must("recv", obj{"sock": s2, "bufsize": 100})
	for _, s := range []string{s3, s2, s1} {
		page.must("close", obj{"sock": s})
	}

	// UDP: the sender's port is one the kernel chose on its first sendto.
	u1 := page.socket("SOCK_DGRAM")
	ports = append(ports, int(page.bind(u1, "127.0.0.1", 0)[1].(float64)))
	u2 := page.socket("SOCK_DGRAM")
	recvfrom := page.send("recvfrom", obj{"sock": u1, "bufsize": 1024})
	page.wait("waiting", recvfrom)
	sendto := page.send("sendto", obj{"sock": u2, "data": text("ping"), "addr": []any{"127.0.0.1", ports[1]}})
	from := page.results(recvfrom, sendto)[recvfrom].addr("addr")
	ports = append(ports, int(from[1].(float64)))
	page.must("sendto", obj{"sock": u1, "data": text("pong"), "addr": from})
	page.must("recvfrom", obj{"sock": u2, "bufsize": 1024})
	page.must("close", obj{"sock": u1})
	page.must("close", obj{"sock": u2})

	// Framed messages on a connection accepted after its connect: a
	// recv_frame that waits for its send_frame, a delimited line, a JSON
	// header, and the end of the stream after a shutdown.
	l := page.socket("SOCK_STREAM")
	ports = append(ports, int(page.bind(l, "127.0.0.1", 0)[1].(float64)))
	page.must("listen", obj{"sock": l})
	c := page.socket("SOCK_STREAM")
	page.must("connect", obj{"sock": c, "addr": []any{"127.0.0.1", ports[3]}})
	a := page.must("accept", obj{"sock": l}).str("conn")
	length := obj{"kind": "length", "format": "!I"}
	recvFrame := page.send("recv_frame", obj{"sock": a, "framing": length})
	page.wait("waiting", recvFrame)
	sendFrame := page.send("send_frame", obj{"sock": c, "framing": length, "data": text("framed hello")})
	page.results(recvFrame, sendFrame)
	line := obj{"kind": "delimiter", "delimiter": text("\n")}
	page.must("send_frame", obj{"sock": c, "framing": line, "data": text("line one")})
	page.must("recv_frame", obj{"sock": a, "framing": line})
	header := obj{"kind": "json_header", "format": "i"}
	page.must("send_frame", obj{"sock": c, "framing": header, "data": text("file body"), "header": obj{"name": "f.txt"}})
	page.must("recv_frame", obj{"sock": a, "framing": header})
	page.must("shutdown", obj{"sock": c, "how": "SHUT_WR"})
	page.must("recv", obj{"sock": a, "bufsize": 100})
	for _, s := range []string{a, c, l} {
		page.must("close", obj{"sock": s})
	}

	msgs := page.find(func(msg) bool { return true })
	want := received(msgs)
	if len(want) != 5 || len(want[a]) != 4 || want[a][3] != "" {
		t.Fatalf("the session received %v, want 5 sockets, and 4 receives on %s, the last the stream's end", want, a)
	}
	var runs *client // a page of a server that runs programs, if this machine can
	if srv, err := moduleServer(t); err == nil {
		runs = srv.dial(t)
	} else {
		t.Logf("the transcripts are not run through op run here: %v", err)
	}
	for _, tc := range []struct {
		name string
		msgs []msg
	}{
		{"as recorded", msgs},
		{"accept and connect swapped", swapped(msgs, accept, connect)},
		{"recv and send swapped", swapped(msgs, recv, send)},
		{"recv_frame and send_frame swapped", swapped(msgs, recvFrame, sendFrame)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msgs == nil {
				t.Fatal("the results to swap are missing")
			}
			src := transcriptOf(t, tc.msgs)
			code := codeOf(src)
			for _, p := range ports {
				if strings.Contains(code, strconv.Itoa(p)) {
					t.Errorf("the transcript's code hard-codes port %d, which the kernel chose:\n%s", p, src)
				}
			}
			if !strings.Contains(code, s1+".getsockname()[1]") || !strings.Contains(code, u2+".getsockname()[1]") {
				t.Errorf("the transcript does not name the kernel's ports through getsockname:\n%s", src)
			}
			if got := runTranscript(t, src); !equalRecvs(got, want) {
				t.Errorf("run as a program it received %v, the session %v\n%s", got, want, src)
			}
			if runs != nil {
				if got := runTranscriptOp(t, runs, src); !equalRecvs(got, want) {
					t.Errorf("run through op run it received %v, the session %v\n%s", got, want, src)
				}
			}
		})
	}
	t.Run("with built-in peers", func(t *testing.T) {
		peerMsgs, peerPorts := peerSession(t, ts.dial(t))
		want := received(peerMsgs)
		if len(want) != 2 {
			t.Fatalf("the session received %v, want 2 sockets", want)
		}
		src := transcriptOf(t, peerMsgs)
		code := codeOf(src)
		for _, p := range peerPorts {
			if strings.Contains(code, strconv.Itoa(p)) {
				t.Errorf("the transcript's code hard-codes port %d, which the kernel chose:\n%s", p, src)
			}
		}
		for _, line := range []string{
			"import sockplay\n",
			"p1, p1_addr = sockplay.spawn('udp-echo', ('127.0.0.1', 0))",
			"p2, p2_addr = sockplay.spawn('tcp-echo', ('127.0.0.1', 0))",
			", p1_addr)", ".connect(p2_addr)", "sockplay.kill(p2)", "sockplay.kill(p1)",
		} {
			if !strings.Contains(code, line) {
				t.Errorf("the transcript's code has no %q:\n%s", line, src)
			}
		}
		if !strings.Contains(src, "# sockplay.spawn and sockplay.kill come from sockplay's own module") {
			t.Errorf("the transcript does not say it needs sockplay's module:\n%s", src)
		}
		if runs == nil {
			t.Skip("no sandboxes here: a transcript with peers runs only through op run (see above)")
		}
		if got := runTranscriptOp(t, runs, src); !equalRecvs(got, want) {
			t.Errorf("run through op run it received %v, the session %v\n%s", got, want, src)
		}
		t.Log("not run with plain CPython: sockplay.spawn needs sockplay's module")
		// The run's own spawns and kills are the program's, not the page's:
		// the page running it writes none of them.
		if own := transcriptOf(t, runs.find(func(msg) bool { return true })); strings.Contains(own, "sockplay") {
			t.Errorf("the page that ran the transcript wrote the run's own peers into its transcript:\n%s", own)
		}
	})
}

// peerSession drives a session with built-in peers on page: a udp-echo at
// a port the kernel chose answers a sendto, a tcp-echo answers a
// connection's sendall; both are killed. It returns the session's
// messages and the ports the kernel chose.
func peerSession(t *testing.T, page *client) ([]msg, []int) {
	t.Helper()
	echo := page.must("spawn", obj{"peer": "udp-echo", "addr": []any{"127.0.0.1", 0}})
	udp := echo.addr("addr")
	u := page.socket("SOCK_DGRAM")
	page.must("sendto", obj{"sock": u, "data": text("ping"), "addr": udp})
	page.must("recvfrom", obj{"sock": u, "bufsize": 1024})
	tcpEcho := page.must("spawn", obj{"peer": "tcp-echo", "addr": []any{"127.0.0.1", 0}})
	tcp := tcpEcho.addr("addr")
	c := page.socket("SOCK_STREAM")
	page.must("connect", obj{"sock": c, "addr": tcp})
	page.must("sendall", obj{"sock": c, "data": text("hello, peer")})
	page.must("recv", obj{"sock": c, "bufsize": 100})
	page.must("close", obj{"sock": c})
	page.must("close", obj{"sock": u})
	page.must("kill", obj{"peer": tcpEcho.str("peer")})
	page.must("kill", obj{"peer": echo.str("peer")})
	ports := []int{int(udp[1].(float64)), int(tcp[1].(float64))}
	return page.find(func(msg) bool { return true }), ports
}

// moduleServer is a server whose sessions run programs (op run) in
// sandboxes on sockplay's socket module, or an error when this machine
// cannot make sandboxes (never under CI=true: that fails the test).
func moduleServer(t *testing.T) (*testServer, error) {
	t.Helper()
	lib, err := pylib.Dir()
	if err != nil {
		t.Fatal(err)
	}
	runner := programs.New(programs.Config{Lib: lib, Limits: programs.Limits{
		Wall: 2 * time.Minute, CPU: 10 * time.Second, Memory: 256 << 20, Procs: 16, Output: 64 << 10,
	}})
	if err := runner.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("programs cannot run under CI: %v", err)
		}
		return nil, err
	}
	var ws *web.Server
	srv := newServer(t, sessions.Config{Programs: runner,
		Channel: func(s *sessions.Session, f *os.File, program string) { ws.ServeChannel(s, f, program) }})
	ws = srv.web
	return srv, nil
}

func equalRecvs(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
