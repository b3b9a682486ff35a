package peers_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"

	"sockplay/sockets"
	"sockplay/sockets/peers"
)

const pyUDPEcho = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto('hello 你好'.encode('utf-8'), ('127.0.0.1', int(sys.argv[1])))
data, addr = s.recvfrom(1024)
print(data.decode('utf-8'))
print(addr[0], addr[1])
print(s.getsockname()[1])
`

// TestPeerUDPEcho: the echo answers an engine socket and a Python client, from
// the address it was bound to, and reports each datagram both ways.
func TestPeerUDPEcho(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "udp-echo", loopback, nil, nil)
	if a := p.Addr(); a.Host != "127.0.0.1" || a.Port == 0 {
		t.Fatalf("Addr: got %v, want 127.0.0.1 and the port the kernel gave", a)
	}

	s, local := udpSocket(t)
	_, _, e := s.SendTo(ctx, []byte("ping"), p.Addr(), sockets.CallOptions{})
	mustOK(t, "sendto", e)
	r, e := s.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "ping" || r.From == nil || *r.From != p.Addr() {
		t.Errorf("reply: got %q from %v, want %q from %v", r.Data, r.From, "ping", p.Addr())
	}
	got := rec.wait(1, what("recv"))[0]
	if string(got.Data) != "ping" || got.Size != 4 || got.Addr == nil || *got.Addr != local {
		t.Errorf("recv event: got %q (size %d) from %v, want %q (4) from %v", got.Data, got.Size, got.Addr, "ping", local)
	}
	if sent := rec.wait(1, what("sent"))[0]; string(sent.Data) != "ping" || sent.Addr == nil || *sent.Addr != local {
		t.Errorf("sent event: got %q to %v, want %q to %v", sent.Data, sent.Addr, "ping", local)
	}

	py := startPython(t, pyUDPEcho, p.Addr().Port)
	out := strings.Split(strings.TrimSpace(py.wait()), "\n")
	if len(out) != 3 {
		t.Fatalf("python printed %q, want 3 lines", out)
	}
	if out[0] != "hello 你好" {
		t.Errorf("python got %q, want %q", out[0], "hello 你好")
	}
	if want := "127.0.0.1 " + itoa(p.Addr().Port); out[1] != want {
		t.Errorf("python got the reply from %q, want %q", out[1], want)
	}
	pyPort := atoi(t, out[2])
	rec.wait(1, func(ev peers.Event) bool {
		return ev.What == "recv" && ev.Addr != nil && ev.Addr.Port == pyPort && string(ev.Data) == "hello 你好"
	})
}

// TestPeerUDPChat: the chat sends its message to option to at once, answers
// each datagram with a line, and does not answer its own kind of line.
func TestPeerUDPChat(t *testing.T) {
	ctx := timeout(t)
	s, sa := udpSocket(t)
	p, _ := start(t, "udp-chat", loopback, map[string]any{
		"to": []any{"127.0.0.1", float64(sa.Port)}, "message": "hi there", "count": 1.0, "interval_ms": 100.0,
	}, nil)

	r, e := s.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "hi there" || *r.From != p.Addr() {
		t.Errorf("first message: got %q from %v, want %q from %v", r.Data, r.From, "hi there", p.Addr())
	}
	// A line such as the chat's own replies gets no answer; the next
	// datagram does, so the first reply must be for it (loopback keeps the
	// order of one socket's datagrams).
	for _, msg := range []string{"peer: got 3 bytes: abc", "ping"} {
		_, _, e := s.SendTo(ctx, []byte(msg), p.Addr(), sockets.CallOptions{})
		mustOK(t, "sendto", e)
	}
	r, e = s.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if want := "peer: got 4 bytes: ping"; string(r.Data) != want {
		t.Errorf("reply: got %q, want %q", r.Data, want)
	}
}

const pyBroadcastReceiver = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(1024)
print(data.decode(), addr[0], addr[1])
`

