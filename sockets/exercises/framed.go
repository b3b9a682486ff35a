package exercises

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"sockplay/sockets"
)

// The framings of framed-sum and json-header (and file-transfer).
var (
	lengthFraming = sockets.Framing{Kind: sockets.FramingLength, Format: "!I"}
	headerFraming = sockets.Framing{Kind: sockets.FramingJSONHeader, Format: "!I"}
)

var framedSum = &Exercise{
	ID:    "framed-sum",
	Title: "Framing: add up length-prefixed numbers",
	Role:  RoleServer,
	Statement: "TCP delivers a stream of bytes, not messages: three `send()` calls can arrive " +
		"as one `recv()`, and one can arrive as three. Write a **TCP server** that finds the " +
		"messages in the stream by their **length prefix**.\n\n" +
		"## The contract\n\n" +
		"- A frame is `struct.pack('!I', len(body)) + body`: 4 bytes of length, big-endian " +
		"unsigned, then that many bytes of body.\n" +
		"- Your server listens at the address you give the checker, for example " +
		"`('127.0.0.1', 9000)`. On each connection the client sends **three** frames; each " +
		"body is a whole number in decimal ASCII, possibly negative (`b'1234'`, `b'-56'`).\n" +
		"- After the third frame your server replies with **one** frame whose body is the sum " +
		"of the three numbers in decimal ASCII (`str(total).encode()`, e.g. `b'1178'`), and " +
		"nothing else. The checker then closes the connection.\n\n" +
		"## The check\n\n" +
		"The checker connects and sends all three frames in **one** `sendall()`, so they can " +
		"arrive in a single `recv()`. A server that takes each `recv()` for one message fails. " +
		"It waits up to 2 s for the reply frame.\n\n" +
		"Start your server, then run:\n\n" +
		"```sh\ngo run ./cmd/sockplay check framed-sum --target 127.0.0.1:9000\n```\n",
	Hints: []string{
		"Write recv_exact(conn, n): call recv(n - len(buf)) until you have exactly n bytes (and fail if recv returns b'').",
		"For each of the three frames: n, = struct.unpack('!I', recv_exact(conn, 4)); then body = recv_exact(conn, n).",
		"Reply with body = str(total).encode(); conn.sendall(struct.pack('!I', len(body)) + body).",
	},
	check: checkFramedSum,
}

func checkFramedSum(c *checker) {
	nums := []int{100 + rand.IntN(9900), -(1 + rand.IntN(999)), 10000 + rand.IntN(90000)}
	var wire []byte
	sum := 0
	for _, n := range nums {
		fr, _ := lengthFraming.Encode([]byte(strconv.Itoa(n)), nil)
		wire = append(wire, fr...)
		sum += n
	}
	want := []byte(strconv.Itoa(sum))
	wantReply, _ := lengthFraming.Encode(want, nil)

	k := c.connectStep()
	if k == nil {
		return
	}

	c.begin("three frames in one send", fmt.Sprintf("one frame, %s (the sum, %d), within %s", show(wantReply), sum, seconds(c.reply)))
	c.did("sendall(%s), the frames of %d, %d and %d in one write", show(wire), nums[0], nums[1], nums[2])
	if e := k.sendall(wire); e != nil {
		c.fail(e.Error(), "your server closed the connection before it read the frames")
		return
	}
	fr, g, derr := k.readMessage(lengthFraming, c.reply)
	if derr != nil {
		c.fail(badMessage(g.data, derr, "body"))
		return
	}
	if !g.ok() {
		advice := "no reply came: the three frames arrived together, probably in one recv(). Read 4 bytes for each length, then exactly that many bytes, looping on recv(), instead of taking each recv() for one message"
		switch {
		case len(g.data) > 0:
			advice = "the reply frame is incomplete: send struct.pack('!I', len(body)) + body with one sendall()"
		case g.end.kind == endEOF:
			advice = "your server closed the connection without replying. The three frames arrived together, probably in one recv(): read them one by one by their lengths"
		}
		c.fail(g.String(), advice)
		return
	}
	if !bytes.Equal(fr.Body, want) {
		advice := fmt.Sprintf("the body must be the sum of the three numbers in decimal ASCII, %s", show(want))
		if v, err := strconv.Atoi(string(fr.Body)); err == nil && v == nums[0] {
			advice = "that is only the first number: all three frames came in one send, so one recv() may hold them all; read the frames one by one by their lengths"
		} else if strings.TrimSpace(string(fr.Body)) == string(want) {
			advice = fmt.Sprintf("the sum is right, but the body must be exactly %s, without spaces or a newline", show(want))
		}
		c.fail(fmt.Sprintf("%s (body %s)", show(g.data), show(fr.Body)), advice)
		return
	}
	c.pass(fmt.Sprintf("%s (body %s)", show(g.data), show(fr.Body)))
	k.close()
	c.summary = fmt.Sprintf("%d + (%d) + %d = %d, in one frame", nums[0], nums[1], nums[2], sum)
}

