package exercises

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"sockplay/sockets"
)

var udpUpper = &Exercise{
	ID:    "udp-upper",
	Title: "UDP: a server that shouts back",
	Role:  RoleServer,
	Statement: "Write a **UDP server** that answers every datagram with the same bytes, " +
		"its ASCII letters in upper case.\n\n" +
		"## The contract\n\n" +
		"- Your server binds a `SOCK_DGRAM` socket to the address you give the checker, " +
		"for example `('127.0.0.1', 9000)`, and keeps serving until you stop it.\n" +
		"- For each datagram that `recvfrom()` returns, it sends back **one** datagram, with " +
		"`sendto()`, to the address `recvfrom()` returned with it.\n" +
		"- The reply is the datagram's bytes with every ASCII letter `a`–`z` turned into `A`–`Z` " +
		"and every other byte unchanged: exactly what `data.upper()` does on `bytes`. Nothing " +
		"added (no newline), nothing left out.\n\n" +
		"## The check\n\n" +
		"The checker sends 3 datagrams from one socket, one at a time — mixed case, digits, " +
		"punctuation and spaces — and waits up to 2 s for the reply to each before it sends the " +
		"next. Each reply must be exactly the expected bytes.\n\n" +
		"Start your server, then run:\n\n" +
		"```sh\ngo run ./cmd/sockplay check udp-upper --target 127.0.0.1:9000\n```\n",
	Hints: []string{
		"A UDP server needs no listen() or accept(): socket(AF_INET, SOCK_DGRAM), bind(), then recvfrom() in a loop.",
		"recvfrom(1024) returns two things: the bytes and the sender's address. Reply to that address.",
		"data.upper() works on bytes directly; there is no need to decode and encode.",
		"s.sendto(data.upper(), addr) inside a while True: loop is the whole server.",
	},
	TitleZH: "UDP：把字母变成大写再发回去的服务端",
	StatementZH: "写一个 **UDP 服务端**：对每个数据报，都回答同样的字节，只是其中的 ASCII 字母变成大写。\n\n" +
		"## 约定\n\n" +
		"- 你的服务端把一个 `SOCK_DGRAM` 套接字绑定到你交给检查程序的地址，例如 `('127.0.0.1', 9000)`，并一直服务，直到你让它停下。\n" +
		"- `recvfrom()` 每返回一个数据报，它就用 `sendto()` 发回**一个**数据报，发往 `recvfrom()` 随数据报一起返回的那个地址。\n" +
		"- 回答是收到的数据报的字节，其中每个 ASCII 字母 `a`–`z` 变成 `A`–`Z`，其他字节不变：正是 `bytes` 上 `data.upper()` 所做的。不多加任何东西（没有换行），也不少任何东西。\n\n" +
		"## 检查\n\n" +
		"检查程序从一个套接字依次发送 3 个数据报（大小写混合，带数字、标点和空格），每发一个都最多等 2 s 等它的回答，然后才发下一个。每个回答都必须与期望的字节完全相同。\n\n" +
		"先启动你的服务端，再运行：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check udp-upper --target 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"UDP 服务端不需要 listen() 和 accept()：socket(AF_INET, SOCK_DGRAM)、bind()，然后在循环里 recvfrom()。",
		"recvfrom(1024) 返回两样东西：字节和发送方的地址。回答就发往那个地址。",
		"data.upper() 可以直接用在 bytes 上，不需要先解码再编码。",
		"在 while True: 循环里写 s.sendto(data.upper(), addr)，整个服务端就完成了。",
	},
	check: checkUDPUpper,
}

