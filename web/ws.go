package web

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sockets"
)

const (
	writeWait      = 10 * time.Second // time allowed to write one frame
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

	wc.conn, wc.sub = conn, sub
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
type wsConn struct {
	conn    *websocket.Conn
	sess    *sessions.Session
	sub     *sessions.Subscriber
	writeMu sync.Mutex
	ready   atomic.Bool // conn and sub are set: tryFlush may write
	buf     []byte      // the last frame's memory, for write to reuse (one writer at a time)
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

func (c *wsConn) readLoop() {
	conn := c.conn
	conn.SetReadLimit(maxFrame)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
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
		conn.SetReadDeadline(time.Now().Add(pongWait))
		c.sub.Hold() // the answer is flushed below, the writer need not wake
		if typ != websocket.TextMessage {
			c.sess.Reject(c.sub, sessions.Request{}, sockets.BadRequest("", "requests are JSON text frames, not binary"))
		} else {
			reqs, bads := decodeFrame(frame)
			c.sess.DoBatch(c.sub, reqs, bads)
		}
		ok := c.flush()
		c.sub.Release()
		if !ok {
			return
		}
	}
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

// write sends ms as one frame. The frame is encoded into c.buf:
// WriteMessage is done with it when it returns, so the next frame can reuse
// its memory.
func (c *wsConn) write(ms []sessions.Message) bool {
	if len(ms) == 0 {
		return true
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
	c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return c.conn.WriteMessage(websocket.TextMessage, frame) == nil
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

func (c *wsConn) writeLoop(stop <-chan struct{}) {
	defer c.conn.Close()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.sub.Ready():
			if !c.flush() {
				return
			}
		case <-c.sub.Done():
			if !c.flush() {
				return
			}
			code := closeGoingAway
			if strings.HasPrefix(c.sub.Reason(), "too slow") {
				code = closeTooSlow
			}
			msg := websocket.FormatCloseMessage(code, truncate(c.sub.Reason(), 120))
			c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
			return
		case <-ping.C:
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
