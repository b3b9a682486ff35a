package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// TestLessonPageBrowser drives the fixture lesson's page in Chromium: its
// peers, each cell run as a learner would, the done marks after a reload and
// on the index, the Copy button and a deep link to a cell.
func TestLessonPageBrowser(t *testing.T) {
	ls := fixtureLessons(t)
	l := ls[0]
	srv := newCellsServer(t, ls, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	url := srv.URL + "/lessons/" + l.Slug

	p.do("open the lesson", chromedp.Navigate(url), live)
	if got := eval[int](p, `document.querySelectorAll('#lesson section.cell').length`); got != len(l.Cells) {
		t.Fatalf("%d cells on the page, want %d", got, len(l.Cells))
	}
	if n := eval[int](p, `document.querySelectorAll('#lesson section.step, [data-step-lines]').length`); n != 0 {
		t.Errorf("%d step elements on the page, want none", n)
	}

	p.do("start the peers",
		chromedp.Click(chromedp.CSS("#start-peers")),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-peers:is([data-state="ok"], [data-state="fail"])`)))
	if got := eval[[]string](p, `[...document.querySelectorAll('#peer-results .peer-line')].map(e => e.dataset.state)`); len(got) != 1 || got[0] != "ok" {
		t.Errorf("peer lines %v, want [ok]", got)
	}
	if got := eval[string](p, `document.querySelector('#peer-results .peer-line .line-request').textContent`); got != "udp-echo on 127.0.0.1:56000" {
		t.Errorf("the peer line says %q, want the peer's name and address", got)
	}
	p.shot("peers")

	runCellsOnPage(p, l)

	p.do("reload", chromedp.Reload(), live)
	want := strings.TrimSpace(strings.Repeat("true ", len(l.Cells)))
	if got := eval[[]string](p, `[...document.querySelectorAll('#lesson section.cell')].map(s => s.dataset.done ?? '')`); strings.Join(got, " ") != want {
		t.Errorf("cells marked done after a reload: %v, want all", got)
	}

	p.do("copy the Python", chromedp.Click(chromedp.CSS(`.py-block[data-run] [data-copy-code]`)),
		chromedp.WaitVisible(chromedp.CSS(`.py-block[data-run] [data-copy-status]:not(:empty)`)))

	p.do("the index", chromedp.Navigate(srv.URL+"/lessons"),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-item[data-lesson="`+l.Slug+`"][data-done="true"]`)))
	if got := eval[string](p, `document.querySelector('.lesson-item[data-lesson="`+l.Slug+`"] [data-progress]').textContent`); got != "done ✓" {
		t.Errorf("index progress %q, want done ✓", got)
	}
	p.shot("index")

	p.do("a deep link", chromedp.Navigate(url+"#cell-connect"), live,
		chromedp.WaitVisible(chromedp.CSS(`#cell-connect.targeted`)))
	if top := eval[float64](p, `document.getElementById('cell-connect').getBoundingClientRect().top`); top < -1 || top > 200 {
		t.Errorf("#cell-connect is %v px from the top of the window, want it scrolled into view", top)
	}
	p.shot("deep-link")
}
