package web_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// jsonStep is what a protocol request looks like wherever one shows.
var jsonStep = regexp.MustCompile(`"op"\s*:`)

// seenText is what a learner can see of an HTML page: its text outside
// scripts and styles (textareas' code included), and the attributes a
// browser shows (value, placeholder, title, alt, aria-label); and, apart,
// the code of each cell editor (textarea.cell-code), in page order.
func seenText(t *testing.T, page string) (text []string, cells []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("the page is not HTML: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			text = append(text, n.Data)
			return
		case html.ElementNode:
			if n.Data == "script" || n.Data == "style" {
				return
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "value", "placeholder", "title", "alt", "aria-label":
					text = append(text, a.Val)
				case "class":
					if n.Data == "textarea" && slices.Contains(strings.Fields(a.Val), "cell-code") {
						var code strings.Builder
						for c := n.FirstChild; c != nil; c = c.NextSibling {
							code.WriteString(c.Data)
						}
						cells = append(cells, code.String())
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return text, cells
}

// TestLessonPagesShowNoJSON: a learner sees Python on every lesson page,
// never protocol JSON — nothing they can see (text, editors, controls'
// values and titles) holds `"op":` — and each of the lesson's cells is
// there as its code, in order, in an editor. The index page too holds no
// JSON.
func TestLessonPagesShowNoJSON(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	get := func(t *testing.T, path string) string {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}
	noJSON := func(t *testing.T, text []string) {
		t.Helper()
		for _, s := range text {
			if loc := jsonStep.FindStringIndex(s); loc != nil {
				from, to := max(0, loc[0]-60), min(len(s), loc[1]+60)
				t.Errorf("the page shows protocol JSON: …%s…", s[from:to])
			}
		}
	}

	t.Run("index", func(t *testing.T) {
		text, _ := seenText(t, get(t, "/lessons"))
		noJSON(t, text)
	})
	for _, l := range ls {
		t.Run(l.Slug, func(t *testing.T) {
			text, cells := seenText(t, get(t, "/lessons/"+l.Slug))
			noJSON(t, text)
			if len(l.Cells) == 0 {
				t.Fatalf("%s has no cells", l.File)
			}
			want := make([]string, len(l.Cells))
			for i, c := range l.Cells {
				want[i] = strings.TrimRight(c.Code, "\n")
			}
			if !slices.Equal(cells, want) {
				t.Errorf("the page's cell editors hold %q, want the lesson's cells %q", cells, want)
			}
		})
	}
}
