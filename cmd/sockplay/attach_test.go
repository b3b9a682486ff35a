package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions/python"
	"sockplay/templates/i18n"
)

// asCommand is the environment variable that makes the test binary the
// sockplay command itself (TestMain), for "sockplay run" as a child process.
const asCommand = "SOCKPLAY_TEST_AS_COMMAND"

// sockplayRun runs "sockplay run ARGS…" as a real child process (this test
// binary as the command) with stdin,
// and returns its exit status, stdout and stderr. It speaks English
// whatever the test's locale.
func sockplayRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return sockplayRunEnv(t, []string{"SOCKPLAY_LANG=en"}, stdin, args...)
}

// sockplayRunEnv is sockplayRun with env added to the environment.
func sockplayRunEnv(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	needPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*safety)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"run"}, args...)...)
	cmd.Env = append(append(os.Environ(), asCommand+"=1", "SOCKPLAY_SESSION=", "SOCKPLAY_SERVER="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatalf("sockplay run %v: %v\n%s", args, err, stderr.String())
	}
	return 0, stdout.String(), stderr.String()
}

// needPython skips the test without python3, except on CI (CI=true),
// where that is a failure.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed: %v", err)
		}
		t.Skipf("no python3: %v", err)
	}
}

// writeProgram writes a Python program to a temporary file.
func writeProgram(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pageSession opens a page's WebSocket on the server at addr and returns
// it with its session's attach code (op attach).
func pageSession(t *testing.T, addr string) (*websocket.Conn, func() (map[string]any, error), string) {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	read := reader(conn)
	if m, err := read(); err != nil || m["kind"] != "hello" {
		t.Fatalf("hello: %v %v", m, err)
	}
	conn.WriteJSON(map[string]any{"id": 1, "op": "attach"})
	for {
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == 1.0 {
			code, _ := m["code"].(string)
			cmd, _ := m["command"].(string)
			if code == "" || !strings.Contains(cmd, "--server http://"+addr) {
				t.Fatalf("attach: %v, want a code and a command naming http://%s", m, addr)
			}
			return conn, read, code
		}
	}
}

// channelProgram is a Python program that speaks the channel (fd 3) by
// hand, as sockplay's socket module does: it makes a UDP socket, binds it,
// prints its handle, its arguments and a line of stdin, and exits with
// the status its first argument names.
const channelProgram = `
import json, os, sys
fd = int(os.environ['SOCKPLAY_FD'])
buf = b''
def message():
    global buf
    while b'\n' not in buf:
        chunk = os.read(fd, 65536)
        if not chunk:
            sys.exit('channel closed')
        buf += chunk
    line, buf = buf.split(b'\n', 1)
    return json.loads(line)
def call(req):
    os.write(fd, json.dumps(req).encode() + b'\n')
    while True:
        m = message()
        if m.get('kind') == 'result' and m.get('id') == req['id']:
            return m
hello = message()
assert hello['kind'] == 'hello', hello
r = call({'id': 1, 'op': 'socket', 'type': 'SOCK_DGRAM'})
assert r['ok'], r
call({'id': 2, 'op': 'bind', 'sock': r['sock'], 'addr': ['127.0.0.1', 0]})
print('sock', r['sock'], r.get('program'))
print('args', ' '.join(sys.argv[1:]))
print('stdin', sys.stdin.readline().strip())
sys.exit(int(sys.argv[1]))
`

// TestSockplayRun runs "sockplay run" as a learner does, against a real
// server: the program's socket appears in the page's session, marked with
// the program; its arguments, stdin, stdout and exit status pass through;
// a wrong or revoked code, or a missing one, is refused with a sentence
// and the program never runs.
func TestSockplayRun(t *testing.T) {
	addr := startCommand(t)
	page, read, code := pageSession(t, addr)
	prog := writeProgram(t, "prog.py", channelProgram)

	status, stdout, stderr := sockplayRun(t, "typed line\n", prog, "--server", "http://"+addr, "--session", code, "7", "--server", "x")
	if status != 7 {
		t.Fatalf("exit status %d, want the program's 7\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	want := []string{"sock s1 local1", "args 7 --server x", "stdin typed line"}
	if got := strings.Split(strings.TrimSpace(stdout), "\n"); !slices.Equal(got, want) {
		t.Errorf("stdout %q, want %q\nstderr:\n%s", got, want, stderr)
	}
	if !strings.Contains(stderr, "attached to your session as local1") {
		t.Errorf("stderr %q does not say it is attached", stderr)
	}
	// The page saw the program's socket, marked, and bound.
	deadline := time.Now().Add(safety)
	for bound := false; !bound; {
		page.SetReadDeadline(deadline)
		m, err := read()
		if err != nil {
			t.Fatalf("the page never saw local1's socket bound: %v", err)
		}
		if m["kind"] == "socket" && m["sock"] == "s1" {
			if m["program"] != "local1" {
				t.Errorf("socket message %v, want program local1", m)
			}
			bound = m["state"] == "BOUND"
		}
	}

	// Flags before FILE.py, and -- before the program's arguments.
	if status, stdout, stderr := sockplayRun(t, "\n", "--session", code, "--server", addr, prog, "--", "0", "--session"); status != 0 || !strings.Contains(stdout, "args 0 --session") {
		t.Errorf("flags first: exit %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}

	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"wrong code", []string{prog, "--server", addr, "--session", "nosuchcode", "0"}, exitAttach, "no session has this attach code"},
		{"no code", []string{prog, "--server", addr, "0"}, exitUsage, "which session?"},
		{"no file", []string{"--server", addr, "--session", code}, exitUsage, "which program?"},
		{"no server", []string{prog, "--server", "127.0.0.1:1", "--session", code, "0"}, exitAttach, "cannot reach the sockplay server"},
	} {
		status, stdout, stderr := sockplayRun(t, "\n", tc.args...)
		if status != tc.status || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit %d saying %q and no program run", tc.name, status, stderr, stdout, tc.status, tc.want)
		}
	}

	// A revoked code attaches no more.
	page.WriteJSON(map[string]any{"id": 2, "op": "attach_revoke"})
	var fresh string
	for fresh == "" {
		page.SetReadDeadline(time.Now().Add(safety))
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == 2.0 {
			fresh, _ = m["code"].(string)
		}
	}
	if status, _, stderr := sockplayRun(t, "\n", prog, "--server", addr, "--session", code, "0"); status != exitAttach || !strings.Contains(stderr, "revoked") {
		t.Errorf("revoked code: exit %d, stderr %q", status, stderr)
	}
	if status, stdout, stderr := sockplayRun(t, "\n", prog, "--server", addr, "--session", fresh, "0"); status != 0 || !strings.Contains(stdout, "local3") {
		t.Errorf("the new code: exit %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
}

// moduleProgram is a learner's program on sockplay's socket module: a
// threaded TCP echo server that upper-cases, its client sending the first
// argument, and a refused connection once the server has closed.
const moduleProgram = `
import socket, sys, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen()
port = srv.getsockname()[1]
def serve():
    conn, addr = srv.accept()
    with conn:
        conn.sendall(conn.recv(100).upper())
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(('127.0.0.1', port))
c.sendall(sys.argv[1].encode())
print(c.recv(100).decode())
t.join()
c.close()
srv.close()
try:
    socket.socket().connect(('127.0.0.1', port))
except ConnectionRefusedError as e:
    print('refused', e.errno)
sys.exit(3)
`

// TestSockplayRunModule: a program on sockplay's real socket module, run
// with "sockplay run", works as under CPython's own, and its sockets (the
// accepted one too) are the page's session's, marked local1.
func TestSockplayRunModule(t *testing.T) {
	addr := startCommand(t)
	page, read, code := pageSession(t, addr)
	prog := writeProgram(t, "echo.py", moduleProgram)
	status, stdout, stderr := sockplayRun(t, "", prog, "--server", addr, "--session", code, "hello")
	if want := "HELLO\nrefused 111\n"; status != 3 || stdout != want {
		t.Fatalf("exit %d, stdout %q; want 3 and %q\nstderr:\n%s", status, stdout, want, stderr)
	}
	states := map[string]bool{}
	for !states["LISTENING"] || !states["accepted"] {
		page.SetReadDeadline(time.Now().Add(safety))
		m, err := read()
		if err != nil {
			t.Fatalf("the page saw %v of the program's sockets, want a listening and an accepted one: %v", states, err)
		}
		if m["kind"] != "socket" {
			continue
		}
		if m["program"] != "local1" {
			t.Errorf("socket message %v, want program local1", m)
		}
		if s, _ := m["state"].(string); s != "" {
			states[s] = true
		}
		if m["listener"] != nil && m["listener"] != "" {
			states["accepted"] = true
		}
	}
}

// TestSockplayRunSignal: a SIGTERM sent to sockplay run goes to the
// program, and the exit status says the signal ended it (128+15).
func TestSockplayRunSignal(t *testing.T) {
	needPython(t)
	addr := startCommand(t)
	_, _, code := pageSession(t, addr)
	prog := writeProgram(t, "wait.py", "import time\nprint('ready', flush=True)\ntime.sleep(600)\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*safety)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", prog, "--server", addr, "--session", code)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("program printed %q (%v), want ready\n%s", line, err, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("after SIGTERM: %v, want exit status %d\n%s", err, 128+int(syscall.SIGTERM), stderr.String())
	}
}

// TestSockplayRunKeepsSharedLib: sockplay run leaves the shared module
// directory as it ends, for a server on the same machine and the next
// run (it removed it, and the server's programs then failed to start).
func TestSockplayRunKeepsSharedLib(t *testing.T) {
	lib, err := python.Dir()
	if err != nil {
		t.Fatal(err)
	}
	addr := startCommand(t)
	_, _, code := pageSession(t, addr)
	prog := writeProgram(t, "prog.py", "print('ran')\n")
	if status, stdout, stderr := sockplayRun(t, "", prog, "--server", addr, "--session", code); status != 0 || strings.TrimSpace(stdout) != "ran" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(lib, "socket.py")); err != nil {
		t.Fatalf("after sockplay run the module directory %s is gone: %v", lib, err)
	}
}

// langProgram prints its SOCKPLAY_LANG and the message of the PolicyError
// of a bind to a privileged port.
const langProgram = `
import os, socket, sockplay
print(os.environ.get('SOCKPLAY_LANG'))
try:
    socket.socket().bind(('127.0.0.1', 80))
except sockplay.PolicyError as e:
    print(e)
`

// TestSockplayRunInChinese: with --lang zh, or a Chinese locale and no
// --lang, sockplay run writes its own sentences in Chinese, the server's
// refusal too, and the program gets sockplay's sentences in Chinese (its
// SOCKPLAY_LANG, and the server's PolicyError through the attach's lang);
// --lang en wins over the locale, and another --lang is a usage error.
func TestSockplayRunInChinese(t *testing.T) {
	addr := startCommand(t)
	_, _, code := pageSession(t, addr)
	prog := writeProgram(t, "lang.py", langProgram)
	const bindRefused = "the playground binds only to port 0 (any free port) or ports 1024-65535"
	zhLocale := []string{"SOCKPLAY_LANG=", "LC_ALL=", "LC_MESSAGES=", "LANG=zh_CN.UTF-8"}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		zh   bool
	}{
		{"--lang zh", nil, []string{"--lang", "zh"}, true},
		{"a Chinese locale", zhLocale, nil, true},
		{"--lang en in a Chinese locale", zhLocale, []string{"--lang=en"}, false},
		{"SOCKPLAY_LANG=zh", []string{"SOCKPLAY_LANG=zh"}, nil, true},
	} {
		args := append([]string{prog, "--server", addr, "--session", code}, tc.args...)
		status, stdout, stderr := sockplayRunEnv(t, tc.env, "", args...)
		lang, attached, refusal := "en", "is attached to your session as local", bindRefused
		if tc.zh {
			lang, attached, refusal = "zh", "已作为 local", i18n.Server(i18n.ZH, bindRefused)
		}
		if want := lang + "\n" + refusal + "\n"; status != 0 || stdout != want || !strings.Contains(stderr, attached) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0, %q and %q", tc.name, status, stdout, stderr, want, attached)
		}
	}
	status, _, stderr := sockplayRun(t, "", prog, "--server", addr, "--session", "nosuchcode", "--lang", "zh")
	if status != exitAttach || !strings.Contains(stderr, "拒绝连接（HTTP 403）：没有会话使用这个连接码") {
		t.Errorf("a wrong code in Chinese: exit %d, stderr %q", status, stderr)
	}
	status, _, stderr = sockplayRun(t, "", prog, "--server", addr, "--session", code, "--lang", "fr")
	if status != exitUsage || !strings.Contains(stderr, `want en or zh, not "fr"`) {
		t.Errorf("--lang fr: exit %d, stderr %q", status, stderr)
	}
	status, _, stderr = sockplayRunEnv(t, zhLocale, "", "--server", addr)
	if status != exitUsage || !strings.Contains(stderr, "运行哪个程序？") || !strings.Contains(stderr, "用法：sockplay run") {
		t.Errorf("a usage error in a Chinese locale: exit %d, stderr %q", status, stderr)
	}
}
