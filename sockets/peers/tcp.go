package peers

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"sockplay/sockets"
)

// tcp-echo: every byte that comes on a connection goes back on it.
func startTCPEcho(p *Peer, _ *options) *sockets.Error {
	l, e := p.listen()
	if e != nil {
		return e
	}
	p.serve(l, "", func(c *sockets.Socket, from sockets.Addr, _ int) string {
		for {
			data, why := p.recv(c, from, 65536)
			if data == nil {
				return why
			}
			if p.sendAll(c, from, data, Event{Note: fmt.Sprintf("echoed the %s back.", plural(len(data), "byte"))}) != nil {
				return "sendall failed"
			}
		}
	})
	return nil
}

// maxBurst is the most bytes burst-sender sends on one connection (1 MiB).
const maxBurst = 1 << 20

// burst-sender: on each connection, count messages sent back to back (one
// sendall() each), then it waits for the client to close. The messages are
// message, or size bytes of one letter each: aaaaa, bbbbb, ccccc, …
func startBurstSender(p *Peer, o *options) *sockets.Error {
	count := o.int("count", 10, 1, maxCount)
	size := o.int("size", 5, 1, 65536)
	message := o.text("message", "", 65536)
	if o.has("size") && o.has("message") {
		o.bad("give size or message, not both")
	}
	if message != "" {
		size = len(message)
	}
	if count*size > maxBurst {
		o.bad("count × size is %d bytes; at most %d are sent on one connection", count*size, maxBurst)
	}
	if o.err != nil {
		return o.err
	}
	msgs := make([][]byte, count)
	for i := range msgs {
		msgs[i] = []byte(message)
		if message == "" {
			msgs[i] = bytes.Repeat([]byte{byte('a' + i%26)}, size)
		}
	}
	l, e := p.listen()
	if e != nil {
		return e
	}
	p.serve(l, "", func(c *sockets.Socket, from sockets.Addr, _ int) string {
		for i, m := range msgs {
			ev := Event{Fields: map[string]string{"index": strconv.Itoa(i + 1)},
				Note: fmt.Sprintf("sent message %d of %d (%s) with its own sendall().", i+1, count, plural(len(m), "byte"))}
			if p.sendAll(c, from, m, ev) != nil {
				return "sendall failed"
			}
		}
		p.emit(Event{What: "done", Addr: &from, Note: fmt.Sprintf("sent %d messages, %s in all, back to back; waiting for the client to close.", count, plural(count*size, "byte"))})
		for {
			if data, why := p.recv(c, from, 4096); data == nil {
				return why
			}
		}
	})
	return nil
}

// slow-reader: a small SO_RCVBUF, and chunk bytes read every delay_ms, so
// that the sender's buffers fill and its send() waits.
func startSlowReader(p *Peer, o *options) *sockets.Error {
	chunk := o.int("chunk", 1024, 1, 65536)
	delay := o.int("delay_ms", 200, 10, maxInterval)
	rcvbuf := o.int("rcvbuf", 4096, 1024, 1<<20)
	if o.err != nil {
		return o.err
	}
	// Set on the listening socket, the buffer size is inherited by every
	// accepted socket and in force from the handshake on, when TCP
	// announces its window.
	l, e := p.listen(sockopt{"SO_RCVBUF", rcvbuf})
	if e != nil {
		return e
	}
	real, _ := l.GetOption("SOL_SOCKET", "SO_RCVBUF")
	about := fmt.Sprintf(" and reads %s every %d ms from each connection; SO_RCVBUF is %d (Linux doubles what was asked, %d)", plural(chunk, "byte"), delay, real, rcvbuf)
	p.serve(l, about, func(c *sockets.Socket, from sockets.Addr, _ int) string {
		for p.sleep(time.Duration(delay) * time.Millisecond) {
			if data, why := p.recv(c, from, chunk); data == nil {
				return why
			}
		}
		return "stopping"
	})
	return nil
}

// maxLine is the longest line threaded-tcp-server waits for in line mode (64 KiB).
const maxLine = 64 << 10

// chunkSize is what threaded-tcp-server asks recv() for in chunk mode, as
// the seeds' servers do with recv(1024).
const chunkSize = 1024

// threaded-tcp-server: each client is served on its own goroutine, as
// socketserver.ThreadingTCPServer does with threads. In chunk mode (the
// default, as the seeds' servers) every recv() chunk is answered
// "<client-number>: <CHUNK>"; in line mode every line "<text>\n" is
// answered "<client-number>: <TEXT>\n".
func startThreadedServer(p *Peer, o *options) *sockets.Error {
	mode := o.choice("mode", "chunk", "chunk", "line")
	if o.err != nil {
		return o.err
	}
	l, e := p.listen()
	if e != nil {
		return e
	}
	handle := serveChunks
	if mode == "line" {
		handle = serveLines
	}
	about := fmt.Sprintf(" in %s mode", mode)
	p.serve(l, about, func(c *sockets.Socket, from sockets.Addr, n int) string {
		return handle(p, c, from, n)
	})
	return nil
}

// serveChunks answers each recv() chunk at once, newline or not.
func serveChunks(p *Peer, c *sockets.Socket, from sockets.Addr, n int) string {
	for {
		data, why := p.recv(c, from, chunkSize)
		if data == nil {
			return why
		}
		if why := answer(p, c, from, n, data, "chunk"); why != "" {
			return why
		}
	}
}

// serveLines answers each complete line; lines may be split over sends or
// share one.
func serveLines(p *Peer, c *sockets.Socket, from sockets.Addr, n int) string {
	var pending []byte
	for {
		data, why := p.recv(c, from, 4096)
		if data == nil {
			return why
		}
		pending = append(pending, data...)
		for {
			line, rest, ok := bytes.Cut(pending, []byte("\n"))
			if !ok {
				break
			}
			pending = rest
			if why := answer(p, c, from, n, append(line, '\n'), "line"); why != "" {
				return why
			}
		}
		if len(pending) > maxLine {
			return fmt.Sprintf("client %d sent more than %d bytes without a newline", n, maxLine)
		}
	}
}

// answer sends client n "<n>: " and text uppercased; unit names what text
// is (a chunk, a line) in the note. It returns why the connection must end,
// or "".
func answer(p *Peer, c *sockets.Socket, from sockets.Addr, n int, text []byte, unit string) string {
	reply := append(fmt.Appendf(nil, "%d: ", n), upper(text)...)
	ev := Event{Fields: map[string]string{"client": strconv.Itoa(n)},
		Note: fmt.Sprintf("answered client %d's %s of %s.", n, unit, plural(len(text), "byte"))}
	if p.sendAll(c, from, reply, ev) != nil {
		return "sendall failed"
	}
	return ""
}

// upper uppercases the whole UTF-8 characters in b and keeps every other
// byte as it is (such as half a character at a chunk's end), so that no
// byte is lost or replaced.
func upper(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, b[0])
		} else {
			out = utf8.AppendRune(out, unicode.ToUpper(r))
		}
		b = b[size:]
	}
	return out
}
