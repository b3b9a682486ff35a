package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// staleWaiting lists what still says a call is waiting on the page: the
// cards' waiting items and the log's waiting entries not marked done.
const staleWaiting = `[...document.querySelectorAll('.waiting-item, .log-entry[data-kind="waiting"]:not(.done)')].map(e => e.textContent)`

// TestWorkbenchConnectNotStale: once a connect has finished, made with the
// card's form or in the console, nothing on the page says it still waits.
func TestWorkbenchConnectNotStale(t *testing.T) {
	srv := newCellsServer(t, nil, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	const s1, s2 = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("open the workbench and listen on s1",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="listen"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="LISTENING"]`)),
	)
	port := eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`)
	p.do("connect s2 with its form",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="connect"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="connect"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-kind="result"][data-op="connect"][data-ok="true"]`)),
	)
	if got := eval[[]string](p, staleWaiting); len(got) != 0 {
		t.Errorf("after the form's connect, still waiting: %q", got)
	}
	p.do("connect in the console",
		consoleType(`c = socket.create_connection(("127.0.0.1", `+port+`)); c.getpeername()[1]`), consoleEntry("1"))
	if got := consoleOut(p, "1"); got != port+"\n" {
		t.Errorf("the console's connect printed %q, want %s", got, port)
	}
	if got := eval[[]string](p, staleWaiting); len(got) != 0 {
		t.Errorf("after the console's connect, still waiting: %q", got)
	}
	p.do("reload: the log is rebuilt from the session",
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-kind="result"][data-op="connect"][data-ok="true"]`)))
	if got := eval[[]string](p, staleWaiting); len(got) != 0 {
		t.Errorf("after a reload, still waiting: %q", got)
	}
}

// TestWorkbenchReset: the Reset button closes every socket of the page
// (their cards turn CLOSED), says what it did, and keeps the log.
func TestWorkbenchReset(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	const s1 = `.sock-card[data-sock="s1"]`
	p.do("two sockets, one bound",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)),
	)
	before := len(logSeqs(p))
	p.do("reset",
		chromedp.Click(chromedp.CSS("#reset")),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-kind="result"][data-op="reset"][data-ok="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="CLOSED"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"][data-state="CLOSED"]`)),
	)
	p.shot("reset")
	entry := eval[string](p, `document.querySelector('.log-entry[data-op="reset"]').textContent`)
	if !strings.Contains(entry, "closed s1, s2; no peer to stop") {
		t.Errorf("reset's log entry %q does not say what it closed", entry)
	}
	if after := len(logSeqs(p)); after <= before {
		t.Errorf("the log has %d entries after reset, %d before: it must keep them", after, before)
	}
	if n := eval[int](p, `document.querySelectorAll('.log-entry[data-op="bind"][data-ok="true"]').length`); n != 1 {
		t.Errorf("the bind's entry is gone after reset (%d found)", n)
	}
	p.do("the workbench goes on",
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s3"][data-state="CREATED"]`)),
	)
}