// TestPeerBroadcaster: one broadcast reaches every socket bound to the wildcard and port P with
// SO_REUSEADDR: an engine socket and a Python one share the port.
func TestPeerBroadcaster(t *testing.T) {
	ctx := timeout(t)
	wild := &sockets.Policy{Wildcard: true}
	py := startPython(t, pyBroadcastReceiver)
	port := atoi(t, py.line())

	rx := newSocket(t, sockets.SockDgram, wild)
	if _, e := rx.SetOption("SOL_SOCKET", "SO_REUSEADDR", 1); e != nil {
		t.Fatalf("SO_REUSEADDR: %v", e)
	}
	_, e := rx.Bind(sockets.Addr{Host: "", Port: port})
	mustOK(t, "bind ('', P) beside Python", e)

	p, rec := start(t, "broadcaster", loopback, map[string]any{"port": port, "message": "to everyone", "count": 1}, nil)
	r, e := rx.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "to everyone" || *r.From != p.Addr() {
		t.Errorf("engine receiver: got %q from %v, want %q from %v", r.Data, r.From, "to everyone", p.Addr())
	}
	if got, want := strings.TrimSpace(py.wait()), "to everyone 127.0.0.1 "+itoa(p.Addr().Port); got != want {
		t.Errorf("python receiver: got %q, want %q", got, want)
	}
	sent := rec.wait(1, what("sent"))[0]
	if want := (sockets.Addr{Host: "127.255.255.255", Port: port}); sent.Addr == nil || *sent.Addr != want {
		t.Errorf("sent event to %v, want %v", sent.Addr, want)
	}
	rec.wait(1, what("done"))
}

const pyIPMsg = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(b'1:100:alice:host:32:hello', ('127.255.255.255', int(sys.argv[1])))
print(s.getsockname()[1])
`

// TestPeerIPMsgListener: a Feiq-style broadcast from Python is decoded field by
// field; a datagram that is not IPMsg is reported as such.
func TestPeerIPMsgListener(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "ipmsg-listener", sockets.Addr{Host: "", Port: 0}, nil, &sockets.Policy{Wildcard: true})
	if p.Addr().Host != "0.0.0.0" {
		t.Errorf("Addr: got %v, want the wildcard 0.0.0.0", p.Addr())
	}
	pyPort := atoi(t, startPython(t, pyIPMsg, p.Addr().Port).wait())

	got := rec.wait(1, what("decoded"))[0]
	want := map[string]string{
		"version": "1", "packet_no": "100", "user": "alice", "host": "host",
		"command": "32", "command_name": "IPMSG_SENDMSG", "text": "hello", "encoding": "utf-8",
	}
	if !reflect.DeepEqual(got.Fields, want) {
		t.Errorf("fields:\n got %v\nwant %v", got.Fields, want)
	}
	if got.Addr == nil || got.Addr.Port != pyPort || string(got.Data) != "1:100:alice:host:32:hello" {
		t.Errorf("decoded event: %q from %v, want the datagram from port %d", got.Data, got.Addr, pyPort)
	}

	s, _ := udpSocket(t)
	_, _, e := s.SendTo(ctx, []byte("just text"), sockets.Addr{Host: "127.0.0.1", Port: p.Addr().Port}, sockets.CallOptions{})
	mustOK(t, "sendto", e)
	other := rec.wait(1, what("recv"))[0]
	if string(other.Data) != "just text" || !strings.Contains(other.Note, "not an IPMsg datagram") {
		t.Errorf("non-IPMsg datagram: got %q, %q", other.Data, other.Note)
	}
	// Bytes that are neither UTF-8 nor GBK keep their \xNN form, and
	// options in the command's high bits are named.
	_, _, e = s.SendTo(ctx, []byte("1:7:bob:pc:288:\xff\xfe\x00"), sockets.Addr{Host: "127.0.0.1", Port: p.Addr().Port}, sockets.CallOptions{})
	mustOK(t, "sendto", e)
	bad := rec.wait(2, what("decoded"))[1]
	if f := bad.Fields; f["text"] != `\xff\xfe` || f["encoding"] != "bytes" || f["command_name"] != "IPMSG_SENDMSG" || f["options"] != "IPMSG_SENDCHECKOPT" {
		t.Errorf("neither UTF-8 nor GBK: fields %v", f)
	}
	if !strings.Contains(bad.Note, "neither UTF-8 nor GBK") {
		t.Errorf("note %q does not say the bytes are neither UTF-8 nor GBK", bad.Note)
	}
}

// pyFeiq sends what Feiq sends: an IPMsg message in GBK, here from Python.
const pyFeiq = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msg = '1:8:张三:张三的电脑:288:你好，飞秋:带冒号\0'.encode('gbk')
s.sendto(msg, ('127.0.0.1', int(sys.argv[1])))
print(msg.hex())
`

