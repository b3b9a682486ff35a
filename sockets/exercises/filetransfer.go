package exercises

import (
	"fmt"
	"regexp"
	"strings"
)

// file-transfer's limits and its break.
const (
	ftMinSize = 65536   // the smallest file the learner may upload (bytes)
	ftMaxSize = 8 << 20 // the largest (8 MiB), as the file-server peer holds in all
	ftDropAt  = 20000   // body bytes stored when the checker breaks the connection
)

// ftName is a file name the file server accepts, as the file-server peer's.
var ftName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

var fileTransfer = &Exercise{
	ID:    "file-transfer",
	Title: "Capstone: an upload that survives a broken connection",
	Role:  RoleClient,
	Statement: "Write a **client that uploads a file** to a file server and, when the connection " +
		"breaks in the middle, connects again, asks how much arrived, and **resumes** from " +
		"there instead of starting over. The checker plays the file server (the same protocol " +
		"as the playground's `file-server` peer) and breaks your first upload on purpose.\n\n" +
		"## Messages\n\n" +
		"Every message, in both directions, is `struct.pack('!I', len(header)) + header + body`, " +
		"where `header` is a JSON object (UTF-8) with `\"data_size\"`: `len(body)`, 0 when there " +
		"is no body. A request names its command in `\"cmd\"`. Every reply has `\"status\"` " +
		"(`\"ok\"` or `\"error\"`, with the reason in `\"error\"`) and `\"data_size\"`.\n\n" +
		"| request header | body | reply |\n" +
		"|---|---|---|\n" +
		"| `{\"cmd\": \"put\", \"filename\": F, \"offset\": O, \"data_size\": N}` | N bytes to write at byte O of F | `{\"status\": \"ok\", \"size\": S}`, S = F's size now |\n" +
		"| `{\"cmd\": \"size\", \"filename\": F, \"data_size\": 0}` | none | `{\"status\": \"ok\", \"size\": S}`, or `{\"status\": \"error\", \"error\": \"no such file\"}` |\n" +
		"| `{\"cmd\": \"get\", \"filename\": F, \"offset\": O, \"data_size\": 0}` | none | `{\"status\": \"ok\"}` with F's bytes from O as body |\n" +
		"| `{\"cmd\": \"ls\", \"data_size\": 0}` | none | `{\"status\": \"ok\"}` with a line `name size\\n` per file as body |\n" +
		"| `{\"cmd\": \"done\", \"filename\": F, \"sha256\": H, \"data_size\": 0}` | none | `{\"status\": \"ok\", \"size\": S, \"sha256\": H}` when F's SHA-256 is H, else an error |\n\n" +
		"File names are 1 to 64 characters from `A–Z a–z 0–9 . _ -`.\n\n" +
		"## This server's rules\n\n" +
		"- It stores a put's body bytes as they arrive.\n" +
		"- Once it has stored 20,000 body bytes in all, it **closes the connection**, in the middle " +
		"of the put that brought them, without replying to that put. It does this once. Your " +
		"client sees it as `ConnectionResetError` or `BrokenPipeError` from `sendall()`, or as " +
		"`recv()` returning `b''` or raising `ConnectionResetError` while it waits for a reply: " +
		"catch `OSError` (and an empty `recv()`).\n" +
		"- Writes only append: a put's offset must be the file's current size (0 for a new file). " +
		"A put at any other offset is refused and fails the check.\n\n" +
		"## What your client does\n\n" +
		"1. Connect to the address you give the checker, for example `('127.0.0.1', 9000)`, and " +
		"upload a file of your choice (name and content), of at least 65,536 bytes and at most " +
		"8 MiB, with one put or several, reading the reply to each.\n" +
		"2. When the connection breaks, connect again (within 10 s), send **size** for the file " +
		"as the first request on the new connection, and continue with put from **exactly** the " +
		"size the reply gives — not from 0, and not from the end of your last acknowledged put.\n" +
		"3. When the whole file is there, send **done** with the file's SHA-256 in hex " +
		"(`hashlib.sha256(data).hexdigest()`), read the reply, and close the socket.\n\n" +
		"## The check\n\n" +
		"It passes when done's SHA-256 is that of the bytes stored, and the file is at least " +
		"65,536 bytes. The checker waits up to 2 s for each request and for each piece of a " +
		"put's body, and up to 10 s for your client to reconnect. Start the checker first " +
		"(it waits 30 s for your client; `--timeout` changes it):\n\n" +
		"```sh\ngo run ./cmd/sockplay check file-transfer --listen 127.0.0.1:9000\n```\n",
	Hints: []string{
		"Write send_msg(sock, header, body=b'') and recv_msg(sock) → (header, body) first; every request and reply goes through them.",
		"recv_msg must read exactly 4 bytes, then exactly the header's length, then exactly data_size bytes: recv() may return less than you ask.",
		"Put the whole upload in a function that connects, asks size (an error reply means 0), and puts from there to the end; call it in a loop that catches OSError (ConnectionError covers reset and broken pipe) and tries again.",
		"An empty recv() while waiting for a reply means the server closed: raise ConnectionError yourself so the retry loop handles it too.",
	},
	TitleZH: "综合练习：连接断了也能完成的上传",
	StatementZH: "写一个**向文件服务器上传文件的客户端**：连接在中途断开时，它重新连接，问清楚已经到了多少，然后从那里**续传**（断点续传），而不是从头再来。检查程序扮演文件服务器（协议与练习场的 `file-server` 对端相同），并会故意打断你的第一次上传。\n\n" +
		"## 消息\n\n" +
		"每条消息，无论哪个方向，都是 `struct.pack('!I', len(header)) + header + body`，其中 `header` 是一个 JSON 对象（UTF-8），带有 `\"data_size\"`：`len(body)`，没有消息体时为 0。请求在 `\"cmd\"` 里写明命令。每个回答都有 `\"status\"`（`\"ok\"` 或 `\"error\"`，出错原因在 `\"error\"` 里）和 `\"data_size\"`。\n\n" +
		"| 请求报头 | 消息体 | 回答 |\n" +
		"|---|---|---|\n" +
		"| `{\"cmd\": \"put\", \"filename\": F, \"offset\": O, \"data_size\": N}` | 要写到 F 第 O 个字节处的 N 个字节 | `{\"status\": \"ok\", \"size\": S}`，S 为 F 现在的大小 |\n" +
		"| `{\"cmd\": \"size\", \"filename\": F, \"data_size\": 0}` | 无 | `{\"status\": \"ok\", \"size\": S}`，或 `{\"status\": \"error\", \"error\": \"no such file\"}` |\n" +
		"| `{\"cmd\": \"get\", \"filename\": F, \"offset\": O, \"data_size\": 0}` | 无 | `{\"status\": \"ok\"}`，消息体是 F 从 O 开始的字节 |\n" +
		"| `{\"cmd\": \"ls\", \"data_size\": 0}` | 无 | `{\"status\": \"ok\"}`，消息体里每个文件一行 `name size\\n` |\n" +
		"| `{\"cmd\": \"done\", \"filename\": F, \"sha256\": H, \"data_size\": 0}` | 无 | F 的 SHA-256 等于 H 时为 `{\"status\": \"ok\", \"size\": S, \"sha256\": H}`，否则是一个错误 |\n\n" +
		"文件名由 1 到 64 个 `A–Z a–z 0–9 . _ -` 中的字符组成。\n\n" +
		"## 这个服务器的规则\n\n" +
		"- put 的消息体字节一到就存下来。\n" +
		"- 一旦它总共存下了 20,000 个消息体字节，它就**关闭连接**：就在带来这些字节的那个 put 的中途，不回答这个 put。这件事只发生一次。你的客户端看到的是 `sendall()` 抛出 `ConnectionResetError` 或 `BrokenPipeError`，或者在等回答时 `recv()` 返回 `b''` 或抛出 `ConnectionResetError`：捕获 `OSError`（以及空的 `recv()`）。\n" +
		"- 只能追加写入：put 的 offset 必须等于文件当前的大小（新文件为 0）。offset 为其他值的 put 会被拒绝，检查也就失败了。\n\n" +
		"## 你的客户端要做什么\n\n" +
		"1. 连接到你交给检查程序的地址，例如 `('127.0.0.1', 9000)`，上传一个你自己选的文件（名字和内容都由你定），至少 65,536 字节，最多 8 MiB，用一个 put 或多个 put 都可以，每个都要读回答。\n" +
		"2. 连接断开后，（在 10 s 内）重新连接，在新连接上的第一个请求是对这个文件的 **size**，然后**正好**从回答给出的大小继续 put：不是从 0，也不是从你最后一个得到确认的 put 的末尾。\n" +
		"3. 整个文件都到了之后，发送 **done**，带上文件的十六进制 SHA-256（`hashlib.sha256(data).hexdigest()`），读回答，然后关闭套接字。\n\n" +
		"## 检查\n\n" +
		"当 done 里的 SHA-256 与存下的字节相符、并且文件至少有 65,536 字节时，检查通过。每个请求、put 消息体的每一块，检查程序都最多等 2 s；等你的客户端重新连接最多 10 s。先启动检查程序（它等你的客户端 30 s；`--timeout` 可以修改）：\n\n" +
		"```sh\n" +
		"go run ./cmd/sockplay check file-transfer --listen 127.0.0.1:9000\n" +
		"```\n",
	HintsZH: []string{
		"先写 send_msg(sock, header, body=b'') 和 recv_msg(sock) → (header, body)；每个请求和回答都经过它们。",
		"recv_msg 必须正好读 4 个字节，再正好读报头的长度，再正好读 data_size 个字节：recv() 返回的可能比你要的少。",
		"把整个上传过程放进一个函数：连接，询问 size（回答是错误就表示 0），从那里 put 到末尾；在一个捕获 OSError 的循环里调用它（ConnectionError 包括连接重置和管道断开），失败就再试。",
		"等回答时 recv() 返回空，表示服务器关闭了：自己抛出 ConnectionError，让重试循环同样处理它。",
	},
	check: checkFileTransfer,
}

