package exercises

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode/utf8"

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

var tcpMulti = &Exercise{
	ID:    "tcp-multi",
	Title: "TCP: serve two clients at once",
	Role:  RoleServer,
	Statement: "Write a **TCP echo server that serves several clients at the same time**. " +
		"A server that handles one connection to its end before it accepts the next " +
		"keeps every other client waiting.\n\n" +
		"## The contract\n\n" +
		"- Your server listens at the address you give the checker, for example " +
		"`('127.0.0.1', 9000)`.\n" +
		"- On every connection it sends back every byte it receives, in order, until the client " +
		"closes, **while** it keeps accepting and serving other connections: use a thread per " +
		"connection (`threading`, `socketserver.ThreadingTCPServer`) or `selectors`.\n" +
		"- Each client gets back its own bytes only.\n\n" +
		"## The check\n\n" +
		"The checker connects two clients, A and B, and keeps both connected. Then, in two " +
		"rounds: A sends, B sends, A expects its echo, B expects its echo (the second round " +
		"starts with B). Each echo must come within 2 s. With a one-client-at-a-time server, " +
		"B's echo never comes while A is connected.\n\n" +
		"Start your server, then run:\n\n" +
		"```sh\ngo run ./cmd/sockplay check tcp-multi --target 127.0.0.1:9000\n```\n",
	Hints: []string{
		"B's connect() succeeds even if your server is busy with A: the kernel completes the handshake and queues the connection until your accept(). The echo is what B waits for.",
		"After accept(), hand the connection to a new thread and go straight back to accept().",
		"threading.Thread(target=serve, args=(conn,), daemon=True).start(), where serve() is the echo loop of tcp-echo.",
	},
	TitleZH: "TCP：同时服务两个客户端",
	StatementZH: "写一个**能同时服务多个客户端的 TCP 回显服务端**。先把一条连接处理到底、再接受下一条的服务端，会让其他所有客户端一直等着。\n\n" +
		"## 约定\n\n" +
		"- 你的服务端在你交给检查程序的地址上监听，例如 `('127.0.0.1', 9000)`。\n" +
		"- 在每条连接上，它按顺序发回收到的每一个字节，直到客户端关闭；**与此同时**它继续接受并服务其他连接：每条连接一个线程（`threading`、`socketserver.ThreadingTCPServer`），或者用 `selectors`。\n" +
		"- 每个客户端只收到它自己发的字节。\n\n" +
		"## 检查\n\n" +
		"检查程序连接两个客户端 A 和 B，并让两者都保持连接。然后分两轮进行：A 发送，B 发送，A 等它的回显，B 等它的回显（第二轮从 B 开始）。每个回显都必须在 2 s 内到达。如果服务端一次只服务一个客户端，A 还连着的时候，B 的回显永远不会来。\n\n" +
		"先启动你的服务端，再运行：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check tcp-multi --target 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"即使你的服务端正忙于 A，B 的 connect() 也会成功：内核完成三次握手，把连接排进队列，等你的 accept()。B 等的是回显。",
		"accept() 之后，把连接交给一个新线程，然后马上回到 accept()。",
		"threading.Thread(target=serve, args=(conn,), daemon=True).start()，其中 serve() 就是 tcp-echo 里的回显循环。",
	},
	check: checkTCPMulti,
}

func checkTCPMulti(c *checker) {
	c.begin("two clients connect", "both connections accepted")
	clients := map[string]*conn{}
	for _, who := range []string{"A", "B"} {
		c.did("%s: connect to %s", who, c.target)
		k, e := c.dial(who, c.target)
		if e != nil {
			c.fail(e.Error(), connectAdvice(e, c.target))
			return
		}
		clients[who] = k
	}
	c.pass("both connected")

	msg := func(who string, round int) []byte {
		return fmt.Appendf(nil, "client %s, round %d: %s\n", who, round, bytes.Repeat([]byte(who), 3+round))
	}
	for round, order := range [][2]string{{"A", "B"}, {"B", "A"}} {
		first, second := order[0], order[1]
		m1, m2 := msg(first, round+1), msg(second, round+1)
		c.begin(fmt.Sprintf("round %d, %s's echo", round+1, first), fmt.Sprintf("%s back on %s within %s", show(m1), first, seconds(c.reply)))
		c.did("%s: sendall(%s)", first, show(m1))
		if e := clients[first].sendall(m1); e != nil {
			c.fail(e.Error(), "your server closed "+first+"'s connection: keep echoing until the client closes")
			return
		}
		c.did("%s: sendall(%s)", second, show(m2))
		if e := clients[second].sendall(m2); e != nil {
			c.fail(e.Error(), "your server closed "+second+"'s connection: keep echoing until the client closes")
			return
		}
		c.did("%s: recv", first)
		if !c.echoed(clients[first], m1, second) {
			return
		}
		c.begin(fmt.Sprintf("round %d, %s's echo", round+1, second), fmt.Sprintf("%s back on %s within %s", show(m2), second, seconds(c.reply)))
		c.did("%s: recv", second)
		if !c.echoed(clients[second], m2, first) {
			return
		}
	}
	clients["A"].close()
	clients["B"].close()
	c.summary = "2 clients served at once, 4 messages echoed"
}

