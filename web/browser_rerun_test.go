package web_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/lessons"
)

// openCards lists the handles of the workbench's socket cards that are
// not closed, in the page's order.
const openCards = `[...document.querySelectorAll('.sock-card:not([data-state="CLOSED"])')].map(e => e.dataset.sock)`

// create is lesson 1's first socket-making cell.
const create = `#cell-create`

// lesson1Created opens lesson 1's page in lang ("" English) on a server
// that runs cells, runs its create cell once, and returns the page with
// the open cards it made.
func lesson1Created(t *testing.T, lang string) (page, []string) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newCellsServer(t, ls, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	url := srv.URL + "/lessons/sockets-addresses-ports"
	if lang != "" {
		url += "?lang=" + lang
	}
	p.do("open lesson 1 and run its first cell",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS(create+` [data-run-cell]`)),
		cellEnded("create"),
		waitJS(`document.querySelectorAll('.sock-card').length === 3`))
	return p, eval[[]string](p, openCards)
}

// TestCellRerunInBrowser: on lesson 1's page, running its first
// socket-making cell (create) again with the Run button closes the three sockets
// the first run made (their cards turn CLOSED) before making three new
// ones, so the open cards do not grow, and the cell's output starts with
// the note naming them (and the log says so); a later cell uses the new
// sockets; a cell that makes no socket, run again, gets no note.
func TestCellRerunInBrowser(t *testing.T) {
	p, first := lesson1Created(t, "")
	output := func(cell string) string {
		return eval[string](p, `document.querySelector('#cell-`+cell+` [data-cell-output]').textContent`)
	}
	if len(first) != 3 || strings.Contains(output("create"), "# re-run") {
		t.Fatalf("after the first run: open cards %v, output %q", first, output("create"))
	}

	// Run it again: three new cards, the first three closed, and the note.
	p.do("run the cell again",
		chromedp.Click(chromedp.CSS(create+` [data-run-cell]`)),
		waitJS(`document.querySelector('`+create+` [data-cell-output]').textContent.startsWith('# re-run')`),
		cellEnded("create"),
		waitJS(`document.querySelectorAll('.sock-card').length === 6`))
	p.do("the first run's cards close", waitJS(openCards+`.length <= 3`))
	if got := eval[[]string](p, openCards); len(got) != len(first) {
		t.Errorf("open cards after the re-run: %v, want %d (the first run's %v closed)", got, len(first), first)
	}
	out := output("create")
	note := "# re-run: closed " + strings.Join(first, ", ") + " made by the previous run of this cell\n"
	if !strings.HasPrefix(out, note) || !strings.Contains(out, "UDP:  ('0.0.0.0', 0)") {
		t.Errorf("the re-run printed %q, want the note %q and then the cell's output", out, note)
	}
	p.do("the log says what the re-run closed", waitJS(
		`[...document.querySelectorAll('.log-entry.cell-entry')].some(e => e.textContent.includes(`+jsString("a re-run: first closed "+strings.Join(first, ", "))+`))`))
	if state := eval[string](p, `document.querySelector('`+create+`').dataset.state`); state != "ok" {
		t.Errorf("the re-run's state %q, want ok", state)
	}

	// The next cell binds the new udp; run again it raises (already bound)
	// and, having made no socket, has no note.
	p.do("bind", chromedp.Click(chromedp.CSS(`#cell-bind [data-run-cell]`)), cellEnded("bind"))
	if out := output("bind"); !strings.HasPrefix(out, "('127.0.0.1', ") {
		t.Errorf("bind printed %q", out)
	}
	if got := eval[[]string](p, openCards); len(got) != 3 || slices.ContainsFunc(got, func(h string) bool { return slices.Contains(first, h) }) {
		t.Errorf("open cards after bind: %v, want three, none of %v", got, first)
	}
	p.do("bind again",
		chromedp.Click(chromedp.CSS(`#cell-bind [data-run-cell]`)),
		waitJS(`document.querySelector('#cell-bind').dataset.state === 'fail'`))
	if out := output("bind"); strings.Contains(out, "# re-run") || !strings.Contains(out, "Invalid argument") {
		t.Errorf("bind run again printed %q, want EINVAL and no note", out)
	}
}

// TestCellRerunInBrowserChinese: on lesson 1's Chinese page, the cells
// run in a Chinese kernel, so a re-run's note is Chinese too, naming the
// sockets the first run made; the log says it in Chinese.
func TestCellRerunInBrowserChinese(t *testing.T) {
	p, first := lesson1Created(t, "zh")
	p.do("run the cell again",
		chromedp.Click(chromedp.CSS(create+` [data-run-cell]`)),
		waitJS(`document.querySelector('`+create+` [data-cell-output]').textContent.startsWith('# ')`),
		cellEnded("create"))
	out := eval[string](p, `document.querySelector('`+create+` [data-cell-output]').textContent`)
	if note := "# 重新运行：已关闭这个单元格上次运行时创建的 " + strings.Join(first, "、") + "\n"; !strings.HasPrefix(out, note) {
		t.Errorf("the re-run printed %q, want it to start with %q", out, note)
	}
	p.do("the log says what the re-run closed, in Chinese", waitJS(
		`[...document.querySelectorAll('.log-entry.cell-entry')].some(e => e.textContent.includes(`+jsString("这是重新运行：先关闭了 ")+`))`))
}
