package exercises

import (
	"bytes"
	"fmt"
)

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