// echoed expects msg back on k while the client other is also connected.
func (c *checker) echoed(k *conn, msg []byte, other string) bool {
	g := k.readExact(len(msg), c.reply)
	switch {
	case g.end.kind == endTimeout && len(g.data) == 0:
		c.fail(fmt.Sprintf("%s (client %s is still connected)", g, other),
			"while one client is connected your server must serve the other too: run each connection in its own thread (or use selectors)")
		return false
	case !g.ok():
		c.fail(g.String(), "your server must echo every byte on every connection until that client closes")
		return false
	case !bytes.Equal(g.data, msg):
		c.fail(g.String(), "each client must get back exactly its own bytes")
		return false
	}
	c.pass(g.String())
	return true
}

var tcpClient = &Exercise{
	ID:    "tcp-client",
	Title: "TCP: a client with something to say",
	Role:  RoleClient,
	Statement: "Write a **TCP client** that has a short conversation with a server, which the " +
		"checker plays.\n\n" +
		"## The contract\n\n" +
		"1. Your client connects to the address you give the checker, for example " +
		"`('127.0.0.1', 9000)`.\n" +
		"2. It sends `HELLO <name>\\n`: the word `HELLO`, one space, your name (1 to 64 bytes of " +
		"UTF-8 text, no control characters) and a newline, `b'\\n'`. For example `b'HELLO Ada\\n'`.\n" +
		"3. The server answers with a whole number N from 1 to 1000, in decimal, and a newline: " +
		"for example `b'417\\n'`. Read until the newline; TCP may deliver it in pieces.\n" +
		"4. Your client sends twice that number in decimal with a newline (`b'834\\n'`), and " +
		"closes its socket.\n\n" +
		"## The check\n\n" +
		"Start the checker first; it listens and waits for your client (30 s by default; " +
		"`--timeout` changes it). It waits up to 2 s for your greeting, up to 2 s for your " +
		"answer, and up to 2 s for your client to close after it.\n\n" +
		"```sh\ngo run ./cmd/sockplay check tcp-client --listen 127.0.0.1:9000\n```\n",
	Hints: []string{
		"socket.create_connection(('127.0.0.1', 9000)) makes and connects the socket in one call.",
		"Read the number with a loop: data += s.recv(1024) until b'\\n' in data.",
		"int(b'417\\n') is 417 (int() ignores the newline); send str(2 * n).encode() + b'\\n'.",
	},
	TitleZH: "TCP：有话要说的客户端",
	StatementZH: "写一个 **TCP 客户端**，和一个服务端进行一段简短的对话；服务端由检查程序扮演。\n\n" +
		"## 约定\n\n" +
		"1. 你的客户端连接到你交给检查程序的地址，例如 `('127.0.0.1', 9000)`。\n" +
		"2. 它发送 `HELLO <name>\\n`：单词 `HELLO`、一个空格、你的名字（1 到 64 字节的 UTF-8 文本，不含控制字符）和一个换行符 `b'\\n'`。例如 `b'HELLO Ada\\n'`。\n" +
		"3. 服务端回答一个 1 到 1000 之间的整数 N（十进制）和一个换行符：例如 `b'417\\n'`。一直读到换行符为止；TCP 可能把它分成几块送到。\n" +
		"4. 你的客户端发送这个数的两倍（十进制）加一个换行符（`b'834\\n'`），然后关闭套接字。\n\n" +
		"## 检查\n\n" +
		"先启动检查程序；它监听并等待你的客户端（默认 30 s；`--timeout` 可以修改）。它最多等 2 s 等你的问候，最多 2 s 等你的答案，之后最多 2 s 等你的客户端关闭。\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check tcp-client --listen 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"socket.create_connection(('127.0.0.1', 9000)) 一次调用就创建并连接好套接字。",
		"用循环读取那个数：data += s.recv(1024)，直到 b'\\n' in data。",
		"int(b'417\\n') 就是 417（int() 会忽略换行符）；发送 str(2 * n).encode() + b'\\n'。",
	},
	check: checkTCPClient,
}

