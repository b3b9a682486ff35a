package web_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockplay/sessions"
	pylib "sockplay/sessions/python"
)

// Python programs on sockplay's socket module: each runs in a real
// python3 whose file descriptor 3 is a channel served by ServeChannel for
// a page's session, and most run once more on CPython's own socket module
// (on this network namespace's loopback), which must print the same.

// moduleTimeout bounds each program.
const moduleTimeout = 60 * time.Second

// pythonPath returns python3's path, skipping the test without it (except
// on CI, where that fails it).
func pythonPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed for this test: %v", err)
		}
		t.Skipf("no python3: %v", err)
	}
	return path
}

// ran is what a program did.
type ran struct {
	stdout, stderr string
	err            error // from Wait: nil for exit status 0
}

// runOnSockplay runs code with sockplay's modules, its channel served for
// page's session as program.
func runOnSockplay(t *testing.T, ts *testServer, page *client, program, code string) ran {
	t.Helper()
	dir, err := pylib.Dir()
	if err != nil {
		t.Fatal(err)
	}
	sess := ts.manager.Get(page.hello.str("session"))
	if sess == nil {
		t.Fatal("the page's session is gone")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	server, child := os.NewFile(uintptr(fds[0]), "channel"), os.NewFile(uintptr(fds[1]), "program's channel")
	served := make(chan struct{})
	go func() {
		defer close(served)
		ts.web.ServeChannel(sess, server, program)
	}()
	r := execPython(t, code, []string{"PYTHONPATH=" + dir, "SOCKPLAY_FD=3"}, child)
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Error("ServeChannel did not return within 10 s of the program's end")
	}
	return r
}

// runOnCPython runs code with CPython's own modules.
func runOnCPython(t *testing.T, code string) ran {
	t.Helper()
	return execPython(t, code, nil, nil)
}

// execPython runs python3 -c code with env added; fd3, if not nil, becomes
// its file descriptor 3 (and is closed here once the child has it).
func execPython(t *testing.T, code string, env []string, fd3 *os.File) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), moduleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonPath(t), "-c", code)
	cmd.Env = append(append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if fd3 != nil {
		cmd.ExtraFiles = []*os.File{fd3}
	}
	err := cmd.Start()
	if fd3 != nil {
		fd3.Close()
	}
	if err != nil {
		t.Fatalf("start python3: %v", err)
	}
	err = cmd.Wait()
	return ran{stdout.String(), stderr.String(), err}
}

// newModuleServer is a server with a page attached and live.
func newModuleServer(t *testing.T) (*testServer, *client) {
	t.Helper()
	ts := newServer(t, sessions.Config{})
	page := ts.dial(t)
	page.must("encoding", map[string]any{"encoding": "utf-8"})
	return ts, page
}

// checkBoth runs code on sockplay's module and on CPython's: each must
// exit 0 and print want.
func checkBoth(t *testing.T, code, want string) {
	t.Helper()
	ts, page := newModuleServer(t)
	got := runOnSockplay(t, ts, page, "p1", code)
	if got.err != nil || got.stdout != want {
		t.Errorf("on sockplay: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", got.err, got.stdout, got.stderr, want)
	}
	cp := runOnCPython(t, code)
	if cp.err != nil || cp.stdout != want {
		t.Errorf("on CPython's own socket module: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", cp.err, cp.stdout, cp.stderr, want)
	}
}

// dedent removes the tab indentation of a Go raw string's lines.
func dedent(s string) string {
	lines := strings.Split(strings.TrimPrefix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	return strings.Join(lines, "\n")
}

func TestModuleUDPEcho(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, threading
	server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	server.bind(("127.0.0.1", 0))
	addr = server.getsockname()
	def echo():
	    data, client = server.recvfrom(1024)
	    server.sendto(data.upper(), client)
	t = threading.Thread(target=echo)
	t.start()
	with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
	    print(c.sendto(b"hello udp", addr))
	    data, frm = c.recvfrom(1024)
	    print(data, frm == addr)
	t.join()
	server.close()
	print(server.fileno(), repr(server)[:20])
	`), "9\nb'HELLO UDP' True\n-1 <socket.socket [clos\n")
}

func TestModuleTCPThreads(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, threading
	listener = socket.socket()
	listener.bind(("127.0.0.1", 0))
	listener.listen()
	accepted = []
	def serve():
	    conn, addr = listener.accept()
	    accepted.append(addr)
	    with conn:
	        while data := conn.recv(4):
	            conn.sendall(data.upper())
	server = threading.Thread(target=serve)
	server.start()
	client = socket.create_connection(listener.getsockname(), timeout=10)
	peer = client.getpeername()
	client.sendall(b"hello, tcp")
	client.shutdown(socket.SHUT_WR)
	reply = b""
	while data := client.recv(100):
	    reply += data
	server.join()
	print("server: peer is the client:", accepted == [client.getsockname()])
	print("client:", reply, peer == listener.getsockname())
	client.close()
	listener.close()
	`), "server: peer is the client: True\nclient: b'HELLO, TCP' True\n")
}

