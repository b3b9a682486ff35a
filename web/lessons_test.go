package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// This file holds the content test: every cell of every built-in lesson,
// and every `python run` block, against a real server.

// spawnSupported asks the server whether it knows the spawn op.
func spawnSupported(c *client) (bool, string) {
	r := c.do("spawn", map[string]any{})
	e := r.obj("error")
	if !r.ok() && e.str("type") == "bad_request" && strings.Contains(e.str("message"), "unknown op") {
		return false, e.str("message")
	}
	return true, ""
}

// runLesson is the content test of one lesson: start its peers, run its
// cells, run its python run blocks.
func runLesson(t *testing.T, l *lessons.Lesson, base sessions.Config) {
	cfg, wire := kernelConfig(t)
	base.Programs, base.Channel = cfg.Programs, cfg.Channel // the profile's network, the kernel's programs
	srv := newServer(t, base)
	wire(srv)
	c := srv.dial(t)
	defer c.use(t)()
	spawnOK, why := spawnSupported(c)
	notYet := fmt.Sprintf("the server does not know spawn yet (%s): another engineer is adding spawn/kill and sockets/peers", why)

	peersStarted := t.Run("peers", func(t *testing.T) {
		defer c.use(t)()
		if len(l.Peers) == 0 {
			return
		}
		if !spawnOK {
			t.Skip(notYet)
		}
		for _, p := range l.Peers {
			if r := c.do("spawn", p.Request()); !r.ok() {
				hint := ""
				if r.obj("error").str("errno") == "EADDRINUSE" {
					hint = " (is another test run, or another program, using the lesson's fixed ports?)"
				}
				t.Fatalf("%s: peers: spawn %v: %v%s", l.File, p.Request(), r["error"], hint)
			}
		}
	})
	peersRunning := len(l.Peers) == 0 || spawnOK && peersStarted

	if len(l.Cells) > 0 {
		t.Run("cells", func(t *testing.T) {
			if !peersRunning {
				t.Skip("the lesson's peers did not start (see the peers test)")
			}
			runLessonCells(t, srv, c, l, base.Private != nil)
		})
	}

	t.Run("python", func(t *testing.T) {
		for i, b := range l.Python {
			if !b.Run {
				continue
			}
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				switch {
				case !spawnOK && len(l.Peers) > 0:
					t.Skip(notYet)
				case !peersRunning:
					t.Skip("the lesson's peers did not start (see the peers test)")
				}
				where := fmt.Sprintf("%s:%d", l.File, b.Line)
				if base.Private != nil {
					// The lesson's peers live in the session's own network:
					// its closing program runs there too, through op run.
					defer c.use(t)()
					runSessionPython(t, c, where, b.Code)
					return
				}
				runPython(t, where, b.Code)
			})
		}
	})
}

// runPython runs a lesson's closing program with python3: it must exit 0
// within pythonTimeout and print something.
func runPython(t *testing.T, where, code string) {
	path := pythonPath(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "lesson.py")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, file)
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: the program did not finish within %v; stdout:\n%s\nstderr:\n%s", where, pythonTimeout, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("%s: %v; stdout:\n%s\nstderr:\n%s", where, err, stdout.String(), stderr.String())
	}
	if strings.TrimSpace(stdout.String()) == "" {
		t.Errorf("%s: the program printed nothing; a closing program shows that it worked", where)
	}
}

// runSessionPython runs a lesson's closing program in c's session (op run,
// sandboxed, with sockplay's socket module): it must exit 0 and print
// something, as runPython's.
func runSessionPython(t *testing.T, c *client, where, code string) {
	stdout, stderr, exit := c.programOutput(c.run(code))
	if _, ok := exit["code"]; !ok || exit.num("code") != 0 {
		t.Fatalf("%s: the program ended %v; stdout:\n%s\nstderr:\n%s", where, exit, stdout, stderr)
	}
	if strings.TrimSpace(stdout) == "" {
		t.Errorf("%s: the program printed nothing; a closing program shows that it worked", where)
	}
}

// TestLessonContent is THE content test: every built-in lesson's peers,
// cells and python run blocks, each against a fresh real server.
func TestLessonContent(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Skip("no built-in lessons yet")
	}
	eachLanguage(t, ls, func(t *testing.T, l *lessons.Lesson) {
		bothProfiles(t, l, func(t *testing.T, cfg sessions.Config) { runLesson(t, l, cfg) })
	})
}

