package web_test

import (
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
	zhPage(t, "workbench", text(), []string{
		"新建套接字", "会话编码", "重置", "已连接", "套接字", "事件日志", "Python 控制台", "数据包",
		"本端", "对端", "超时", "None（阻塞）", "接收队列", "发送队列", "更多操作",
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
	zhPage(t, "lesson", text(), []string{"你好，UDP", "发给同一台机器上套接字的数据报会完整地到达。", "发送一个数据报",
		"Python（可以修改；Shift+Enter 运行）", "运行", "还原", "收到 b'hello'", "全部课程", "新建套接字"})

	p.do("open the lesson without a twin", chromedp.Navigate(srv.URL+"/lessons/english-only"), live)
	zhPage(t, "English lesson", text(), []string{"这节课还没有中文版，下面显示的是英文原文。", "This lesson has no Chinese twin.", "运行", "尚未运行"})

	p.do("open an exercise", chromedp.Navigate(srv.URL+"/exercises/udp-upper"), live,
		chromedp.Click(chromedp.CSS("#next-hint")))
	zhPage(t, "exercise", text(), []string{"检查你的程序", "提示", "再显示一条提示（第 2 条", "我手动回答", "检查", "尚未检查。",
		"检查程序做了什么", "在终端里检查", "全部练习", "新建套接字"})

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
