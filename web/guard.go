package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
)

// Guard says whom the server serves: the names accepted in the Host header,
// the Origin a browser page must come from, how a client's address is
// found, and the deadlines of ordinary (non-WebSocket) requests. See the
// Connection section of PROTOCOL.md.
type Guard struct {
	// Hosts are the names and addresses accepted in Host (with any port)
	// besides localhost, 127.0.0.1 and [::1]: the listen address and the
	// names given with --host. Anything else is answered 421, so a page of a
	// DNS-rebinding domain cannot reach the server.
	Hosts []string
	// PublicURL, if set, is the URL the pages are served under behind a
	// (TLS) proxy: a browser's Origin must have its scheme, host and port,
	// and its host is accepted in Host. Without it the Origin must be
	// http://HOST, HOST being the request's Host header.
	PublicURL *url.URL
	// TrustProxy takes the client's address from the last X-Forwarded-For
	// entry (which the proxy in front of sockplay appends) instead of the
	// connection's peer address.
	TrustProxy bool
	// LimitLoopback counts loopback clients against the per-client session
	// limit too. It is off in the local profile (sockplay on loopback, where
	// every page is a loopback client).
	LimitLoopback bool
	// ReadTimeout bounds reading an ordinary request, body included, and
	// WriteTimeout writing its answer (both default 30s). A WebSocket
	// connection has its own deadlines (ws.go).
	ReadTimeout, WriteTimeout time.Duration
}

// WithGuard sets the server's Guard. Without it the server accepts the
// loopback names only, checks Origin against Host and uses the default
// timeouts.
func WithGuard(g Guard) Option {
	return func(s *Server) { s.guard = g }
}

// retryAfter is what a refused upgrade tells the client to wait (seconds).
const retryAfter = 60

// setGuard fills the Guard's defaults and the set of accepted hosts.
func (s *Server) setGuard() {
	if s.guard.ReadTimeout <= 0 {
		s.guard.ReadTimeout = 30 * time.Second
	}
	if s.guard.WriteTimeout <= 0 {
		s.guard.WriteTimeout = 30 * time.Second
	}
	s.hosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	names := s.guard.Hosts
	if u := s.guard.PublicURL; u != nil {
		names = append(names[:len(names):len(names)], u.Hostname())
	}
	for _, h := range names {
		s.hosts[canonicalHost(h)] = true
	}
}

// canonicalHost is a Host header's name without its port, lower case,
// without a trailing dot; an IP address in its canonical form.
func canonicalHost(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String()
	}
	return h
}

// checkHost is the first middleware of every request: a Host that is not
// this server's is answered 421 Misdirected Request, and an ordinary
// request gets its read and write deadlines.
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if h := canonicalHost(r.Host); !s.hosts[h] {
			if h == "" {
				h = "NAME"
			}
			s.metrics.AdmissionRefused("host")
			return c.String(http.StatusMisdirectedRequest, fmt.Sprintf(
				"sockplay does not serve the host %q: start it with --host %s (or SOCKPLAY_HOSTS=%s) to allow that name\n", r.Host, h, h))
		}
		if !websocket.IsWebSocketUpgrade(r) {
			// A server-wide ReadTimeout or WriteTimeout would cut WebSockets.
			rc := http.NewResponseController(c.Response().Writer)
			now := time.Now()
			rc.SetReadDeadline(now.Add(s.guard.ReadTimeout))
			rc.SetWriteDeadline(now.Add(s.guard.WriteTimeout))
		}
		return next(c)
	}
}

// sameOrigin accepts clients that send no Origin (scripts) and browsers
// whose page came from this server: the Origin's scheme, host and port are
// those of PublicURL, or else http:// and the request's Host.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	got, err := url.Parse(origin)
	if err != nil || got.Host == "" {
		return false
	}
	want := s.guard.PublicURL
	if want == nil {
		want = &url.URL{Scheme: "http", Host: r.Host}
		if r.TLS != nil {
			want.Scheme = "https"
		}
	}
	return strings.EqualFold(got.Scheme, want.Scheme) &&
		canonicalHost(got.Host) == canonicalHost(want.Host) &&
		portOf(got) == portOf(want)
}

// portOf is a URL's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// crossOrigin reports a request whose Origin is not this server's.
func (s *Server) crossOrigin(c echo.Context) bool {
	return !s.sameOrigin(c.Request())
}

// clientOf is the address a new session is counted under for the
// per-client limit: the connection's peer, or with TrustProxy the last
// X-Forwarded-For entry. "" (not counted) for a loopback client unless
// LimitLoopback.
func (s *Server) clientOf(r *http.Request) string {
	ip := s.clientAddr(r)
	if !ip.IsValid() || ip.IsLoopback() && !s.guard.LimitLoopback {
		return ""
	}
	return ip.String()
}

// addrOf reads an IP address, or an address with a port.
func addrOf(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(s)
	return ip.Unmap()
}

// admission is what a plain GET of /ws (no upgrade) answers: whether a new
// WebSocket session would be admitted now, and if not, why. A browser cannot
// see the status of a refused upgrade, so the page asks this after an open
// that failed.
type admission struct {
	Admitted   bool   `json:"admitted"`
	Reason     string `json:"reason,omitempty"` // "full", "client_full" or "closed"
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after,omitempty"` // seconds
}

func (s *Server) admissionStatus(c echo.Context, sess *sessions.Session) error {
	if sess != nil {
		return c.JSON(http.StatusOK, admission{Admitted: true, Message: "this page's session is live; the WebSocket would join it"})
	}
	if err := s.manager.Admit(s.clientOf(c.Request())); err != nil {
		c.Response().Header().Set("Retry-After", fmt.Sprint(retryAfter))
		return c.JSON(http.StatusServiceUnavailable, admission{Reason: reason(err), Message: err.Error(), RetryAfter: retryAfter})
	}
	return c.JSON(http.StatusOK, admission{Admitted: true, Message: "a new session would be admitted; this endpoint speaks WebSocket (protocol sockplay.v1, see /protocol)"})
}

// refuse answers an upgrade that a limit turned down: 503, Retry-After and
// the reason as one line of text. It is counted by reason.
func (s *Server) refuse(c echo.Context, err error) error {
	s.metrics.AdmissionRefused(reason(err))
	c.Response().Header().Set("Retry-After", fmt.Sprint(retryAfter))
	return c.String(http.StatusServiceUnavailable, err.Error()+"\n")
}

func reason(err error) string {
	switch {
	case errors.Is(err, sessions.ErrFull):
		return "full"
	case errors.Is(err, sessions.ErrClientFull):
		return "client_full"
	}
	return "closed"
}
