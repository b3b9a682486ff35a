package web_test

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"sockplay/sessions"
	"sockplay/templates/examples"
	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// langLessons are web/testdata/lang's lessons: hello-udp with its Chinese
// twin, english-only without one.
func langLessons(t testing.TB) []*lessons.Lesson {
	t.Helper()
	ls, err := lessons.LoadDir(filepath.Join("testdata", "lang"))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// getPage GETs path with the given headers; it returns the status, the
// body and the response.
func getPage(t *testing.T, srv *testServer, path string, header map[string]string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp
}

// TestLanguageChoice: ?lang= (which sets the cookie), then the cookie
// sockplay_lang, then Accept-Language pick a page's language; <html lang>
// says which; /lessons in Chinese lists the Chinese titles, and a lesson
// without a twin in English (marked lang="en").
func TestLanguageChoice(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithLessons(langLessons(t)))
	tests := []struct {
		name, path string
		header     map[string]string
		zh         bool
		setCookie  string
	}{
		{"no preference", "/lessons", nil, false, ""},
		{"Accept-Language zh-CN", "/lessons", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, true, ""},
		{"Accept-Language en", "/lessons", map[string]string{"Accept-Language": "en-US,en;q=0.9"}, false, ""},
		{"Accept-Language zh-TW", "/lessons", map[string]string{"Accept-Language": "zh-TW"}, true, ""},
		{"cookie en beats Accept-Language", "/lessons", map[string]string{"Accept-Language": "zh-CN", "Cookie": "sockplay_lang=en"}, false, ""},
		{"cookie zh beats Accept-Language", "/lessons", map[string]string{"Accept-Language": "en", "Cookie": "sockplay_lang=zh"}, true, ""},
		{"bad cookie is ignored", "/lessons", map[string]string{"Accept-Language": "zh-CN", "Cookie": "sockplay_lang=fr"}, true, ""},
		{"query zh sets the cookie", "/lessons?lang=zh", map[string]string{"Cookie": "sockplay_lang=en"}, true, "zh"},
		{"query en sets the cookie", "/lessons?lang=en", map[string]string{"Accept-Language": "zh-CN"}, false, "en"},
		{"bad query is ignored", "/lessons?lang=klingon", map[string]string{"Accept-Language": "zh-CN"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, resp := getPage(t, srv, tt.path, tt.header)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			zhMarks := []string{`<html lang="zh-CN">`, `<h1>课程</h1>`, `>你好，UDP</a>`, `data-lesson="english-only"`, `lang="en"`, `>English only</a>`, `>English</a>`}
			enMarks := []string{`<html lang="en">`, `<h1>Lessons</h1>`, `>Hello, UDP</a>`, `>English only</a>`, `>中文</a>`}
			want, not := enMarks, []string{"课程", "你好"}
			if tt.zh {
				want, not = zhMarks, []string{"<h1>Lessons</h1>", "Hello, UDP"}
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			for _, n := range not {
				if strings.Contains(body, n) {
					t.Errorf("the page has %s", n)
				}
			}
			var got string
			for _, c := range resp.Cookies() {
				if c.Name == i18n.Cookie {
					got = c.Value
					if c.Path != "/" || c.MaxAge < 30*24*3600 {
						t.Errorf("cookie path %q max-age %d: want / and a long life", c.Path, c.MaxAge)
					}
				}
			}
			if got != tt.setCookie {
				t.Errorf("Set-Cookie %s=%q, want %q", i18n.Cookie, got, tt.setCookie)
			}
			if v := resp.Header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept-Language") {
				t.Errorf("Vary %q: a page depends on Accept-Language and the cookie", v)
			}
		})
	}
}

