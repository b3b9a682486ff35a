package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// WithLogger logs one line per HTTP request to log (default: discarded).
// A WebSocket's line comes when it ends; its duration is the connection's.
func WithLogger(log *slog.Logger) Option {
	return func(s *Server) { s.log = log }
}

// WithMetrics serves m at /metrics and has it watch the server's Manager.
// Without it the server makes its own, with no op figures (those come
// from the sessions' Config.OnOp).
func WithMetrics(m *Metrics) Option {
	return func(s *Server) { s.metrics = m }
}

// requestLog logs each request once it has been answered: method, path,
// status, duration, response bytes and the client's address. An error
// from the handler is answered here, so its status is the one logged.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		ws := websocket.IsWebSocketUpgrade(r)
		var hold *lineHold
		if ws {
			s.conns.Add(1) // Wait waits for the connection's line too
			hold = &lineHold{}
			c.Set(lineHoldKey, hold)
		}
		if err := next(c); err != nil {
			c.Error(err)
		}
		// What the line says is read now: the context is reused once this
		// returns.
		res := c.Response()
		status := res.Status
		if ws && !res.Committed {
			status = http.StatusSwitchingProtocols // the upgrader wrote its answer on the hijacked connection
		}
		ctx := context.WithoutCancel(r.Context())
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), {}, slog.Int64("bytes", res.Size), slog.String("remote", c.RealIP()),
			slog.Bool("ws", ws)}
		line := func() {
			attrs[3] = slog.Duration("duration", time.Since(start))
			s.log.LogAttrs(ctx, slog.LevelInfo, "http", attrs...)
			if ws {
				s.conns.Done()
			}
		}
		if !hold.keep(line) {
			line()
		}
		return nil
	}
}

// lineHoldKey is where requestLog leaves a WebSocket request's lineHold
// in the echo context.
const lineHoldKey = "sockplay.lineHold"

// lineHold lets a WebSocket handler that returns while its connection
// goes on (serveWS) hold the request's log line back until the connection
// ends: the line's duration is the connection's.
type lineHold struct {
	mu       sync.Mutex
	held     bool   // the handler took the line (take)
	released bool   // the connection has ended (release)
	line     func() // the line, once requestLog has it and until it is logged
}

// takeLine holds c's log line back until the returned release is called
// (a no-op without requestLog).
func takeLine(c echo.Context) (release func()) {
	h, _ := c.Get(lineHoldKey).(*lineHold)
	if h == nil {
		return func() {}
	}
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
	return h.release
}

// release logs the line now if requestLog has handed it over, else lets
// requestLog log it at once.
func (h *lineHold) release() {
	h.mu.Lock()
	h.released = true
	line := h.line
	h.line = nil
	h.mu.Unlock()
	if line != nil {
		line()
	}
}

// keep keeps line for release if the handler took it and the connection
// has not ended yet; it reports false if line is to be logged now.
func (h *lineHold) keep(line func()) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held || h.released {
		return false
	}
	h.line = line
	return true
}

// headLikeGet answers a HEAD (routed to its GET handler, see get in
// routes.go) as the GET would be answered, without the body: same status
// and headers, and a Content-Length that counts the body GET would send.
func headLikeGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodHead {
			return next(c)
		}
		res := c.Response()
		hw := &headWriter{ResponseWriter: res.Writer, code: http.StatusOK}
		res.Writer = hw
		if err := next(c); err != nil {
			c.Error(err)
		}
		res.Writer = hw.ResponseWriter
		if res.Header().Get(echo.HeaderContentLength) == "" {
			res.Header().Set(echo.HeaderContentLength, strconv.Itoa(hw.n))
		}
		hw.ResponseWriter.WriteHeader(hw.code)
		return nil
	}
}

// headWriter holds back the status until the handler is done and counts
// the body instead of sending it.
type headWriter struct {
	http.ResponseWriter
	code int
	n    int
}

func (w *headWriter) WriteHeader(code int)        { w.code = code }
func (w *headWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *headWriter) Flush()                      {}

// compress gzips answers of at least a kilobyte (pages, scripts, styles,
// JSON) for clients that accept it. The WebSocket is left alone: its
// upgrade needs the bare connection, and its frames are small. So is
// /healthz, always small and asked often (a load balancer's probe): the
// middleware resets a gzip writer twice and closes it even for an
// answer it then sends as it is: 23 µs of a /healthz answer's 26
// (BenchmarkHealthz), and after a collection, which empties its pool, a
// fresh writer of about a megabyte each time.
var compress = middleware.GzipWithConfig(middleware.GzipConfig{
	MinLength: 1024,
	Skipper: func(c echo.Context) bool {
		p := c.Path()
		return p == "/ws" || p == "/healthz" || websocket.IsWebSocketUpgrade(c.Request())
	},
})
