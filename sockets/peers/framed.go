package peers

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sockplay/sockets"
)

// jsonFraming is seed 004's protocol: the JSON header's length packed with a
// struct format, the JSON header (holding data_size), then data_size bytes
// of body. framed-server uses format 'i' (as seed 004), file-server '!I'.
type jsonFraming struct {
	format string // the struct format of the length prefix
	order  binary.ByteOrder
}

var (
	framedServerFraming = jsonFraming{"i", binary.LittleEndian}
	fileServerFraming   = jsonFraming{"!I", binary.BigEndian}
)

// header is one request's JSON header as read.
type header struct {
	fields  map[string]any // numbers are json.Number
	raw     []byte         // the JSON header as it came
	size    int            // data_size: the body's length (0 when absent)
	problem string         // why the bytes are not a valid header
}

// readFull reads exactly n bytes with as many recv() calls as it takes. A
// non-empty over says the connection ended first.
func (p *Peer) readFull(c *sockets.Socket, from sockets.Addr, n int) ([]byte, string) {
	buf := make([]byte, 0, min(n, 1<<20))
	for len(buf) < n {
		r, e := c.Recv(p.ctx, min(n-len(buf), 65536), nil, sockets.CallOptions{})
		if e != nil {
			p.fail("recv", &from, e)
			return buf, "recv failed: " + e.Error()
		}
		if len(r.Data) == 0 {
			if len(buf) == 0 {
				return buf, "the client closed its side (recv returned b'')"
			}
			return buf, fmt.Sprintf("the client closed its side after %d of %d bytes", len(buf), n)
		}
		buf = append(buf, r.Data...)
	}
	return buf, ""
}

// discard reads and drops n bytes.
func (p *Peer) discard(c *sockets.Socket, from sockets.Addr, n int) string {
	for n > 0 {
		r, e := c.Recv(p.ctx, min(n, 65536), nil, sockets.CallOptions{})
		if e != nil {
			p.fail("recv", &from, e)
			return "recv failed: " + e.Error()
		}
		if len(r.Data) == 0 {
			return "the client closed its side in the middle of a body"
		}
		n -= len(r.Data)
	}
	return ""
}

// readHeader reads a length prefix and the JSON header after it. A non-empty
// over says the connection ended; h.problem that the bytes are not a valid
// header (the stream is out of step, so the connection should end after the
// error reply). maxBody bounds data_size.
func (p *Peer) readHeader(c *sockets.Socket, from sockets.Addr, jf jsonFraming, maxBody int) (h header, over string) {
	prefix, over := p.readFull(c, from, 4)
	if over != "" {
		return h, over
	}
	n := int64(jf.order.Uint32(prefix))
	if jf.format == "i" {
		n = int64(int32(jf.order.Uint32(prefix)))
	}
	if n < 0 || n > sockets.MaxJSONHeader {
		h.problem = fmt.Sprintf("the length prefix % x, struct.unpack(%q) = %d, is not the length of a JSON header (at most %d bytes): pack it with struct.pack(%q, len(header_bytes))", prefix, jf.format, n, sockets.MaxJSONHeader, jf.format)
		return h, ""
	}
	raw, over := p.readFull(c, from, int(n))
	if over != "" {
		return h, over
	}
	h.raw = raw
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(&h.fields)
	if _, end := dec.Token(); err == nil && end != io.EOF {
		err = fmt.Errorf("extra data after the object")
	}
	if err != nil || h.fields == nil {
		h.problem = fmt.Sprintf("the %d header bytes are not a JSON object: %s", len(raw), sockets.PyBytesCut(raw, 60))
		return h, ""
	}
	if v, ok := h.fields["data_size"]; ok {
		size, ok := sockets.JSONInt(v)
		if !ok || size < 0 || size > int64(maxBody) {
			h.problem = fmt.Sprintf("data_size must be a whole number of bytes from 0 to %d, not %s", maxBody, sockets.JSONText(v))
			return h, ""
		}
		h.size = int(size)
	}
	return h, ""
}

