package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// TestPhoneWidth: at a phone's width (390 CSS pixels) no page scrolls
// sideways, and the header's links all stay on the screen.
func TestPhoneWidth(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	p := page{t: t, ctx: newBrowser(t)}
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	paths := []string{"/", "/lessons", "/exercises", "/exercises/udp-upper", "/examples", "/workbench",
		"/progress", "/protocol", "/no/such/page", "/rooms", "/r/NOSUCHRM", "/lessons?lang=zh", "/workbench?lang=zh"}
	for _, l := range ls {
		paths = append(paths, "/lessons/"+l.Slug)
	}
	for _, path := range paths {
		p.do("open "+path, chromedp.Navigate(srv.URL+path), chromedp.WaitReady(chromedp.CSS(`main`)))
		wide := eval[[]string](p, `(() => {
			const doc = document.documentElement, out = [];
			if (doc.scrollWidth > doc.clientWidth) out.push("page " + doc.scrollWidth + " > " + doc.clientWidth);
			for (const a of document.querySelectorAll(".site-header a")) {
				const r = a.getBoundingClientRect();
				if (r.right > doc.clientWidth + 0.5 || r.left < -0.5) out.push("header link " + a.textContent.trim() + " at " + r.left + "–" + r.right);
			}
			// The widest elements, to say what overflows.
			if (out.length) for (const el of document.querySelectorAll("main *")) {
				const r = el.getBoundingClientRect();
				if (r.right > doc.clientWidth + 0.5 && out.length < 6) out.push((el.className || el.tagName) + " right " + Math.round(r.right));
			}
			return out;
		})()`)
		if len(wide) > 0 {
			p.shot("phone")
			t.Errorf("%s at 390 px: %v", path, wide)
		}
	}
}