func checkTCPClient(c *checker) {
	k, ok := c.waitForClient()
	if !ok {
		return
	}

	c.begin("greeting", fmt.Sprintf("b'HELLO <name>\\n' within %s", seconds(c.reply)))
	c.did("recv until b'\\n'")
	g := k.readLine(c.reply, 128)
	if !g.ok() {
		c.fail(g.String(), "your client must send b'HELLO <name>\\n' as soon as it is connected, newline included")
		return
	}
	name, ok := bytes.CutPrefix(g.data, []byte("HELLO "))
	name = bytes.TrimSuffix(name, []byte("\n"))
	if !ok || !validName(name) {
		c.fail(g.String(), "the greeting is HELLO in capitals, one space, a name of 1 to 64 bytes without control characters, and b'\\n' alone at the end")
		return
	}
	c.pass(g.String())

	n := 1 + rand.IntN(1000)
	question := fmt.Appendf(nil, "%d\n", n)
	want := fmt.Appendf(nil, "%d\n", 2*n)
	c.begin("the answer", fmt.Sprintf("%s within %s", show(want), seconds(c.reply)))
	c.did("sendall(%s)", show(question))
	if e := k.sendall(question); e != nil {
		c.fail(e.Error(), "your client closed the connection before it got the number: wait for it with recv()")
		return
	}
	g = k.readLine(c.reply, 64)
	if !g.ok() {
		c.fail(g.String(), "read the number up to its b'\\n', then send twice the number followed by b'\\n'")
		return
	}
	if !bytes.Equal(g.data, want) {
		advice := fmt.Sprintf("send twice the number, %d, in decimal, followed by b'\\n' (str(2 * n).encode() + b'\\n')", 2*n)
		if v, err := strconv.Atoi(string(bytes.TrimSpace(g.data))); err == nil && v == n {
			advice = fmt.Sprintf("that is the number itself: send twice it, %s", show(want))
		}
		c.fail(g.String(), advice)
		return
	}
	c.pass(g.String())

	c.begin("close", fmt.Sprintf("the end of the stream (recv returns b'') within %s", seconds(c.reply)))
	c.did("recv")
	if got, closed := k.readEOF(c.reply); !closed {
		c.fail(got, "after the answer your client must close its socket, and send nothing more")
		return
	}
	c.pass("b'' — your client closed the connection")
	c.summary = fmt.Sprintf("HELLO %s, %d → %d, then closed", name, n, 2*n)
}

// validName reports whether a tcp-client greeting's name is 1 to 64 bytes
// of UTF-8 without control characters.
func validName(b []byte) bool {
	if len(b) == 0 || len(b) > 64 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// waitForClient listens on the target and waits for the learner's client,
// as the first step of a client-role check.
func (c *checker) waitForClient() (*conn, bool) {
	deadline, ok := c.ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(ConnectWait)
	}
	wait := time.Until(deadline).Round(time.Second)
	c.begin("connection", fmt.Sprintf("your client connects within %s", seconds(wait)))
	c.did("listen on %s", c.target)
	l, bound, e := c.listen(c.target)
	if e != nil {
		advice := "the checker could not listen there"
		if e.Errno == "EADDRINUSE" {
			advice = "another program holds that port: stop it, or pick another port for the checker and your client"
		}
		c.fail(e.Error(), advice)
		return nil, false
	}
	c.cur().Did = "listen on " + bound.String()
	c.listener = l
	k, peer, end := c.accept(l, deadline)
	if end.kind != endNone {
		received := end.describe(wait)
		if end.kind == endTimeout || end.kind == endStopped && errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
			received = "no connection came within " + seconds(wait)
		}
		c.fail(received, "start your client after the checker, connecting to "+bound.String())
		return nil, false
	}
	c.pass("a connection from " + peer.String())
	return k, true
}
