package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"
)

// A benchConn is one client session of a Row benchmark: a WebSocket to the
// sockplay child, to the bridge child's /bridge or to its plain /echo, and
// the ops it makes there (a benchOps). Op n is numbered by the client from
// 1; its completion is recognised in the server's messages.
type benchConn struct {
	conn *websocket.Conn
	ops  benchOps
	n    uint64 // the last op number used on this connection
	// setups counts the setup requests made (see calls).
	setups int
	p      fastjson.Parser
	out    []byte       // the frame being written
	in     bytes.Buffer // the frame last read
}

// benchOps is what one kind of session sends and recognises.
type benchOps interface {
	// frame appends to dst the frame that makes op n.
	frame(dst []byte, n uint64) []byte
	// completed calls done for each op the server message m completes,
	// with the op's number (0 if it cannot tell) and the payload bytes it
	// brought back. An error answer is an error.
	completed(m *fastjson.Value, done func(n uint64, bytes int)) error
	// opBytes, when > 0, says that ops complete by bytes rather than by
	// message: one per opBytes payload bytes (the bridge's TCP reader
	// reads what has arrived, not what one send sent).
	opBytes() int
}

// dialBench connects to url. A sockplay session is then set up by its
// caller; a bridge session's hello is read here.
func dialBench(url string) (*benchConn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	return &benchConn{conn: conn}, nil
}

// read reads the next frame and returns its messages (valid until the next
// read).
func (c *benchConn) read() ([]*fastjson.Value, error) {
	_, r, err := c.conn.NextReader()
	if err != nil {
		return nil, err
	}
	c.in.Reset()
	if _, err := c.in.ReadFrom(r); err != nil {
		return nil, err
	}
	v, err := c.p.ParseBytes(c.in.Bytes())
	if err != nil {
		return nil, fmt.Errorf("frame %.200s: %v", c.in.Bytes(), err)
	}
	if v.Type() == fastjson.TypeArray {
		return v.GetArray(), nil
	}
	return []*fastjson.Value{v}, nil
}

// until reads frames until match reports a message of one.
func (c *benchConn) until(match func(m *fastjson.Value) (bool, error)) error {
	for {
		ms, err := c.read()
		if err != nil {
			return err
		}
		found := false
		for _, m := range ms {
			ok, err := match(m)
			if err != nil {
				return err
			}
			found = found || ok
		}
		if found {
			return nil
		}
	}
}

// write writes the frame in c.out.
func (c *benchConn) write() error { return c.conn.WriteMessage(websocket.TextMessage, c.out) }

// roundTrip makes op n and waits for it to complete; it returns the time
// from the write to the completion.
func (c *benchConn) roundTrip(n uint64) (time.Duration, error) {
	c.out = c.ops.frame(c.out[:0], n)
	start := time.Now()
	if err := c.write(); err != nil {
		return 0, err
	}
	err := c.waitOp(n)
	return time.Since(start), err
}

// waitOp reads until op n has completed.
func (c *benchConn) waitOp(n uint64) error {
	return c.until(func(m *fastjson.Value) (bool, error) {
		got := false
		err := c.ops.completed(m, func(k uint64, _ int) { got = got || k == n })
		return got, err
	})
}

// appendOpNumber appends n as the 16 decimal digits the bridge sessions
// carry as their data.
func appendOpNumber(dst []byte, n uint64) []byte {
	var d [16]byte
	for i := 15; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, d[:]...)
}

// bridgeUDP is a session of the bridge's /bridge?proto=udp, or of /echo
// (which sends the request back, data and all): op n is a sendto from A
// to B of n's 16 digits; it completes with the event that carries them.
type bridgeUDP struct{ to string }

func (o bridgeUDP) frame(dst []byte, n uint64) []byte {
	dst = append(dst, `{"op":"sendto","sock":1,"to":"`...)
	dst = append(dst, o.to...)
	dst = append(dst, `","data":"`...)
	return append(appendOpNumber(dst, n), `"}`...)
}

func (bridgeUDP) completed(m *fastjson.Value, done func(uint64, int)) error {
	d := m.GetStringBytes("data")
	if len(d) != 16 {
		return fmt.Errorf("unexpected message %s", m)
	}
	n, err := strconv.ParseUint(string(d), 10, 64)
	if err != nil {
		return fmt.Errorf("unexpected message %s", m)
	}
	done(n, len(d))
	return nil
}

