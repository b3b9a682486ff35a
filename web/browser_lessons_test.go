package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// stepDone waits until a step has finished its run, passed or not.
func stepDone(id string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`#step-` + id + `:is([data-state="ok"], [data-state="fail"])`))
}

// lineStates returns the data-state of each line of a step's last run.
func lineStates(p page, id string) []string {
	return eval[[]string](p, `[...document.querySelectorAll('#step-`+id+` .step-line')].map(e => e.dataset.state)`)
}

// checkStepPassed fails the test unless the step's last run passed on
// every line, showing the reasons the page gives.
func checkStepPassed(p page, id string, lines int) {
	p.t.Helper()
	state := eval[string](p, `document.getElementById('step-`+id+`').dataset.state`)
	states := lineStates(p, id)
	if state != "ok" || len(states) != lines || strings.Join(states, " ") != strings.TrimSpace(strings.Repeat("ok ", lines)) {
		why := eval[[]string](p, `[...document.querySelectorAll('#step-`+id+` .step-line')].map(e => e.dataset.line + ': ' + e.querySelector('.line-why').textContent)`)
		p.t.Fatalf("step %s: state %q, lines %v, want ok and %d × ok; the page says %q", id, state, states, lines, why)
	}
	if got := eval[string](p, `document.querySelector('#step-`+id+` [data-step-status]').textContent`); got != "✓ passed" {
		p.t.Errorf("step %s status %q, want ✓ passed", id, got)
	}
}

