package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// The packets panel on the workbench: a private session's TCP handshake and
// data segment as a sequence diagram, relative numbers by default and the
// wire's on a toggle, a send's segments highlighted from the log and from
// the stream map, the capture download; and on the host network the
// sentence saying why there is nothing to show.

// joinPage connects a test client to the page's session, with the page's
// session cookie.
func joinPage(p page, srv *testServer) *client {
	p.t.Helper()
	cookies := pageCookies(p, srv)
	u, _ := url.Parse(srv.URL)
	var jar []*http.Cookie
	for _, c := range cookies.Cookies {
		jar = append(jar, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	srv.jar.SetCookies(u, jar)
	return srv.dial(p.t)
}

// pageCookies reads the cookies the browser holds for srv (the page's
// session and learner), so a second client can join the page's session.
func pageCookies(p page, srv *testServer) *network.GetCookiesResult {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	cookies, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (*network.GetCookiesResult, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
		return &res, err
	})
	if err != nil {
		p.t.Fatalf("read the page's cookies: %v", err)
	}
	return cookies
}

// packetRows returns the text of the rows of the page's first TCP
// conversation, with each row's direction: "ab [SYN] Seq=0 Len=0".
func packetRows(p page) []string {
	return eval[[]string](p, `[...document.querySelectorAll('#packets .pk-conv[data-proto="TCP"]')[0]?.querySelectorAll('.pk-row') ?? []]
		.map(r => r.dataset.dir + ' ' + r.querySelector('.pk-label').textContent)`)
}

func TestBrowserPacketsHandshake(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	p := page{t: t, ctx: newBrowser(t)}
	const s1, s2, s3 = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`, `.sock-card[data-sock="s3"]`

	p.do("open the workbench",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#packets-empty[data-reason="none-yet"]`)),
	)
	if got := eval[string](p, `document.getElementById('capture-download').getAttribute('href')`); got != "/capture.pcap" {
		t.Errorf("capture link href %q, want /capture.pcap", got)
	}
	p.do("s1 listens on 9000; s2 connects; s1 accepts s3; s2 sends hello",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="listen"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="LISTENING"]`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="connect"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s2+`[data-state="CONNECTED"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s3+`[data-state="CONNECTED"]`)),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] textarea[name="text"]`), "hello"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send"] button[data-op="send"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="send"][data-ok="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#packets .pk-row[data-flags="PSH,ACK"][data-len="5"]`)),
	)
	eval[bool](p, `(document.getElementById('packets-heading').scrollIntoView(), true)`)
	p.shot("packets")
	if eval[bool](p, `!document.getElementById('packets-empty').hidden`) {
		t.Error("the empty note is still shown beside the packets")
	}
	if n := eval[int](p, `document.querySelectorAll('#log .log-entry[data-kind="packet"]').length`); n != 0 {
		t.Errorf("%d packet entries in the event log, want them in the packets panel only", n)
	}
	rows := packetRows(p)
	want := []string{
		"ab [SYN] Seq=0 Len=0",
		"ba [SYN, ACK] Seq=0 Ack=1 Len=0",
		"ab [ACK] Seq=1 Ack=1 Len=0",
		"ab [PSH, ACK] Seq=1 Ack=1 Len=5",
	}
	if len(rows) < len(want) || !slices.Equal(rows[:len(want)], want) {
		t.Errorf("rows (relative):\n%q\nwant them to start with\n%q", rows, want)
	}
	if got := eval[string](p, `document.querySelector('#packets .pk-conv .pk-end[data-end="b"]').textContent`); got != "127.0.0.1:9000" {
		t.Errorf("the diagram's right column is %q, want the listener 127.0.0.1:9000", got)
	}

	// The numbers on the wire are those of the session's packet messages.
	c := joinPage(p, srv)
	syn, synAck, ack, ok := handshake(c.resume(0), 9000)
	if !ok {
		t.Fatal("the session's log has no handshake to port 9000")
	}
	j, k := uint32(syn.obj("tcp").num("seq")), uint32(synAck.obj("tcp").num("seq"))
	if a := uint32(ack.obj("tcp").num("seq")); a != j+1 {
		t.Errorf("the ACK's seq %d, want J+1 = %d", a, j+1)
	}
	p.do("show absolute numbers", chromedp.Click(chromedp.CSS("#packets-absolute")))
	rows = packetRows(p)
	want = []string{
		fmt.Sprintf("ab [SYN] Seq=%d Len=0", j),
		fmt.Sprintf("ba [SYN, ACK] Seq=%d Ack=%d Len=0", k, j+1),
		fmt.Sprintf("ab [ACK] Seq=%d Ack=%d Len=0", j+1, k+1),
		fmt.Sprintf("ab [PSH, ACK] Seq=%d Ack=%d Len=5", j+1, k+1),
	}
	if len(rows) < len(want) || !slices.Equal(rows[:len(want)], want) {
		t.Errorf("rows (absolute):\n%q\nwant them to start with\n%q", rows, want)
	}
	p.do("back to relative numbers", chromedp.Click(chromedp.CSS("#packets-absolute")))

	// The send's bytes 0–5 are the data segment's: from the log entry, and
	// from the receiver's stream map.
	const hl = `#packets .pk-row.pk-hl`
	p.do("click the send in the log",
		chromedp.Click(chromedp.CSS(`.log-entry[data-op="send"][data-ok="true"] .call`)),
		chromedp.WaitVisible(chromedp.CSS(hl)),
	)
	if got := eval[[]string](p, `[...document.querySelectorAll('`+hl+`')].map(r => r.dataset.dir + ' ' + r.dataset.relSeq + '+' + r.dataset.len)`); !slices.Equal(got, []string{"ab 1+5"}) {
		t.Errorf("highlighted rows %q, want the one data segment, ab 1+5", got)
	}
	p.do("s3 receives; click the send's bracket on its stream map",
		chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s3+` .stream-map .send-bracket`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.pk-hl').forEach(e => e.classList.remove('pk-hl'))`),
		// (The map is redrawn as the socket's messages come: one step finds and clicks it.)
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+s3+` .stream-map .send-bracket').click()`),
		chromedp.WaitVisible(chromedp.CSS(hl)),
	)
	if got := eval[string](p, `document.querySelector('`+hl+`').dataset.start + '-' + document.querySelector('`+hl+`').dataset.end`); got != "0-5" {
		t.Errorf("the bracket highlighted the segment of stream bytes %s, want 0-5", got)
	}

	// The link downloads the page's own capture.
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(document.getElementById('capture-download').href).then(r => r.status + ' ' + r.headers.get('content-type'))`, chromedp.EvalAwaitPromise))
	if err != nil || got != "200 application/vnd.tcpdump.pcap" {
		t.Errorf("GET the capture link: %q (%v), want 200 application/vnd.tcpdump.pcap", got, err)
	}
}

// On this machine's network the panel says why it is empty and offers no
// capture.
func TestBrowserPacketsHostNetwork(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the workbench",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#packets-empty[data-reason="host-network"]`)),
	)
	got := eval[string](p, `document.getElementById('packets-empty').textContent`)
	for _, want := range []string{"no private network", "--network private", "build a lab"} {
		if !strings.Contains(got, want) {
			t.Errorf("the empty panel says %q; want it to mention %q", got, want)
		}
	}
	if !eval[bool](p, `document.getElementById('capture-download').hidden`) {
		t.Error("the capture link is shown on the host network, where /capture.pcap has nothing")
	}
}

