package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// TestFreshCardCompact: at 1400×1000 a fresh TCP socket's card is under
// 300 px tall: the kernel's TCP_INFO and the option explanations are folded
// until asked for.
func TestFreshCardCompact(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	p.do("new TCP socket", chromedp.Click(chromedp.CSS(`#new-tcp4`)), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)))
	h := eval[float64](p, `document.querySelector('.sock-card[data-sock="s1"]').getBoundingClientRect().height`)
	t.Logf("fresh TCP card: %.0f px", h)
	p.shot("card")
	if h >= 300 {
		t.Errorf("a fresh TCP card is %.0f px tall at 1400×1000, want < 300", h)
	}
}

// TestReplyToSender: a datagram's "reply to sender" fills the receiving
// socket's sendto with the sender's address, and the reply arrives there.
func TestReplyToSender(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	p.do("two UDP sockets",
		chromedp.Click(chromedp.CSS("#new-udp4")), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)))
	const s1, s2 = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("bind s1 to port 0",
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)))
	port := eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`)
	p.do("s2 sends to s1, s1 receives",
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="sendto"] textarea[name="text"]`), "ping"),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="sendto"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="sendto"][data-ok="true"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recvfrom"][data-ok="true"] button.reply-to`)))
	senderPort := eval[string](p, `document.querySelector('`+s2+` [data-field="laddr"]').dataset.port`)
	p.do("reply to sender", chromedp.Click(chromedp.CSS(`.log-entry[data-op="recvfrom"][data-ok="true"] button.reply-to`)))
	host := eval[string](p, `document.querySelector('`+s1+` form[data-op="sendto"] input[name="host"]').value`)
	got := eval[string](p, `document.querySelector('`+s1+` form[data-op="sendto"] input[name="port"]').value`)
	if host != "127.0.0.1" || got != senderPort || senderPort == "" {
		t.Fatalf("after reply to sender s1's sendto has (%q, %q), want ('127.0.0.1', %q), s2's address", host, got, senderPort)
	}
	focused := eval[bool](p, `document.activeElement === document.querySelector('`+s1+` form[data-op="sendto"] textarea[name="text"]')`)
	if !focused {
		t.Error("reply to sender did not put the cursor in s1's data")
	}
	// The second recvfrom's entry (entries are siblings, oldest first).
	const second = `.log-entry[data-op="recvfrom"][data-ok="true"] ~ .log-entry[data-op="recvfrom"][data-ok="true"]`
	p.do("s1 replies, s2 receives it",
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="sendto"] textarea[name="text"]`), "pong"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(second+` .data-text`)))
	if text := eval[string](p, `document.querySelector('`+second+` .data-text').textContent`); text != "pong" {
		t.Errorf("s2 received %q, want pong", text)
	}
}

// TestNewSessionButton: "New session" (once confirmed) reloads the workbench
// into a fresh session: no cards, and the next socket is s1 again.
func TestNewSessionButton(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"), live)
	p.do("two sockets",
		chromedp.Click(chromedp.CSS("#new-udp4")), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)))
	eval[bool](p, `(window.confirm = () => true, window.__old = true)`)
	p.do("new session", chromedp.Click(chromedp.CSS("#new-session")))
	// The reload is done once the old page's marker is gone and the new one is live.
	// A poll that the reload interrupts is asked again (a few times at most).
	reloaded := waitJS(`window.__old !== true && document.querySelector('#status[data-state="live"]') !== null`)
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(p.ctx, browserStep)
		err := chromedp.Do(ctx, reloaded)
		cancel()
		if err == nil {
			break
		}
		if try == 5 || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context with specified id") {
			t.Fatalf("the page did not reload into a live session: %v", err)
		}
	}
	if n := eval[int](p, `document.querySelectorAll('.sock-card').length`); n != 0 {
		t.Errorf("%d cards after New session, want none", n)
	}
	p.do("a socket in the new session",
		chromedp.Click(chromedp.CSS("#new-udp4")), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)))
	if n := eval[int](p, `document.querySelectorAll('.sock-card').length`); n != 1 {
		t.Errorf("%d cards, want the new session's one", n)
	}
}
