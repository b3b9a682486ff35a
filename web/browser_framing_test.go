package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

// card is the CSS selector of a socket's card.
func card(sock string) string { return `.sock-card[data-sock="` + sock + `"]` }

// waitCount waits until at least n elements match sel.
func waitCount(sel string, n int) chromedp.Action[chromedp.Void] {
	return waitJS(
		fmt.Sprintf("document.querySelectorAll(%q).length >= %d", sel, n),
		chromedp.WithPollingInterval(20*time.Millisecond))
}

// clearAndType sets a field's value, the empty string included (SetValue
// refuses that).
func clearAndType(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%q).value = %q", sel, value))
}

// texts returns the textContent of every element matching sel.
func texts(p page, sel string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf("[...document.querySelectorAll(%q)].map(e => e.textContent)", sel))
}

// attrs returns one attribute of every element matching sel.
func attrs(p page, sel, attr string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf("[...document.querySelectorAll(%q)].map(e => e.getAttribute(%q))", sel, attr))
}

// workbenchTCPPair opens the workbench on a server that pushes stat
// messages and makes the TCP pair of tcpPairInPage.
func workbenchTCPPair(t *testing.T) page {
	t.Helper()
	srv := newServer(t, sessions.Config{StatEvery: 50 * time.Millisecond})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open the workbench", chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	tcpPairInPage(p)
	return p
}

// tcpPairInPage builds, by clicking, a TCP connection inside the page: s1
// listens on port 0, s2 connects to it, and s1's accept returns s3.
func tcpPairInPage(p page) {
	p.t.Helper()
	s1, s2 := card("s1"), card("s2")
	p.do("s1 listens on port 0",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="BOUND"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="listen"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s1+`[data-state="LISTENING"]`)),
	)
	port := eval[string](p, `document.querySelector('`+s1+` [data-field="laddr"]').dataset.port`)
	p.do("s2 connects; s1 accepts s3",
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="connect"] input[name="port"]`), port),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="connect"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s2+`[data-state="CONNECTED"]`)),
		chromedp.Click(chromedp.CSS(s1+` form[data-op="accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(card("s3")+`[data-state="CONNECTED"]`)),
	)
}

// sendFrom sends text with send() from a socket's card and waits until the
// log holds n successful send results.
func sendFrom(p page, sock, text string, n int) {
	p.t.Helper()
	c := card(sock)
	p.do("send "+text,
		chromedp.SetValue(chromedp.CSS(c+` form[data-op="send"] textarea[name="text"]`), text),
		chromedp.Click(chromedp.CSS(c+` form[data-op="send"] button[data-op="send"]`)),
		waitCount(`.log-entry[data-kind="result"][data-op="send"][data-ok="true"]`, n),
	)
}

