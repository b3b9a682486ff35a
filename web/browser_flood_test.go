package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"

	"sockplay/sessions"
)

// floodMsg is what a flooder keeps of each message of the session.
type floodMsg struct {
	seq     int
	kind    string
	op      string
	ok      bool
	id      int
	hasText bool // a result with a transcript line (every flood op has one)
}

// flooder is a second client of a page's session — as a learner's Python
// program or a second tab would be — that pipelines UDP sendto/recvfrom
// pairs between the page's sockets, so the page gets a flood of results
// (and of pushed stats) through the real path: session log, subscriber
// queue, WebSocket writer.
type flooder struct {
	tb   testing.TB
	conn *websocket.Conn
	// batch is the pairs per frame; window the most requests unanswered;
	// rate, if set, the results per second to ask for (else as fast as the
	// window allows).
	batch, window, rate int
	// sendto and recvfrom are the two requests of a pair, without their ids.
	sendto, recvfrom string

	mu       sync.Mutex
	cond     *sync.Cond
	hello    int // the seq the session was at when the flooder joined
	msgs     []floodMsg
	answered int // results for the flooder's own requests
	readErr  error
}

// floodIDs is where the flooder's request ids start, far from the page's
// (which start at the page's load time in ms).
const floodIDs = 1

// joinFlood joins the page's session (its cookie from the browser) and
// starts reading. rx is the bound UDP socket, tx the one that sends to it at
// port.
func joinFlood(p page, srv *testServer, rx, tx, port string) *flooder {
	p.t.Helper()
	cookies := pageCookies(p, srv)
	header := http.Header{}
	for _, c := range cookies.Cookies {
		if c.Name == "sockplay_session" {
			header.Set("Cookie", c.Name+"="+c.Value)
		}
	}
	if header.Get("Cookie") == "" {
		p.t.Fatalf("the page has no session cookie")
	}
	conn, _, err := websocket.DefaultDialer.Dial(srv.wsURL(), header)
	if err != nil {
		p.t.Fatalf("join the page's session: %v", err)
	}
	p.t.Cleanup(func() { conn.Close() })
	f := &flooder{
		tb: p.t, conn: conn, batch: 32, window: 512, hello: -1,
		sendto:   `"op":"sendto","sock":"` + tx + `","data":{"text":"flood datagram"},"addr":["127.0.0.1",` + port + `]`,
		recvfrom: `"op":"recvfrom","sock":"` + rx + `","bufsize":64`,
	}
	f.cond = sync.NewCond(&f.mu)
	go f.read()
	f.mu.Lock()
	for f.hello < 0 && f.readErr == nil {
		f.cond.Wait()
	}
	f.mu.Unlock()
	if f.readErr != nil {
		p.t.Fatalf("join the page's session: %v", f.readErr)
	}
	return f
}

func (f *flooder) read() {
	var parser fastjson.Parser
	for {
		_, frame, err := f.conn.ReadMessage()
		if err == nil {
			var v *fastjson.Value
			if v, err = parser.ParseBytes(frame); err == nil {
				f.note(v)
			}
		}
		if err != nil {
			f.mu.Lock()
			f.readErr = err
			f.cond.Broadcast()
			f.mu.Unlock()
			return
		}
	}
}

