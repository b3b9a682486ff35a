package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"sockplay/templates/i18n"
)

// errorsProgram makes sockplay refuse four calls and Python fail two, and
// prints each exception as "Class|message"; its last call's PolicyError
// is left uncaught, so its traceback ends the program.
var errorsProgram = dedent(`
	import socket, _sockplay_channel
	def show(f):
	    try:
	        f()
	    except Exception as e:
	        print(type(e).__name__ + "|" + str(e))
	udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	udp.bind(("127.0.0.1", 0))
	free = socket.socket()
	free.bind(("127.0.0.1", 0))
	port = free.getsockname()[1]
	free.close()
	show(lambda: socket.socket().bind(("127.0.0.1", 80)))
	show(lambda: udp.sendto(b"x", ("8.8.8.8", 53)))
	show(lambda: _sockplay_channel.call("recvfrom", sock=udp.handle, bufsize=2_000_000))
	show(lambda: socket.socket().connect(("127.0.0.1", port)))
	show(lambda: _sockplay_channel.call("recvfrom", sock=udp.handle, bufsize=-1))
	show(lambda: udp.recv(-1))
	socket.socket().bind(("127.0.0.1", 80))
	`)

// errorLine is one line errorsProgram prints.
type errorLine struct{ class, message string }

// errorLines are the n lines "Class|message" a program printed.
func errorLines(t *testing.T, stdout string, n int) []errorLine {
	t.Helper()
	var lines []errorLine
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		class, message, ok := strings.Cut(l, "|")
		if !ok {
			t.Fatalf("the program printed %q, not Class|message", l)
		}
		lines = append(lines, errorLine{class, message})
	}
	if len(lines) != n {
		t.Fatalf("the program printed %d exceptions, want %d:\n%s", len(lines), n, stdout)
	}
	return lines
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// TestProgramErrorsInChinese: a program run with lang "zh" (what a
// Chinese page sends) gets sockplay's own sentences in its exceptions in
// Chinese — the catalog's, i18n.Server's — a PolicyError, one whose
// sentence nests others, a LimitError, and the traceback of an uncaught
// one; Python's own words (an errno's strerror, "negative buffersize in
// …", whether the server or the module says them) stay as Python prints
// them. Without lang, and with "en", every byte is the English run's; an
// unknown lang is refused. The cell kernel run with lang "zh" raises the
// same in a cell.
func TestProgramErrorsInChinese(t *testing.T) {
	srv := kernelServer(t)
	c := srv.dial(t)

	run := func(t *testing.T, lang string) (stdout, stderr string) {
		defer c.use(t)()
		args := map[string]any{"code": errorsProgram, "name": "prog.py"}
		if lang != "" {
			args["lang"] = lang
		}
		r := c.must("run", args)
		stdout, stderr, exit := c.programOutput(r.str("program"))
		if exit.num("code") != 1 {
			t.Fatalf("exit %v, want code 1 (the uncaught PolicyError); stdout:\n%s\nstderr:\n%s", exit, stdout, stderr)
		}
		return stdout, stderr
	}
	enOut, enErr := run(t, "")
	en := errorLines(t, enOut, 6)
	const bindRefused = "the playground binds only to port 0 (any free port) or ports 1024-65535"
	wantEN := []errorLine{
		{"PolicyError", bindRefused},
		{"PolicyError", en[1].message}, // the policy's networks, checked below
		{"LimitError", "bufsize is limited to 1048576 bytes here"},
		{"ConnectionRefusedError", "[Errno 111] Connection refused"},
		{"ValueError", "negative buffersize in recvfrom"},
		{"ValueError", "negative buffersize in recv"},
	}
	for i, w := range wantEN {
		if en[i] != w {
			t.Errorf("English exception %d: %v, want %v", i, en[i], w)
		}
	}
	if !strings.HasPrefix(en[1].message, "the playground connects and sends only to ") {
		t.Errorf("English exception 1: %q, want the connect policy's refusal", en[1].message)
	}
	if want := "_sockplay_channel.PolicyError: " + bindRefused + "\n"; !strings.HasSuffix(enErr, want) {
		t.Errorf("English traceback ends %q, want %q", enErr, want)
	}

	t.Run("en is the default", func(t *testing.T) {
		out, errs := run(t, "en")
		if out != enOut || errs != enErr {
			t.Errorf("with lang en:\n%s%s\nwithout lang:\n%s%s", out, errs, enOut, enErr)
		}
	})

	t.Run("zh", func(t *testing.T) {
		out, errs := run(t, "zh")
		zh := errorLines(t, out, 6)
		for i, e := range en {
			want := e
			if i < 3 { // sockplay's sentences: the catalog's Chinese
				want.message = i18n.Server(i18n.ZH, e.message)
				if !hasHan(want.message) {
					t.Fatalf("the catalog has no Chinese for %q", e.message)
				}
				if left := i18n.EnglishLeft(e.message); left != "" {
					t.Errorf("the catalog's Chinese for %q leaves %q in English", e.message, left)
				}
			}
			if zh[i] != want {
				t.Errorf("exception %d: %v, want %v", i, zh[i], want)
			}
		}
		want := "_sockplay_channel.PolicyError: " + i18n.Server(i18n.ZH, bindRefused) + "\n"
		if !strings.HasSuffix(errs, want) {
			t.Errorf("traceback ends %q, want %q", errs, want)
		}
		// The page's log keeps the English: each page translates for itself.
		for _, m := range c.find(func(m msg) bool { return m.str("kind") == "result" && m.str("op") == "bind" && !m.ok() }) {
			if got := m.obj("error").str("message"); got != bindRefused {
				t.Errorf("the page's bind result says %q, want the English %q", got, bindRefused)
			}
		}
	})

	t.Run("unknown lang", func(t *testing.T) {
		defer c.use(t)()
		r := c.do("run", map[string]any{"code": "print(1)", "lang": "fr"})
		checkError(t, r, errWant{typ: "bad_request", contains: []string{`"en" or "zh"`, `"fr"`}})
		if zh := i18n.Server(i18n.ZH, r.obj("error").str("message")); !hasHan(zh) {
			t.Errorf("the refusal %q has no Chinese in the catalog", zh)
		}
	})

	t.Run("cell kernel", func(t *testing.T) {
		defer c.use(t)()
		k := c.must("run", map[string]any{"kernel": true, "lang": "zh"}).str("program")
		c.must("cell", map[string]any{"program": k, "cell": "bind.1", "code": "import socket\n" +
			"try:\n    socket.socket().connect(('127.0.0.1', 1))\nexcept OSError as e:\n    print(e)\n" +
			"socket.socket().bind(('127.0.0.1', 80))\n"})
		var out strings.Builder
		var done msg
		for done == nil {
			m := c.next()
			if m.str("program") != k || m.str("cell") != "bind.1" {
				continue
			}
			switch m.str("kind") {
			case "output":
				out.WriteString(m.str("text"))
			case "cell_done":
				done = m
			}
		}
		zh := i18n.Server(i18n.ZH, bindRefused)
		if want := "_sockplay_channel.PolicyError: " + zh; done.ok() || done.str("error") != want {
			t.Errorf("cell_done %v, want error %q", done, want)
		}
		if !strings.HasPrefix(out.String(), "[Errno 111] Connection refused\n") || !strings.Contains(out.String(), "PolicyError: "+zh+"\n") {
			t.Errorf("the cell printed:\n%s\nwant Python's errno text, then a traceback ending in the Chinese PolicyError", out.String())
		}
	})
}

