package web

import (
	"bufio"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
)

const (
	writeWait      = 10 * time.Second // time allowed to write one frame, waiting for room in the kernel included
	closeWait      = 5 * time.Second  // after a close frame, time allowed for the client's answering one
	pongWait       = 60 * time.Second // time allowed between a ping and its pong
	pingPeriod     = 25 * time.Second // how often the server pings
	maxFrame       = 2 << 20          // largest request frame accepted (2 MiB)
	maxBatch       = 512              // most messages written in one frame
	extendEvery    = time.Second      // how often a busy reader moves its read deadline
	cookieName     = "sockplay_session"
	closeTooSlow   = websocket.CloseTryAgainLater
	closeGoingAway = websocket.CloseGoingAway
)

// upgrader leaves both buffer sizes unset: the connection then reads and
// writes through the HTTP server's own 4 KiB buffers, which it keeps while
// the handler runs anyway, instead of allocating two more (8 KiB a session).
var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true }, // serveWS checks it first
}

// serveWS upgrades to the protocol: it finds (or creates, if the limits
// admit it) the cookie's session (or, for an instructor observing a
// student, the student's), then starts the connection's reader and
// writer (which sends the hello first) and returns. A plain GET (no
// upgrade) answers whether a new session would be admitted (guard.go).
func (s *Server) serveWS(c echo.Context) error {
	r := c.Request()
	if !s.sameOrigin(r) {
		s.metrics.AdmissionRefused("origin")
		return echo.NewHTTPError(http.StatusForbidden, "cross-origin WebSocket refused: the Origin "+r.Header.Get("Origin")+" is not this server's (behind a proxy, start sockplay with --public-url)")
	}
	q := r.URL.Query()
	if q.Has("attach") {
		return s.serveAttach(c, q.Get("attach")) // attach.go
	}
	attach := s.attachPage
	if q.Has("observe") {
		attach = s.attachObserver // rooms.go
	}
	sess, sub, hello, header, err := attach(c)
	if sub == nil {
		return err // answered
	}
	w := &hijackSpy{ResponseWriter: c.Response()}
	conn, err := upgrader.Upgrade(w, r, header)
	if err != nil {
		sess.Detach(sub)
		return nil // the upgrader has answered
	}
	// The handler returns and the connection goes on in two goroutines of
	// its own, as in gorilla's chat example: the HTTP server's goroutine,
	// its stack grown deep through the middleware, and what it keeps for
	// the request are let go (about 15 kB a connection).
	s.conns.Add(1)
	release := takeLine(c) // the request's log line comes as the connection ends
	wc := newWSConn(conn, sess, sub)
	wc.br = w.br
	stop := make(chan struct{})
	written := make(chan struct{})
	go func() {
		defer close(written)
		wc.writeLoop(*hello, stop)
	}()
	go func() {
		defer s.conns.Done()
		defer release()
		defer sess.Detach(sub)
		wc.readLoop()
		close(stop)
		<-written
		conn.Close()
	}()
	return nil
}

