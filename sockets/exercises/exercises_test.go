package exercises_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
	"sockplay/sockets/exercises"
	"sockplay/templates/i18n"
)

// safety bounds how long a test waits for a Python program or a check; it
// guards against hanging and is never an assertion about timing.
const safety = 30 * time.Second

// python returns the path of python3, skipping the test when it is missing
// outside CI (in CI a missing python3 is a failure).
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 not found in CI: %v", err)
		}
		t.Skip("python3 not found")
	}
	return p
}

// program is a running Python program from testdata.
type program struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	output bytes.Buffer // stdout after the first line, and stderr
}

func (p *program) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.Write(b)
}

func (p *program) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// start runs testdata/script with args; it is killed when the test ends.
func start(t *testing.T, script string, args ...string) *program {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	p := &program{}
	p.cmd = exec.CommandContext(ctx, python(t), append([]string{filepath.Join("testdata", script)}, args...)...)
	p.cmd.Stderr = p
	t.Cleanup(func() {
		cancel()
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("%s printed:\n%s", script, p)
		}
	})
	return p
}

// startServer runs a server script, which prints its port on its first
// line, and returns the port.
func startServer(t *testing.T, script string) int {
	t.Helper()
	p := start(t, script)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", script, err)
	}
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the port %s prints: %v\n%s", script, err, p)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("%s printed %q, want its port", script, line)
	}
	go func() { r.WriteTo(p) }()
	return port
}

// check runs exercise id against a learner's program: for a server-role
// exercise, script is started first and checked at host:its port; for a
// client-role one, the checker listens on a free port and script is started
// with that port once the checker listens.
func check(t *testing.T, id, script, host string) (exercises.Verdict, []exercises.Event) {
	t.Helper()
	x, ok := exercises.Lookup(id)
	if !ok {
		t.Fatalf("no exercise %q", id)
	}
	python(t)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	var events []exercises.Event
	report := func(e exercises.Event) { events = append(events, e) }
	target := sockets.Addr{Host: host}
	switch x.Role {
	case exercises.RoleServer:
		target.Port = startServer(t, script)
	case exercises.RoleClient:
		inner := report
		report = func(e exercises.Event) {
			inner(e)
			if e.Kind == exercises.EventListening {
				p := start(t, script, strconv.Itoa(e.Addr.Port))
				p.cmd.Stdout = p
				if err := p.cmd.Start(); err != nil {
					t.Errorf("starting %s: %v", script, err)
				}
			}
		}
	}
	v := x.Check(ctx, target, exercises.Options{Report: report})
	t.Logf("verdict:\n%s", v.Text())
	return v, events
}

