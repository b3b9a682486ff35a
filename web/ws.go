package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sockets"
)

const (
	writeWait      = 10 * time.Second // time allowed to write one frame, waiting for room in the kernel included
	closeWait      = 5 * time.Second  // after a close frame, time allowed for the client's answering one
	pongWait       = 60 * time.Second // time allowed between a ping and its pong
	pingPeriod     = 25 * time.Second // how often the server pings
	maxFrame       = 2 << 20          // largest request frame accepted (2 MiB)
	maxBatch       = 512              // most messages written in one frame
	cookieName     = "sockplay_session"
	closeTooSlow   = websocket.CloseTryAgainLater
	closeGoingAway = websocket.CloseGoingAway
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true }, // serveWS checks it first
}

// serveWS upgrades to the protocol: it finds (or creates, if the limits
// admit it) the cookie's session, sends the hello, then runs one reader
// (here) and one writer. A plain GET (no upgrade) answers whether a new
// session would be admitted (guard.go).
func (s *Server) serveWS(c echo.Context) error {
	r, w := c.Request(), c.Response()
	if !s.sameOrigin(r) {
		s.metrics.AdmissionRefused("origin")
		return echo.NewHTTPError(http.StatusForbidden, "cross-origin WebSocket refused: the Origin "+r.Header.Get("Origin")+" is not this server's (behind a proxy, start sockplay with --public-url)")
	}
	var sess *sessions.Session
	if ck, err := r.Cookie(cookieName); err == nil {
		sess = s.manager.Get(ck.Value)
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return s.admissionStatus(c, sess)
	}
	header := http.Header{}
	if sess == nil {
		var err error
		if sess, err = s.manager.CreateFor(s.clientOf(r)); err != nil {
			return s.refuse(c, err)
		}
		ck := &http.Cookie{Name: cookieName, Value: sess.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
		header.Add("Set-Cookie", ck.String())
	}
	if id := learnerOf(r); id != "" && s.store != nil {
		sess.SetLearner(id) // its exercise checks are recorded for this learner
	}
	wc := &wsConn{sess: sess}
	sub, hello := sess.AttachFlush(wc.tryFlush)
	if sub == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "session ended; reconnect")
	}
	conn, err := upgrader.Upgrade(w, r, header)
	if err != nil {
		sess.Detach(sub)
		return nil // the upgrader has answered
	}
	s.conns.Add(1)
	defer s.conns.Done()
	defer sess.Detach(sub)

	wc.conn, wc.sub, wc.room = conn, sub, newSendRoom(conn.NetConn())
	if !wc.write([]sessions.Message{*hello}) {
		conn.Close()
		return nil
	}
	wc.ready.Store(true)
	stop := make(chan struct{})
	written := make(chan struct{})
	go func() {
		defer close(written)
		wc.writeLoop(stop)
	}()
	wc.readLoop()
	close(stop)
	<-written
	return nil
}

// wsConn is one WebSocket connection to a session. Both its goroutines write:
// the reader flushes what its own request produced at once (the answer goes
// out without waking another goroutine), the writer whatever arrives later.
// writeMu keeps their frames whole and in order.
//
// A connection ends with a close frame whenever the stream allows one (see
// sendClose): the reader then runs no more requests and waits for the
// client's answering close frame, so the socket is not closed with the
// client's frames unread (the kernel would reset the connection, and the
// client could lose the close frame and what came before it).
type wsConn struct {
	conn      *websocket.Conn
	sess      *sessions.Session
	sub       *sessions.Subscriber
	room      *sendRoom // the kernel's send buffer (sendroom.go); nil: not checked
	writeMu   sync.Mutex
	ready     atomic.Bool // conn and sub are set: tryFlush may write
	closeSent atomic.Bool // a close frame went out (or was tried): nothing more is written or run
	buf       []byte      // the last frame's memory, for write to reuse (one writer at a time)
}

// tryFlush writes the queue out unless another goroutine is writing (which
// then writes what is queued too).
func (c *wsConn) tryFlush() {
	if !c.ready.Load() || !c.writeMu.TryLock() {
		return
	}
	defer c.writeMu.Unlock()
	for ms := c.sub.Take(maxBatch); len(ms) > 0; ms = c.sub.Take(maxBatch) {
		if !c.write(ms) {
			return
		}
	}
}

