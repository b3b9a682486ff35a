package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/templates/i18n"
)

// TestLanguageSwitchInBrowser: a learner reads the home page in English,
// switches to Chinese in the header, and every page they then open — the
// workbench with a socket, a failed call and a refused one, a lesson with
// a Chinese twin (its cell run), a lesson without one, an exercise — is in
// Chinese, without their asking again (the cookie), its scripts' text too;
// the switch takes them back to English.
func TestLanguageSwitchInBrowser(t *testing.T) {
	srv := newCellsServer(t, langLessons(t), sessions.Config{}) // skips where programs cannot run
	p := page{t: t, ctx: newBrowser(t)}
	live := chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`))
	text := func() string { return eval[string](p, `document.body.innerText`) }
	lang := func() string { return eval[string](p, `document.documentElement.lang`) }

	p.do("open the home page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#lang-switch")))
	if got := lang(); got != "en" {
		t.Fatalf("<html lang=%q> for a browser that asks for English", got)
	}
	shows(t, "home (en)", text(), []string{"Real sockets, in Python's words", "Start the lessons", "Lessons", "Workbench"}, []string{"课程", "工作台"})

	p.do("switch to Chinese", chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] #lang-switch`)))
	zhPage(t, "home", text(), []string{"真实的套接字，用 Python 的语言", "开始学习课程", "打开工作台", "全是真的，绝不模拟", "默认安全", "课程", "练习", "工作台", "学习进度", "English"})
	if c := eval[string](p, `document.cookie`); !strings.Contains(c, i18n.Cookie+"=zh") {
		t.Errorf("cookie %q: the choice is not remembered", c)
	}

	// The workbench, opened without ?lang: the cookie keeps it Chinese.
	const card = `.sock-card[data-sock="s1"]`
	p.do("open the workbench", chromedp.Navigate(srv.URL+"/workbench"), live,
		chromedp.Click(chromedp.CSS("#new-udp4")), chromedp.WaitVisible(chromedp.CSS(card)))
	if got := lang(); got != "zh-CN" {
		t.Fatalf("the workbench is <html lang=%q> after the switch", got)
	}
	p.do("bind s1",
		chromedp.SetValue(chromedp.CSS(card+` form[data-op="bind"] input[name="port"]`), "0"),
		chromedp.Click(chromedp.CSS(card+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-state="BOUND"]`)))
	p.do("bind s1 again (EINVAL)", chromedp.Click(chromedp.CSS(card+` form[data-op="bind"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#log .log-entry[data-op="bind"][data-ok="false"] .hint`)))
	p.do("sendto beyond the policy",
		chromedp.SetValue(chromedp.CSS(card+` form[data-op="sendto"] input[name="host"]`), "10.1.2.3"),
		chromedp.Click(chromedp.CSS(card+` form[data-op="sendto"] button[data-op="sendto"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#log .log-entry[data-op="sendto"][data-ok="false"] .error[data-type="policy"]`)))
	p.shot("workbench-zh")
	zhPage(t, "workbench", text(), []string{
		"新建套接字", "会话编码", "重置", "已连接", "套接字", "事件日志", "Python 控制台", "数据包",
		"本端", "对端", "超时", "None（阻塞）", "内核", "更多操作", "新会话",
		"会话已开始", "→ 已绑定到 ('127.0.0.1', ",
		"OSError: [Errno 22] Invalid argument", // Python's own words stay
		"这个套接字已经绑定过了；一个套接字只能绑定一次。",
		"被地址策略拒绝：这里只能连接和发送到回环地址（127.0.0.0/8、::1）和 127.255.255.255；",
	})

	p.do("open the lesson with a twin", chromedp.Navigate(srv.URL+"/lessons/hello-udp"), live,
		chromedp.Click(chromedp.CSS(`#cell-hello [data-run-cell]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cell-hello[data-state="ok"]`)))
	if got := eval[string](p, `document.querySelector('#cell-hello [data-cell-status]').textContent`); got != "✓ 完成" {
		t.Errorf("the cell's status is %q, want ✓ 完成", got)
	}
	p.shot("lesson-zh")
	zhPage(t, "lesson", text(), []string{"你好，UDP", "发给同一台机器上套接字的数据报会完整地到达。", "发送一个数据报",
		"Python（可以修改；Shift+Enter 运行）", "运行", "还原", "收到 b'hello'", "全部课程", "新建套接字"})

	p.do("open the lesson without a twin", chromedp.Navigate(srv.URL+"/lessons/english-only"), live)
	zhPage(t, "English lesson", text(), []string{"这节课还没有中文版，下面显示的是英文原文。", "This lesson has no Chinese twin.", "运行", "尚未运行"})

	p.do("open an exercise", chromedp.Navigate(srv.URL+"/exercises/udp-upper"), live,
		chromedp.Click(chromedp.CSS("#next-hint")))
	zhPage(t, "exercise", text(), []string{"检查你的程序", "提示", "再显示一条提示（第 2 条", "我手动回答", "检查", "尚未检查。",
		"检查程序做了什么", "在终端里检查", "全部练习", "新建套接字"})
	// A check with nothing at the target fails at its first step.
	p.do("check nothing", chromedp.SetValue(chromedp.CSS("#check-port"), "47999"),
		chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check-verdict[data-state="fail"]`)))
	zhPage(t, "exercise verdict", text(), []string{"✗ 未通过", "✗ 在第 1 步（数据报 1）失败", "在 2 s 内收到 b'HELLO, UDP! ", "2 s 内什么也没收到", "你的服务器在运行吗？它绑定到 ('127.0.0.1', 47999) 了吗？", "检查程序做了", "期望", "实际收到", "终端里显示的样子", "第 1 步："})

	// A TCP exercise's check: the step's name, what the checker did and
	// its advice, in Chinese (the catalog's checker sentences).
	p.do("check nothing for tcp-echo", chromedp.Navigate(srv.URL+"/exercises/tcp-echo"), live,
		chromedp.SetValue(chromedp.CSS("#check-port"), "47999"),
		chromedp.Click(chromedp.CSS("#check-run")),
		chromedp.WaitVisible(chromedp.CSS(`#check-verdict[data-state="fail"]`)))
	zhPage(t, "tcp-echo verdict", text(), []string{"✗ 在第 1 步（消息 1）失败", "连接到 ('127.0.0.1', 47999)",
		"('127.0.0.1', 47999) 上没有程序在监听：请先启动你的服务器（socket、bind、listen，然后 accept）", "在 2 s 内收到同样的 "})
	for _, en := range []string{"connect to (", "nothing is listening", "the same "} {
		if strings.Contains(text(), en) {
			t.Errorf("tcp-echo verdict: the Chinese page shows %q", en)
		}
	}
	// The verdict as the terminal prints it is sockplay check --lang zh's.
	terminal := eval[string](p, `document.querySelector('#check-verdict .verdict-text pre').textContent`)
	for _, want := range []string{"未通过 tcp-echo：第 1 步（消息 1）失败：连接到 ('127.0.0.1', 47999) → ConnectionRefusedError: [Errno 111] Connection refused —— ('127.0.0.1', 47999) 上没有程序在监听",
		"\n  ✗ 1. 消息 1\n       检查程序做了：连接到 ('127.0.0.1', 47999)\n       期望：在 2 s 内收到同样的 "} {
		if !strings.Contains(terminal, want) {
			t.Errorf("the terminal's verdict on the Chinese page lacks %q:\n%s", want, terminal)
		}
	}

	p.do("switch back to English", chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #lang-switch`)))
	p.do("open the lessons", chromedp.Navigate(srv.URL+"/lessons"), chromedp.WaitVisible(chromedp.CSS("#lessons-index")))
	shows(t, "lessons (en)", text(), []string{"Lessons", "Hello, UDP", "English only", "中文"}, []string{"你好，UDP", "课程"})
}

// zhPage checks a page in Chinese: it shows each of want, and none of the
// English of either catalog (a text of two words or more).
func zhPage(t *testing.T, name, text string, want []string) {
	t.Helper()
	var not []string
	for _, cat := range []map[string]i18n.M{i18n.PageCatalog(), i18n.ScriptCatalog()} {
		for k, m := range cat {
			en := strings.TrimSpace(stripTags(m.EN))
			if strings.Count(en, " ") >= 1 && en != strings.TrimSpace(stripTags(m.ZH)) && !contentWords[k] && !strings.HasPrefix(k, "nav.switch") &&
				!strings.ContainsAny(en, "{%") {
				not = append(not, en)
			}
		}
	}
	shows(t, name, text, want, not)
}

// shows checks that text has each of want and none of not.
func shows(t *testing.T, name, text string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the page does not show %q", name, w)
		}
	}
	for _, n := range not {
		if strings.Contains(text, n) {
			t.Errorf("%s: the page shows %q", name, n)
		}
	}
	if t.Failed() {
		t.Logf("%s: the page's text:\n%s", name, text)
	}
}

// refusalSeen is one refused request as a Chinese page shows it.
type refusalSeen struct {
	Frame string `json:"frame"`
	Type  string `json:"type"`
	EN    string `json:"en"` // the server's message
	ZH    string `json:"zh"` // what the page's server() makes of it
}

// refusalsJS sends malformed requests over a WebSocket of its own to the
// page's server and gives back each refusal's message with the page's
// server() translation (static/js/i18n.js, the module the page loaded).
const refusalsJS = `(async () => {
  const src = document.querySelector('script[type="module"][src*="workbench"]').src;
  const { server } = await import(new URL('i18n.js', src).href);
  const url = new URL(document.querySelector('#workbench').dataset.ws, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const frames = %s;
  const out = [];
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error('the WebSocket failed'));
    ws.onopen = () => frames.forEach((f) => ws.send(f));
    ws.onmessage = (ev) => {
      const got = JSON.parse(ev.data);
      for (const m of Array.isArray(got) ? got : [got]) {
        if (m.kind !== 'result' || m.ok !== false) continue;
        const msg = m.error?.message ?? '';
        out.push({ frame: JSON.stringify(m.request ?? null), type: m.error?.type ?? '', en: msg, zh: server(msg) });
      }
      if (out.length >= frames.length) resolve();
    };
  });
  ws.close();
  return out;
})()`

// TestRefusalInChineseInBrowser: requests the real server refuses, sent
// over a real WebSocket from a Chinese page (an unknown op, a field of the
// wrong JSON type, a frame that is not JSON, a missing argument), read in
// Chinese there: the page's server() translates each refusal's message,
// the JSON scanner's words and the value's kind included, and the event
// log shows it so (a sentence under a Python exception too: TypeError: op
// 必须是…); on an English page the same refusal stays as the server wrote it.
func TestRefusalInChineseInBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	p := page{t: t, ctx: newBrowser(t)}
	frames := `['{"id":1,"op":"nosuchop"}', '{"id":2,"op":5}', '{"id":3,"op":"socket",', '{"id":4,"op":"settimeout","sock":"s9"}']`
	run := func(lang string) []refusalSeen {
		p.do("open the workbench ("+lang+")", chromedp.Navigate(srv.URL+"/workbench?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
		ctx, cancel := context.WithTimeout(p.ctx, browserStep)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]refusalSeen](fmt.Sprintf(refusalsJS, frames), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: sending the malformed requests: %v", lang, err)
		}
		if len(got) != 4 {
			t.Fatalf("%s: %d refusals, want 4: %+v", lang, len(got), got)
		}
		return got
	}
	want := map[string]string{ // the English's start → the Chinese it must read as
		"unknown op \"nosuchop\"":              "未知的操作 \"nosuchop\"",
		"op must be of JSON type string":       "op 必须是 JSON 的 string 类型，而不是 number",
		"malformed request: unexpected end":    "请求格式错误：JSON 输入意外结束；一个请求是一个 JSON 对象",
		"no socket \"s9\" in this session":     "这个会话里没有套接字 \"s9\"",
		"settimeout() needs timeout: seconds,": "settimeout() 需要 timeout：秒数，或者用 null 表示阻塞",
	}
	// The event log shows the refusals too (the page's session made
	// them): sockplay's sentence under a Python exception reads in the
	// page's language, the exception's name as Python writes it.
	logShows := func(lang, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(p.ctx, browserStep)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
  for (let i = 0; i < 100; i++) {
    const e = [...document.querySelectorAll('#log .log-entry[data-ok="false"] .error')].find((e) => e.textContent.startsWith('TypeError: '));
    if (e) return e.textContent;
    await new Promise((r) => setTimeout(r, 50));
  }
  return '';
})()`, chromedp.EvalAwaitPromise))
		if err != nil || got != want {
			t.Errorf("%s: the event log shows the refusal of {\"op\":5} as %q (%v), want %q", lang, got, err, want)
		}
	}
	for _, r := range run("zh") {
		if goes := i18n.Server(i18n.ZH, r.EN); r.ZH != goes {
			t.Errorf("%s: the page's server() gives %q, Go's i18n.Server %q", r.Frame, r.ZH, goes)
		}
		found := false
		for en, zh := range want {
			if strings.HasPrefix(r.EN, en) {
				found = true
				if !strings.Contains(r.ZH, zh) {
					t.Errorf("%s: %q reads %q on a Chinese page, want %q in it", r.Frame, r.EN, r.ZH, zh)
				}
			}
		}
		if !found || r.Type != "bad_request" {
			t.Errorf("%s: refused with %s %q, not one of the refusals expected", r.Frame, r.Type, r.EN)
		}
	}
	logShows("zh", "TypeError: op 必须是 JSON 的 string 类型，而不是 number")
	for _, r := range run("en") {
		if r.ZH != r.EN {
			t.Errorf("%s: %q reads %q on an English page", r.Frame, r.EN, r.ZH)
		}
	}
	logShows("en", "TypeError: op must be of JSON type string, not number")

	// The page's server() and Go's i18n.Server (sockplay check --lang zh)
	// read the checker's nested sentences alike: a step's actions, a log
	// of requests, what came and what is wrong with it.
	p.do("open the workbench in Chinese again", chromedp.Navigate(srv.URL+"/workbench?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	nested := []string{
		"A: connect to ('127.0.0.1', 9000), then B: connect to ('127.0.0.1', 9000)",
		"setsockopt(SOL_SOCKET, SO_BROADCAST, 1), then sendto(b'anyone there? #7', ('127.255.255.255', 9000)), then to find out why, sendto(b'are you there?', ('127.0.0.1', 9000))",
		"a new connection from ('127.0.0.1', 5); size data.bin; 10 puts of data.bin, bytes 20000 to 100000; \"data.bin\" is 100000 bytes",
		"nothing came within 2 s to the broadcast; the datagram sent straight to ('127.0.0.1', 9000) was answered with b'here'",
		"b'JSON HEADERS' — its first 4 bytes, b'JSON', read as a '!I' length, announce a 1246973774-byte header",
	}
	js, err := json.Marshal(nested)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(async () => {
  const src = document.querySelector('script[type="module"][src*="workbench"]').src;
  const { server } = await import(new URL('i18n.js', src).href);
  return `+string(js)+`.map((s) => server(s));
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(nested) {
		t.Fatalf("server() gave %d texts for %d", len(got), len(nested))
	}
	for i, en := range nested {
		if want := i18n.Server(i18n.ZH, en); got[i] != want || i18n.EnglishLeft(en) != "" {
			t.Errorf("%q: the page reads %q, Go %q (English left: %q)", en, got[i], want, i18n.EnglishLeft(en))
		}
	}
}
