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
	"slices"
	"strings"
	"time"

	"sockplay/sockets"
)

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
