package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// inViewport is a JavaScript expression: whether every element selector
// matches (at least one) lies wholly inside the window, unhidden.
func inViewport(selector string) string {
	return fmt.Sprintf(`(() => {
		const els = [...document.querySelectorAll(%q)];
		return els.length > 0 && els.every((el) => {
			const r = el.getBoundingClientRect();
			return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
				r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
		});
	})()`, selector)
}

// settledInViewport waits (up to 10 s) for selector's elements to be in
// the window: the view scrolls a step into place and cards appear after the
// step itself, so the layout may still move when the step is shown.
func settledInViewport(p page, selector string) bool {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Do(ctx, waitJS(inViewport(selector), chromedp.WithPollingInterval(50*time.Millisecond))) == nil
}

// boxes describes where selector's elements are, for a failure message.
func boxes(p page, selector string) string {
	return eval[string](p, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%q)].map((el) => {
		const r = el.getBoundingClientRect();
		return [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)];
	})) + ' in ' + innerWidth + 'x' + innerHeight`, selector))
}

// TestProjectorView opens the fixture lesson in the projector view at
// 1024×768, runs a step, and checks that the step (its text, code and
// output) and the card of the socket it is about are all in the first
// screen, with nothing to scroll; then moves to the next step, changes the
// font size, and checks the view and the size are remembered.
func TestProjectorView(t *testing.T) {
	ls := fixtureLessons(t)
	l := ls[0]
	srv := newCellsServer(t, ls, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	url := srv.URL + "/lessons/" + l.Slug

	p.do("open the lesson in the projector view at 1024×768",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(url+"?view=projector"), live,
		chromedp.WaitVisible(chromedp.CSS(`html.projector #cell-udp.current-step`)))
	p.do("run the first step",
		chromedp.Click(chromedp.CSS(`#cell-udp [data-run-cell]`)), cellEnded("udp"),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card.highlighted`)))
	p.shot("projector")
	if got := eval[string](p, `document.getElementById('cell-udp').dataset.state`); got != "ok" {
		t.Fatalf("the udp cell ended %q, want ok", got)
	}
	for _, sel := range []string{
		`#cell-udp`, `#cell-udp [data-cell-code]`, `#cell-udp [data-cell-output]`,
		`.lesson-body > .step-part:not(section)`, // the text the step is about
		`.sock-card.highlighted`, `.sock-card.highlighted [data-field="laddr"]`,
		`#projector-step`, `#status`,
	} {
		if !settledInViewport(p, sel) {
			t.Errorf("%s is not inside the 1024×768 window: %s", sel, boxes(p, sel))
		}
	}
	if n := eval[int](p, `document.querySelectorAll('.sock-card.highlighted').length`); n != 2 {
		t.Errorf("%d highlighted cards, want the step's 2 sockets (rx, tx)", n)
	}
	if eval[bool](p, `document.scrollingElement.scrollHeight > innerHeight + 1`) {
		t.Errorf("the projector page is %v px high in a 768 px window: it scrolls", eval[float64](p, `document.scrollingElement.scrollHeight`))
	}
	if got := eval[string](p, `document.getElementById('projector-step').textContent`); !strings.HasPrefix(got, fmt.Sprintf("Step 1 of %d", len(l.Cells))) {
		t.Errorf("step label %q, want Step 1 of %d", got, len(l.Cells))
	}
	// The other steps' cells and text are not shown.
	if eval[bool](p, `[...document.querySelectorAll('section.cell:not(#cell-udp)')].some((c) => c.getClientRects().length > 0)`) {
		t.Errorf("other steps' cells are shown in the projector view")
	}

	p.do("the next step", chromedp.Click(chromedp.CSS(`button[data-step-move="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cell-in-use.current-step`)))
	if !settledInViewport(p, `#cell-in-use`) || eval[bool](p, `document.getElementById('cell-udp').getClientRects().length > 0`) {
		t.Errorf("after ▶ the in-use step is not the one shown: %s", boxes(p, `#cell-in-use`))
	}
	if got := eval[string](p, `location.hash`); got != "#cell-in-use" {
		t.Errorf("URL hash %q after ▶, want #cell-in-use", got)
	}

	size := func() float64 {
		return eval[float64](p, `parseFloat(getComputedStyle(document.documentElement).fontSize)`)
	}
	before := size()
	p.do("larger text", chromedp.Click(chromedp.CSS(`button[data-projector-font="1"]`)))
	if after := size(); after <= before {
		t.Errorf("font size %v after A+, want more than %v", after, before)
	}
	larger := size()
	p.do("reload without ?view", chromedp.Navigate(url), live,
		chromedp.WaitVisible(chromedp.CSS(`html.projector section.cell.current-step`)))
	if got := size(); got != larger {
		t.Errorf("font size %v after a reload, want the chosen %v", got, larger)
	}
	p.do("leave the projector view", chromedp.Click(chromedp.CSS(`#projector-toggle`)),
		chromedp.WaitNotPresent(chromedp.CSS(`html.projector`)))
	if got := eval[string](p, `document.getElementById('projector-toggle').getAttribute('aria-pressed')`); got != "false" {
		t.Errorf("toggle aria-pressed %q in the ordinary view", got)
	}
	p.do("reload", chromedp.Reload(), live)
	if eval[bool](p, `document.documentElement.classList.contains('projector')`) {
		t.Errorf("the projector view came back after leaving it and reloading")
	}
}