// eachLanguage runs test on every lesson of ls in each language, as
// subtests en/<slug> (the English lessons) and zh/<slug> (their Chinese
// twins, NN-slug.zh.md; a lesson without one has no zh subtest). So
// -run 'TestLessonContent/zh' runs the Chinese lessons only, and
// -run 'TestLessonContent/zh/sticky-packets' one of them.
func eachLanguage(t *testing.T, ls []*lessons.Lesson, test func(t *testing.T, l *lessons.Lesson)) {
	for _, lang := range []string{lessons.LangEN, lessons.LangZH} {
		t.Run(lang, func(t *testing.T) {
			for _, l := range ls {
				if l.In(lang).Lang != lang {
					continue
				}
				t.Run(l.Slug, func(t *testing.T) { test(t, l.In(lang)) })
			}
		})
	}
}

// bothProfiles runs a lesson's test on both network profiles: a lab
// lesson as forProfiles does, any other on this machine's network (host)
// and in a private network of its own (private), where the kernel allows
// namespaces (skipped otherwise, except under CI=true).
func bothProfiles(t *testing.T, l *lessons.Lesson, run func(t *testing.T, cfg sessions.Config)) {
	if l.Network == lessons.NetworkLab {
		forProfiles(t, l, run)
		return
	}
	t.Run("host", func(t *testing.T) { run(t, sessions.Config{}) })
	t.Run("private", func(t *testing.T) {
		cfg, _ := privateConfig(t)
		run(t, cfg)
	})
}

// forProfiles runs a lesson's test with the servers it needs: a lesson
// with network lab on both network profiles, each able to build labs (its
// subtests host and private; where the kernel refuses namespaces they are
// skipped, except under CI=true); any other lesson on this machine's
// network.
func forProfiles(t *testing.T, l *lessons.Lesson, run func(t *testing.T, cfg sessions.Config)) {
	if l.Network != lessons.NetworkLab {
		run(t, sessions.Config{})
		return
	}
	t.Run("host", func(t *testing.T) {
		_, h := privateConfig(t)
		run(t, sessions.Config{Labs: h.New})
	})
	t.Run("private", func(t *testing.T) {
		cfg, _ := privateConfig(t)
		run(t, cfg)
	})
}

// fixtureLessons loads web/testdata/lessons.
func fixtureLessons(t testing.TB) []*lessons.Lesson {
	t.Helper()
	ls, err := lessons.LoadDir(filepath.Join("testdata", "lessons"))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestLessonFixture runs the fixture lesson that the page and progress tests
// use, whose cells use each kind of check line once.
func TestLessonFixture(t *testing.T) {
	for _, l := range fixtureLessons(t) {
		t.Run(l.Slug, func(t *testing.T) { runLesson(t, l, sessions.Config{}) })
	}
}

// TestLessonPages: the index links every lesson, each lesson page answers
// with its cells and the embedded workbench, an unknown slug is a 404 page.
func TestLessonPages(t *testing.T) {
	builtin, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := lessons.Merge(builtin, fixtureLessons(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
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

	code, index := get("/lessons")
	if code != http.StatusOK {
		t.Fatalf("/lessons: %d", code)
	}
	for _, l := range ls {
		if want := `href="/lessons/` + l.Slug + `"`; !strings.Contains(index, want) {
			t.Errorf("/lessons lacks %s", want)
		}
	}
	if _, home := get("/"); !strings.Contains(home, `href="/lessons"`) {
		t.Errorf("the home page does not link /lessons")
	}

	for i, l := range ls {
		t.Run(l.Slug, func(t *testing.T) {
			code, page := get("/lessons/" + l.Slug)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			want := []string{
				`<div class="lesson-page" id="lesson" data-lesson="` + l.Slug + `">`,
				`data-embedded`,
				`<script type="module" src="/static/`,
				`/js/lesson.js"></script>`,
				`<script id="lesson-peers" type="application/json">`,
			}
			for _, c := range l.Cells {
				want = append(want, `<section class="cell" id="cell-`+c.ID+`" data-cell="`+c.ID+`"`)
			}
			if i > 0 {
				want = append(want, `rel="prev" href="/lessons/`+ls[i-1].Slug+`"`)
			}
			if i+1 < len(ls) {
				want = append(want, `rel="next" href="/lessons/`+ls[i+1].Slug+`"`)
			}
			if len(l.Peers) > 0 {
				want = append(want, `id="start-peers"`)
			}
			if hasNote := strings.Contains(page, `data-network="lab"`); hasNote != (l.Network == lessons.NetworkLab) {
				t.Errorf("page says it needs a lab: %v, front matter network %q", hasNote, l.Network)
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %s", w)
				}
			}
		})
	}

	code, page := get("/lessons/no-such-lesson")
	if code != http.StatusNotFound || !strings.Contains(page, "There is no lesson at this address.") {
		t.Errorf("unknown slug: %d %.200q, want 404 and the not-found page", code, page)
	}
}