// attachPage attaches a page's connection to the cookie's session, made
// if need be (header then sets the cookie). Without a subscriber it has
// answered the request, and returns that answer's error.
func (s *Server) attachPage(c echo.Context) (*sessions.Session, *sessions.Subscriber, *sessions.Message, http.Header, error) {
	r := c.Request()
	var sess *sessions.Session
	if ck, err := r.Cookie(cookieName); err == nil {
		sess = s.manager.Get(ck.Value)
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return nil, nil, nil, nil, s.admissionStatus(c, sess)
	}
	header := http.Header{}
	if sess == nil {
		var err error
		if sess, err = s.manager.CreateFor(s.clientOf(r)); err != nil {
			return nil, nil, nil, nil, s.refuse(c, err)
		}
		ck := &http.Cookie{Name: cookieName, Value: sess.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
		header.Add("Set-Cookie", ck.String())
	}
	if id := learnerOf(r); id != "" && s.store != nil {
		sess.SetLearner(id) // its exercise checks are recorded for this learner
	}
	sub, hello := sess.Attach()
	if sub == nil {
		return nil, nil, nil, nil, echo.NewHTTPError(http.StatusServiceUnavailable, "session ended; reconnect")
	}
	sub.SetRoomIdentity(instructorKey(r), s.clientAddr(r).String()) // rooms.go
	return sess, sub, hello, header, nil
}

// wsConn is one WebSocket connection to a session, served by two
// goroutines: the reader (readLoop) runs the client's requests, and the
// writer (writeLoop) is the only one that writes to the connection, through
// writeFrame. The writer sends the hello, then whatever the session queues
// (batched: everything queued goes out in one frame), pings, the answers to
// the client's pings, and the close frame. The reader never writes: a close
// or pong it must send, it asks the writer for (closeReq, pong).
//
// A connection ends with a close frame whenever the stream allows one (see
// sendClose): the reader then runs no more requests and waits for the
// client's answering close frame, so the socket is not closed with the
// client's frames unread (the kernel would reset the connection, and the
// client could lose the close frame and what came before it).
type wsConn struct {
	conn *websocket.Conn
	sess *sessions.Session
	sub  *sessions.Subscriber

	closing  atomic.Bool        // a close frame was asked for or sent: the reader runs nothing more
	extended time.Time          // reader only: when extendRead last set the read deadline
	closeReq chan []byte        // from the reader: a close frame's payload for the writer to send (one, ever)
	pong     chan []byte        // from the reader: the last ping's data, for the writer to answer
	room     *sendRoom          // writer only: the kernel's send buffer (sendroom.go); nil: not checked
	br       *bufio.Reader      // reader only: the buffer gorilla reads the client's frames through, if known (wsgroup.go)
	buf      frameBuf           // writer only: the frames' memory, for write to reuse
	msgs     []sessions.Message // writer only: the last batch's memory, for drain to reuse
	sent     bool               // writer only: the close frame went out (or was tried): nothing more is written

	msgsReuse sessions.ArrayReuse // writer only: whether msgs is kept after a batch
}

func newWSConn(conn *websocket.Conn, sess *sessions.Session, sub *sessions.Subscriber) *wsConn {
	return &wsConn{
		conn: conn, sess: sess, sub: sub,
		closeReq: make(chan []byte, 1), pong: make(chan []byte, 1),
		room: newSendRoom(conn.NetConn()),
	}
}

// readLoop runs the client's requests until the connection ends.
func (c *wsConn) readLoop() {
	conn := c.conn
	c.extendRead()
	conn.SetPongHandler(func(string) error { return c.extendRead() })
	conn.SetPingHandler(func(data string) error {
		c.askPong([]byte(data))
		return nil
	})
	conn.SetCloseHandler(func(code int, _ string) error {
		// The client closes first: answer with its code, as gorilla's own
		// handler would, but through the writer.
		msg := []byte{}
		if code != websocket.CloseNoStatusReceived {
			msg = websocket.FormatCloseMessage(code, "")
		}
		c.askClose(msg)
		return nil
	})
	var in frameBuf // the request frames' memory: protocol.DecodeFrame copies what it keeps
	var group []sessions.Frame
	for {
		typ, frame, err := readFrame(conn, in.b)
		for err == nil {
			in.keep(frame)
			c.extendRead()
			group = c.add(group, typ, frame)
			if len(group) == 0 || len(group) == maxGroup || !nextFrameBuffered(c.br) {
				break
			}
			typ, frame, err = readFrame(conn, in.b) // whole in the buffer: it cannot wait
		}
		group = c.run(group)
		if err == errFrameTooLarge {
			c.askClose(websocket.FormatCloseMessage(websocket.CloseMessageTooBig, fmt.Sprintf("a frame may hold at most %d bytes", maxFrame)))
			continue
		}
		if err != nil {
			return
		}
	}
}

// askClose asks the writer to send a close frame with payload msg (once:
// a later ask is dropped), and stops the reader from running requests.
func (c *wsConn) askClose(msg []byte) {
	if !c.closing.Swap(true) {
		c.closeReq <- msg // the one value the channel ever gets: never waits
	}
	c.extendRead()
}

// askPong asks the writer to answer a ping with data. An answer not yet sent
// is replaced: a pong for the last ping alone is enough (RFC 6455, 5.5.3).
func (c *wsConn) askPong(data []byte) {
	for {
		select {
		case c.pong <- data:
			return
		default:
		}
		select {
		case <-c.pong: // the older ping goes unanswered
		default:
		}
	}
}

// extendRead gives the client pongWait to send its next frame or pong, or
// only closeWait once a close frame is on its way. (The second check covers
// a close frame asked for while the first deadline was being set.) While
// not closing, a deadline set less than extendEvery ago is left as it is:
// resetting the connection's timer on every frame costs a frame more than
// it is worth.
func (c *wsConn) extendRead() error {
	now := time.Now()
	if !c.closing.Load() && now.Sub(c.extended) < extendEvery {
		return nil // extended a moment ago: the deadline is pongWait away, near enough
	}
	c.extended = now
	err := c.conn.SetReadDeadline(now.Add(pongWait))
	if c.closing.Load() {
		err = c.conn.SetReadDeadline(time.Now().Add(closeWait))
	}
	return err
}