// TestLessonPageBrowser drives the runner fixture's lesson page in
// Chromium: peers, each step's Run button with ✓ results inline, an edited
// step that fails and one that is not JSON, Reset, progress marks after a
// reload and on the index, "Run all steps above", and a deep link.
func TestLessonPageBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithLessons(fixtureLessons(t)))
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	url := srv.URL + "/lessons/runner-fixture"

	p.do("open the lesson", chromedp.Navigate(url), live)
	if got := eval[int](p, `document.querySelectorAll('#lesson section.step').length`); got != 4 {
		t.Fatalf("%d steps on the page, want 4", got)
	}

	p.do("start the peers",
		chromedp.Click(chromedp.CSS("#start-peers")),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-peers:is([data-state="ok"], [data-state="fail"])`)))
	if got := eval[[]string](p, `[...document.querySelectorAll('#peer-results .step-line')].map(e => e.dataset.state)`); len(got) != 1 || got[0] != "ok" {
		t.Errorf("peer lines %v, want [ok]", got)
	}
	p.shot("peers")

	p.do("run the UDP step", chromedp.Click(chromedp.CSS(`#step-udp [data-run-step]`)), stepDone("udp"))
	checkStepPassed(p, "udp", 5)
	// The payload arrived as text, not as markup.
	const received = `#step-udp .step-line[data-line="4"] .log-entry[data-op="recvfrom"][data-ok="true"]`
	if got := eval[string](p, `document.querySelector('`+received+` .data-text')?.textContent ?? ''`); got != "hi <b>&amp;" {
		t.Errorf("recvfrom shows %q, want the text hi <b>&amp;", got)
	}
	if eval[bool](p, `document.querySelector('#lesson .step b, #workbench .log b') !== null`) {
		t.Errorf("the payload became a <b> element")
	}
	if got := eval[string](p, `document.querySelector('#step-udp .step-line[data-line="1"] .mark').textContent`); got != "✓" {
		t.Errorf("line mark %q, want ✓", got)
	}
	if !eval[bool](p, `document.querySelector('#workbench .sock-card[data-sock="s1"]') !== null`) {
		t.Errorf("the embedded workbench shows no card for s1")
	}

	p.do("run the EADDRINUSE step", chromedp.Click(chromedp.CSS(`#step-in-use [data-run-step]`)), stepDone("in-use"))
	checkStepPassed(p, "in-use", 3)
	p.do("run the listener step", chromedp.Click(chromedp.CSS(`#step-listen [data-run-step]`)), stepDone("listen"))
	checkStepPassed(p, "listen", 4)
	if got := eval[string](p, `document.querySelector('#step-listen .step-line[data-line="4"] .line-why').textContent`); got != "still waiting, as expected" {
		t.Errorf("the waiting accept says %q", got)
	}
	p.do("run the connect step", chromedp.Click(chromedp.CSS(`#step-connect [data-run-step]`)), stepDone("connect"))
	checkStepPassed(p, "connect", 4)
	// The accept of the step before returned, and its result shows there.
	p.do("the accept's late result", chromedp.WaitVisible(chromedp.CSS(
		`#step-listen .step-line[data-line="4"][data-state="ok"] .log-entry[data-op="accept"][data-ok="true"]`)))

	const edited = `{"op":"socket","type":"SOCK_DGRAM","as":"again"}
{"op":"bind","sock":"$again","addr":["127.0.0.1","$rx.port"],"expect":{"ok":false,"error":{"errno":"EACCES"}}}
{"op":"close","sock":"$again"}`
	p.do("run an edited step that fails",
		chromedp.SetValue(chromedp.CSS(`#step-in-use textarea[data-step-lines]`), edited),
		chromedp.Click(chromedp.CSS(`#step-in-use [data-run-step]`)), stepDone("in-use"))
	if got := lineStates(p, "in-use"); strings.Join(got, " ") != "ok fail skipped" {
		t.Errorf("edited step: lines %v, want ok fail skipped", got)
	}
	if got := eval[string](p, `document.querySelector('#step-in-use .step-line[data-line="2"] .line-why').textContent`); got != `error.errno: got "EADDRINUSE", want "EACCES"` {
		t.Errorf("the failed line says %q", got)
	}
	if got := eval[string](p, `document.querySelector('#step-in-use [data-step-status]').textContent`); got != "✗ line 2 failed" {
		t.Errorf("status %q", got)
	}
	p.shot("failed-step")

	p.do("run a step that is not JSON",
		chromedp.SetValue(chromedp.CSS(`#step-in-use textarea[data-step-lines]`), "{\"op\":\"socket\"}\n\n{\"op\": "),
		chromedp.Click(chromedp.CSS(`#step-in-use [data-run-step]`)),
		chromedp.WaitVisible(chromedp.CSS(`#step-in-use [data-step-error]`)))
	if got := eval[string](p, `document.querySelector('#step-in-use [data-step-error]').textContent`); !strings.HasPrefix(got, "line 3: not valid JSON") {
		t.Errorf("JSON error %q, want it to name line 3", got)
	}
	p.do("reset the step", chromedp.Click(chromedp.CSS(`#step-in-use [data-reset-step]`)))
	if !eval[bool](p, `(t => t.value === t.defaultValue && t.value.includes('EADDRINUSE'))(document.querySelector('#step-in-use textarea'))`) {
		t.Errorf("Reset did not put back the lesson's text")
	}

	p.do("reload", chromedp.Reload(), live)
	if got := eval[[]string](p, `[...document.querySelectorAll('#lesson section.step')].map(s => s.dataset.done ?? '')`); strings.Join(got, " ") != "true true true true" {
		t.Errorf("steps marked done after a reload: %v, want all", got)
	}
	p.do("run all steps above the last one",
		chromedp.Click(chromedp.CSS(`#step-connect [data-run-above]`)), stepDone("listen"))
	for _, s := range []struct {
		id    string
		lines int
	}{{"udp", 5}, {"in-use", 3}, {"listen", 4}} {
		checkStepPassed(p, s.id, s.lines)
	}
	if got := eval[string](p, `document.getElementById('step-connect').dataset.state`); got != "idle" {
		t.Errorf("Run all steps above ran the step itself too (state %q)", got)
	}
	p.do("then the last one", chromedp.Click(chromedp.CSS(`#step-connect [data-run-step]`)), stepDone("connect"))
	checkStepPassed(p, "connect", 4)

	p.do("copy the Python", chromedp.Click(chromedp.CSS(`.py-block[data-run] [data-copy-code]`)),
		chromedp.WaitVisible(chromedp.CSS(`.py-block[data-run] [data-copy-status]:not(:empty)`)))

	p.do("the index", chromedp.Navigate(srv.URL+"/lessons"),
		chromedp.WaitVisible(chromedp.CSS(`.lesson-item[data-lesson="runner-fixture"][data-done="true"]`)))
	if got := eval[string](p, `document.querySelector('.lesson-item[data-lesson="runner-fixture"] [data-progress]').textContent`); got != "done ✓" {
		t.Errorf("index progress %q, want done ✓", got)
	}
	p.shot("index")

	p.do("a deep link", chromedp.Navigate(url+"#step-connect"), live,
		chromedp.WaitVisible(chromedp.CSS(`#step-connect.targeted`)))
	if top := eval[float64](p, `document.getElementById('step-connect').getBoundingClientRect().top`); top < -1 || top > 200 {
		t.Errorf("#step-connect is %v px from the top of the window, want it scrolled into view", top)
	}
	p.shot("deep-link")
}

