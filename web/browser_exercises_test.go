package web_test

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/sockets/exercises"
)

// exerciseScript is a learner's program from the exercises' testdata.
func exerciseScript(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../sockets/exercises/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkDone waits until the page's check has ended, whatever its verdict.
var checkDone = chromedp.WaitVisible(chromedp.CSS(`#check:not([data-state="running"]):not([data-state="idle"]) #check-verdict`))

// TestExercisePageBrowser drives /exercises/tcp-echo in Chromium: the
// hints come one at a time; a Python echo server typed in as the target
// passes, with the checker's steps listed live and in the event log; a
// workbench socket that listens but never echoes, picked from the socket
// list, fails at step 1 with what was expected and received; a reload
// shows the last verdict again, from the session's log.
func TestExercisePageBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))

	p.do("open the exercise", chromedp.Navigate(srv.URL+"/exercises/tcp-echo"), live)
	if got := eval[int](p, `[...document.querySelectorAll('#hints li')].filter(li => !li.hidden).length`); got != 0 {
		t.Errorf("%d hints shown before any click, want 0", got)
	}
	p.do("reveal a hint", chromedp.Click(chromedp.CSS("#next-hint")), chromedp.WaitVisible(chromedp.CSS(`#hints li[data-hint="1"]`)))
	if got := eval[string](p, `document.getElementById('next-hint').textContent`); got != "Show another hint (2 of 4)" {
		t.Errorf("hint button says %q after one hint", got)
	}
	if eval[bool](p, `!document.querySelector('#hints li[data-hint="2"]').hidden`) {
		t.Errorf("the second hint shows after one click")
	}

	py := startPython(t, exerciseScript(t, "tcp_echo_ok.py"))
	port := strconv.Itoa(py.port())
	p.do("check a Python echo server",
		chromedp.SendKeys(chromedp.CSS("#check-port"), port),
		chromedp.Click(chromedp.CSS("#check-run")),
		checkDone,
	)
	p.do("show the verdict", chromedp.ScrollIntoView(chromedp.CSS("#check-verdict")))
	p.shot("pass")
	if got := eval[string](p, `document.getElementById('check').dataset.state`); got != "pass" {
		t.Fatalf("check state %q, want pass; the page says %q", got, eval[string](p, `document.getElementById('check-verdict').textContent`))
	}
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); got != "✓ Passed: 2 connections, 4 messages echoed" {
		t.Errorf("verdict %q", got)
	}
	if got := eval[string](p, `document.getElementById('check-status').textContent`); !strings.HasPrefix(got, "✓ Passed") {
		t.Errorf("status %q", got)
	}
	if got := eval[[]string](p, `[...document.querySelectorAll('#check-events .check-event[data-event="step_done"]')].map(e => e.dataset.pass)`); strings.Join(got, " ") != "true true true true" {
		t.Errorf("step_done events %v, want 4 passed", got)
	}
	if got := eval[int](p, `document.querySelectorAll('#check-events .check-event[data-event="call"]').length`); got < 8 {
		t.Errorf("%d calls listed, want every connect, sendall and recv", got)
	}
	if got := eval[int](p, `document.querySelectorAll('#log .log-entry.check-entry[data-kind="check"]').length`); got < 12 {
		t.Errorf("%d check entries in the event log", got)
	}
	if got := eval[string](p, `document.querySelector('#log .log-entry[data-kind="result"][data-op="check"][data-ok="true"] .outcome').textContent`); got != "→ ✓ Passed: 2 connections, 4 messages echoed" {
		t.Errorf("the log's check result says %q", got)
	}
	if got, want := eval[string](p, `document.getElementById('check-cli').textContent`), "go run ./cmd/sockplay check tcp-echo --target 127.0.0.1:"+port; got != want {
		t.Errorf("terminal command %q, want %q", got, want)
	}
	if eval[bool](p, `document.getElementById('transcript-code').textContent.includes('check')`) {
		t.Errorf("the Python transcript has a line for the check, which is no Python")
	}

	const s1 = `.sock-card[data-sock="s1"]`
	p.do("a workbench socket that listens and never echoes",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="listen"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="LISTENING"]`)),
		chromedp.WaitReady(chromedp.CSS(`#check-sock option[value="s1"]`)),
	)
	s1Port := eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`)
	picked := eval[string](p, `(() => {
		const s = document.getElementById('check-sock');
		s.value = 's1';
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return document.getElementById('check-host').value + ':' + document.getElementById('check-port').value;
	})()`)
	if picked != "127.0.0.1:"+s1Port {
		t.Fatalf("picking s1 filled %q, want its address 127.0.0.1:%s", picked, s1Port)
	}
	p.do("check it", chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check[data-state="running"]`)), checkDone)
	p.do("show the verdict", chromedp.ScrollIntoView(chromedp.CSS("#check-verdict")))
	p.shot("fail")
	if got := eval[string](p, `document.getElementById('check').dataset.state`); got != "fail" {
		t.Fatalf("check state %q, want fail", got)
	}
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); got != "✗ Failed at step 1 (message 1)" {
		t.Errorf("verdict %q", got)
	}
	failed := eval[map[string]string](p, `Object.fromEntries([...document.querySelectorAll('#check-verdict dl.failed-step[data-n="1"] dd')].map(d => [d.dataset.field, d.textContent]))`)
	if !strings.HasPrefix(failed["did"], "connect to ('127.0.0.1', "+s1Port+"), then sendall(b'hello, echo ") ||
		!strings.HasPrefix(failed["expected"], "the same ") || failed["received"] != "nothing came within 2 s" || failed["advice"] == "" {
		t.Errorf("failed step on the page: %q", failed)
	}
	if got := eval[string](p, `document.querySelector('#log .log-entry.check-entry[data-event="step_done"][data-pass="false"]')?.textContent ?? ''`); !strings.Contains(got, "✗ step 1 (message 1): nothing came within 2 s") {
		t.Errorf("the log's failed step_done says %q", got)
	}

	p.do("reload", chromedp.Reload(), live, chromedp.WaitVisible(chromedp.CSS(`#check[data-state="fail"] #check-verdict .failed-step`)))
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); got != "✗ Failed at step 1 (message 1)" {
		t.Errorf("after a reload the verdict is %q", got)
	}
}

