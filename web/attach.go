package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/templates/i18n"
	"sockplay/web/bridge"
)

// Attached programs: "sockplay run FILE.py --session CODE" on the learner's
// own machine opens /ws?attach=CODE (&lang=zh: the session's sentences in
// the program's exceptions in Chinese, as run's lang), and the program it runs becomes a
// program front end of the session whose attach code CODE is (ops attach
// and attach_revoke, sessions/attach.go). The connection carries the
// program's channel, one line per text frame (package bridge); the server
// serves that channel as it serves the channel of a program it runs
// itself (ServeChannel), through a socketpair the bridge feeds.
//
// The guard: the Host check applies as to any request; an Origin, if sent,
// must be this server's (sameOrigin), so another site's page cannot attach
// even with a code; a client that sends no Origin (a program, not a
// browser page) is served only with a valid code; the cookie plays no part.
// Wrong codes are counted per client address (badCodes): past the limit,
// every attach from that address is refused for a while.

// ProgramHeader is the upgrade answer's header naming the program, as its
// sockets are marked ("local1").
const ProgramHeader = "Sockplay-Program"

// Wrong attach codes allowed per client address in badCodeWindow, and the
// most addresses tracked at once.
const (
	maxBadCodes   = 10
	badCodeWindow = time.Minute
	maxBadClients = 4096
)

// badCodes counts wrong attach codes per client address.
type badCodes struct {
	mu sync.Mutex
	by map[netip.Addr]*badWindow
}

// badWindow is an address's wrong codes since start.
type badWindow struct {
	start time.Time
	n     int
}

// wait reports how long ip must wait before it may try a code again (0:
// it may now).
func (b *badCodes) wait(ip netip.Addr, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.by[ip]
	if w == nil {
		return 0
	}
	left := w.start.Add(badCodeWindow).Sub(now)
	if left <= 0 {
		delete(b.by, ip)
		return 0
	}
	if w.n < maxBadCodes {
		return 0
	}
	return left
}

// bad counts a wrong code from ip.
func (b *badCodes) bad(ip netip.Addr, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.by == nil {
		b.by = map[netip.Addr]*badWindow{}
	}
	w := b.by[ip]
	if w == nil || now.Sub(w.start) >= badCodeWindow {
		if len(b.by) >= maxBadClients {
			b.prune(now)
		}
		w = &badWindow{start: now}
		b.by[ip] = w
	}
	w.n++
}

// prune forgets the windows that have passed; if every one is still
// running, the oldest (with b.mu held).
func (b *badCodes) prune(now time.Time) {
	var oldest netip.Addr
	for ip, w := range b.by {
		if now.Sub(w.start) >= badCodeWindow {
			delete(b.by, ip)
		} else if !oldest.IsValid() || w.start.Before(b.by[oldest].start) {
			oldest = ip
		}
	}
	if len(b.by) >= maxBadClients {
		delete(b.by, oldest)
	}
}

// serveAttach serves /ws?attach=CODE (serveWS has checked the Origin).
// A plain GET answers whether the code is valid.
func (s *Server) serveAttach(c echo.Context, code string) error {
	r, w := c.Request(), c.Response()
	lang := c.QueryParam("lang")
	if lang != "" && !i18n.Valid(lang) {
		return c.String(http.StatusBadRequest, fmt.Sprintf("lang, if given, is en or zh (the language of sockplay's sentences in the program's exceptions), not %q\n", lang))
	}
	ip, now := s.clientAddr(r), time.Now()
	if left := s.badCodes.wait(ip, now); left > 0 {
		s.metrics.AdmissionRefused("attach_limit")
		w.Header().Set("Retry-After", fmt.Sprint(int(left.Seconds())+1))
		return c.String(http.StatusTooManyRequests, fmt.Sprintf(
			"too many wrong attach codes from %s: try again in %d seconds, with the command the workbench shows\n", ip, int(left.Seconds())+1))
	}
	sess := s.manager.ByAttachCode(code)
	if sess == nil {
		s.badCodes.bad(ip, now)
		s.metrics.AdmissionRefused("attach_code")
		return c.String(http.StatusForbidden,
			"no session has this attach code: it was revoked, mistyped, or its session has ended; copy the command again from the workbench (Your program)\n")
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return c.JSON(http.StatusOK, admission{Admitted: true, Message: "the attach code is valid; this endpoint speaks WebSocket (a program's channel, one line per frame)"})
	}
	program := sess.NextLocal()
	conn, err := upgrader.Upgrade(w, r, http.Header{ProgramHeader: {program}})
	if err != nil {
		return nil // the upgrader has answered
	}
	s.conns.Add(1)
	defer s.conns.Done()
	defer conn.Close()
	if err := s.attachProgram(conn, sess, program, lang); err != nil {
		s.log.Warn("attached program", "session", sess.LogName(), "program", program, "err", err)
	}
	return nil
}

// attachProgram serves program's channel, which conn carries, in lang,
// until either ends.
func (s *Server) attachProgram(conn *websocket.Conn, sess *sessions.Session, program, lang string) error {
	served, peer, err := channelPair()
	if err != nil {
		bridge.Close(conn, websocket.CloseInternalServerErr, "no channel: "+err.Error())
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serveChannel(sess, served, program, lang) // it closes served: the bridge sees the channel end
	}()
	err = bridge.Run(conn, peer, peer, func() { peer.CloseWrite() }, 2*maxChannelLine) // a line a little too long gets ServeChannel's error; a far longer one closes (1009)
	peer.Close()
	<-done
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
		err = nil
	}
	return err
}

// channelPair is a connected pair of unix stream sockets: one end for the
// channel's server, one for the bridge.
func channelPair() (*os.File, *net.UnixConn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	served := os.NewFile(uintptr(fds[0]), "channel")
	pf := os.NewFile(uintptr(fds[1]), "channel-bridge")
	defer pf.Close() // FileConn dups it
	c, err := net.FileConn(pf)
	if err != nil {
		served.Close()
		return nil, nil, err
	}
	return served, c.(*net.UnixConn), nil
}
