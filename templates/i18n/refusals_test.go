package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sockplay/sessions/protocol"
)

// fmtVerbs are the verbs of a format the server's sentences use.
var fmtVerbs = regexp.MustCompile(`%[-+# 0-9.]*[sdvqxXgfTw]`)

// refusal is a sentence the server's source writes: where, and its text
// with every computed part (a format's verb, a variable) as "X".
type refusal struct {
	pos  string
	text string
}

// sourceSentences finds the sentences the files matching globs write into
// an error for the learner: the format of sockets.BadRequest(kind, format,
// …), the text of malformed(…) and of the JSON scanner's fail(context),
// the Message and Hint of a sockets.Error literal (each a literal, a
// concatenation or an fmt.Sprintf).
func sourceSentences(t *testing.T, globs ...string) []refusal {
	t.Helper()
	return findSentences(t, func(f *finder) func(ast.Node) bool {
		return func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch name := callName(n.Fun); {
				case name == "BadRequest" && len(n.Args) >= 2:
					f.add(n.Args[1])
				case (name == "malformed" || name == "fail" || name == "failToken") && len(n.Args) == 1:
					f.add(n.Args[0]) // fail: the JSON scanner's fault's context
				}
			case *ast.CompositeLit:
				if callName(n.Type) != "Error" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Message" || k.Name == "Hint") {
							f.add(kv.Value)
						}
					}
				}
			}
			return true
		}
	}, globs...)
}

// finder collects the sentences found in one package's source.
type finder struct {
	fset *token.FileSet
	out  []refusal
}

// add records the text e writes, if it has words of its own.
func (f *finder) add(e ast.Expr) {
	if s, ok := sentenceOf(e); ok {
		f.addText(e.Pos(), s)
	}
}

// addText records s, found at pos, if it has more than computed parts.
func (f *finder) addText(pos token.Pos, s string) {
	if strings.TrimSpace(strings.ReplaceAll(s, "X", "")) != "" {
		f.out = append(f.out, refusal{f.fset.Position(pos).String(), s})
	}
}

// findSentences parses every non-test Go file matching globs and walks it
// with the inspector visit makes for it (one per file, so that it may keep
// what it learnt of the file), which records sentences in f.
func findSentences(t *testing.T, visit func(f *finder) func(ast.Node) bool, globs ...string) []refusal {
	t.Helper()
	f := &finder{fset: token.NewFileSet()}
	for _, g := range globs {
		files, err := filepath.Glob(g)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", g, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(f.fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, visit(f))
		}
	}
	return f.out
}

// formatted is the text of a format and its arguments: each verb "X",
// or "b'X'" for show(…), which writes bytes as a Python bytes literal.
func formatted(format ast.Expr, args []ast.Expr) (string, bool) {
	lit, ok := format.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return sentenceOf(format)
	}
	f, err := strconv.Unquote(lit.Value)
	if err != nil {
		return "", false
	}
	i := 0
	return fmtVerbs.ReplaceAllStringFunc(strings.ReplaceAll(f, "%%", "%"), func(string) string {
		defer func() { i++ }()
		if i < len(args) {
			if c, ok := args[i].(*ast.CallExpr); ok && callName(c.Fun) == "show" {
				return "b'X'"
			}
		}
		return "X"
	}), true
}

// callName is the name a call or a type is written with: BadRequest for
// sockets.BadRequest.
func callName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// sentenceOf is the text e writes, computed parts as "X"; ok is false
// when e has no literal text (a variable, another error's message).
func sentenceOf(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		if err != nil {
			return "", false
		}
		return fmtVerbs.ReplaceAllString(strings.ReplaceAll(s, "%%", "%"), "X"), true
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, lok := sentenceOf(e.X)
		r, rok := sentenceOf(e.Y)
		if !lok && !rok {
			return "", false
		}
		if !lok {
			l = "X"
		}
		if !rok {
			r = "X"
		}
		return l + r, true
	case *ast.CallExpr:
		if name := callName(e.Fun); (name == "Sprintf" || name == "Errorf") && len(e.Args) > 0 {
			return formatted(e.Args[0], e.Args[1:])
		}
	case *ast.ParenExpr:
		return sentenceOf(e.X)
	}
	return "", false
}

