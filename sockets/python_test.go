package sockets_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"sockplay/sockets"
)

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

// startPython starts script with args; its stdout and stderr are collected.
func startPython(t *testing.T, script string, args ...string) (wait func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	cmd := exec.CommandContext(ctx, python(t), append([]string{"-c", script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting python3: %v", err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			cancel()
			cmd.Wait()
		}
		cancel()
	})
	return func() string {
		t.Helper()
		waited = true
		if err := cmd.Wait(); err != nil {
			t.Fatalf("python3: %v\nstderr:\n%s", err, stderr.String())
		}
		return stdout.String()
	}
}

const pyUDPClient = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.sendto(b'hello from python', ('127.0.0.1', int(sys.argv[1])))
print(s.getsockname()[1])
`

func TestPythonUDPClient(t *testing.T) {
	s, sa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	out := startPython(t, pyUDPClient, strconv.Itoa(sa.Port))()
	port, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("python printed %q, want its port", out)
	}
	r, e := s.RecvFrom(context.Background(), 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "hello from python" {
		t.Errorf("data: got %q, want %q", r.Data, "hello from python")
	}
	if want := (sockets.Addr{Host: "127.0.0.1", Port: port}); r.From == nil || *r.From != want {
		t.Errorf("From: got %v, want %v", r.From, want)
	}
}

const pyTCPClient = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
print(c.getsockname()[1])
c.sendall(b'echo me')
c.shutdown(socket.SHUT_WR)
got = b''
while True:
    chunk = c.recv(1024)
    if not chunk:
        break
    got += chunk
print(got.decode())
`

// TestPythonTCPClient: Python connects to an engine listener and sends; the
// engine echoes until Python shuts down its side, then closes.
func TestPythonTCPClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	l, la := listener(t, sockets.AFInet)
	wait := startPython(t, pyTCPClient, strconv.Itoa(la.Port))

	conn, peer, e := l.Accept(ctx, sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer conn.Close()
	for range 100 { // bounded: Python sends 7 bytes, then EOF
		r, e := conn.Recv(ctx, 1024, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if len(r.Data) == 0 {
			break
		}
		if _, e := conn.SendAll(ctx, r.Data, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendall: %v", e)
		}
	}
	conn.Close()

	lines := strings.Split(strings.TrimSpace(wait()), "\n")
	if len(lines) != 2 {
		t.Fatalf("python printed %q, want its port and the echo", lines)
	}
	if lines[1] != "echo me" {
		t.Errorf("python got back %q, want %q", lines[1], "echo me")
	}
	if want := (sockets.Addr{Host: "127.0.0.1", Port: atoi(t, lines[0])}); peer != want {
		t.Errorf("accept peer: got %v, want %v", peer, want)
	}
}

const pyUDPServer = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(1024)
s.sendto(data.upper(), addr)
print(addr[1])
`

// TestPythonUDPServer: the engine talks to a Python server, which sees the
// engine's address as Python would show it.
func TestPythonUDPServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	cmd := exec.CommandContext(ctx, python(t), "-c", pyUDPServer)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading python's port: %v\nstderr:\n%s", err, stderr.String())
	}
	pyPort := atoi(t, line)

	s, sa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	if _, _, e := s.SendTo(ctx, []byte("shout"), sockets.Addr{Host: "127.0.0.1", Port: pyPort}, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto: %v", e)
	}
	r, e := s.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "SHOUT" {
		t.Errorf("reply: got %q, want %q", r.Data, "SHOUT")
	}
	if want := (sockets.Addr{Host: "127.0.0.1", Port: pyPort}); r.From == nil || *r.From != want {
		t.Errorf("From: got %v, want %v", r.From, want)
	}
	rest, _ := io.ReadAll(out)
	if got := strings.TrimSpace(string(rest)); got != strconv.Itoa(sa.Port) {
		t.Errorf("python saw port %q, want %d\nstderr:\n%s", got, sa.Port, stderr.String())
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("got %q, want a number", s)
	}
	return n
}