// readLoop runs the client's requests until the connection ends, then
// closes it.
func (c *wsConn) readLoop() {
	conn := c.conn
	defer conn.Close()
	conn.SetReadLimit(maxFrame)
	c.extendRead()
	conn.SetPongHandler(func(string) error { return c.extendRead() })
	var in []byte // the last request frame's memory: decodeFrame copies what it keeps
	for {
		typ, frame, err := readFrame(conn, in)
		if err != nil {
			return
		}
		if cap(frame) <= maxKeptFrame {
			in = frame[:0]
		} else {
			in = nil
		}
		c.extendRead()
		if c.closeSent.Load() {
			continue // closing: frames are read, not run, until the client's close
		}
		if typ == websocket.TextMessage && !utf8.Valid(frame) {
			// Not JSON text at all, and not ours to repair: running what
			// it asks with U+FFFD in place of its bytes would send
			// something the client never wrote.
			c.sendClose(websocket.CloseInvalidFramePayloadData, "invalid UTF-8 in a text frame: requests are JSON text, encoded in UTF-8")
			continue
		}
		c.sub.Hold() // the answer is flushed below, the writer need not wake
		if typ != websocket.TextMessage {
			c.sess.Reject(c.sub, sessions.Request{}, sockets.BadRequest("", "requests are JSON text frames, not binary"))
		} else {
			reqs, bads := decodeFrame(frame)
			c.sess.DoBatch(c.sub, reqs, bads)
		}
		ok := c.flush()
		c.sub.Release()
		if !ok && !c.closeSent.Load() {
			return // the connection broke: no close frame can follow
		}
	}
}

// extendRead gives the client pongWait to send its next frame or pong, or
// only closeWait once a close frame went out. (The second check covers a
// close frame sent while the first deadline was being set.)
func (c *wsConn) extendRead() error {
	err := c.conn.SetReadDeadline(time.Now().Add(pongWait))
	if c.closeSent.Load() {
		err = c.conn.SetReadDeadline(time.Now().Add(closeWait))
	}
	return err
}

// readFrame reads the next message into buf's memory (ReadMessage starts
// from a fresh 512-byte buffer and grows it, for every frame).
func readFrame(conn *websocket.Conn, buf []byte) (int, []byte, error) {
	typ, r, err := conn.NextReader()
	if err != nil {
		return typ, nil, err
	}
	b := bytes.NewBuffer(buf[:0])
	_, err = b.ReadFrom(r)
	return typ, b.Bytes(), err
}

// maxKeptFrame is the largest frame buffer a connection keeps for the next
// frame; a larger one (a batch of big receives) is left to the collector.
const maxKeptFrame = 64 << 10

// write sends ms as one frame, once the kernel has room for it (waitRoom).
// It reports false when the connection is done for: too slow (it has sent
// close 1013, and the page resumes on a new connection) or broken (it has
// closed it). The frame is encoded into c.buf: WriteMessage is done with it
// when it returns, so the next frame can reuse its memory.
func (c *wsConn) write(ms []sessions.Message) bool {
	if len(ms) == 0 {
		return true
	}
	if c.closeSent.Load() {
		return false
	}
	frame, err := appendFrame(c.buf[:0], ms)
	if err != nil {
		return false
	}
	if cap(frame) <= maxKeptFrame {
		c.buf = frame[:0]
	} else {
		c.buf = nil
	}
	if slow := c.waitRoom(len(frame)); slow != "" {
		c.sendClose(closeCode(slow), slow)
		return false
	}
	c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if c.conn.WriteMessage(websocket.TextMessage, frame) != nil {
		if !c.closeSent.Load() { // else the close frame came first, and this wrote nothing
			c.conn.Close() // cut midway: the reader ends, and so does the connection
		}
		return false
	}
	return true
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

// sendClose writes a close frame with code and reason, once: after it the
// writers write nothing and the reader runs nothing, and the reader waits
// up to closeWait for the client's answering close frame.
func (c *wsConn) sendClose(code int, reason string) {
	if c.closeSent.Swap(true) {
		return
	}
	msg := websocket.FormatCloseMessage(code, truncate(reason, 120))
	c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
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

// flush writes everything queued for the connection.
func (c *wsConn) flush() bool {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	for ms := c.sub.Take(maxBatch); len(ms) > 0; ms = c.sub.Take(maxBatch) {
		if !c.write(ms) {
			return false
		}
	}
	return true
}

// writeLoop writes what arrives for the connection, and pings, until the
// connection ends (stop: the reader is done) or the subscriber does. On the
// way out it closes the connection, unless a close frame went out: then the
// reader closes it once the client has answered.
func (c *wsConn) writeLoop(stop <-chan struct{}) {
	defer func() {
		if !c.closeSent.Load() {
			c.conn.Close()
		}
	}()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.sub.Ready():
			if !c.flush() {
				return
			}
		case <-c.sub.Done():
			reason := c.sub.Reason()
			// A page dropped as too slow gets its close at once: what is
			// still queued is lost anyway, it resumes from its last seq.
			if closeCode(reason) == closeTooSlow || c.flush() {
				c.sendClose(closeCode(reason), reason)
			}
			return
		case <-ping.C:
			if c.room != nil && !c.room.hasRoom() {
				continue // no room for a ping either; the read deadline watches the client
			}
			if c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		case <-stop:
			return
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