// TestPagesInChinese: every page in Chinese is marked zh-CN and shows none
// of the page catalog's English (what a learner sees: text, titles,
// placeholders, labels); in English it shows none of its Chinese. The
// lesson with a twin shows the twin; the one without says it is in English.
// The room pages are among them: /rooms, a room's page for its instructor
// and the 403 for anyone else, the join page, the observe page and their 404s.
func TestPagesInChinese(t *testing.T) {
	srv := newServer(t, sessions.Config{}, web.WithLessons(langLessons(t)))
	xs, err := examples.All()
	if err != nil || len(xs) == 0 || len(xs[0].Programs) == 0 {
		t.Fatalf("examples: %v", err)
	}
	example := "/examples/" + xs[0].Slug + "/" + xs[0].Programs[0].Name
	// A room, untitled, on the lesson with a twin: its instructor's pages
	// go with the instructor's cookie.
	teacher := newJarBrowser(srv)
	room := teacher.createRoom(t, "", "hello-udp")
	u, _ := url.Parse(srv.URL)
	var instructor string
	for _, c := range teacher.jar.Cookies(u) {
		if c.Name == web.InstructorCookie {
			instructor = "; " + c.Name + "=" + c.Value
		}
	}
	if instructor == "" {
		t.Fatal("POST /rooms gave no instructor cookie")
	}
	pages := []struct {
		path   string
		status int
		zhWant []string // Chinese the page must show
		cookie string   // more cookies than the language's
	}{
		{"/", 200, []string{"真实的套接字，用 Python 的语言", "开始学习课程", "默认安全"}, ""},
		{"/lessons", 200, []string{"你好，UDP", "给自己发一个数据报，供语言测试使用。", "1 个代码单元"}, ""},
		{"/lessons/hello-udp", 200, []string{"你好，UDP", "发送一个数据报", "运行", "尚未运行", "还原", "全部课程", "新建套接字", "事件日志"}, ""},
		{"/lessons/english-only", 200, []string{"这节课还没有中文版", "全部课程"}, ""},
		{"/exercises", 200, []string{"练习", "你来写服务器"}, ""},
		{"/exercises/udp-upper", 200, []string{"检查你的程序", "提示", "显示提示（第 1 条", "我手动回答", "在终端里检查", "go run ./cmd/sockplay check --lang zh udp-upper --target 127.0.0.1:PORT"}, ""},
		{"/workbench", 200, []string{"新建套接字", "会话编码", "还没有套接字。用上面的按钮创建一个。", "事件日志", "Python 控制台", "更多操作", "接收队列", "消息分帧"}, ""},
		{"/progress", 200, []string{"学习进度"}, ""},
		{"/examples", 200, []string{"示例程序", xs[0].TitleZH, xs[0].Programs[0].ZH.Title, xs[0].Programs[0].ZH.Together}, ""},
		{example, 200, []string{"运行", "停止", "分享", "输出", "输入", xs[0].TitleZH, xs[0].Programs[0].ZH.Title, xs[0].Programs[0].ZH.Expect, xs[0].Programs[0].ZH.Args}, ""},
		{"/lessons/no-such-lesson", 404, []string{"页面不存在", "这个地址上没有课程。"}, ""},
		{"/exercises/no-such-exercise", 404, []string{"这个地址上没有练习。"}, ""},
		{"/rooms", 200, []string{"房间", "创建房间", "标题", "课程（可选）", "不选：使用工作台", "创建这个房间", "你的房间", "房间 " + room, "课程：你好，UDP", "0 名成员", "创建于 "}, instructor},
		{"/rooms", 200, []string{"这个浏览器没有开着的房间。"}, ""},
		{"/rooms/" + room, 200, []string{"房间 " + room, "加入码", "加入链接：", "课程：", "带着全班一起学", "控制", "带动全班：开", "重置所有学生", "对端程序所属的课程", "为所有人启动", "检查所有人", "结束房间",
			"学生名单", "还没有学生。学生用上面的加入码或链接加入。", "名字", "在线", "位置", "最近的错误", "操作", "给这位学生发提示：", "发送提示", "取消"}, instructor},
		{"/rooms/" + room, 403, []string{"只有老师才能打开这个页面", "的老师页面。只有创建这个房间的浏览器才能打开它", "加入页面", "创建一个房间"}, ""},
		{"/rooms/NOSUCHRM", 404, []string{"页面不存在", "这个服务器上没有房间 NOSUCHRM：它已经结束了，或者加入码不对。"}, instructor},
		{"/r/" + room, 200, []string{"加入 房间 " + room, "老师能看到你填的名字", "你的名字", "加入"}, ""},
		{"/r/NOSUCHRM", 404, []string{"没有这个房间", "：请核对加入码，或者问问你的老师。"}, ""},
		{"/workbench?observe=nosuchtoken", 200, []string{"你正在以只读方式观察一个学生的工作台", "新建套接字"}, ""},
		{"/lessons/hello-udp?view=projector", 200, []string{"投影视图"}, ""},
	}
	catalog := i18n.PageCatalog()
	for _, pg := range pages {
		t.Run(strings.TrimPrefix(pg.path, "/"), func(t *testing.T) {
			code, body, _ := getPage(t, srv, pg.path, map[string]string{"Cookie": "sockplay_lang=zh" + pg.cookie})
			if code != pg.status {
				t.Fatalf("status %d, want %d", code, pg.status)
			}
			if !strings.Contains(body, `<html lang="zh-CN">`) {
				t.Error(`no <html lang="zh-CN">`)
			}
			seen, _ := seenText(t, body)
			all := strings.Join(seen, "\n")
			for _, w := range pg.zhWant {
				if !strings.Contains(all, w) {
					t.Errorf("the Chinese page does not show %q", w)
				}
			}
			for k, m := range catalog {
				en := strings.TrimSpace(stripTags(m.EN))
				if en == strings.TrimSpace(stripTags(m.ZH)) || strings.HasPrefix(k, "nav.switch") || contentWords[k] {
					continue
				}
				// A text of its own (of two words or more: one word may
				// be a word of English content, or an option's value), or
				// a longer sentence inside one.
				words := strings.Count(en, " ") + 1
				for _, s := range seen {
					if words >= 2 && strings.TrimSpace(s) == en || words >= 4 && strings.Contains(s, en) {
						t.Errorf("the Chinese page shows the English of %s: %q", k, en)
						break
					}
				}
			}
			// The same page in English shows none of the catalog's Chinese.
			code, body, _ = getPage(t, srv, pg.path, map[string]string{"Cookie": "sockplay_lang=en" + pg.cookie})
			if code != pg.status || !strings.Contains(body, `<html lang="en">`) {
				t.Fatalf("in English: status %d, lang en %v", code, strings.Contains(body, `<html lang="en">`))
			}
			seen, _ = seenText(t, body)
			all = strings.Join(withoutExampleCode(seen), "\n")
			for k, m := range catalog {
				zh := strings.TrimSpace(stripTags(m.ZH))
				if strings.HasPrefix(k, "nav.switch") || utf8.RuneCountInString(zh) < 4 || strings.IndexFunc(zh, isHan) < 0 {
					continue
				}
				if strings.Contains(all, zh) {
					t.Errorf("the English page shows the Chinese of %s: %q", k, zh)
				}
			}
		})
	}
}

// contentWords are catalog messages whose English is also the words of
// some English content (an example's title "JSON header").
var contentWords = map[string]bool{"frame.jsonheader": true}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// withoutExampleCode is the text of a page without an example program's
// code in its editor (which starts with its header, "# Example: …"): the
// code carries its header in both languages (# Title-zh: …) on every page.
func withoutExampleCode(seen []string) []string {
	var out []string
	for _, s := range seen {
		if !strings.HasPrefix(s, "# Example: ") {
			out = append(out, s)
		}
	}
	return out
}

// stripTags is an .html message's text, without its markup.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
