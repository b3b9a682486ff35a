package web_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// browserStep bounds each step of a browser test.
const browserStep = 60 * time.Second

// newBrowser starts headless Chromium for one test. Without Chromium the test
// is skipped, except on CI (CI=true), where that is a failure.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is needed for browser tests: %v", err)
		}
		t.Skipf("no chromium: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser; its context must have no deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// page runs browser steps with a time limit each, failing the test on error.
type page struct {
	t   testing.TB
	ctx context.Context
}

func (p page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shot("failed")
		p.t.Fatalf("%s: %v\nthe page's text then:\n%s", what, err, p.text())
	}
}

// text is the page's visible text (its first 4,000 characters), for a
// failed step's message: what the page showed when the step gave up.
func (p page) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 4000) : ''`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// waitJS waits until a JavaScript expression is true, for as long as the
// step it is in allows (chromedp's own Poll gives up after 30 s). It polls
// on a timer, not per animation frame: a tab in the background draws no
// frames. Options given replace those defaults.
func waitJS(expr string, opts ...chromedp.PollOption) chromedp.Action[chromedp.Void] {
	opts = append([]chromedp.PollOption{chromedp.WithPollingInterval(50 * time.Millisecond), chromedp.WithPollingTimeout(0)}, opts...)
	return chromedp.Poll[chromedp.Void](expr, opts...)
}

// press clicks the element a CSS selector names from inside the page
// (element.click()), which a layout shift between finding the element and
// clicking its coordinates cannot turn into a click on something else. It
// fails at once when nothing matches.
func press(selector string) chromedp.Action[chromedp.Void] {
	q := strconv.Quote(selector)
	return chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector(` + q + `); if (!el) throw new Error('nothing matches ' + ` + q + `); el.click(); })()`)
}

// eval evaluates a JavaScript expression in the page and returns its value.
func eval[T any](p page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot into $SOCKPLAY_SCREENSHOTS, when that is set, so a
// person can look at what the test saw.
func (p page) shot(name string) {
	dir := os.Getenv("SOCKPLAY_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, strings.ReplaceAll(p.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
}

// logSeqs returns the data-seq of every event log entry, in page order.
func logSeqs(p page) []string {
	return eval[[]string](p, `[...document.querySelectorAll('#log .log-entry')].map(e => e.dataset.seq)`)
}

// TestWorkbenchUDP drives the workbench like a learner: two UDP sockets, the
// receiver bound to port 0, a datagram sent with sendto and read with
// recvfrom. Then it reloads the page, which must rebuild the same log from
// the session (resume after 0), with no entry lost or shown twice.
func TestWorkbenchUDP(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))

	p.do("open the workbench", chromedp.Navigate(srv.URL+"/workbench"), live)
	p.do("create two UDP sockets",
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s2"]`)),
	)

	const rx, tx = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("bind s1 to port 0",
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(rx+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(rx+`[data-state="BOUND"]`)),
	)
	port := eval[string](p, `document.querySelector('`+rx+` [data-field="laddr"]').dataset.port`)
	if port == "" || port == "0" {
		t.Fatalf("s1's card shows port %q after bind to port 0, want the real port", port)
	}

	const payload = "hello from s2, 你好"
	p.do("sendto s1 from s2",
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] textarea[name="text"]`), payload),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="host"]`), "127.0.0.1"),
		chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(tx+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="sendto"][data-ok="true"]`)),
	)

	p.do("recvfrom on s1",
		chromedp.Click(chromedp.CSS(rx+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recvfrom"][data-ok="true"] .data-text`)),
	)
	p.shot("received")

	const received = `.log-entry[data-op="recvfrom"][data-ok="true"]`
	if got := eval[string](p, `document.querySelector('`+received+` .data-text').textContent`); got != payload {
		t.Errorf("received text %q, want %q", got, payload)
	}
	// The sender's address is s2's local address, known once sendto bound it.
	senderPort := eval[string](p, `document.querySelector('`+tx+` [data-field="laddr"]').dataset.port ?? ''`)
	if senderPort == "" {
		t.Fatalf("s2's card shows no local port after sendto")
	}
	wantFrom := fmt.Sprintf("from ('127.0.0.1', %s)", senderPort)
	if got := eval[string](p, `document.querySelector('`+received+` .outcome').textContent`); !strings.Contains(got, wantFrom) {
		t.Errorf("recvfrom outcome %q, want it to contain %q", got, wantFrom)
	}
	if got := eval[string](p, `document.querySelector('`+received+` .hexdump').textContent`); !strings.HasPrefix(got, "00000000: 6865 6c6c 6f20") {
		t.Errorf("hex dump %q, want it to start with the bytes of %q", got, "hello ")
	}
	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	for _, want := range []string{
		"import socket\n",
		"s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n",
		"s1.bind(('127.0.0.1', 0))  # bound to ('127.0.0.1', " + port + ")\n",
		"s2.sendto('hello from s2, 你好'.encode('utf-8'), ('127.0.0.1', s1.getsockname()[1]))", // not port, which the kernel chose
		"data, addr = s1.recvfrom(1024)",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q; it is:\n%s", want, transcript)
		}
	}
	if strings.Contains(codeOf(transcript), port) {
		t.Errorf("the transcript's code hard-codes port %s:\n%s", port, transcript)
	}
	want := map[string][]string{"s1": {hex.EncodeToString([]byte("hello from s2, 你好"))}}
	if got := runTranscript(t, transcript); !equalRecvs(got, want) {
		t.Errorf("the transcript run as a program received %v, want %v:\n%s", got, want, transcript)
	}

	// Copy: the Clipboard API, else a selected textarea, else a selection
	// to copy by hand; the status says which.
	p.do("copy", chromedp.Click(chromedp.CSS("#copy-python")),
		chromedp.WaitVisible(chromedp.CSS("#copy-status:not(:empty)")))
	if got := eval[string](p, `document.getElementById('copy-status').textContent`); got != "Copied." && !strings.HasPrefix(got, "Selected") {
		t.Errorf("copy status %q, want Copied. or the hand-copy hint", got)
	}

	before := logSeqs(p)
	if len(before) == 0 || hasDuplicates(before) {
		t.Fatalf("log seqs before reload %v: want some, none twice", before)
	}
	p.do("reload", chromedp.Reload(), live,
		chromedp.WaitVisible(chromedp.CSS(received+` .data-text`)))
	p.shot("reloaded")
	if after := logSeqs(p); !slices.Equal(before, after[:min(len(before), len(after))]) || hasDuplicates(after) {
		t.Errorf("log seqs after reload %v, want %v first and none twice", after, before)
	}
	if got := eval[string](p, `document.getElementById('transcript-code').textContent`); got != transcript {
		t.Errorf("transcript after reload:\n%s\nwant:\n%s", got, transcript)
	}
}