func TestExercises(t *testing.T) {
	tests := []struct {
		id, script string
		host       string // the target's host (default 127.0.0.1)
		pass       bool
		want       []string // parts of Verdict.Text()
		failStep   string   // the name of the step that must fail
	}{
		{id: "udp-upper", script: "udp_upper_ok.py", pass: true,
			want: []string{"PASS udp-upper: 3/3 datagrams answered", "b'HELLO, UDP! ", "b'MIXED CASE: ABC-XYZ_0189?'"}},
		{id: "udp-upper", script: "udp_upper_lower.py", failStep: "datagram 1",
			want: []string{"FAIL udp-upper at step 1 (datagram 1): sendto(b'Hello, UDP! ", "→ b'hello, udp! ", "lower case", "expected: b'HELLO, UDP! "}},
		{id: "udp-upper", script: "udp_upper_silent.py", failStep: "datagram 1",
			want: []string{"FAIL udp-upper at step 1 (datagram 1)", "→ nothing came within 2 s — is your server running"}},

		{id: "tcp-echo", script: "tcp_echo_ok.py", pass: true,
			want: []string{"PASS tcp-echo: 2 connections, 4 messages echoed", "b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd, sockets: 1 2 3 !@#\\n'"}},
		{id: "tcp-echo", script: "tcp_echo_once.py", failStep: "second connection",
			want: []string{"FAIL tcp-echo at step 4 (second connection): connect to ('127.0.0.1', ", "your server must keep accepting after its first client", "✓ 3. message 3"}},

		{id: "tcp-multi", script: "tcp_multi_ok.py", pass: true,
			want: []string{"PASS tcp-multi: 2 clients served at once, 4 messages echoed"}},
		{id: "tcp-multi", script: "tcp_echo_ok.py", failStep: "round 1, B's echo",
			want: []string{"FAIL tcp-multi at step 3 (round 1, B's echo): B: recv → nothing came within 2 s (client A is still connected)", "its own thread"}},

		{id: "tcp-client", script: "tcp_client_ok.py", pass: true,
			want: []string{"PASS tcp-client: HELLO Ada, ", "then closed", "b'HELLO Ada\\n'"}},
		{id: "tcp-client", script: "tcp_client_n.py", failStep: "the answer",
			want: []string{"FAIL tcp-client at step 3 (the answer): sendall(b'", "that is the number itself: send twice it"}},

		{id: "framed-sum", script: "framed_sum_ok.py", pass: true,
			want: []string{"PASS framed-sum: ", "in one frame", "three frames in one send"}},
		{id: "framed-sum", script: "framed_sum_per_recv.py", failStep: "three frames in one send",
			want: []string{"FAIL framed-sum at step 2 (three frames in one send): sendall(b'\\x00\\x00\\x00", "→ nothing came within 2 s — ", "instead of taking each recv() for one message"}},

		{id: "json-header", script: "json_header_ok.py", pass: true,
			want: []string{"PASS json-header: 2 requests answered with framed replies", `header {"status": "ok", "data_size": 5000}`}},
		{id: "json-header", script: "json_header_unframed.py", failStep: "first request",
			want: []string{"FAIL json-header at step 2 (first request)", "→ b'JSON HEADERS: HELLO, WORLD! ", "its first 4 bytes, b'JSON', read as a '!I' length, announce a 1246973774-byte header", "frame your reply like the request"}},

		{id: "udp-broadcast", script: "udp_broadcast_ok.py", host: "127.255.255.255", pass: true,
			want: []string{"PASS udp-broadcast: 2/2 broadcasts answered", "sendto(b'anyone there? #", ", ('127.255.255.255', "}},
		{id: "udp-broadcast", script: "udp_broadcast_loopback.py", host: "127.255.255.255", failStep: "broadcast 1",
			want: []string{"FAIL udp-broadcast at step 1 (broadcast 1)", "nothing came within 2 s to the broadcast; the datagram sent straight to ('127.0.0.1', ", "answered with b'here'", "misses broadcasts: bind it to ('', "}},

		{id: "file-transfer", script: "file_transfer_ok.py", pass: true,
			want: []string{"PASS file-transfer: data.bin: 100000 bytes, resumed at 20000 after the break, sha256 matches", "✓ 4. ask the size", "answered size 20000"}},
		{id: "file-transfer", script: "file_transfer_restart.py", failStep: "ask the size",
			want: []string{"FAIL file-transfer at step 4 (ask the size)", `"offset": 0`, "started over from offset 0", "(20000)"}},
		{id: "file-transfer", script: "file_transfer_acked.py", failStep: "resume",
			want: []string{"FAIL file-transfer at step 5 (resume)", `"offset": 16384`, `while "data.bin" has 20000 bytes`, "not from the end of your last acknowledged put", "✓ 4. ask the size"}},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+strings.TrimSuffix(tt.script, ".py"), func(t *testing.T) {
			t.Parallel()
			host := tt.host
			if host == "" {
				host = "127.0.0.1"
			}
			v, events := check(t, tt.id, tt.script, host)
			if v.Pass != tt.pass {
				t.Fatalf("Pass: got %v, want %v", v.Pass, tt.pass)
			}
			if v.Exercise != tt.id {
				t.Errorf("Exercise: got %q, want %q", v.Exercise, tt.id)
			}
			text := v.Text()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("verdict text lacks %q", w)
				}
			}
			if tt.pass {
				if v.Failed != nil {
					t.Errorf("Failed: got step %d, want none on a pass", v.Failed.N)
				}
				for _, s := range v.Steps {
					if !s.Pass {
						t.Errorf("step %d (%s) did not pass in a passing verdict", s.N, s.Name)
					}
				}
			} else {
				if v.Failed == nil {
					t.Fatal("Failed: got nil, want the failed step")
				}
				if v.Failed.Name != tt.failStep {
					t.Errorf("failed step: got %q, want %q", v.Failed.Name, tt.failStep)
				}
				if v.Failed.Pass || v.Failed.Received == "" || v.Failed.Expected == "" || v.Failed.Did == "" || v.Failed.Advice == "" {
					t.Errorf("failed step is incomplete: %+v", *v.Failed)
				}
				if last := v.Steps[len(v.Steps)-1]; last.N != v.Failed.N {
					t.Errorf("the failed step %d is not the last step %d", v.Failed.N, last.N)
				}
			}
			checkEvents(t, v, events)
			checkChinese(t, v, events)
		})
	}
}

