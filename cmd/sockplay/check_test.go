package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"sockplay/sockets/exercises"
	"sockplay/templates/i18n"
)

// checkSafety bounds how long a check test waits; never a timing assertion.
const checkSafety = 30 * time.Second

func noEnv(string) string { return "" }

// runCheckArgs runs "sockplay check args" in-process.
func runCheckArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkSafety)
	defer cancel()
	var out, errOut bytes.Buffer
	code = check(ctx, args, noEnv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// udpServer runs a UDP server on a free loopback port that answers each
// datagram with reply(datagram) (nothing when reply returns nil), and
// returns its HOST:PORT.
func udpServer(t *testing.T, reply func([]byte) []byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(buf[:n]); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestCheckList(t *testing.T) {
	code, stdout, stderr := runCheckArgs(t, "--list")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	for _, x := range exercises.All() {
		if !strings.Contains(stdout, x.ID) || !strings.Contains(stdout, x.Title) {
			t.Errorf("--list lacks %s (%s):\n%s", x.ID, x.Title, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^tcp-client +--listen `).MatchString(stdout) || !regexp.MustCompile(`(?m)^udp-upper +--target `).MatchString(stdout) {
		t.Errorf("--list does not say which flag each exercise takes:\n%s", stdout)
	}
}

// TestCheckUsage: usage errors exit 2 with a message and the list of
// exercises on stderr, and nothing on stdout.
func TestCheckUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no exercise", nil, "which exercise? name one"},
		{"unknown exercise", []string{"nope", "--target", "127.0.0.1:9000"}, `no exercise "nope"`},
		{"server without target", []string{"udp-upper"}, "udp-upper checks your server: give its address with --target HOST:PORT"},
		{"server with listen", []string{"udp-upper", "--listen", "127.0.0.1:9000"}, "(not --listen)"},
		{"client with target", []string{"tcp-client", "--target", "127.0.0.1:9000"}, "tcp-client checks your client: the checker listens"},
		{"client without listen", []string{"file-transfer"}, "--listen HOST:PORT (not --target)"},
		{"no port", []string{"udp-upper", "--target", "127.0.0.1"}, "--target 127.0.0.1: want HOST:PORT"},
		{"port 0 target", []string{"udp-upper", "--target", "127.0.0.1:0"}, "the port must be a number from 1 to 65535"},
		{"bad port", []string{"tcp-echo", "--target", "127.0.0.1:70000"}, "the port must be a number from 1 to 65535"},
		{"host name", []string{"udp-upper", "--target", "example.com:9000"}, "numeric address"},
		{"not loopback", []string{"udp-upper", "--target", "10.1.2.3:9000"},
			"--target 10.1.2.3:9000: the playground connects and sends only to loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255; start sockplay with --allow-net CIDR"},
		{"privileged listen", []string{"tcp-client", "--listen", "127.0.0.1:80"}, "ports 1024-65535"},
		{"listen elsewhere", []string{"tcp-client", "--listen", "192.0.2.7:9000"}, "binds only to loopback"},
		{"two exercises", []string{"udp-upper", "tcp-echo", "--target", "127.0.0.1:9000"}, "one exercise at a time"},
		{"bad timeout", []string{"udp-upper", "--target", "127.0.0.1:9000", "--timeout", "0s"}, "--timeout must be more than 0"},
		{"bad reply wait", []string{"udp-upper", "--target", "127.0.0.1:9000", "--reply-wait", "6m"}, "--reply-wait must be more than 0 and at most 5m0s"},
		{"unknown flag", []string{"udp-upper", "--bogus"}, "flag provided but not defined: -bogus"},
		{"list with exercise", []string{"--list", "udp-upper"}, "--list takes no exercise"},
		{"bad allow-net", []string{"udp-upper", "--target", "127.0.0.1:9000", "--allow-net", "ten"}, "--allow-net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCheckArgs(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			for _, id := range []string{"udp-upper", "file-transfer"} {
				if !strings.Contains(stderr, id) {
					t.Errorf("stderr does not list the exercises (no %s):\n%s", id, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout: got %q, want nothing", stdout)
			}
		})
	}
}

// TestCheckAllowNet: --allow-net (or SOCKPLAY_ALLOW_NET) widens the policy
// the checker's sockets obey, as it does the server's.
func TestCheckAllowNet(t *testing.T) {
	cfg, _, err := parseCheck([]string{"udp-upper", "--target", "10.1.2.3:9000", "--allow-net", "10.1.0.0/16"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.policy.Extra) != 1 || cfg.addr.Host != "10.1.2.3" || cfg.addr.Port != 9000 {
		t.Errorf("got policy %+v, addr %v", cfg.policy, cfg.addr)
	}
	env := func(k string) string {
		if k == "SOCKPLAY_ALLOW_NET" {
			return "10.1.0.0/16"
		}
		return ""
	}
	if _, _, err := parseCheck([]string{"--target", "10.1.2.3:9000", "udp-upper"}, env, io.Discard); err != nil {
		t.Errorf("with SOCKPLAY_ALLOW_NET: %v", err)
	}
}

// TestCheckPassFail: exit 0 and a PASS verdict for a correct server, exit 1
// and a FAIL verdict naming the step for a wrong one; the exercise may come
// after the flags.
func TestCheckPassFail(t *testing.T) {
	upper := udpServer(t, bytes.ToUpper)
	code, stdout, stderr := runCheckArgs(t, "udp-upper", "--target", upper)
	if code != 0 || !strings.HasPrefix(stdout, "PASS udp-upper: 3/3 datagrams answered\n") {
		t.Errorf("correct server: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0 and a PASS", code, stdout, stderr)
	}

	lower := udpServer(t, bytes.ToLower)
	code, stdout, _ = runCheckArgs(t, "--target", lower, "--timeout", "20s", "udp-upper")
	if code != 1 || !strings.HasPrefix(stdout, "FAIL udp-upper at step 1 (datagram 1): sendto(b'Hello, UDP! ") ||
		!strings.Contains(stdout, "→ b'hello, udp! ") || !strings.Contains(stdout, "reply with data.upper()") {
		t.Errorf("lower-case server: exit %d, stdout:\n%s\nwant exit 1 and a FAIL at datagram 1", code, stdout)
	}

	silent := udpServer(t, func([]byte) []byte { return nil })
	code, stdout, _ = runCheckArgs(t, "udp-upper", "--target", silent)
	if code != 1 || !strings.Contains(stdout, "received: nothing came within 2 s") {
		t.Errorf("silent server: exit %d, stdout:\n%s\nwant exit 1 and nothing came within 2 s", code, stdout)
	}
}

// lineWriter is a concurrency-safe writer that hands each complete line to
// a channel, for reading what the command prints while it runs.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	all   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.lines <- line:
		default:
		}
	}
}

// TestCheckClientRole: "check tcp-client --listen 127.0.0.1:0" says where it
// listens on stderr; a client that follows the contract passes.
func TestCheckClientRole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), checkSafety)
	defer cancel()
	stderr := &lineWriter{lines: make(chan string, 16)}
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- check(ctx, []string{"tcp-client", "--listen", "127.0.0.1:0", "-v"}, noEnv, &stdout, stderr)
	}()

	var addr string
	re := regexp.MustCompile(`listening on \('127\.0\.0\.1', (\d+)\)`)
	for addr == "" {
		select {
		case line := <-stderr.lines:
			if m := re.FindStringSubmatch(line); m != nil {
				addr = "127.0.0.1:" + m[1]
			}
		case code := <-done:
			t.Fatalf("check ended (exit %d) before it listened", code)
		case <-ctx.Done():
			t.Fatal("the checker never said where it listens")
		}
	}
	if err := tcpClient(ctx, addr); err != nil {
		t.Fatal(err)
	}
	code := <-done
	if code != 0 || !strings.HasPrefix(stdout.String(), "PASS tcp-client: HELLO Grace, ") {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 0 and a PASS", code, stdout.String())
	}
	stderr.mu.Lock()
	defer stderr.mu.Unlock()
	if !strings.Contains(stderr.all.String(), "step 2: greeting") {
		t.Errorf("-v did not show the steps on stderr:\n%s", stderr.all.String())
	}
}

// tcpClient is a correct tcp-client solution.
func tcpClient(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(checkSafety))
	if _, err := c.Write([]byte("HELLO Grace\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	_, err = c.Write([]byte(strconv.Itoa(2*n) + "\n"))
	return err
}

// TestCheckBinary builds the real command and runs "sockplay check" as a
// learner would, reading its exit status.
func TestCheckBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "sockplay")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkSafety)
	defer cancel()
	// The locale the learner's terminal has: none (English), unless a
	// test gives one.
	locale := []string{}
	run := func(args ...string) (int, string, string) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"check"}, args...)...)
		cmd.Env = append(withoutLocale(os.Environ()), locale...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			return exit.ExitCode(), stdout.String(), stderr.String()
		case err != nil:
			t.Fatalf("running %v: %v", args, err)
		}
		return 0, stdout.String(), stderr.String()
	}

	upper := udpServer(t, bytes.ToUpper)
	if code, stdout, stderr := run("udp-upper", "--target", upper); code != 0 || !strings.HasPrefix(stdout, "PASS udp-upper") {
		t.Errorf("pass: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	silent := udpServer(t, func([]byte) []byte { return nil })
	if code, stdout, _ := run("udp-upper", "--target", silent); code != 1 || !strings.HasPrefix(stdout, "FAIL udp-upper at step 1 (datagram 1)") {
		t.Errorf("fail: exit %d\nstdout:\n%s", code, stdout)
	}
	if code, _, stderr := run("nope"); code != 2 || !strings.Contains(stderr, `no exercise "nope"`) || !strings.Contains(stderr, "tcp-multi") {
		t.Errorf("usage: exit %d\nstderr:\n%s", code, stderr)
	}
	// A Chinese terminal (LANG) gets the verdict in Chinese.
	locale = []string{"LANG=zh_CN.UTF-8"}
	if code, stdout, _ := run("udp-upper", "--target", silent); code != 1 || !strings.HasPrefix(stdout, "未通过 udp-upper：第 1 步（数据报 1）失败：") ||
		!strings.Contains(stdout, "       实际收到：2 s 内什么也没收到\n") {
		t.Errorf("fail with LANG=zh_CN.UTF-8: exit %d\nstdout:\n%s", code, stdout)
	}
}

// withoutLocale is env without the variables that choose a language.
func withoutLocale(env []string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != "LC_ALL" && k != "LC_MESSAGES" && k != "LANG" {
			out = append(out, kv)
		}
	}
	return out
}

// runCheckEnv runs "sockplay check args" in-process with the environment
// env (nothing else set).
func runCheckEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkSafety)
	defer cancel()
	var out, errOut bytes.Buffer
	code = check(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCheckInChinese: with --lang zh, or a Chinese locale (LC_ALL, else
// LC_MESSAGES, else LANG), the verdict, the progress lines, the usage
// errors and the list are Chinese — the checker's sentences translated by
// the server's catalog, code and bytes as they are; without, or with
// --lang en, the same English as before.
func TestCheckInChinese(t *testing.T) {
	lower := udpServer(t, bytes.ToLower)
	zh := map[string]string{"LANG": "zh_CN.UTF-8"}
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		zh   bool
	}{
		"--lang zh":       {nil, []string{"--lang", "zh"}, true},
		"LANG":            {zh, nil, true},
		"LC_MESSAGES":     {map[string]string{"LC_MESSAGES": "zh_TW", "LANG": "en_US.UTF-8"}, nil, true},
		"LC_ALL wins":     {map[string]string{"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, nil, false},
		"--lang en":       {zh, []string{"--lang", "en"}, false},
		"no locale":       {nil, nil, false},
		"--lang zh after": {nil, []string{"-v", "--lang=zh"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCheckEnv(t, tc.env, append([]string{"udp-upper", "--target", lower}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if !tc.zh {
				if !strings.HasPrefix(stdout, "FAIL udp-upper at step 1 (datagram 1): sendto(b'Hello, UDP! ") || !strings.Contains(stdout, "       expected: b'HELLO, UDP! ") || strings.IndexFunc(stdout, isHan) >= 0 {
					t.Errorf("want the English verdict:\n%s", stdout)
				}
				return
			}
			for _, want := range []string{
				"未通过 udp-upper：第 1 步（数据报 1）失败：sendto(b'Hello, UDP! ",
				"→ b'hello, udp! ",
				" —— 这是数据报的小写形式：请回复 data.upper()\n",
				"  ✗ 1. 数据报 1\n",
				"       检查程序做了：sendto(b'Hello, UDP! ",
				"       期望：在 2 s 内收到 b'HELLO, UDP! ",
				"       实际收到：b'hello, udp! ",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("the Chinese verdict lacks %q:\n%s", want, stdout)
				}
			}
			for _, en := range []string{"FAIL", "at step", "expected:", "lower case", "back within"} {
				if strings.Contains(stdout, en) {
					t.Errorf("the Chinese verdict has %q:\n%s", en, stdout)
				}
			}
			if slices.Contains(tc.args, "-v") && (!strings.Contains(stderr, "第 1 步：数据报 1\n") || !strings.Contains(stderr, "    recvfrom(65536) → (b'hello, udp! ")) {
				t.Errorf("-v in Chinese: stderr\n%s", stderr)
			}
		})
	}

	upper := udpServer(t, bytes.ToUpper)
	if code, stdout, _ := runCheckEnv(t, zh, "udp-upper", "--target", upper); code != 0 || !strings.HasPrefix(stdout, "通过 udp-upper：回复了 3/3 个数据报\n") || !strings.Contains(stdout, "  ✓ 1. 数据报 1：sendto(b'Hello, UDP! ") {
		t.Errorf("a pass in Chinese: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr := runCheckEnv(t, zh, "nope")
	if code != 2 || stdout != "" || !strings.Contains(stderr, `sockplay check：没有练习 "nope"`) || !strings.Contains(stderr, "用法：sockplay check 练习 --target HOST:PORT") ||
		!regexp.MustCompile(`(?m)^udp-upper +--target +\S*[\p{Han}]`).MatchString(stderr) {
		t.Errorf("a usage error in Chinese: exit %d\nstderr:\n%s", code, stderr)
	}
	code, _, stderr = runCheckEnv(t, zh, "udp-upper", "--target", "10.1.2.3:9000")
	if code != 2 || !strings.Contains(stderr, "--target 10.1.2.3:9000：这里只能连接和发送到回环地址（127.0.0.0/8、::1）和 127.255.255.255；") {
		t.Errorf("a policy refusal in Chinese: exit %d\nstderr:\n%s", code, stderr)
	}
	if code, _, stderr := runCheckEnv(t, nil, "udp-upper", "--target", lower, "--lang", "fr"); code != 2 || !strings.Contains(stderr, `want en or zh, not "fr"`) {
		t.Errorf("--lang fr: exit %d\nstderr:\n%s", code, stderr)
	}
}

// TestCLIFormatsInChinese: every format "sockplay check" and "sockplay
// run" write through say or errorf has its Chinese in cliZH, with the same
// verbs in the same order (its punctuation at least Chinese), and cliZH
// has no format they no longer write.
func TestCLIFormatsInChinese(t *testing.T) {
	var src []byte
	for _, name := range []string{"check.go", "attach.go"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	used := map[string]bool{usageText: true, runUsageText: true}
	for _, m := range regexp.MustCompile(`\b(?:say|errorf)\([a-z.]+, ("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(string(src), -1) {
		f, err := strconv.Unquote(m[1])
		if err != nil {
			t.Fatal(err)
		}
		used[f] = true
		if _, ok := cliZH[f]; !ok {
			t.Errorf("the commands write %q, which cliZH does not have", f)
		}
	}
	verbs := regexp.MustCompile(`%[vsdq]`)
	for en, zh := range cliZH {
		if !used[en] {
			t.Errorf("cliZH has %q, which no command writes", en)
		}
		if a, b := verbs.FindAllString(en, -1), verbs.FindAllString(zh, -1); !slices.Equal(a, b) || zh == en {
			t.Errorf("cliZH[%q] = %q: verbs %v, want %v, written in Chinese", en, zh, b, a)
		}
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// TestCheckWordingIsThePages: the verdict's English wording is the
// catalog's English of the page's lines (check.term.* in
// templates/i18n/js.go), and the Chinese wording, made from them, has a
// verb for each {name}: a terminal and a page print a verdict alike.
func TestCheckWordingIsThePages(t *testing.T) {
	cat := i18n.ScriptCatalog()
	hole := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, lang := range i18n.Langs {
		w := wording(lang)
		for key, format := range map[string]string{
			"pass": w.Pass, "failat": w.FailAt, "advice": w.Advice, "fail": w.Fail, "passed": w.Passed,
			"failed": w.Failed, "did": w.Did, "expected": w.Expected, "received": w.Received,
		} {
			m, ok := cat["check.term."+key]
			if !ok {
				t.Fatalf("the catalog has no check.term.%s", key)
			}
			page := m.EN
			if lang == i18n.ZH {
				page = m.ZH
			}
			verbs := hole.ReplaceAllStringFunc(page, func(h string) string {
				if h == "{n}" {
					return "%d"
				}
				return "%s"
			})
			if got := strings.TrimSuffix(format, "\n"); got != verbs || strings.Contains(got, "{") {
				t.Errorf("%s %s: sockplay check writes %q, the page %q", lang, key, got, verbs)
			}
		}
	}
}
