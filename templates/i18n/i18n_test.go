package i18n

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"sockplay/sockets"
)

// TestCatalogsComplete: every message of both catalogs has both languages,
// its Chinese is Chinese, and both have the same placeholders.
func TestCatalogsComplete(t *testing.T) {
	fmtVerb := regexp.MustCompile(`%[sdvq]`)
	jsArg := regexp.MustCompile(`\{[a-zA-Z0-9_]+\}`)
	for name, cat := range map[string]struct {
		m    map[string]M
		args *regexp.Regexp
	}{"messages": {messages, fmtVerb}, "jsMessages": {jsMessages, jsArg}} {
		for k, m := range cat.m {
			if strings.TrimSpace(m.EN) == "" || strings.TrimSpace(m.ZH) == "" {
				t.Errorf("%s[%q]: English %q, Chinese %q: both are needed", name, k, m.EN, m.ZH)
				continue
			}
			if !hasHan(m.ZH) && !strings.HasPrefix(k, "nav.switch") && !untranslated[k] {
				t.Errorf("%s[%q]: the Chinese %q has no Chinese in it", name, k, m.ZH)
			}
			if en, zh := strings.Join(sorted(cat.args.FindAllString(m.EN, -1)), " "), strings.Join(sorted(cat.args.FindAllString(m.ZH, -1)), " "); en != zh {
				t.Errorf("%s[%q]: placeholders %q in English, %q in Chinese", name, k, en, zh)
			}
		}
	}
}

// TestServerSentences: every server sentence has its Chinese, with the
// same placeholders, and its English is still what the server writes:
// each literal part of it is in the source of package sessions,
// sessions/protocol, sessions/programs, sessions/python, sockets,
// sockets/exercises or web (POST /rooms)
// (a sentence changed there and not here would silently stay English);
// and every sentence of a refused request (sessions, sessions/protocol,
// sockets, web: checkRefusals) is in the catalog.
func TestServerSentences(t *testing.T) {
	jsArg := regexp.MustCompile(`\{[a-zA-Z0-9_]+\}`)
	var src strings.Builder
	for _, g := range []string{"../../sessions/*.go", "../../sessions/protocol/*.go", "../../sessions/programs/*.go", "../../sessions/python/*.go", "../../sockets/*.go", "../../sockets/exercises/*.go", "../../web/*.go"} {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	seen := map[string]bool{}
	for _, m := range serverSentences {
		if seen[m.EN] {
			t.Errorf("%q is listed twice", m.EN)
		}
		seen[m.EN] = true
		if !hasHan(m.ZH) && !joining(m.EN) {
			t.Errorf("%q: the Chinese %q has no Chinese in it", m.EN, m.ZH)
		}
		if en, zh := strings.Join(sorted(jsArg.FindAllString(m.EN, -1)), " "), strings.Join(sorted(jsArg.FindAllString(m.ZH, -1)), " "); en != zh {
			t.Errorf("%q: placeholders %q in English, %q in Chinese", m.EN, en, zh)
		}
		for _, part := range jsArg.Split(m.EN, -1) {
			// b'{data}' is a bytes literal the server writes with show().
			part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(part, "'"), "b'"), "'"))
			if len(part) < 6 {
				continue
			}
			quoted := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%q", part), `"`), `"`)
			if !strings.Contains(src.String(), part) && !strings.Contains(src.String(), quoted) {
				t.Errorf("%q: %q is not in the server's source any more", m.EN, part)
			}
		}
	}
	checkRefusals(t)
}

// untranslated are the messages whose Chinese is rightly the same as the
// English (numbers, API names).
var untranslated = map[string]bool{
	"prog.nofm": true, "sm.summary": true, "kernel.since.sep": true, "kernel.since": true, "py.reset.summary": true, "render.err.text": true, "check.colon": true, "roompage.refused": true, "check.term.advice": true, "check.term.failed": true, "check.term.passed": true,
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// usedKeys finds the catalog keys the files matching globs use, by re.
func usedKeys(t *testing.T, re *regexp.Regexp, globs ...string) map[string]string {
	t.Helper()
	used := map[string]string{} // key → file
	for _, g := range globs {
		files, err := filepath.Glob(g)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", g, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_templ.go") || strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				used[m[1]] = f
			}
		}
	}
	return used
}