// pythonException is Python's own text of an exception, which stays as
// Python prints it: "ConnectionResetError: [Errno 104] Connection reset by
// peer", "TimeoutError: timed out".
var pythonException = regexp.MustCompile(`^([A-Za-z.]+(Error|Exception): |\[Errno \d+\] )`)

// checkChinese: everything a Chinese page shows of a check — each step's
// name, what the checker did, expected and received, its advice, the
// summary, the listening line, a call's outcome — is a server sentence the
// catalog (templates/i18n/server.go) translates wholly. Code stays code
// (sendall(b'…'), addresses, JSON); Python's own exception text stays.
func checkChinese(t *testing.T, v exercises.Verdict, events []exercises.Event) {
	t.Helper()
	texts := []string{v.Summary}
	for _, s := range v.Steps {
		texts = append(texts, s.Name, s.Did, s.Expected, s.Received, s.Advice)
	}
	for _, e := range events {
		switch e.Kind {
		case exercises.EventStep:
			texts = append(texts, e.Text)
		case exercises.EventCall:
			if _, outcome, ok := strings.Cut(e.Text, " → "); ok {
				texts = append(texts, outcome)
			}
		}
	}
	for _, text := range texts {
		if text == "" || strings.HasPrefix(text, "b'") && !strings.Contains(text, " ") || pythonException.MatchString(text) {
			continue
		}
		if left := i18n.EnglishLeft(text); left != "" {
			t.Errorf("a Chinese page shows %q as %q: %q is still English", text, i18n.Server(i18n.ZH, text), left)
		}
	}
}

// checkEvents: every step was announced and ended with its result, and
// socket calls were reported.
func checkEvents(t *testing.T, v exercises.Verdict, events []exercises.Event) {
	t.Helper()
	started, done, calls := 0, 0, 0
	for _, e := range events {
		switch e.Kind {
		case exercises.EventStep:
			started++
		case exercises.EventStepDone:
			if e.Result == nil || e.Result.N != done+1 {
				t.Errorf("step_done event %+v out of order", e)
			}
			done++
		case exercises.EventCall:
			calls++
		}
	}
	if started != len(v.Steps) || done != len(v.Steps) {
		t.Errorf("events: %d steps started, %d done; the verdict has %d", started, done, len(v.Steps))
	}
	if calls == 0 {
		t.Error("no socket calls were reported")
	}
}

// TestRegistry: every exercise has what the page and the command need.
func TestRegistry(t *testing.T) {
	want := []string{"udp-upper", "tcp-echo", "tcp-multi", "tcp-client", "framed-sum", "json-header", "udp-broadcast", "file-transfer"}
	all := exercises.All()
	if len(all) != len(want) {
		t.Fatalf("All: got %d exercises, want %d", len(all), len(want))
	}
	for i, x := range all {
		if x.ID != want[i] {
			t.Errorf("All()[%d]: got %q, want %q", i, x.ID, want[i])
		}
		if x.Title == "" || len(x.Hints) == 0 || !strings.Contains(x.Statement, "## The check") || !strings.Contains(x.Statement, "go run ./cmd/sockplay check "+x.ID+" ") {
			t.Errorf("%s: needs a title, hints, and a statement with a check section and its command", x.ID)
		}
		flag := "--target"
		if x.Role == exercises.RoleClient {
			flag = "--listen"
		} else if x.Role != exercises.RoleServer {
			t.Errorf("%s: role %q", x.ID, x.Role)
		}
		if !strings.Contains(x.Statement, flag) {
			t.Errorf("%s: the statement's command does not use %s", x.ID, flag)
		}
		if got, ok := exercises.Lookup(x.ID); !ok || got != x {
			t.Errorf("Lookup(%q) does not find it", x.ID)
		}
	}
	if _, ok := exercises.Lookup("nope"); ok {
		t.Error(`Lookup("nope") found something`)
	}
}

