package web_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// setHidden makes the page's document say it is hidden (or visible again)
// and fires visibilitychange, as switching tabs does.
func setHidden(hidden bool) chromedp.Action[chromedp.Void] {
	js := `delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange'))`
	if hidden {
		js = `Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
		      document.dispatchEvent(new Event('visibilitychange'))`
	}
	return chromedp.Evaluate[chromedp.Void](js)
}

// TestBrowserWatch: a UDP card in view shows datagrams from an outside
// client arriving while nobody on the page operates on it (the page
// watches its card); once the tab is hidden the server reads nothing for
// it, and shown again the card catches up. Watch results stay out of the
// log.
func TestBrowserWatch(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: 50 * time.Millisecond})
	p := page{t: t, ctx: newBrowser(t)}
	s1 := card("s1")
	p.do("open the workbench; s1 binds a UDP port",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.WaitReady(chromedp.CSS(`#cards[data-watch="s1"]`)),
	)
	port, err := strconv.Atoi(eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`))
	if err != nil {
		t.Fatalf("s1's port: %v", err)
	}
	k := newTicker(t, srv)
	k.wait(3) // the bind no longer has s1 followed: only the watch polls it

	sendFromPython(t, port, 5)
	p.do("s1's kernel part shows the datagram queued",
		chromedp.WaitVisible(chromedp.CSS(s1+` .kernel[data-inq="5"]`)))
	p.do("recvfrom takes it",
		chromedp.Click(chromedp.CSS(s1+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(s1+` .kernel[data-inq="0"]`)))

	p.do("hide the tab", setHidden(true), chromedp.WaitReady(chromedp.CSS(`#cards[data-watch="hidden"]`)))
	sendFromPython(t, port, 9)
	k.wait(3)
	p.do("a request whose result comes after anything logged before it",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('encoding').form.requestSubmit()`),
		chromedp.WaitReady(chromedp.CSS(`.log-entry[data-op="encoding"][data-ok="true"]`)))
	if got := eval[string](p, `document.querySelector('`+s1+` .kernel').dataset.inq`); got != "0" {
		t.Errorf("hidden, s1's kernel part shows inq %s, want 0 (not polled)", got)
	}
	p.do("show it again",
		setHidden(false),
		chromedp.WaitReady(chromedp.CSS(`#cards[data-watch="s1"]`)),
		chromedp.WaitVisible(chromedp.CSS(s1+` .kernel[data-inq="9"]`)))
	if n := eval[int](p, `document.querySelectorAll('.log-entry[data-op="watch"]').length`); n != 0 {
		t.Errorf("%d watch results in the log, want none", n)
	}
}
