package web_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sockets"
)

// peerMsg returns the first peer message (seen so far, or coming) that
// matches.
func (c *client) peerMsg(match func(msg) bool) msg {
	c.t.Helper()
	ok := func(m msg) bool { return m.str("kind") == "peer" && match(m) }
	if ms := c.find(ok); len(ms) > 0 {
		return ms[0]
	}
	for {
		if m := c.next(); ok(m) {
			return m
		}
	}
}

const pythonToEcho = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(20)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.sendto(b'from python', ('127.0.0.1', int(sys.argv[1])))
data, addr = s.recvfrom(1024)
if data != b'from python' or addr != ('127.0.0.1', int(sys.argv[1])):
    sys.exit('got %r from %r' % (data, addr))
`

// TestSpawnUDPEcho: a spawned udp-echo answers a page socket and a Python
// program; what it does shows as peer messages; kill stops it.
func TestSpawnUDPEcho(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	r := c.must("spawn", obj{"peer": "udp-echo", "addr": []any{"127.0.0.1", 0}})
	pa := r.addr("addr")
	if r.str("peer") != "p1" || r.str("name") != "udp-echo" || pa[0] != "127.0.0.1" || port(pa) <= 0 {
		t.Fatalf("spawn result %v, want peer p1, name udp-echo and the bound address", r)
	}
	if _, ok := r["sock"]; ok {
		t.Errorf("spawn result has sock %v; a peer is not a socket of the page", r["sock"])
	}

	u := c.socket("SOCK_DGRAM")
	ua := c.bind(u, "127.0.0.1", 0)
	c.must("sendto", obj{"sock": u, "data": text("hi echo"), "addr": pa})
	got := c.must("recvfrom", obj{"sock": u, "bufsize": 64})
	checkData(t, got, obj{"size": 7, "hex": "6869206563686f", "text": "hi echo", "encoding": "utf-8"})
	if !reflect.DeepEqual(got.addr("addr"), pa) {
		t.Errorf("reply came from %v, want the peer's %v", got.addr("addr"), pa)
	}

	recv := c.peerMsg(func(m msg) bool { return m.str("event") == "recv" })
	if recv.str("peer") != "p1" || recv.str("name") != "udp-echo" || !reflect.DeepEqual(recv.addr("addr"), ua) ||
		recv.num("size") != 7 || recv.str("note") == "" {
		t.Errorf("peer recv message %v, want p1 udp-echo from %v, size 7, a note", recv, ua)
	}
	checkData(t, recv, obj{"size": 7, "hex": "6869206563686f", "text": "hi echo", "encoding": "utf-8"})
	if sent := c.peerMsg(func(m msg) bool { return m.str("event") == "sent" }); !reflect.DeepEqual(sent.addr("addr"), ua) {
		t.Errorf("peer sent message %v, want to %v", sent, ua)
	}

	py := startPython(t, pythonToEcho, strconv.Itoa(port(pa)))
	pyAddr := wantAddr("127.0.0.1", py.port())
	py.wait()
	c.peerMsg(func(m msg) bool {
		return m.str("event") == "recv" && reflect.DeepEqual(m.addr("addr"), pyAddr) && m.obj("data").str("text") == "from python"
	})

	id := c.send("kill", obj{"peer": "p1"})
	ms := c.until("result", id)
	if k := ms[len(ms)-1]; !k.ok() || k.str("peer") != "p1" {
		t.Fatalf("kill: %v", k)
	}
	stopped := false
	for _, m := range ms {
		stopped = stopped || m.str("kind") == "peer" && m.str("event") == "stopped" && m.str("peer") == "p1"
	}
	if !stopped {
		t.Errorf("no stopped peer message before the kill result: %v", ms)
	}
	checkError(t, c.do("kill", obj{"peer": "p1"}), errWant{typ: "bad_request", message: `no peer "p1" in this session`})
	// Its port is free again.
	c.bind(c.socket("SOCK_DGRAM"), "127.0.0.1", port(pa))
}

// TestSpawnTCPEcho: a page socket talks to a tcp-echo; the peer's sends
// are sockplay sends, so the page's recv says which it holds. Kill closes
// the connection and the listener.
func TestSpawnTCPEcho(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	pa := c.must("spawn", obj{"peer": "tcp-echo", "addr": []any{"127.0.0.1", 0}}).addr("addr")
	k := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": k, "addr": pa})
	c.must("sendall", obj{"sock": k, "data": text("abc")})
	r := c.must("recv", obj{"sock": k, "bufsize": 3, "flags": []any{"MSG_WAITALL"}})
	if r.obj("data").str("text") != "abc" {
		t.Errorf("echo: %v", r["data"])
	}
	if sends, _ := r["sends"].([]any); len(sends) != 1 || sends[0].(map[string]any)["id"] != nil {
		t.Errorf("recv sends %v, want the peer's one send (id null: not a request of the page)", r["sends"])
	}
	c.peerMsg(func(m msg) bool { return m.str("event") == "accepted" })

	c.must("kill", obj{"peer": "p1"})
	if r := c.must("recv", obj{"sock": k, "bufsize": 10}); r.obj("data").num("size") != 0 {
		t.Errorf("recv after kill: %v, want b'' (the peer closed)", r["data"])
	}
	checkError(t, c.do("connect", obj{"sock": c.socket("SOCK_STREAM"), "addr": pa}), errWant{
		typ: "os", errno: "ECONNREFUSED", code: 111, exception: "ConnectionRefusedError", message: "[Errno 111] Connection refused"})
}

// TestSpawnErrors: unknown peers and options are bad_request, addresses the
// policy refuses are policy, a taken port is EADDRINUSE.
func TestSpawnErrors(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	taken := c.bind(c.socket("SOCK_DGRAM"), "127.0.0.1", 0)
	tests := []struct {
		name string
		args obj
		want errWant
	}{
		{"no peer", obj{}, errWant{typ: "bad_request", contains: []string{"spawn needs peer", "udp-echo"}}},
		{"unknown peer", obj{"peer": "echo-server"}, errWant{typ: "bad_request",
			message: `there is no built-in peer "echo-server"; the peers are broadcaster, burst-sender, file-server, framed-server, ipmsg-listener, slow-reader, tcp-echo, threaded-tcp-server, udp-chat, udp-echo`}},
		{"bad option", obj{"peer": "burst-sender", "options": obj{"count": 0}}, errWant{typ: "bad_request",
			message: "burst-sender: option count must be a whole number from 1 to 1000, not 0"}},
		{"unknown option", obj{"peer": "tcp-echo", "options": obj{"port": 1}}, errWant{typ: "bad_request",
			message: `tcp-echo takes no options, so "port" is not one`}},
		{"options not an object", obj{"peer": "tcp-echo", "options": 5}, errWant{typ: "bad_request", exception: "TypeError"}},
		{"bad addr", obj{"peer": "tcp-echo", "addr": "127.0.0.1:9000"}, errWant{typ: "bad_request", exception: "TypeError"}},
		{"other network", obj{"peer": "udp-echo", "addr": []any{"10.0.0.1", 9000}}, errWant{typ: "policy",
			contains: []string{"binds only to loopback"}}},
		{"chat to another network", obj{"peer": "udp-chat", "options": obj{"to": []any{"10.0.0.1", 9000}}}, errWant{typ: "policy",
			contains: []string{"connects and sends only to loopback"}}},
		{"taken port", obj{"peer": "udp-echo", "addr": taken}, errWant{typ: "os", errno: "EADDRINUSE", code: 98,
			exception: "OSError", message: "[Errno 98] Address already in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer c.use(t)()
			checkError(t, c.do("spawn", tt.args), tt.want)
		})
	}
	checkError(t, c.do("kill", obj{"peer": "p1"}), errWant{typ: "bad_request", message: `no peer "p1" in this session`})
	// Nothing started: the next peer is still p1.
	if r := c.must("spawn", obj{"peer": "udp-echo", "addr": []any{"127.0.0.1", 0}}); r.str("peer") != "p1" {
		t.Errorf("first peer that started is %q, want p1", r.str("peer"))
	}
}

// TestSpawnLimits: each peer counts as a socket towards the session's
// limit, and a session runs at most 8 peers; kill frees the place.
func TestSpawnLimits(t *testing.T) {
	t.Run("sockets", func(t *testing.T) {
		srv := newServer(t, sessions.Config{MaxSockets: 3})
		c := srv.dial(t)
		defer c.use(t)()
		c.socket("SOCK_DGRAM")
		c.socket("SOCK_DGRAM")
		c.must("spawn", obj{"peer": "udp-echo"})
		checkError(t, c.do("spawn", obj{"peer": "udp-echo"}), errWant{typ: "limit",
			message: "a session may have at most 3 open sockets, and each running peer counts as one"})
		checkError(t, c.do("socket", obj{"type": "SOCK_DGRAM"}), errWant{typ: "limit", message: "a session may have at most 3 open sockets"})
		c.must("kill", obj{"peer": "p1"})
		c.socket("SOCK_DGRAM")
	})
	t.Run("peers", func(t *testing.T) {
		srv := newServer(t, sessions.Config{})
		c := srv.dial(t)
		defer c.use(t)()
		for i := 1; i <= sessions.MaxPeers; i++ {
			if r := c.must("spawn", obj{"peer": "udp-echo"}); r.str("peer") != "p"+strconv.Itoa(i) {
				t.Errorf("peer %d: id %q", i, r.str("peer"))
			}
		}
		checkError(t, c.do("spawn", obj{"peer": "udp-echo"}), errWant{typ: "limit", message: "a session may run at most 8 peers at a time"})
		c.must("kill", obj{"peer": "p3"})
		if r := c.must("spawn", obj{"peer": "udp-echo"}); r.str("peer") != "p9" {
			t.Errorf("after a kill: id %q, want p9 (ids are not reused)", r.str("peer"))
		}
	})
}

// TestSpawnSessionClose: closing the session stops its peers: their
// listening and datagram sockets are closed.
func TestSpawnSessionClose(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	tcp := c.must("spawn", obj{"peer": "framed-server"}).addr("addr")
	udp := c.must("spawn", obj{"peer": "udp-echo"}).addr("addr")
	k := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": k, "addr": tcp})
	c.peerMsg(func(m msg) bool { return m.str("event") == "accepted" })

	sess := srv.manager.Get(c.hello.str("session"))
	if sess == nil {
		t.Fatal("the session is not in the manager")
	}
	sess.Close("test")
	code, _ := c.closed()
	if code == 0 {
		t.Errorf("the connection closed without a close frame")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, e := sockets.New(sockets.AFInet, sockets.SockStream, nil)
	if e != nil {
		t.Fatal(e)
	}
	defer s.Close()
	if _, e := s.Connect(ctx, sockets.Addr{Host: "127.0.0.1", Port: port(tcp)}, sockets.CallOptions{}); e == nil || e.Errno != "ECONNREFUSED" {
		t.Errorf("connect to the framed-server after the session closed: %v, want ECONNREFUSED", e)
	}
	u, e := sockets.New(sockets.AFInet, sockets.SockDgram, nil)
	if e != nil {
		t.Fatal(e)
	}
	defer u.Close()
	if _, e := u.Bind(sockets.Addr{Host: "127.0.0.1", Port: port(udp)}); e != nil {
		t.Errorf("bind the udp-echo's port after the session closed: %v, want it free", e)
	}
}

const pythonSeedClient = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
print(c.getsockname()[1], flush=True)
c.send(b'client0')                 # the seeds' client: no newline
data = c.recv(1024)
if data != b'1: CLIENT0':
    sys.exit('got %r, want the answer to the chunk' % data)
`