// The LAN panel on this machine's network: the page builds a 3-host lab
// with its form, lists the hosts, makes sockets on h2 and h1 through the
// new-socket form's host select, and a broadcast from h1, which all three
// hosts' captures saw, is one arrow marked broadcast. The panel no longer
// says it has no private network, and offers the capture.
func TestBrowserLab(t *testing.T) {
	_, helper := privateConfig(t)
	srv := newServer(t, sessions.Config{Labs: helper.New})
	p := page{t: t, ctx: newBrowser(t)}
	const s1, s2 = `.sock-card[data-sock="s1"]`, `.sock-card[data-sock="s2"]`
	p.do("open the workbench and build a 3-host lab",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#packets-empty[data-reason="host-network"]`)),
		chromedp.Click(chromedp.CSS(`#lab-build button`)),
		chromedp.WaitVisible(chromedp.CSS(`#lab-hosts li[data-host="h3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lab-teardown button`)),
		chromedp.WaitVisible(chromedp.CSS(`#packets-empty[data-reason="none-yet"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#capture-download`)),
	)
	hosts := eval[[]string](p, `[...document.querySelectorAll('#lab-hosts li')].map(li => li.dataset.host + ' ' + li.dataset.addr)`)
	if want := []string{"h1 10.77.0.1", "h2 10.77.0.2", "h3 10.77.0.3"}; !slices.Equal(hosts, want) {
		t.Errorf("lab hosts %q, want %q", hosts, want)
	}
	p.do("s1 on h2 bound to ('', 9999); s2 on h1 broadcasts",
		chromedp.SetValue(chromedp.CSS(`#socket-host`), "h2"),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(s1)),
		clearAndType(s1+` form[data-op="bind"] input[name="host"]`, ""),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "9999"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.SetValue(chromedp.CSS(`#socket-host`), "h1"),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(s2)),
		chromedp.Click(chromedp.CSS(s2+` details.more summary`)),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="setsockopt"] select[name="option"]`), "SO_BROADCAST"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="setsockopt"] button[data-op="setsockopt"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="setsockopt"][data-ok="true"]`)),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="sendto"] input[name="host"]`), "10.77.0.255"),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="sendto"] input[name="port"]`), "9999"),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="sendto"] textarea[name="text"]`), "all"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="sendto"][data-ok="true"]`)),
	)
	if transcript := eval[string](p, `document.getElementById('transcript-code').textContent`); !strings.Contains(transcript, "s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # on lab host h2") {
		t.Errorf("the transcript does not say s1 is on h2:\n%s", transcript)
	}

	// Once the page has every host's view of the broadcast, it shows it once.
	c := joinPage(p, srv)
	seen := map[string]int{}
	for _, m := range c.resume(0) {
		if m.str("kind") == "packet" && m.str("proto") == "UDP" && m["broadcast"] == true {
			seen[m.str("host")] = int(m.num("seq"))
		}
	}
	for len(seen) < 3 {
		if m := c.next(); m.str("kind") == "packet" && m.str("proto") == "UDP" && m["broadcast"] == true {
			seen[m.str("host")] = int(m.num("seq"))
		}
	}
	last := 0
	for _, seq := range seen {
		last = max(last, seq)
	}
	p.do("the page has applied every host's view of it", renderedThrough(last))
	p.do("the packets panel is drawn", chromedp.WaitVisible(chromedp.CSS(`#packets .pk-row[data-cast="broadcast"]`)))
	// (Shown from the capture that reported the conversation first: any of the three.)
	rows := eval[[]string](p, `[...document.querySelectorAll('#packets .pk-row[data-cast]')].map(r => r.dataset.dir + ' ' + r.querySelector('.pk-label').textContent)`)
	if want := []string{"ab UDP Len=3 broadcast"}; !slices.Equal(rows, want) {
		t.Errorf("broadcast rows %q, want one %q (the three hosts saw it, at seqs %v)", rows, want, seen)
	}
	if got := eval[string](p, `document.querySelector('#packets .pk-row[data-cast]').closest('.pk-conv').querySelector('.pk-end[data-end="b"]').textContent`); got != "10.77.0.255:9999" {
		t.Errorf("the broadcast's right column %q, want 10.77.0.255:9999", got)
	}
}