// sendMessage sends one message: the header (with data_size filled in), then
// body. A message of up to 64 KiB goes out with one sendall(); a longer one
// with two (header, then body), as seed 004's server sends them.
func (p *Peer) sendMessage(c *sockets.Socket, from sockets.Addr, jf jsonFraming, h map[string]any, body []byte, note string) *sockets.Error {
	h["data_size"] = len(body)
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return sockets.BadRequest("", "reply header: %v", err)
	}
	head, e := sockets.Framing{Kind: sockets.FramingLength, Format: jf.format}.Encode(bytes.TrimSuffix(js.Bytes(), []byte("\n")), nil)
	if e != nil {
		return e
	}
	wire := head
	if len(body) <= 65536 {
		wire = append(head, body...)
	}
	if _, e := c.SendAll(p.ctx, wire, sockets.CallOptions{}); e != nil {
		p.fail("sendall", &from, e)
		return e
	}
	if len(wire) == len(head) && len(body) > 0 {
		if _, e := c.SendAll(p.ctx, body, sockets.CallOptions{}); e != nil {
			p.fail("sendall", &from, e)
			return e
		}
	}
	fields := map[string]string{}
	for k, v := range h {
		fields[k] = fmt.Sprint(v)
	}
	shown := append(head[:len(head):len(head)], body[:min(len(body), MaxEventData)]...)
	p.emit(Event{What: "sent", Addr: &from, Data: shown, Size: len(head) + len(body), Fields: fields, Note: note})
	return nil
}

// framed-server commands.
const maxCommand = 64 << 10 // the longest command body accepted (64 KiB)

// demoFiles are the names framed-server's ls lists.
var demoFiles = []string{"hello.txt", "notes.md", "report.pdf"}

// framed-server: each request is a json_header message (format 'i') whose
// body is a command; each reply a frame with header {"cmd", "status",
// "data_size"} and the command's output (or the error message) as body.
// The commands are a fixed set; nothing is ever run.
func startFramedServer(p *Peer, _ *options) *sockets.Error {
	l, e := p.listen()
	if e != nil {
		return e
	}
	p.serve(l, " for json_header frames (format 'i')", func(c *sockets.Socket, from sockets.Addr, _ int) string {
		for {
			h, over := p.readHeader(c, from, framedServerFraming, maxCommand)
			if over != "" {
				return over
			}
			if h.problem != "" {
				p.sendMessage(c, from, framedServerFraming, map[string]any{"cmd": "", "status": "error"}, []byte(h.problem), "answered a frame it could not read, then closed the connection.")
				return h.problem
			}
			body, over := p.readFull(c, from, h.size)
			if over != "" {
				return over
			}
			cmd := string(body)
			p.emit(Event{What: "decoded", Addr: &from, Data: body, Fields: map[string]string{"command": text(body)},
				Note: fmt.Sprintf("received the command %s.", sockets.PyBytesCut(body, 60))})
			word, out, ok := runCommand(cmd)
			status := "ok"
			if !ok {
				status = "error"
			}
			note := fmt.Sprintf("answered %s with %s of output.", sockets.PyBytesCut([]byte(word), 20), plural(len(out), "byte"))
			if p.sendMessage(c, from, framedServerFraming, map[string]any{"cmd": word, "status": status}, out, note) != nil {
				return "sendall failed"
			}
		}
	})
	return nil
}

// runCommand runs one framed-server command: its first word, its output,
// and whether it succeeded (if not, the output is the error message).
func runCommand(cmd string) (word string, out []byte, ok bool) {
	word, rest, _ := strings.Cut(cmd, " ")
	noArgs := func(run func() []byte) ([]byte, bool) {
		if strings.TrimSpace(rest) != "" {
			return []byte(word + " takes no arguments"), false
		}
		return run(), true
	}
	switch word {
	case "echo":
		return word, []byte(rest), true
	case "big":
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || n < 0 || n > sockets.MaxMessage {
			return word, fmt.Appendf(nil, "big needs a number of bytes from 0 to %d, not %q", sockets.MaxMessage, rest), false
		}
		return word, alphabet()[:n], true
	case "ls":
		out, ok := noArgs(func() []byte { return []byte(strings.Join(demoFiles, "\n") + "\n") })
		return word, out, ok
	case "time":
		out, ok := noArgs(func() []byte { return []byte(time.Now().UTC().Format(time.RFC3339)) })
		return word, out, ok
	case "":
		return word, []byte("empty command: try echo <text>, big <n>, ls or time"), false
	}
	return word, fmt.Appendf(nil, "unknown command %q: the commands are echo <text>, big <n>, ls and time", word), false
}

// alphabet is "abc…xyz" repeated to 16 MiB, made once and shared (read only).
var alphabet = sync.OnceValue(func() []byte {
	b := make([]byte, sockets.MaxMessage)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
})

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
