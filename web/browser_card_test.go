package web_test

import (
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
