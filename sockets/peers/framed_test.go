package peers_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sockplay/sockets"
)

var framedI = sockets.Framing{Kind: sockets.FramingJSONHeader, Format: "i"}

// ask sends one framed command and returns the reply's header and body.
func ask(t *testing.T, ctx context.Context, c *sockets.Socket, f sockets.Framing, body []byte, header map[string]any) (map[string]any, []byte) {
	t.Helper()
	_, e := c.SendMessage(ctx, f, body, header, sockets.CallOptions{})
	mustOK(t, "send_frame", e)
	fr, _, e := c.RecvMessage(ctx, f, nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	h := map[string]any{}
	for k, v := range fr.Header {
		if n, ok := v.(json.Number); ok {
			v, _ = n.Int64()
		}
		h[k] = v
	}
	return h, fr.Body
}

// TestPeerFramedServer: the fixed commands, answered in json_header messages
// (format 'i'), read with the engine's own framing.
func TestPeerFramedServer(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "framed-server", loopback, nil, nil)
	c := dial(t, ctx, p.Addr())
	tests := []struct {
		cmd    string
		header map[string]any
		body   string // "" with check for big
		check  func([]byte) bool
	}{
		{"echo framed hello", map[string]any{"cmd": "echo", "status": "ok"}, "framed hello", nil},
		{"echo", map[string]any{"cmd": "echo", "status": "ok"}, "", nil},
		{"ls", map[string]any{"cmd": "ls", "status": "ok"}, "hello.txt\nnotes.md\nreport.pdf\n", nil},
		{"big 100000", map[string]any{"cmd": "big", "status": "ok", "data_size": int64(100000)}, "", func(b []byte) bool {
			return strings.HasPrefix(string(b), "abcdefghijklmnopqrstuvwxyzabc") && b[99999] == 'a'+byte(99999%26)
		}},
		{"big 16777217", map[string]any{"cmd": "big", "status": "error"}, `big needs a number of bytes from 0 to 16777216, not "16777217"`, nil},
		{"rm -rf /", map[string]any{"cmd": "rm", "status": "error"}, `unknown command "rm": the commands are echo <text>, big <n>, ls and time`, nil},
		{"ls -l", map[string]any{"cmd": "ls", "status": "error"}, "ls takes no arguments", nil},
	}
	for _, tt := range tests {
		if tt.check == nil {
			tt.header["data_size"] = int64(len(tt.body))
		}
		h, body := ask(t, ctx, c, framedI, []byte(tt.cmd), nil)
		if !reflect.DeepEqual(h, tt.header) {
			t.Errorf("%q: header %v, want %v", tt.cmd, h, tt.header)
		}
		if tt.check != nil && !tt.check(body) || tt.check == nil && string(body) != tt.body {
			t.Errorf("%q: body %.60q (%d bytes)", tt.cmd, body, len(body))
		}
	}
	h, body := ask(t, ctx, c, framedI, []byte("time"), nil)
	if h["status"] != "ok" || len(body) != len("2006-01-02T15:04:05Z") || !strings.HasSuffix(string(body), "Z") {
		t.Errorf("time: %v %q, want an RFC 3339 UTC time", h, body)
	}
	if ev := rec.wait(1, what("decoded"))[0]; ev.Fields["command"] != "echo framed hello" {
		t.Errorf("decoded event fields %v", ev.Fields)
	}

	// A header that is not JSON gets an error reply, then the connection ends.
	c2 := dial(t, ctx, p.Addr())
	_, e := c2.SendAll(ctx, []byte("\x05\x00\x00\x00hello"), sockets.CallOptions{})
	mustOK(t, "sendall", e)
	fr, _, e := c2.RecvMessage(ctx, framedI, nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	if fr.Header["status"] != "error" || !strings.Contains(string(fr.Body), "not a JSON object") {
		t.Errorf("bad header: got %v %q", fr.Header, fr.Body)
	}
	if r, e := c2.Recv(ctx, 10, nil, sockets.CallOptions{}); e != nil || len(r.Data) != 0 {
		t.Errorf("after a bad header: recv got %q, %v, want b'' (closed)", r.Data, e)
	}
}

const pyFramed = `
import socket, struct, json, sys

def recvall(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(min(n - len(data), 65536))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data

def request(s, cmd):
    body = cmd.encode('utf-8')
    head = json.dumps({'data_size': len(body)}).encode('utf-8')
    s.sendall(struct.pack('i', len(head)))
    s.sendall(head)
    s.sendall(body)
    head_len = struct.unpack('i', recvall(s, 4))[0]
    head = json.loads(recvall(s, head_len).decode('utf-8'))
    return head, recvall(s, head['data_size'])

s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
head, data = request(s, 'echo framed hello')
print(head['cmd'], head['status'], head['data_size'], data.decode())
head, data = request(s, 'big 100000')
ok = data == (b'abcdefghijklmnopqrstuvwxyz' * 4000)[:100000]
print(head['cmd'], head['status'], head['data_size'], ok)
head, data = request(s, 'dir')
print(head['cmd'], head['status'])
`

// TestPeerFramedServerPython: a client written as seed 004's, with struct and
// json.
func TestPeerFramedServerPython(t *testing.T) {
	p, _ := start(t, "framed-server", loopback, nil, nil)
	out := strings.Split(strings.TrimSpace(startPython(t, pyFramed, p.Addr().Port).wait()), "\n")
	want := []string{"echo ok 12 framed hello", "big ok 100000 True", "dir error"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("python printed\n%q\nwant\n%q", out, want)
	}
}
