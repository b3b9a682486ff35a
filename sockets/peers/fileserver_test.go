package peers_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sockplay/sockets"
)

var bangI = sockets.Framing{Kind: sockets.FramingJSONHeader, Format: "!I"}

const pyFileClient = `
import socket, struct, json, sys

ADDR = ('127.0.0.1', int(sys.argv[1]))

def recvall(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(min(n - len(data), 65536))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data

def request(s, head, body=b''):
    head = dict(head, data_size=len(body))
    hb = json.dumps(head).encode('utf-8')
    s.sendall(struct.pack('!I', len(hb)) + hb + body)
    n = struct.unpack('!I', recvall(s, 4))[0]
    reply = json.loads(recvall(s, n).decode('utf-8'))
    return reply, recvall(s, reply['data_size'])

def show(reply, body=b''):
    reply = {k: v for k, v in reply.items() if k != 'data_size'}
    print(json.dumps(reply, sort_keys=True), body.decode())

s = socket.create_connection(ADDR, timeout=10)
data = 'hello, 你好\n'.encode('utf-8') * 3
show(*request(s, {'cmd': 'put', 'filename': 'hello.txt', 'offset': 0}, data))
show(*request(s, {'cmd': 'size', 'filename': 'hello.txt'}))
reply, body = request(s, {'cmd': 'get', 'filename': 'hello.txt', 'offset': 0})
print(reply['status'], reply['data_size'], body == data)
show(*request(s, {'cmd': 'get', 'filename': 'hello.txt', 'offset': 28}))
show(*request(s, {'cmd': 'put', 'filename': 'b.bin'}, b'\x00\x01'))
show(*request(s, {'cmd': 'ls'}))
show(*request(s, {'cmd': 'put', 'filename': '../x', 'offset': 0}, b'evil'))
show(*request(s, {'cmd': 'get', 'filename': '/etc/passwd'}))
show(*request(s, {'cmd': 'size', 'filename': 'nope.txt'}))
show(*request(s, {'cmd': 'put', 'filename': 'b.bin', 'offset': 5}, b'gap'))
show(*request(s, {'cmd': 'rm', 'filename': 'b.bin'}))
`