// TestPeerIPMsgListenerGBK: a GBK message, as Feiq sends it, is decoded as
// GBK, and the event says so; the same words in UTF-8 are decoded as UTF-8.
func TestPeerIPMsgListenerGBK(t *testing.T) {
	ctx := timeout(t)
	p, rec := start(t, "ipmsg-listener", loopback, nil, nil)
	sent, err := hex.DecodeString(strings.TrimSpace(startPython(t, pyFeiq, p.Addr().Port).wait()))
	if err != nil {
		t.Fatal(err)
	}
	got := rec.wait(1, what("decoded"))[0]
	want := map[string]string{"version": "1", "packet_no": "8", "user": "张三", "host": "张三的电脑",
		"command": "288", "command_name": "IPMSG_SENDMSG", "options": "IPMSG_SENDCHECKOPT",
		"text": "你好，飞秋:带冒号", "encoding": "gbk"}
	if !reflect.DeepEqual(got.Fields, want) {
		t.Errorf("fields:\n got %v\nwant %v", got.Fields, want)
	}
	if !bytes.Equal(got.Data, sent) || !strings.Contains(got.Note, "Decoded as GBK") || !strings.Contains(got.Note, `"你好，飞秋:带冒号"`) {
		t.Errorf("decoded event: data %x (sent %x), note %q", got.Data, sent, got.Note)
	}

	s, _ := udpSocket(t)
	_, _, e := s.SendTo(ctx, []byte("1:9:张三:pc:32:你好"), p.Addr(), sockets.CallOptions{})
	mustOK(t, "sendto", e)
	utf := rec.wait(2, what("decoded"))[1]
	if f := utf.Fields; f["text"] != "你好" || f["user"] != "张三" || f["encoding"] != "utf-8" || !strings.Contains(utf.Note, "Decoded as UTF-8") {
		t.Errorf("UTF-8 message: fields %v, note %q", f, utf.Note)
	}
}

// TestPeerUDPEchoIPv6: a peer bound to ::1 is an AF_INET6 socket.
func TestPeerUDPEchoIPv6(t *testing.T) {
	ctx := timeout(t)
	s, e := sockets.New(sockets.AFInet6, sockets.SockDgram, nil)
	if e != nil {
		t.Fatal(e)
	}
	defer s.Close()
	if _, e := s.Bind(sockets.Addr{Host: "::1"}); e != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("::1 is needed for this test: %v", e)
		}
		t.Skipf("no ::1: %v", e)
	}
	p, _ := start(t, "udp-echo", sockets.Addr{Host: "::1"}, nil, nil)
	if p.Addr().Host != "::1" || p.Addr().Port == 0 {
		t.Fatalf("Addr: got %v, want ::1 and a port", p.Addr())
	}
	_, _, e = s.SendTo(ctx, []byte("six"), p.Addr(), sockets.CallOptions{})
	mustOK(t, "sendto", e)
	r, e := s.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "six" || *r.From != p.Addr() {
		t.Errorf("reply: got %q from %v, want %q from %v", r.Data, r.From, "six", p.Addr())
	}
}