// TestBrowserStreamMap builds the "sticky packets" case on the workbench:
// two sends from the client, then, once the accepted socket's stat shows the
// ten bytes queued, one recv. The stream map must draw both sends as
// brackets over a single chunk, byte-accurately in its hex view, and be
// rebuilt the same from the log after a reload. Then one send read by two
// recvs shows as split.
func TestBrowserStreamMap(t *testing.T) {
	p := workbenchTCPPair(t)

	sendFrom(p, "s2", "hello", 1)
	sendFrom(p, "s2", "world", 2)
	const s3 = `.sock-card[data-sock="s3"]`
	const m = s3 + ` .stream-map[data-sock="s3"]`
	p.do("the receive queue fills before any recv",
		chromedp.WaitVisible(chromedp.CSS(s3+` .kernel[data-inq="10"]`)),
		waitCount(m+` .send-bracket`, 2),
		chromedp.WaitVisible(chromedp.CSS(m+` .stream-queued[data-start="0"][data-end="10"]`)),
	)
	p.shot("queued")
	if got := eval[string](p, `document.querySelector('`+s3+` [data-stat="peek"] .data-text').textContent`); got != "helloworld" {
		t.Errorf("s3's peek shows %q, want the queued %q", got, "helloworld")
	}

	p.do("one recv takes both sends",
		chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
		chromedp.WaitVisible(chromedp.CSS(m+` .recv-chunk`)),
		chromedp.WaitNotPresent(chromedp.CSS(m+` .stream-queued`)),
	)
	p.shot("stuck")
	check := func(when string) {
		t.Helper()
		if got := attrs(p, m+` .send-bracket`, "data-index"); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("%s: send brackets %v, want [1 2]", when, got)
		}
		chunks := eval[[]string](p, `[...document.querySelectorAll('`+m+` .recv-chunk')].map(c => c.dataset.start + '-' + c.dataset.end + ' sends ' + c.dataset.sends)`)
		if want := []string{"0-10 sends 1,2"}; !slices.Equal(chunks, want) {
			t.Errorf("%s: recv chunks %v, want %v", when, chunks, want)
		}
		// Each bracket sits over the chunk: its columns are inside the chunk's.
		inside := eval[bool](p, `(() => {
			const chunk = document.querySelector('`+m+` .recv-chunk').getBoundingClientRect();
			return [...document.querySelectorAll('`+m+` .send-bracket')].every(b => {
				const r = b.getBoundingClientRect();
				return r.left >= chunk.left - 1 && r.right <= chunk.right + 1 && r.bottom <= chunk.top;
			});
		})()`)
		if !inside {
			t.Errorf("%s: the send brackets are not drawn above the chunk", when)
		}
		if got := eval[string](p, `document.querySelector('`+m+` .sm-summary').textContent`); !strings.Contains(got, "stuck together") {
			t.Errorf("%s: summary %q does not say the sends stuck together", when, got)
		}
	}
	check("live")

	p.do("the hex view",
		chromedp.Click(chromedp.CSS(m+` button[data-stream-view="hex"]`)),
		chromedp.WaitVisible(chromedp.CSS(s3+` .stream-map[data-view="hex"] .hex-byte`)),
	)
	p.shot("hex")
	hexSel := s3 + ` .stream-map[data-view="hex"]`
	if got := strings.Join(texts(p, hexSel+` .hex-byte .hb-hex`), " "); got != "68 65 6c 6c 6f 77 6f 72 6c 64" {
		t.Errorf("hex view bytes %q, want helloworld's", got)
	}
	if got := strings.Join(attrs(p, hexSel+` .hex-byte`, "data-send"), ""); got != "1111122222" {
		t.Errorf("hex view byte owners %q, want five bytes of send 1 then five of send 2", got)
	}
	if got := attrs(p, hexSel+` .hex-chunk`, "data-start"); !slices.Equal(got, []string{"0"}) {
		t.Errorf("hex view chunks start at %v, want one chunk at 0", got)
	}
	p.do("back to calls", chromedp.Click(chromedp.CSS(hexSel+` button[data-stream-view="calls"]`)),
		chromedp.WaitVisible(chromedp.CSS(m+`[data-view="calls"] .recv-chunk`)))

	p.do("reload", chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(m+` .recv-chunk`)))
	check("after reload")

	// Split: one send read by two recvs; both chunks name it.
	sendFrom(p, "s2", "0123456789", 3)
	p.do("recv(4), then recv(1024)",
		chromedp.WaitVisible(chromedp.CSS(s3+` .kernel[data-inq="10"]`)),
		chromedp.SetValue(chromedp.CSS(s3+` form[data-op="recv"] input[name="bufsize"]`), "4"),
		chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
		waitCount(m+` .recv-chunk`, 2),
		chromedp.SetValue(chromedp.CSS(s3+` form[data-op="recv"] input[name="bufsize"]`), "1024"),
		chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
		waitCount(m+` .recv-chunk`, 3),
	)
	p.shot("split")
	chunks := eval[[]string](p, `[...document.querySelectorAll('`+m+` .recv-chunk')].map(c => c.dataset.call + ' ' + c.dataset.start + '-' + c.dataset.end + ' sends ' + c.dataset.sends)`)
	if want := []string{"recv(1024) 0-10 sends 1,2", "recv(4) 10-14 sends 3", "recv(1024) 14-20 sends 3"}; !slices.Equal(chunks, want) {
		t.Errorf("after the split, recv chunks %v, want %v", chunks, want)
	}
	if got := texts(p, m+` .sm-note.split`); len(got) != 1 || !strings.Contains(got[0], "send #3 came back in 2 recv() chunks") {
		t.Errorf("split notes %q, want one about send #3", got)
	}

	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	for _, want := range []string{"s2.send(b'hello')  # → 5\n", "s2.send(b'world')  # → 5\n", "data = s3.recv(1024)  # b'helloworld'\n"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript after reload lacks %q (the request echo supplies the arguments); it is:\n%s", want, transcript)
		}
	}
}

