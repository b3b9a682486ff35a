package web

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"sockplay/static"
	"sockplay/templates"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
)

// page is what every page of c's request needs: its title, asset URLs
// and language.
func (s *Server) page(c echo.Context, title string) templates.Page {
	return templates.Page{Title: title, Asset: func(name string) string { return "/static/" + s.version + "/" + name },
		Lang: langOf(c)}
}

// pageT is page with the catalog message key as its title.
func (s *Server) pageT(c echo.Context, key string) templates.Page {
	return s.page(c, i18n.T(langOf(c), key))
}

// notFound is the 404 page in c's language; what is the catalog key of
// the sentence saying what was not found.
func (s *Server) notFound(c echo.Context, what string) templ.Component {
	return templates.NotFound(s.pageT(c, "error.notfound.title"), i18n.T(langOf(c), what))
}

func render(c echo.Context, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().Header().Add("Vary", "Accept-Language, Cookie")
	return comp.Render(i18n.WithLang(c.Request().Context(), langOf(c)), c.Response())
}

func (s *Server) index(c echo.Context) error {
	return render(c, templates.Index(s.pageT(c, "home.title")))
}

func (s *Server) workbench(c echo.Context) error {
	if token := c.QueryParam("observe"); token != "" {
		return s.observePage(c, token) // roompages.go
	}
	return render(c, templates.Workbench(s.pageT(c, "nav.workbench"), "/ws"))
}

// protocol serves PROTOCOL.md as an HTML page, rendered once.
func (s *Server) protocol(c echo.Context) error {
	s.protocolOnce.Do(func() { s.protocolHTML, s.protocolErr = lessons.Markdown(protocolDoc) })
	if s.protocolErr != nil {
		return s.protocolErr
	}
	return render(c, templates.Protocol(s.pageT(c, "protocol.h1"), s.protocolHTML))
}

// protocolMarkdown serves PROTOCOL.md as it is.
func (s *Server) protocolMarkdown(c echo.Context) error {
	return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", protocolDoc)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "sessions": s.manager.Len()})
}

// favicon serves the site's icon (an SVG, also at /favicon.ico, where
// browsers look when a page names none), cached for a day.
func (s *Server) favicon(c echo.Context) error {
	b, err := static.FS.ReadFile("favicon.svg")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

// static serves the embedded files. A URL with the current version is cached
// for a year; an old version is still served, but not cached.
func (s *Server) static(c echo.Context) error {
	name := c.Param("*")
	if name == "" || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	b, err := static.ReadFile(name)
	if err != nil {
		return echo.ErrNotFound
	}
	if c.Param("version") == s.version {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	return c.Blob(http.StatusOK, contentType(name), b)
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		return "image/svg+xml"
	}
	return http.DetectContentType(nil)
}
