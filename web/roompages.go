package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/skip2/go-qrcode"

	"sockplay/sessions"
	"sockplay/templates"
	"sockplay/templates/i18n"
)

// roomCookie remembers the room a browser is in (its code), so that every
// page of that browser rejoins it (static/js/room.js reads it, and clears
// it when the room ends or the learner leaves; it is no secret).
const roomCookie = "sockplay_room"

// roomCookieAge is how long the room cookie lasts (s), as room.js sets it.
const roomCookieAge = 12 * 3600

// roomsIndex is GET /rooms: the form that creates a room, and the rooms
// this browser's instructor key holds.
func (s *Server) roomsIndex(c echo.Context) error {
	var rooms []templates.RoomSummary
	for _, r := range s.manager.RoomsOf(instructorKey(c.Request())) {
		rooms = append(rooms, s.roomSummary(c, r))
	}
	return render(c, templates.RoomsIndex(s.pageT(c, "rooms.title"), s.lessons, rooms, ""))
}

// roomPage is GET /rooms/CODE: the instructor's page of the room, 403
// without its instructor's key. It puts the instructor's browser in the room.
func (s *Server) roomPage(c echo.Context) error {
	code := sessions.NormalizeRoomCode(c.Param("code"))
	info, instructor, ok := s.manager.Room(code, instructorKey(c.Request()))
	if !ok {
		return renderStatus(c, http.StatusNotFound, templates.NotFound(s.pageT(c, "error.notfound.title"), i18n.T(langOf(c), "room.notfound", c.Param("code"))))
	}
	if !instructor {
		return renderStatus(c, http.StatusForbidden, templates.RoomForbidden(s.page(c, i18n.T(langOf(c), "room.untitled", info.Code)), info.Code))
	}
	join := s.joinURL(c.Request(), info.Code)
	qr, err := qrSVG(join)
	if err != nil {
		return err
	}
	setRoomCookie(c, info.Code)
	xs, err := exerciseViewsIn(c)
	if err != nil {
		return err
	}
	sum := s.roomSummary(c, info)
	return render(c, templates.RoomPage(s.page(c, templates.RoomTitle(langOf(c), sum)), sum, join, qr, s.lessons, xs))
}

// roomQR is GET /rooms/CODE/qr.svg: the QR code of the room's join link,
// for the room's instructor only.
func (s *Server) roomQR(c echo.Context) error {
	info, instructor, ok := s.manager.Room(c.Param("code"), instructorKey(c.Request()))
	if !ok {
		return echo.ErrNotFound
	}
	if !instructor {
		return echo.ErrForbidden
	}
	qr, err := qrSVG(s.joinURL(c.Request(), info.Code))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(qr))
}

// joinPage is GET /r/CODE: a student's name form; its script joins the
// room (room_join) and goes on to the room's lesson or the workbench.
func (s *Server) joinPage(c echo.Context) error {
	info, _, ok := s.manager.Room(c.Param("code"), "")
	if !ok {
		code := strings.ToUpper(c.Param("code"))
		return renderStatus(c, http.StatusNotFound, templates.RoomJoin(s.pageT(c, "join.missing.h1"), code, "", "", false))
	}
	next := "/workbench"
	if _, ok := s.bySlug[info.Lesson]; ok {
		next = "/lessons/" + info.Lesson
	}
	title := templates.RoomTitle(langOf(c), s.roomSummary(c, info))
	return render(c, templates.RoomJoin(s.page(c, i18n.T(langOf(c), "join.h1", title)), info.Code, title, next, true))
}

// observePage is the workbench with ?observe=TOKEN: the instructor's
// read-only view of a student's session (op room_observe gives the URL).
func (s *Server) observePage(c echo.Context, token string) error {
	return render(c, templates.ObserveWorkbench(s.pageT(c, "observe.title"), "/ws?observe="+url.QueryEscape(token)))
}

// roomSummary is r as the room pages show it, its lesson's title in c's language.
func (s *Server) roomSummary(c echo.Context, r sessions.RoomInfo) templates.RoomSummary {
	sum := templates.RoomSummary{Code: r.Code, Title: r.Title, Lesson: r.Lesson, Members: r.Members, Created: r.Created}
	if i, ok := s.bySlug[r.Lesson]; ok {
		sum.LessonTitle = s.lessons[i].In(langOf(c)).Title
	}
	return sum
}

// joinURL is the absolute join link of room code.
func (s *Server) joinURL(r *http.Request, code string) string {
	return s.baseURL(r) + "/r/" + code
}

func setRoomCookie(c echo.Context, code string) {
	c.SetCookie(&http.Cookie{Name: roomCookie, Value: code, Path: "/", MaxAge: roomCookieAge, SameSite: http.SameSiteLaxMode})
}

// qrSVG draws the QR code of text as SVG: one path of the dark modules
// (with the quiet zone around them), scaled by the viewBox.
func qrSVG(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bits := q.Bitmap()
	var path strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	n := len(bits)
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n, n, path.String()), nil
}
