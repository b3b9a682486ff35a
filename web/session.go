package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// newSession ends the cookie's session (its sockets, peers and programs, in
// every tab that shows it) and forgets the cookie, so the page's next
// connection starts a fresh session. The workbench's "New session" button
// posts here, then reloads.
func (s *Server) newSession(c echo.Context) error {
	if s.crossOrigin(c) {
		return jsonError(c, http.StatusForbidden, "cross-origin request refused")
	}
	ended := false
	if ck, err := c.Request().Cookie(cookieName); err == nil {
		if sess := s.manager.Get(ck.Value); sess != nil {
			sess.Close("new session: this session was ended to start a fresh one")
			ended = true
		}
	}
	c.SetCookie(&http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "ended": ended})
}