var jsonHeader = &Exercise{
	ID:    "json-header",
	Title: "Framing: a JSON header before the body",
	Role:  RoleServer,
	Statement: "A length prefix says how long a message is; a **JSON header** can say more: " +
		"a command, a file name, and how long the body is. Write a **TCP server** for a small " +
		"protocol framed that way (as the remote-command example of the tutorials does, with a " +
		"big-endian prefix).\n\n" +
		"## The contract\n\n" +
		"Every message, in both directions, is three parts:\n\n" +
		"1. `struct.pack('!I', len(header))`: the length of the header, 4 bytes, big-endian;\n" +
		"2. `header`: a JSON object, UTF-8 encoded, with `\"data_size\"`: the length of the body in bytes;\n" +
		"3. `body`: exactly `data_size` bytes.\n\n" +
		"- Your server listens at the address you give the checker, for example `('127.0.0.1', 9000)`.\n" +
		"- The client's requests have the header `{\"cmd\": \"upper\", \"data_size\": N}`. For each " +
		"request your server replies with one message whose header has `\"data_size\"` (other keys, " +
		"such as `\"status\": \"ok\"`, are allowed) and whose body is the request's body with its " +
		"ASCII letters upper-cased (`body.upper()`).\n" +
		"- A connection carries several requests, one after the other, until the client closes it.\n\n" +
		"## The check\n\n" +
		"The checker connects and sends two requests on the same connection; it sends the second " +
		"after the reply to the first. The second body is 5,000 bytes, more than one `recv(1024)` " +
		"returns. It waits up to 2 s for each reply.\n\n" +
		"Start your server, then run:\n\n" +
		"```sh\ngo run ./cmd/sockplay check json-header --target 127.0.0.1:9000\n```\n",
	Hints: []string{
		"Reading a message is three exact reads: 4 bytes, then the header's length, then data_size bytes. Write recv_exact(conn, n) once and use it three times.",
		"header = json.loads(recv_exact(conn, hlen).decode('utf-8')); body = recv_exact(conn, header['data_size']).",
		"To reply: h = json.dumps({'data_size': len(out)}).encode(); conn.sendall(struct.pack('!I', len(h)) + h + out).",
	},
	check: checkJSONHeader,
}

