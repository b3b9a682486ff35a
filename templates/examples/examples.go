// Package examples holds the example programs written from the seed
// tutorials: plain Python 3 socket programs (a UDP sender and receiver, an
// echo server, a threaded chat, broadcast, TCP client and server, a
// socketserver server, sticky packets and their two fixes, a file transfer),
// embedded in the binary and listed at /examples, where each opens in the
// program editor.
//
// Each example is a folder of programs that run together (a server and its
// client). Every program starts with a header of comment lines, "# Key:
// value", a value going on over following lines that start with "#   ":
//
//	# Example: UDP sender and receiver   the example's title (same in each program)
//	# Title: UDP receiver                 this program's title
//	# Seed: 003 (UDP receive: …)          the seed tutorial it comes from, and what of it
//	# Order: 1                            its place when the programs start (1 first)
//	# Together: start receiver.py first…  which programs to run together, and how
//	# Args: [port] (default 9100)         its arguments and input
//	# Expect: "waiting for …"             what the learner should see
//
// Each of Example, Title, Seed, Together, Args and Expect may have its
// Chinese beside it, the key with "-zh" (# Title-zh: UDP 接收方), shown on
// Chinese pages; quoted output stays as the program prints it. A Chinese
// continuation line joins its value without a space. Every built-in example
// has them all (the package's test); a program without one shows the English.
//
// The header ends at the first line that is not a comment.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed */*.py
var files embed.FS

// Example is one folder: programs meant to run together.
type Example struct {
	Slug     string    // the folder's name, e.g. "udp-echo"
	Title    string    // from the programs' Example key
	TitleZH  string    // from the programs' Example-zh key ("" without)
	Programs []Program // in start order (Order)
}

// TitleIn is the example's title in lang ("zh" or "en"): the Chinese for
// "zh" when it has one, else the English.
func (e Example) TitleIn(lang string) string {
	if lang == "zh" && e.TitleZH != "" {
		return e.TitleZH
	}
	return e.Title
}

// Program is one Python file of an example.
type Program struct {
	Name     string // file name, e.g. "server.py": the name it runs under
	Title    string
	Seed     string
	Order    int
	Together string
	Args     string
	Expect   string
	Code     string // the whole file, header included
	ZH       Text   // the -zh keys; a field is "" where the header has none
}

// Text is what a program's header says of it in one language.
type Text struct {
	Title, Seed, Together, Args, Expect string
}

// In is the program's header text in lang ("zh" or "en"): for "zh" each
// field in Chinese where the header has it, in English where it has not.
func (p Program) In(lang string) Text {
	t := Text{Title: p.Title, Seed: p.Seed, Together: p.Together, Args: p.Args, Expect: p.Expect}
	if lang != "zh" {
		return t
	}
	for _, f := range []struct {
		to *string
		zh string
	}{
		{&t.Title, p.ZH.Title}, {&t.Seed, p.ZH.Seed}, {&t.Together, p.ZH.Together}, {&t.Args, p.ZH.Args}, {&t.Expect, p.ZH.Expect},
	} {
		if f.zh != "" {
			*f.to = f.zh
		}
	}
	return t
}

// Program returns the example's program called name, or nil.
func (e Example) Program(name string) *Program {
	for i := range e.Programs {
		if e.Programs[i].Name == name {
			return &e.Programs[i]
		}
	}
	return nil
}

var (
	loadOnce sync.Once
	all      []Example
	loadErr  error
)

// All returns every example, sorted by slug. The embedded files are parsed
// once; a malformed header is a build defect, reported as an error (and
// caught by the package's test).
func All() ([]Example, error) {
	loadOnce.Do(func() { all, loadErr = load(files) })
	return all, loadErr
}

// Find returns the example with slug, if there is one.
func Find(slug string) (Example, bool) {
	xs, _ := All()
	for _, x := range xs {
		if x.Slug == slug {
			return x, true
		}
	}
	return Example{}, false
}