// TestStepRulesInBrowser checks that steps.js's check, which the page runs,
// and this package's checkResult, which the content test runs, say the same
// about the same results: two runners, one set of rules.
func TestStepRulesInBrowser(t *testing.T) {
	cases := []struct{ expect, result string }{
		{`null`, `{"ok":true}`},
		{`null`, `{"ok":false,"error":{"type":"os","errno":"EADDRINUSE","exception":"OSError","message":"[Errno 98] Address already in use"}}`},
		{`null`, `{"ok":false,"error":{"type":"policy","message":"only loopback"}}`},
		{`{"n":5}`, `{"ok":true,"n":5}`},
		{`{"n":5}`, `{"ok":true,"n":6}`},
		{`{"n":5}`, `{"ok":false,"error":{"type":"timeout","exception":"TimeoutError","message":"timed out"}}`},
		{`{"ok":false,"error":{"errno":"EADDRINUSE"}}`, `{"ok":false,"error":{"errno":"EACCES","code":13}}`},
		{`{"ok":false,"error":{"errno":"EADDRINUSE"}}`, `{"ok":true,"addr":["127.0.0.1",9000]}`},
		{`{"error":{"type":"timeout"}}`, `{"ok":true}`},
		{`{"data":{"text":"hi <b>"}}`, `{"ok":true,"data":{"size":2,"text":"ho","hex":"686f"}}`},
		{`{"data":{"text":"x"}}`, `{"ok":true}`},
		{`{"addr":["127.0.0.1",9]}`, `{"ok":true,"addr":["127.0.0.1",10]}`},
		{`{"addr":["127.0.0.1",9]}`, `{"ok":true,"addr":["127.0.0.1",9,0,0]}`},
		{`{"peer":null}`, `{"ok":true}`},
		{`{"peer":null}`, `{"ok":true,"peer":["127.0.0.1",1]}`},
		{`{"sends":[{"id":1}]}`, `{"ok":true,"sends":[{"id":1,"index":1}]}`},
		{`{"truncated":true,"size":20}`, `{"ok":true,"truncated":true,"size":20,"data":{"size":10}}`},
		{`{"value":1}`, `{"ok":true,"value":true}`},
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(fixtureLessons(t)))
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open a lesson", chromedp.Navigate(srv.URL+"/lessons/runner-fixture"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))

	var js strings.Builder
	js.WriteString("[")
	for i, c := range cases {
		if i > 0 {
			js.WriteString(",")
		}
		js.WriteString("[" + c.expect + "," + c.result + "]")
	}
	js.WriteString("]")
	expr := `import(document.querySelector('script[src$="/js/lesson.js"]').src.replace(/lesson\.js$/, 'steps.js'))
		.then(m => ` + js.String() + `.map(([e, r]) => m.check(e ?? undefined, r)))`
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("steps.js check: %v", err)
	}
	for i, c := range cases {
		var expect, result map[string]any
		if err := json.Unmarshal([]byte(c.expect), &expect); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.result), &result); err != nil {
			t.Fatal(err)
		}
		want := checkResult(expect, result)
		if i >= len(got) || got[i] != want {
			t.Errorf("expect %s, result %s:\n steps.js says %q\n  the Go runner says %q", c.expect, c.result, at(got, i), want)
		}
	}
	if got[0] != "" || got[4] != "n: got 6, want 5" {
		t.Errorf("the rules themselves changed: %q", got)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}

// TestLessonsInBrowser runs every step of every built-in lesson with the
// page's own runner (lesson.js), as a learner clicking Run down the page
// would: the content test's Go runner is its twin, this keeps the twins
// honest on the real lessons.
func TestLessonsInBrowser(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Skip("no built-in lessons yet")
	}
	ctx := newBrowser(t)
	for _, l := range ls {
		t.Run(l.Slug, func(t *testing.T) {
			if usesPeers(l) {
				c := newServer(t, sessions.Config{}).dial(t)
				if ok, why := spawnSupported(c); !ok {
					t.Skipf("the server does not know spawn yet (%s)", why)
				}
			}
			forProfiles(t, l, func(t *testing.T, cfg sessions.Config) {
				srv := newServer(t, cfg, web.WithLessons(ls))
				p := page{t: t, ctx: ctx}
				p.do("open", chromedp.Navigate(srv.URL+"/lessons/"+l.Slug),
					chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
				for _, s := range l.Steps {
					p.do("run "+s.ID, chromedp.Click(chromedp.CSS(`#step-`+s.ID+` [data-run-step]`)), stepDone(s.ID))
					if eval[string](p, `document.getElementById('step-`+s.ID+`').dataset.state`) != "ok" {
						why := eval[[]string](p, `[...document.querySelectorAll('#step-`+s.ID+` .step-line:not([data-state="ok"])')].map(e => 'line ' + e.dataset.line + ': ' + e.dataset.state + ' ' + e.querySelector('.line-why').textContent)`)
						p.shot(s.ID)
						t.Fatalf("%s#%s failed on the page: %q", l.Slug, s.ID, why)
					}
					checkSegmentsShown(p, s)
				}
			})
		})
	}
}

// checkSegmentsShown: each segments line of a step that passed shows the
// result's segments, one list item each, as the result lists them.
func checkSegmentsShown(p page, s lessons.Step) {
	p.t.Helper()
	for i, line := range s.Lines {
		if line.Op() != "segments" {
			continue
		}
		sel := fmt.Sprintf(`#step-%s .step-line[data-line="%d"] .log-entry[data-op="segments"][data-ok="true"] .segments > ol > li`, s.ID, i+1)
		got := eval[[]string](p, `[...document.querySelectorAll('`+sel+`')].map(li => li.textContent)`)
		if want, listed := line.Expect["segments"].([]any); listed && len(got) != len(want) || len(got) == 0 {
			p.t.Errorf("step %s line %d shows segments %q, want the result's", s.ID, i+1, got)
		} else if listed && got[0] != want[0] {
			p.t.Errorf("step %s line %d shows %q first, want %q", s.ID, i+1, got[0], want[0])
		}
	}
}