func checkJSONHeader(c *checker) {
	text := []byte("the quick brown fox jumps over the lazy dog, 0123456789! ")
	bodies := [][]byte{
		fmt.Appendf(nil, "json headers: Hello, World! %d", 10+rand.IntN(90)),
		bytes.Repeat(text, 5000/len(text)+1)[:5000],
	}
	k := c.connectStep()
	if k == nil {
		return
	}

	for i, body := range bodies {
		req, _ := headerFraming.Encode(body, map[string]any{"cmd": "upper"})
		want := bytes.ToUpper(body)
		name := "first request"
		if i == 1 {
			name = fmt.Sprintf("second request (%d-byte body)", len(body))
		}
		c.begin(name, fmt.Sprintf("a reply whose header has \"data_size\": %d and whose body is %s, within %s", len(want), show(want), seconds(c.reply)))
		c.did("sendall(%s)", show(req))
		if e := k.sendall(req); e != nil {
			c.fail(e.Error(), "your server closed the connection: it must serve requests until the client closes")
			return
		}
		fr, g, derr := k.readMessage(headerFraming, c.reply)
		if derr != nil {
			c.fail(badMessage(g.data, derr, "header"))
			return
		}
		if !g.ok() {
			advice := "no reply came: read the 4-byte length, the header, then exactly data_size bytes of body (looping on recv()), and reply"
			switch {
			case g.end.kind == endEOF && i > 0:
				advice = "your server closed the connection after the first request: keep reading requests until recv() returns b''"
			case g.end.kind == endEOF:
				advice = "your server closed the connection without replying"
			case len(g.data) > 0:
				advice = "the reply is incomplete: its header's data_size must be the number of body bytes you send"
			case i > 0:
				advice = fmt.Sprintf("no reply to the %d-byte request: read its body until you have data_size bytes, not with one recv()", len(body))
			}
			c.fail(g.String(), advice)
			return
		}
		got := fmt.Sprintf("header %s, body %s", fr.HeaderJSON, show(fr.Body))
		if !bytes.Equal(fr.Body, want) {
			advice := "the body must be the request's body upper-cased, body.upper()"
			if bytes.Equal(fr.Body, body) {
				advice = "that is the request's body unchanged: reply with body.upper()"
			}
			c.fail(got, advice)
			return
		}
		c.pass(got)
	}
	k.close()
	c.summary = fmt.Sprintf("%d requests answered with framed replies", len(bodies))
}

// readMessage reads one message of f from k, waiting at most wait in all. It
// never reads past the message. derr is set when the bytes are not a valid
// message; g.data holds the bytes read either way.
func (k *conn) readMessage(f sockets.Framing, wait time.Duration) (*sockets.Message, got, *sockets.Error) {
	d := sockets.NewDecoder(f)
	deadline := time.Now().Add(wait)
	var wire []byte
	for {
		if len(k.buf) == 0 {
			if end := k.read(deadline, min(d.Want(), 65536)); end.kind != endNone {
				return nil, got{data: wire, wait: wait, end: end}, nil
			}
		}
		n, msg, e := d.Feed(k.buf)
		wire = append(wire, k.buf[:n]...)
		k.buf = k.buf[n:]
		if e != nil {
			wire = append(wire, k.drain()...)
			return nil, got{data: wire, wait: wait}, e
		}
		if msg != nil {
			return msg, got{data: wire, wait: wait}, nil
		}
	}
}

// drain returns the bytes that have already arrived, without waiting, to
// show more of a reply that turned out not to be a message.
func (k *conn) drain() []byte {
	out := k.buf
	k.buf = nil
	r, e := k.s.Recv(k.c.ctx, 1024, nil, sockets.CallOptions{TryOnce: true})
	if e == nil {
		out = append(out, r.Data...)
	}
	return out
}

// badMessage explains bytes that are not a valid '!I' message: the received
// text and the advice. part is what the prefix announces: "body" or "header".
func badMessage(data []byte, derr *sockets.Error, part string) (string, string) {
	if derr.Kind == sockets.KindLimit && len(data) >= 4 {
		prefix := data[:4]
		received := fmt.Sprintf("%s — its first 4 bytes, %s, read as a '!I' length, announce a %d-byte %s",
			show(data), show(prefix), binary.BigEndian.Uint32(prefix), part)
		if le := binary.LittleEndian.Uint32(prefix); le <= sockets.MaxJSONHeader {
			return received, fmt.Sprintf("that length is little-endian (it means %d that way): pack it with struct.pack('!I', …), big-endian", le)
		}
		if part == "header" {
			return received, "frame your reply like the request: struct.pack('!I', len(header)) + header + body, with \"data_size\" in the JSON header"
		}
		return received, "your reply has no length prefix: send struct.pack('!I', len(body)) + body"
	}
	return fmt.Sprintf("%s — %v", show(data), derr), derr.Hint
}