// load parses every FOLDER/NAME.py of fsys.
func load(fsys fs.FS) ([]Example, error) {
	names, err := fs.Glob(fsys, "*/*.py")
	if err != nil {
		return nil, err
	}
	bySlug := map[string]*Example{}
	var xs []*Example
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		p, title, titleZH, err := parse(path.Base(name), string(b))
		if err != nil {
			return nil, fmt.Errorf("examples: %s: %w", name, err)
		}
		slug := path.Dir(name)
		x := bySlug[slug]
		if x == nil {
			x = &Example{Slug: slug, Title: title, TitleZH: titleZH}
			bySlug[slug] = x
			xs = append(xs, x)
		}
		if title != x.Title {
			return nil, fmt.Errorf("examples: %s: Example %q, but another program of %s says %q", name, title, slug, x.Title)
		}
		if titleZH != x.TitleZH {
			return nil, fmt.Errorf("examples: %s: Example-zh %q, but another program of %s says %q", name, titleZH, slug, x.TitleZH)
		}
		x.Programs = append(x.Programs, p)
	}
	out := make([]Example, 0, len(xs))
	for _, x := range xs {
		slices.SortFunc(x.Programs, func(a, b Program) int { return a.Order - b.Order })
		out = append(out, *x)
	}
	slices.SortFunc(out, func(a, b Example) int { return strings.Compare(a.Slug, b.Slug) })
	return out, nil
}

// required are the header keys every program must have.
var required = []string{"Example", "Title", "Seed", "Order", "Together", "Args", "Expect"}

// Translated are the header keys with a Chinese twin, KEY-zh (Chinese
// lists the twins' keys): a loader accepts a program without them; the
// package's test requires them of every built-in example.
var Translated = []string{"Example", "Title", "Seed", "Together", "Args", "Expect"}

// Chinese lists the Chinese keys: "Example-zh", "Title-zh", ….
func Chinese() []string {
	out := make([]string, len(Translated))
	for i, k := range Translated {
		out[i] = k + zhSuffix
	}
	return out
}

const zhSuffix = "-zh"

// known reports whether k is a header key.
func known(k string) bool {
	return slices.Contains(required, k) || slices.Contains(Translated, strings.TrimSuffix(k, zhSuffix))
}

// parse reads a program's header; title and titleZH are its Example and
// Example-zh keys.
func parse(name, code string) (p Program, title, titleZH string, err error) {
	h, err := header(code)
	if err != nil {
		return p, "", "", err
	}
	for _, k := range required {
		if h[k] == "" {
			return p, "", "", fmt.Errorf("the header has no %s", k)
		}
	}
	order, err := strconv.Atoi(h["Order"])
	if err != nil || order < 1 {
		return p, "", "", fmt.Errorf("Order %q: want a whole number from 1", h["Order"])
	}
	zh := func(k string) string { return h[k+zhSuffix] }
	return Program{
		Name: name, Title: h["Title"], Seed: h["Seed"], Order: order,
		Together: h["Together"], Args: h["Args"], Expect: h["Expect"], Code: code,
		ZH: Text{Title: zh("Title"), Seed: zh("Seed"), Together: zh("Together"), Args: zh("Args"), Expect: zh("Expect")},
	}, h["Example"], zh("Example"), nil
}

// header reads the leading "# Key: value" lines, with continuation lines
// ("#   more") joined to the value by a space (none where either side of
// the join is Chinese).
func header(code string) (map[string]string, error) {
	h := map[string]string{}
	last := ""
	for i, line := range strings.Split(code, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		text := strings.TrimPrefix(line, "#")
		if strings.HasPrefix(text, "   ") && last != "" {
			h[last] = join(h[last], strings.TrimSpace(text))
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(text), ":")
		if !ok || !known(k) {
			return nil, fmt.Errorf("line %d: %q is not a header line: want \"# Key: value\" with a key of %s (or %s)", i+1, line, strings.Join(required, ", "), strings.Join(Chinese(), ", "))
		}
		if _, dup := h[k]; dup {
			return nil, fmt.Errorf("line %d: a second %s", i+1, k)
		}
		h[k], last = strings.TrimSpace(v), k
	}
	return h, nil
}

// join appends a continuation line to a value: with a space between, as
// English words go, or none when the value ends or the line starts with
// a wide (Chinese) character.
func join(value, more string) string {
	last, _ := utf8.DecodeLastRuneInString(value)
	first, _ := utf8.DecodeRuneInString(more)
	if wide(last) || wide(first) {
		return value + more
	}
	return value + " " + more
}

// wide reports whether r is Chinese or East Asian punctuation (full-width
// forms included), which is written without spaces around it.
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
}