func TestModuleThreadingTCPServer(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, socketserver, threading
	class Upper(socketserver.StreamRequestHandler):
	    def handle(self):
	        for line in self.rfile:
	            self.wfile.write(line.upper())
	with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upper) as server:
	    threading.Thread(target=server.serve_forever, daemon=True).start()
	    # Both connect first: the first client's handler waits on its line
	    # while the second is served, which a server without threads cannot do.
	    first = socket.create_connection(server.server_address)
	    second = socket.create_connection(server.server_address)
	    for client, line in ((second, b"second\n"), (first, b"first\n")):
	        client.sendall(line)
	        print(client.makefile("rb").readline())
	    first.close()
	    second.close()
	    server.shutdown()
	print("done")
	`), "b'SECOND\\n'\nb'FIRST\\n'\ndone\n")
}

func TestModuleThreadingUDPServer(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, socketserver, threading
	class Echo(socketserver.DatagramRequestHandler):
	    def handle(self):
	        self.wfile.write(b"echo: " + self.rfile.read())
	with socketserver.ThreadingUDPServer(("127.0.0.1", 0), Echo) as server:
	    threading.Thread(target=server.serve_forever, daemon=True).start()
	    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
	        c.settimeout(10)
	        for word in (b"one", b"two"):
	            c.sendto(word, server.server_address)
	            print(c.recvfrom(100)[0])
	    server.shutdown()
	`), "b'echo: one'\nb'echo: two'\n")
}

func TestModuleErrors(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, errno
	def show(e):
	    print(type(e).__name__, e.errno, repr(e.strerror), str(e))
	# settimeout: a recv that waits longer raises TimeoutError.
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind(("127.0.0.1", 0))
	u.settimeout(0.2)
	print(u.gettimeout())
	try:
	    u.recvfrom(10)
	except socket.timeout as e:
	    print(type(e).__name__, e, isinstance(e, TimeoutError), e.errno)
	# Non-blocking: BlockingIOError.
	u.setblocking(False)
	print(u.gettimeout(), u.getblocking())
	try:
	    u.recv(10)
	except BlockingIOError as e:
	    show(e)
	# A second bind to the same address.
	other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:
	    other.bind(u.getsockname())
	except OSError as e:
	    show(e)
	# Nothing listens: ConnectionRefusedError, and connect_ex's errno.
	free = socket.socket()
	free.bind(("127.0.0.1", 0))
	port = free.getsockname()[1]
	c = socket.socket()
	try:
	    c.connect(("127.0.0.1", port))
	except ConnectionRefusedError as e:
	    show(e)
	print(socket.socket().connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED)
	# A closed socket.
	c.close()
	try:
	    c.send(b"x")
	except OSError as e:
	    show(e)
	try:
	    u.send("text")
	except TypeError as e:
	    print("TypeError", e)
	`), `0.2
TimeoutError timed out True None
0.0 False
BlockingIOError 11 'Resource temporarily unavailable' [Errno 11] Resource temporarily unavailable
OSError 98 'Address already in use' [Errno 98] Address already in use
ConnectionRefusedError 111 'Connection refused' [Errno 111] Connection refused
True
OSError 9 'Bad file descriptor' [Errno 9] Bad file descriptor
TypeError a bytes-like object is required, not 'str'
`)
}

func TestModuleResetAndBrokenPipe(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, threading
	listener = socket.create_server(("127.0.0.1", 0))
	sent = threading.Event()
	def server():
	    conn, _ = listener.accept()
	    sent.wait()
	    conn.close()  # with the client's bytes unread: Linux resets the connection
	t = threading.Thread(target=server)
	t.start()
	c = socket.create_connection(listener.getsockname())
	c.sendall(b"unread")
	sent.set()
	t.join()
	try:
	    c.recv(10)
	except ConnectionResetError as e:
	    print(type(e).__name__, e)
	try:
	    c.sendall(b"more")
	except BrokenPipeError as e:
	    print(type(e).__name__, e)
	`), "ConnectionResetError [Errno 104] Connection reset by peer\nBrokenPipeError [Errno 32] Broken pipe\n")
}

