package web_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/i18n"
)

// consoleType adds code at the end of the console's input and presses
// Enter there (a keydown the page handles, as a learner's key would be).
func consoleType(code string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(code)
	return jsDo(`(() => {
		const el = document.getElementById('console-input');
		el.focus();
		el.value += ` + string(js) + `;
		el.selectionStart = el.selectionEnd = el.value.length;
		el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));
		return null;
	})()`)
}

// consoleKey presses key in the console's input.
func consoleKey(key string) chromedp.Action[chromedp.Void] {
	return jsDo(`(document.getElementById('console-input').dispatchEvent(new KeyboardEvent('keydown', {key: '` + key + `', bubbles: true, cancelable: true})), null)`)
}

// jsDo evaluates a JavaScript expression for its effect.
func jsDo(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// consoleEntry waits until the console's n-th entry (from 1) has ended.
func consoleEntry(n string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`#console-log .console-entry:nth-child(` + n + `):is([data-state="ok"], [data-state="fail"])`))
}

// consoleOut is what the n-th entry printed.
func consoleOut(p page, n string) string {
	return eval[string](p, `document.querySelector('#console-log .console-entry:nth-child(`+n+`) .console-out').textContent`)
}

// TestWorkbenchConsole: the workbench's Python console runs in the
// session's kernel: a socket made with the buttons is there as s1, a socket
// made in the console appears as a card, a block spans lines, Up brings
// back the last entry, an exception shows its traceback.
func TestWorkbenchConsole(t *testing.T) {
	srv := newCellsServer(t, nil, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	p.do("a socket with the buttons", chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)))

	p.do("s1 in the console", consoleType(`s1.getsockname()`), consoleEntry("1"))
	if got := consoleOut(p, "1"); got != "('0.0.0.0', 0)\n" {
		t.Errorf("s1.getsockname() printed %q", got)
	}
	p.do("a socket in the console", consoleType(`s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); s.getsockname()[0]`),
		consoleEntry("2"), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)))
	if got := consoleOut(p, "2"); got != "'127.0.0.1'\n" {
		t.Errorf("the console's socket: %q", got)
	}
	// A line ending in ":" goes on; Enter on the next line runs the block.
	p.do("a block", consoleType("for n in range(2):"), consoleType("print('n is', n)"), consoleEntry("3"))
	if got := consoleOut(p, "3"); got != "n is 0\nn is 1\n" {
		t.Errorf("the block printed %q", got)
	}
	p.do("history", consoleKey("ArrowUp"))
	if got := eval[string](p, `document.getElementById('console-input').value`); got != "for n in range(2):\n    print('n is', n)" {
		t.Errorf("Up brought back %q", got)
	}
	p.do("clear", jsDo(`document.getElementById('console-input').value = ''`),
		consoleType("s1.recvfrom(10, 1, 2, 3)"), consoleEntry("4"))
	if got := consoleOut(p, "4"); !strings.HasPrefix(got, "Traceback (most recent call last):") || !strings.Contains(got, "TypeError") {
		t.Errorf("a bad call printed %q", got)
	}
	checkProgramLog(t, p, []*regexp.Regexp{
		regexp.MustCompile(`^p\d+ · cell \S+ printed\s*n is 1\n$`),
		regexp.MustCompile(`^p\d+ · cell \S+ done \(sockets s2\)$`),
		regexp.MustCompile(`^p\d+ · cell \S+ failed\s*TypeError: `),
	})
}

// TestConsoleErrorsInChinese: the console of a Chinese workbench runs in a
// kernel started with lang "zh", so sockplay's refusal in the traceback of
// its PolicyError is the catalog's Chinese, while Python's own errno text
// stays as Python prints it; the English page's kernel says both in English.
func TestConsoleErrorsInChinese(t *testing.T) {
	srv := newCellsServer(t, nil, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	const refused = "the playground binds only to port 0 (any free port) or ports 1024-65535"
	for _, lang := range []string{"zh", "en"} {
		p.do("open the workbench ("+lang+")", chromedp.Navigate(srv.URL+"/workbench?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
		p.do("a refused connect ("+lang+")", consoleType("try:\n    socket.socket().connect(('127.0.0.1', 1))\nexcept OSError as e:\n    print(e)"), consoleEntry("1"))
		if got := consoleOut(p, "1"); got != "[Errno 111] Connection refused\n" {
			t.Errorf("%s: the refused connect printed %q, want Python's own words", lang, got)
		}
		p.do("a refused bind ("+lang+")", consoleType(`socket.socket().bind(("127.0.0.1", 80))`), consoleEntry("2"))
		want := "_sockplay_channel.PolicyError: " + i18n.Server(lang, refused) + "\n"
		if got := consoleOut(p, "2"); !strings.HasPrefix(got, "Traceback (most recent call last):") || !strings.HasSuffix(got, want) {
			t.Errorf("%s: the refused bind printed %q, want a traceback ending %q", lang, got, want)
		}
	}
}

// checkProgramLog checks the event log's entries for programs and cells
// (output, exit, cell_*): none shows the raw message, and for each of want
// some entry's text matches.
func checkProgramLog(t *testing.T, p page, want []*regexp.Regexp) {
	t.Helper()
	p.do("the log has program entries", waitJS(`document.querySelector('#log .log-entry:is([data-kind="output"], [data-kind="exit"])') !== null`))
	texts := eval[[]string](p, `[...document.querySelectorAll('#log .log-entry:is([data-kind="output"], [data-kind="exit"], [data-kind^="cell_"], [data-op="run"], [data-op="cell"])')]
		.map(e => e.querySelector('.entry-body').textContent)`)
	for _, text := range texts {
		if strings.Contains(text, `"program"`) || strings.Contains(text, `{"`) || strings.Contains(text, "…)") {
			t.Errorf("a log entry shows the raw message: %q", text)
		}
	}
	for _, re := range want {
		if !slices.ContainsFunc(texts, re.MatchString) {
			t.Errorf("no log entry matches %s; the program entries:\n%s", re, strings.Join(texts, "\n"))
		}
	}
}
