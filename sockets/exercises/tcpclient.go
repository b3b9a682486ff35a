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
)

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
