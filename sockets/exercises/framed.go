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
	TitleZH: "消息边界：把带长度前缀的数加起来",
	StatementZH: "TCP 传送的是字节流，不是消息：三次 `send()` 可能在一次 `recv()` 里一起到达，一次 `send()` 也可能分三次到达（粘包和拆包）。写一个 **TCP 服务端**，靠**长度前缀**在字节流里找出每一条消息。\n\n" +
		"## 约定\n\n" +
		"- 一帧是 `struct.pack('!I', len(body)) + body`：4 字节的长度（大端序、无符号），后面跟着这么多字节的消息体。\n" +
		"- 你的服务端在你交给检查程序的地址上监听，例如 `('127.0.0.1', 9000)`。在每条连接上，客户端发送**三**帧；每个消息体是一个十进制 ASCII 写成的整数，可能是负数（`b'1234'`、`b'-56'`）。\n" +
		"- 收到第三帧之后，你的服务端回答**一**帧，消息体是三个数之和的十进制 ASCII（`str(total).encode()`，例如 `b'1178'`），此外什么都不发。然后检查程序关闭连接。\n\n" +
		"## 检查\n\n" +
		"检查程序连接上来，用**一次** `sendall()` 发出全部三帧，所以它们可能在一次 `recv()` 里一起到达。把每次 `recv()` 当作一条消息的服务端会失败。它最多等 2 s 等回答的那一帧。\n\n" +
		"先启动你的服务端，再运行：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check framed-sum --target 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"写一个 recv_exact(conn, n)：反复调用 recv(n - len(buf))，直到正好拿到 n 个字节（如果 recv 返回 b''，就报错）。",
		"对三帧中的每一帧：n, = struct.unpack('!I', recv_exact(conn, 4))；然后 body = recv_exact(conn, n)。",
		"回答时 body = str(total).encode()；conn.sendall(struct.pack('!I', len(body)) + body)。",
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
	TitleZH: "消息边界：消息体前面的 JSON 报头",
	StatementZH: "长度前缀只说明一条消息有多长；**JSON 报头**能说得更多：一个命令、一个文件名，以及消息体有多长。为一个这样分帧的小协议写一个 **TCP 服务端**（正如教程里远程执行命令的例子那样，只是长度前缀用大端序）。\n\n" +
		"## 约定\n\n" +
		"每条消息，无论哪个方向，都由三部分组成：\n\n" +
		"1. `struct.pack('!I', len(header))`：报头的长度，4 字节，大端序；\n" +
		"2. `header`：一个用 UTF-8 编码的 JSON 对象，其中 `\"data_size\"` 是消息体的字节数；\n" +
		"3. `body`：正好 `data_size` 个字节。\n\n" +
		"- 你的服务端在你交给检查程序的地址上监听，例如 `('127.0.0.1', 9000)`。\n" +
		"- 客户端请求的报头是 `{\"cmd\": \"upper\", \"data_size\": N}`。对每个请求，你的服务端回答一条消息：报头里有 `\"data_size\"`（允许有其他键，比如 `\"status\": \"ok\"`），消息体是请求的消息体中 ASCII 字母变成大写之后的结果（`body.upper()`）。\n" +
		"- 一条连接上依次传送多个请求，直到客户端关闭连接。\n\n" +
		"## 检查\n\n" +
		"检查程序连接上来，在同一条连接上发送两个请求；收到第一个的回答之后，才发第二个。第二个消息体有 5,000 字节，比一次 `recv(1024)` 返回的多。每个回答它最多等 2 s。\n\n" +
		"先启动你的服务端，再运行：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check json-header --target 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"读一条消息就是三次精确读取：4 个字节，然后是报头的长度，然后是 data_size 个字节。recv_exact(conn, n) 写一次，用三次。",
		"header = json.loads(recv_exact(conn, hlen).decode('utf-8'))；body = recv_exact(conn, header['data_size'])。",
		"回答时：h = json.dumps({'data_size': len(out)}).encode()；conn.sendall(struct.pack('!I', len(h)) + h + out)。",
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