// TestBrowserKernel checks the kernel part of TCP cards: the stat button,
// one-click TCP options reflecting the socket's options, and the segment
// counters with their Δ since a reset.
func TestBrowserKernel(t *testing.T) {
	p := workbenchTCPPair(t)
	s2 := card("s2")

	p.do("unfold the TCP options", chromedp.Click(chromedp.CSS(s2+` details.k-more > summary`)))
	p.do("TCP_NODELAY on",
		chromedp.Click(chromedp.CSS(s2+` button[data-toggle-option="TCP_NODELAY"]`)),
		chromedp.WaitVisible(chromedp.CSS(s2+` button[data-toggle-option="TCP_NODELAY"][aria-pressed="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="setsockopt"][data-ok="true"]`)),
	)
	p.do("TCP_NODELAY off again",
		chromedp.Click(chromedp.CSS(s2+` button[data-toggle-option="TCP_NODELAY"]`)),
		chromedp.WaitVisible(chromedp.CSS(s2+` button[data-toggle-option="TCP_NODELAY"][aria-pressed="false"]`)),
	)
	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	for _, want := range []string{
		"s2.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n",
		"s2.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)\n",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q; it is:\n%s", want, transcript)
		}
	}

	p.do("stat, then reset the counters",
		chromedp.Click(chromedp.CSS(s2+` form[data-op="stat"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="stat"][data-ok="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(s2+` .kernel[data-state="ESTABLISHED"]`)),
		chromedp.Click(chromedp.CSS(s2+` button[data-reset-counters]`)),
	)
	sendFrom(p, "s2", "a", 1)
	sendFrom(p, "s2", "b", 2)
	p.do("the counters move",
		waitJS(`(document.querySelector('`+s2+` [data-counter="data_segs_out"] .k-delta')?.textContent ?? '') !== ''`,
			chromedp.WithPollingInterval(20*time.Millisecond)),
		waitJS(`document.querySelector('`+s2+` [data-stat="since"]').textContent.startsWith('Since reset: 2 send() calls')`,
			chromedp.WithPollingInterval(20*time.Millisecond)),
	)
	p.shot("kernel")
}

// TestBrowserDatagrams checks UDP's edges in the log: each datagram its own
// box, a truncated one with the bytes discarded, an empty one as a 0-byte
// datagram (not an end of file); and, on TCP, an empty recv as the peer
// closing.
func TestBrowserDatagrams(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	rx, tx := card("s1"), card("s2")
	p.do("two UDP sockets; s1 bound to port 0",
		chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(rx)),
		chromedp.Click(chromedp.CSS("#new-udp4")),
		chromedp.WaitVisible(chromedp.CSS(tx)),
		chromedp.SetValue(chromedp.CSS(rx+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(rx+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(rx+`[data-state="BOUND"]`)),
	)
	port := eval[string](p, `document.querySelector('`+rx+` [data-field="laddr"]').dataset.port`)
	sendto := func(text string, n int) {
		p.do("sendto "+text,
			clearAndType(tx+` form[data-op="sendto"] textarea[name="text"]`, text),
			chromedp.SetValue(chromedp.CSS(tx+` form[data-op="sendto"] input[name="port"]`), port),
			chromedp.Click(chromedp.CSS(tx+` form[data-op="sendto"] button[data-op="sendto"]`)),
			waitCount(`.log-entry[data-op="sendto"][data-ok="true"]`, n))
	}
	recvfrom := func(bufsize string, n int) {
		p.do("recvfrom "+bufsize,
			chromedp.SetValue(chromedp.CSS(rx+` form[data-op="recvfrom"] input[name="bufsize"]`), bufsize),
			chromedp.Click(chromedp.CSS(rx+` form[data-op="recvfrom"] button[data-op="recvfrom"]`)),
			waitCount(`.log-entry[data-op="recvfrom"][data-ok="true"] .datagram`, n))
	}
	sendto("hello world", 1)
	sendto("", 2)
	recvfrom("4", 1)
	recvfrom("1024", 2)
	p.shot("datagrams")

	boxes := eval[[]string](p, `[...document.querySelectorAll('.log-entry[data-op="recvfrom"] .datagram')].map(d =>
		d.className + ' ' + d.dataset.size + '/' + d.dataset.kept + ' ' + (d.querySelector('.discarded')?.dataset.discarded ?? '-'))`)
	if want := []string{"datagram truncated 11/4 7", "datagram empty 0/0 -"}; !slices.Equal(boxes, want) {
		t.Errorf("datagram boxes %v, want %v", boxes, want)
	}
	if got := eval[string](p, `document.querySelector('.datagram.truncated .discarded').textContent`); !strings.HasPrefix(got, "7 bytes discarded") {
		t.Errorf("truncated datagram says %q, want it to start with %q", got, "7 bytes discarded")
	}
	if got := eval[string](p, `document.querySelector('.datagram.truncated .data-text').textContent`); got != "hell" {
		t.Errorf("truncated datagram kept %q, want %q", got, "hell")
	}
	if got := eval[string](p, `document.querySelector('.datagram.empty .dg-head').textContent`); !strings.HasPrefix(got, "0-byte datagram") {
		t.Errorf("empty datagram head %q", got)
	}
	if n := eval[int](p, `document.querySelectorAll('.log-entry[data-op="recvfrom"] .eof').length`); n != 0 {
		t.Errorf("an empty datagram is shown as end of file")
	}

	// TCP: the peer closes; recv returns b''.
	srv2 := newServer(t, sessions.Config{})
	p.do("open a fresh workbench", chromedp.Navigate(srv2.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	tcpPairInPage(p)
	p.do("s2 closes; s3 reads b''",
		chromedp.Click(chromedp.CSS(card("s2")+` form[data-op="close"] button`)),
		chromedp.WaitVisible(chromedp.CSS(card("s2")+`[data-state="CLOSED"]`)),
		chromedp.Click(chromedp.CSS(card("s3")+` form[data-op="recv"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recv"][data-ok="true"] .eof`)),
	)
	if got := eval[string](p, `document.querySelector('.log-entry[data-op="recv"][data-ok="true"] .outcome').textContent`); got != "→ peer closed (b'')" {
		t.Errorf("recv of b'' outcome %q", got)
	}
}

// TestBrowserRecvFrame frames messages on the workbench: s3's recv_frame
// waits while s2 sends a length prefix and part of the body by hand, shows
// its progress live on the card, and completes with the whole message and
// the three recv calls it made. Then a prefix packed big-endian and read as
// native (little-endian) fails, still listing the read it made.
func TestBrowserRecvFrame(t *testing.T) {
	p := workbenchTCPPair(t)
	s2, s3 := card("s2"), card("s3")
	const waiting = `.sock-card[data-sock="s3"] .waiting-item`
	p.do("s3's recv_frame waits",
		press(s3+` details.framing > summary`),
		chromedp.WaitVisible(chromedp.CSS(s3+` form[data-op="send_frame"] button[data-op="recv_frame"]`)),
		press(s3+` form[data-op="send_frame"] button[data-op="recv_frame"]`),
		chromedp.WaitVisible(chromedp.CSS(waiting)),
	)
	p.do("s2 sends the prefix of an 11-byte message and 5 bytes of it",
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] select[name="encoding"]`), "hex"),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] textarea[name="text"]`), "0000000b 68656c6c6f"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send"] button[data-op="sendall"]`)),
		chromedp.WaitVisible(chromedp.CSS(waiting+` .frame-progress[data-phase="body"]`)),
	)
	p.shot("progress")
	if got := eval[string](p, `document.querySelector('`+waiting+` [data-progress="awaiting"]').textContent`); got != "still awaited: 6" {
		t.Errorf("progress says %q, want %q", got, "still awaited: 6")
	}
	if got := eval[string](p, `document.querySelector('`+waiting+` [data-progress="length"]').textContent`); got != "declared length: 11" {
		t.Errorf("progress says %q, want %q", got, "declared length: 11")
	}

	const done = `.log-entry[data-op="recv_frame"][data-ok="true"]`
	p.do("s2 sends the rest",
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] select[name="encoding"]`), "utf-8"),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send"] textarea[name="text"]`), " world"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send"] button[data-op="sendall"]`)),
		chromedp.WaitVisible(chromedp.CSS(done+` .frame-reads`)),
		chromedp.WaitNotPresent(chromedp.CSS(waiting)),
	)
	p.shot("framed")
	if got := eval[string](p, `document.querySelector('`+done+` .frame-result .data-text').textContent`); got != "hello world" {
		t.Errorf("recv_frame message %q, want %q", got, "hello world")
	}
	reads := eval[[]string](p, `[...document.querySelectorAll('`+done+` .frame-read')].map(r => r.dataset.bufsize + '→' + r.dataset.size)`)
	if want := []string{"4→4", "11→5", "6→6"}; !slices.Equal(reads, want) {
		t.Errorf("recv_frame reads %v, want %v", reads, want)
	}
	m := s3 + ` .stream-map`
	chunks := eval[[]string](p, `[...document.querySelectorAll('`+m+` .recv-chunk')].map(c => c.dataset.start + '-' + c.dataset.end + ' sends ' + c.dataset.sends)`)
	if want := []string{"0-4 sends 1", "4-9 sends 1", "9-15 sends 2"}; !slices.Equal(chunks, want) {
		t.Errorf("stream map chunks of the frame's reads %v, want %v", chunks, want)
	}

	// The endianness pitfall: packed with '!I', unpacked as native 'I'.
	p.do("s2 send_frame '!I'; s3 recv_frame 'I' fails",
		press(s2+` details.framing > summary`),
		chromedp.SetValue(chromedp.CSS(s2+` form[data-op="send_frame"] textarea[name="text"]`), "hi"),
		chromedp.Click(chromedp.CSS(s2+` form[data-op="send_frame"] button[data-op="send_frame"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="send_frame"][data-ok="true"] .frame-prefix`)),
		chromedp.SetValue(chromedp.CSS(s3+` form[data-op="send_frame"] select[name="format"]`), "I"),
		chromedp.Click(chromedp.CSS(s3+` form[data-op="send_frame"] button[data-op="recv_frame"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recv_frame"][data-ok="false"] .frame-read`)),
	)
	p.shot("endianness")
	if got := eval[string](p, `document.querySelector('.log-entry[data-op="send_frame"] .frame-prefix').textContent`); !strings.Contains(got, "00 00 00 02 = 2 with '!I'") || !strings.Contains(got, "reads 33554432") {
		t.Errorf("send_frame prefix note %q, want the prefix, its value and the little-endian misreading", got)
	}
	if got := eval[string](p, `document.querySelector('.log-entry[data-op="recv_frame"][data-ok="false"] .error').dataset.type`); got != "limit" {
		t.Errorf("recv_frame with the wrong byte order failed with %q, want limit", got)
	}

	transcript := eval[string](p, `document.getElementById('transcript-code').textContent`)
	for _, want := range []string{
		"import socket\nimport struct\n",
		"def recv_exactly(sock, n):\n",
		"(n,) = struct.unpack('!I', recv_exactly(s3, 4))\ndata = recv_exactly(s3, n)  # b'hello world'\n",
		"s2.sendall(bytes.fromhex('0000000b 68656c6c6f'))\n",
		"body = b'hi'\ns2.sendall(struct.pack('!I', len(body)) + body)\n",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q; it is:\n%s", want, transcript)
		}
	}
}

