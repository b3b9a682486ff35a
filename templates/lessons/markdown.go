package lessons

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"sockplay/templates/i18n"
)

// lineIndex maps byte offsets of a text to 0-based line numbers.
type lineIndex []int // the offset each line starts at

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range src {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// at returns the 0-based line holding offset.
func (idx lineIndex) at(offset int) int {
	return sort.Search(len(idx), func(i int) bool { return idx[i] > offset }) - 1
}

// markdownOptions are the Markdown dialect of lessons: CommonMark with
// GitHub's tables, strikethrough, autolinks and task lists; headings get ids
// for links. Raw HTML is not rendered (goldmark's default). A line break
// inside a paragraph between two Chinese characters is dropped (goldmark's
// CJK extension): browsers would show it as a space, which Chinese text has
// not between its characters.
func markdownOptions() []goldmark.Option {
	return []goldmark.Option{
		goldmark.WithExtensions(extension.GFM, extension.NewCJK(extension.WithEastAsianLineBreaks())),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	}
}

// unicodeWords is a heading's text as the words of an id when it has
// letters beyond ASCII (else ""): its letters and digits, lowercased, each
// run of anything else one dash.
func unicodeWords(value []byte) string {
	if !slices.ContainsFunc([]rune(string(value)), func(r rune) bool { return r > unicode.MaxASCII && unicode.IsLetter(r) }) {
		return ""
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(string(value)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// parseMarkdown parses a lesson's body.
func parseMarkdown(body []byte) (ast.Node, lineIndex) {
	ids := &sectionIDs{IDs: parser.NewContext().IDs(), unicode: map[string]bool{}}
	doc := goldmark.New(markdownOptions()...).Parser().Parse(text.NewReader(body),
		parser.WithContext(parser.NewContext(parser.WithIDs(ids))))
	return doc, newLineIndex(body)
}

// sectionIDs are the ids of a lesson's headings: goldmark's, prefixed with
// "sec-", so that a heading can never take the id of an element of the page
// around the lesson (a "## Status" section and the workbench's #status) or
// of a cell (#cell-…).
type sectionIDs struct {
	parser.IDs
	unicode map[string]bool // the ids made from unicodeWords so far
}

// Generate implements parser.IDs. goldmark's ids keep ASCII letters and
// digits only, so a Chinese heading would be "heading-1": one with Chinese
// in it keeps its words, lowercased, joined by dashes ("## UDP 数据报" →
// #sec-udp-数据报), made unique as goldmark does.
func (s *sectionIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	if words := unicodeWords(value); words != "" {
		id := "sec-" + words
		for i := 1; s.unicode[id]; i++ {
			id = fmt.Sprintf("sec-%s-%d", words, i)
		}
		s.unicode[id] = true
		return []byte(id)
	}
	return append([]byte("sec-"), s.IDs.Generate(value, kind)...)
}

// render renders a parsed lesson body, the controls of its cells and
// blocks (Run, Copy, …) in lang. The page's only <h1> is the lesson's
// title, so a "#" heading in the body becomes an <h2>. Cells and Python
// blocks are rendered by blockRenderer, in the order parse found them.
func render(l *Lesson, doc ast.Node, body []byte, lang string) (string, error) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 {
			h.Level = 2
		}
		return ast.WalkContinue, nil
	})
	br := &blockRenderer{lesson: l, ctx: i18n.WithLang(context.Background(), lang)}
	md := goldmark.New(append(markdownOptions(),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(br, 100))))...)
	var b bytes.Buffer
	if err := md.Renderer().Render(&b, body, doc); err != nil {
		return "", err
	}
	return b.String(), nil
}

// blockRenderer renders fenced code blocks: cells as cell sections, Python
// blocks with a copy button, anything else as plain code.
type blockRenderer struct {
	lesson *Lesson
	ctx    context.Context // the lesson's language (i18n.WithLang), for the blocks' buttons
	cells  int             // cells rendered so far
	python int             // Python blocks rendered so far
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *blockRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.fenced)
}

func (r *blockRenderer) fenced(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var word string
	if n.Info != nil {
		if f := bytes.Fields(n.Info.Segment.Value(src)); len(f) > 0 {
			word = string(f[0])
		}
	}
	switch {
	case word == "cell" && r.cells < len(r.lesson.Cells):
		c := r.lesson.Cells[r.cells]
		r.cells++
		return ast.WalkSkipChildren, cellBlock(c, r.cells == 1).Render(r.ctx, w)
	case word == "check" && r.cells > 0:
		return ast.WalkSkipChildren, nil // checks are the lesson test's, not shown
	case word == "python" && r.python < len(r.lesson.Python):
		b := r.lesson.Python[r.python]
		r.python++
		return ast.WalkSkipChildren, pythonBlock(b, r.python-1).Render(r.ctx, w)
	}
	w.WriteString("<pre class=\"code\"><code")
	if lang := n.Language(src); lang != nil {
		w.WriteString(` class="language-` + html.EscapeString(string(lang)) + `"`)
	}
	w.WriteByte('>')
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		w.WriteString(html.EscapeString(string(seg.Value(src))))
	}
	w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}

// Markdown renders Markdown that is not a lesson (an exercise's
// statement) in the lessons' dialect: "#" headings become <h2>, heading ids
// start with "sec-", fenced code is plain <pre class="code">, raw HTML is
// not rendered.
func Markdown(src []byte) (string, error) {
	doc, _ := parseMarkdown(src)
	return render(&Lesson{}, doc, src, LangEN)
}

// FirstParagraph is the text of a Markdown document's first paragraph,
// without its markup (an exercise's one-line summary).
func FirstParagraph(src []byte) string {
	doc, _ := parseMarkdown(src)
	var b strings.Builder
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if n.Kind() != ast.KindParagraph {
			continue
		}
		ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if t, ok := n.(*ast.Text); ok && entering {
				b.Write(t.Segment.Value(src))
				if t.SoftLineBreak() || t.HardLineBreak() {
					b.WriteByte(' ')
				}
			}
			return ast.WalkContinue, nil
		})
		break
	}
	return strings.TrimSpace(b.String())
}