func hasDuplicates(s []string) bool {
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v] {
			return true
		}
		seen[v] = true
	}
	return false
}

// TestWorkbenchTCP covers waiting and cancelling, accept, stream coalescing
// and an error with its Python text: s1 listens; an accept waits and is
// cancelled; a second accept gets s2's connection as s3; two sends arrive in
// one recv; a second bind to s1's port fails with EADDRINUSE.
func TestWorkbenchTCP(t *testing.T) {
	srv := newServer(t, sessions.Config{})
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

	const waitingAccept = `.log-entry[data-kind="waiting"][data-op="accept"]`
	p.do("accept waits, then is cancelled",
		chromedp.Click(chromedp.CSS(s1+` form[data-op="accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+` .waiting-item button[data-cancel]`)),
		chromedp.WaitVisible(chromedp.CSS(waitingAccept+` button.cancel`)),
		chromedp.Click(chromedp.CSS(s1+` .waiting-item button[data-cancel]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="accept"][data-ok="false"] .error[data-type="cancelled"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(s1+` .waiting-item`)),
		chromedp.WaitVisible(chromedp.CSS(waitingAccept+`.done`)),
	)
	p.shot("cancelled")

	p.do("connect s2 to s1; the accept returns s3",
		chromedp.Click(chromedp.CSS(s1+` form[data-op="accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+` .waiting-item`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="connect"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="connect"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s2+`[data-state="CONNECTED"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s3"][data-state="CONNECTED"]`)),
	)
	if got := eval[string](p, `document.querySelector('.sock-card[data-sock="s3"] [data-field="listener"]').textContent`); got != "s1" {
		t.Errorf("s3's listener %q, want s1", got)
	}

	const s3 = `.sock-card[data-sock="s3"]`
	p.do("two sends, one recv",
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] textarea[name="text"]`), "hello"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send"] button[data-op="send"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="send"][data-ok="true"]`)),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] textarea[name="text"]`), "world"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send"] button[data-op="sendall"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="sendall"][data-ok="true"]`)),
		chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recv"][data-ok="true"] .data-text`)),
	)
	if got := eval[string](p, `document.querySelector('.log-entry[data-op="recv"][data-ok="true"] .data-text').textContent`); got != "helloworld" {
		t.Errorf("recv got %q, want both sends in one chunk, %q", got, "helloworld")
	}

	p.do("a second bind to s1's port fails",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(`.sock-card[data-sock="s4"] form[data-op="bind"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(`.sock-card[data-sock="s4"] form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="bind"][data-ok="false"] .error`)),
	)
	p.shot("done")
	if got, want := eval[string](p, `document.querySelector('.log-entry[data-op="bind"][data-ok="false"] .error').textContent`),
		"OSError: [Errno 98] Address already in use"; got != want {
		t.Errorf("bind error %q, want %q", got, want)
	}
	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	for _, want := range []string{
		"s1.listen()\n",
		"s3, addr = s1.accept()  # addr = ('127.0.0.1', ",
		"s2.connect(('127.0.0.1', s1.getsockname()[1]))\n", // the port the kernel chose, not hard-coded
		"s2.send(b'hello')  # → 5\n",
		"s2.sendall(b'world')\n",
		"data = s3.recv(1024)  # b'helloworld'\n",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q; it is:\n%s", want, transcript)
		}
	}
	// The transcript runs as a program and receives what the session did.
	want := map[string][]string{"s3": {hex.EncodeToString([]byte("helloworld"))}}
	if got := runTranscript(t, transcript); !equalRecvs(got, want) {
		t.Errorf("the transcript run as a program received %v, want %v:\n%s", got, want, transcript)
	}
}

// TestWorkbenchLogLimit: the log keeps its newest entries only (the limit
// is set low here through data-max), says how many it dropped, and starts
// over complete after a reload, which replays the session's log.
func TestWorkbenchLogLimit(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	const s1 = `.sock-card[data-sock="s1"]`
	p.do("open the workbench with a UDP socket", chromedp.Navigate(srv.URL+"/workbench"), live,
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(s1)),
	)
	if !eval[bool](p, `document.getElementById('log-trimmed').hidden`) {
		t.Errorf("the trimmed note shows before anything was dropped")
	}
	const max, stats = 6, 8
	eval[bool](p, fmt.Sprintf(`(document.getElementById('log').dataset.max = '%d', true)`, max))
	lastSeq := func() int {
		return eval[int](p, `Math.max(0, ...[...document.querySelectorAll('#log .log-entry')].map(e => Number(e.dataset.seq)))`)
	}
	shown := 0 // entries the page has shown in all, dropped or not
	for i := 1; i <= stats; i++ {
		before := lastSeq()
		p.do(fmt.Sprintf("stat %d", i),
			chromedp.Click(chromedp.CSS(s1+` form[data-op="stat"] button`)),
			waitJS(fmt.Sprintf(`[...document.querySelectorAll('#log .log-entry[data-op="stat"][data-ok="true"]')].some(e => Number(e.dataset.seq) > %d)`, before),
				chromedp.WithPollingInterval(20*time.Millisecond)),
		)
	}
	entries := eval[int](p, `document.querySelectorAll('#log .log-entry').length`)
	dropped := eval[int](p, `Number(document.getElementById('log-trimmed').dataset.count ?? 0)`)
	shown = entries + dropped
	if entries != max || dropped < stats-max {
		t.Fatalf("%d entries on the page and %d dropped, want %d and at least %d", entries, dropped, max, stats-max)
	}
	if got, want := eval[string](p, `document.getElementById('log-trimmed').textContent`), fmt.Sprintf("%d older entries are not shown", dropped); !strings.HasPrefix(got, want) || eval[bool](p, `document.getElementById('log-trimmed').hidden`) {
		t.Errorf("trimmed note %q, want it shown, starting %q", got, want)
	}
	if got := eval[int](p, `document.querySelectorAll('#log .log-entry[data-op="stat"][data-ok="true"]').length`); got == 0 {
		t.Errorf("the newest entries, stat results among them, were dropped")
	}

	p.do("reload", chromedp.Reload(), live, chromedp.WaitVisible(chromedp.CSS(s1)))
	if got := eval[int](p, `document.querySelectorAll('#log .log-entry').length`); got < shown {
		t.Errorf("after a reload (default limit) the log has %d entries, want all %d again", got, shown)
	}
	if !eval[bool](p, `document.getElementById('log-trimmed').hidden`) {
		t.Errorf("the trimmed note shows after a reload that dropped nothing")
	}
}
