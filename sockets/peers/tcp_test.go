package peers_test

import (
	"context"
	"strings"
	"testing"

	"sockplay/sockets"
)

const pyTCPEcho = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
c.sendall(b'echo ')
c.sendall(b'me')
got = b''
while len(got) < 7:
    chunk = c.recv(1024)
    if not chunk:
        break
    got += chunk
print(got.decode())
`

// TestPeerTCPEcho: every byte comes back, to an engine client and to Python.
func TestPeerTCPEcho(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "tcp-echo", loopback, nil, nil)
	c := dial(t, ctx, p.Addr())
	_, e := c.SendAll(ctx, []byte("hello"), sockets.CallOptions{})
	mustOK(t, "sendall", e)
	if got := recvN(t, ctx, c, 5); string(got) != "hello" {
		t.Errorf("echo: got %q, want %q", got, "hello")
	}
	rec.wait(1, what("accepted"))

	if got := strings.TrimSpace(startPython(t, pyTCPEcho, p.Addr().Port).wait()); got != "echo me" {
		t.Errorf("python got %q, want %q", got, "echo me")
	}
	rec.wait(2, what("accepted"))
	rec.wait(1, what("closed")) // Python closed its end
}

const pyThreaded = `
import socket, sys
addr = ('127.0.0.1', int(sys.argv[1]))
a = socket.create_connection(addr, timeout=10)  # client 1: connects and says nothing yet
b = socket.create_connection(addr, timeout=10)  # client 2
b.sendall(b'hello from b\n')
print(b.recv(1024).decode(), end='', flush=True)
a.sendall('ä\n'.encode())
print(a.recv(1024).decode(), end='')
`

// TestPeerThreadedServer: two clients at once; the first stays silent, and the
// second still gets its answer, so each client has its own goroutine.
func TestPeerThreadedServer(t *testing.T) {
	for _, mode := range []string{"chunk", "line"} {
		t.Run(mode, func(t *testing.T) {
			p, _ := start(t, "threaded-tcp-server", loopback, map[string]any{"mode": mode}, nil)
			py := startPython(t, pyThreaded, p.Addr().Port)
			if got, want := py.line(), "2: HELLO FROM B"; got != want {
				t.Errorf("client b: got %q, want %q", got, want)
			}
			if got, want := py.line(), "1: Ä"; got != want {
				t.Errorf("client a: got %q, want %q", got, want)
			}
			py.wait()
		})
	}
}

// pyChunk is the seeds' client: it sends b'client0' with no newline and
// waits for one recv(1024).
const pyChunk = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
c.send(b'client0')
print(c.recv(1024))
c.send('ä\n'.encode())
print(c.recv(1024).decode(), end='')
`

// TestPeerThreadedServerChunks: by default (chunk mode, as the seeds'
// servers) every recv() chunk gets its answer, newline or not; a chunk that
// ends inside a character keeps its bytes.
func TestPeerThreadedServerChunks(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "threaded-tcp-server", loopback, nil, nil)
	if ev := rec.wait(1, what("listening"))[0]; !strings.Contains(ev.Note, "in chunk mode") {
		t.Errorf("listening note %q does not name chunk mode", ev.Note)
	}
	py := startPython(t, pyChunk, p.Addr().Port)
	if got, want := py.line(), `b'1: CLIENT0'`; got != want {
		t.Errorf("python client: got %s, want %s", got, want)
	}
	if got, want := py.line(), "1: Ä"; got != want {
		t.Errorf("python client: got %q, want %q", got, want)
	}
	py.wait()

	// "é" (c3 a9) cut in two by the sends: each half is a chunk of its own,
	// since the next is sent only once the answer is back; the halves come
	// back unchanged, the letters in capitals.
	c := dial(t, ctx, p.Addr())
	for _, tc := range []struct{ send, want string }{{"a\xc3", "2: A\xc3"}, {"\xa9b", "2: \xa9B"}} {
		_, e := c.SendAll(ctx, []byte(tc.send), sockets.CallOptions{})
		mustOK(t, "sendall", e)
		if got := recvN(t, ctx, c, len(tc.want)); string(got) != tc.want {
			t.Errorf("chunk %q: got %q, want %q", tc.send, got, tc.want)
		}
	}
}

// TestPeerThreadedServerLines: in line mode a line's answer waits for its
// newline, so a line split over sends gets one answer, after its end.
func TestPeerThreadedServerLines(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "threaded-tcp-server", loopback, map[string]any{"mode": "line"}, nil)
	if ev := rec.wait(1, what("listening"))[0]; !strings.Contains(ev.Note, "in line mode") {
		t.Errorf("listening note %q does not name line mode", ev.Note)
	}
	c := dial(t, ctx, p.Addr())
	for _, tc := range []struct{ send, want string }{{"one\ntw", "1: ONE\n"}, {"o\nthree\n", "1: TWO\n1: THREE\n"}} {
		_, e := c.SendAll(ctx, []byte(tc.send), sockets.CallOptions{})
		mustOK(t, "sendall", e)
		if got := recvN(t, ctx, c, len(tc.want)); string(got) != tc.want {
			t.Errorf("after %q: got %q, want %q", tc.send, got, tc.want)
		}
	}
}