// pythonWords are sentences the server writes as Python does (the
// exception's own text), which stay as Python prints them.
var pythonWords = map[string]bool{
	"X() missing required argument 'bufsize'":              true,
	"Timeout value out of range":                           true,
	"non-hexadecimal number found in fromhex() arg: X":     true,
	"invalid base64: X":                                    true,
	"X(): port must be 0-65535.":                           true,
	"[Errno -9] Address family for hostname not supported": true,
	"[Errno X] X":                 true,
	"timed out":                   true,
	"negative buffersize in recv": true,
	"negative buffersize in X":    true,
	"'data_size'":                 true,
	"X bytes read on a total of X expected bytes":                          true,
	"module 'socket' has no attribute 'X' (or sockplay does not offer it)": true,
	"getsockopt buflen out of range":                                       true,
	"bad char in struct format":                                            true,
}

// TestPythonWordsStayPython: Server leaves Python's own exception text as
// it is, so that a program's channel (web/channel.go), which translates
// each error it writes for a program run with lang "zh", never changes
// what Python itself would say: no catalog sentence matches one of them.
func TestPythonWordsStayPython(t *testing.T) {
	words := []string{
		"[Errno 111] Connection refused", "[Errno 98] Address already in use", "Connection refused",
		"negative buffersize in recvfrom", "[Errno -2] Name or service not known", "timed out",
		"a bytes-like object is required, not 'str'", "Bad file descriptor",
	}
	for w := range pythonWords {
		words = append(words, w)
	}
	for _, w := range words {
		if got := Server(ZH, w); got != w {
			t.Errorf("Server(ZH, %q) = %q: a catalog sentence matches Python's own words", w, got)
		}
	}
}

// checkRefusals: every sentence the sessions, sessions/protocol, sockets
// and web packages write into an error (a refused request's message and
// hint) is a server sentence of the catalog, which gives its Chinese;
// Python's own words excepted (and each of those is still written).
func checkRefusals(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range sourceSentences(t, "../../sessions/*.go", "../../sessions/protocol/*.go", "../../sockets/*.go", "../../web/*.go") {
		seen[r.text] = true
		if pythonWords[r.text] {
			continue
		}
		if p, _ := match(r.text); p == nil || joining(p.m.EN) {
			t.Errorf("%s: %q is not in the catalog (server.go), so a Chinese page shows it in English", r.pos, r.text)
		} else if zh := Server(ZH, r.text); !hasHan(zh) {
			t.Errorf("%s: %q comes out as %q", r.pos, r.text, zh)
		}
	}
	for s := range pythonWords {
		if !seen[s] {
			t.Errorf("pythonWords has %q, which the server no longer writes", s)
		}
	}
}