// TestBrowserTimeWait: s3 (the accepted end) closes first, s2 reads the end
// of the stream and closes too; s3's card, closed, still shows the kernel keeping its
// connection in TIME_WAIT, pushed and on a stat click.
func TestBrowserTimeWait(t *testing.T) {
	p := workbenchTCPPair(t)
	s2, s3 := card("s2"), card("s3")
	p.do("s3 closes first",
		chromedp.Click(chromedp.CSS(s3+` form[data-op="close"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s3+`[data-state="CLOSED"]`)),
	)
	p.do("s2 reads b''",
		chromedp.Click(chromedp.CSS(s2+` form[data-op="recv"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="recv"][data-ok="true"]`)),
	)
	p.do("s2 closes",
		chromedp.Click(chromedp.CSS(s2+` form[data-op="close"] button`)),
		chromedp.WaitVisible(chromedp.CSS(s2+`[data-state="CLOSED"]`)),
	)
	p.do("s3's kernel part shows TIME_WAIT",
		chromedp.WaitVisible(chromedp.CSS(s3+` .kernel[data-state="TIME_WAIT"][data-closed="true"]`)),
		chromedp.Click(chromedp.CSS(s3+` form[data-op="stat"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="stat"][data-ok="true"]`)),
	)
	p.do("show it", chromedp.ScrollIntoView(chromedp.CSS(s3)))
	p.shot("time-wait")
	if got := eval[string](p, `document.querySelector('`+s3+` [data-stat="state"]').textContent`); got != "TIME_WAIT (fd closed; the kernel keeps it)" {
		t.Errorf("s3's kernel state says %q", got)
	}
	if got := eval[string](p, `document.querySelector('`+s3+` [data-stat="state"]').title`); !strings.Contains(got, "for about") {
		t.Errorf("s3's kernel state title %q, want the time left", got)
	}
	if eval[bool](p, `document.querySelector('`+s3+` .tcp-options').offsetParent !== null`) {
		t.Errorf("the closed s3 still offers TCP option toggles")
	}
	if got := eval[string](p, `[...document.querySelectorAll('.log-entry[data-op="stat"][data-ok="true"] .outcome')].at(-1).textContent`); got != "→ TIME_WAIT (fd closed; the kernel keeps the connection)" {
		t.Errorf("the log's stat result says %q", got)
	}
}
