package web_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// programSettled waits until the editor's connection has its hello: the
// status is no longer "connecting".
var programSettled = waitJS(`(document.getElementById('program-status')?.dataset.state ?? 'connecting') !== 'connecting'`)

// TestBrowserSharedProgram opens a shared program's link: the editor holds
// its code with a line number per line; Tab inserts four spaces; Share
// from the page makes a new link holding the edited code; Run is enabled
// exactly when the server runs programs, and otherwise says why.
func TestBrowserSharedProgram(t *testing.T) {
	srv, _ := shareServer(t, 10, false)
	code := "import socket\n\nprint('<i>你好</i>')\n"
	status, got := share(t, srv, code, "hello.py")
	if status != http.StatusCreated {
		t.Fatalf("POST /share: %d %v", status, got)
	}
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the link", chromedp.Navigate(srv.URL+got["url"]), chromedp.WaitVisible(chromedp.CSS("#editor")), programSettled)
	if v := eval[string](p, `document.getElementById('editor').value`); v != code {
		t.Errorf("editor holds %q, want %q", v, code)
	}
	if n := eval[string](p, `document.getElementById('editor-lines').textContent`); n != "1\n2\n3" {
		t.Errorf("line numbers %q, want 1 to 3", n)
	}
	if name := eval[string](p, `document.getElementById('program').dataset.name`); name != "hello.py" {
		t.Errorf("data-name %q, want hello.py", name)
	}
	disabled := eval[bool](p, `document.getElementById('program-run').disabled`)
	state := eval[string](p, `document.getElementById('program-status').dataset.state`)
	why := eval[string](p, `document.getElementById('program-status').textContent`)
	if disabled && (state != "unavailable" || why == "") || !disabled && state != "ready" {
		t.Errorf("Run disabled %v with status %q %q: want disabled with a reason, or enabled and ready", disabled, state, why)
	}

	p.do("type Tab and a line at the end",
		chromedp.Focus(chromedp.CSS("#editor")),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('editor'); e.selectionStart = e.selectionEnd = e.value.length; })()`),
		chromedp.KeyEvent("\t"),
		chromedp.KeyEvent("x = 1\n"),
	)
	edited := code + "    x = 1\n"
	if v := eval[string](p, `document.getElementById('editor').value`); v != edited {
		t.Errorf("after Tab and typing, the editor holds %q, want %q", v, edited)
	}
	if n := eval[string](p, `document.getElementById('editor-lines').textContent`); n != "1\n2\n3\n4" {
		t.Errorf("line numbers after typing %q, want 1 to 4", n)
	}

	p.shot("editor")
	p.do("share the edited program",
		chromedp.Click(chromedp.CSS("#program-share")),
		chromedp.WaitVisible(chromedp.CSS("#share-link:not([hidden]) a#share-url[href]")))
	link := eval[string](p, `document.getElementById('share-url').getAttribute('href')`)
	if !strings.HasPrefix(link, "/p/") || link == got["url"] {
		t.Fatalf("the page's Share gave the link %q, want a new /p/ID", link)
	}
	status, _, body := httpDo(t, http.MethodGet, srv.URL+link, "")
	if status != http.StatusOK || !strings.Contains(body, ">"+html.EscapeString(edited)+"</textarea>") {
		t.Errorf("GET %s: %d, want the edited code in its editor", link, status)
	}
}

// TestBrowserRunProgram runs a shared program from its page on a server
// that runs programs (sandboxed, with sockplay's modules): its output
// appears, a line typed in the input box reaches its input(), and its exit
// is shown; a program that never ends is stopped with Stop. Where this
// machine cannot make sandboxes it skips (never under CI).
func TestBrowserRunProgram(t *testing.T) {
	cfg, wire := kernelConfig(t)
	if err := cfg.Programs.Available(); err != nil {
		skipOrFail(t, "programs cannot run on this machine: "+err.Error())
	}
	srv, _ := shareServerWith(t, cfg, 10, false)
	wire(srv)
	runProgramInBrowser(t, srv)
}

// runProgramInBrowser is TestBrowserRunProgram's body, on srv.
func runProgramInBrowser(t *testing.T, srv *testServer) {
	code := "import sys\nprint('what is your name?')\nname = input()\nprint('hello,', name)\nprint('bye', file=sys.stderr)\n"
	_, got := share(t, srv, code, "greet.py")
	_, loop := share(t, srv, "import time\nprint('looping')\nwhile True:\n    time.sleep(1)\n", "loop.py")
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the program", chromedp.Navigate(srv.URL+got["url"]), chromedp.WaitVisible(chromedp.CSS("#editor")), programSettled)
	if eval[bool](p, `document.getElementById('program-run').disabled`) {
		t.Fatalf("Run is disabled on a server that runs programs: %q", eval[string](p, `document.getElementById('program-status').textContent`))
	}
	output := `document.getElementById('program-output').textContent`
	p.do("run it",
		chromedp.Click(chromedp.CSS("#program-run")),
		waitJS(output+`.includes('what is your name?')`))
	p.do("answer its input()",
		chromedp.SendKeys(chromedp.CSS("#program-stdin"), "Ada\r"),
		waitJS(output+`.includes('hello, Ada')`),
		waitJS(`document.getElementById('program-status').dataset.state === 'exited'`))
	out := eval[string](p, output)
	if !strings.Contains(out, "[exit code 0]") {
		t.Errorf("output %q, want it to end with [exit code 0]", out)
	}
	if got := eval[string](p, `[...document.querySelectorAll('#program-output [data-stream="stderr"]')].map(e => e.textContent).join('')`); got != "bye\n" {
		t.Errorf("stderr shown as %q, want bye", got)
	}

	p.do("run a program that never ends, then stop it",
		chromedp.Navigate(srv.URL+loop["url"]), chromedp.WaitVisible(chromedp.CSS("#editor")), programSettled,
		chromedp.Click(chromedp.CSS("#program-run")),
		waitJS(output+`.includes('looping')`),
		chromedp.Click(chromedp.CSS("#program-stop")),
		waitJS(`document.getElementById('program-status').dataset.state === 'exited'`))
	if out := eval[string](p, output); !strings.Contains(out, "stopped") {
		t.Errorf("output after Stop %q, want it to say the program was stopped", out)
	}
}
