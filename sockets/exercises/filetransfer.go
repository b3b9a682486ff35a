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