// A page that opens after the log has lost the session's start gets a
// snapshot, and its LAN panel shows the lab the snapshot carries: its
// hosts and the teardown form.
func TestBrowserLabSnapshot(t *testing.T) {
	_, helper := privateConfig(t)
	srv := newServer(t, sessions.Config{Labs: helper.New, LogSize: 30})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the workbench", chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	c := joinPage(p, srv)
	c.must("lab", obj{"hosts": 3})
	s := c.socket("SOCK_DGRAM")
	for start := c.last(); c.last() <= start+60; {
		c.must("getsockname", obj{"sock": s})
	}
	p.do("reload: the page resumes from the start, which the log no longer has",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lab-hosts li[data-host="h3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lab-teardown button`)))
	if !eval[bool](p, `[...document.querySelectorAll('#log .log-entry')].some(e => e.textContent.includes('Caught up from a snapshot'))`) {
		t.Error("the page did not get a snapshot (the test would show nothing)")
	}
	hosts := eval[[]string](p, `[...document.querySelectorAll('#lab-hosts li')].map(li => li.dataset.host + ' ' + li.dataset.addr)`)
	if want := []string{"h1 10.77.0.1", "h2 10.77.0.2", "h3 10.77.0.3"}; !slices.Equal(hosts, want) {
		t.Errorf("after the snapshot the LAN panel lists %q, want %q", hosts, want)
	}
}
