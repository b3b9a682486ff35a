package web_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// rawConn is a WebSocket client that writes frames of its own making, so
// that several can go in one write, and reads the server's frames whole.
type rawConn struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialRaw(t *testing.T, srv *testServer) *rawConn {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := websocket.Dialer{Jar: jar, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn}
}

// maskedFrame is one final client frame (masked, as RFC 6455 wants).
func maskedFrame(opcode byte, payload string) []byte {
	b := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	default:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, key[:]...)
	for i := range len(payload) {
		b = append(b, payload[i]^key[i%4])
	}
	return b
}

// writeTogether writes frames in one system call: the server finds them
// all in its buffer at once.
func (c *rawConn) writeTogether(frames ...[]byte) {
	c.t.Helper()
	var all []byte
	for _, f := range frames {
		all = append(all, f...)
	}
	c.conn.NetConn().SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.NetConn().Write(all); err != nil {
		c.t.Fatal(err)
	}
}

// readUntil reads the server's frames until one holds a result with id,
// and returns that frame's messages, and all it read.
func (c *rawConn) readUntil(id int) (last, all []msg) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, frame, err := c.conn.ReadMessage()
		if err != nil {
			c.t.Fatalf("waiting for the result of %d: %v", id, err)
		}
		var ms []msg
		if frame[0] == '[' {
			err = json.Unmarshal(frame, &ms)
		} else {
			var m msg
			err = json.Unmarshal(frame, &m)
			ms = []msg{m}
		}
		if err != nil {
			c.t.Fatalf("frame %s: %v", frame, err)
		}
		all = append(all, ms...)
		for _, m := range ms {
			if m.str("kind") == "result" && m["id"] != nil && m.num("id") == id {
				return ms, all
			}
		}
	}
}

// describeFrame names a frame's waiting and result messages "kind:id".
func describeFrame(ms []msg) string {
	s := ""
	for _, m := range ms {
		if k := m.str("kind"); k != "waiting" && k != "result" {
			continue
		}
		if s != "" {
			s += " "
		}
		id := "null"
		if m["id"] != nil {
			id = fmt.Sprint(m.num("id"))
		}
		s += m.str("kind") + ":" + id
	}
	return s
}

// TestFramesTogether: frames that reach the server together run as they
// would one by one — a recvfrom that waits gets its waiting, the sendto
// of the next frame its result, the recvfrom the datagram — and their
// messages go out in one frame; a binary frame among them is refused in
// its place, between the outcomes of the frames around it.
func TestFramesTogether(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := dialRaw(t, srv)
	c.writeTogether(maskedFrame(websocket.TextMessage, `[{"id":1,"op":"socket","type":"SOCK_DGRAM"},{"id":2,"op":"socket","type":"SOCK_DGRAM"},{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}]`))
	var bound msg
	last, _ := c.readUntil(3)
	for _, m := range last {
		if m.str("kind") == "result" && m.num("id") == 3 {
			bound = m
		}
	}
	if !bound.ok() {
		t.Fatalf("bind: %v", bound)
	}
	port := bound.addr("addr")[1]
	before := srv.manager.Stats()
	for i := range 20 {
		recv, send := 100+2*i, 101+2*i
		c.writeTogether(
			maskedFrame(websocket.TextMessage, fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s1","bufsize":64}`, recv)),
			maskedFrame(websocket.TextMessage, fmt.Sprintf(`{"id":%d,"op":"sendto","sock":"s2","data":{"text":"hi %d"},"addr":["127.0.0.1",%v]}`, send, i, port)),
		)
		ms, _ := c.readUntil(recv)
		want := fmt.Sprintf("waiting:%d result:%d result:%d", recv, send, recv)
		if d := describeFrame(ms); d != want {
			t.Fatalf("round %d: the frame with the recvfrom's result holds %q, want %q (one frame for both requests' messages)", i, d, want)
		}
		for _, m := range ms {
			if m.str("kind") == "result" && m.num("id") == recv && m.obj("data").str("text") != fmt.Sprintf("hi %d", i) {
				t.Fatalf("round %d: recvfrom got %v", i, m["data"])
			}
		}
	}

	after := srv.manager.Stats()
	if w, g := after.Waits-before.Waits, after.WaitGoroutines-before.WaitGoroutines; w != 20 || g != 0 {
		t.Errorf("20 receives fed by the frame after theirs: %d waited and %d goroutines were started, want 20 and none (each completed in the step of the frames together)", w, g)
	}

	c.writeTogether(
		maskedFrame(websocket.TextMessage, `{"id":200,"op":"nope"}`),
		maskedFrame(websocket.BinaryMessage, `{"id":201,"op":"getsockname","sock":"s1"}`),
		maskedFrame(websocket.TextMessage, `{"id":202,"op":"getsockname","sock":"s1"}`),
	)
	var got []string
	_, all := c.readUntil(202)
	for _, m := range all {
		if m.str("kind") == "result" {
			got = append(got, describeFrame([]msg{m}))
		}
	}
	if d := fmt.Sprint(got); d != "[result:200 result:null result:202]" {
		t.Errorf("results of text, binary, text frames together: %s, want the unknown op's, the binary frame's refusal, getsockname's", d)
	}
}
