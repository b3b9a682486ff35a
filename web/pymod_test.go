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
func pythonPath(t testing.TB) string {
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
	return runOnSockplayWith(t, ts, page, program, code, nil)
}

// runOnSockplayWith is runOnSockplay that calls started (if not nil) with
// the process once it runs.
func runOnSockplayWith(t *testing.T, ts *testServer, page *client, program, code string, started func(*os.Process)) ran {
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
	r := execPython(t, code, []string{"PYTHONPATH=" + dir, "SOCKPLAY_FD=3"}, child, started)
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
	return execPython(t, code, nil, nil, nil)
}

// execPython runs python3 -c code with env added; fd3, if not nil, becomes
// its file descriptor 3 (and is closed here once the child has it);
// started, if not nil, gets the process once it runs.
func execPython(t *testing.T, code string, env []string, fd3 *os.File, started func(*os.Process)) ran {
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
	if started != nil {
		started(cmd.Process)
	}
	err = cmd.Wait()
	return ran{stdout.String(), stderr.String(), err}
}

// newModuleServer is a server with a page attached and live.
func newModuleServer(t *testing.T) (*testServer, *client) {
	t.Helper()
	return newModuleServerWith(t, sessions.Config{})
}

// newPrivateModuleServer is newModuleServer for a private session (it
// skips where private networks cannot be made).
func newPrivateModuleServer(t *testing.T) (*testServer, *client) {
	t.Helper()
	cfg, _ := privateConfig(t)
	return newModuleServerWith(t, cfg)
}

