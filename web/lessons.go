package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sockplay/templates"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
)

// lessonIndex lists the lessons, with the learner's progress in each.
func (s *Server) lessonIndex(c echo.Context) error {
	return render(c, templates.LessonIndex(s.pageT(c, "lessons.title"), inLang(s.lessons, langOf(c)), s.progressOf(c)))
}

// inLang is each lesson of ls in lang (Lesson.In).
func inLang(ls []*lessons.Lesson, lang string) []*lessons.Lesson {
	out := make([]*lessons.Lesson, len(ls))
	for i, l := range ls {
		out[i] = l.In(lang)
	}
	return out
}

// lesson serves one lesson page with its embedded workbench; an unknown
// slug gets the 404 page.
func (s *Server) lesson(c echo.Context) error {
	i, ok := s.bySlug[c.Param("slug")]
	if !ok {
		return renderStatus(c, http.StatusNotFound, s.notFound(c, "error.notfound.lesson"))
	}
	var prev, next *lessons.Lesson
	if i > 0 {
		prev = s.lessons[i-1].In(langOf(c))
	}
	if i+1 < len(s.lessons) {
		next = s.lessons[i+1].In(langOf(c))
	}
	l := s.lessons[i].In(langOf(c))
	s.recordRead(c, l.Slug)
	sp := s.stepProgress(s.progressOf(c), l.Slug)
	return render(c, templates.LessonPage(s.page(c, l.Title), l, prev, next, "/ws", sp))
}

// renderStatus is render with another status than 200.
func renderStatus(c echo.Context, code int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().Header().Add("Vary", "Accept-Language, Cookie")
	c.Response().WriteHeader(code)
	return comp.Render(i18n.WithLang(c.Request().Context(), langOf(c)), c.Response())
}
