package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// scriptText is what the page's scripts show for their catalog key in
// lang (templates/i18n), its {name}s filled from args (name, value, …), as
// static/js/i18n.js's t fills them.
func scriptText(lang, key string, args ...string) string {
	m, ok := i18n.ScriptCatalog()[key]
	if !ok {
		panic("no script message " + key)
	}
	s := m.EN
	if lang == i18n.ZH {
		s = m.ZH
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// cellEnded waits until a cell's run has ended, as the lesson wants or not.
func cellEnded(id string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`#cell-` + id + `:is([data-state="ok"], [data-state="fail"])`))
}

// runCellsOnPage clicks each cell's Run as a learner would (the twin of
// runCells: the next once the one before ended, or waits when the lesson
// means it to, and once the cells it ends have ended), then checks that each
// cell passed on the page and printed what its check wants.
func runCellsOnPage(p page, l *lessons.Lesson) {
	p.t.Helper()
	for _, c := range l.Cells {
		released := cellEnded(c.ID)
		if c.Check.Waits || c.Check.StillWaiting {
			released = chromedp.WaitVisible(chromedp.CSS(`#cell-` + c.ID + `:is([data-state="waiting"], [data-state="ok"], [data-state="fail"])`))
		}
		steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`#cell-` + c.ID + ` [data-run-cell]`)), released}
		for _, id := range c.Check.Ends {
			steps = append(steps, cellEnded(id))
		}
		p.do("run "+c.ID, steps...)
	}
	for _, c := range l.Cells {
		if c.Check.StillWaiting {
			continue
		}
		p.do("end of "+c.ID, cellEnded(c.ID))
		state := eval[string](p, `document.getElementById('cell-`+c.ID+`').dataset.state`)
		out := eval[string](p, `document.querySelector('#cell-`+c.ID+` [data-cell-output]').textContent`)
		status := eval[string](p, `document.querySelector('#cell-`+c.ID+` [data-cell-status]').textContent`)
		if state != "ok" || !strings.HasPrefix(status, "✓") {
			p.shot(c.ID)
			p.t.Errorf("%s:%d: cell %s: state %q, status %q on the page; its output:\n%s", l.File, c.Line, c.ID, state, status, out)
			continue
		}
		printed := lessons.Check{Prints: c.Check.Prints, Matches: c.Check.Matches}
		if ok, why := printed.Passes(true, true, "", false, out); !ok {
			p.t.Errorf("%s:%d: cell %s on the page: %s; its output:\n%s", l.File, c.Line, c.ID, why, out)
		}
	}
}

// newCellsServer is a server of the lessons whose sessions run the cell
// kernel, on base's network (a profile of forProfiles); it skips the test
// where programs cannot run (never under CI).
func newCellsServer(t *testing.T, ls []*lessons.Lesson, base sessions.Config) *testServer {
	t.Helper()
	cfg, wire := kernelConfig(t)
	if err := cfg.Programs.Available(); err != nil {
		skipOrFail(t, "programs cannot run on this machine: "+err.Error())
	}
	base.Programs, base.Channel = cfg.Programs, cfg.Channel
	srv := newServer(t, base, web.WithLessons(ls))
	wire(srv)
	return srv
}

// TestLessonCellsInBrowser runs every cell of every converted lesson in
// Chromium with the page's own runner (lesson.js, cells.js) on the
// session's sandboxed kernel, as a learner clicking Run down the page
// would, and checks what each printed. Lesson 7 also shows the waiting
// cell: "accept waits; now connect" as it reads, the waiting cell's socket
// highlighted on the workbench, Shift+Enter and Reset.
func TestLessonCellsInBrowser(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	newCellsServer(t, ls, sessions.Config{}) // skips here where programs cannot run
	ctx := newBrowser(t)
	eachLanguage(t, ls, func(t *testing.T, l *lessons.Lesson) {
		if len(l.Cells) == 0 {
			return
		}
		forProfiles(t, l, func(t *testing.T, cfg sessions.Config) { cellsOnPage(t, ctx, ls, l, cfg) })
	})
}

