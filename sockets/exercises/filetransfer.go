package exercises

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"sockplay/sockets"
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
		"```sh\nsockplay check file-transfer --listen 127.0.0.1:9000\n```\n",
	Hints: []string{
		"Write send_msg(sock, header, body=b'') and recv_msg(sock) → (header, body) first; every request and reply goes through them.",
		"recv_msg must read exactly 4 bytes, then exactly the header's length, then exactly data_size bytes: recv() may return less than you ask.",
		"Put the whole upload in a function that connects, asks size (an error reply means 0), and puts from there to the end; call it in a loop that catches OSError (ConnectionError covers reset and broken pipe) and tries again.",
		"An empty recv() while waiting for a reply means the server closed: raise ConnectionError yourself so the retry loop handles it too.",
	},
	check: checkFileTransfer,
}

// ftRequest is one request read by the file server.
type ftRequest struct {
	fields map[string]any // numbers are json.Number
	raw    []byte         // the JSON header as it came
	cmd    string
	size   int // data_size
}

func (r *ftRequest) String() string {
	s := string(r.raw)
	if len(s) > 160 {
		s = s[:150] + "…"
	}
	return "header " + s
}

func (r *ftRequest) name() string { s, _ := r.fields["filename"].(string); return s }

// offset reads the request's offset (0 when absent); ok is false when it is
// not a whole number.
func (r *ftRequest) offset() (int, bool) {
	v, present := r.fields["offset"]
	if !present {
		return 0, true
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil && i >= 0
}

// ftServer is the checker's file server: its files and what happened.
type ftServer struct {
	c        *checker
	files    map[string][]byte
	stored   int      // body bytes stored in all, towards the break
	dropped  string   // the file whose put was cut; "" before the break
	log      []string // what the client asked, for the step's Received
	run      putRun
	resumeAt int // the size reported after the break
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

// next reads the next request, accepting a new connection when the client
// closed the last one between requests (when phase is not ""). It fails
// the running step when no request comes.
func (fs *ftServer) next(k **conn, phase string) (*ftRequest, bool) {
	c := fs.c
	for {
		req, g, problem := (*k).readRequest()
		switch {
		case problem != "":
			fs.reply(*k, map[string]any{"status": "error", "error": problem}, nil)
			c.fail(g.String()+" — "+problem, "every request is struct.pack('!I', len(header)) + header + body, with a JSON object as header")
			return nil, false
		case req != nil:
			return req, true
		case g.end.kind == endEOF && len(g.data) == 0 && phase != "":
			// The client closed between requests; it may connect again.
			c.did("accept")
			if *k = fs.reaccept("your client closed the connection " + phase + " and did not connect again to finish the upload"); *k == nil {
				return nil, false
			}
			continue
		case g.end.kind == endEOF && len(g.data) == 0:
			c.fail(g.String(), "your client closed the connection without a request")
		case g.end.kind == endTimeout && len(g.data) == 0:
			c.fail(g.String(), "your client must send its next request (put, size or done) without waiting")
		default:
			c.fail(g.String(), "every request is struct.pack('!I', len(header)) + header + body, sent whole")
		}
		return nil, false
	}
}

// reaccept waits up to ReconnectWait for the client's next connection; on
// none it fails the running step with advice and returns nil.
func (fs *ftServer) reaccept(advice string) *conn {
	deadline := time.Now().Add(ReconnectWait)
	if d, ok := fs.c.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	k, peer, end := fs.c.accept(fs.c.listener, deadline)
	if end.kind != endNone {
		received := end.describe(ReconnectWait)
		if end.kind == endTimeout {
			received = "no connection came within " + seconds(ReconnectWait)
		}
		fs.c.fail(received, advice)
		return nil
	}
	fs.log = append(fs.log, "a new connection from "+peer.String())
	if fs.c.cur().Name == "reconnect" {
		fs.c.pass("a new connection from " + peer.String())
	}
	return k
}

// readRequest reads a request's length prefix and JSON header (not its
// body). With req nil, g says what came instead, or problem what is wrong
// with the bytes.
func (k *conn) readRequest() (req *ftRequest, g got, problem string) {
	g = k.readExact(4, k.c.reply)
	if !g.ok() {
		return nil, g, ""
	}
	n := binary.BigEndian.Uint32(g.data)
	if n > sockets.MaxJSONHeader {
		return nil, g, fmt.Sprintf("the length prefix, struct.unpack('!I') = %d, is not the length of a JSON header (at most %d bytes)", n, sockets.MaxJSONHeader)
	}
	prefix := g.data
	g = k.readExact(int(n), k.c.reply)
	g.data = append(slices.Clip(prefix), g.data...)
	if !g.ok() {
		return nil, g, ""
	}
	raw := g.data[4:]
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	err := dec.Decode(&fields)
	if _, end := dec.Token(); err == nil && end != io.EOF {
		err = fmt.Errorf("extra data after the object")
	}
	if err != nil || fields == nil {
		return nil, g, "the header is not a JSON object"
	}
	req = &ftRequest{fields: fields, raw: raw}
	req.cmd, _ = fields["cmd"].(string)
	if v, ok := fields["data_size"]; ok {
		num, _ := v.(json.Number)
		size, err := num.Int64()
		if err != nil || size < 0 || size > ftMaxSize {
			return nil, g, fmt.Sprintf("data_size must be a whole number of bytes from 0 to %d", ftMaxSize)
		}
		req.size = int(size)
	}
	return req, g, ""
}

// reply sends a reply message; a failure to send is left for the next read
// to find.
func (fs *ftServer) reply(k *conn, h map[string]any, body []byte) {
	if wire, e := headerFraming.Encode(body, h); e == nil {
		k.sendall(wire)
	}
}

// serve answers put, size, get and ls. It fails the running step and
// returns false on anything else, or when a put breaks the rules.
func (fs *ftServer) serve(k *conn, req *ftRequest) bool {
	c := fs.c
	if req.cmd != "put" && req.size > 0 {
		fs.reply(k, map[string]any{"status": "error", "error": req.cmd + " has no body"}, nil)
		c.fail(req.String(), "only put carries a body: data_size is 0 for "+req.cmd)
		return false
	}
	name := req.name()
	if req.cmd != "ls" && !ftName.MatchString(name) || name == "." || name == ".." {
		fs.reply(k, map[string]any{"status": "error", "error": "bad filename"}, nil)
		c.fail(req.String(), "filename must be 1 to 64 characters from A-Z a-z 0-9 . _ -")
		return false
	}
	data, exists := fs.files[name]
	switch req.cmd {
	case "size":
		fs.log = append(fs.log, "size "+name)
		if !exists {
			fs.reply(k, map[string]any{"status": "error", "error": "no such file"}, nil)
			return true
		}
		fs.reply(k, map[string]any{"status": "ok", "size": len(data)}, nil)
		return true
	case "get":
		fs.log = append(fs.log, "get "+name)
		off, ok := req.offset()
		if !exists || !ok || off > len(data) {
			fs.reply(k, map[string]any{"status": "error", "error": "no such file, or offset past its end"}, nil)
			return true
		}
		fs.reply(k, map[string]any{"status": "ok"}, data[off:])
		return true
	case "ls":
		fs.log = append(fs.log, "ls")
		var out []byte
		for _, n := range slices.Sorted(maps.Keys(fs.files)) {
			out = fmt.Appendf(out, "%s %d\n", n, len(fs.files[n]))
		}
		fs.reply(k, map[string]any{"status": "ok"}, out)
		return true
	case "put":
		return fs.put(k, req, name, data)
	}
	fs.reply(k, map[string]any{"status": "error", "error": fmt.Sprintf("unknown cmd %q", req.cmd)}, nil)
	c.fail(req.String(), "the commands are put, size, get, ls and done")
	return false
}

// put checks a put's offset and stores its body as it arrives, breaking
// the connection once ftDropAt body bytes are stored in all.
func (fs *ftServer) put(k *conn, req *ftRequest, name string, data []byte) bool {
	c := fs.c
	off, ok := req.offset()
	if !ok || off != len(data) {
		fs.reply(k, map[string]any{"status": "error", "error": fmt.Sprintf("offset must be %d, the file's size", len(data))}, nil)
		advice := fmt.Sprintf("each put must start at the file's current size, %d", len(data))
		switch {
		case fs.dropped == name && off == 0:
			advice = fmt.Sprintf("your client started over from offset 0: continue from the size the server reported after the break (%d)", len(data))
		case fs.dropped == name && off < len(data):
			advice = fmt.Sprintf("the server already has %d bytes of %s: continue from the size it reported, not from the end of your last acknowledged put", len(data), name)
		}
		c.fail(fmt.Sprintf("%s while %q has %d bytes", req, name, len(data)), advice)
		return false
	}
	if off+req.size > ftMaxSize {
		fs.reply(k, map[string]any{"status": "error", "error": "the file would be larger than 8 MiB"}, nil)
		c.fail(req.String(), "upload a file of at most 8 MiB")
		return false
	}
	fs.files[name] = data
	for got := 0; got < req.size; {
		chunk := min(req.size-got, 65536)
		if fs.dropped == "" {
			chunk = min(chunk, ftDropAt-fs.stored)
		}
		g := k.readExact(chunk, c.reply)
		fs.files[name] = append(fs.files[name], g.data...)
		fs.stored += len(g.data)
		got += len(g.data)
		if !g.ok() {
			c.fail(fmt.Sprintf("%d of the %d body bytes of the put, then %s", got, req.size, g.end.describe(c.reply)),
				"send the whole body of each put right after its header: data_size bytes")
			return false
		}
		if fs.dropped == "" && fs.stored == ftDropAt {
			fs.dropped = name
			fs.log = append(fs.log, fmt.Sprintf("put %s at %d cut after %d of its %d bytes", name, off, got, req.size))
			k.close()
			return true
		}
	}
	fs.logPut(name, off, req.size)
	fs.reply(k, map[string]any{"status": "ok", "size": len(fs.files[name])}, nil)
	return true
}

// logPut notes a put, merging it with the put just before it when it
// continued that one.
func (fs *ftServer) logPut(name string, off, size int) {
	if r := &fs.run; r.n > 0 && r.idx == len(fs.log)-1 && r.name == name && r.end == off {
		r.n++
		r.end = off + size
		fs.log[r.idx] = fmt.Sprintf("%d puts of %s, bytes %d to %d", r.n, name, r.start, r.end)
		return
	}
	fs.log = append(fs.log, fmt.Sprintf("put %s at %d (%d bytes)", name, off, size))
	fs.run = putRun{name: name, n: 1, start: off, end: off + size, idx: len(fs.log) - 1}
}

// putRun is a run of puts that each continued the last, for the log.
type putRun struct {
	name          string
	n, start, end int
	idx           int // its entry in ftServer.log
}

// done ends the check: the declared SHA-256 must be that of the file.
func (fs *ftServer) done(k *conn, req *ftRequest) {
	c := fs.c
	data := fs.files[fs.dropped]
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	declared, _ := req.fields["sha256"].(string)
	c.begin("done", fmt.Sprintf("done for %q with the SHA-256 of the %d bytes stored, %s…", fs.dropped, len(data), want[:16]))
	c.did("check %s", req)
	switch {
	case req.name() != fs.dropped:
		fs.reply(k, map[string]any{"status": "error", "error": "done names another file"}, nil)
		c.fail(req.String(), fmt.Sprintf("done names the file you uploaded, %q", fs.dropped))
		return
	case strings.ToLower(declared) != want:
		fs.reply(k, map[string]any{"status": "error", "error": "sha256 mismatch"}, nil)
		c.fail(fmt.Sprintf("sha256 %q, but the %d bytes stored hash to %s", declared, len(data), want),
			"the bytes stored differ from your file (or sha256 is not hashlib.sha256(data).hexdigest()): resume from exactly the size the server reports, and send each byte once")
		return
	case len(data) < ftMinSize:
		fs.reply(k, map[string]any{"status": "error", "error": "the file is too small"}, nil)
		c.fail(fmt.Sprintf("a file of %d bytes", len(data)), fmt.Sprintf("upload a file of at least %d bytes", ftMinSize))
		return
	}
	fs.reply(k, map[string]any{"status": "ok", "size": len(data), "sha256": want}, nil)
	c.pass(fmt.Sprintf("sha256 %s… matches the %d bytes stored", want[:16], len(data)))
	c.summary = fmt.Sprintf("%s: %d bytes, resumed at %d after the break, sha256 matches", fs.dropped, len(data), fs.resumeAt)
}
