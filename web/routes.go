package web

import "github.com/labstack/echo/v4"

// routes lists every route the server answers.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/", s.index)
	e.GET("/workbench", s.workbench)
	e.GET("/lessons", s.lessonIndex)
	e.GET("/lessons/:slug", s.lesson)
	e.GET("/exercises", s.exerciseIndex)
	e.GET("/exercises/:id", s.exercise)
	e.GET("/progress", s.progressPage)
	e.GET("/progress/export", s.exportProgress)
	e.POST("/progress/import", s.importProgress)
	e.POST("/progress/steps", s.postStep)
	e.GET("/ws", s.serveWS)
	e.GET("/protocol", s.protocol)
	e.GET("/healthz", s.healthz)
	e.GET("/static/:version/*", s.static)
}
