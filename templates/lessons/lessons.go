// Package lessons reads sockplay's lessons: Markdown files with a front
// matter, Python cells (each with an optional hidden check) and Python
// blocks, as FORMAT.md in this folder describes. The built-in lessons are embedded
// here; instructors add their own from a folder (sockplay --lessons DIR).
//
// Loading checks everything that can be checked without a server (front
// matter, cell ids, each check line and its place, the peers)
// and reports each problem as FILE:LINE: message, so a broken lesson stops
// the server at startup instead of failing in front of a class.
package lessons

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// builtin holds this folder's lesson files (and FORMAT.md, which Load skips:
// it is not named NN-slug.md).
//
//go:embed *.md
var builtin embed.FS

// Lesson is one parsed lesson file.
type Lesson struct {
	Slug    string     // from the file name NN-slug.md; the page is /lessons/<slug>
	File    string     // the file it came from, as errors name it
	Title   string     // front matter: title
	Summary string     // front matter: summary, one sentence for the index
	Order   int        // front matter: order; lessons sort by it, then by slug
	Covers  []string   // front matter: covers, the topics it demonstrates
	Peers   []PeerSpec // front matter: peers the lesson's Python talks to
	Network string     // front matter: network, NetworkLab or "" (any server)
	// HTML is the lesson's Markdown rendered to HTML, each cell as a
	// <section class="cell" data-cell="…"> and each Python block with a copy
	// button (FORMAT.md and the lesson page's script describe the markup).
	HTML   string
	Cells  []Cell // the Python cells, in order; they share one kernel
	Python []PythonBlock
	// Lang is the lesson's language: LangEN for NN-slug.md, LangZH for its
	// Chinese twin NN-slug.zh.md.
	Lang string
	// ZH is the Chinese twin (NN-slug.zh.md) of an English lesson, or nil
	// when it has none. The twin has the same slug, order, peers, network
	// and cells (ids, in the same order) as the English lesson; only its
	// text, comments and printed strings (with their checks) differ.
	ZH *Lesson

	htmlZH string // an English lesson's HTML with its controls in Chinese (PageHTML)
}

// PageHTML is the lesson's HTML for a page in language lang: HTML, but an
// English lesson shown in a Chinese page (it has no twin) gets its cells'
// controls (Run, Copy, …) in Chinese around its English text.
func (l *Lesson) PageHTML(lang string) string {
	if lang == LangZH && l.Lang == LangEN && l.htmlZH != "" {
		return l.htmlZH
	}
	return l.HTML
}

// The languages a lesson file can be written in.
const (
	LangEN = "en" // NN-slug.md: the lesson's identity
	LangZH = "zh" // NN-slug.zh.md: its Chinese twin
)

// In returns the lesson in language lang: the Chinese twin for LangZH when
// there is one, the English lesson otherwise (check Lang to see which).
func (l *Lesson) In(lang string) *Lesson {
	if lang == LangZH && l.ZH != nil {
		return l.ZH
	}
	return l
}

// NetworkLab is the network front matter of a lesson that builds a lab LAN
// (op lab): it needs a server that can make network namespaces, with
// either network profile.
const NetworkLab = "lab"

// PeerSpec is one built-in peer a lesson needs: the arguments of a spawn
// request.
type PeerSpec struct {
	Peer    string         `json:"peer"`
	Addr    []any          `json:"addr"`
	Options map[string]any `json:"options,omitempty"`
}

// Request returns the spawn request that starts the peer (without an id).
func (p PeerSpec) Request() map[string]any {
	r := map[string]any{"op": "spawn", "peer": p.Peer, "addr": p.Addr}
	if p.Options != nil {
		r["options"] = p.Options
	}
	return r
}

// PythonBlock is one fenced python block.
type PythonBlock struct {
	Code string
	Run  bool // info string "python run": the lesson's closing program
	Line int  // line of the opening fence
}

// Error is a problem in a lesson file.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem is the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// fileName is the name of a lesson file: NN-slug.md, or NN-slug.zh.md for
// its Chinese twin. A file whose name starts like one (lessonLike) but is
// not one is an error, not skipped.
var (
	fileName   = regexp.MustCompile(`^([0-9]+)-([a-z0-9]+(?:-[a-z0-9]+)*)(\.zh)?\.md$`)
	lessonLike = regexp.MustCompile(`^[0-9]+-.*\.md$`)
)

// Builtin returns the lessons embedded in the binary, sorted. Its errors
// name the files as templates/lessons/NN-slug.md, where they are in the
// source tree.
func Builtin() ([]*Lesson, error) { return load(builtin, "templates/lessons") }

// Load reads every NN-slug.md file at the top of fsys (files whose names do
// not start with digits and a dash, such as FORMAT.md or a README, are not
// lessons and are skipped) and returns the
// lessons sorted by order, then slug. The error, if any, joins one *Error
// per problem found, each written FILE:LINE: message.
func Load(fsys fs.FS) ([]*Lesson, error) { return load(fsys, "") }

// LoadDir is Load on a folder of the file system; errors name the files
// with the folder's path.
func LoadDir(dir string) ([]*Lesson, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("lessons: %s is not a folder", dir)
	}
	return load(os.DirFS(dir), dir)
}

// load reads the lessons of fsys; errors name the files as joined to dir.
func load(fsys fs.FS, dir string) ([]*Lesson, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	var (
		out   []*Lesson
		twins []*Lesson
		errs  []error
		seen  = map[string]string{} // slug → file
	)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !lessonLike.MatchString(name) {
			continue
		}
		shown := name
		if dir != "" {
			shown = filepath.Join(dir, name)
		}
		m := fileName.FindStringSubmatch(name)
		if m == nil {
			errs = append(errs, &Error{File: shown, Msg: "a lesson file is named NN-slug.md (or NN-slug.zh.md for its Chinese twin), the slug in lowercase letters, digits and single dashes"})
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &Error{File: shown, Msg: err.Error()})
			continue
		}
		lang := LangEN
		if m[3] != "" {
			lang = LangZH
		}
		l, perrs := parse(shown, m[2], lang, src)
		if len(perrs) > 0 {
			for _, e := range perrs {
				errs = append(errs, e)
			}
			continue
		}
		if lang == LangZH {
			twins = append(twins, l)
			continue
		}
		if other, dup := seen[l.Slug]; dup {
			errs = append(errs, &Error{File: shown, Line: 1, Msg: fmt.Sprintf("slug %q is already used by %s", l.Slug, other)})
			continue
		}
		seen[l.Slug] = shown
		out = append(out, l)
	}
	errs = append(errs, attachTwins(out, twins, dir)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortLessons(out)
	return out, nil
}

// Merge returns the built-in lessons and an instructor's extra ones in one
// sorted list. A slug used twice is an error naming both files.
func Merge(builtin, extra []*Lesson) ([]*Lesson, error) {
	bySlug := map[string]*Lesson{}
	out := make([]*Lesson, 0, len(builtin)+len(extra))
	var errs []error
	for _, l := range slices.Concat(builtin, extra) {
		if other, dup := bySlug[l.Slug]; dup {
			errs = append(errs, &Error{File: l.File, Line: 1,
				Msg: fmt.Sprintf("slug %q is already used by %s (a lesson's slug may not be reused)", l.Slug, other.File)})
			continue
		}
		bySlug[l.Slug] = l
		out = append(out, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortLessons(out)
	return out, nil
}

func sortLessons(ls []*Lesson) {
	slices.SortStableFunc(ls, func(a, b *Lesson) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Slug, b.Slug)
	})
}