func checkUDPUpper(c *checker) {
	msgs := [][]byte{
		fmt.Appendf(nil, "Hello, UDP! %d", 10+rand.IntN(90)),
		[]byte("mIxEd CaSe: abc-XYZ_0189?"),
		fmt.Appendf(nil, "datagram #3: (a+b)*%d = ok; [done] ~bye~", 2+rand.IntN(8)),
	}
	var s *sockets.Socket
	for i, msg := range msgs {
		want := bytes.ToUpper(msg)
		c.begin(fmt.Sprintf("datagram %d", i+1), fmt.Sprintf("%s back within %s", show(want), seconds(c.reply)))
		if s == nil {
			var ok bool
			if s, ok = c.udpSocket(); !ok {
				return
			}
		}
		c.did("sendto(%s, %s)", show(msg), c.target)
		if e := c.sendto(s, msg, c.target); e != nil {
			c.fail(e.Error(), "the checker could not send to that address")
			return
		}
		r, g := c.recvfrom(s, c.reply)
		if !g.ok() {
			advice := "is your server running and bound to " + c.target.String() +
				"? It must answer each datagram with sendto(reply, addr), to the addr that recvfrom() returned"
			if i > 0 {
				advice = fmt.Sprintf("your server answered %d datagram(s), then stopped: call recvfrom() and sendto() in a loop", i)
			}
			c.fail(g.String(), advice)
			return
		}
		if !bytes.Equal(r.Data, want) {
			c.fail(show(r.Data), upperAdvice(msg, r.Data))
			return
		}
		c.pass(show(r.Data))
	}
	c.summary = fmt.Sprintf("%d/%d datagrams answered", len(msgs), len(msgs))
}

// upperAdvice says what is wrong with reply, the answer to msg.
func upperAdvice(msg, reply []byte) string {
	switch {
	case bytes.Equal(reply, msg):
		return "your server sent the datagram back unchanged: reply with data.upper()"
	case bytes.Equal(reply, bytes.ToLower(msg)):
		return "that is the datagram in lower case: reply with data.upper()"
	case bytes.Equal(bytes.TrimRight(reply, "\r\n"), bytes.ToUpper(msg)):
		return "the reply has a line ending added: send data.upper() and nothing more"
	case bytes.EqualFold(reply, msg):
		return "some letters are not upper case: reply with data.upper()"
	}
	return "the reply must be the datagram just received, with its ASCII letters upper-cased (data.upper())"
}

var udpBroadcast = &Exercise{
	ID:    "udp-broadcast",
	Title: "UDP: answer a broadcast",
	Role:  RoleServer,
	Statement: "Write a program that answers **broadcast** datagrams, the way a LAN chat " +
		"program finds who is online.\n\n" +
		"## The contract\n\n" +
		"- Your program binds a `SOCK_DGRAM` socket to `('', P)`: port P on **every** address " +
		"of the machine, for a port P of your choice.\n" +
		"- To each datagram it receives, whatever its content, it replies `b'here'` (those 4 " +
		"bytes, nothing more) with `sendto()`, to the address `recvfrom()` returned.\n\n" +
		"## The check\n\n" +
		"The checker sets `SO_BROADCAST` on its socket and sends a datagram to the loopback " +
		"broadcast address, `('127.255.255.255', P)`, then waits up to 2 s for `b'here'`. It " +
		"does this twice, with different datagrams. A socket bound to `('127.0.0.1', P)` does " +
		"not receive datagrams sent to the broadcast address; one bound to `('', P)` does.\n\n" +
		"Give the checker your port with either address (it broadcasts to " +
		"127.255.255.255 on your port):\n\n" +
		"```sh\ngo run ./cmd/sockplay check udp-broadcast --target 127.255.255.255:9000\n```\n",
	Hints: []string{
		"Only the receiving side's bind() matters here; the sender is the one that needs SO_BROADCAST.",
		"A socket receives a broadcast only if it is bound to the wildcard address ('') or to the broadcast address itself.",
		"s.bind(('', 9000)), then for each (data, addr) from recvfrom(1024): s.sendto(b'here', addr).",
	},
	TitleZH: "UDP：回应广播",
	StatementZH: "写一个回应**广播**数据报的程序，就像局域网聊天程序（飞秋）用来发现谁在线的那样。\n\n" +
		"## 约定\n\n" +
		"- 你的程序把一个 `SOCK_DGRAM` 套接字绑定到 `('', P)`：本机**所有**地址上的端口 P，P 由你选定。\n" +
		"- 对收到的每个数据报，不管内容是什么，它都用 `sendto()` 向 `recvfrom()` 返回的地址回答 `b'here'`（就这 4 个字节，不多不少）。\n\n" +
		"## 检查\n\n" +
		"检查程序在它的套接字上设置 `SO_BROADCAST`，向回环网络的广播地址 `('127.255.255.255', P)` 发送一个数据报，然后最多等 2 s 等 `b'here'`。它用不同的数据报这样做两次。绑定到 `('127.0.0.1', P)` 的套接字收不到发往广播地址的数据报；绑定到 `('', P)` 的可以。\n\n" +
		"交给检查程序的端口，地址写哪一个都可以（它会向 127.255.255.255 的这个端口广播）：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check udp-broadcast --target 127.255.255.255:9000\n" +
		"```\n",
	HintsZH: []string{
		"这里只有接收方的 bind() 要紧；需要 SO_BROADCAST 的是发送方。",
		"套接字只有绑定到通配地址（''）或者广播地址本身，才能收到广播。",
		"s.bind(('', 9000))，然后对 recvfrom(1024) 得到的每个 (data, addr)：s.sendto(b'here', addr)。",
	},
	check: checkUDPBroadcast,
}

var loopbackBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})

func checkUDPBroadcast(c *checker) {
	bcast := c.target
	if localHost(c.target) != "" { // on loopback: the loopback broadcast address
		bcast.Host = loopbackBroadcast.String()
	}
	msgs := [][]byte{
		fmt.Appendf(nil, "anyone there? #%d", 1+rand.IntN(999)),
		[]byte("roll call: who is online?"),
	}
	var s *sockets.Socket
	for i, msg := range msgs {
		c.begin(fmt.Sprintf("broadcast %d", i+1), fmt.Sprintf("b'here' within %s", seconds(c.reply)))
		if family(c.target.Host) == sockets.AFInet6 {
			c.did("look at the target %s", c.target)
			c.fail("an IPv6 address", "IPv6 has no broadcast: give an IPv4 target such as 127.255.255.255:"+fmt.Sprint(c.target.Port))
			return
		}
		if s == nil {
			var ok bool
			if s, ok = c.udpSocket(); !ok {
				return
			}
			c.did("setsockopt(SOL_SOCKET, SO_BROADCAST, 1)")
			if _, e := s.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil {
				c.fail(e.Error(), "the checker could not enable broadcasting")
				return
			}
			c.call("setsockopt(SOL_SOCKET, SO_BROADCAST, 1)")
		}
		c.did("sendto(%s, %s)", show(msg), bcast)
		if e := c.sendto(s, msg, bcast); e != nil {
			c.fail(e.Error(), "the checker could not send to that address")
			return
		}
		r, g := c.recvfrom(s, c.reply)
		if !g.ok() {
			if i > 0 {
				c.fail(g.String(), "your program answered the first broadcast, then stopped: call recvfrom() and sendto() in a loop")
				return
			}
			c.diagnoseBroadcast(s, g)
			return
		}
		if string(r.Data) != "here" {
			c.fail(show(r.Data), "the reply must be exactly b'here'")
			return
		}
		c.pass(fmt.Sprintf("%s from %s", show(r.Data), r.From))
	}
	c.summary = fmt.Sprintf("%d/%d broadcasts answered", len(msgs), len(msgs))
}

// diagnoseBroadcast fails the running step after a broadcast got no reply,
// having found out whether the learner's program answers a datagram sent
// straight to it, which tells a socket bound to 127.0.0.1 from no program.
func (c *checker) diagnoseBroadcast(s *sockets.Socket, g got) {
	direct := c.target
	if direct.Host == loopbackBroadcast.String() || direct.Host == "localhost" {
		direct.Host = "127.0.0.1"
	}
	probe := []byte("are you there? (sent straight to you)")
	c.did("to find out why, sendto(%s, %s)", show(probe), direct)
	if e := c.sendto(s, probe, direct); e != nil {
		c.fail(g.String(), "nothing answered the broadcast: start your program, bound to ('', "+fmt.Sprint(c.target.Port)+"), before the check")
		return
	}
	r, g2 := c.recvfrom(s, c.reply)
	if g2.ok() {
		c.fail(fmt.Sprintf("%s to the broadcast; the datagram sent straight to %s was answered with %s", g, direct, show(r.Data)),
			fmt.Sprintf("your socket is bound to one address, so it misses broadcasts: bind it to ('', %d)", c.target.Port))
		return
	}
	c.fail(fmt.Sprintf("%s to the broadcast, nor to a datagram sent straight to %s", g, direct),
		fmt.Sprintf("is your program running? It must bind to ('', %d) and answer each datagram with sendto(b'here', addr)", c.target.Port))
}