// note records a frame's messages.
func (f *flooder) note(v *fastjson.Value) {
	items := []*fastjson.Value{v}
	if v.Type() == fastjson.TypeArray {
		items, _ = v.Array()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range items {
		fm := floodMsg{
			seq: m.GetInt("seq"), kind: string(m.GetStringBytes("kind")), op: string(m.GetStringBytes("op")),
			ok: m.GetBool("ok"), id: m.GetInt("id"),
		}
		if fm.kind == "hello" {
			f.hello = fm.seq
			continue
		}
		fm.hasText = fm.kind == "result" && fm.ok && fm.op != "resume" && fm.op != "stat" && fm.op != "watch"
		if fm.kind == "result" && fm.id >= floodIDs && fm.id < 1_000_000_000 {
			f.answered++
		}
		f.msgs = append(f.msgs, fm)
	}
	f.cond.Broadcast()
}

// flood sends pairs until at least pairs were sent and more() says stop
// (more may be nil), then one getsockname on rx, and returns that result's
// seq: the session's last message of the flood.
func (f *flooder) flood(pairs int, more func() bool, rx string) int {
	f.tb.Helper()
	id := floodIDs
	buf := make([]byte, 0, 64<<10)
	start := time.Now()
	for sent := 0; sent < pairs || more != nil && more(); sent += f.batch {
		if f.rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(2*sent) * time.Second / time.Duration(f.rate))))
		}
		f.mu.Lock()
		for 2*sent-f.answered > f.window && f.readErr == nil {
			f.cond.Wait()
		}
		err := f.readErr
		f.mu.Unlock()
		if err != nil {
			f.tb.Fatalf("flood: %v", err)
		}
		buf = append(buf[:0], '[')
		for i := 0; i < f.batch; i++ {
			for _, req := range []string{f.sendto, f.recvfrom} {
				if len(buf) > 1 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"id":`...)
				buf = strconv.AppendInt(buf, int64(id), 10)
				buf = append(buf, ',')
				buf = append(buf, req...)
				buf = append(buf, '}')
				id++
			}
		}
		buf = append(buf, ']')
		if err := f.conn.WriteMessage(websocket.TextMessage, buf); err != nil {
			f.tb.Fatalf("flood: %v", err)
		}
	}
	last := id
	req := fmt.Sprintf(`{"id":%d,"op":"getsockname","sock":%q}`, last, rx)
	if err := f.conn.WriteMessage(websocket.TextMessage, []byte(req)); err != nil {
		f.tb.Fatalf("flood: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		for i := len(f.msgs) - 1; i >= 0 && i >= len(f.msgs)-200; i-- {
			if m := f.msgs[i]; m.kind == "result" && m.id == last {
				return m.seq
			}
		}
		if f.readErr != nil {
			f.tb.Fatalf("flood: %v", f.readErr)
		}
		f.cond.Wait()
	}
}

// lastSeq returns the seq of the last message the flooder has seen (its
// hello's, before any other).
func (f *flooder) lastSeq() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) == 0 {
		return f.hello
	}
	return f.msgs[len(f.msgs)-1].seq
}

// seen returns a copy of the messages the flooder has seen.
func (f *flooder) seen() []floodMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]floodMsg(nil), f.msgs...)
}

// floodPage opens the workbench with two UDP sockets, s1 bound to a port
// and s2 bound too (so the flood changes no socket's state), and a flooder
// in its session.
func floodPage(tb testing.TB) (page, *flooder) {
	tb.Helper()
	srv := newServer(tb, sessions.Config{})
	p := page{t: tb, ctx: newBrowser(tb)}
	s1, s2 := card("s1"), card("s2")
	p.do("open the workbench with two bound UDP sockets",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(s1)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(s2)),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s2+`[data-state="BOUND"]`)),
	)
	port := eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`)
	return p, joinFlood(p, srv, "s1", "s2", port)
}

// renderedThrough waits until the page has applied every message up to seq.
func renderedThrough(seq int) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`Number(document.getElementById('workbench').dataset.lastSeq) >= %d`, seq),
		chromedp.WithPollingInterval(20*time.Millisecond))
}

// shownThrough waits until the log's newest entry is seq or later.
func shownThrough(seq int) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`Number(document.querySelector('#log .log-entry:last-child')?.dataset.seq) >= %d`, seq),
		chromedp.WithPollingInterval(10*time.Millisecond))
}

