package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// TestWorkbenchLargeChunk: a datagram larger than the server's --max-shown
// shows its first bytes, then "… N more bytes (sha256 …)"; of those first
// bytes the page puts a few KiB on the page until "show all" is clicked.
func TestWorkbenchLargeChunk(t *testing.T) {
	const shown, size = 6000, 9000
	srv := newServer(t, sessions.Config{MaxShown: shown})
	p := page{t: t, ctx: newBrowser(t)}
	var payload strings.Builder
	for i := 0; payload.Len() < size; i++ {
		payload.WriteString(strconv.Itoa(i%10) + strings.Repeat("-", 9))
	}
	sum := sha256.Sum256([]byte(payload.String()))

	p.do("open the workbench with two UDP sockets",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)),
	)
	const rx, tx = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("bind s1",
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(rx+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(rx+`[data-state="BOUND"]`)),
	)
	port := eval[string](p, `document.querySelector('`+rx+` [data-field="laddr"]').dataset.port`)
	p.do("sendto s1 a 9000-byte datagram, recvfrom it",
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] textarea[name="text"]`), payload.String()),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(tx+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="sendto"][data-ok="true"]`)),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="recvfrom"] input[name="bufsize"]`), "65536"),
		chromedp.Click(chromedp.CSS(rx+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recvfrom"][data-ok="true"] .data-more`)),
	)
	const entry = `.log-entry[data-op="recvfrom"][data-ok="true"]`
	want := "… 3,000 more bytes (sha256 " + hex.EncodeToString(sum[:]) + ")"
	if got := eval[string](p, `document.querySelector('`+entry+` .data-more').textContent`); got != want {
		t.Errorf("more line %q, want %q", got, want)
	}
	text := func() string {
		return eval[string](p, `document.querySelector('`+entry+` .data-text').textContent`)
	}
	if got := text(); got != payload.String()[:4096]+" …" {
		t.Errorf("before show all: %d characters of text (%.20q…), want the first 4096 and an ellipsis", len(got), got)
	}
	if n := eval[int](p, `document.querySelector('`+entry+` .hexdump').textContent.split('\n').length`); n != 4096/16 {
		t.Errorf("before show all: %d hex dump lines, want 256", n)
	}
	p.do("show all",
		chromedp.Click(chromedp.CSS(entry+` .data-show-all`)),
		chromedp.WaitNotPresent(chromedp.CSS(entry+` .data-show-all`)),
	)
	if got := text(); got != payload.String()[:shown] {
		t.Errorf("after show all: %d characters of text, want the %d shown", len(got), shown)
	}
	if n := eval[int](p, `document.querySelector('`+entry+` .hexdump').textContent.split('\n').length`); n != (shown+15)/16 {
		t.Errorf("after show all: %d hex dump lines, want %d", n, (shown+15)/16)
	}
	if got := eval[string](p, `document.querySelector('`+entry+` .data-more').textContent`); got != want {
		t.Errorf("after show all, the more line is %q, want %q", got, want)
	}
}