// TestMalformedFramesInChinese: what the decoder says of a malformed
// frame — one for each fault it names — comes out wholly Chinese, the
// JSON scanner's words and the value's kind included.
func TestMalformedFramesInChinese(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"op":"noop"},`, protocol.MaxBatch+1), ",") + "]"
	for _, frame := range []string{
		`{`, `x`, `{"id":1}x`, `{1:2}`, `{"id" 1}`, `{"id":1 "op":"bind"}`, `[{"id":1} 2]`,
		`{"op":"\q"}`, `{"op":"\u12x4"}`, "{\"op\":\"a\x01\"}", `{"id":1.x}`, `{"id":1ex}`, `{"id":-x}`,
		`{"id":tru}`, `"socket"`, `42`, `{"id":1,"op":5}`, `{"id":1,"op":"bind","sock":["s1"]}`,
		`{"id":1,"op":"bind","backlog":"5"}`, deep, many,
	} {
		_, bads := protocol.DecodeFrame([]byte(frame))
		if len(bads) == 0 || bads[0] == nil {
			t.Errorf("%.40s: not refused", frame)
			continue
		}
		en := bads[0].Message
		zh, left := Server(ZH, en), EnglishLeft(en)
		if !hasHan(zh) || left != "" {
			t.Errorf("%.40s: %q in Chinese is %q (English left: %q)", frame, en, zh, left)
		}
	}
}

// checkerCode are the checker's texts that are code, shown as Python
// writes it (a call, an address, a request's command and file): nothing to
// translate.
var checkerCode = regexp.MustCompile(`^(X: )?[a-z_]+(\(.*\))?$|^(size|get) X$|^[A-Za-z_]+\(.*\)$`)

// checkerSentences finds what the checker (sockets/exercises) writes into
// a check's steps: the names and expectations of c.begin, the actions of
// c.did, what c.fail and c.pass received and the advice, fs.reaccept's
// advice, and the advice, received texts, summaries and request log the
// checker builds before it hands them on.
func checkerSentences(t *testing.T) []refusal {
	t.Helper()
	return findSentences(t, func(f *finder) func(ast.Node) bool {
		inAdvice := false // in a function that returns advice (connectAdvice, upperAdvice), or show's received bytes
		return func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				inAdvice = strings.HasSuffix(n.Name.Name, "Advice") || n.Name.Name == "show"
			case *ast.CallExpr:
				switch callName(n.Fun) {
				case "did":
					if len(n.Args) > 0 {
						if s, ok := formatted(n.Args[0], n.Args[1:]); ok {
							f.addText(n.Pos(), s)
						}
					}
				case "begin", "fail", "pass", "reaccept":
					for _, a := range n.Args {
						f.add(a)
					}
				case "append":
					if len(n.Args) == 2 {
						if sel, ok := n.Args[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "log" {
							f.add(n.Args[1])
						}
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if name := callName(l); (name == "advice" || name == "received" || name == "summary" || name == "Did") && i < len(n.Rhs) {
						f.add(n.Rhs[i])
					}
				}
			case *ast.ReturnStmt:
				for _, r := range n.Results {
					if _, ok := r.(*ast.BinaryExpr); ok && inAdvice {
						f.add(r)
					} else if _, ok := r.(*ast.CallExpr); ok && inAdvice {
						f.add(r) // a Sprintf: show's abbreviation, b'…'… (2000 bytes)
					} else if l, ok := r.(*ast.BasicLit); ok && l.Kind == token.STRING && inAdvice {
						f.add(l)
					}
				}
			}
			return true
		}
	}, "../../sockets/exercises/*.go")
}

// TestCheckerSentences: every text the checker writes into a check's
// steps is a server sentence of the catalog (or code), so the exercise
// page and sockplay check --lang zh show it in Chinese.
func TestCheckerSentences(t *testing.T) {
	found := checkerSentences(t)
	if len(found) < 50 {
		t.Fatalf("only %d checker texts found: is the finder still right?", len(found))
	}
	for _, r := range found {
		if checkerCode.MatchString(r.text) || !hasWords(r.text) || r.text == ", then " {
			continue // code; a join of other texts; did's own join (thenSentence)
		}
		if p, _ := match(r.text); p == nil || joining(p.m.EN) {
			t.Errorf("%s: %q is not in the catalog (server.go), so a Chinese page shows it in English", r.pos, r.text)
		}
	}
}

// hasWords reports whether a text has words of its own beyond its
// computed parts ("X — X" has none).
func hasWords(s string) bool {
	return regexp.MustCompile(`[A-Za-z]{2,}`).MatchString(strings.ReplaceAll(s, "X", ""))
}

// programSentences finds what package sessions/programs writes into its
// errors (errors.New, fmt.Errorf, and a message it builds in msg before
// it hands it on): why programs cannot run on this server (Available),
// which the workbench's Run buttons, the lessons' cells and the editor
// show as "programs cannot run on this server: …", and why a program or
// its input is refused.
func programSentences(t *testing.T) []refusal {
	t.Helper()
	return findSentences(t, func(f *finder) func(ast.Node) bool {
		return func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if name := callName(n.Fun); (name == "New" || name == "Errorf") && len(n.Args) > 0 {
					if s, ok := formatted(n.Args[0], n.Args[1:]); ok {
						f.addText(n.Pos(), s)
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if callName(l) != "msg" || i >= len(n.Rhs) {
						continue
					}
					if s, ok := sentenceOf(n.Rhs[i]); ok && n.Tok == token.ADD_ASSIGN {
						f.addText(n.Pos(), "X"+s) // what it adds to the message so far
					} else if ok {
						f.addText(n.Pos(), s)
					}
				}
			}
			return true
		}
	}, "../../sessions/programs/*.go")
}

// commands are the commands a sentence quotes, `apt-get install python3`.
var commands = regexp.MustCompile("`[^`]*`")

// TestProgramSentences: every sentence package sessions/programs writes is
// a server sentence of the catalog, so a Chinese page says in Chinese why
// its programs cannot run (or why one was refused).
func TestProgramSentences(t *testing.T) {
	found := programSentences(t)
	if len(found) < 15 {
		t.Fatalf("only %d sentences found in sessions/programs: is the finder still right?", len(found))
	}
	for _, r := range found {
		if !hasWords(r.text) {
			continue
		}
		if p, _ := match(r.text); p == nil || joining(p.m.EN) {
			t.Errorf("%s: %q is not in the catalog (server.go), so a Chinese page shows it in English", r.pos, r.text)
		} else if zh := Server(ZH, "programs cannot run on this server: "+r.text); !hasHan(zh) || englishRun.MatchString(codeParts.ReplaceAllString(commands.ReplaceAllString(zh, ""), "")) {
			t.Errorf("%s: %q comes out as %q", r.pos, r.text, zh)
		}
	}
}