// TestPageKeys: every key the templates and the server use is in the page
// catalog, and every key of the catalog is used.
func TestPageKeys(t *testing.T) {
	re := regexp.MustCompile(`(?:\btr\(ctx, |\bTc\(ctx, |\bT\(langOf\(c\), |\bpageT\(c, |\bnotFound\(c, )"([^"]+)"`)
	used := usedKeys(t, re, "../*.templ", "../*.go", "../lessons/*.templ", "../../web/*.go")
	for k, f := range used {
		if _, ok := messages[k]; !ok {
			t.Errorf("%s uses %q, which the catalog (messages.go) does not have", f, k)
		}
	}
	for k := range messages {
		if _, ok := used[k]; !ok {
			t.Errorf("messages[%q] is used nowhere", k)
		}
	}
	if got := T(ZH, "nosuchkey"); got != "!nosuchkey!" {
		t.Errorf("an unknown key gives %q", got)
	}
}

// TestJSKeys: every key the page scripts look up (t('key'), tn('key', n),
// t(cond ? 'a' : 'b')) is in the scripts' catalog, and every key of it is
// written somewhere in the scripts.
func TestJSKeys(t *testing.T) {
	const js = "../../static/js/*.js"
	looked := usedKeys(t, regexp.MustCompile(`\bt\(\s*'([^']+)'`), js)
	for _, re := range []string{`\bt\(\s*[^,()']*\?\s*'([^']+)'`, `\bt\(\s*[^,()']*\?\s*'[^']+'\s*:\s*'([^']+)'`} {
		for k, f := range usedKeys(t, regexp.MustCompile(re), js) {
			looked[k] = f
		}
	}
	// tn('key', n) looks up key and key.one.
	for k, f := range usedKeys(t, regexp.MustCompile(`\btn\(\s*'([^']+)'`), js) {
		looked[k], looked[k+".one"] = f, f
	}
	for k, f := range looked {
		if _, ok := jsMessages[k]; !ok {
			t.Errorf("%s looks up %q, which the catalog (js.go) does not have", f, k)
		}
	}
	written := usedKeys(t, regexp.MustCompile(`'([a-z]+\.[a-zA-Z0-9._]+)'`), js)
	for k := range jsMessages {
		_, ok := written[k]
		_, one := written[strings.TrimSuffix(k, ".one")]
		if !ok && !one && !dynamicJS(k) {
			t.Errorf("jsMessages[%q] is used nowhere", k)
		}
	}
	if zh := JSCatalog(ZH); len(zh.Messages) != len(jsMessages) || len(zh.Server) != len(serverSentences) || len(JSCatalog(EN).Server) != 0 {
		t.Errorf("JSCatalog(zh) has %d messages and %d sentences, the catalog %d and %d (English: none)", len(zh.Messages), len(zh.Server), len(jsMessages), len(serverSentences))
	}
}

