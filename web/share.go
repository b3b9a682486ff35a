package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"sockplay/sessions/progress"
	"sockplay/templates"
	"sockplay/templates/examples"
)

// maxShareBody is the largest POST /share body read: a program of
// progress.MaxShare bytes, JSON-escaped at its worst (\u00XX is 6 bytes a
// byte), and the rest of the object.
const maxShareBody = 6*progress.MaxShare + 4<<10

// maxLimited is how many clients' share limiters are kept; past it, those
// whose bucket is full again are forgotten.
const maxLimited = 4096

// ShareLimit is how often one client (address, as the Guard finds it) may
// share a program: Burst at once, then one more every Every. Now is the
// clock (time.Now unless a test sets it).
type ShareLimit struct {
	Every time.Duration // default 6 s
	Burst int           // default 10
	Now   func() time.Time
}

// WithShareLimit sets the POST /share rate limit (see ShareLimit).
func WithShareLimit(l ShareLimit) Option {
	return func(s *Server) { s.shareLimit = l }
}

// shareLimiter holds one token bucket per client.
type shareLimiter struct {
	ShareLimit
	mu sync.Mutex
	by map[string]*rate.Limiter
}

func newShareLimiter(l ShareLimit) *shareLimiter {
	if l.Every <= 0 {
		l.Every = 6 * time.Second
	}
	if l.Burst <= 0 {
		l.Burst = 10
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return &shareLimiter{ShareLimit: l, by: map[string]*rate.Limiter{}}
}

// allow takes one token of client's bucket; when there is none it returns
// false and how long until there is.
func (l *shareLimiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	lim := l.by[client]
	if lim == nil {
		if len(l.by) >= maxLimited {
			l.forgetFull(now)
		}
		lim = rate.NewLimiter(rate.Every(l.Every), l.Burst)
		l.by[client] = lim
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(math.Ceil(missing * float64(l.Every)))
}

// forgetFull drops the limiters whose bucket has refilled: forgetting them
// changes nothing.
func (l *shareLimiter) forgetFull(now time.Time) {
	for k, lim := range l.by {
		if lim.TokensAt(now) >= float64(l.Burst) {
			delete(l.by, k)
		}
	}
}

// shareRequest is the body of POST /share.
type shareRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

const shareNotKept = "this server keeps no shared programs (it runs without a data directory: start it with --data DIR)"

// postShare keeps a program and answers its link: JSON {code, name} →
// 201 {id, url}.
func (s *Server) postShare(c echo.Context) error {
	if s.crossOrigin(c) {
		return jsonError(c, http.StatusForbidden, "cross-origin request refused")
	}
	if s.store == nil {
		return jsonError(c, http.StatusNotFound, shareNotKept)
	}
	if ok, wait := s.shares.allow(s.clientAddr(c.Request()).String()); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", fmt.Sprint(secs))
		return jsonError(c, http.StatusTooManyRequests, fmt.Sprintf("too many programs shared from your address: try again in %d s", secs))
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxShareBody+1))
	if err != nil {
		return jsonError(c, http.StatusBadRequest, "reading the request: "+err.Error())
	}
	tooBig := fmt.Sprintf("the program is too large to share: at most %d bytes", progress.MaxShare)
	if len(body) > maxShareBody {
		return jsonError(c, http.StatusRequestEntityTooLarge, tooBig)
	}
	var req shareRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return jsonError(c, http.StatusBadRequest, `the body must be JSON {"code": "…", "name": "server.py"}: `+err.Error())
	}
	if len(req.Code) > progress.MaxShare {
		return jsonError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s; this one is %d bytes", tooBig, len(req.Code)))
	}
	if req.Name == "" {
		req.Name = "program.py"
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), recordWait)
	defer cancel()
	id, err := s.store.Share(ctx, req.Name, req.Code)
	var bad *progress.InputError
	switch {
	case errors.As(err, &bad):
		return jsonError(c, http.StatusBadRequest, bad.Error())
	case err != nil:
		c.Logger().Errorf("share: %v", err)
		return jsonError(c, http.StatusInternalServerError, "the program could not be saved")
	}
	url := "/p/" + id
	c.Response().Header().Set("Location", url)
	return c.JSON(http.StatusCreated, map[string]string{"id": id, "url": url})
}

// sharedProgram opens a shared program in the editor.
func (s *Server) sharedProgram(c echo.Context) error {
	notFound := func() error {
		return renderStatus(c, http.StatusNotFound, s.notFound(c, "error.notfound.shared"))
	}
	if s.store == nil {
		return notFound()
	}
	p, err := s.store.Shared(c.Request().Context(), c.Param("id"))
	switch {
	case errors.Is(err, progress.ErrNoShare):
		return notFound()
	case err != nil:
		c.Logger().Errorf("share: %v", err)
		return jsonError(c, http.StatusInternalServerError, "the program could not be read")
	}
	v := templates.ProgramView{Name: p.Name, Code: p.Code, SharedID: p.ID, CanShare: true}
	return render(c, templates.ProgramPage(s.page(c, p.Name), v, "/ws"))
}

// exampleIndex lists the seed examples.
func (s *Server) exampleIndex(c echo.Context) error {
	xs, err := examples.All()
	if err != nil {
		return err
	}
	lang := langOf(c)
	views := make([]templates.ExampleView, len(xs))
	for i, x := range xs {
		views[i] = templates.ExampleView{Slug: x.Slug, Title: x.TitleIn(lang)}
		for _, p := range x.Programs {
			views[i].Programs = append(views[i].Programs, exampleProgram(x, p, lang))
		}
	}
	return render(c, templates.ExamplesIndex(s.pageT(c, "nav.examples"), views))
}

// exampleProgramPage opens one program of an example in the editor.
func (s *Server) exampleProgramPage(c echo.Context) error {
	x, ok := examples.Find(c.Param("slug"))
	var p *examples.Program
	if ok {
		p = x.Program(c.Param("name"))
	}
	if p == nil {
		return renderStatus(c, http.StatusNotFound, s.notFound(c, "error.notfound.example"))
	}
	meta := exampleProgram(x, *p, langOf(c))
	v := templates.ProgramView{Name: p.Name, Code: p.Code, Example: &meta, CanShare: s.store != nil}
	return render(c, templates.ProgramPage(s.page(c, p.Name+" · "+meta.Example), v, "/ws"))
}

// exampleProgram is what the pages show of program p of x, in lang (its
// header's -zh keys on a Chinese page).
func exampleProgram(x examples.Example, p examples.Program, lang string) templates.ExampleProgram {
	text := p.In(lang)
	v := templates.ExampleProgram{
		Example: x.TitleIn(lang), Slug: x.Slug, Name: p.Name, Title: text.Title,
		Seed: text.Seed, Together: text.Together, Args: text.Args, Expect: text.Expect,
	}
	for _, o := range x.Programs {
		if o.Name != p.Name {
			v.Others = append(v.Others, o.Name)
		}
	}
	return v
}