// TestLessonLayout1024 checks the ordinary lesson page at 1024×768: the
// text and the workbench stay side by side, and as the learner runs the
// cells down the page, the workbench column and the card each cell is
// about stay in the window.
func TestLessonLayout1024(t *testing.T) {
	ls := fixtureLessons(t)
	l := ls[0]
	srv := newCellsServer(t, ls, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the lesson at 1024×768",
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(srv.URL+"/lessons/"+l.Slug),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	if eval[bool](p, `document.documentElement.classList.contains('projector')`) {
		t.Fatalf("the ordinary view opened as the projector view")
	}
	if y := eval[float64](p, `scrollY`); y != 0 {
		t.Errorf("the lesson opened scrolled %v px down, want its top", y)
	}
	if !eval[bool](p, `document.querySelector('.lesson-bench').getBoundingClientRect().left >= document.querySelector('.lesson').getBoundingClientRect().right`) {
		t.Fatalf("at 1024 px the workbench is not beside the lesson: bench %s, lesson %s", boxes(p, `.lesson-bench`), boxes(p, `.lesson`))
	}
	runCellsOnPage(p, l)
	last := l.Cells[len(l.Cells)-1].ID
	p.do("scroll to the last cell and run it again",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('cell-`+last+`').scrollIntoView({block: 'start'})`),
		chromedp.Click(chromedp.CSS(`#cell-`+last+` [data-run-cell]`)), cellEnded(last),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card.highlighted`)))
	p.shot("layout")
	if y := eval[float64](p, `scrollY`); y < 500 {
		t.Fatalf("the page is scrolled %v px, want the last cell far down the lesson", y)
	}
	for _, sel := range []string{`#cell-` + last + ` [data-run-cell]`, `#cell-` + last + ` [data-cell-output]`, `.lesson-bench`, `.sock-card.highlighted .card-head`} {
		if !settledInViewport(p, sel) {
			t.Errorf("%s is not inside the 1024×768 window after running the last cell: %s", sel, boxes(p, sel))
		}
	}
}

// TestProjectorEveryStep walks every step of every built-in lesson in the
// projector view at 1024×768 (with ▶, as an instructor would): each
// step's cell — its code and its buttons — and the text just before it
// are in the window, and the page never scrolls.
func TestProjectorEveryStep(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	p := page{t: t, ctx: newBrowser(t)}
	p.do("a 1024×768 window", chromedp.EmulateViewport(1024, 768))
	for _, l := range ls {
		p.do("open "+l.Slug, chromedp.Navigate(srv.URL+"/lessons/"+l.Slug+"?view=projector"),
			chromedp.WaitVisible(chromedp.CSS(`html.projector section.cell.current-step`)))
		for i, c := range l.Cells {
			if i > 0 {
				p.do(l.Slug+": ▶", chromedp.Click(chromedp.CSS(`button[data-step-move="1"]`)),
					chromedp.WaitVisible(chromedp.CSS(`#cell-`+c.ID+`.current-step`)))
			}
			cell := `#cell-` + c.ID
			for _, sel := range []string{cell + ` .cell-head`, cell + ` [data-cell-code]`, cell + ` [data-run-cell]`, `#workbench .sockets-pane`} {
				if !settledInViewport(p, sel) {
					p.shot(c.ID)
					t.Errorf("%s, step %s: %s is not inside the window: %s", l.Slug, c.ID, sel, boxes(p, sel))
				}
			}
			// The text just before the cell, when there is some, shows its end.
			if eval[bool](p, `(() => { const prev = document.getElementById('cell-`+c.ID+`').previousElementSibling; return !!prev && prev.classList.contains('step-part') && !prev.matches('section.cell'); })()`) &&
				!eval[bool](p, `(() => { const r = document.getElementById('cell-`+c.ID+`').previousElementSibling.getBoundingClientRect(); return r.bottom > 0 && r.bottom <= innerHeight; })()`) {
				t.Errorf("%s, step %s: the text before the cell is out of sight: %s, the cell %s", l.Slug, c.ID,
					eval[string](p, `JSON.stringify(document.getElementById('cell-`+c.ID+`').previousElementSibling.getBoundingClientRect())`), boxes(p, cell))
			}
		}
		if eval[bool](p, `document.scrollingElement.scrollHeight > innerHeight + 1`) {
			t.Errorf("%s: the projector page scrolls", l.Slug)
		}
	}
}