const pyBurst = `
import socket, sys, fcntl, termios, array, time
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
total = int(sys.argv[2])
queued = array.array('i', [0])
deadline = time.monotonic() + 10
while queued[0] < total and time.monotonic() < deadline:  # wait until every message is queued
    fcntl.ioctl(c, termios.FIONREAD, queued)
    time.sleep(0.01)
data = c.recv(4096)
print(data.decode())
`

// TestPeerBurstSender: messages sent back to back arrive stuck together: once
// they are all queued, one recv() returns all of them, and the engine says
// which send() calls the chunk holds.
func TestPeerBurstSender(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "burst-sender", loopback, map[string]any{"count": 4.0, "size": 3.0}, nil)
	want := "aaabbbcccddd"

	c := dial(t, ctx, p.Addr())
	rec.wait(1, what("done"))
	waitQueued(t, c, len(want))
	r, e := c.Recv(ctx, 4096, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != want {
		t.Errorf("one recv: got %q, want %q (all four messages stuck together)", r.Data, want)
	}
	if len(r.Sends) != 4 {
		t.Errorf("the chunk holds %d send records, want 4: %+v", len(r.Sends), r.Sends)
	}
	if sent := rec.wait(4, what("sent")); string(sent[3].Data) != "ddd" || sent[3].Fields["index"] != "4" {
		t.Errorf("4th sent event: %q, %v", sent[3].Data, sent[3].Fields)
	}

	py := startPython(t, pyBurst, p.Addr().Port, len(want))
	if got := strings.TrimSpace(py.wait()); got != want {
		t.Errorf("python's one recv: got %q, want %q", got, want)
	}
}

// waitQueued waits until n bytes are in c's receive queue.
func waitQueued(t *testing.T, c *sockets.Socket, n int) {
	t.Helper()
	ctx := timeout(t)
	for {
		st, e := c.Stat()
		mustOK(t, "stat", e)
		if st.InQ >= n {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d bytes queued, want %d", st.InQ, n)
		}
		pause()
	}
}

const pySlow = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
c.setblocking(False)
sent = 0
try:
    while sent < 64 << 20:
        sent += c.send(b'x' * 65536)
    print('never blocked')
except BlockingIOError:
    print('send would block after', sent, 'bytes')
`

// TestPeerSlowReader: a sender to the slow reader fills the buffers, and its
// send waits (the engine says so through CallOptions.OnWait); the reader meanwhile
// reads small chunks.
func TestPeerSlowReader(t *testing.T) {
	p, rec := start(t, "slow-reader", loopback, map[string]any{"chunk": 100, "delay_ms": 10}, nil)
	ctx, cancel := context.WithCancel(timeout(t))
	defer cancel()
	c := dial(t, ctx, p.Addr())
	if _, e := c.SetOption("SOL_SOCKET", "SO_SNDBUF", 4096); e != nil {
		t.Fatalf("SO_SNDBUF: %v", e)
	}
	waited := make(chan struct{})
	done := make(chan *sockets.Error, 1)
	go func() {
		_, e := c.SendAll(ctx, make([]byte, 8<<20), sockets.CallOptions{OnWait: func() { close(waited) }})
		done <- e
	}()
	select {
	case <-waited:
	case e := <-done:
		t.Fatalf("sendall of 8 MiB finished (%v) without waiting", e)
	case <-ctx.Done():
		t.Fatal("sendall did not wait")
	}
	recvs := rec.wait(2, what("recv"))
	for _, ev := range recvs {
		if ev.Size > 100 {
			t.Errorf("the slow reader read %d bytes at once, want at most its chunk, 100", ev.Size)
		}
	}
	cancel()
	if e := <-done; e == nil || e.Kind != sockets.KindCancelled {
		t.Errorf("cancelled sendall: got %v, want cancelled", e)
	}
	if note := rec.wait(1, what("listening"))[0].Note; !strings.Contains(note, "SO_RCVBUF is 8192") {
		t.Errorf("listening note does not give the real SO_RCVBUF: %q", note)
	}

	out := strings.TrimSpace(startPython(t, pySlow, p.Addr().Port).wait())
	if !strings.HasPrefix(out, "send would block after") {
		t.Errorf("python: %q, want its send to block", out)
	}
}