// cellsOnPage opens a lesson on a server of its own (a session of its own:
// peers are limited per session) and runs its cells as a learner would.
func cellsOnPage(t *testing.T, ctx context.Context, ls []*lessons.Lesson, l *lessons.Lesson, cfg sessions.Config) {
	srv := newCellsServer(t, ls, cfg)
	p := page{t: t, ctx: ctx}
	p.do("open", chromedp.Navigate(srv.URL+"/lessons/"+l.Slug+"?lang="+l.Lang),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	if len(l.Peers) > 0 {
		p.do("peers", chromedp.Click(chromedp.CSS("#start-peers")),
			chromedp.WaitVisible(chromedp.CSS(`.lesson-peers[data-state="ok"]`)))
	}
	if got := eval[string](p, `document.getElementById('lesson-title').textContent`); got != l.Title {
		t.Errorf("the page's title is %q, want %s's %q", got, l.File, l.Title)
	}
	if text := eval[string](p, `document.getElementById('lesson').innerText`); strings.Contains(text, `"op":`) {
		t.Errorf("the page of a converted lesson shows JSON requests")
	}
	if l.Slug == "tcp-connect-listen-accept" {
		waitingCell(p, l)
		return
	}
	runCellsOnPage(p, l)
}

// waitingCell drives lesson 7 by hand up to "accept waits; now connect",
// then runs the rest.
func waitingCell(p page, l *lessons.Lesson) {
	p.t.Helper()
	for _, id := range []string{"refused", "connect", "before-accept", "accept", "not-connected"} {
		p.do("run "+id, chromedp.Click(chromedp.CSS(`#cell-`+id+` [data-run-cell]`)), cellEnded(id))
	}
	if got, want := eval[string](p, `document.querySelector('#cell-refused [data-cell-status]').textContent`), scriptText(l.Lang, "lesson.raisedok", "name", "ConnectionRefusedError"); got != want {
		p.t.Errorf("refused: status %q, want %q", got, want)
	}
	// Shift+Enter in the code runs the cell, like Run.
	p.do("accept waits",
		chromedp.Click(chromedp.CSS(`#cell-accept-waits [data-cell-code]`)),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.WaitVisible(chromedp.CSS(`#cell-accept-waits[data-state="waiting"]`)))
	if got, want := eval[string](p, `document.querySelector('#cell-accept-waits [data-cell-status]').textContent`), scriptText(l.Lang, "lesson.state.waiting"); got != want {
		p.t.Errorf("accept-waits: status %q while it waits, want %q", got, want)
	}
	server := eval[string](p, `[...document.querySelectorAll('#cards .sock-card.highlighted')].map(e => e.dataset.sock).join(' ')`)
	if server == "" || strings.Contains(server, " ") {
		p.t.Errorf("while accept waits, the highlighted cards are %q, want the server's socket", server)
	}
	p.do("now connect", chromedp.Click(chromedp.CSS(`#cell-now-connect [data-run-cell]`)), cellEnded("now-connect"), cellEnded("accept-waits"))
	out := eval[string](p, `document.querySelector('#cell-accept-waits [data-cell-output]').textContent`)
	if !strings.HasPrefix(out, "accepted ('127.0.0.1', ") {
		p.t.Errorf("accept-waits printed %q after the connect", out)
	}
	// An edited cell runs as edited; Reset puts the lesson's code back.
	p.do("edit", chromedp.SetValue(chromedp.CSS(`#cell-backlog [data-cell-code]`), "print(6 * 7)\n1/0"),
		chromedp.Click(chromedp.CSS(`#cell-backlog [data-run-cell]`)), cellEnded("backlog"))
	if out := eval[string](p, `document.querySelector('#cell-backlog [data-cell-output]').textContent`); !strings.HasPrefix(out, "42\nTraceback (most recent call last):") || !strings.Contains(out, "ZeroDivisionError: division by zero") {
		p.t.Errorf("the edited cell printed %q", out)
	}
	if got, want := eval[string](p, `document.querySelector('#cell-backlog [data-cell-status]').textContent`), scriptText(l.Lang, "lesson.raised", "error", "ZeroDivisionError: division by zero"); got != want {
		p.t.Errorf("the edited cell's status %q, want %q", got, want)
	}
	p.do("reset", chromedp.Click(chromedp.CSS(`#cell-backlog [data-reset-cell]`)))
	if code := eval[string](p, `document.querySelector('#cell-backlog [data-cell-code]').value`); !strings.Contains(code, "small.listen(1)") {
		p.t.Errorf("after Reset the code is %q", code)
	}
	p.do("backlog", chromedp.Click(chromedp.CSS(`#cell-backlog [data-run-cell]`)), cellEnded("backlog"))
	if state := eval[string](p, `document.getElementById('cell-backlog').dataset.state`); state != "ok" {
		p.t.Errorf("backlog after Reset: %q", state)
	}
}

// skipOrFail skips the test, or fails it under CI.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// TestLessonCellsWithoutPython: on a server that runs no programs, a
// lesson's Run buttons are disabled and its first cell says why.
func TestLessonCellsWithoutPython(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/lessons/"+ls[0].Slug),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.cell [data-run-cell]:disabled`)))
	if n := eval[int](p, `document.querySelectorAll('[data-run-cell]:not(:disabled)').length`); n != 0 {
		t.Errorf("%d Run buttons enabled without Python", n)
	}
	if got := eval[string](p, `document.querySelector('section.cell [data-cell-status]').textContent`); !strings.Contains(got, "program") {
		t.Errorf("the first cell says %q, want the server's reason", got)
	}
}

// TestRunCellsAbove: "Run all cells above" runs a lesson's cells in order
// as the lesson test does — a waiting cell, then the cell that ends its
// wait, then the ones that use what it made — and each passes.
func TestRunCellsAbove(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var l *lessons.Lesson
	for _, x := range ls {
		if x.Slug == "udp-echo-server" {
			l = x
		}
	}
	if l == nil {
		t.Fatal("no lesson udp-echo-server")
	}
	srv := newCellsServer(t, ls, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	last := l.Cells[len(l.Cells)-1]
	p.do("open", chromedp.Navigate(srv.URL+"/lessons/"+l.Slug+"?lang="+l.Lang),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#start-peers")),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-peers[data-state="ok"]`)),
		chromedp.Click(chromedp.CSS(`#cell-`+last.ID+` [data-run-cells-above]`)))
	for _, c := range l.Cells[:len(l.Cells)-1] {
		p.do("above: "+c.ID, cellEnded(c.ID))
		if state := eval[string](p, `document.getElementById('cell-`+c.ID+`').dataset.state`); state != "ok" {
			out := eval[string](p, `document.querySelector('#cell-`+c.ID+` [data-cell-output]').textContent`)
			t.Errorf("cell %s: %s after Run all cells above; output:\n%s", c.ID, state, out)
		}
	}
	if state := eval[string](p, `document.getElementById('cell-`+last.ID+`').dataset.state`); state != "idle" {
		t.Errorf("the cell whose button it was is %q, want idle (not run)", state)
	}
}
