package lessons_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"sockplay/templates/lessons"
)

// twinSrc is a lesson with two cells (ids a, b) and a peer; front holds
// the front matter lines after title and summary.
func twinSrc(title, front string, cells ...string) string {
	s := "---\ntitle: " + title + "\nsummary: S.\n" + front + "---\n\n"
	for _, id := range cells {
		s += "```cell id=" + id + "\nprint(1)\n```\n```check\nprints 1\n```\n\n"
	}
	return s
}

const twinFront = "order: 3\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47950]}]\n"

func TestLoadTwin(t *testing.T) {
	ls, err := lessons.Load(fstest.MapFS{
		"03-x.md":    {Data: []byte(twinSrc("English", twinFront, "a", "b"))},
		"03-x.zh.md": {Data: []byte(twinSrc("中文标题", twinFront, "a", "b"))},
		"04-y.md":    {Data: []byte(twinSrc("Only English", "order: 4\n", "a"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d lessons, want 2 (a twin is not a lesson of its own)", len(ls))
	}
	en, z := ls[0], ls[0].ZH
	if z == nil {
		t.Fatal("03-x has no ZH twin")
	}
	if en.Lang != lessons.LangEN || z.Lang != lessons.LangZH || z.Slug != "x" || z.File != "03-x.zh.md" || z.Title != "中文标题" {
		t.Errorf("en lang %q; twin lang %q slug %q file %q title %q", en.Lang, z.Lang, z.Slug, z.File, z.Title)
	}
	if en.In(lessons.LangZH) != z || en.In(lessons.LangEN) != en || ls[1].In(lessons.LangZH) != ls[1] || ls[1].ZH != nil {
		t.Error("In picks the twin for zh only, and the English lesson when there is no twin")
	}
}

func TestLoadTwinErrors(t *testing.T) {
	const en = "03-x.md"
	tests := []struct {
		name, twinFile, twin string
		want                 []string
	}{
		{"no English lesson", "05-z.zh.md", twinSrc("T", "order: 5\n", "a"),
			[]string{"05-z.zh.md: a Chinese twin needs its English lesson 05-z.md"}},
		{"other NN", "04-x.zh.md", twinSrc("T", twinFront, "a", "b"),
			[]string{"04-x.zh.md: a Chinese twin needs its English lesson 04-x.md"}},
		{"other order", "03-x.zh.md", twinSrc("T", "order: 9\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47950]}]\n", "a", "b"),
			[]string{"03-x.zh.md:1: order is 9, its English lesson 03-x.md has 3"}},
		{"other peers", "03-x.zh.md", twinSrc("T", "order: 3\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47951]}]\n", "a", "b"),
			[]string{"03-x.zh.md:1: peers differ from its English lesson 03-x.md"}},
		{"other network", "03-x.zh.md", twinSrc("T", twinFront+"network: lab\n", "a", "b"),
			[]string{`03-x.zh.md:1: network is "lab", its English lesson 03-x.md has ""`}},
		{"other cell order", "03-x.zh.md", twinSrc("T", twinFront, "b", "a"),
			[]string{`03-x.zh.md:8: cell 1 is "b", in its English lesson 03-x.md it is "a" (03-x.md:8)`}},
		{"other cell id", "03-x.zh.md", twinSrc("T", twinFront, "a", "c"),
			[]string{`03-x.zh.md:15: cell 2 is "c", in its English lesson 03-x.md it is "b" (03-x.md:15)`}},
		{"cell missing", "03-x.zh.md", twinSrc("T", twinFront, "a"),
			[]string{`03-x.zh.md: cell "b" (03-x.md:15) is missing`}},
		{"cell added", "03-x.zh.md", twinSrc("T", twinFront, "a", "b", "c"),
			[]string{`03-x.zh.md:22: cell "c" is not in its English lesson 03-x.md`}},
		{"run block missing", "03-x.zh.md", twinSrc("T", twinFront, "a", "b"),
			nil}, // replaced below: the English lesson gets a python run block
		{"bad twin name", "03-X.zh.md", twinSrc("T", twinFront, "a", "b"),
			[]string{"03-X.zh.md: a lesson file is named NN-slug.md (or NN-slug.zh.md"}},
		{"twin's own error", "03-x.zh.md", twinSrc("T", "order: x\n", "a", "b"),
			[]string{`03-x.zh.md:4: order must be an integer, got "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enSrc := twinSrc("T", twinFront, "a", "b")
			if tt.want == nil {
				enSrc += "```python run\nprint(2)\n```\n"
				tt.want = []string{"03-x.zh.md: it has 0 python run blocks, its English lesson 03-x.md has 1"}
			}
			ls, err := lessons.Load(fstest.MapFS{en: {Data: []byte(enSrc)}, tt.twinFile: {Data: []byte(tt.twin)}})
			if err == nil {
				t.Fatalf("no error (%d lessons), want %q", len(ls), tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant %d:\n%s", err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %q, want it to start with %q", got[i], w)
				}
			}
			var le *lessons.Error
			if !errors.As(err, &le) || le.File != tt.twinFile {
				t.Errorf("error %v is not a *lessons.Error for %s", err, tt.twinFile)
			}
		})
	}
}

// TestEveryLessonHasChineseTwin: every built-in lesson has its Chinese twin
// NN-slug.zh.md (issue 14). The loader already checks that a twin has the
// same order, peers, network and cells; the content tests
// (web: TestLessonContent/zh, TestLessonCellsInBrowser/zh) run its cells.
func TestEveryLessonHasChineseTwin(t *testing.T) {
	t.Skip("enabled at merge: the lead deletes this line once zh1, zh2 and curric have landed every lesson's .zh.md twin")
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ZH == nil {
			t.Errorf("%s has no Chinese twin %s", l.File, strings.TrimSuffix(l.File, ".md")+".zh.md")
		}
	}
}

// TestChineseLineBreaks: a paragraph of a Chinese twin written on several
// lines renders without a space between Chinese characters (a browser
// shows a line break as one); English keeps its line breaks, and a break
// next to a Latin word stays.
func TestChineseLineBreaks(t *testing.T) {
	body := "\n第一行的结尾\n第二行用 `recv`\n接收。\n\none\ntwo\n"
	ls, err := lessons.Load(fstest.MapFS{
		"03-x.md":    {Data: []byte(twinSrc("English", twinFront, "a") + body)},
		"03-x.zh.md": {Data: []byte(twinSrc("中文", twinFront, "a") + body)},
	})
	if err != nil {
		t.Fatal(err)
	}
	html := ls[0].ZH.HTML
	for _, want := range []string{"第一行的结尾第二行用", "<code>recv</code>\n接收。", "one\ntwo"} {
		if !strings.Contains(html, want) {
			t.Errorf("the twin's HTML has no %q:\n%s", want, html)
		}
	}
}
