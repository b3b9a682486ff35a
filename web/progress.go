package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sockplay/sessions/progress"
	"sockplay/sockets/exercises"
	"sockplay/templates"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
)

const (
	// learnerCookie names the learner: a random id, given once and kept for
	// learnerMaxAge, under which progress is saved. It is not the session
	// cookie (sockplay_session), which lives as long as the session's sockets.
	learnerCookie = "sockplay_learner"
	// learnerMaxAge is how long the learner cookie lives after the last page
	// view (one year).
	learnerMaxAge = 365 * 24 * time.Hour
	// learnerKey is where a request's learner id is kept in its echo.Context
	// once known.
	learnerKey = "sockplay.learner"
	// maxStepBody is the largest POST /progress/steps body (64 KiB).
	maxStepBody = 64 << 10
	// recordWait bounds one write of progress done for a page (5 s).
	recordWait = 5 * time.Second
)

// WithProgress saves each learner's progress in store: the lessons they
// read, the steps they ran and the exercise checks they made, shown at
// /progress and on the lesson index. Without it the server saves nothing
// and its pages say so. The caller closes store after the server is done.
func WithProgress(store *progress.Store) Option {
	return func(s *Server) { s.store = store }
}

// validLearner reports whether a cookie value can be a learner id as
// newLearner makes them (or a future variant): 16 to 64 letters, digits,
// '-' or '_'.
func validLearner(v string) bool {
	if len(v) < 16 || len(v) > 64 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// learnerOf returns the learner id of the request's cookie, or "" when it
// has none (or one that is not a learner id).
func learnerOf(r *http.Request) string {
	if ck, err := r.Cookie(learnerCookie); err == nil && validLearner(ck.Value) {
		return ck.Value
	}
	return ""
}

// learner returns the request's learner id. A request without one gets a
// new one, and every call (re)sets the cookie, so that it lives for a year
// after the learner's last visit. Without a store there are no learners:
// it returns "".
func (s *Server) learner(c echo.Context) string {
	if s.store == nil {
		return ""
	}
	if id, ok := c.Get(learnerKey).(string); ok {
		return id
	}
	id := learnerOf(c.Request())
	if id == "" {
		id = rand.Text()
	}
	c.Set(learnerKey, id)
	c.SetCookie(&http.Cookie{
		Name: learnerCookie, Value: id, Path: "/",
		MaxAge: int(learnerMaxAge / time.Second), Expires: time.Now().Add(learnerMaxAge),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.IsTLS(),
	})
	return id
}

// assignLearner is the middleware that gives every page view a learner
// cookie (see learner): GET requests other than static files, the
// WebSocket and the health check.
func (s *Server) assignLearner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.store != nil && r.Method == http.MethodGet && isPagePath(r.URL.Path) {
			s.learner(c)
		}
		return next(c)
	}
}

func isPagePath(p string) bool {
	return !strings.HasPrefix(p, "/static/") && p != "/ws" && p != "/healthz" && p != "/protocol"
}

// recordRead records that the request's learner viewed a lesson. A
// failure to record never fails the page.
func (s *Server) recordRead(c echo.Context, slug string) {
	if s.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), recordWait)
	defer cancel()
	if err := s.store.RecordLessonRead(ctx, s.learner(c), slug); err != nil {
		c.Logger().Errorf("progress: recording a lesson read: %v", err)
	}
}

// progressOf returns the request's learner's progress; nil when the server
// saves none or it cannot be read (the page then shows none).
func (s *Server) progressOf(c echo.Context) *progress.Progress {
	if s.store == nil {
		return nil
	}
	p, err := s.store.Progress(c.Request().Context(), s.learner(c))
	if err != nil {
		c.Logger().Errorf("progress: %v", err)
		return nil
	}
	return &p
}

// stepProgress is what a lesson page needs to save its steps.
func (s *Server) stepProgress(p *progress.Progress, slug string) templates.StepProgress {
	if p == nil {
		return templates.StepProgress{Passed: []string{}}
	}
	passed := p.Lesson(slug).PassedSteps()
	if passed == nil {
		passed = []string{}
	}
	return templates.StepProgress{URL: "/progress/steps", Passed: passed}
}

// jsonError answers a progress API request with {"error": msg}.
func jsonError(c echo.Context, code int, msg string) error {
	return c.JSON(code, map[string]string{"error": msg})
}

const notSaved = "progress is not saved on this server (it runs without a data directory)"

// stepReport is the body of POST /progress/steps.
type stepReport struct {
	Lesson string `json:"lesson"`
	Step   string `json:"step"`
	OK     *bool  `json:"ok"`
}