// TestNothingThere: with no program at the target, a server-role check
// fails at its first step, saying what happened, without Python.
func TestNothingThere(t *testing.T) {
	l, err := sockets.New(sockets.AFInet, sockets.SockStream, nil)
	if err != nil {
		t.Fatal(err)
	}
	free, e := l.Bind(sockets.Addr{Host: "127.0.0.1"}) // bound, never listening: connect is refused
	if e != nil {
		t.Fatal(e)
	}
	defer l.Close()
	tests := []struct{ id, want string }{
		{"tcp-echo", "FAIL tcp-echo at step 1 (message 1): connect to " + free.String() + " → ConnectionRefusedError: [Errno 111] Connection refused — nothing is listening at"},
		{"tcp-multi", "FAIL tcp-multi at step 1 (two clients connect): A: connect to " + free.String() + " → ConnectionRefusedError"},
		{"framed-sum", "FAIL framed-sum at step 1 (connect): connect to " + free.String() + " → ConnectionRefusedError"},
		{"json-header", "FAIL json-header at step 1 (connect)"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			x, _ := exercises.Lookup(tt.id)
			v := x.Check(context.Background(), free, exercises.Options{})
			if v.Pass || !strings.HasPrefix(v.Text(), tt.want) {
				t.Errorf("got\n%s\nwant it to start with %q", v.Text(), tt.want)
			}
		})
	}
}

// TestPolicy: the checker's sockets obey the address policy.
func TestPolicy(t *testing.T) {
	x, _ := exercises.Lookup("udp-upper")
	v := x.Check(context.Background(), sockets.Addr{Host: "192.0.2.1", Port: 9000}, exercises.Options{})
	if v.Pass || v.Failed == nil || !strings.Contains(v.Failed.Received, "loopback") {
		t.Fatalf("got\n%s\nwant a refusal by the address policy", v.Text())
	}
	x, _ = exercises.Lookup("tcp-client")
	v = x.Check(context.Background(), sockets.Addr{Host: "192.0.2.1", Port: 9000}, exercises.Options{})
	if v.Pass || v.Failed == nil || v.Failed.Name != "connection" || !strings.Contains(v.Failed.Received, "binds only to loopback") {
		t.Fatalf("got\n%s\nwant a refusal by the address policy", v.Text())
	}
}

// TestClientNeverComes: a client-role check waits until its context ends.
func TestClientNeverComes(t *testing.T) {
	x, _ := exercises.Lookup("tcp-client")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var listening *sockets.Addr
	v := x.Check(ctx, sockets.Addr{Host: "127.0.0.1"}, exercises.Options{Report: func(e exercises.Event) {
		if e.Kind == exercises.EventListening {
			listening = e.Addr
		}
	}})
	if listening == nil || listening.Port == 0 {
		t.Fatalf("no listening event with the real port: %v", listening)
	}
	want := "FAIL tcp-client at step 1 (connection): listen on " + listening.String() + " → no connection came within 1 s — start your client after the checker"
	if !strings.HasPrefix(v.Text(), want) {
		t.Errorf("got\n%s\nwant it to start with %q", v.Text(), want)
	}
}

// TestReplyWait: Options.ReplyWait is how long the checker waits for each
// reply. A server that takes 0.3 s per reply fails a check that waits
// 0.1 s, which says so, and passes one that waits 10 s.
func TestReplyWait(t *testing.T) {
	python(t)
	x, _ := exercises.Lookup("udp-upper")
	target := sockets.Addr{Host: "127.0.0.1", Port: startServer(t, "udp_upper_slow.py")}
	for _, tt := range []struct {
		wait time.Duration
		want []string
	}{
		{100 * time.Millisecond, []string{"FAIL udp-upper at step 1 (datagram 1)", "within 0.1 s\n", "→ nothing came within 0.1 s"}},
		{10 * time.Second, []string{"PASS udp-upper: 3/3 datagrams answered"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		v := x.Check(ctx, target, exercises.Options{ReplyWait: tt.wait})
		cancel()
		text := v.Text()
		if !strings.HasPrefix(text, tt.want[0]) {
			t.Errorf("reply wait %v: got\n%s\nwant it to start %q", tt.wait, text, tt.want[0])
		}
		for _, w := range tt.want[1:] {
			if !strings.Contains(text, w) {
				t.Errorf("reply wait %v: got\n%s\nwant it to contain %q", tt.wait, text, w)
			}
		}
	}
}
