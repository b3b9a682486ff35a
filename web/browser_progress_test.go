package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// fetchText fetches path from the page (with its cookies) and returns the
// body.
func fetchText(p page, path string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+quoteJS(path)+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("fetch %s: %v", path, err)
	}
	return s
}

func quoteJS(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// waitProgress fetches /progress until it holds want.
func waitProgress(p page, want string) {
	p.t.Helper()
	deadline := time.Now().Add(browserStep)
	for !strings.Contains(fetchText(p, "/progress"), want) {
		if time.Now().After(deadline) {
			p.t.Fatalf("/progress never showed %q", want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProgressBrowser: on a server that saves progress, a cell that passes
// in Chromium is saved on the server (not in localStorage), and shows as
// done after a reload with an empty localStorage; a pass kept in
// localStorage while the server was away is sent on the next page load.
func TestProgressBrowser(t *testing.T) {
	newCellsServer(t, fixtureLessons(t), sessions.Config{}) // skips here where programs cannot run
	srv, _ := progressServer(t)
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	url := srv.URL + "/lessons/runner-fixture"

	p.do("open the lesson", chromedp.Navigate(url), live)
	p.do("start the peers",
		chromedp.Click(chromedp.CSS("#start-peers")),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-peers:is([data-state="ok"], [data-state="fail"])`)))
	p.do("run the UDP cell", chromedp.Click(chromedp.CSS(`#cell-udp [data-run-cell]`)), cellEnded("udp"))
	if state := eval[string](p, `document.getElementById('cell-udp').dataset.state`); state != "ok" {
		t.Fatalf("the UDP cell: %s, want ok", state)
	}
	waitProgress(p, `data-lesson="runner-fixture" data-read="true" data-passed="1"`)
	if n := eval[int](p, `Object.keys(localStorage).filter(k => k.startsWith('sockplay.step.')).length`); n != 0 {
		t.Errorf("%d passes in localStorage, want none: the server took the pass", n)
	}

	p.do("reload with an empty localStorage",
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`), chromedp.Reload(), live)
	if got := eval[[]string](p, `[...document.querySelectorAll('#lesson section.cell')].map(s => s.dataset.done ?? '')`); strings.Join(got, " ") != "true    " {
		t.Errorf("cells marked done after a reload: %q, want the udp cell only", got)
	}

	// A pass kept in this browser (the server was away) goes to the server
	// on the next page load, and leaves localStorage.
	p.do("a pass kept in localStorage, then a page load",
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem('sockplay.step.runner-fixture.in-use', new Date().toISOString())`),
		chromedp.Reload(), live,
		waitJS(`localStorage.getItem('sockplay.step.runner-fixture.in-use') === null`))
	waitProgress(p, `data-lesson="runner-fixture" data-read="true" data-passed="2"`)

	p.do("the index", chromedp.Navigate(srv.URL+"/lessons"),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-item[data-lesson="runner-fixture"] .lesson-read`)))
	if got := eval[string](p, `document.querySelector('.lesson-item[data-lesson="runner-fixture"] [data-progress]').textContent`); got != "2 of 5 cells passed" {
		t.Errorf("index progress %q, want 2 of 5 cells passed", got)
	}
	p.do("the progress page", chromedp.Click(chromedp.CSS(`nav a[href="/progress"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#progress[data-saved="true"]`)))
	p.shot("progress")
}