func (bridgeUDP) opBytes() int { return 0 }

// bridgeTCP is a session of the bridge's /bridge?proto=tcp moving chunks of
// chunk bytes from A to B.
type bridgeTCP struct{ chunk string }

func (o bridgeTCP) frame(dst []byte, _ uint64) []byte {
	dst = append(dst, `{"op":"send","sock":1,"data":"`...)
	dst = append(dst, o.chunk...)
	return append(dst, `"}`...)
}

func (bridgeTCP) completed(m *fastjson.Value, done func(uint64, int)) error {
	if string(m.GetStringBytes("ev")) != "recv" {
		return fmt.Errorf("unexpected message %.200s", m)
	}
	done(0, len(m.GetStringBytes("data")))
	return nil
}

func (o bridgeTCP) opBytes() int { return len(o.chunk) }

// dialBridge connects to the bridge child's path (such as
// "/bridge?proto=udp") and reads its hello, whose "b" it returns.
func dialBridge(c *child, path string) (*benchConn, string, error) {
	bc, err := dialBench("ws://" + c.addr + path)
	if err != nil {
		return nil, "", err
	}
	if strings.HasPrefix(path, "/echo") {
		return bc, "", nil
	}
	ms, err := bc.read()
	if err != nil {
		return nil, "", err
	}
	if ev := string(ms[0].GetStringBytes("ev")); ev != "hello" {
		return nil, "", fmt.Errorf("bridge said %s first, want its hello", ms[0])
	}
	return bc, string(ms[0].GetStringBytes("b")), nil
}

// dialSockplay opens a new sockplay session (no cookie) and reads its
// hello.
func dialSockplay(c *child) (*benchConn, error) { return dialV1(c, "/ws") }

// dialV1 opens a WebSocket that speaks protocol v1 at c's path and reads
// its hello.
func dialV1(c *child, path string) (*benchConn, error) {
	bc, err := dialBench("ws://" + c.addr + path)
	if err != nil {
		return nil, err
	}
	ms, err := bc.read()
	if err != nil {
		return nil, err
	}
	if kind := string(ms[0].GetStringBytes("kind")); kind != "hello" {
		return nil, fmt.Errorf("sockplay said %s first, want its hello", ms[0])
	}
	return bc, nil
}

// calls makes setup requests (each an op and its arguments) and returns
// their results in order; it fails unless all are ok. Their ids count up
// from 2^40, far above the ops' ids.
func (c *benchConn) calls(reqs ...obj) ([]msg, error) {
	ids := map[int]int{}
	for i, r := range reqs {
		c.setups++
		id := 1<<40 + c.setups
		req := obj{"id": id}
		for k, v := range r {
			req[k] = v
		}
		if err := c.conn.WriteJSON(req); err != nil {
			return nil, err
		}
		ids[id] = i
	}
	out := make([]msg, len(reqs))
	left := len(reqs)
	err := c.until(func(m *fastjson.Value) (bool, error) {
		i, mine := ids[m.GetInt("id")]
		if string(m.GetStringBytes("kind")) != "result" || !mine || m.Get("id") == nil {
			return false, nil
		}
		var r msg
		if err := json.Unmarshal(m.MarshalTo(nil), &r); err != nil {
			return false, err
		}
		if !r.ok() {
			return false, fmt.Errorf("%v: %v", reqs[i], r["error"])
		}
		out[i] = r
		left--
		return left == 0, nil
	})
	return out, err
}

// sockplayUDP is a sockplay session with two UDP sockets, rx and tx, bound
// to loopback. Op n is the batch [recvfrom rx (id 2n), sendto tx → rx (id
// 2n+1)] in one frame; it completes with the recvfrom's result.
type sockplayUDP struct {
	recv, send request
}

