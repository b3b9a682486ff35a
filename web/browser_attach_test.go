package web_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"sockplay/sessions"
	"sockplay/web"
)

// TestWorkbenchAttach: on a server that runs no programs, the transcript's
// Run button is disabled and says why. The workbench's "Your program" pane shows the
// session's attach command; a program attached with its code makes a
// socket that appears as a card; Revoke shows a new code, and the old one
// attaches no more. A Chinese page's command ends with --lang zh.
func TestWorkbenchAttach(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the workbench and show the command",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		// This server runs no programs: Run is disabled, and says why.
		chromedp.WaitVisible(chromedp.CSS(`#run-python[disabled][title]`)),
		chromedp.Click(chromedp.CSS("#attach-show")),
		chromedp.WaitVisible(chromedp.CSS("#attach-command")),
		chromedp.WaitVisible(chromedp.CSS("#attach-revoke")),
	)
	command := eval[string](p, `document.getElementById('attach-command-code').textContent`)
	code := eval[string](p, `document.getElementById('attach-command').dataset.code`)
	if command != "sockplay run prog.py --server "+srv.URL+" --session "+code || len(code) != 26 {
		t.Fatalf("command %q with code %q, want sockplay run prog.py --server %s --session CODE (the page's origin: this server names none)", command, code, srv.URL)
	}

	conn, resp, err := dialAttach(srv, code, nil)
	if err != nil {
		t.Fatalf("attach with the page's code: %v", err)
	}
	defer conn.Close()
	if resp.Header.Get(web.ProgramHeader) != "local1" {
		t.Errorf("program %q, want local1", resp.Header.Get(web.ProgramHeader))
	}
	conn.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`))
	p.do("the program's socket is a card, marked", chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"][data-program="local1"] [data-field="program"]`)))
	if got := eval[string](p, `document.querySelector('.sock-card[data-sock="s1"] [data-field="program"]').textContent`); got != "local1" {
		t.Errorf("the card's program mark %q, want local1", got)
	}

	p.do("revoke",
		chromedp.Click(chromedp.CSS("#attach-revoke")),
		waitJS(`document.getElementById('attach-command').dataset.code !== `+jsString(code)),
	)
	fresh := eval[string](p, `document.getElementById('attach-command').dataset.code`)
	if !strings.HasSuffix(eval[string](p, `document.getElementById('attach-command-code').textContent`), fresh) {
		t.Error("the command does not show the new code")
	}
	if status, _, _ := refused(t, srv, code, nil); status != 403 {
		t.Errorf("the revoked code: %d, want 403", status)
	}

	// A Chinese page's command asks sockplay run for Chinese.
	p.do("the command on a Chinese page",
		chromedp.Navigate(srv.URL+"/workbench?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		// The session's log holds the revoke's result: the pane shows its command.
		chromedp.WaitVisible(chromedp.CSS("#attach-command")),
	)
	zhCode := eval[string](p, `document.getElementById('attach-command').dataset.code`)
	if got, want := eval[string](p, `document.getElementById('attach-command-code').textContent`), "sockplay run prog.py --server "+srv.URL+" --session "+zhCode+" --lang zh"; got != want {
		t.Errorf("the Chinese page's command %q, want %q", got, want)
	}
}

// jsString is s as a JavaScript string literal (s holds no quote).
func jsString(s string) string { return "'" + s + "'" }

// TestWorkbenchTranscriptRun: a session driven by clicks (a recvfrom that
// waits, then the sendto it waited for) writes a transcript whose Run
// button runs it through op run: the program runs to its exit 0, and its
// sockets appear as cards of the session, marked with the program.
func TestWorkbenchTranscriptRun(t *testing.T) {
	srv, err := moduleServer(t)
	if err != nil {
		t.Skipf("programs cannot run on this machine: %v", err)
	}
	p := page{t: t, ctx: newBrowser(t)}
	const rx, tx = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("two UDP sockets, s1 bound to port 0",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(rx)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(tx)),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(rx+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(rx+`[data-state="BOUND"]`)),
	)
	port := eval[string](p, `document.querySelector('`+rx+` [data-field="laddr"]').dataset.port`)
	p.do("recvfrom waits; then the sendto",
		chromedp.Click(chromedp.CSS(rx+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-kind="waiting"][data-op="recvfrom"]`)),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] textarea[name="text"]`), "ping"),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(tx+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recvfrom"][data-ok="true"]`)),
		// The waited recvfrom's line follows the sendto's (pyprogram.js).
		waitJS(`document.getElementById('transcript-code').textContent.includes('s1.recvfrom(')`),
	)
	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	if strings.Index(transcript, "s2.sendto(") > strings.Index(transcript, "s1.recvfrom(") || strings.Contains(codeOf(transcript), port) {
		t.Fatalf("the transcript has the recvfrom before the sendto, or port %s in its code:\n%s", port, transcript)
	}

	p.do("Run",
		chromedp.Click(chromedp.CSS("#run-python")),
		chromedp.WaitVisible(chromedp.CSS("#transcript-run")),
		waitJS(`document.getElementById('transcript-run').dataset.exit !== undefined`),
	)
	p.shot("ran")
	if got := eval[string](p, `document.getElementById('transcript-run').dataset.exit`); got != "0" {
		t.Fatalf("the transcript's run ended with %q, want exit 0; the pane says:\n%s\ntranscript:\n%s", got,
			eval[string](p, `document.getElementById('transcript-run').textContent`), transcript)
	}
	// The program's two sockets are cards of the session (s3, s4).
	p.do("the program's sockets are cards, marked",
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s3"][data-program="p1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s4"][data-program="p1"]`)),
	)
	if eval[bool](p, `document.querySelector('.sock-card[data-sock="s1"]').hasAttribute('data-program')`) {
		t.Error("the page's own s1 is marked as a program's")
	}
	checkProgramLog(t, p, []*regexp.Regexp{
		regexp.MustCompile(`^run transcript\.py → p1$`),
		regexp.MustCompile(`^p1 exited with code 0$`),
	})
	// Its own calls are not written into the transcript.
	if again := eval[string](p, `document.getElementById('transcript-code').textContent`); again != transcript {
		t.Errorf("the run's calls changed the transcript:\n%s\nwas:\n%s", again, transcript)
	}
}