// TestExerciseClientBrowser drives /exercises/tcp-client: the checker
// listens on port 0 and the page says where; a Python client started there
// passes. A second check, left without a client, is cancelled from the page.
func TestExerciseClientBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the exercise and check",
		chromedp.Navigate(srv.URL+"/exercises/tcp-client"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check-listening [data-listen-addr]`)),
	)
	addr := eval[string](p, `document.querySelector('#check-listening [data-listen-addr]').textContent`)
	port := strings.TrimSuffix(strings.TrimPrefix(addr, "('127.0.0.1', "), ")")
	if _, err := strconv.Atoi(port); err != nil || port == "0" {
		t.Fatalf("the page says the checker listens on %q, want the real port", addr)
	}
	if got, want := eval[string](p, `document.querySelector('#check-listening [data-listen-python]').textContent`), "s = socket.create_connection(('127.0.0.1', "+port+"))"; got != want {
		t.Errorf("Python line %q, want %q", got, want)
	}
	py := startPython(t, exerciseScript(t, "tcp_client_ok.py"), port)
	p.do("the client passes", checkDone)
	py.wait()
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); !strings.HasPrefix(got, "✓ Passed: HELLO Ada, ") {
		t.Errorf("verdict %q", got)
	}
	if eval[bool](p, `!document.getElementById('check-listening').hidden`) {
		t.Errorf("the listening note still shows after the check")
	}

	p.do("check again, then cancel",
		chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check[data-state="running"] #check-cancel`)),
		chromedp.WaitVisible(chromedp.CSS(`#check-listening [data-listen-addr]`)),
		chromedp.Click(chromedp.CSS("#check-cancel")),
		chromedp.WaitVisible(chromedp.CSS(`#check[data-state="cancelled"] #check-verdict`)),
	)
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); got != "Cancelled" {
		t.Errorf("verdict %q, want Cancelled", got)
	}
	if eval[bool](p, `document.getElementById('check-run').disabled`) {
		t.Errorf("Check is still disabled after the cancel")
	}
}

