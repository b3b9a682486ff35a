package web

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sockets/exercises"
	"sockplay/templates"
	"sockplay/templates/lessons"
)

// exerciseViews are the exercises as the pages show them, rendered once:
// the statements are compiled in, so a Markdown error is a bug, reported
// as a 500.
var exerciseViews = sync.OnceValues(func() ([]templates.ExerciseView, error) {
	var out []templates.ExerciseView
	for _, x := range exercises.All() {
		html, err := lessons.Markdown([]byte(x.Statement))
		if err != nil {
			return nil, err
		}
		out = append(out, templates.ExerciseView{
			ID: x.ID, Title: x.Title, Role: string(x.Role),
			Summary: lessons.FirstParagraph([]byte(x.Statement)), Statement: html, Hints: x.Hints,
			Wait: strconv.Itoa(int(sessions.CheckTimeout.Seconds())) + " s",
		})
	}
	return out, nil
})

// exerciseIndex lists the exercises.
func (s *Server) exerciseIndex(c echo.Context) error {
	xs, err := exerciseViews()
	if err != nil {
		return err
	}
	return render(c, templates.ExerciseIndex(s.page(c, "Exercises"), xs))
}

// exercise serves one exercise's page with its check form and embedded
// workbench; an unknown id gets the 404 page.
func (s *Server) exercise(c echo.Context) error {
	xs, err := exerciseViews()
	if err != nil {
		return err
	}
	for i, x := range xs {
		if x.ID != c.Param("id") {
			continue
		}
		var prev, next *templates.ExerciseView
		if i > 0 {
			prev = &xs[i-1]
		}
		if i+1 < len(xs) {
			next = &xs[i+1]
		}
		return render(c, templates.ExercisePage(s.page(c, x.Title), x, prev, next, "/ws"))
	}
	return renderStatus(c, http.StatusNotFound, templates.NotFound(s.page(c, "Not found"), "There is no exercise at this address."))
}
