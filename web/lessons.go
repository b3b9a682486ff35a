package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sockplay/templates"
	"sockplay/templates/lessons"
)

// lessonIndex lists the lessons, with the learner's progress in each.
func (s *Server) lessonIndex(c echo.Context) error {
	return render(c, templates.LessonIndex(s.page(c, "Lessons"), s.lessons, s.progressOf(c)))
}

// lesson serves one lesson page with its embedded workbench; an unknown
// slug gets the 404 page.
func (s *Server) lesson(c echo.Context) error {
	i, ok := s.bySlug[c.Param("slug")]
	if !ok {
		return renderStatus(c, http.StatusNotFound, templates.NotFound(s.page(c, "Not found"), "There is no lesson at this address."))
	}
	var prev, next *lessons.Lesson
	if i > 0 {
		prev = s.lessons[i-1]
	}
	if i+1 < len(s.lessons) {
		next = s.lessons[i+1]
	}
	l := s.lessons[i].In(s.lang(c))
	s.recordRead(c, l.Slug)
	sp := s.stepProgress(s.progressOf(c), l.Slug)
	return render(c, templates.LessonPage(s.page(c, l.Title), l, prev, next, "/ws", sp))
}

// renderStatus is render with another status than 200.
func renderStatus(c echo.Context, code int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().WriteHeader(code)
	return comp.Render(c.Request().Context(), c.Response())
}
