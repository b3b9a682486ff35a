package main

import (
	"fmt"
	"regexp"
	"strings"

	"sockplay/sockets/exercises"
	"sockplay/templates/i18n"
)

// localeLang is the language the locale asks for: the first of LC_ALL,
// LC_MESSAGES and LANG that is set decides, Chinese when it starts with
// "zh" (zh_CN.UTF-8, zh_TW), English otherwise.
func localeLang(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(v, "zh") {
				return i18n.ZH
			}
			return i18n.EN
		}
	}
	return i18n.EN
}

// say is one of "sockplay check"'s own formats in lang: its Chinese in
// checkZH for i18n.ZH, the English format itself otherwise.
func say(lang, format string) string {
	if zh, ok := checkZH[format]; ok && lang == i18n.ZH {
		return zh
	}
	return format
}

// errorf is fmt.Errorf with say's format in lang.
func errorf(lang, format string, args ...any) error {
	return fmt.Errorf(say(lang, format), args...)
}

// callText is a socket call the checker made, "recv(1024) → nothing came
// within 2 s", with its outcome in lang: the call stays as Python writes
// it (as the exercise page shows it, checkview.js).
func callText(lang, text string) string {
	call, outcome, ok := strings.Cut(text, " → ")
	if !ok {
		return text
	}
	return call + " → " + i18n.Server(lang, outcome)
}

// wording is how the verdict is written in lang: in Chinese the exercise
// page's lines (check.term.* of the scripts' catalog), so that a terminal
// and a Chinese page print a verdict alike.
func wording(lang string) exercises.Wording {
	if lang != i18n.ZH {
		return exercises.English
	}
	cat := i18n.ScriptCatalog()
	line := func(key string) string {
		return termHole.ReplaceAllStringFunc(cat["check.term."+key].ZH, func(h string) string {
			if h == "{n}" {
				return "%d"
			}
			return "%s"
		})
	}
	return exercises.Wording{
		Pass:     line("pass") + "\n",
		FailAt:   line("failat"),
		Advice:   line("advice"),
		Fail:     line("fail") + "\n",
		Passed:   line("passed") + "\n",
		Failed:   line("failed") + "\n",
		Did:      line("did") + "\n",
		Expected: line("expected") + "\n",
		Received: line("received") + "\n",
		Sentence: func(s string) string { return i18n.Server(i18n.ZH, s) },
	}
}

// termHole is a {name} of a check.term.* line: a step's number {n}, or a
// text.
var termHole = regexp.MustCompile(`\{[a-z]+\}`)

// checkZH is the Chinese of "sockplay check"'s own formats (its usage, its
// errors, its progress lines); the checker's sentences are the server's
// (templates/i18n/server.go). TestCheckInChinese checks every format has
// its Chinese, with the same verbs.
var checkZH = map[string]string{
	"sockplay check: %v\n\n": "sockplay check：%v\n\n",
	"sockplay check: listening on %s; start your client now (waiting up to %s)\n": "sockplay check：正在 %s 上监听；现在启动你的客户端（最多等 %s）\n",
	"step %d: %s\n": "第 %d 步：%s\n",
	"--list takes no exercise and no address":                 "--list 不接受练习，也不接受地址",
	"which exercise? name one":                                "检查哪个练习？请写出一个",
	"one exercise at a time, not %s":                          "一次只能检查一个练习，而不是 %s",
	"no exercise %q":                                          "没有练习 %q",
	"--timeout must be more than 0, not %v":                   "--timeout 必须大于 0，而不是 %v",
	"--reply-wait must be more than 0 and at most %v, not %v": "--reply-wait 必须大于 0 且最多 %v，而不是 %v",
	"--allow-net: %v":                                         "--allow-net：%v",
	"%s checks your server: give its address with --target HOST:PORT (not --listen)": "%s 检查的是你的服务器：请用 --target HOST:PORT 给出它的地址（不是 --listen）",
	"--target %s: %s": "--target %s：%s",
	"%s checks your client: the checker listens, and your client connects to it; give the address with --listen HOST:PORT (not --target)": "%s 检查的是你的客户端：检查程序负责监听，你的客户端去连接它；请用 --listen HOST:PORT 给出地址（不是 --target）",
	"--listen %s: %s": "--listen %s：%s",
	"%s %s: want HOST:PORT, such as 127.0.0.1:9000 ([::1]:9000 for IPv6)":                      "%s %s：应当是 HOST:PORT，例如 127.0.0.1:9000（IPv6 写成 [::1]:9000）",
	"%s %s: the port must be a number from 1 to 65535":                                         "%s %s：端口必须是 1 到 65535 之间的数字",
	"%s %s: the host must be a numeric address such as 127.0.0.1 (sockplay resolves no names)": "%s %s：主机必须是数字地址，例如 127.0.0.1（sockplay 不解析主机名）",
	"exercise": "练习",
	"flag":     "参数",
	"title":    "标题",
	usageText: `用法：sockplay check 练习 --target HOST:PORT   （你的服务器运行在 HOST:PORT）
      sockplay check 练习 --listen HOST:PORT   （检查程序监听，你的客户端来连接）
      sockplay check --list

参数：--timeout D（默认 30s）  --reply-wait D（默认 2s）  -v（显示每一步）
      --allow-net CIDR,...  --lang en|zh（默认跟随系统语言环境）

`,
}