// TestPeerFileServerPython: put, size, get and ls from Python; names that could
// leave the store, offsets past the end and unknown commands are refused,
// and the connection goes on after each refusal.
func TestPeerFileServerPython(t *testing.T) {
	p, rec := start(t, "file-server", loopback, nil, nil)
	out := strings.Split(strings.TrimRight(startPython(t, pyFileClient, p.Addr().Port).wait(), "\n"), "\n")
	want := []string{
		`{"size": 42, "status": "ok"} `,
		`{"size": 42, "status": "ok"} `,
		`ok 42 True`,
		`{"status": "ok"} hello, 你好`,
		``,
		`{"size": 2, "status": "ok"} `,
		`{"status": "ok"} b.bin 2`,
		`hello.txt 42`,
		``,
		`{"error": "bad filename \"../x\": a name is 1 to 64 of A-Z a-z 0-9 . _ - (no slashes, not . or ..)", "status": "error"} `,
		`{"error": "bad filename \"/etc/passwd\": a name is 1 to 64 of A-Z a-z 0-9 . _ - (no slashes, not . or ..)", "status": "error"} `,
		`{"error": "no such file", "status": "error"} `,
		`{"error": "offset 5 is past the end of b.bin (2 bytes); ask its size and put from there", "status": "error"} `,
		`{"error": "unknown cmd \"rm\": use put, size, get or ls", "status": "error"} `,
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("python printed\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if ev := rec.wait(1, what("decoded"))[0]; ev.Fields["cmd"] != "put" || ev.Fields["filename"] != "hello.txt" || ev.Fields["data_size"] != "42" {
		t.Errorf("first decoded event: fields %v", ev.Fields)
	}
}

const pyResume = `
import socket, struct, json, sys

ADDR = ('127.0.0.1', int(sys.argv[1]))
DATA = bytes(range(256)) * 4  # 1024 bytes

def recvall(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(min(n - len(data), 65536))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data

def request(s, head, body=b''):
    head = dict(head, data_size=len(body))
    hb = json.dumps(head).encode('utf-8')
    s.sendall(struct.pack('!I', len(hb)) + hb + body)
    n = struct.unpack('!I', recvall(s, 4))[0]
    reply = json.loads(recvall(s, n).decode('utf-8'))
    return reply, recvall(s, reply['data_size'])

# The first upload is cut by the server.
s = socket.create_connection(ADDR, timeout=10)
try:
    reply, _ = request(s, {'cmd': 'put', 'filename': 'big.bin', 'offset': 0}, DATA)
    print('not dropped', reply)
except (OSError, EOFError) as e:
    print('dropped')
s.close()

# Resume: ask how much arrived, send the rest from there.
s = socket.create_connection(ADDR, timeout=10)
reply, _ = request(s, {'cmd': 'size', 'filename': 'big.bin'})
have = reply['size']
print('have', have)
reply, _ = request(s, {'cmd': 'put', 'filename': 'big.bin', 'offset': have}, DATA[have:])
print('size', reply['size'])
reply, body = request(s, {'cmd': 'get', 'filename': 'big.bin'})
print('same', body == DATA)
`

// TestPeerFileServerResume: with drop_after, the first upload is cut after that
// many body bytes; the client asks the size and sends the rest.
func TestPeerFileServerResume(t *testing.T) {
	p, rec := start(t, "file-server", loopback, map[string]any{"drop_after": 300}, nil)
	out := strings.TrimSpace(startPython(t, pyResume, p.Addr().Port).wait())
	if want := "dropped\nhave 300\nsize 1024\nsame True"; out != want {
		t.Errorf("python printed\n%s\nwant\n%s", out, want)
	}
	closed := rec.wait(1, what("closed"))[0]
	if !strings.Contains(closed.Note, "dropped the connection on purpose after 300 of the 1024 body bytes") {
		t.Errorf("closed event note %q", closed.Note)
	}
}

// TestPeerFileServerLimits: at most 32 files and 8 MiB in all; a put that would
// go past either is refused and leaves the store as it was.
func TestPeerFileServerLimits(t *testing.T) {
	ctx := timeout(t)
	p, _ := start(t, "file-server", loopback, nil, nil)
	c := dial(t, ctx, p.Addr())
	put := func(name string, offset int, body []byte) map[string]any {
		h, _ := ask(t, ctx, c, bangI, body, map[string]any{"cmd": "put", "filename": name, "offset": offset})
		return h
	}
	for i := range 32 {
		if h := put(fmt.Sprintf("f%02d", i), 0, []byte("x")); h["status"] != "ok" {
			t.Fatalf("put file %d: %v", i, h)
		}
	}
	if h := put("one-too-many", 0, []byte("x")); h["error"] != "the server holds 32 files already, its limit" {
		t.Errorf("33rd file: %v", h)
	}
	// Grow f00 to 8 MiB - 31 bytes in all: the other 31 files hold a byte each.
	chunk := bytes.Repeat([]byte("y"), 1<<20)
	size := 1
	for size+len(chunk) <= 8<<20-31 {
		if h := put("f00", size, chunk); h["status"] != "ok" || h["size"] != int64(size+len(chunk)) {
			t.Fatalf("put at %d: %v", size, h)
		}
		size += len(chunk)
	}
	rest := 8<<20 - 31 - size
	if h := put("f00", size, chunk[:rest]); h["status"] != "ok" {
		t.Fatalf("filling up: %v", h)
	}
	if h := put("f01", 1, []byte("z")); h["status"] != "error" || !strings.Contains(h["error"].(string), "at most 8388608 bytes") {
		t.Errorf("one byte over 8 MiB: %v", h)
	}
	// Replacing a file frees its bytes first.
	if h := put("f00", 0, []byte("small")); h["status"] != "ok" || h["size"] != int64(5) {
		t.Errorf("replace f00: %v", h)
	}
	if h := put("f01", 1, []byte("z")); h["status"] != "ok" || h["size"] != int64(2) {
		t.Errorf("after freeing: %v", h)
	}
}
