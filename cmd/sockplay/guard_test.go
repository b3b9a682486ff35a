package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sockets/netns"
)

// safety bounds a wait for something that must happen; it is a guard against
// hanging, never an assertion about timing.
const safety = 20 * time.Second

// TestMain lets the test binary be the real sockplay command in a child
// process: with a lowered open-file limit (TestSocketBudget), or for the
// memory benchmarks (benchServe).
func TestMain(m *testing.M) {
	netns.Main() // a private network's helper is this test binary, re-executed
	if os.Getenv(asCommand) != "" {
		main() // os.Args is "TESTBINARY run …" (attach_test.go)
		os.Exit(0)
	}
	if args, ok := os.LookupEnv(benchServe); ok {
		os.Exit(serveForBench(strings.Fields(args)))
	}
	if lim := os.Getenv("SOCKPLAY_TEST_SERVE_NOFILE"); lim != "" {
		soft, hard, _ := strings.Cut(lim, ":")
		cur, _ := strconv.ParseUint(soft, 10, 64)
		max, _ := strconv.ParseUint(hard, 10, 64)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: cur, Max: max}); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(3)
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startCommand runs the command with args (as given on the command line)
// until the test ends, and returns its address.
func startCommand(t *testing.T, args ...string) string {
	t.Helper()
	cfg, err := ParseFlags(append([]string{"--addr", "127.0.0.1:0", "--data", ""}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return startConfig(t, cfg)
}

func startConfig(t *testing.T, cfg Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, cfg, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return addr
	case err := <-errc:
		t.Fatalf("run: %v", err)
	}
	return ""
}

// upgrade dials /ws at addr with headers; it returns the HTTP status of a
// refused upgrade (0 when it succeeded) and the response's body.
func upgrade(t *testing.T, addr string, h http.Header) (int, string, *websocket.Conn) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: safety}
	conn, resp, err := d.Dial("ws://"+addr+"/ws", h)
	if err == nil {
		t.Cleanup(func() { conn.Close() })
		return 0, "", conn
	}
	if resp == nil {
		t.Fatalf("dial: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestParseGuardFlags(t *testing.T) {
	cfg, err := ParseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSessions != 2000 || cfg.MaxPerClient != 16 || cfg.FDReserve != 256 || cfg.ReadHeaderTimeout != 10*time.Second ||
		cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 30*time.Second || cfg.IdleTimeout != 2*time.Minute || cfg.TrustProxy || len(cfg.Hosts) != 0 {
		t.Errorf("defaults %+v", cfg)
	}
	env := map[string]string{"SOCKPLAY_HOSTS": "a.example, b.example", "SOCKPLAY_PUBLIC_URL": "https://a.example", "SOCKPLAY_TRUST_PROXY": "true"}
	cfg, err = ParseFlags([]string{"--max-sessions", "5", "--idle-timeout", "1s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Hosts, ",") != "a.example,b.example" || cfg.PublicURL != "https://a.example" || !cfg.TrustProxy || cfg.MaxSessions != 5 || cfg.IdleTimeout != time.Second {
		t.Errorf("from env and flags: %+v", cfg)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--public-url", "class.example.org"}},
		{[]string{"--public-url", "ftp://class.example.org"}},
		{[]string{"--max-sessions", "0"}},
	} {
		if _, err := ParseFlags(tc.args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: no error", tc.args)
		}
	}
}

// TestGuardCommand runs the command with --host, --public-url, --trust-proxy
// and a per-client limit, as behind a class's TLS proxy.
func TestGuardCommand(t *testing.T) {
	addr := startCommand(t, "--host", "class.example", "--public-url", "https://class.example",
		"--trust-proxy", "--max-sessions-per-client", "2")
	port := addr[strings.LastIndex(addr, ":")+1:]
	portNum, _ := strconv.Atoi(port)

	if code, text, _ := upgrade(t, addr, http.Header{"Host": {"evil.example:" + port}, "Origin": {"http://evil.example:" + port}}); code != http.StatusMisdirectedRequest ||
		!strings.Contains(text, "--host evil.example") {
		t.Errorf("rebinding upgrade: %d %q, want 421 naming --host", code, text)
	}
	if code, text, _ := upgrade(t, addr, http.Header{"Host": {"class.example"}, "Origin": {"http://class.example"}}); code != http.StatusForbidden {
		t.Errorf("Origin http:// behind an https public URL: %d %q, want 403", code, text)
	}

	// Two sessions for one forwarded client, then 503; another client and a
	// loopback page without the header still get theirs.
	from := func(ip string) http.Header {
		h := http.Header{"Host": {"class.example"}, "Origin": {"https://class.example"}}
		if ip != "" {
			h.Set("X-Forwarded-For", "198.51.100.1, "+ip)
		}
		return h
	}
	for i := range 2 {
		if code, text, _ := upgrade(t, addr, from("203.0.113.7")); code != 0 {
			t.Fatalf("session %d of 203.0.113.7: %d %q", i+1, code, text)
		}
	}
	code, text, _ := upgrade(t, addr, from("203.0.113.7"))
	if code != http.StatusServiceUnavailable || !strings.Contains(text, "203.0.113.7 already has 2 sessions") {
		t.Errorf("third session of 203.0.113.7: %d %q, want 503 naming the client", code, text)
	}
	for _, ip := range []string{"203.0.113.8", "", ""} {
		if code, text, _ := upgrade(t, addr, from(ip)); code != 0 {
			t.Errorf("session for %q: %d %q", ip, code, text)
		}
	}

	// The command's policy knows its own address.
	_, _, conn := upgrade(t, addr, from(""))
	read := reader(conn)
	conn.WriteJSON(map[string]any{"id": 1, "op": "socket", "type": "SOCK_STREAM"})
	conn.WriteJSON(map[string]any{"id": 2, "op": "connect", "sock": "s1", "addr": []any{"127.0.0.1", portNum}})
	for {
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == 2.0 {
			if e, _ := m["error"].(map[string]any); e["type"] != "policy" {
				t.Errorf("connect to the server's port: %v, want a policy error", m)
			}
			break
		}
	}
}

// TestHTTPTimeouts: a client that stalls in its headers, in its body or
// between requests is cut off by the server.
func TestHTTPTimeouts(t *testing.T) {
	addr := startConfig(t, Config{Addr: "127.0.0.1:0", Data: t.TempDir(),
		ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	for _, tc := range []struct{ name, send string }{
		{"slow headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
		{"stalled body", "POST /progress/steps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"lesson\":"},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, safety)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			// Whatever the server answers, it must then close the connection.
			c.SetReadDeadline(time.Now().Add(safety))
			_, err = io.Copy(io.Discard, c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection is still open after %v", safety)
			}
		})
	}
}

// TestSocketBudget runs the command as a child process whose open-file
// limit is 80 (soft) and 400 (hard): sockplay raises the soft limit and
// hands out its socket budget; past it a socket op gets error type "limit"
// while /healthz and pages still answer.
func TestSocketBudget(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0", "--data", "", "--max-sockets", "1000", "--fd-reserve", "100", "--log-format", "json")
	cmd.Env = append(os.Environ(), "SOCKPLAY_TEST_SERVE_NOFILE=80:400")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	lines := bufio.NewScanner(out)
	var addr string
	budget := 0
	for addr == "" && lines.Scan() {
		var line struct {
			Msg     string
			URL     string
			Sockets int
		}
		json.Unmarshal(lines.Bytes(), &line)
		switch line.Msg {
		case "socket budget":
			budget = line.Sockets
		case "sockplay serving":
			addr = strings.TrimSuffix(strings.TrimPrefix(line.URL, "http://"), "/")
		}
	}
	go io.Copy(io.Discard, out)
	if addr == "" || budget <= 80 || budget > 300 {
		t.Fatalf("address %q, budget %d: want the server up with a budget from the raised limit (400 less 100 and the open files)", addr, budget)
	}

	_, _, conn := upgrade(t, addr, nil)
	read := reader(conn)
	var batch []map[string]any
	for i := range budget + 5 {
		batch = append(batch, map[string]any{"id": i + 1, "op": "socket", "type": "SOCK_DGRAM"})
	}
	conn.WriteJSON(batch)
	ok, limited := 0, 0
	for ok+limited < len(batch) {
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] != "result" {
			continue
		}
		if m["ok"] == true {
			ok++
			continue
		}
		e, _ := m["error"].(map[string]any)
		if e["type"] != "limit" || !strings.Contains(fmt.Sprint(e["message"]), "no room for another socket") {
			t.Fatalf("socket past the budget: %v, want a limit error", m)
		}
		limited++
	}
	if ok != budget || limited != 5 {
		t.Errorf("%d sockets opened and %d refused, want %d and 5", ok, limited, budget)
	}
	for _, path := range []string{"/healthz", "/workbench", "/healthz"} {
		c := http.Client{Timeout: safety}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s with the budget spent: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the budget spent: %d", path, resp.StatusCode)
		}
	}
}
