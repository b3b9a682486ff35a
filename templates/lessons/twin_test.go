package lessons_test

import (
	"errors"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"sockplay/templates/i18n"
	"sockplay/templates/lessons"
)

// twinSrc is a lesson with two cells (ids a, b) and a peer; front holds
// the front matter lines after title and summary.
func twinSrc(title, front string, cells ...string) string {
	s := "---\ntitle: " + title + "\nsummary: S.\n" + front + "---\n\n"
	for _, id := range cells {
		s += "```cell id=" + id + "\nprint(1)\n```\n```check\nprints 1\n```\n\n"
	}
	return s
}

const twinFront = "order: 3\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47950]}]\n"

func TestLoadTwin(t *testing.T) {
	ls, err := lessons.Load(fstest.MapFS{
		"03-x.md":    {Data: []byte(twinSrc("English", twinFront, "a", "b"))},
		"03-x.zh.md": {Data: []byte(twinSrc("中文标题", twinFront, "a", "b"))},
		"04-y.md":    {Data: []byte(twinSrc("Only English", "order: 4\n", "a"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d lessons, want 2 (a twin is not a lesson of its own)", len(ls))
	}
	en, z := ls[0], ls[0].ZH
	if z == nil {
		t.Fatal("03-x has no ZH twin")
	}
	if en.Lang != lessons.LangEN || z.Lang != lessons.LangZH || z.Slug != "x" || z.File != "03-x.zh.md" || z.Title != "中文标题" {
		t.Errorf("en lang %q; twin lang %q slug %q file %q title %q", en.Lang, z.Lang, z.Slug, z.File, z.Title)
	}
	if en.In(lessons.LangZH) != z || en.In(lessons.LangEN) != en || ls[1].In(lessons.LangZH) != ls[1] || ls[1].ZH != nil {
		t.Error("In picks the twin for zh only, and the English lesson when there is no twin")
	}
}

func TestLoadTwinErrors(t *testing.T) {
	const en = "03-x.md"
	tests := []struct {
		name, twinFile, twin string
		want                 []string
	}{
		{"no English lesson", "05-z.zh.md", twinSrc("T", "order: 5\n", "a"),
			[]string{"05-z.zh.md: a Chinese twin needs its English lesson 05-z.md"}},
		{"other NN", "04-x.zh.md", twinSrc("T", twinFront, "a", "b"),
			[]string{"04-x.zh.md: a Chinese twin needs its English lesson 04-x.md"}},
		{"other order", "03-x.zh.md", twinSrc("T", "order: 9\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47950]}]\n", "a", "b"),
			[]string{"03-x.zh.md:1: order is 9, its English lesson 03-x.md has 3"}},
		{"other peers", "03-x.zh.md", twinSrc("T", "order: 3\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",47951]}]\n", "a", "b"),
			[]string{"03-x.zh.md:1: peers differ from its English lesson 03-x.md"}},
		{"other network", "03-x.zh.md", twinSrc("T", twinFront+"network: lab\n", "a", "b"),
			[]string{`03-x.zh.md:1: network is "lab", its English lesson 03-x.md has ""`}},
		{"other cell order", "03-x.zh.md", twinSrc("T", twinFront, "b", "a"),
			[]string{`03-x.zh.md:8: cell 1 is "b", in its English lesson 03-x.md it is "a" (03-x.md:8)`}},
		{"other cell id", "03-x.zh.md", twinSrc("T", twinFront, "a", "c"),
			[]string{`03-x.zh.md:15: cell 2 is "c", in its English lesson 03-x.md it is "b" (03-x.md:15)`}},
		{"cell missing", "03-x.zh.md", twinSrc("T", twinFront, "a"),
			[]string{`03-x.zh.md: cell "b" (03-x.md:15) is missing`}},
		{"cell added", "03-x.zh.md", twinSrc("T", twinFront, "a", "b", "c"),
			[]string{`03-x.zh.md:22: cell "c" is not in its English lesson 03-x.md`}},
		{"run block missing", "03-x.zh.md", twinSrc("T", twinFront, "a", "b"),
			nil}, // replaced below: the English lesson gets a python run block
		{"bad twin name", "03-X.zh.md", twinSrc("T", twinFront, "a", "b"),
			[]string{"03-X.zh.md: a lesson file is named NN-slug.md (or NN-slug.zh.md"}},
		{"twin's own error", "03-x.zh.md", twinSrc("T", "order: x\n", "a", "b"),
			[]string{`03-x.zh.md:4: order must be an integer, got "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enSrc := twinSrc("T", twinFront, "a", "b")
			if tt.want == nil {
				enSrc += "```python run\nprint(2)\n```\n"
				tt.want = []string{"03-x.zh.md: it has 0 python run blocks, its English lesson 03-x.md has 1"}
			}
			ls, err := lessons.Load(fstest.MapFS{en: {Data: []byte(enSrc)}, tt.twinFile: {Data: []byte(tt.twin)}})
			if err == nil {
				t.Fatalf("no error (%d lessons), want %q", len(ls), tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant %d:\n%s", err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %q, want it to start with %q", got[i], w)
				}
			}
			var le *lessons.Error
			if !errors.As(err, &le) || le.File != tt.twinFile {
				t.Errorf("error %v is not a *lessons.Error for %s", err, tt.twinFile)
			}
		})
	}
}

// TestEveryLessonHasChineseTwin: every built-in lesson has its Chinese twin
// NN-slug.zh.md (issue 14). The loader already checks that a twin has the
// same order, peers, network and cells; the content tests
// (web: TestLessonContent/zh, TestLessonCellsInBrowser/zh) run its cells.
func TestEveryLessonHasChineseTwin(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ZH == nil {
			t.Errorf("%s has no Chinese twin %s", l.File, strings.TrimSuffix(l.File, ".md")+".zh.md")
		}
	}
}

// TestChineseHeadingIDs: a Chinese heading's id keeps its words (goldmark's
// would be "heading", "heading-1", …), unique like the others; an English
// one is goldmark's as before.
func TestChineseHeadingIDs(t *testing.T) {
	html, err := lessons.Markdown([]byte("## 套接字与端口\n\n## UDP 数据报（datagram）\n\n## 套接字与端口\n\n## Plain English\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<h2 id="sec-套接字与端口">`, `<h2 id="sec-udp-数据报-datagram">`, `<h2 id="sec-套接字与端口-1">`, `<h2 id="sec-plain-english">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("no %s in\n%s", want, html)
		}
	}
}

// TestTwinsKeepTheCode: a Chinese twin's cells and Python blocks are its
// English lesson's code: they may differ only in comments and in string
// literals (what the code prints), as FORMAT.md says. (Built-in lessons;
// it checks nothing until they have twins.)
func TestTwinsKeepTheCode(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		z := l.ZH
		if z == nil {
			continue
		}
		for i, c := range l.Cells {
			if a, b := codeShape(c.Code), codeShape(z.Cells[i].Code); a != b {
				t.Errorf("%s:%d: cell %q is not the code of %s:%d but for comments and strings:\n%s\n---\n%s", z.File, z.Cells[i].Line, c.ID, l.File, c.Line, b, a)
			}
		}
		if len(z.Python) != len(l.Python) {
			t.Errorf("%s has %d python blocks, %s %d", z.File, len(z.Python), l.File, len(l.Python))
			continue
		}
		for i, b := range l.Python {
			if x, y := codeShape(b.Code), codeShape(z.Python[i].Code); x != y {
				t.Errorf("%s:%d: this python block is not the code of %s:%d but for comments and strings", z.File, z.Python[i].Line, l.File, b.Line)
			}
		}
	}
}

func TestCodeShape(t *testing.T) {
	same := [][2]string{
		{"print('hello')  # greet\n", "print('你好')  # 打招呼\n"},
		{"s.send(b\"ping\")\n", "s.send(b\"ping!\")\n"},
		{"x = f'{n} bytes'\n", "x = f'{n} 字节'\n"},
		{"'''doc\nstring'''\ny = 1\n", "'''说明\n文字\n多一行'''\ny = 1\n"},
		{"a = 1\n\n# only a comment\nb = 2\n", "a = 1\nb = 2   # 注释\n"},
		{"print(\"it's # not a comment\")\n", "print(\"不是注释\")\n"},
	}
	for _, p := range same {
		if a, b := codeShape(p[0]), codeShape(p[1]); a != b {
			t.Errorf("%q and %q differ: %q, %q", p[0], p[1], a, b)
		}
	}
	differ := [][2]string{
		{"print('a')\n", "print('a', end='')\n"},
		{"s.bind(('127.0.0.1', 9000))\n", "s.bind(('127.0.0.1', 9001))\n"},
		{"x = 1\n", "x = 2\n"},
		{"if a:\n    b()\n", "if a:\nb()\n"},
	}
	for _, p := range differ {
		if codeShape(p[0]) == codeShape(p[1]) {
			t.Errorf("%q and %q have the same shape %q", p[0], p[1], codeShape(p[0]))
		}
	}
}

// pyString finds the Python string literal whose opening quote is rs[i]:
// its quote (one character, or three for a triple-quoted string) and the
// index of its closing quote (len(rs) or past when it is not closed).
func pyString(rs []rune, i int) (quote string, end int) {
	quote = string(rs[i : i+1])
	if i+2 < len(rs) && rs[i+1] == rs[i] && rs[i+2] == rs[i] {
		quote = string(rs[i : i+3])
	}
	j := i + len(quote)
	for j < len(rs) && !strings.HasPrefix(string(rs[j:min(j+len(quote), len(rs))]), quote) {
		if rs[j] == '\\' {
			j++
		}
		j++
	}
	return quote, j
}

// codeShape is Python code without its comments and blank lines, each
// string literal written S (its prefix kept: b'…' → bS), trailing spaces
// dropped: what a translation may not change.
func codeShape(code string) string {
	var out strings.Builder
	rs := []rune(code)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			i--
		case r == '\'' || r == '"':
			quote, j := pyString(rs, i)
			i = j + len(quote) - 1
			out.WriteString("S")
		default:
			out.WriteRune(r)
		}
	}
	var lines []string
	for _, line := range strings.Split(out.String(), "\n") {
		if line = strings.TrimRight(line, " \t"); strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// TestChineseLineBreaks: a paragraph of a Chinese twin written on several
// lines renders without a space between Chinese characters (a browser
// shows a line break as one); English keeps its line breaks, and a break
// next to a Latin word stays.
func TestChineseLineBreaks(t *testing.T) {
	body := "\n第一行的结尾\n第二行用 `recv`\n接收。\n\none\ntwo\n"
	ls, err := lessons.Load(fstest.MapFS{
		"03-x.md":    {Data: []byte(twinSrc("English", twinFront, "a") + body)},
		"03-x.zh.md": {Data: []byte(twinSrc("中文", twinFront, "a") + body)},
	})
	if err != nil {
		t.Fatal(err)
	}
	html := ls[0].ZH.HTML
	for _, want := range []string{"第一行的结尾第二行用", "<code>recv</code>\n接收。", "one\ntwo"} {
		if !strings.Contains(html, want) {
			t.Errorf("the twin's HTML has no %q:\n%s", want, html)
		}
	}
}

// TestTwinsNameTheChineseControls: a Chinese twin's text names what the
// page shows by its Chinese words: a button, a label or a state the page's
// catalogs write in Chinese ("Start the peers", the card's **Kernel** part,
// "data segs out", "TIME_WAIT (fd closed; the kernel keeps it)") is not
// named by its English, which a Chinese page never shows. A label of one
// word counts where the lesson marks it as one (**Kernel**); code blocks
// and cells, whose code is the English lesson's, are left out.
func TestTwinsNameTheChineseControls(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	type label struct {
		key, zh string
		re      *regexp.Regexp
	}
	var labels []label
	hole := regexp.MustCompile(`\{[a-z]+\}`)
	for _, cat := range []map[string]i18n.M{i18n.PageCatalog(), i18n.ScriptCatalog()} {
		for k, m := range cat {
			en := strings.TrimSpace(tagRe.ReplaceAllString(m.EN, ""))
			if en == strings.TrimSpace(m.ZH) || strings.Contains(en, "%") {
				continue
			}
			words := regexp.MustCompile(`[A-Za-z]{2,}`).FindAllString(hole.ReplaceAllString(en, ""), -1)
			src := ""
			for i, part := range hole.Split(en, -1) {
				if i > 0 {
					src += `\S+`
				}
				src += regexp.QuoteMeta(part)
			}
			switch {
			case len(words) >= 2:
				src = `(?:^|[^A-Za-z])(` + src + `)(?:$|[^A-Za-z(])`
			case len(words) == 1 && !hole.MatchString(en):
				src = `(\*\*` + src + `\*\*)`
			default:
				continue
			}
			labels = append(labels, label{k, m.ZH, regexp.MustCompile(src)})
		}
	}
	if len(labels) < 300 {
		t.Fatalf("only %d labels from the catalogs", len(labels))
	}
	code := regexp.MustCompile(`(?s)<section class="cell".*?</section>|<pre.*?</pre>|<textarea.*?</textarea>`)
	for _, l := range ls {
		if l.ZH == nil {
			continue
		}
		// The twin's prose, inline code included, with **bold** kept as
		// the lesson wrote it.
		text := code.ReplaceAllString(l.ZH.HTML, "")
		text = strings.NewReplacer("<strong>", "**", "</strong>", "**").Replace(text)
		text = html.UnescapeString(tagRe.ReplaceAllString(text, ""))
		for _, lb := range labels {
			if m := lb.re.FindStringSubmatch(text); m != nil {
				t.Errorf("%s names %q in English; the Chinese page shows it as %q (%s)", l.ZH.File, m[1], lb.zh, lb.key)
			}
		}
	}
}

// tagRe is an HTML tag.
var tagRe = regexp.MustCompile(`<[^>]*>`)

// TestTwinsPrintChinese: what a Chinese twin's code prints is in Chinese,
// as FORMAT.md asks (the strings it prints are translated, with their
// checks). A print call of a cell or a Python block is English when its
// strings have a word and no Chinese at all (print("stopped"),
// print("got", n, "of", size, "bytes")), or when one of them has two
// English words in a row ("the kernel took", "TCP answer"). Names of code
// are not words: recvfrom(8), SO_SNDBUF, snd_wnd, tcp-echo, r1, what an
// f-string interpolates ({len(data)}), and the bytes a program sends
// (b"hello udp").
func TestTwinsPrintChinese(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range ls {
		z := l.ZH
		if z == nil {
			continue
		}
		type block struct {
			line int
			what string
			code string
		}
		var blocks []block
		for _, c := range z.Cells {
			blocks = append(blocks, block{c.Line, "cell " + c.ID, c.Code})
		}
		for _, p := range z.Python {
			blocks = append(blocks, block{p.Line, "python block", p.Code})
		}
		for _, b := range blocks {
			for _, call := range printCalls(b.code) {
				checked++
				if why := englishPrint(call); why != "" {
					t.Errorf("%s:%d: %s prints English (%s): %s", z.File, b.line, b.what, why, call.src)
				}
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d print calls in the Chinese twins", checked)
	}
}

func TestEnglishPrint(t *testing.T) {
	for _, c := range []struct {
		code    string
		english bool
	}{
		{`print("stopped")`, true},
		{`print("got", len(out), "of", PS_SIZE, "bytes")`, true},
		{`print("TCP answer:", stream.recv(1024))`, true},
		{`print(f"{text} class {address_class(addr)}: {kinds(addr)}")`, true},
		{"print(\"the reader took\", got,\n      \"- the window is open:\", ok)", true},
		{`print("已停止")`, false},
		{`print("收到", len(out), "/", PS_SIZE, "字节")`, false},
		{`print("recvfrom(8)    ->", rx.recvfrom(8)[0])`, false},
		{`print("SO_SNDBUF", n)`, false},
		{`print("for_bob:  ", for_bob.recv(1024))`, false},
		{`print("accept ->", conn.getsockname(), "对端是", peer)`, false},
		{`print(f"{len(data)} 字节: {data!r}")`, false},
		{`print(b"hello udp")`, false},
		{`print(c.recv(1024))  # print("not this")`, false},
		{`s.sendto(b"x", addr)  # no print here`, false},
		{`print("ThreadingUDPServer 在", host, "上")`, false},
	} {
		calls := printCalls(c.code)
		if len(calls) != 1 && !strings.Contains(c.code, "sendto") {
			t.Errorf("%q: %d print calls, want 1", c.code, len(calls))
			continue
		}
		got := false
		for _, call := range calls {
			got = got || englishPrint(call) != ""
		}
		if got != c.english {
			t.Errorf("%q: English %v, want %v", c.code, got, c.english)
		}
	}
}

// printCall is one print(...) in Python code: its source, and the text of
// the string literals it prints: its arguments' (print("got", n) and
// n or "none"), not bytes, not an argument of a call inside it
// (decode("utf-8")) nor one whose method is called (", ".join); an f-string
// without what it interpolates.
type printCall struct {
	src     string
	strings []string
	code    string // the call without its strings, with what f-strings interpolate
}

// printCalls finds the print calls of Python code, skipping comments and
// strings (a "print(" in a comment or a string is not a call).
func printCalls(code string) []printCall {
	rs := []rune(code)
	var calls []printCall
	var cur *printCall
	depth, start := 0, 0
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '\'' || r == '"':
			p := i // the literal's prefix: letters right before the quote
			for p > 0 && strings.ContainsRune("bBrRfFuU", rs[p-1]) {
				p--
			}
			prefix := strings.ToLower(string(rs[p:i]))
			quote, j := pyString(rs, i)
			text := string(rs[i+len(quote) : min(j, len(rs))])
			i = j + len(quote) - 1
			if cur == nil {
				continue
			}
			if strings.Contains(prefix, "f") {
				cur.code += " " + strings.Join(fieldRe.FindAllString(text, -1), " ")
				text = fieldRe.ReplaceAllString(text, " ")
			}
			next := strings.TrimLeft(string(rs[min(i+1, len(rs)):]), " ")
			if depth == 1 && !strings.Contains(prefix, "b") && !strings.HasPrefix(next, ".") && !strings.HasPrefix(next, "[") {
				cur.strings = append(cur.strings, text)
			}
		case cur == nil && r == 'p' && strings.HasPrefix(string(rs[i:]), "print(") &&
			(i == 0 || !isIdent(rs[i-1]) && rs[i-1] != '.'):
			cur = &printCall{}
			start, depth = i, 1
			i += len("print(") - 1
		case cur != nil && (r == '(' || r == '[' || r == '{'):
			depth++
			cur.code += string(r)
		case cur != nil && (r == ')' || r == ']' || r == '}'):
			if depth--; depth == 0 {
				cur.src = string(rs[start : i+1])
				calls = append(calls, *cur)
				cur = nil
			} else {
				cur.code += string(r)
			}
		case cur != nil:
			cur.code += string(r)
		}
	}
	return calls
}

func isIdent(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

var (
	// fieldRe is what an f-string interpolates ({len(data)}, {n:5}).
	fieldRe = regexp.MustCompile(`\{[^{}]*\}`)
	// codeNameRe is a name of code in printed text: a call (recvfrom(8)),
	// a name with _ or digits (snd_wnd, r1, SO_SNDBUF), a dashed name
	// (tcp-echo, threaded-tcp-server), an attribute (self.request).
	codeNameRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*\([^()]*\)|[A-Za-z0-9]*[_0-9][A-Za-z0-9_]*|[A-Za-z]+(?:[-.][A-Za-z]+)+`)
	// wordRe is a word with a small letter (TCP, SYN and ACK are not
	// English words), twoWordsRe two of them in a row.
	wordRe     = regexp.MustCompile(`[A-Za-z]*[a-z][A-Za-z]*`)
	twoWordsRe = regexp.MustCompile(`(?:^|[^A-Za-z])([A-Za-z]*[a-z][A-Za-z]*[ ,']+[A-Za-z]*[a-z][A-Za-z]*)`)
	identRe    = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
	hanRe      = regexp.MustCompile(`\p{Han}`)
)

// socketCalls are the socket methods a print may name alone
// (print("sendall:", err)): API names stay untranslated.
var socketCalls = map[string]bool{}

func init() {
	for _, name := range strings.Fields("socket accept bind close connect getpeername getsockname getsockopt listen recv recvfrom recvmsg send sendall sendto setsockopt settimeout shutdown") {
		socketCalls[name] = true
	}
}

// englishPrint says why a print call prints English, or "" when it does
// not. A word alone that names something of the call's code is code
// (print("lens", segs.lens), f"{line} win={win}"), and so is the name
// of a socket method (socketCalls).
func englishPrint(call printCall) string {
	names := map[string]bool{}
	for _, id := range identRe.FindAllString(call.code, -1) {
		names[id] = true
	}
	han := false
	var words []string
	for _, s := range call.strings {
		han = han || hanRe.MatchString(s)
		prose := codeNameRe.ReplaceAllString(s, " ")
		if w := twoWordsRe.FindStringSubmatch(prose); w != nil {
			return "English words " + strconv.Quote(w[1])
		}
		for _, w := range wordRe.FindAllString(prose, -1) {
			if !names[w] && !socketCalls[w] {
				words = append(words, w)
			}
		}
	}
	if !han && len(words) > 0 {
		return "the words " + strconv.Quote(strings.Join(words, " ")) + " and no Chinese"
	}
	return ""
}
