package lessons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// reader collects the problems of one file as it reads it.
type reader struct {
	file string
	errs []*Error
}

func (p *reader) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// parse reads one lesson file. Problems come back sorted by line.
func parse(file, slug, lang string, src []byte) (*Lesson, []*Error) {
	p := &reader{file: file}
	l := &Lesson{Slug: slug, File: file, Lang: lang}
	body, bodyLine := p.frontMatter(l, src)
	if body != nil {
		doc, lines := parseMarkdown(body)
		p.blocks(l, doc, body, func(offset int) int { return bodyLine + lines.at(offset) })
		p.cellOrder(l)
		if len(p.errs) == 0 {
			html, err := render(l, doc, body, lang)
			if err == nil && lang == LangEN {
				// Shown in a Chinese page while the lesson has no twin.
				l.htmlZH, err = render(l, doc, body, LangZH)
			}
			if err != nil {
				p.errorf(0, "rendering: %v", err)
			}
			l.HTML = html
		}
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	return l, nil
}

// frontMatter reads the lines between the two --- lines at the top. It
// returns the body after them and the file line the body starts on, or a nil
// body when there is no front matter at all.
func (p *reader) frontMatter(l *Lesson, src []byte) (body []byte, bodyLine int) {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	rest := src
	next := func() (string, bool) {
		if len(rest) == 0 {
			return "", false
		}
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		return strings.TrimRight(string(line), "\r"), true
	}
	if first, _ := next(); strings.TrimSpace(first) != "---" {
		p.errorf(1, "a lesson starts with front matter: a line ---, then key: value lines (title, summary, order, …), then ---")
		return nil, 0
	}
	seen := map[string]int{}
	n := 1
	closed := false
	for {
		line, ok := next()
		if !ok {
			break
		}
		n++
		if strings.TrimSpace(line) == "---" {
			closed = true
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, found := strings.Cut(line, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !found || key == "" {
			p.errorf(n, "front matter lines are key: value, got %q", line)
			continue
		}
		if prev, dup := seen[key]; dup {
			p.errorf(n, "%s is given twice (first on line %d)", key, prev)
			continue
		}
		seen[key] = n
		switch key {
		case "title":
			l.Title = value
		case "summary":
			l.Summary = value
		case "order":
			o, err := strconv.Atoi(value)
			if err != nil {
				p.errorf(n, "order must be an integer, got %q", value)
			}
			l.Order = o
		case "covers":
			for _, c := range strings.Split(value, ",") {
				if c = strings.TrimSpace(c); c != "" {
					l.Covers = append(l.Covers, c)
				}
			}
		case "peers":
			p.peers(l, n, value)
		case "network":
			if value != NetworkLab {
				p.errorf(n, "network must be %q (the lesson builds a lab LAN), got %q", NetworkLab, value)
			}
			l.Network = value
		default:
			p.errorf(n, "unknown front matter key %q (title, summary, order, covers, peers, network)", key)
		}
	}
	if !closed {
		p.errorf(1, "the front matter has no closing --- line")
		return nil, 0
	}
	for _, req := range []struct{ key, value string }{{"title", l.Title}, {"summary", l.Summary}, {"order", "-"}} {
		if line, ok := seen[req.key]; !ok {
			p.errorf(1, "front matter: %s is required", req.key)
		} else if req.value == "" {
			p.errorf(line, "front matter: %s is empty", req.key)
		}
	}
	return rest, n + 1
}

// peers reads the peers key: a JSON array of {"peer", "addr", "options"}.
func (p *reader) peers(l *Lesson, line int, value string) {
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	var specs []PeerSpec
	if err := dec.Decode(&specs); err != nil {
		p.errorf(line, "peers: %v (want a JSON array of {\"peer\": name, \"addr\": [host, port], \"options\": {…}})", err)
		return
	}
	if dec.More() {
		p.errorf(line, "peers: text after the JSON array")
		return
	}
	for i, s := range specs {
		if s.Peer == "" {
			p.errorf(line, "peers[%d]: peer (the peer's name) is required", i)
		}
		if msg := checkAddr(s.Addr); msg != "" {
			p.errorf(line, "peers[%d] (%s): addr %s", i, s.Peer, msg)
		}
	}
	l.Peers = specs
}

// checkAddr checks a [host, port] address; it returns what is wrong, or "".
func checkAddr(a []any) string {
	if len(a) != 2 && len(a) != 4 {
		return "must be [host, port]"
	}
	if _, ok := a[0].(string); !ok {
		return "must be [host, port] with the host a string"
	}
	port, ok := a[1].(float64)
	if !ok || port != float64(int(port)) || port < 0 || port > 65535 {
		return "must be [host, port] with the port an integer 0–65535"
	}
	return ""
}

// blocks finds the lesson's cells, their checks and Python blocks in the Markdown tree.
// lineOf turns a byte offset in body into a line of the file.
func (p *reader) blocks(l *Lesson, doc ast.Node, body []byte, lineOf func(int) int) {
	ids := map[string]int{}
	var lastCell ast.Node // the node right after the last cell: where its check may be
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fc, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok || fc.Info == nil {
			return ast.WalkContinue, nil
		}
		fenceLine := lineOf(fc.Info.Segment.Start)
		info := strings.TrimSpace(string(fc.Info.Segment.Value(body)))
		word, rest, _ := strings.Cut(info, " ")
		switch word {
		case "step":
			p.errorf(fenceLine, "a step block is the old JSON step format, which is gone: steps are Python cells now (write it as a cell block, with a check block after it; FORMAT.md, Cells)")
		case "cell":
			c, ok := p.cell(fenceLine, rest, blockText(fc, body))
			if !ok {
				return ast.WalkContinue, nil
			}
			if prev, dup := ids[c.ID]; dup {
				p.errorf(fenceLine, "cell id %q is already used on line %d", c.ID, prev)
			}
			ids[c.ID] = fenceLine
			l.Cells = append(l.Cells, c)
			lastCell = n.NextSibling()
		case "check":
			if n != lastCell || len(l.Cells) == 0 {
				p.errorf(fenceLine, "a check block comes right after the cell it checks")
				return ast.WalkContinue, nil
			}
			lines := make([]string, fc.Lines().Len())
			for i := range lines {
				seg := fc.Lines().At(i)
				lines[i] = string(seg.Value(body))
			}
			c := &l.Cells[len(l.Cells)-1]
			if c.Check.Line != 0 {
				p.errorf(fenceLine, "cell %q has a check already (line %d)", c.ID, c.Check.Line)
			}
			c.Check, _ = p.check(fenceLine, lines, func(i int) int { return lineOf(fc.Lines().At(i).Start) })
		case "python":
			opts := strings.Fields(rest)
			run := len(opts) > 0 && opts[0] == "run"
			if len(opts) > 1 || len(opts) == 1 && !run {
				p.errorf(fenceLine, "a python block's info string is \"python\" or \"python run\", got %q", info)
			}
			l.Python = append(l.Python, PythonBlock{Code: blockText(fc, body), Run: run, Line: fenceLine})
		}
		return ast.WalkContinue, nil
	})
}

// blockText is the text of a fenced block, as written.
func blockText(fc *ast.FencedCodeBlock, body []byte) string {
	var code strings.Builder
	for i := 0; i < fc.Lines().Len(); i++ {
		seg := fc.Lines().At(i)
		code.Write(seg.Value(body))
	}
	return code.String()
}

// blockHeader is what a cell's info string says.
type blockHeader struct{ ID, Title string }

// header reads the attributes of a cell's info string after its
// first word (kind): id=… title="…". The title is the id when not given.
func (p *reader) header(kind string, line int, attrs string) (blockHeader, bool) {
	var h blockHeader
	rest := strings.TrimSpace(attrs)
	for rest != "" {
		key, after, found := strings.Cut(rest, "=")
		key = strings.TrimSpace(key)
		if !found || key == "" || strings.ContainsAny(key, " \t\"") {
			p.errorf(line, "a %s's info string is: %s id=<id> title=\"<title>\", got %q", kind, kind, kind+" "+attrs)
			return h, false
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			if err != nil {
				p.errorf(line, "%s: the value of %s has no closing quote", kind, key)
				return h, false
			}
			value, _ = strconv.Unquote(q)
			after = after[len(q):]
		} else {
			value, after, _ = strings.Cut(after, " ")
		}
		rest = strings.TrimSpace(after)
		switch key {
		case "id":
			h.ID = value
		case "title":
			h.Title = strings.TrimSpace(value)
		default:
			p.errorf(line, "%s: unknown attribute %q (id, title)", kind, key)
		}
	}
	if h.ID == "" {
		p.errorf(line, "a %s needs an id: %s id=<id> title=\"<title>\"", kind, kind)
		return h, false
	}
	if h.Title == "" {
		h.Title = h.ID
	}
	return h, true
}
