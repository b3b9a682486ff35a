// Package web is sockplay's HTTP side: the Echo routes, the pages, the static
// files and the WebSocket protocol that bridges a page to its session.
package web

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"

	"sync"

	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sessions/progress"
	"sockplay/static"
	"sockplay/templates/lessons"
)

//go:embed PROTOCOL.md
var protocolDoc []byte

// Server serves sockplay over HTTP. It is an http.Handler.
type Server struct {
	echo    *echo.Echo
	manager *sessions.Manager
	version string         // hash of the static files, part of their URLs
	conns   sync.WaitGroup // WebSocket connections being served
	lessons []*lessons.Lesson
	bySlug  map[string]int  // index in lessons
	store   *progress.Store // learners' progress; nil: not saved (progress.go)
	log     *slog.Logger    // one line per request (middleware.go)
	metrics *Metrics        // served at /metrics (metrics.go)
	guard   Guard           // Host, Origin, client addresses, request deadlines (guard.go)
	hosts   map[string]bool // names accepted in Host, as canonicalHost writes them

	shareLimit ShareLimit    // POST /share per client (share.go)
	shares     *shareLimiter // made from shareLimit by New
	badCodes   badCodes      // wrong attach codes per client (attach.go)

	roomLimit RoomLimit     // room joins and POST /rooms per client (rooms.go)
	joins     *shareLimiter // made from roomLimit by New
	roomMakes *shareLimiter // POST /rooms per client
}

// An Option changes a Server made by New.
type Option func(*Server)

// WithLessons serves ls (sorted, as lessons.Load and lessons.Merge return
// them) at /lessons. Without it the server has no lessons.
func WithLessons(ls []*lessons.Lesson) Option {
	return func(s *Server) { s.lessons = ls }
}

// New returns a Server whose WebSocket sessions come from m.
func New(m *sessions.Manager, opts ...Option) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, manager: m, version: staticVersion()}
	for _, o := range opts {
		o(s)
	}
	s.shares = newShareLimiter(s.shareLimit)
	s.setRooms() // rooms.go
	s.bySlug = make(map[string]int, len(s.lessons))
	for i, l := range s.lessons {
		s.bySlug[l.Slug] = i
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.metrics.watch(m)
	// Operations (middleware.go): the log line sees the final status, a
	// HEAD counts the compressed body GET would send.
	e.Use(s.requestLog, headLikeGet, compress)
	s.setGuard()
	e.Pre(s.checkHost)
	e.Use(s.assignLearner)
	s.routes(e)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Wait returns once every WebSocket connection has ended (after the Manager
// closed its sessions) or ctx is done.
func (s *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// staticVersion hashes every embedded static file, so their URLs change when
// they do and can be cached for good.
func staticVersion() string {
	h := sha256.New()
	fs.WalkDir(static.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
