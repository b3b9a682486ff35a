package web

import (
	"net/http"
	"net/url"
	"strings"
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
	CheckOrigin:     sameOrigin,
}

// sameOrigin accepts clients that send no Origin (scripts) and browsers whose
// page came from this very host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// serveWS upgrades to the protocol: it finds (or creates) the cookie's
// session, sends the hello, then runs one reader (here) and one writer.
func (s *Server) serveWS(c echo.Context) error {
	r, w := c.Request(), c.Response()
	if !sameOrigin(r) {
		return echo.NewHTTPError(http.StatusForbidden, "cross-origin WebSocket refused")
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return echo.NewHTTPError(http.StatusBadRequest, "this endpoint speaks WebSocket (protocol sockplay.v1, see /protocol)")
	}
	var sess *sessions.Session
	if ck, err := r.Cookie(cookieName); err == nil {
		sess = s.manager.Get(ck.Value)
	}
	header := http.Header{}
	if sess == nil {
		if sess = s.manager.Create(); sess == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "shutting down")
		}
		ck := &http.Cookie{Name: cookieName, Value: sess.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
		header.Add("Set-Cookie", ck.String())
	}
	sub, hello := sess.Attach()
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

	stop := make(chan struct{})
	written := make(chan struct{})
	go func() {
		defer close(written)
		writeLoop(conn, sub, *hello, stop)
	}()
	readLoop(conn, sess, sub)
	close(stop)
	<-written
	return nil
}

func readLoop(conn *websocket.Conn, sess *sessions.Session, sub *sessions.Subscriber) {
	conn.SetReadLimit(maxFrame)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		typ, frame, err := conn.ReadMessage()
		if err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(pongWait))
		if typ != websocket.TextMessage {
			sess.Reject(sub, sessions.Request{}, sockets.BadRequest("", "requests are JSON text frames, not binary"))
			continue
		}
		req, bad := decodeRequest(frame)
		if bad != nil {
			sess.Reject(sub, req, bad)
			continue
		}
		sess.Do(sub, req)
	}
}

func writeLoop(conn *websocket.Conn, sub *sessions.Subscriber, hello sessions.Message, stop <-chan struct{}) {
	defer conn.Close()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	write := func(ms []sessions.Message) bool {
		if len(ms) == 0 {
			return true
		}
		frame, err := encodeFrame(ms)
		if err != nil {
			return false
		}
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteMessage(websocket.TextMessage, frame) == nil
	}
	if !write([]sessions.Message{hello}) {
		return
	}
	for {
		select {
		case <-sub.Ready():
			if !write(sub.Take(maxBatch)) {
				return
			}
		case <-sub.Done():
			for ms := sub.Take(maxBatch); len(ms) > 0; ms = sub.Take(maxBatch) {
				if !write(ms) {
					return
				}
			}
			code := closeGoingAway
			if strings.HasPrefix(sub.Reason(), "too slow") {
				code = closeTooSlow
			}
			msg := websocket.FormatCloseMessage(code, truncate(sub.Reason(), 120))
			conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
			return
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
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
