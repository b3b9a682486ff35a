package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// The connection's writer (wsConn's other half): the one goroutine that
// writes its frames, and the one function that does (writeFrame).

// writeLoop is the connection's writer: it sends the hello, then what the
// session queues, pings, pongs and the close frame, until the connection
// ends (stop: the reader is done) or the subscriber does. On the way out it
// closes the connection, unless a close frame went out: then the reader
// ends once the client has answered (or closeWait has passed).
func (c *wsConn) writeLoop(hello sessions.Message, stop <-chan struct{}) {
	defer func() {
		if !c.sent {
			c.conn.Close() // the reader ends, and so does the connection
		}
	}()
	if !c.write([]sessions.Message{hello}) {
		return
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.sub.Ready():
			if !c.drain() {
				return
			}
		case <-c.sub.Done():
			reason := c.sub.Reason()
			// A page dropped as too slow gets its close at once: what is
			// still queued is lost anyway, it resumes from its last seq.
			if closeCode(reason) == closeTooSlow || c.drain() {
				c.sendClose(websocket.FormatCloseMessage(closeCode(reason), truncate(reason, 120)))
			}
			return
		case msg := <-c.closeReq:
			// The answers to the frames before the one that closes go
			// first (the reader has run them; they are queued).
			if c.drain() {
				c.sendClose(msg)
			}
			return
		case data := <-c.pong:
			if c.writeFrame(websocket.PongMessage, data) != nil {
				return
			}
		case <-ping.C:
			if c.room != nil && !c.room.hasRoom() {
				continue // no room for a ping either; the read deadline watches the client
			}
			if c.writeFrame(websocket.PingMessage, nil) != nil {
				return
			}
		case <-stop:
			select {
			case msg := <-c.closeReq: // the client closed first: answer it
				c.sendClose(msg)
			default:
			}
			return
		}
	}
}

// drain writes everything queued for the connection, in frames of at most
// maxBatch messages. It reports false when the connection is done for.
func (c *wsConn) drain() bool {
	for {
		c.msgs = c.sub.TakeInto(c.msgs, maxBatch)
		if len(c.msgs) == 0 {
			return true
		}
		ok := c.write(c.msgs)
		clear(c.msgs) // what was written is not kept alive by the writer
		if !c.msgsReuse.Keep(cap(c.msgs), len(c.msgs)) {
			c.msgs = nil // a replay's array, not needed since (sessions.ArrayReuse)
		}
		if !ok {
			return false
		}
	}
}

// writeFrame is the one function that writes to the connection: a data
// frame (TextMessage) or a control frame (ping, pong, close), within
// writeWait. Only the writer goroutine (writeLoop) calls it.
func (c *wsConn) writeFrame(typ int, data []byte) error {
	deadline := time.Now().Add(writeWait)
	if typ != websocket.TextMessage {
		return c.conn.WriteControl(typ, data, deadline)
	}
	c.conn.SetWriteDeadline(deadline)
	return c.conn.WriteMessage(typ, data)
}

// write sends ms as one frame, once the kernel has room for it (waitRoom).
// It reports false when the connection is done for: too slow (it has sent
// close 1013, and the page resumes on a new connection) or broken. The
// frame is encoded into c.buf: WriteMessage is done with it when it
// returns, so the next frame can reuse its memory.
func (c *wsConn) write(ms []sessions.Message) bool {
	if len(ms) == 0 {
		return true
	}
	if c.sent {
		return false
	}
	frame, err := appendFrame(c.buf.b, ms)
	if err != nil {
		return false
	}
	c.buf.keep(frame)
	if slow := c.waitRoom(len(frame)); slow != "" {
		c.sendClose(websocket.FormatCloseMessage(closeCode(slow), truncate(slow, 120)))
		return false
	}
	return c.writeFrame(websocket.TextMessage, frame) == nil
}

// waitRoom waits until the kernel's send buffer can take a frame of n bytes
// whole (sendRoom.fits), for up to writeWait. If it cannot by then, or the
// session drops the connection as too slow meanwhile, it returns why; the
// frame is not written, so a close frame can still follow the last one.
func (c *wsConn) waitRoom(n int) (slow string) {
	if c.room == nil || c.room.fits(n) {
		return ""
	}
	deadline := time.NewTimer(writeWait)
	defer deadline.Stop()
	done := c.sub.Done()
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		t := time.NewTimer(pause)
		select {
		case <-done:
			if reason := c.sub.Reason(); closeCode(reason) == closeTooSlow {
				t.Stop()
				return reason
			}
			done = nil // ending for another reason: the last frames may still go
			<-t.C
		case <-deadline.C:
			t.Stop()
			return fmt.Sprintf("too slow: the page read nothing for %v", writeWait)
		case <-t.C:
		}
		if c.room.fits(n) {
			return ""
		}
	}
}

// sendClose writes a close frame with payload msg (FormatCloseMessage),
// once: after it the writer writes nothing and the reader runs nothing, and
// the reader waits up to closeWait for the client's answering close frame.
func (c *wsConn) sendClose(msg []byte) {
	if c.sent {
		return
	}
	c.sent = true
	c.closing.Store(true)
	c.writeFrame(websocket.CloseMessage, msg)
	c.conn.SetReadDeadline(time.Now().Add(closeWait))
}

// closeCode is the close status for a subscriber's end: 1013 (try again
// later) for one dropped as too slow, else 1001 (going away).
func closeCode(reason string) int {
	if strings.HasPrefix(reason, "too slow") {
		return closeTooSlow
	}
	return closeGoingAway
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