// newModuleServerWith is a server of cfg with a page attached and live.
func newModuleServerWith(t *testing.T, cfg sessions.Config) (*testServer, *client) {
	t.Helper()
	ts := newServer(t, cfg)
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
	for address in ("127.0.0.1:80", ("127.0.0.1",)):
	    try:
	        socket.socket().connect(address)
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
TypeError connect(): AF_INET address must be tuple, not str
TypeError AF_INET address must be a pair (host, port)
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

// onSockplay runs code on sockplay's module for page's session; it must
// exit 0 and print want.
func onSockplay(t *testing.T, ts *testServer, page *client, code, want string) ran {
	t.Helper()
	got := runOnSockplay(t, ts, page, "p1", code)
	if got.err != nil || got.stdout != want {
		t.Errorf("on sockplay: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", got.err, got.stdout, got.stderr, want)
	}
	return got
}

// TestModuleSeenByPage: a program's calls are the session's: a page
// attached to it sees their results (and a blocking call's waiting), and
// the program's sockets marked as its own.
func TestModuleSeenByPage(t *testing.T) {
	ts, page := newModuleServer(t)
	onSockplay(t, ts, page, dedent(`
	import socket, threading
	listener = socket.create_server(("127.0.0.1", 0))
	print(listener.handle)
	def connect():
	    socket.create_connection(listener.getsockname()).close()
	threading.Timer(0.3, connect).start()
	conn, _ = listener.accept()
	print(conn.handle)
	`), "s1\ns3\n")
	var accept msg
	marked := map[string]bool{}
	for accept == nil || !marked["s3"] { // s3's socket message follows the accept's result
		m := page.next()
		switch {
		case m.str("kind") == "socket" && m.str("program") == "p1":
			marked[m.str("sock")] = true
		case m.str("kind") == "result" && m.str("op") == "accept":
			accept = m
		}
	}
	if !accept.ok() || accept.str("conn") != "s3" || accept.str("program") != "p1" || accept.num("id") >= 0 {
		t.Errorf("the page's accept result %v: want ok, conn s3, program p1, a negative id", accept)
	}
	for _, h := range []string{"s1", "s2", "s3"} {
		if !marked[h] {
			t.Errorf("socket %s: no socket message marked program p1 (marked: %v)", h, marked)
		}
	}
	waited := page.find(func(m msg) bool { return m.str("kind") == "waiting" && m.str("op") == "accept" })
	if len(waited) != 1 || waited[0].num("id") != accept.num("id") {
		t.Errorf("waiting messages for the accept: %v, want one with id %d", waited, accept.num("id"))
	}
}

// TestModuleBadLines: a program that writes lines that are not requests to
// its channel is told why on stderr, and its session and sockets go on.
func TestModuleBadLines(t *testing.T) {
	ts, page := newModuleServer(t)
	got := onSockplay(t, ts, page, dedent(`
	import os, socket
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("127.0.0.1", 0))
	for line in (b"print('hi')\n", b'{"op": "socket", "id": []}\n', b"\xff\xfe\n"):
	    os.write(3, line)
	s.sendto(b"still here", s.getsockname())
	print(s.recv(100))
	`), "b'still here'\n")
	for _, want := range []string{"malformed request", "id must be an integer", "not UTF-8"} {
		if !strings.Contains(got.stderr, "sockplay: the server refused a request: ") || !strings.Contains(got.stderr, want) {
			t.Errorf("stderr %q: want a refusal saying %q", got.stderr, want)
		}
	}
	page.must("socket", map[string]any{"type": "SOCK_DGRAM"}) // the session lives on
}

// TestModuleHelpers: the sockplay module, and sockets made by a page used
// from a program by their handle.
func TestModuleHelpers(t *testing.T) {
	ts, page := newModuleServer(t)
	s1 := page.socket("SOCK_DGRAM")
	page.bind(s1, "127.0.0.1", 0)
	onSockplay(t, ts, page, dedent(`
	import socket, sockplay
	peer, addr = sockplay.spawn("udp-echo")
	print(peer, addr[0])
	mine = sockplay.socket_of("`+s1+`")
	print(sockplay.handle(mine), mine.type)
	mine.settimeout(10)
	mine.sendto(b"echo me", addr)
	print(mine.recvfrom(100) == (b"echo me", addr))
	listener = socket.create_server(("127.0.0.1", 0))
	c = socket.create_connection(listener.getsockname())
	conn, _ = listener.accept()
	c.sendall(b"12345")
	while sockplay.queued(conn)[0] < 5:
	    pass
	print(sockplay.queued(conn))
	info = sockplay.tcp_info(conn)
	print(info["state"], info["peek"], info["bytes_received"])
	print(type(sockplay.packets()))
	sockplay.kill(peer)
	try:
	    sockplay.kill(peer)
	except ValueError as e:
	    print("ValueError")
	except OSError as e:
	    print("OSError")
	`), "p1 127.0.0.1\ns1 2\nTrue\n(5, 0)\nESTABLISHED b'12345' 5\n<class 'list'>\nOSError\n")
}

// TestModuleNamesAndPolicy: names resolve only as the policy allows, and
// a refused address is sockplay's PolicyError.
func TestModuleNamesAndPolicy(t *testing.T) {
	ts, page := newModuleServer(t)
	onSockplay(t, ts, page, dedent(`
	import socket, sockplay
	print(socket.gethostbyname("localhost"), socket.gethostbyname(socket.gethostname()))
	print(socket.getaddrinfo("localhost", 9000, socket.AF_INET, socket.SOCK_STREAM))
	try:
	    socket.create_connection(("example.com", 80))
	except socket.gaierror as e:
	    print(type(e).__name__, e)
	s = socket.socket()
	try:
	    s.bind(("10.1.2.3", 9000))
	except sockplay.PolicyError as e:
	    print(isinstance(e, PermissionError), "policy" in str(e) or "bind" in str(e))
	print(socket.inet_aton("127.0.0.1"), socket.htons(1), socket.AF_INET, socket.SOCK_STREAM == 1)
	`), "127.0.0.1 127.0.0.1\n[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 9000))]\ngaierror [Errno -2] Name or service not known\nTrue True\nb'\\x7f\\x00\\x00\\x01' 256 2 True\n")
}

// TestModuleSelectMixed: select on a sockplay socket and a pipe of the
// program's own at once.
func TestModuleSelectMixed(t *testing.T) {
	ts, page := newModuleServer(t)
	onSockplay(t, ts, page, dedent(`
	import os, select, socket, threading
	r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	r.bind(("127.0.0.1", 0))
	pipe_r, pipe_w = os.pipe()
	print(select.select([r, pipe_r], [], [], 0.2))
	threading.Timer(0.2, os.write, (pipe_w, b"x")).start()
	print(select.select([r, pipe_r], [], [], 10) == ([pipe_r], [], []))
	os.read(pipe_r, 1)
	socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", r.getsockname())
	print(select.select([r, pipe_r], [], [], 10) == ([r], [], []))
	`), "([], [], [])\nTrue\nTrue\n")
}

func TestModuleEdges(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	listener = socket.create_server(("127.0.0.1", 0))
	c = socket.create_connection(listener.getsockname())
	conn, _ = listener.accept()
	print(conn.recv(0), c.send(b""), c.sendall(b""))
	c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
	print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0, c.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE))
	c.sendall(bytearray(b"abc") + memoryview(b"def"))
	buf = bytearray(10)
	view = memoryview(buf)
	n = 0
	while n < 6:
	    n += conn.recv_into(view[n:])
	print(n, bytes(buf))
	print(socket.socket.family.__doc__ is not None or True, c.family == socket.AF_INET, c.type == socket.SOCK_STREAM, c.proto)
	with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as six:
	    six.bind(("::1", 0))
	    print(six.getsockname()[0], len(six.getsockname()))
	try:
	    c.shutdown(7)
	except OSError as e:
	    print(e)
	`), "b'' 0 None\nTrue 1\n6 b'abcdef\\x00\\x00\\x00\\x00'\nTrue True True 6\n::1 4\n[Errno 22] Invalid argument\n")
}

// TestModuleWithoutChannel: without a session the constants still import,
// and the first call says what is missing.
func TestModuleWithoutChannel(t *testing.T) {
	dir, err := pylib.Dir()
	if err != nil {
		t.Fatal(err)
	}
	got := execPython(t, dedent(`
	import socket, select, selectors, socketserver
	print(socket.AF_INET6 == 10, selectors.DefaultSelector is selectors.SelectSelector)
	try:
	    socket.socket()
	except ConnectionError as e:
	    print(e)
	`), []string{"PYTHONPATH=" + dir}, nil, nil)
	want := "True True\nsockplay's socket module needs a sockplay session: run this program from sockplay (Run on the page, or `sockplay run FILE.py`); SOCKPLAY_FD is not set\n"
	if got.err != nil || got.stdout != want {
		t.Errorf("%v\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", got.err, got.stdout, got.stderr, want)
	}
}

// TestModuleExitClosesSockets: when a program ends, the sockets it made
// close, as a process's do; so a second run can bind the same port. A
// page's socket it used stays open.
// TestModuleMakefileLeftOpen: a program that ends with a makefile() file
// still open (the socket closed by its with, the file not: CPython closes
// it as the interpreter ends) exits at once with nothing on stderr, as on
// CPython, and its socket is closed all the same.
func TestModuleMakefileLeftOpen(t *testing.T) {
	code := dedent(`
	import socket
	listener = socket.create_server(("127.0.0.1", 0))
	with socket.create_connection(listener.getsockname()) as client:
	    replies = client.makefile("r", encoding="utf-8")
	    conn, _ = listener.accept()
	    conn.sendall(b"one line\n")
	    print(replies.readline(), end="")
	print("done")
	`)
	ts, page := newModuleServer(t)
	for _, got := range []ran{runOnSockplay(t, ts, page, "p1", code), runOnCPython(t, code)} {
		if got.err != nil || got.stdout != "one line\ndone\n" || got.stderr != "" {
			t.Errorf("%v\nstdout:\n%s\nstderr:\n%s", got.err, got.stdout, got.stderr)
		}
	}
	page.socketMsg("s2", func(m msg) bool { return m.str("state") == "CLOSED" }) // the client's socket
}

func TestModuleExitClosesSockets(t *testing.T) {
	ts, page := newModuleServer(t)
	pages := page.socket("SOCK_DGRAM")
	code := dedent(`
	import socket
	mine = socket.socket.from_handle("` + pages + `")
	listener = socket.socket()
	listener.bind(("127.0.0.1", 45678))
	listener.listen()
	waiting = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	waiting.bind(("127.0.0.1", 0))
	print("bound", listener.getsockname()[1])
	`)
	for run := 1; run <= 2; run++ {
		onSockplay(t, ts, page, code, "bound 45678\n")
	}
	closed := map[string]bool{}
	for !closed["s5"] { // the second run's socket: s2, s3 from the first, s4, s5 from the second
		if m := page.next(); m.str("kind") == "socket" && m.str("state") == "CLOSED" {
			closed[m.str("sock")] = true
		}
	}
	if closed[pages] || !closed["s2"] || !closed["s3"] || !closed["s4"] {
		t.Errorf("closed sockets %v: want the programs' s2-s5, not the page's %s", closed, pages)
	}
	page.must("getsockname", map[string]any{"sock": pages})
}

// TestModuleCtrlC: Ctrl-C in a call that waits raises KeyboardInterrupt
// as in CPython, the server's call is cancelled (a page sees it), and the
// program goes on using its sockets.
func TestModuleCtrlC(t *testing.T) {
	ts, page := newModuleServer(t)
	code := dedent(`
	import socket
	listener = socket.create_server(("127.0.0.1", 0))
	try:
	    listener.accept()
	except KeyboardInterrupt:
	    print("KeyboardInterrupt")
	print(listener.getsockname()[0])
	`)
	interrupt := func(p *os.Process) {
		for { // bounded by page.next's deadline
			if m := page.next(); m.str("kind") == "waiting" && m.str("op") == "accept" {
				break
			}
		}
		p.Signal(os.Interrupt)
	}
	got := runOnSockplayWith(t, ts, page, "p1", code, interrupt)
	if got.err != nil || got.stdout != "KeyboardInterrupt\n127.0.0.1\n" || got.stderr != "" {
		t.Errorf("%v\nstdout:\n%s\nstderr:\n%s", got.err, got.stdout, got.stderr)
	}
	for {
		if m := page.next(); m.str("kind") == "result" && m.str("op") == "accept" {
			if m.ok() || m.obj("error").str("type") != "cancelled" {
				t.Errorf("the accept's result %v, want cancelled", m)
			}
			break
		}
	}
}

// TestModulePrivateNetwork: in a private session a program's sockets live
// in the session's namespace: its loopback broadcast reaches its own
// receiver, and sockplay.packets() shows the datagram the capture saw.
func TestModulePrivateNetwork(t *testing.T) {
	ts, page := newPrivateModuleServer(t)
	onSockplay(t, ts, page, dedent(`
	import socket, sockplay, time
	receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	receiver.bind(("", 9999))
	sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:
	    sender.sendto(b"to all", ("127.255.255.255", 9999))
	except PermissionError as e:
	    print(e)
	sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
	sender.sendto(b"to all", ("127.255.255.255", 9999))
	print(receiver.recvfrom(100)[0])
	deadline = time.monotonic() + 30
	seen = []
	while not seen and time.monotonic() < deadline:
	    seen = [p for p in sockplay.packets() if p["proto"] == "UDP" and p["dst"] == ["127.255.255.255", 9999]]
	    time.sleep(0.05)
	print(len(seen), seen[0]["len"], seen[0].get("broadcast"))
	`), "[Errno 13] Permission denied\nb'to all'\n1 6 True\n")
	if page.hello.str("network") != "private" {
		t.Errorf("hello network %q, want private", page.hello.str("network"))
	}
}

// TestModuleLabHelpers: sockplay's lab helpers on a private session: a
// socket on a host before the lab is an error that loses nothing,
// sockplay.lab builds and keeps the lab, socket_on makes sockets on its
// hosts, segments reads a connection's handshake (lines and packets) and
// refuses a datagram socket, encoding takes the session's encodings only.
func TestModuleLabHelpers(t *testing.T) {
	ts, page := newPrivateModuleServer(t)
	onSockplay(t, ts, page, dedent(`
	import socket, sockplay
	def attempt(f, *args, **kw):
	    try:
	        return f(*args, **kw)
	    except Exception as e:
	        print(type(e).__name__, e)
	attempt(sockplay.socket_on, "h2", socket.AF_INET, socket.SOCK_DGRAM)
	attempt(sockplay.socket_on, "h1", socket.AF_UNIX, socket.SOCK_DGRAM)
	print(sockplay.lab(3))
	print(sockplay.lab(3) == sockplay.lab())
	attempt(sockplay.lab, 4)
	server = sockplay.socket_on("h2", socket.AF_INET, socket.SOCK_STREAM)
	server.bind(("", 0))
	server.listen()
	client = sockplay.socket_on("h1", type=socket.SOCK_STREAM)
	client.connect(("10.77.0.2", server.getsockname()[1]))
	conn, addr = server.accept()
	print(addr[0], conn.getsockname()[0])
	seen = sockplay.segments(client, count=3)
	print(list(seen), seen.lens, sorted(seen.isn))
	print([p["tcp"]["flags"] for p in seen.packets], seen.packets[0]["tcp"]["win"] > 0)
	attempt(sockplay.segments, sockplay.socket_on("h3", socket.AF_INET, socket.SOCK_DGRAM))
	print(sockplay.encoding("gbk"), sockplay.encoding("utf-8"))
	attempt(sockplay.encoding, "latin-1")
	`), `OSError no host "h2": this session has no lab; build one with {"op":"lab","hosts":3}