func TestModuleTruncatedRecvfrom(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	r.bind(("127.0.0.1", 0))
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.sendto(b"0123456789", r.getsockname())
	s.sendto(b"next", r.getsockname())
	print(r.recvfrom(4)[0])  # the datagram's other 6 bytes are gone
	buf = bytearray(8)
	n, addr = r.recvfrom_into(buf)
	print(n, bytes(buf[:n]), addr[1] == s.getsockname()[1])
	`), "b'0123'\n4 b'next' True\n")
}

func TestModuleSelect(t *testing.T) {
	checkBoth(t, dedent(`
	import socket, select, selectors
	r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	r.bind(("127.0.0.1", 0))
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	print(select.select([r], [], [], 0.2))  # nothing to read: the timeout runs out
	print(select.select([r], [s], [], 5) == ([], [s], []))  # s can always send
	s.sendto(b"ping", r.getsockname())
	print(select.select([r], [], [], 5)[0] == [r])
	with selectors.DefaultSelector() as sel:
	    sel.register(r, selectors.EVENT_READ, data="r")
	    print([(key.data, events) for key, events in sel.select(timeout=5)])
	    print(r.recv(10))
	    print(sel.select(timeout=0.1))
	`), "([], [], [])\nTrue\nTrue\n[('r', 1)]\nb'ping'\n[]\n")
}

func TestModuleMakefile(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	listener = socket.create_server(("127.0.0.1", 0))
	client = socket.create_connection(listener.getsockname())
	conn, _ = listener.accept()
	client.sendall("line one\nline two, 你好\nrest".encode())
	client.shutdown(socket.SHUT_WR)
	with conn.makefile("r", encoding="utf-8") as f:
	    print(repr(f.readline()))
	    print(repr(f.readline()))
	    print(repr(f.read()))
	with conn.makefile("wb") as w:
	    w.write(b"from a file\n")
	conn.close()  # the file is closed: the socket closes now
	print(client.recv(100))
	print(client.recv(100))
	`), "'line one\\n'\n'line two, 你好\\n'\n'rest'\nb'from a file\\n'\nb''\n")
}

func TestModuleBroadcast(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	receiver.bind(("", 0))
	port = receiver.getsockname()[1]
	sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:
	    sender.sendto(b"hello all", ("127.255.255.255", port))
	except PermissionError as e:
	    print(type(e).__name__, e)
	print(sender.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
	sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
	print(sender.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
	sender.sendto(b"hello all", ("127.255.255.255", port))
	receiver.settimeout(10)
	print(receiver.recvfrom(100)[0])
	`), "PermissionError [Errno 13] Permission denied\n0\n1\nb'hello all'\n")
}

// framingServer is the shared start of the framing programs: a server
// thread that answers each framed message, and recv_exact.
const framingServer = `
import json, socket, struct, threading
def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data
listener = socket.create_server(("127.0.0.1", 0))
`

func TestModuleLengthPrefix(t *testing.T) {
	checkBoth(t, framingServer+dedent(`
	def serve():
	    conn, _ = listener.accept()
	    with conn:
	        for _ in range(3):
	            (n,) = struct.unpack("!I", recv_exact(conn, 4))
	            print("server got", recv_exact(conn, n))
	t = threading.Thread(target=serve)
	t.start()
	with socket.create_connection(listener.getsockname()) as c:
	    # Three messages in one sendall: the prefix keeps them apart.
	    c.sendall(b"".join(struct.pack("!I", len(m)) + m for m in (b"one", b"", b"three" * 3)))
	    t.join()
	`), "server got b'one'\nserver got b''\nserver got b'threethreethree'\n")
}

func TestModuleJSONHeader(t *testing.T) {
	checkBoth(t, framingServer+dedent(`
	def send_msg(sock, header, body):
	    header = json.dumps(dict(header, data_size=len(body))).encode()
	    sock.sendall(struct.pack("i", len(header)) + header + body)
	def recv_msg(sock):
	    (n,) = struct.unpack("i", recv_exact(sock, 4))
	    header = json.loads(recv_exact(sock, n))
	    return header, recv_exact(sock, header["data_size"])
	def serve():
	    conn, _ = listener.accept()
	    with conn:
	        header, body = recv_msg(conn)
	        send_msg(conn, {"cmd": header["cmd"], "status": "ok"}, body[::-1])
	t = threading.Thread(target=serve)
	t.start()
	with socket.create_connection(listener.getsockname()) as c:
	    send_msg(c, {"cmd": "reverse"}, b"stressed")
	    print(recv_msg(c))
	t.join()
	`), "({'cmd': 'reverse', 'status': 'ok', 'data_size': 8}, b'desserts')\n")
}
