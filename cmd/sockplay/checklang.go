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
// cliZH for i18n.ZH, the English format itself otherwise.
func say(lang, format string) string {
	if zh, ok := cliZH[format]; ok && lang == i18n.ZH {
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

// cliZH is the Chinese of the own formats of "sockplay check" and
// "sockplay run" (their usage, their errors, their progress lines); the
// checker's sentences and the server's refusals are the server's
// (templates/i18n/server.go). TestCLIFormatsInChinese checks every format
// has its Chinese, with the same verbs.
var cliZH = map[string]string{
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

	// sockplay run (attach.go).
	"sockplay run: %v\n\n": "sockplay run：%v\n\n",
	"sockplay run: %v\n":   "sockplay run：%v\n",
	"sockplay run: %s is needed to run Python programs: %v\n":                                                     "sockplay run：运行 Python 程序需要 %s：%v\n",
	"sockplay run: sockplay's Python module: %v\n":                                                                "sockplay run：sockplay 的 Python 模块：%v\n",
	"sockplay run: %s is attached to your session as %s; its sockets show on the workbench\n":                     "sockplay run：%s 已作为 %s 连接到你的会话；它的套接字显示在工作台上\n",
	"sockplay run: the connection to the server ended (%v); the program's socket calls fail from now on\n":        "sockplay run：与服务器的连接已断开（%v）；从现在起，程序的套接字调用都会失败\n",
	"which program? name a FILE.py":                                                                               "运行哪个程序？请写出一个 FILE.py",
	"%s needs a value":                                                                                            "%s 需要一个值",
	"which session? give --session CODE: the workbench shows the command with your session's code (Your program)": "连接哪个会话？请给出 --session CODE：工作台（你的程序）上显示了带有你的会话连接码的命令",
	"--server %s: %v": "--server %s：%v",
	"--server %s: want an http:// or https:// URL":                                           "--server %s：应当是 http:// 或 https:// 开头的 URL",
	"--server %s: no host in it":                                                             "--server %s：里面没有主机",
	"the server at %s refused to attach (HTTP %d): %s":                                       "%s 上的服务器拒绝连接（HTTP %d）：%s",
	"cannot reach the sockplay server at %s: %v (is it running? --server URL names another)": "连不上 %s 上的 sockplay 服务器：%v（它在运行吗？用 --server URL 可以指定别的服务器）",
	runUsageText: `用法：sockplay run FILE.py [--server URL] [--session CODE] [--] [参数…]

用 python3 和 sockplay 的 socket 模块运行 FILE.py，并把它连接到你的浏览器
会话：它的套接字实时显示在工作台上。工作台（你的程序）上显示了带有你的会话
连接码的命令。

  --server URL    sockplay 服务器（默认 %s；环境变量 SOCKPLAY_SERVER）
  --session CODE  你的会话的连接码（环境变量 SOCKPLAY_SESSION）
  --python PATH   用来运行的 Python 3（默认 python3）
  --lang en|zh    sockplay 自己的句子使用的语言（默认跟随系统语言环境
                  LC_ALL、LC_MESSAGES 或 LANG；环境变量 SOCKPLAY_LANG）

程序的参数、标准输入、标准输出和标准错误都原样传递，退出状态就是程序的
退出状态（125：无法连接到会话；127：没有 python3；2：用法错误）。
`,
}
