package web

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sockets/exercises"
	"sockplay/templates"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
)

// exerciseViews are the exercises as the pages show them in each language
// (i18n.EN, i18n.ZH), rendered once: the statements are compiled in, so a
// Markdown error is a bug, reported as a 500.
var exerciseViews = sync.OnceValues(func() (map[string][]templates.ExerciseView, error) {
	out := map[string][]templates.ExerciseView{}
	for _, lang := range i18n.Langs {
		for _, x := range exercises.All() {
			text := x.Text(lang)
			html, err := lessons.Markdown([]byte(text.Statement))
			if err != nil {
				return nil, err
			}
			out[lang] = append(out[lang], templates.ExerciseView{
				ID: x.ID, Title: text.Title, Role: string(x.Role),
				Summary: lessons.FirstParagraph([]byte(text.Statement)), Statement: html, Hints: text.Hints,
				Wait: strconv.Itoa(int(sessions.CheckTimeout.Seconds())) + " s",
				Lang: i18n.HTMLLang(text.Lang), Fallback: text.Lang != lang,
			})
		}
	}
	return out, nil
})

// exerciseViewsIn are the exercise views in c's language.
func exerciseViewsIn(c echo.Context) ([]templates.ExerciseView, error) {
	all, err := exerciseViews()
	return all[langOf(c)], err
}

// exerciseIndex lists the exercises.
func (s *Server) exerciseIndex(c echo.Context) error {
	xs, err := exerciseViewsIn(c)
	if err != nil {
		return err
	}
	return render(c, templates.ExerciseIndex(s.pageT(c, "ex.index.title"), xs))
}

// exercise serves one exercise's page with its check form and embedded
// workbench; an unknown id gets the 404 page.
func (s *Server) exercise(c echo.Context) error {
	xs, err := exerciseViewsIn(c)
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
	return renderStatus(c, http.StatusNotFound, s.notFound(c, "error.notfound.exercise"))
}