// TestModuleSentencesInChinese: the sentences sockplay's Python modules
// make themselves are Chinese in a run with lang "zh": the
// InterruptedError of a call a page cancelled, the OSError of a socket
// made from a file descriptor, and the kernel's re-run note; in English
// without lang.
func TestModuleSentencesInChinese(t *testing.T) {
	srv := kernelServer(t)
	c := srv.dial(t)
	const prog = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
try:
    s.recv(10)
except InterruptedError as e:
    print("InterruptedError|" + str(e))
try:
    socket.socket(fileno=5)
except OSError as e:
    print("OSError|" + str(e))
`
	run := func(t *testing.T, lang string) []errorLine {
		defer c.use(t)()
		args := map[string]any{"code": prog, "name": "prog.py"}
		if lang != "" {
			args["lang"] = lang
		}
		p := c.must("run", args).str("program")
		var waiting msg
		for waiting == nil {
			if m := c.next(); m.str("kind") == "waiting" && m.str("op") == "recv" && m.num("id") < 0 {
				waiting = m
			}
		}
		c.must("cancel", obj{"target": waiting.num("id")})
		stdout, stderr, exit := c.programOutput(p)
		if exit.num("code") != 0 {
			t.Fatalf("exit %v; stdout:\n%s\nstderr:\n%s", exit, stdout, stderr)
		}
		return errorLines(t, stdout, 2)
	}
	for lang, want := range map[string][]errorLine{
		"": {{"InterruptedError", "the call was cancelled from the sockplay page"},
			{"OSError", "[Errno 9] Bad file descriptor: sockplay's sockets cannot be made from a file descriptor; use socket.socket.from_handle('s3')"}},
		"zh": {{"InterruptedError", "这次调用已在 sockplay 页面上取消"},
			{"OSError", "[Errno 9] Bad file descriptor：sockplay 的套接字不能由文件描述符创建；请用 socket.socket.from_handle('s3')"}},
	} {
		if got := run(t, lang); !slices.Equal(got, want) {
			t.Errorf("lang %q: the program printed %v, want %v", lang, got, want)
		}
	}

	for lang, note := range map[string]string{
		"":   "# re-run: closed %s made by the previous run of this cell\n",
		"zh": "# 重新运行：已关闭这个单元格上次运行时创建的 %s\n",
	} {
		func() {
			defer c.use(t)()
			args := map[string]any{"kernel": true}
			if lang != "" {
				args["lang"] = lang
			}
			k := c.must("run", args).str("program")
			const code = "import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nprint(u.handle)"
			_, _, first := c.runCell(k, "make.1", "make", code)
			_, _, again := c.runCell(k, "make.2", "make", code)
			if want := fmt.Sprintf(note, strings.TrimSpace(first)); !strings.HasPrefix(again, want) {
				t.Errorf("lang %q: the re-run printed %q, want it to start with %q", lang, again, want)
			}
		}()
	}
}