// TestExerciseByHandBrowser plays udp-upper's server by hand: a workbench
// UDP socket, "I answer by hand" ticked, and for each of the checker's
// datagrams a recvfrom click and a sendto of the text in capitals to the
// address it came from, typed in as a learner would. The first answer takes
// longer than a program may (2 s), as a learner's does; the check waits for
// it and passes.
func TestExerciseByHandBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	s1 := card("s1")
	p.do("open the exercise and bind a UDP socket",
		chromedp.Navigate(srv.URL+"/exercises/udp-upper"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.WaitReady(chromedp.CSS(`#check-sock option[value="s1"]`)),
	)
	eval[bool](p, `(() => {
		const s = document.getElementById('check-sock');
		s.value = 's1';
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)
	p.do("check, answering by hand",
		chromedp.Click(chromedp.CSS("#check-by-hand")),
		chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check[data-state="running"]`)),
	)
	if got := eval[string](p, `document.getElementById('check-sock').value`); got != "s1" {
		t.Errorf("ticking the box unpicked the socket: the select says %q", got)
	}
	if got := eval[string](p, `document.querySelector('#log .log-entry[data-op="check"] .request, #log .log-entry[data-op="check"]')?.textContent ?? ''`); got == "" {
		t.Errorf("no log entry for the check")
	}

	const received = `.log-entry[data-op="recvfrom"][data-ok="true"]`
	from := regexp.MustCompile(`from \('127\.0\.0\.1', (\d+)\)`)
	for round := 1; round <= 3; round++ {
		p.do(fmt.Sprintf("recvfrom, datagram %d", round),
			chromedp.Click(chromedp.CSS(s1+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
			waitCount(received+" .data-text", round),
		)
		text := eval[string](p, `[...document.querySelectorAll('`+received+` .data-text')].at(-1).textContent`)
		m := from.FindStringSubmatch(eval[string](p, `[...document.querySelectorAll('`+received+` .outcome')].at(-1).textContent`))
		if text == "" || m == nil {
			t.Fatalf("datagram %d: text %q, sender %v", round, text, m)
		}
		if round == 1 {
			time.Sleep(exercises.ReplyWait + 500*time.Millisecond) // a learner reading, then typing
		}
		p.do(fmt.Sprintf("sendto the answer %d", round),
			chromedp.SetValue(chromedp.CSS(s1+` form[data-op="sendto"] textarea[name="text"]`), strings.ToUpper(text)),
			chromedp.SetValue(chromedp.CSS(s1+` form[data-op="sendto"] input[name="host"]`), "127.0.0.1"),
			chromedp.SetValue(chromedp.CSS(s1+` form[data-op="sendto"] input[name="port"]`), m[1]),
			chromedp.Click(chromedp.CSS(s1+` form[data-op="sendto"] button[data-op="sendto"]`)),
			waitCount(`.log-entry[data-op="sendto"][data-ok="true"]`, round),
		)
	}
	p.do("the verdict", checkDone, chromedp.ScrollIntoView(chromedp.CSS("#check-verdict")))
	p.shot("by-hand")
	if got := eval[string](p, `document.getElementById('check').dataset.state`); got != "pass" {
		t.Fatalf("check state %q, want pass; the page says %q", got, eval[string](p, `document.getElementById('check-verdict').textContent`))
	}
	if got := eval[string](p, `document.querySelector('#check-verdict .verdict-head').textContent`); got != "✓ Passed: 3/3 datagrams answered" {
		t.Errorf("verdict %q", got)
	}
}
