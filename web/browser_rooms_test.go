package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sockplay/sessions"
	"sockplay/web"
)

// newBrowserContext is a browser context of its own (its own cookies: a
// browser of its own, as far as the server can tell) in browser.
func newBrowserContext(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return ctx
}

// newTab is another tab in ctx's browser context (the same cookies).
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	return tab
}

// TestRoomsInBrowser is a class in Chromium: an instructor and two students
// in browser contexts of their own. The instructor creates a room on
// /rooms; the students join on /r/CODE with their names and land on the
// room's lesson; the roster lists both, and a socket one of them makes;
// the instructor's lesson page moves to a step and both students' pages
// follow; one stops following and stays put while the other follows on;
// a hint reaches one student only. A student's browser gets the 403 page
// for the room page.
func TestRoomsInBrowser(t *testing.T) {
	ls := fixtureLessons(t)
	l := ls[0]
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	browser := newBrowser(t)
	teacher := page{t: t, ctx: newBrowserContext(t, browser)}
	li := page{t: t, ctx: newBrowserContext(t, browser)}
	han := page{t: t, ctx: newBrowserContext(t, browser)}

	teacher.do("a title too long is refused, on the page",
		chromedp.Navigate(srv.URL+"/rooms"),
		chromedp.SetValue(chromedp.CSS(`#room-create input[name="title"]`), strings.Repeat("x", sessions.MaxRoomTitle+1)),
		chromedp.Click(chromedp.CSS(`#room-create button`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-create-error`)))
	if got := eval[string](teacher, `document.getElementById('room-create-error').textContent`); !strings.Contains(got, fmt.Sprintf("at most %d characters", sessions.MaxRoomTitle)) {
		t.Errorf("the refusal says %q, want the server's sentence", got)
	}
	teacher.do("create a room on /rooms",
		chromedp.SetValue(chromedp.CSS(`#room-create input[name="title"]`), "Networks, group B"),
		chromedp.SetValue(chromedp.CSS(`#room-create select[name="lesson"]`), l.Slug),
		chromedp.Click(chromedp.CSS(`#room-create button`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-code`)),
		waitJS(`document.getElementById('room-bar').dataset.instructor === 'true'`))
	code := eval[string](teacher, `document.getElementById('room-code').textContent`)
	if len(code) != sessions.RoomCodeLen {
		t.Fatalf("room code %q, want %d letters", code, sessions.RoomCodeLen)
	}
	if got := eval[string](teacher, `document.getElementById('room-join-link').textContent`); got != srv.URL+"/r/"+code {
		t.Errorf("join link %q, want %q", got, srv.URL+"/r/"+code)
	}
	if !eval[bool](teacher, `!!document.querySelector('#room-qr svg path[d^="M"]')`) {
		t.Errorf("the room page has no QR code")
	}
	teacher.shot("room")

	for _, s := range []struct {
		p    page
		name string
	}{{li, "Li Lei"}, {han, "Han Meimei"}} {
		s.p.do(s.name+" joins",
			chromedp.Navigate(srv.URL+"/r/"+strings.ToLower(code)), // codes are case-insensitive
			chromedp.WaitVisible(chromedp.CSS(`#room-join input[name="name"]`)),
			chromedp.SetValue(chromedp.CSS(`#room-join input[name="name"]`), s.name),
			chromedp.Click(chromedp.CSS(`#room-join button`)),
			chromedp.WaitVisible(chromedp.CSS(`#lesson[data-lesson="`+l.Slug+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#room-bar[data-following="true"]`)))
		if got := eval[string](s.p, `document.querySelector('#room-bar .room-code').textContent`); got != code {
			t.Errorf("%s's room bar names room %q, want %q", s.name, got, code)
		}
		if got := eval[string](s.p, `document.querySelector('#room-bar .room-following').textContent`); got != "following Instructor" {
			t.Errorf("%s's room bar says %q, want following Instructor", s.name, got)
		}
	}

	// The roster: both names, and a socket Li Lei makes.
	row := func(name string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#roster-rows tr.member')].find((r) => r.querySelector('.member-name').textContent === %q)`, name)
	}
	teacher.do("the roster lists both", waitJS(row("Li Lei")+` && `+row("Han Meimei")))
	if got := eval[string](teacher, row("Li Lei")+`.querySelector('.member-sockets').textContent`); got != "0" {
		t.Errorf("Li Lei's sockets %q before making one, want 0", got)
	}
	li.do("Li Lei makes a socket", chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS(`#new-udp4`)), chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)))
	if got := eval[string](li, `document.getElementById('transcript-code').textContent + [...document.querySelectorAll('#log .log-entry')].map((e) => e.textContent).join('\n')`); strings.Contains(got, "room_") {
		t.Errorf("Li Lei's transcript or event log shows the room's own ops:\n%s", got)
	}
	teacher.do("the roster counts it", waitJS(row("Li Lei")+`.querySelector('.member-sockets').textContent === '1'`))
	if got := eval[string](teacher, row("Han Meimei")+`.querySelector('.member-sockets').textContent`); got != "0" {
		t.Errorf("Han Meimei's sockets %q, want 0", got)
	}
	// The same error twice: the roster marks Han Meimei stuck, with her last error.
	const hs1 = `.sock-card[data-sock="s1"]`
	han.do("Han Meimei binds to port 80, twice", chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.Click(chromedp.CSS(`#new-udp4`)), chromedp.WaitVisible(chromedp.CSS(hs1)),
		chromedp.SetValue(chromedp.CSS(hs1+` form[data-op="bind"] input[name="port"]`), "80"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+hs1+` form[data-op="bind"] button').click()`),
		waitJS(`document.querySelectorAll('.log-entry[data-op="bind"][data-ok="false"]').length >= 1`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+hs1+` form[data-op="bind"] button').click()`),
		waitJS(`document.querySelectorAll('.log-entry[data-op="bind"][data-ok="false"]').length >= 2`))
	teacher.do("the roster marks her stuck", waitJS(row("Han Meimei")+`.classList.contains('stuck')`))
	if got, want := eval[string](teacher, row("Han Meimei")+`.querySelector('.member-error').textContent`),
		eval[string](han, `document.querySelector('.log-entry[data-op="bind"][data-ok="false"] .error').textContent`); got == "" || !strings.Contains(want, strings.SplitN(got, ":", 2)[0]) {
		t.Errorf("Han Meimei's last error in the roster %q, her page says %q", got, want)
	}
	if got := eval[string](teacher, row("Han Meimei")+`.querySelector('.stuck-why').textContent`); got != "stuck: same error twice" {
		t.Errorf("stuck mark %q", got)
	}
	if eval[bool](teacher, row("Li Lei")+`.classList.contains('stuck')`) {
		t.Errorf("Li Lei is marked stuck")
	}
	teacher.shot("roster")

	// Observe: Li Lei's workbench, read-only, in the instructor's browser.
	teacher.do("observe Li Lei", chromedp.Evaluate[chromedp.Void](row("Li Lei")+`.querySelector('[data-observe]').click()`),
		chromedp.WaitVisible(chromedp.CSS(`#observe-link`)))
	observe := page{t: t, ctx: newTab(t, teacher.ctx)}
	observe.do("open the observe link", chromedp.Navigate(eval[string](teacher, `document.getElementById('observe-link').href`)),
		chromedp.WaitVisible(chromedp.CSS(`#observe-banner`)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"]`)))
	observe.do("a button there is refused", chromedp.Click(chromedp.CSS(`#new-udp4`)),
		chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-op="socket"][data-ok="false"] .error[data-type="forbidden"]`)))
	li.do("Li Lei's session did not get it", waitJS(`document.querySelectorAll('.sock-card').length === 1`))
	observe.shot("observe")

	// The instructor leads from the lesson, in a second tab.
	lead := page{t: t, ctx: newTab(t, teacher.ctx)}
	lead.do("the instructor opens the lesson", chromedp.Navigate(srv.URL+"/lessons/"+l.Slug),
		waitJS(`document.getElementById('room-bar').dataset.instructor === 'true'`))
	move := func(step string) {
		lead.do("the instructor moves to "+step, chromedp.Evaluate[chromedp.Void](`location.hash = 'cell-`+step+`'`),
			waitJS(`document.getElementById('lesson').dataset.step === '`+step+`'`))
	}
	followed := func(step string) chromedp.Action[chromedp.Void] {
		return waitJS(`location.hash === '#cell-` + step + `' && Math.abs(document.getElementById('cell-` + step + `').getBoundingClientRect().top) < 150`)
	}
	move("listen")
	li.do("Li Lei follows", followed("listen"))
	han.do("Han Meimei follows", followed("listen"))
	teacher.do("the roster shows where they are", waitJS(row("Han Meimei")+`.querySelector('.member-where').textContent.includes('listen')`))

	han.do("Han Meimei stops following", chromedp.Click(chromedp.CSS(`#room-bar [data-room-follow="false"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-bar[data-following="false"] [data-room-follow="true"]`)))
	teacher.do("the roster shows it", waitJS(row("Han Meimei")+`.querySelector('.member-where').textContent.includes('not following')`))
	move("udp")
	li.do("Li Lei follows on", followed("udp"))

	// A hint for Han Meimei: it comes after any follow she was sent.
	teacher.do("a hint for Han Meimei",
		chromedp.Evaluate[chromedp.Void](row("Han Meimei")+`.querySelector('[data-hint]').click()`),
		chromedp.WaitVisible(chromedp.CSS(`#room-hint`)),
		chromedp.SetValue(chromedp.CSS(`#room-hint input[name="text"]`), "bind before you recvfrom"),
		chromedp.Click(chromedp.CSS(`#room-hint button[type="submit"]`)),
		waitJS(`document.getElementById('room-result').textContent === 'hint sent to Han Meimei'`))
	han.do("the hint shows", chromedp.WaitVisible(chromedp.CSS(`.room-toast[data-kind="room_hint"]`)))
	if got := eval[string](han, `document.querySelector('.room-toast[data-kind="room_hint"] .toast-text').textContent`); !strings.Contains(got, "bind before you recvfrom") {
		t.Errorf("Han Meimei's hint says %q", got)
	}
	if got := eval[string](han, `location.hash`); got != "#cell-listen" {
		t.Errorf("Han Meimei, not following, is at %q, want #cell-listen still", got)
	}
	han.shot("hint")
	// Li Lei gets no hint: a later follow reaches him, and still no toast.
	move("talk")
	li.do("Li Lei follows to talk", followed("talk"))
	if n := eval[int](li, `document.querySelectorAll('.room-toast[data-kind="room_hint"]').length`); n != 0 {
		t.Errorf("Li Lei has %d hint toasts, want none (the hint was Han Meimei's)", n)
	}
	li.shot("followed")

	// The instructor's cell, shown to the followers (not run there) and pushed to them to run.
	lead.do("the instructor shows the talk cell", chromedp.Click(chromedp.CSS(`#cell-talk [data-room-show-cell]`)),
		waitJS(`document.querySelector('#cell-talk .room-cell-status').textContent.startsWith('sent to')`))
	li.do("Li Lei sees it", chromedp.WaitVisible(chromedp.CSS(`#cell-talk .room-offer[data-kind="room_show"]`)))
	shownCode := eval[string](lead, `document.querySelector('#cell-talk [data-cell-code]').value`)
	if got := eval[string](li, `document.querySelector('#cell-talk .room-offer .room-offer-code').textContent`); got != shownCode {
		t.Errorf("Li Lei is shown the code %q, want the instructor's %q", got, shownCode)
	}
	if got := eval[string](li, `document.getElementById('cell-talk').dataset.state ?? ''`); got != "" && got != "idle" {
		t.Errorf("showing the instructor's cell ran it in Li Lei's session: state %q", got)
	}
	const pushed = "print('pushed by the instructor')"
	lead.do("the instructor pushes a cell",
		chromedp.SetValue(chromedp.CSS(`#cell-talk [data-cell-code]`), pushed),
		chromedp.Click(chromedp.CSS(`#cell-talk [data-room-push-cell]`)))
	li.do("Li Lei takes it", chromedp.WaitVisible(chromedp.CSS(`#cell-talk .room-offer[data-kind="room_push"] [data-room-run]`)),
		chromedp.Click(chromedp.CSS(`#cell-talk [data-room-run]`)))
	if got := eval[string](li, `document.querySelector('#cell-talk [data-cell-code]').value`); got != pushed {
		t.Errorf("after Run it, Li Lei's cell holds %q, want the pushed %q", got, pushed)
	}
	if n := eval[int](han, `document.querySelectorAll('.room-offer').length`); n != 0 {
		t.Errorf("Han Meimei, not following, got %d of the instructor's cells", n)
	}

	// The instructor on the projector: ◀ moves the class too.
	lead.do("the instructor's projector view, one step back",
		chromedp.Click(chromedp.CSS(`#projector-toggle`)), chromedp.WaitVisible(chromedp.CSS(`html.projector #cell-talk.current-step`)),
		chromedp.Click(chromedp.CSS(`button[data-step-move="-1"]`)), chromedp.WaitVisible(chromedp.CSS(`#cell-connect.current-step`)))
	li.do("Li Lei follows to connect", followed("connect"))

	// Controls: reset one student (a note on their page), peers for everyone.
	teacher.do("reset Li Lei", chromedp.Evaluate[chromedp.Void](row("Li Lei")+`.querySelector('[data-reset]').click()`),
		waitJS(row("Li Lei")+`.querySelector('.member-sockets').textContent === '0'`))
	li.do("Li Lei is told", chromedp.WaitVisible(chromedp.CSS(`.room-toast[data-kind="note"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.sock-card[data-sock="s1"].closed`)))
	teacher.do("the peers for everyone", chromedp.Click(chromedp.CSS(`#room-peers button`)),
		waitJS(`document.getElementById('room-result').textContent === 'started the peers for 2 students'`))

	// A check for everyone, whose verdicts appear in the roster.
	teacher.do("check everyone", chromedp.SetValue(chromedp.CSS(`#room-check select[name="exercise"]`), "udp-upper"),
		chromedp.SetValue(chromedp.CSS(`#room-check input[name="port"]`), "9"),
		chromedp.Click(chromedp.CSS(`#room-check button`)),
		waitJS(row("Li Lei")+`?.querySelector('.member-checks [data-exercise="udp-upper"][data-verdict="fail"]') && `+
			row("Han Meimei")+`?.querySelector('.member-checks [data-exercise="udp-upper"][data-verdict="fail"]')`))
	teacher.shot("checked")

	// The room page is the instructor's only (Han Meimei, not following, stays on it).
	han.do("Han Meimei opens the room page", chromedp.Navigate(srv.URL+"/rooms/"+code),
		chromedp.WaitVisible(chromedp.CSS(`#room-forbidden`)))
	if n := eval[int](han, `document.querySelectorAll('#roster, #room-code').length`); n != 0 {
		t.Errorf("the 403 page shows the room's roster or code")
	}
	resp, err := http.Get(srv.URL + "/rooms/" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /rooms/%s without the instructor's cookie: %d, want 403", code, resp.StatusCode)
	}

	han.do("Han Meimei leaves the room", chromedp.Click(chromedp.CSS(`#room-bar [data-room-leave]`)),
		waitJS(`document.getElementById('room-bar').hidden && !document.cookie.includes('sockplay_room=')`))
	teacher.do("the roster loses her", waitJS(`!`+row("Han Meimei")+` && !!`+row("Li Lei")))
	han.do("her pages are in no room", chromedp.Navigate(srv.URL+"/workbench"), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)))
	if !eval[bool](han, `document.getElementById('room-bar').hidden`) {
		t.Errorf("after leaving, Han Meimei's workbench still has the room bar")
	}

	teacher.do("end the room", chromedp.Click(chromedp.CSS(`#room-end`)), chromedp.Click(chromedp.CSS(`#room-end`)),
		waitJS(`document.getElementById('room-result').textContent === 'The room has ended.'`))
	li.do("Li Lei is told", chromedp.WaitVisible(chromedp.CSS(`.room-toast[data-kind="room_end"]`)),
		waitJS(`document.getElementById('room-bar').hidden`))
}

// TestRoomInChineseInBrowser: an instructor and a student whose browsers
// read Chinese, in Chromium: /rooms, the room page and its roster (the
// count, a stuck mark with its last error, the hint form's and a reset's
// results), the join page, the student's room bar (following, stop
// following, leave), the hint toast and the note of the reset are all in
// Chinese, the server's sentences translated.
func TestRoomInChineseInBrowser(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	browser := newBrowser(t)
	teacher := page{t: t, ctx: newBrowserContext(t, browser)}
	student := page{t: t, ctx: newBrowserContext(t, browser)}
	text := func(p page) string { return eval[string](p, `document.body.innerText`) }

	teacher.do("open /rooms in Chinese", chromedp.Navigate(srv.URL+"/rooms?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] #room-create`)))
	zhPage(t, "/rooms", text(teacher), []string{"创建房间", "这个浏览器没有开着的房间。"})
	teacher.do("create a room", chromedp.Click(chromedp.CSS(`#room-create button`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-code`)),
		waitJS(`document.getElementById('room-bar').dataset.instructor === 'true'`))
	code := eval[string](teacher, `document.getElementById('room-code').textContent`)
	zhPage(t, "room page", text(teacher), []string{"房间 " + code, "加入码", "学生名单", "还没有学生。", "带动全班：开", "你正在带动全班", "房间页面", "停止带动"})

	student.do("open the join page in Chinese", chromedp.Navigate(srv.URL+"/r/"+code+"?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] #room-join input[name="name"]`)))
	zhPage(t, "join page", text(student), []string{"加入 房间 " + code, "你的名字", "加入"})
	student.do("join as 李雷",
		chromedp.SetValue(chromedp.CSS(`#room-join input[name="name"]`), "李雷"),
		chromedp.Click(chromedp.CSS(`#room-join button`)),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-bar[data-following="true"]`)))
	bar := func() string { return eval[string](student, `document.getElementById('room-bar').innerText`) }
	zhPage(t, "room bar", bar(), []string{"房间 " + code, "正在跟随老师", "停止跟随", "离开房间"})
	zhPage(t, "workbench in a room", text(student), []string{"新建套接字", "正在跟随老师"})

	// The roster: 李雷, online; the same error twice marks him stuck.
	const row = `document.querySelector('#roster-rows tr.member')`
	teacher.do("the roster lists 李雷", waitJS(row+` && `+row+`.querySelector('.member-name').textContent === '李雷'`))
	const s1 = `.sock-card[data-sock="s1"]`
	student.do("李雷 binds to port 80, twice",
		chromedp.Click(chromedp.CSS(`#new-udp4`)), chromedp.WaitVisible(chromedp.CSS(s1)),
		chromedp.SetValue(chromedp.CSS(s1+` form[data-op="bind"] input[name="port"]`), "80"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+s1+` form[data-op="bind"] button').click()`),
		waitJS(`document.querySelectorAll('.log-entry[data-op="bind"][data-ok="false"]').length >= 1`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+s1+` form[data-op="bind"] button').click()`),
		waitJS(`document.querySelectorAll('.log-entry[data-op="bind"][data-ok="false"]').length >= 2`))
	teacher.do("the roster marks him stuck", waitJS(row+`.classList.contains('stuck')`))
	if got := eval[string](teacher, row+`.querySelector('.stuck-why').textContent`); got != "卡住了：同一个错误出现了两次" {
		t.Errorf("the stuck mark says %q", got)
	}
	zhPage(t, "roster", text(teacher), []string{"（1 名学生，1 人在线）", "名字", "在线", "观察", "提示", "重置", "这里只能绑定到端口 0"})

	teacher.do("a hint for 李雷", chromedp.Evaluate[chromedp.Void](row+`.querySelector('[data-hint]').click()`),
		chromedp.WaitVisible(chromedp.CSS(`#room-hint`)),
		chromedp.SetValue(chromedp.CSS(`#room-hint input[name="text"]`), "先 bind，再 recvfrom"),
		chromedp.Click(chromedp.CSS(`#room-hint button[type="submit"]`)),
		waitJS(`document.getElementById('room-result').textContent === '提示已发送给 李雷'`))
	student.do("the hint shows", chromedp.WaitVisible(chromedp.CSS(`.room-toast[data-kind="room_hint"]`)))
	if got := eval[string](student, `document.querySelector('.room-toast[data-kind="room_hint"] .toast-text').textContent`); got != "老师：先 bind，再 recvfrom" {
		t.Errorf("the hint toast says %q, want 老师：先 bind，再 recvfrom", got)
	}
	if got := eval[string](student, `document.querySelector('.room-toast[data-kind="room_hint"] button').getAttribute('aria-label')`); got != "关闭" {
		t.Errorf("the toast's close button is labelled %q, want 关闭", got)
	}
	teacher.do("reset 李雷", chromedp.Evaluate[chromedp.Void](row+`.querySelector('[data-reset]').click()`),
		waitJS(`document.getElementById('room-result').textContent === '已重置 李雷 的套接字'`))
	student.do("the reset's note shows", chromedp.WaitVisible(chromedp.CSS(`.room-toast[data-kind="note"]`)))
	if got := eval[string](student, `document.querySelector('.room-toast[data-kind="note"] .toast-text').textContent`); !strings.Contains(got, "你的老师（老师）重置了你的套接字：关闭了 1 个，停止了 0 个对端程序。") {
		t.Errorf("the reset's note says %q, want it in Chinese", got)
	}
	student.shot("room-zh")
	teacher.shot("room-page-zh")

	student.do("stop following", chromedp.Click(chromedp.CSS(`#room-bar [data-room-follow="false"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#room-bar[data-following="false"]`)))
	zhPage(t, "room bar, not following", bar(), []string{"没有跟随老师", "重新跟随", "离开房间"})
	zhPage(t, "workbench with toasts", text(student), []string{"老师：", "先 bind，再 recvfrom", "你的老师（老师）重置了你的套接字"})
	teacher.do("the roster shows it", waitJS(row+`.querySelector('.member-where').textContent.includes('（没有跟随）')`))
	zhPage(t, "roster, not following", text(teacher), []string{"（没有跟随）"})
}