// postStep records one finished run of a lesson step: JSON {lesson, step,
// ok} from the lesson page's runner, for the learner of the cookie.
func (s *Server) postStep(c echo.Context) error {
	if s.crossOrigin(c) {
		return jsonError(c, http.StatusForbidden, "cross-origin request refused")
	}
	if s.store == nil {
		return jsonError(c, http.StatusNotFound, notSaved)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxStepBody+1))
	if err != nil {
		return jsonError(c, http.StatusBadRequest, "reading the request: "+err.Error())
	}
	if len(body) > maxStepBody {
		return jsonError(c, http.StatusRequestEntityTooLarge, "the request is too large")
	}
	var rep stepReport
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return jsonError(c, http.StatusBadRequest, `the body must be JSON {"lesson": slug, "step": id, "ok": bool}: `+err.Error())
	}
	if rep.Lesson == "" || rep.Step == "" || rep.OK == nil {
		return jsonError(c, http.StatusBadRequest, `lesson, step and ok are all required: {"lesson": slug, "step": id, "ok": bool}`)
	}
	i, ok := s.bySlug[rep.Lesson]
	if !ok {
		return jsonError(c, http.StatusBadRequest, "there is no lesson "+quote(rep.Lesson))
	}
	if !hasPart(s.lessons[i].Parts(), rep.Step) {
		return jsonError(c, http.StatusBadRequest, "lesson "+quote(rep.Lesson)+" has no step "+quote(rep.Step))
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), recordWait)
	defer cancel()
	if err := s.store.RecordStep(ctx, s.learner(c), rep.Lesson, rep.Step, *rep.OK); err != nil {
		c.Logger().Errorf("progress: recording a step: %v", err)
		return jsonError(c, http.StatusInternalServerError, "the step could not be saved")
	}
	return c.JSON(http.StatusOK, map[string]any{"recorded": true})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// progressPage shows the learner's progress: lessons read and steps
// passed, exercises with their attempts, and export and import.
func (s *Server) progressPage(c echo.Context) error {
	v := s.progressView(c)
	if c.QueryParam("imported") != "" {
		v.Notice = i18n.T(langOf(c), "prog.imported")
	}
	return render(c, templates.ProgressPage(s.pageT(c, "nav.progress"), v))
}

func (s *Server) progressView(c echo.Context) templates.ProgressView {
	v := templates.ProgressView{Saved: s.store != nil, Lessons: inLang(s.lessons, langOf(c)), Exercises: exercises.All()}
	if p := s.progressOf(c); p != nil {
		v.Progress = *p
	} else if s.store != nil {
		v.Error = i18n.T(langOf(c), "prog.unreadable")
	}
	return v
}

// exportProgress downloads the learner's progress as JSON.
func (s *Server) exportProgress(c echo.Context) error {
	if s.store == nil {
		return jsonError(c, http.StatusNotFound, notSaved)
	}
	data, err := s.store.Export(c.Request().Context(), s.learner(c))
	if err != nil {
		c.Logger().Errorf("progress: export: %v", err)
		return jsonError(c, http.StatusInternalServerError, "the progress could not be read")
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="sockplay-progress-`+s.store.Now().Format("2006-01-02")+`.json"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, data)
}

// importProgress merges a progress file into the learner's progress. The
// file comes as the field "file" of a multipart form (the /progress page's
// form: the answer is the page again) or as a JSON body (the answer is
// JSON).
func (s *Server) importProgress(c echo.Context) error {
	r := c.Request()
	form := strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm)
	fail := func(code int, msg string) error {
		if !form {
			return jsonError(c, code, msg)
		}
		v := s.progressView(c)
		v.Error = i18n.T(langOf(c), "prog.notimported", msg)
		return renderStatus(c, code, templates.ProgressPage(s.pageT(c, "nav.progress"), v))
	}
	if s.crossOrigin(c) {
		return jsonError(c, http.StatusForbidden, "cross-origin request refused")
	}
	if s.store == nil {
		return fail(http.StatusNotFound, notSaved)
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, progress.MaxImport+64<<10)
	var data []byte
	var err error
	if form {
		data, err = formFile(c, "file")
	} else {
		data, err = io.ReadAll(r.Body)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, "the file is larger than a progress file may be")
	case err != nil:
		return fail(http.StatusBadRequest, err.Error())
	}
	ctx, cancel := context.WithTimeout(r.Context(), recordWait)
	defer cancel()
	var bad *progress.InputError
	switch err := s.store.Import(ctx, s.learner(c), data); {
	case errors.As(err, &bad):
		return fail(http.StatusBadRequest, bad.Error())
	case err != nil:
		c.Logger().Errorf("progress: import: %v", err)
		return fail(http.StatusInternalServerError, "the progress could not be saved")
	}
	if form {
		return c.Redirect(http.StatusSeeOther, "/progress?imported=1")
	}
	return c.JSON(http.StatusOK, map[string]any{"imported": true})
}

// formFile reads the uploaded file of a multipart form's field name.
func formFile(c echo.Context, name string) ([]byte, error) {
	fh, err := c.FormFile(name)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, errors.New("choose a progress file to import")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func hasPart(parts []lessons.Part, id string) bool {
	for _, st := range parts {
		if st.ID == id {
			return true
		}
	}
	return false
}
