package exercises

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"sockplay/sockets"
)

// pause is how long tcp-echo waits between its messages (100 ms), so that
// they arrive as separate recv() results on a quiet loopback.
const pause = 100 * time.Millisecond

var tcpEcho = &Exercise{
	ID:    "tcp-echo",
	Title: "TCP: an echo server that keeps serving",
	Role:  RoleServer,
	Statement: "Write a **TCP echo server**: everything a client sends comes back to it, " +
		"byte for byte, and the server keeps serving one client after another.\n\n" +
		"## The contract\n\n" +
		"- Your server binds a `SOCK_STREAM` socket to the address you give the checker, for " +
		"example `('127.0.0.1', 9000)`, calls `listen()`, and then accepts connections in a loop " +
		"until you stop it.\n" +
		"- On a connection it sends back every byte it receives, in order, until the client " +
		"closes (`recv()` returns `b''`); then it closes that connection and accepts the next.\n\n" +
		"## The check\n\n" +
		"1. The checker connects and sends 3 messages, about 0.1 s apart. After each it waits " +
		"up to 2 s for the same bytes to come back (in as many pieces as you like).\n" +
		"2. It closes the connection, connects **again**, and sends one more message, which " +
		"must come back the same way. A server that stops after its first client fails here.\n\n" +
		"Start your server, then run:\n\n" +
		"```sh\ngo run ./cmd/sockplay check tcp-echo --target 127.0.0.1:9000\n```\n",
	Hints: []string{
		"You need two loops: an outer one around accept(), an inner one around recv() on the accepted socket.",
		"recv() returns b'' when the client has closed: that is when the inner loop ends and the connection is closed.",
		"Use conn.sendall(data) rather than conn.send(data): send() may send only part of it.",
		"while True: conn, addr = s.accept(); then while True: data = conn.recv(1024); if not data: break; conn.sendall(data); then conn.close().",
	},
	TitleZH: "TCP：一直服务下去的回显服务端",
	StatementZH: "写一个 **TCP 回显服务端**：客户端发来的所有内容都原样发回给它，一个字节也不差；服务端服务完一个客户端，接着服务下一个。\n\n" +
		"## 约定\n\n" +
		"- 你的服务端把一个 `SOCK_STREAM` 套接字绑定到你交给检查程序的地址，例如 `('127.0.0.1', 9000)`，调用 `listen()`，然后在循环里接受连接，直到你让它停下。\n" +
		"- 在一条连接上，它按顺序发回收到的每一个字节，直到客户端关闭（`recv()` 返回 `b''`）；然后关闭这条连接，接受下一条。\n\n" +
		"## 检查\n\n" +
		"1. 检查程序连接上来，发送 3 条消息，间隔约 0.1 s。每发一条，它最多等 2 s，等同样的字节回来（分成几块回来都可以）。\n" +
		"2. 它关闭连接，**再次**连接，再发一条消息，这条也必须同样地回来。只服务第一个客户端就停下的服务端会在这里失败。\n\n" +
		"先启动你的服务端，再运行：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check tcp-echo --target 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"你需要两层循环：外层围绕 accept()，内层围绕已接受的套接字上的 recv()。",
		"客户端关闭时 recv() 返回 b''：这时内层循环结束，关闭这条连接。",
		"用 conn.sendall(data)，而不是 conn.send(data)：send() 可能只发出一部分。",
		"while True: conn, addr = s.accept()；然后 while True: data = conn.recv(1024); if not data: break; conn.sendall(data)；最后 conn.close()。",
	},
	check: checkTCPEcho,
}

func checkTCPEcho(c *checker) {
	big := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz-"), 80)
	msgs := [][]byte{
		fmt.Appendf(nil, "hello, echo %d\n", 100+rand.IntN(900)),
		[]byte("你好, sockets: 1 2 3 !@#\n"),
		big[:2960],
	}
	var k *conn
	for i, msg := range msgs {
		c.begin(fmt.Sprintf("message %d", i+1), fmt.Sprintf("the same %d bytes back within %s", len(msg), seconds(c.reply)))
		if i == 0 {
			c.did("connect to %s", c.target)
			var e *sockets.Error
			if k, e = c.dial("", c.target); e != nil {
				c.fail(e.Error(), connectAdvice(e, c.target))
				return
			}
		} else if !c.sleep(pause) {
			c.fail(c.stopped(), "")
			return
		}
		if !c.echo(k, msg, i) {
			return
		}
	}
	k.close()

	second := fmt.Appendf(nil, "second client, message %d\n", 1+rand.IntN(99))
	c.begin("second connection", fmt.Sprintf("the connection accepted and the same %d bytes back within %s", len(second), seconds(c.reply)))
	c.did("connect to %s", c.target)
	const again = "your server must keep accepting after its first client"
	k2, e := c.dial("", c.target)
	if e != nil {
		c.fail(e.Error(), again)
		return
	}
	c.did("sendall(%s)", show(second))
	if e := k2.sendall(second); e != nil {
		c.fail(e.Error(), again)
		return
	}
	g := k2.readExact(len(second), c.reply)
	if !g.ok() {
		c.fail(g.String(), again+": close each connection when recv() returns b'', then accept() the next")
		return
	}
	if !bytes.Equal(g.data, second) {
		c.fail(g.String(), "the echo must be exactly the bytes sent, in order")
		return
	}
	c.pass(g.String())
	k2.close()
	c.summary = fmt.Sprintf("2 connections, %d messages echoed", len(msgs)+1)
}

// echo sends msg, the n-th message (from 0) on k, and expects it back.
func (c *checker) echo(k *conn, msg []byte, n int) bool {
	c.did("sendall(%s)", show(msg))
	if e := k.sendall(msg); e != nil {
		c.fail(e.Error(), "your server closed the connection: keep echoing until recv() returns b''")
		return false
	}
	g := k.readExact(len(msg), c.reply)
	if !g.ok() {
		advice := "your server must send back every byte it receives, as it receives it: conn.sendall(data) after each recv()"
		switch {
		case g.end.kind == endEOF && n > 0:
			advice = "your server closed the connection after the first message: keep calling recv() until it returns b''"
		case g.end.kind == endEOF:
			advice = "your server closed the connection instead of echoing: keep calling recv() until it returns b''"
		case len(g.data) > 0:
			advice = "part of the message came back: send back everything each recv() returns, with sendall()"
		}
		c.fail(g.String(), advice)
		return false
	}
	if !bytes.Equal(g.data, msg) {
		c.fail(g.String(), "the echo must be exactly the bytes sent, in order, with nothing added")
		return false
	}
	c.pass(g.String())
	return true
}

// sleep waits d, or less if the check stops; it reports whether it slept.
func (c *checker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// connectAdvice explains a failed connect to the learner's server.
func connectAdvice(e *sockets.Error, to sockets.Addr) string {
	switch {
	case e.Errno == "ECONNREFUSED":
		return "nothing is listening at " + to.String() + ": start your server first (socket, bind, listen, then accept)"
	case e.Kind == sockets.KindPolicy:
		return "the checker may only connect where the address policy allows"
	case e.Kind == sockets.KindTimeout:
		return "the connection was not accepted in time: is your server's listen() backlog full?"
	}
	return "the checker could not connect to your server"
}
