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
)

//go:embed */*.py
var files embed.FS

// Example is one folder: programs meant to run together.
type Example struct {
	Slug     string    // the folder's name, e.g. "udp-echo"
	Title    string    // from the programs' Example key
	Programs []Program // in start order (Order)
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
		p, title, err := parse(path.Base(name), string(b))
		if err != nil {
			return nil, fmt.Errorf("examples: %s: %w", name, err)
		}
		slug := path.Dir(name)
		x := bySlug[slug]
		if x == nil {
			x = &Example{Slug: slug, Title: title}
			bySlug[slug] = x
			xs = append(xs, x)
		}
		if title != x.Title {
			return nil, fmt.Errorf("examples: %s: Example %q, but another program of %s says %q", name, title, slug, x.Title)
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

// parse reads a program's header; title is its Example key.
func parse(name, code string) (p Program, title string, err error) {
	h, err := header(code)
	if err != nil {
		return p, "", err
	}
	for _, k := range required {
		if h[k] == "" {
			return p, "", fmt.Errorf("the header has no %s", k)
		}
	}
	order, err := strconv.Atoi(h["Order"])
	if err != nil || order < 1 {
		return p, "", fmt.Errorf("Order %q: want a whole number from 1", h["Order"])
	}
	return Program{
		Name: name, Title: h["Title"], Seed: h["Seed"], Order: order,
		Together: h["Together"], Args: h["Args"], Expect: h["Expect"], Code: code,
	}, h["Example"], nil
}

// header reads the leading "# Key: value" lines, with continuation lines
// ("#   more") joined to the value by a space.
func header(code string) (map[string]string, error) {
	h := map[string]string{}
	last := ""
	for i, line := range strings.Split(code, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		text := strings.TrimPrefix(line, "#")
		if strings.HasPrefix(text, "   ") && last != "" {
			h[last] += " " + strings.TrimSpace(text)
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(text), ":")
		if !ok || !slices.Contains(required, k) {
			return nil, fmt.Errorf("line %d: %q is not a header line: want \"# Key: value\" with a key of %s", i+1, line, strings.Join(required, ", "))
		}
		if _, dup := h[k]; dup {
			return nil, fmt.Errorf("line %d: a second %s", i+1, k)
		}
		h[k], last = strings.TrimSpace(v), k
	}
	return h, nil
}
