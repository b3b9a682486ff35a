package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
)

func TestZZVisualFrames(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS("#new-tcp4")),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)),
	)
	js := `(async () => {
	  const base = document.querySelector('script[type=module]').src.replace(/workbench\.js$/, '');
	  const r = await import(base + 'render.js');
	  const fv = await import(base + 'frameview.js');
	  const log = document.getElementById('log');
	  const sock = {type: 'SOCK_STREAM'};
	  const d = (s) => ({size: s.length, hex: [...new TextEncoder().encode(s)].map(b => b.toString(16).padStart(2,'0')).join(''), text: s, encoding: 'utf-8'});
	  log.append(r.renderEntry({seq: 100, kind: 'result', op: 'send_frame', id: 5, ok: true, sock: 's2', n: 9, frame: {size: 9, hex: '0000000568656c6c6f', text: '\\x00\\x00\\x00\\x05hello', encoding: 'utf-8', invalid: []}, stream: [0, 9],
	    request: {id: 5, op: 'send_frame', sock: 's2', framing: {kind: 'length', format: '!I'}, data: {text: 'hello', encoding: 'utf-8'}}}, {socket: sock, request: {id: 5, op: 'send_frame', sock: 's2', framing: {kind: 'length', format: '!I'}, data: {text: 'hello', encoding: 'utf-8'}}}));
	  log.append(r.renderEntry({seq: 101, kind: 'frame', id: 6, sock: 's3', phase: 'body', header_read: 4, length: 11, awaiting: 6, read: {bufsize: 11, data: d('hello')}}, {targetCall: "s3.recv_frame(length='!I')"}));
	  const req = {id: 6, op: 'recv_frame', sock: 's3', framing: {kind: 'json_header', format: 'i'}};
	  log.append(r.renderEntry({seq: 102, kind: 'result', op: 'recv_frame', id: 6, ok: true, sock: 's3', data: d('hello world'), header: {cmd: 'put', data_size: 11}, stream: [0, 41],
	    reads: [{bufsize: 4, data: {size: 4, hex: '1a000000', text: '\\x1a\\x00\\x00\\x00'}, peek: false}, {bufsize: 26, data: d('{"cmd":"put","data_size":11}'.slice(0, 26)), peek: false}, {bufsize: 11, data: d('hello'), peek: false}, {bufsize: 6, data: d(' world'), peek: false}], request: req}, {socket: sock, request: req}));
	  const card = document.querySelector('.sock-card[data-sock="s1"] [data-field="waiting"]');
	  const li = document.createElement('li'); li.className = 'waiting-item'; li.textContent = "s1.recv_frame(length='!I') is waiting… ";
	  li.append(fv.progressView({id: 6, sock: 's1', phase: 'body', header_read: 4, length: 11, awaiting: 6, read: {bufsize: 11, data: d('hello')}}));
	  card.append(li);
	  document.querySelector('.sock-card[data-sock="s1"] details.framing').open = true;
	})()`
	p.do("inject", chromedp.Evaluate[chromedp.Void](js, chromedp.EvalAwaitPromise))
	p.shot("frames")
	p.do("scroll", chromedp.Evaluate[chromedp.Void](`document.getElementById('log-scroll').scrollTop = 1e6; window.scrollTo(0, 0)`))
	p.shot("frames-log")
	p.do("framing form", chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector('.sock-card[data-sock="s1"]').dataset.state = 'CONNECTED';
		const f = document.querySelector('.sock-card[data-sock="s1"] form[data-op="send_frame"]');
		f.scrollIntoView();
	})()`))
	p.shot("form-length")
	p.do("framing json", chromedp.Evaluate[chromedp.Void](`(() => {
		const sel = document.querySelector('.sock-card[data-sock="s1"] select[name="framing"]');
		sel.value = 'json_header'; sel.dispatchEvent(new Event('change', {bubbles: true}));
	})()`))
	p.shot("form-json")
}

func TestZZVisualSplit(t *testing.T) {
	srv := newServer(t, sessions.Config{StatEvery: 50 * 1e6})
	p := page{t: t, ctx: newBrowser(t)}
	p.do("open", chromedp.Navigate(srv.URL+"/workbench"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	tcpPairInPage(p)
	s3 := card("s3")
	recv := func(n string, peek bool, count int) {
		acts := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS(s3+` form[data-op="recv"] input[name="bufsize"]`), n)}
		if peek {
			acts = append(acts, chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] input[value="MSG_PEEK"]`)))
		}
		acts = append(acts, chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] button`)),
			waitCount(`.log-entry[data-kind="result"][data-op="recv"]`, count))
		if peek {
			acts = append(acts, chromedp.Click(chromedp.CSS(s3+` form[data-op="recv"] input[value="MSG_PEEK"]`)))
		}
		p.do("recv "+n, acts...)
	}
	sendFrom(p, "s2", "hello", 1)
	sendFrom(p, "s2", "world", 2)
	recv("3", false, 1)
	recv("1024", false, 2)
	sendFrom(p, "s2", "0123456789", 3)
	sendFrom(p, "s2", "你好", 4)
	recv("4", false, 3)
	recv("1024", true, 4)
	recv("8", false, 5)
	p.do("wait", chromedp.Sleep(300*1e6))
	p.do("scroll", chromedp.Evaluate[chromedp.Void](`document.querySelector('.sock-card[data-sock="s3"] .stream-map').scrollIntoView()`))
	p.shot("split")
	p.do("hex", chromedp.Click(chromedp.CSS(s3+` button[data-stream-view="hex"]`)), chromedp.Sleep(100*1e6),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.sock-card[data-sock="s3"] .stream-map').scrollIntoView()`))
	p.shot("split-hex")
}
