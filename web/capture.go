package web

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"sockplay/sessions"
)

// capturePcap serves the page's session's captured packets as a pcap file
// (Wireshark, tcpdump -r): those of its own namespace (h1), or of the lab
// host named by ?host=h2. Without a session, on the host network without a
// lab, or for a host it does not have, it answers 404 with a sentence.
func (s *Server) capturePcap(c echo.Context) error {
	var sess *sessions.Session
	if ck, err := c.Request().Cookie(cookieName); err == nil {
		sess = s.manager.Get(ck.Value)
	}
	if sess == nil {
		return echo.NewHTTPError(http.StatusNotFound, "no session: the capture belongs to a workbench's session; open /workbench, make a socket, then download it from there")
	}
	host := c.QueryParam("host")
	var buf bytes.Buffer
	if err := sess.WritePcap(&buf, host); err != nil {
		return echo.NewHTTPError(http.StatusNotFound, err.Error()) // sessions.ErrNoCapture, or no such host
	}
	if host == "" {
		host = "h1"
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="sockplay-`+host+`.pcap"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/vnd.tcpdump.pcap", buf.Bytes())
}