func checkFileTransfer(c *checker) {
	k, ok := c.waitForClient()
	if !ok {
		return
	}
	fs := &ftServer{c: c, files: map[string][]byte{}}

	c.begin("upload until the break", fmt.Sprintf("puts from offset 0, until the checker has stored %d body bytes and breaks the connection", ftDropAt))
	c.did("answer your requests")
	for fs.dropped == "" {
		req, ok := fs.next(&k, "before the break")
		if !ok {
			return
		}
		if req.cmd == "done" {
			fs.reply(k, map[string]any{"status": "error", "error": "the upload is not complete"}, nil)
			c.fail(fmt.Sprintf("%s after %d body bytes", req, fs.stored),
				fmt.Sprintf("done came before the break: upload a file of at least %d bytes", ftMinSize))
			return
		}
		if !fs.serve(k, req) {
			return
		}
	}
	c.pass(fmt.Sprintf("%s; then, with %d body bytes of %q stored, the checker closed the connection in the middle of a put",
		strings.Join(fs.log, "; "), ftDropAt, fs.dropped))

	c.begin("reconnect", fmt.Sprintf("a new connection within %s", seconds(ReconnectWait)))
	c.did("accept")
	if k = fs.reaccept("your client did not connect again after the connection broke: catch the error (ConnectionResetError, BrokenPipeError, or recv() returning b'') and connect again"); k == nil {
		return
	}

	c.begin("ask the size", fmt.Sprintf("{\"cmd\": \"size\", \"filename\": %q} as the first request", fs.dropped))
	c.did("recv a request")
	req, ok := fs.next(&k, "")
	if !ok {
		return
	}
	if req.cmd != "size" || req.name() != fs.dropped {
		advice := fmt.Sprintf("after reconnecting, first ask the server how much of %q it has (size), then continue from there", fs.dropped)
		if off, _ := req.offset(); req.cmd == "put" && off == 0 {
			advice = fmt.Sprintf("your client started over from offset 0: ask size first and continue from the size the server reports (%d)", len(fs.files[fs.dropped]))
		}
		fs.reply(k, map[string]any{"status": "error", "error": "ask size first"}, nil)
		c.fail(req.String(), advice)
		return
	}
	fs.resumeAt = len(fs.files[fs.dropped])
	if !fs.serve(k, req) {
		return
	}
	c.pass(fmt.Sprintf("%s, answered size %d", req, fs.resumeAt))

	c.begin("resume", fmt.Sprintf("puts of %q from offset %d to the end of the file, then done", fs.dropped, fs.resumeAt))
	c.did("answer your requests")
	fs.log = nil
	for {
		req, ok := fs.next(&k, "after the break")
		if !ok {
			return
		}
		if req.cmd == "done" {
			c.pass(fmt.Sprintf("%s; %q is %d bytes", strings.Join(fs.log, "; "), fs.dropped, len(fs.files[fs.dropped])))
			fs.done(k, req)
			return
		}
		if !fs.serve(k, req) {
			return
		}
	}
}