OSError [Errno 97] Address family not supported by protocol
{'h1': '10.77.0.1', 'h2': '10.77.0.2', 'h3': '10.77.0.3'}
True
OSError this session already has a lab of 3 hosts; tear it down first with {"op":"lab","hosts":0}
10.77.0.1 10.77.0.2
['→ SYN seq=0 len=0', '← SYN,ACK seq=0 ack=1 len=0', '→ ACK seq=1 ack=1 len=0'] [0, 0, 0] ['local', 'peer']
[['SYN'], ['SYN', 'ACK'], ['ACK']] True
OSError segments shows a TCP connection's segments; s4 is a datagram socket
gbk utf-8
LookupError unknown encoding: "latin-1" (utf-8 or gbk)
`)
}

// TestModuleThreadingServerClients: clients with a timeout, each reading
// its replies through makefile() while the others wait on a barrier, then
// shutdown() of the server whose handlers still wait on their lines; on
// CPython, on sockplay, and on sockplay in op run's sandbox.
func TestModuleThreadingServerClients(t *testing.T) {
	code := dedent(`
	import socket, socketserver, threading
	class Shout(socketserver.StreamRequestHandler):
	    def handle(self):
	        for line in self.rfile:
	            self.wfile.write(line.upper())
	class Server(socketserver.ThreadingTCPServer):
	    allow_reuse_address = True
	    daemon_threads = True
	def client(name, address, ready, replies):
	    with socket.create_connection(address, timeout=5) as sock:
	        ready.wait()
	        reader = sock.makefile("rb")
	        for n in (1, 2):
	            sock.sendall(f"{name} line {n}\n".encode())
	            replies.append(reader.readline().decode().strip())
	with Server(("127.0.0.1", 0), Shout) as server:
	    threading.Thread(target=server.serve_forever, daemon=True).start()
	    names = ["ann", "ben", "cat"]
	    ready = threading.Barrier(len(names))
	    replies = []
	    threads = [threading.Thread(target=client, args=(n, server.server_address, ready, replies)) for n in names]
	    for t in threads:
	        t.start()
	    for t in threads:
	        t.join(timeout=30)
	    print(sorted(replies))
	    server.shutdown()
	print("done")
	`)
	want := "['ANN LINE 1', 'ANN LINE 2', 'BEN LINE 1', 'BEN LINE 2', 'CAT LINE 1', 'CAT LINE 2']\ndone\n"
	checkBoth(t, code, want)

	// In the sandbox of op run, whose python3 may have select built in
	// (Debian's): serve_forever must still wait in sockplay's select (a
	// PollSelector on the module's made-up descriptors would call accept
	// at once, and shutdown() would never return).
	base, _ := privateConfig(t)
	cfg, wire := kernelConfig(t)
	base.Programs, base.Channel = cfg.Programs, cfg.Channel
	srv := newServer(t, base)
	wire(srv)
	c := srv.dial(t)
	defer c.use(t)()
	stdout, stderr, exit := c.programOutput(c.run(dedent(`
	import faulthandler, selectors, socketserver
	faulthandler.dump_traceback_later(8, exit=True)  # a hang shows where
	print(selectors.DefaultSelector.__name__, socketserver._ServerSelector.__name__)
	`) + code))
	if want := "SelectSelector SelectSelector\n" + want; exit.num("code") != 0 || stdout != want {
		t.Errorf("in op run's sandbox: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", exit, stdout, stderr, want)
	}
}

// TestModuleRecvmsg: recvmsg's (data, ancdata, msg_flags, address), with
// MSG_TRUNC for a datagram cut short and none for one that fit;
// recvmsg_into scatters into its buffers; bad sizes raise as CPython does.
func TestModuleRecvmsg(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	r.bind(("127.0.0.1", 0))
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("127.0.0.1", 0))
	for word in (b"0123456789", b"fits", b"scattered"):
	    s.sendto(word, r.getsockname())
	data, anc, flags, addr = r.recvmsg(4)
	print(data, anc, bool(flags & socket.MSG_TRUNC), addr == s.getsockname())
	data, anc, flags, addr = r.recvmsg(100, 0)
	print(data, anc, flags)
	a, b = bytearray(3), bytearray(10)
	n, anc, flags, addr = r.recvmsg_into([a, b])
	print(n, bytes(a), bytes(b[:n - 3]), flags, addr == s.getsockname())
	for args in ((-1,), (10, -1)):
	    try:
	        r.recvmsg(*args)
	    except ValueError as e:
	        print(e)
	`), "b'0123' [] True True\nb'fits' [] 0\n9 b'sca' b'ttered' 0 True\nnegative buffer size in recvmsg()\ninvalid ancillary data buffer length\n")
}

// TestModuleGetsockoptBuflen: getsockopt(level, option, buflen) gives the
// kernel's bytes: an int option's 4 (or fewer), TCP_INFO's struct tcp_info
// whose first byte is the TCP state; buflen out of range is OSError.
func TestModuleGetsockoptBuflen(t *testing.T) {
	checkBoth(t, dedent(`
	import socket
	listener = socket.socket()
	listener.bind(("127.0.0.1", 0))
	listener.listen()
	client = socket.create_connection(listener.getsockname())
	conn, _ = listener.accept()
	client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	print(client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 8), client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 2))
	info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
	print(len(info), info[0], listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0])
	client.close()
	print(conn.recv(10), conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0])
	print(conn.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 0))
	for n in (-1, 1025):
	    try:
	        conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, n)
	    except OSError as e:
	        print(e.errno, e)
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:
	    u.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
	except OSError as e:
	    print(e)
	`), "b'\\x01\\x00\\x00\\x00' b'\\x01\\x00'\n160 1 10\nb'' 8\n1\nNone getsockopt buflen out of range\nNone getsockopt buflen out of range\n[Errno 95] Operation not supported\n")
}
