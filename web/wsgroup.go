package web

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Frames that come together run together. A page often sends two frames
// back to back (a recvfrom, then the sendto that feeds it): when the
// reader has read the first and the second is already whole in the
// connection's buffer, both go to the session as one step (DoFrames),
// which runs each as it would run alone but spares the wake-ups between
// them (the receive's goroutine, a wake-up of the writer per frame).

// maxGroup is the most frames the reader hands over as one step.
const maxGroup = 16

// hijackSpy is the response writer the upgrader hijacks: it keeps the
// connection's buffered reader, which gorilla goes on reading through (the
// upgrader's ReadBufferSize is 0), so that the reader can tell whether the
// client's next frame is in hand already. If gorilla reads through a
// buffer of its own instead, the kept one stays empty and frames simply
// run one by one.
type hijackSpy struct {
	http.ResponseWriter
	br *bufio.Reader
}

func (h *hijackSpy) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if brw != nil {
		h.br = brw.Reader
	}
	return conn, brw, err
}

// nextFrameBuffered reports whether the client's next frame is a whole,
// final, masked text frame already in br: reading it cannot wait. Only the
// reader calls it (it alone reads br).
func nextFrameBuffered(br *bufio.Reader) bool {
	if br == nil || br.Buffered() < 2 {
		return false
	}
	h, _ := br.Peek(2)
	if h[0] != 0x80|websocket.TextMessage || h[1]&0x80 == 0 {
		return false // not a final text frame (a control frame, a fragment), or unmasked: gorilla's to read
	}
	size, head := int(h[1]&0x7f), 2+4 // the length byte, then the mask key
	switch size {
	case 126:
		head += 2
	case 127:
		head += 8
	}
	b, err := br.Peek(head)
	if err != nil {
		return false
	}
	switch size {
	case 126:
		size = int(binary.BigEndian.Uint16(b[2:]))
	case 127:
		n := binary.BigEndian.Uint64(b[2:])
		if n > uint64(br.Size()) {
			return false
		}
		size = int(n)
	}
	return br.Buffered() >= head+size
}

// add takes a frame the reader has read into group: its requests, when it
// is a text frame of UTF-8 JSON to run. A frame the session must refuse,
// or that asks for the connection's close, is dealt with here, after what
// group holds has run (run), so that the order of the outcomes is the
// order of the frames.
func (c *wsConn) add(group []sessions.Frame, typ int, frame []byte) []sessions.Frame {
	if c.closing.Load() {
		return group // closing: frames are read, not run, until the client's close
	}
	if typ == websocket.TextMessage && utf8.Valid(frame) {
		reqs, bads := protocol.DecodeFrame(frame)
		return append(group, sessions.Frame{Reqs: reqs, Bads: bads})
	}
	group = c.run(group)
	if typ == websocket.TextMessage {
		// Not JSON text at all, and not ours to repair: running what
		// it asks with U+FFFD in place of its bytes would send
		// something the client never wrote.
		c.askClose(websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "invalid UTF-8 in a text frame: requests are JSON text, encoded in UTF-8"))
	} else {
		c.sess.Reject(c.sub, sessions.Request{}, sockets.BadRequest("", "requests are JSON text frames, not binary"))
	}
	return group
}

// run hands the frames of group to the session as one step, and returns
// group emptied for the next ones. What the requests produce wakes the
// writer once, as the step ends (sessions.Session.withLock).
func (c *wsConn) run(group []sessions.Frame) []sessions.Frame {
	if len(group) > 0 {
		c.sess.DoFrames(c.sub, group)
	}
	clear(group) // the requests are the session's now
	return group[:0]
}