const pythonFeiq = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
s.sendto('1:5:张三:张三的电脑:32:你好，飞秋'.encode('gbk'), ('127.0.0.1', int(sys.argv[1])))
`

// TestSpawnSeedServers: spawned as the seeds' servers, threaded-tcp-server
// answers a Python client's chunk that has no newline, and ipmsg-listener
// decodes a Feiq (GBK) message as GBK and says so, in a gbk session too.
func TestSpawnSeedServers(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	pa := c.must("spawn", obj{"peer": "threaded-tcp-server", "addr": []any{"127.0.0.1", 0}}).addr("addr")
	py := startPython(t, pythonSeedClient, strconv.Itoa(port(pa)))
	from := wantAddr("127.0.0.1", py.port())
	py.wait()
	sent := c.peerMsg(func(m msg) bool { return m.str("event") == "sent" })
	if !reflect.DeepEqual(sent.addr("addr"), from) || sent.obj("data").str("text") != "1: CLIENT0" {
		t.Errorf("peer sent message %v, want 1: CLIENT0 to %v", sent, from)
	}

	c.must("encoding", obj{"encoding": "gbk"})
	la := c.must("spawn", obj{"peer": "ipmsg-listener", "addr": []any{"127.0.0.1", 0}}).addr("addr")
	py = startPython(t, pythonFeiq, strconv.Itoa(port(la)))
	py.port()
	py.wait()
	m := c.peerMsg(func(m msg) bool { return m.str("event") == "decoded" })
	f := m.obj("fields")
	if f.str("text") != "你好，飞秋" || f.str("user") != "张三" || f.str("host") != "张三的电脑" || f.str("encoding") != "gbk" {
		t.Errorf("decoded fields %v, want the GBK text decoded", f)
	}
	if d := m.obj("data"); d.str("encoding") != "gbk" || d.str("text") != "1:5:张三:张三的电脑:32:你好，飞秋" {
		t.Errorf("decoded data %v, want it shown as GBK text", d)
	}
}
