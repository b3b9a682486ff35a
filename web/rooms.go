package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"sockplay/sessions"
	"sockplay/sessions/protocol"
)

// Rooms over HTTP: POST /rooms makes a room and gives the browser the
// instructor cookie; the WebSocket handler gives each connection that
// cookie's key (the room ops run in package sessions, room*.go); /ws?observe=TOKEN
// is an instructor's read-only view of a student's session.

// InstructorCookie holds a browser's instructor key: unguessable, HttpOnly,
// never in a URL. One key may own several rooms.
const InstructorCookie = "sockplay_instructor"

// instructorKeyLen is the length of keys as rand.Text makes them.
const instructorKeyLen = 26

// RoomLimit is how often one client address may join and make rooms.
type RoomLimit struct {
	// Join: room joins (default a burst of 30 — a class behind one NAT
	// shares an address — then one a second). Every attempt to join a room
	// the session is not in counts, failures too: at that rate the 2^40
	// room codes cannot be guessed.
	Join ShareLimit
	// Create: POST /rooms (default a burst of 10, then one every 6 s).
	Create ShareLimit
}

// WithRoomLimit sets the room rate limits (see RoomLimit).
func WithRoomLimit(l RoomLimit) Option {
	return func(s *Server) { s.roomLimit = l }
}

// setRooms makes the room limiters and gives the manager the rooms' hooks
// (from New).
func (s *Server) setRooms() {
	if s.roomLimit.Join.Every <= 0 {
		s.roomLimit.Join.Every = time.Second
	}
	if s.roomLimit.Join.Burst <= 0 {
		s.roomLimit.Join.Burst = 30
	}
	s.joins = newShareLimiter(s.roomLimit.Join)
	s.roomMakes = newShareLimiter(s.roomLimit.Create)
	s.manager.SetRoomHooks(sessions.RoomHooks{AllowJoin: s.joins.allow, LessonPeers: s.lessonPeers})
}

// instructorKey returns the request's instructor key, or "".
func instructorKey(r *http.Request) string {
	ck, err := r.Cookie(InstructorCookie)
	if err != nil || len(ck.Value) != instructorKeyLen {
		return ""
	}
	return ck.Value
}

// roomRequest is the body of POST /rooms (JSON or a form).
type roomRequest struct {
	Title  string `json:"title" form:"title"`
	Lesson string `json:"lesson" form:"lesson"`
}

// roomCreated is POST /rooms' answer.
type roomCreated struct {
	Room       string `json:"room"`
	Join       string `json:"join"`
	Instructor bool   `json:"instructor"`
	Title      string `json:"title"`
	Lesson     string `json:"lesson"`
}

// postRoom makes a room (POST /rooms): JSON in, 201 and JSON out; a form
// post is answered with a redirect to the room's page.
func (s *Server) postRoom(c echo.Context) error {
	r := c.Request()
	if s.crossOrigin(c) {
		return jsonError(c, http.StatusForbidden, "cross-origin request refused")
	}
	form := !strings.HasPrefix(r.Header.Get("Content-Type"), echo.MIMEApplicationJSON)
	var req roomRequest
	if form {
		req.Title, req.Lesson = r.FormValue("title"), r.FormValue("lesson")
	} else if err := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, 4096)).Decode(&req); err != nil {
		return jsonError(c, http.StatusBadRequest, `the body must be JSON such as {"title":"Networks, week 3","lesson":"udp-echo-server"}: `+err.Error())
	}
	title, err := sessions.CheckRoomTitle(req.Title)
	if err != nil {
		return jsonError(c, http.StatusBadRequest, err.Error())
	}
	lesson := strings.TrimSpace(req.Lesson)
	if _, ok := s.bySlug[lesson]; lesson != "" && !ok {
		return jsonError(c, http.StatusBadRequest, fmt.Sprintf("no lesson %q on this server (see /lessons)", lesson))
	}
	if ok, wait := s.roomMakes.allow(s.clientAddr(r).String()); !ok {
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return jsonError(c, http.StatusTooManyRequests, fmt.Sprintf("too many rooms made from this address; try again in %v", wait.Round(time.Second)))
	}
	key := instructorKey(r)
	if key == "" {
		key = rand.Text()
	}
	info, err := s.manager.CreateRoom(key, title, lesson)
	if err != nil {
		status := http.StatusServiceUnavailable
		if !errors.Is(err, sessions.ErrRoomsFull) && !errors.Is(err, sessions.ErrClosed) {
			status = http.StatusInternalServerError
		}
		return jsonError(c, status, err.Error())
	}
	c.SetCookie(&http.Cookie{Name: InstructorCookie, Value: key, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || s.guard.PublicURL != nil && s.guard.PublicURL.Scheme == "https"})
	if form {
		return c.Redirect(http.StatusSeeOther, "/rooms/"+info.Code)
	}
	return c.JSON(http.StatusCreated, roomCreated{Room: info.Code, Join: s.baseURL(r) + "/r/" + info.Code, Instructor: true, Title: info.Title, Lesson: info.Lesson})
}

// baseURL is the server's URL as browsers reach it: PublicURL, or the
// request's scheme and Host.
func (s *Server) baseURL(r *http.Request) string {
	if u := s.guard.PublicURL; u != nil {
		return strings.TrimSuffix(u.String(), "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// lessonPeers is the rooms' hook for room_peers: the spawn requests of a
// lesson's peers.
func (s *Server) lessonPeers(slug string) ([]sessions.Request, error) {
	i, ok := s.bySlug[slug]
	if !ok {
		return nil, fmt.Errorf("no lesson %q on this server (see /lessons)", slug)
	}
	var reqs []sessions.Request
	for _, p := range s.lessons[i].Peers {
		spawn := p.Request()
		spawn["id"] = 0 // the session gives it an id of its own
		frame, err := json.Marshal(spawn)
		if err != nil {
			return nil, err
		}
		decoded, bads := protocol.DecodeFrame(frame)
		if len(decoded) != 1 || bads[0] != nil {
			return nil, fmt.Errorf("lesson %s's peer %s: not one spawn request: %v", slug, p.Peer, bads)
		}
		reqs = append(reqs, decoded[0])
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("lesson %q has no peers to start", slug)
	}
	return reqs, nil
}

// attachObserver attaches /ws?observe=TOKEN: a read-only connection to
// the session of the student a room_observe named, for the instructor
// whose cookie holds the token's key (see attachPage).
func (s *Server) attachObserver(c echo.Context) (*sessions.Session, *sessions.Subscriber, *sessions.Message, http.Header, error) {
	r := c.Request()
	sess, err := s.manager.ObservedSession(r.URL.Query().Get("observe"), instructorKey(r))
	if err != nil {
		return nil, nil, nil, nil, echo.NewHTTPError(http.StatusForbidden, err.Error())
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return nil, nil, nil, nil, c.JSON(http.StatusOK, map[string]bool{"observe": true})
	}
	sub, hello := sess.AttachObserver()
	if sub == nil {
		return nil, nil, nil, nil, echo.NewHTTPError(http.StatusGone, "the student's session has ended")
	}
	return sess, sub, hello, http.Header{}, nil
}