// dynamicJS reports whether a scripts' key is looked up by a computed name
// (t(`err.${type}`)), which TestJSKeys cannot see.
func dynamicJS(k string) bool {
	for _, p := range dynamicPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func TestMatch(t *testing.T) {
	for header, want := range map[string]string{
		"":                               EN,
		"zh-CN":                          ZH,
		"zh-CN,zh;q=0.9,en;q=0.8":        ZH,
		"zh":                             ZH,
		"zh-TW":                          ZH,
		"zh-Hant-HK":                     ZH,
		"en-US,en;q=0.9":                 EN,
		"en-GB,zh-CN;q=0.5":              EN,
		"fr-FR,zh-CN;q=0.8,en;q=0.5":     ZH,
		"de-DE":                          EN,
		"*":                              EN,
		"not a language header;;;q=x,,,": EN,
	} {
		if got := Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
	if HTMLLang(ZH) != "zh-CN" || HTMLLang(EN) != "en" || HTMLLang("") != "en" {
		t.Error("HTMLLang")
	}
	ctx := WithLang(context.Background(), ZH)
	if LangOf(ctx) != ZH || LangOf(context.Background()) != EN || Tc(ctx, "nav.home") != "首页" {
		t.Error("WithLang / LangOf / Tc")
	}
}

// jsLiteral is a string literal of a page script: where it starts, and
// its text with each ${…} of a template literal as {}.
type jsLiteral struct {
	at   int
	text string
}

// jsLiterals finds the string literals of a script, outside its comments,
// those inside a template literal's ${…} too. (Regular expression
// literals are read as code: the scripts' hold no quotes.)
func jsLiterals(src string) []jsLiteral {
	var out []jsLiteral
	var code func(i int, inHole bool) int
	// str reads the literal that starts at i (its quote), and returns
	// where it ends.
	str := func(i int) int {
		q := src[i]
		var b strings.Builder
		j := i + 1
		for j < len(src) && src[j] != q {
			switch {
			case src[j] == '\\' && j+1 < len(src):
				b.WriteString(src[j : j+2])
				j += 2
				continue
			case q == '`' && strings.HasPrefix(src[j:], "${"):
				b.WriteString("{}")
				j = code(j+2, true)
				continue
			case q != '`' && src[j] == '\n':
				return j
			}
			b.WriteByte(src[j])
			j++
		}
		out = append(out, jsLiteral{i, b.String()})
		return j + 1
	}
	code = func(i int, inHole bool) int {
		depth := 0
		for i < len(src) {
			switch c := src[i]; {
			case strings.HasPrefix(src[i:], "//"):
				for i < len(src) && src[i] != '\n' {
					i++
				}
			case strings.HasPrefix(src[i:], "/*"):
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return len(src)
				}
				i += end + 4
			case c == '\'' || c == '"' || c == '`':
				i = str(i)
			case c == '{':
				depth++
				i++
			case c == '}':
				if depth == 0 && inHole {
					return i + 1
				}
				depth--
				i++
			default:
				i++
			}
		}
		return i
	}
	code(0, false)
	return out
}

// scriptWords is three words of English in a row (each all letters, as
// a sentence writes them: "show every byte", "bytes into X").
var scriptWords = regexp.MustCompile(`(?:^|\s)[A-Za-z]{2,}[,;:.]?\s+[A-Za-z]{2,}[,;:.]?\s+[A-Za-z]{2,}[,;:.]?(?:\s|$)`)

// scriptAttr is where a title, aria-label or placeholder a script writes
// ends: a literal starting there is its text.
var scriptAttr = regexp.MustCompile(`(?:\btitle|'aria-label'|\bplaceholder)\s*:\s*$`)

// scriptEnglish are the scripts' literals of English words that no
// learner reads as they are: code, selectors, a close reason, a
// developer's error (file: the literal's text, each
// ${…} as {}).
var scriptEnglish = map[string]string{
	"bytes.js: a lone \\\\ at the end":                         "EscapeError: framing.js says it from its char",
	"conn.js: seq gap after {}":                                "a close reason",
	"workbench.js: workbench: the root element has no data-ws": "a developer's error",
	"projector.js: textarea, input, select, [contenteditable]": "a selector",
}

// TestScriptsSayNothingInEnglish: every text a page script shows comes from
// its catalog (t, tn, server): no literal of a script holds a sentence of
// English (three words in a row) outside its comments, and no title,
// aria-label or placeholder is a literal with words in it, but the ones
// scriptEnglish lists (code, selectors, a close reason…). The Python the
// scripts write (console.js, pyframing.js, transcript.js) is code.
func TestScriptsSayNothingInEnglish(t *testing.T) {
	files, err := filepath.Glob("../../static/js/*.js")
	if err != nil || len(files) < 20 {
		t.Fatalf("%d scripts (%v)", len(files), err)
	}
	code := map[string]bool{"console.js": true, "pyframing.js": true}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, src := filepath.Base(f), string(b)
		for _, l := range jsLiterals(src) {
			attr := scriptAttr.MatchString(src[max(0, l.at-40):l.at])
			english := scriptWords.MatchString(l.text) && !code[name]
			if !english && !(attr && regexp.MustCompile(`[A-Za-z]{2,}`).MatchString(l.text)) {
				continue
			}
			key := name + ": " + l.text
			if _, ok := scriptEnglish[key]; ok {
				seen[key] = true
				continue
			}
			t.Errorf("%s:%d: %q is English on the page: say it with t() and a catalog key (js.go), or list it in scriptEnglish", name, strings.Count(src[:l.at], "\n")+1, l.text)
		}
	}
	for k := range scriptEnglish {
		if !seen[k] {
			t.Errorf("scriptEnglish lists %q, which no script writes any more", k)
		}
	}
}

// TestWildcardWording: the policy's own sentences that end a list of
// networks with "and the wildcard" read in Chinese with the wildcard set
// apart from the list's last address ("127.255.255.255，以及通配地址", not
// "127.255.255.255以及通配地址"), on every profile's list.
func TestWildcardWording(t *testing.T) {
	lab := netip.MustParsePrefix("10.77.0.0/24")
	for _, p := range []*sockets.Policy{
		{Wildcard: true},
		{Wildcard: true, Extra: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}},
		{Wildcard: true, Private: true, Lab: lab},
	} {
		refusal := p.CheckBind(netip.MustParseAddr("8.8.8.8"), 9000)
		if refusal == nil {
			t.Fatalf("%+v allows binding to 8.8.8.8", p)
		}
		for _, en := range []string{refusal.Message, p.Describe().Bind} {
			zh := Server(ZH, en)
			if !strings.Contains(zh, "，以及通配地址") || regexp.MustCompile(`[0-9A-Za-z)]以及通配地址`).MatchString(zh) {
				t.Errorf("%q in Chinese is %q: want the wildcard after \"，以及\"", en, zh)
			}
		}
	}
}