// setupSockplayUDP makes c's sockets and ops.
func setupSockplayUDP(c *benchConn) error {
	r, err := c.calls(obj{"op": "socket", "type": "SOCK_DGRAM"}, obj{"op": "socket", "type": "SOCK_DGRAM"})
	if err != nil {
		return err
	}
	rx, tx := r[0].str("sock"), r[1].str("sock")
	r, err = c.calls(obj{"op": "bind", "sock": rx, "addr": []any{"127.0.0.1", 0}}, obj{"op": "bind", "sock": tx, "addr": []any{"127.0.0.1", 0}})
	if err != nil {
		return err
	}
	c.ops = sockplayUDP{
		recv: newRequest(obj{"op": "recvfrom", "sock": rx, "bufsize": 64}),
		send: newRequest(obj{"op": "sendto", "sock": tx, "data": text("0123456789abcdef"), "addr": r[0].addr("addr")}),
	}
	return nil
}

func (o sockplayUDP) frame(dst []byte, n uint64) []byte {
	dst = append(dst, '[')
	dst = appendRequest(dst, o.recv.withID(int(2*n)))
	dst = append(dst, ',')
	dst = appendRequest(dst, o.send.withID(int(2*n+1)))
	return append(dst, ']')
}

func (sockplayUDP) completed(m *fastjson.Value, done func(uint64, int)) error {
	if string(m.GetStringBytes("kind")) != "result" {
		return nil
	}
	if !m.GetBool("ok") {
		return fmt.Errorf("%s", m)
	}
	if string(m.GetStringBytes("op")) == "recvfrom" {
		done(uint64(m.GetInt("id"))/2, m.GetInt("size"))
	}
	return nil
}

func (sockplayUDP) opBytes() int { return 0 }

// waitKind reads until the message of kind for request id.
func (c *benchConn) waitKind(kind string, id int) error {
	return c.until(func(m *fastjson.Value) (bool, error) {
		if string(m.GetStringBytes("kind")) == "result" && !m.GetBool("ok") {
			return false, fmt.Errorf("%s", m)
		}
		return string(m.GetStringBytes("kind")) == kind && m.GetInt("id") == id, nil
	})
}

// sockplayTCP is a sockplay session with a TCP connection between two of
// its sockets, a and b. Op n is the batch [sendall a chunk (id 2n+1),
// recv b (id 2n)]; it completes with the recv's result, whatever it read.
type sockplayTCP struct {
	send, recv request
}

// setupSockplayTCP makes c's listener, connection and ops.
func setupSockplayTCP(c *benchConn, chunk int) error {
	r, err := c.calls(obj{"op": "socket", "type": "SOCK_STREAM"}, obj{"op": "socket", "type": "SOCK_STREAM"})
	if err != nil {
		return err
	}
	ln, a := r[0].str("sock"), r[1].str("sock")
	r, err = c.calls(obj{"op": "bind", "sock": ln, "addr": []any{"127.0.0.1", 0}}, obj{"op": "listen", "sock": ln})
	if err != nil {
		return err
	}
	to := r[0].addr("addr")
	r, err = c.calls(obj{"op": "accept", "sock": ln}, obj{"op": "connect", "sock": a, "addr": to})
	if err != nil {
		return err
	}
	c.ops = sockplayTCP{
		send: newRequest(obj{"op": "sendall", "sock": a, "data": text(strings.Repeat("x", chunk))}),
		// At most one chunk: a recv never takes what a later one waits
		// for, so every recv ends (a short one leaves its rest queued).
		recv: newRequest(obj{"op": "recv", "sock": r[0].str("conn"), "bufsize": chunk}),
	}
	return nil
}

func (o sockplayTCP) frame(dst []byte, n uint64) []byte {
	dst = append(dst, '[')
	dst = appendRequest(dst, o.send.withID(int(2*n+1)))
	dst = append(dst, ',')
	dst = appendRequest(dst, o.recv.withID(int(2*n)))
	return append(dst, ']')
}

func (sockplayTCP) completed(m *fastjson.Value, done func(uint64, int)) error {
	if string(m.GetStringBytes("kind")) != "result" {
		return nil
	}
	if !m.GetBool("ok") {
		return fmt.Errorf("%.300s", m)
	}
	if string(m.GetStringBytes("op")) == "recv" {
		done(uint64(m.GetInt("id"))/2, m.GetInt("data", "size"))
	}
	return nil
}

func (sockplayTCP) opBytes() int { return 0 }
