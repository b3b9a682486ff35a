package peers

import (
	"fmt"
	"regexp"
	"sync"

	"sockplay/sockets"
)

// The file server's limits, per peer.
const (
	maxFiles = 32      // files held
	maxStore = 8 << 20 // bytes held in all files (8 MiB)
)

// validName is a file name the server accepts (besides "." and "..", which
// it refuses): no slashes, so no directories to climb out of.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// fileStore is a file server's files, in memory.
type fileStore struct {
	mu        sync.Mutex
	files     map[string][]byte
	total     int  // bytes held
	reserved  int  // bytes promised to puts whose body is still coming
	dropAfter int  // drop_after, or -1
	dropped   bool // the drop has happened
}

// file-server: the capstone's server. json_header messages with format '!I';
// the request header's cmd is put, size, get or ls (see web/PROTOCOL.md).
func startFileServer(p *Peer, o *options) *sockets.Error {
	st := &fileStore{files: map[string][]byte{}, dropAfter: -1}
	if o.has("drop_after") {
		st.dropAfter = o.int("drop_after", 0, 0, maxStore)
	}
	if o.err != nil {
		return o.err
	}
	l, e := p.listen()
	if e != nil {
		return e
	}
	p.serve(l, " for json_header requests (format '!I')", func(c *sockets.Socket, from sockets.Addr, _ int) string {
		for {
			h, over := p.readHeader(c, from, fileServerFraming, maxStore)
			if over != "" {
				return over
			}
			if h.problem != "" {
				p.sendMessage(c, from, fileServerFraming, failed("%s", h.problem), nil, "answered a request it could not read, then closed the connection.")
				return h.problem
			}
			cmd, _ := h.fields["cmd"].(string)
			fields := map[string]string{}
			for _, k := range sortedKeys(h.fields) {
				fields[k] = fmt.Sprint(h.fields[k])
			}
			p.emit(Event{What: "decoded", Addr: &from, Data: h.raw, Fields: fields,
				Note: fmt.Sprintf("received a %q request with %s of body.", cmd, plural(h.size, "byte"))})
			var reply map[string]any
			var body []byte
			if cmd == "put" {
				if reply, over = st.put(p, c, from, h); over != "" {
					return over
				}
			} else {
				if over := p.discard(c, from, h.size); over != "" {
					return over
				}
				reply, body = st.serve(cmd, h.fields)
			}
			note := fmt.Sprintf("answered %q: %v.", cmd, reply["status"])
			if p.sendMessage(c, from, fileServerFraming, reply, body, note) != nil {
				return "sendall failed"
			}
		}
	})
	return nil
}

// failed is an error reply.
func failed(format string, args ...any) map[string]any {
	return map[string]any{"status": "error", "error": fmt.Sprintf(format, args...)}
}

// fileArgs reads a request's filename and offset (0 when absent).
func fileArgs(f map[string]any) (name string, offset int, problem string) {
	name, ok := f["filename"].(string)
	switch {
	case !ok:
		return "", 0, "the request needs filename, a string"
	case !validName.MatchString(name) || name == "." || name == "..":
		return "", 0, fmt.Sprintf("bad filename %q: a name is 1 to 64 of A-Z a-z 0-9 . _ - (no slashes, not . or ..)", name)
	}
	if v, ok := f["offset"]; ok {
		n, ok := sockets.JSONInt(v)
		if !ok || n < 0 || n > maxStore {
			return "", 0, fmt.Sprintf("offset must be a whole number of bytes from 0 to %d, not %s", maxStore, sockets.JSONText(v))
		}
		offset = int(n)
	}
	return name, offset, ""
}

// put keeps the file's first offset bytes and appends the body as it
// arrives, so a put cut short leaves what came (size tells how much).
// With drop_after set, the first put whose body is longer than drop_after
// bytes stops after that many: the connection is closed with no reply.
func (st *fileStore) put(p *Peer, c *sockets.Socket, from sockets.Addr, h header) (map[string]any, string) {
	name, offset, problem := fileArgs(h.fields)
	drop := false
	if problem == "" {
		st.mu.Lock()
		cur, exists := st.files[name]
		switch {
		case offset > len(cur):
			problem = fmt.Sprintf("offset %d is past the end of %s (%s); ask its size and put from there", offset, name, plural(len(cur), "byte"))
		case !exists && len(st.files) >= maxFiles:
			problem = fmt.Sprintf("the server holds %d files already, its limit", maxFiles)
		case st.total-(len(cur)-offset)+st.reserved+h.size > maxStore:
			problem = fmt.Sprintf("the server holds at most %d bytes in all files, and this put would go past that", maxStore)
		default:
			st.files[name] = cur[:offset:offset]
			st.total -= len(cur) - offset
			st.reserved += h.size
			if st.dropAfter >= 0 && !st.dropped && h.size > st.dropAfter {
				drop, st.dropped = true, true
			}
		}
		st.mu.Unlock()
	}
	if problem != "" {
		return failed("%s", problem), p.discard(c, from, h.size)
	}
	got := 0
	defer func() {
		st.mu.Lock()
		st.reserved -= h.size - got
		st.mu.Unlock()
	}()
	want := h.size
	if drop {
		want = st.dropAfter
	}
	for got < want {
		r, e := c.Recv(p.ctx, min(want-got, 65536), nil, sockets.CallOptions{})
		if e != nil {
			p.fail("recv", &from, e)
			return nil, "recv failed: " + e.Error()
		}
		if len(r.Data) == 0 {
			return nil, fmt.Sprintf("the client closed its side after %d of the %d body bytes (%s keeps them)", got, h.size, name)
		}
		st.mu.Lock()
		st.files[name] = append(st.files[name], r.Data...)
		st.total += len(r.Data)
		st.reserved -= len(r.Data)
		st.mu.Unlock()
		got += len(r.Data)
	}
	if drop {
		return nil, fmt.Sprintf("dropped the connection on purpose after %d of the %d body bytes (drop_after), to practise resuming: %s now holds what came", got, h.size, name)
	}
	st.mu.Lock()
	size := len(st.files[name])
	st.mu.Unlock()
	return map[string]any{"status": "ok", "size": size}, ""
}

// serve answers size, get and ls, and refuses anything else.
func (st *fileStore) serve(cmd string, f map[string]any) (map[string]any, []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch cmd {
	case "size", "get":
		name, offset, problem := fileArgs(f)
		if problem != "" {
			return failed("%s", problem), nil
		}
		data, ok := st.files[name]
		switch {
		case !ok:
			return failed("no such file"), nil
		case cmd == "size":
			return map[string]any{"status": "ok", "size": len(data)}, nil
		case offset > len(data):
			return failed("offset %d is past the end of %s (%s)", offset, name, plural(len(data), "byte")), nil
		}
		return map[string]any{"status": "ok"}, append([]byte(nil), data[offset:]...)
	case "ls":
		var out []byte
		for _, name := range sortedKeys(st.files) {
			out = fmt.Appendf(out, "%s %d\n", name, len(st.files[name]))
		}
		return map[string]any{"status": "ok"}, out
	case "":
		return failed("the request header has no cmd: use put, size, get or ls"), nil
	}
	return failed("unknown cmd %q: use put, size, get or ls", cmd), nil
}
