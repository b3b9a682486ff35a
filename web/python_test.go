package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockplay/sessions"
)

// pythonTimeout bounds each Python program.
const pythonTimeout = 30 * time.Second

// python is a Python 3 program running as an outside client of the
// playground's sockets. Its first line of output is a port number.
type python struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// startPython runs script with args. Without python3 the test is skipped,
// except on CI (CI=true), where that is a failure.
func startPython(t *testing.T, script string, args ...string) *python {
	t.Helper()
	path := pythonPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	t.Cleanup(cancel)
	p := &python{t: t, cmd: exec.CommandContext(ctx, path, append([]string{"-c", script}, args...)...)}
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start python3: %v", err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// port reads the port the program prints first.
func (p *python) port() int {
	p.t.Helper()
	line, err := p.out.ReadString('\n')
	n, convErr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || convErr != nil {
		p.t.Fatalf("python printed %q (%v) instead of a port; stderr:\n%s", line, err, p.stderr.String())
	}
	return n
}

// wait waits for the program, failing the test unless it exits 0.
func (p *python) wait() {
	p.t.Helper()
	io.Copy(io.Discard, p.out)
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("python: %v; stderr:\n%s", err, p.stderr.String())
	}
}

const pythonUDP = `
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(20)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.sendto('hello from Python, 你好'.encode('utf-8'), ('127.0.0.1', port))
data, addr = s.recvfrom(1024)
if data != b'reply from the page' or addr != ('127.0.0.1', port):
    sys.exit('got %r from %r' % (data, addr))
`

// TestPythonUDP: a Python program sends a datagram to a playground socket,
// which sees Python's address and bytes, and replies.
func TestPythonUDP(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	u := c.socket("SOCK_DGRAM")
	addr := c.bind(u, "127.0.0.1", 0)
	py := startPython(t, pythonUDP, strconv.Itoa(port(addr)))
	from := wantAddr("127.0.0.1", py.port())

	r := c.must("recvfrom", obj{"sock": u, "bufsize": 1024})
	const sent = "hello from Python, 你好"
	checkData(t, r, obj{"size": len(sent), "hex": hex.EncodeToString([]byte(sent)), "text": sent, "encoding": "utf-8"})
	if !reflect.DeepEqual(r.addr("addr"), from) || r["truncated"] != false || r.num("size") != len(sent) {
		t.Errorf("recvfrom addr %v truncated %v size %v, want %v false %d", r.addr("addr"), r["truncated"], r["size"], from, len(sent))
	}
	if r := c.must("sendto", obj{"sock": u, "data": text("reply from the page"), "addr": from}); r.num("n") != 19 {
		t.Errorf("sendto n %v, want 19", r["n"])
	}
	py.wait()
}

const pythonTCP = `
import socket, sys
port = int(sys.argv[1])
msg = 'echo me: 你好, sockets!'.encode('utf-8')
k = socket.create_connection(('127.0.0.1', port), timeout=20)
print(k.getsockname()[1], flush=True)
k.sendall(msg)
got = b''
while len(got) < len(msg):
    chunk = k.recv(1024)
    if not chunk:
        break
    got += chunk
k.close()
if got != msg:
    sys.exit('echo %r, want %r' % (got, msg))
`

// TestPythonTCP: a Python client connects to a playground listening socket;
// the page accepts and echoes what it receives until Python closes.
func TestPythonTCP(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	l := c.socket("SOCK_STREAM")
	addr := c.bind(l, "127.0.0.1", 0)
	c.must("listen", obj{"sock": l})
	acc := c.send("accept", obj{"sock": l})
	py := startPython(t, pythonTCP, strconv.Itoa(port(addr)))
	from := wantAddr("127.0.0.1", py.port())

	a := c.wait("result", acc)
	if !a.ok() || !reflect.DeepEqual(a.addr("addr"), from) {
		t.Fatalf("accept %v, want ok from %v", a, from)
	}
	conn := a.str("conn")
	const msgText = "echo me: 你好, sockets!"
	var echoed []byte
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatalf("still receiving after 100 recv calls; echoed %q", echoed)
		}
		r := c.must("recv", obj{"sock": conn, "bufsize": 1024})
		if _, ok := r["sends"]; ok {
			t.Errorf("recv from a Python peer has sends %v, want none", r["sends"])
		}
		d := r.obj("data")
		if d.num("size") == 0 {
			break // Python closed
		}
		c.must("sendall", obj{"sock": conn, "data": obj{"hex": d.str("hex")}})
		b, _ := hex.DecodeString(d.str("hex"))
		echoed = append(echoed, b...)
	}
	if string(echoed) != msgText {
		t.Errorf("the page echoed %q, want %q", echoed, msgText)
	}
	py.wait()
}