// TestBrowserFlood: while another client of the session floods it with
// results, the page renders every message in order — the last entry is the
// flood's last message, the log keeps its limit and counts every entry it
// dropped, the transcript counts every line — and a click during the flood
// is answered (its new socket's card appears while the flood goes on).
func TestBrowserFlood(t *testing.T) {
	p, f := floodPage(t)
	const max = 300
	eval[bool](p, fmt.Sprintf(`(document.getElementById('log').dataset.max = '%d', true)`, max))
	p.do("the page is up to date", renderedThrough(f.hello))
	shownBefore := eval[int](p, `document.querySelectorAll('#log .log-entry').length + Number(document.getElementById('log-trimmed').dataset.count ?? 0)`)
	linesBefore := eval[int](p, `document.querySelectorAll('#transcript-code .py-lines .py-line').length`)

	// The click happens once the flood is under way; the flood goes on
	// until the flooder has seen the click's result, and 1,000 pairs more.
	var clicked sync.WaitGroup
	clicked.Add(1)
	var clickSeq int
	var clickFailed atomic.Bool
	go func() {
		defer clicked.Done()
		ctx, cancel := context.WithTimeout(p.ctx, 2*browserStep)
		defer cancel()
		err := chromedp.Do(ctx,
			waitJS(fmt.Sprintf(`Number(document.getElementById('workbench').dataset.lastSeq) > %d`, f.hello+500),
				chromedp.WithPollingInterval(10*time.Millisecond)),
			chromedp.Click(chromedp.CSS("#new-udp4")),
		)
		if err != nil {
			clickFailed.Store(true)
			t.Errorf("click during the flood: %v", err)
		}
	}()
	clickResult := func() int {
		for _, m := range f.seen() {
			if m.kind == "result" && m.op == "socket" {
				return m.seq
			}
		}
		return 0
	}
	var waited, after int
	last := f.flood(2000, func() bool {
		if clickSeq == 0 {
			clickSeq = clickResult()
			// Until the click's result comes (unless the click failed, or
			// it never comes).
			waited++
			return !clickFailed.Load() && waited*f.batch < 100_000
		}
		after++
		return after*f.batch < 1000
	}, "s1")
	clicked.Wait()

	p.do("the page renders the whole flood, the log fills up again, and the click's card appears",
		renderedThrough(last), shownThrough(last),
		waitJS(fmt.Sprintf(`document.querySelectorAll('#log .log-entry').length >= %d`, max),
			chromedp.WithPollingInterval(10*time.Millisecond)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s3"]`)))
	if clickSeq <= f.hello || clickSeq >= last {
		t.Fatalf("the click's result is seq %d, want it inside the flood (%d, %d)", clickSeq, f.hello, last)
	}

	var wantShown, wantLines, results int
	for _, m := range f.seen() {
		if m.seq > last {
			break
		}
		// The page's own watch results (which cards it shows) stay out of
		// its log, like stat and socket messages.
		if m.kind != "stat" && m.kind != "socket" && !(m.kind == "result" && m.op == "watch") {
			wantShown++
		}
		if m.hasText {
			wantLines++
		}
		if m.kind == "result" {
			results++
		}
	}
	if results < 4000 {
		t.Fatalf("the flood made %d results, want at least 4000", results)
	}
	seqs := eval[[]int](p, `[...document.querySelectorAll('#log .log-entry')].map(e => Number(e.dataset.seq))`)
	dropped := eval[int](p, `Number(document.getElementById('log-trimmed').dataset.count ?? 0)`)
	if len(seqs) != max {
		t.Errorf("%d entries on the page, want the limit, %d", len(seqs), max)
	}
	if len(seqs) > 0 && seqs[len(seqs)-1] != last {
		t.Errorf("the last entry is seq %d, want the flood's last message, %d", seqs[len(seqs)-1], last)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("entry %d has seq %d after %d: out of order", i, seqs[i], seqs[i-1])
			break
		}
	}
	if got, want := len(seqs)+dropped, shownBefore+wantShown; got != want {
		t.Errorf("%d entries shown + %d dropped = %d, want %d (%d before the flood, %d in it)", len(seqs), dropped, got, want, shownBefore, wantShown)
	}
	// Both in one look: after a flood the page puts older lines back, a
	// frame at a time, moving lines from "earlier" to shown.
	counts := eval[[]int](p, `[document.querySelectorAll('#transcript-code .py-lines .py-line').length, Number(document.querySelector('#transcript-code .py-earlier').dataset.count)]`)
	lines, earlier := counts[0], counts[1]
	if got, want := lines+earlier, linesBefore+wantLines; got != want {
		t.Errorf("transcript: %d lines shown + %d earlier = %d, want %d", lines, earlier, got, want)
	}
	if got := eval[string](p, `document.querySelector('#transcript-code .py-lines .py-line:last-child').dataset.seq`); got != strconv.Itoa(last) {
		t.Errorf("the transcript's last line is seq %s, want %d", got, last)
	}
	if got := eval[string](p, `document.getElementById('status').dataset.state`); got != "live" {
		t.Errorf("status %q after the flood, want live", got)
	}
}
