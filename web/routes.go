package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists every route the server answers. Each GET route answers
// HEAD too, as the GET without its body (headLikeGet).
func (s *Server) routes(e *echo.Echo) {
	get(e, "/", s.index)
	get(e, "/workbench", s.workbench)
	get(e, "/lessons", s.lessonIndex)
	get(e, "/lessons/:slug", s.lesson)
	get(e, "/exercises", s.exerciseIndex)
	get(e, "/exercises/:id", s.exercise)
	get(e, "/examples", s.exampleIndex)                   // share.go
	get(e, "/examples/:slug/:name", s.exampleProgramPage) // share.go
	e.POST("/share", s.postShare)                         // share.go
	get(e, "/p/:id", s.sharedProgram)                     // share.go
	get(e, "/rooms", s.roomsIndex)                        // roompages.go
	get(e, "/rooms/:code", s.roomPage)                    // roompages.go
	get(e, "/rooms/:code/qr.svg", s.roomQR)               // roompages.go
	get(e, "/r/:code", s.joinPage)                        // roompages.go
	get(e, "/progress", s.progressPage)
	get(e, "/progress/export", s.exportProgress)
	e.POST("/progress/import", s.importProgress)
	e.POST("/progress/steps", s.postStep)
	e.POST("/rooms", s.postRoom) // rooms.go
	get(e, "/ws", s.serveWS)
	e.POST("/session/new", s.newSession)   // session.go
	get(e, "/capture.pcap", s.capturePcap) // capture.go
	get(e, "/protocol", s.protocol)
	get(e, "/protocol.md", s.protocolMarkdown)
	get(e, "/healthz", s.healthz)
	get(e, "/metrics", echo.WrapHandler(s.metrics.handler()))
	get(e, "/favicon.ico", s.favicon)
	get(e, "/favicon.svg", s.favicon)
	get(e, "/static/:version/*", s.static)
}

// get routes GET and HEAD for path to h.
func get(e *echo.Echo, path string, h echo.HandlerFunc) {
	e.Match([]string{http.MethodGet, http.MethodHead}, path, h)
}
