package web_test

import (
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"sockplay/sessions"
	"sockplay/sockets/exercises"
)

// TestExercisePages: /exercises lists every exercise with its role and a
// one-line summary; each /exercises/<id> has the statement rendered from
// Markdown, its hints (hidden, revealed by the script), the check form for
// its role, the terminal command, the embedded workbench and links to its
// neighbours; an unknown id is a 404.
func TestExercisePages(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, index := get("/exercises")
	if code != http.StatusOK {
		t.Fatalf("/exercises: %d", code)
	}
	xs := exercises.All()
	for _, x := range xs {
		for _, want := range []string{
			`<li class="exercise-item" data-exercise="` + x.ID + `" data-role="` + string(x.Role) + `">`,
			`<a href="/exercises/` + x.ID + `">` + html.EscapeString(x.Title) + `</a>`,
			`<span class="role-badge" data-role="` + string(x.Role) + `">you write the ` + string(x.Role) + `</span>`,
		} {
			if !strings.Contains(index, want) {
				t.Errorf("/exercises lacks %s", want)
			}
		}
	}
	// The summary is the statement's first paragraph, without its markup.
	if want := `<p class="exercise-summary">Write a UDP server that answers every datagram with the same bytes, its ASCII letters in upper case.</p>`; !strings.Contains(index, want) {
		t.Errorf("/exercises lacks the udp-upper summary %s", want)
	}
	if _, home := get("/"); !strings.Contains(home, `<a href="/exercises">Exercises</a>`) {
		t.Errorf("the site navigation does not link /exercises")
	}

	for i, x := range xs {
		t.Run(x.ID, func(t *testing.T) {
			code, page := get("/exercises/" + x.ID)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			flag, portInput := "--target", `<input id="check-port" name="port" type="number" min="1" max="65535"`
			if x.Role == exercises.RoleClient {
				flag, portInput = "--listen", `<input id="check-port" name="port" type="number" min="0" max="65535" value="0"`
			}
			want := []string{
				`<div class="lesson-page exercise-page" id="exercise" data-exercise="` + x.ID + `" data-role="` + string(x.Role) + `">`,
				`<h1 id="exercise-title">` + html.EscapeString(x.Title) + `</h1>`,
				`<h2 id="sec-`,
				`<form id="check-form" class="check-form" data-role="` + string(x.Role) + `" data-exercise="` + x.ID + `">`,
				portInput,
				`<button type="submit" id="check-run">Check</button>`,
				`<section class="check-panel" id="check" aria-labelledby="check-heading" data-state="idle">`,
				`<ol id="check-events" class="check-events"></ol>`,
				`data-cli="go run ./cmd/sockplay check ` + x.ID + ` ` + flag + ` "`,
				`<div id="workbench" class="workbench embedded" data-ws="/ws" data-embedded>`,
				`/js/exercise.js"></script>`,
				`<li data-hint="1" hidden>` + html.EscapeString(x.Hints[0]) + `</li>`,
				`<li data-hint="` + strconv.Itoa(len(x.Hints)) + `" hidden>`,
				`data-total="` + strconv.Itoa(len(x.Hints)) + `"`,
			}
			if x.Role == exercises.RoleServer {
				want = append(want, `<select id="check-sock" name="sock">`)
			} else {
				want = append(want, `your client has 60 s to connect`)
				if strings.Contains(page, `id="check-sock"`) {
					t.Errorf("a client-role exercise has the server socket picker")
				}
			}
			if i > 0 {
				want = append(want, `rel="prev" href="/exercises/`+xs[i-1].ID+`"`)
			}
			if i+1 < len(xs) {
				want = append(want, `rel="next" href="/exercises/`+xs[i+1].ID+`"`)
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			if strings.Contains(page, "**") {
				t.Errorf("the statement's Markdown was not rendered (a ** is left)")
			}
		})
	}

	code, page := get("/exercises/no-such-exercise")
	if code != http.StatusNotFound || !strings.Contains(page, "There is no exercise at this address.") {
		t.Errorf("unknown id: %d %.200q, want 404 and the not-found page", code, page)
	}
}
