package web_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"

	"sockplay/sessions"
	"sockplay/web"
)

// get fetches path in the browser b (its cookies), without following redirects.
func (b *browser) get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	hc := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(b.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestRoomPages checks the room pages over HTTP: /rooms lists the rooms of
// this browser only; the room page is the instructor's (403 for anyone
// else, 404 for no room) and puts that browser in the room; the join
// page leads to the room's lesson; the QR code is the join link's.
func TestRoomPages(t *testing.T) {
	ls := fixtureLessons(t)
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	teacher, other := newJarBrowser(srv), newJarBrowser(srv)
	code := teacher.createRoom(t, "Networks <b>B</b>", ls[0].Slug)
	untitled := teacher.createRoom(t, "", "")
	theirs := other.createRoom(t, "Not yours", "")

	resp, body := teacher.get(t, "/rooms")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<form id="room-create" class="room-create" method="post" action="/rooms">`) {
		t.Fatalf("GET /rooms: %d, want the create form:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{`data-room="` + code + `"`, `data-room="` + untitled + `"`, "Networks &lt;b&gt;B&lt;/b&gt;", "Room " + untitled, "lesson: " + ls[0].Title} {
		if !strings.Contains(body, want) {
			t.Errorf("/rooms lacks %q", want)
		}
	}
	if strings.Contains(body, theirs) {
		t.Errorf("/rooms lists another browser's room %s", theirs)
	}
	if _, body := newJarBrowser(srv).get(t, "/rooms"); !strings.Contains(body, `id="no-rooms"`) {
		t.Errorf("/rooms of a new browser does not say it has no rooms")
	}

	resp, body = teacher.get(t, "/rooms/"+strings.ToLower(code))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /rooms/%s: %d", code, resp.StatusCode)
	}
	join := srv.URL + "/r/" + code
	for _, want := range []string{`id="room-code">` + code + `<`, `href="` + join + `"`, `<svg xmlns="http://www.w3.org/2000/svg"`, `data-room="` + code + `"`, `js/roompage.js`, `value="udp-upper"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the room page lacks %q", want)
		}
	}
	if !hasCookie(resp, "sockplay_room", code) {
		t.Errorf("the room page does not put the browser in the room: Set-Cookie %v", resp.Header.Values("Set-Cookie"))
	}
	for _, b := range []*browser{other, newJarBrowser(srv)} {
		if resp, body := b.get(t, "/rooms/"+code); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `id="room-forbidden"`) || strings.Contains(body, join+`"`) && strings.Contains(body, "<svg") {
			t.Errorf("GET /rooms/%s from another browser: %d, want the 403 page without the room's QR code", code, resp.StatusCode)
		}
		if resp, _ := b.get(t, "/rooms/"+code+"/qr.svg"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET /rooms/%s/qr.svg from another browser: %d, want 403", code, resp.StatusCode)
		}
	}
	if resp, _ := teacher.get(t, "/rooms/ABCDEFGH"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /rooms/ABCDEFGH (no such room): %d, want 404", resp.StatusCode)
	}

	// The QR code is the join link's: its dark modules are the code's.
	resp, svg := teacher.get(t, "/rooms/"+code+"/qr.svg")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("GET qr.svg: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	q, err := qrcode.New(join, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svgModules(t, svg), q.Bitmap(); !sameBits(got, want) {
		t.Errorf("the QR code's modules are not those of %s", join)
	}
	if other := svgModules(t, svg); sameBits(other, mustBitmap(t, srv.URL+"/r/"+untitled)) {
		t.Errorf("the QR code of %s is also that of another room", code)
	}

	student := newJarBrowser(srv)
	resp, body = student.get(t, "/r/"+strings.ToLower(code))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-room="`+code+`" data-next="/lessons/`+ls[0].Slug+`"`) {
		t.Errorf("GET /r/%s: %d, want the join form leading to the lesson:\n%s", code, resp.StatusCode, body)
	}
	if _, body := student.get(t, "/r/"+untitled); !strings.Contains(body, `data-next="/workbench"`) {
		t.Errorf("the join page of a room without a lesson does not lead to the workbench")
	}
	if resp, body := student.get(t, "/r/NOSUCHRM"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `id="room-missing"`) {
		t.Errorf("GET /r/NOSUCHRM: %d, want the 404 page saying there is no such room", resp.StatusCode)
	}
	if _, body := student.get(t, "/workbench?observe=a%22b"); !strings.Contains(body, `data-ws="/ws?observe=a%22b"`) || !strings.Contains(body, `id="observe-banner"`) {
		t.Errorf("the observe page does not open the observe WebSocket under its banner")
	}
}

func hasCookie(resp *http.Response, name, value string) bool {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value == value && c.Path == "/" && !c.HttpOnly {
			return true
		}
	}
	return false
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// svgModules reads the dark modules back from qrSVG's path.
func svgModules(t *testing.T, svg string) [][]bool {
	t.Helper()
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %.200s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	bits := make([][]bool, n)
	for i := range bits {
		bits[i] = make([]bool, n)
	}
	for _, r := range svgRun.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := x; i < x+w && i < n && y < n; i++ {
			bits[y][i] = true
		}
	}
	return bits
}

func mustBitmap(t *testing.T, text string) [][]bool {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	return q.Bitmap()
}

func sameBits(a, b [][]bool) bool { return slices.EqualFunc(a, b, slices.Equal[[]bool]) }
