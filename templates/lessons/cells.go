package lessons

import (
	"fmt"
	"regexp"
	"strings"
)

// Cell is one Python cell of a lesson: a fenced block whose info string
// starts with "cell". The cells of a lesson run in one kernel, so they
// share one namespace.
type Cell struct {
	ID    string // letters, digits and '-'; the anchor is #cell-<ID>
	Title string // shown above the cell (the ID when not given)
	Line  int    // line of the opening fence
	Code  string // the Python code as written
	Check Check  // from the "check" block after the cell; hidden on the page
}

// Check is what the lesson test asserts about one cell (FORMAT.md,
// "Checks"). The zero Check asks that the cell ends without an exception.
type Check struct {
	Raises       string   // the exception the cell must end with ("OSError"); "" means none
	Waits        bool     // the kernel must report the cell waiting before it ends
	StillWaiting bool     // the cell must still be waiting when the lesson ends
	Prints       []string // each must be part of some line of the cell's output
	Matches      []string // each regular expression must match some line of it
	// Ends names earlier cells that wait until this one makes them end
	// (an accept this cell's connect ends): the next cell runs once they
	// have ended too.
	Ends []string
	Line int // line of the check block's fence; 0 without one
}

// cellID is a cell's id; cell ids are also the kernel's cell names.
var cellID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// cell reads a "cell" block: its info string (id=… title="…") and code.
func (p *reader) cell(line int, attrs, code string) (Cell, bool) {
	h, ok := p.header("cell", line, attrs)
	if !ok {
		return Cell{}, false
	}
	if !cellID.MatchString(h.ID) {
		p.errorf(line, "cell id %q: use letters, digits and - (at most 64)", h.ID)
		return Cell{}, false
	}
	if strings.TrimSpace(code) == "" {
		p.errorf(line, "cell %q has no code: write the Python it runs", h.ID)
		return Cell{}, false
	}
	return Cell{ID: h.ID, Title: h.Title, Line: line, Code: code}, true
}

// check reads a "check" block: one assertion a line.
func (p *reader) check(fence int, lines []string, lineOf func(int) int) (Check, bool) {
	c := Check{Line: fence}
	ok := true
	for i, raw := range lines {
		n := lineOf(i)
		text := strings.TrimSpace(raw)
		if text == "" {
			continue
		}
		word, arg, _ := strings.Cut(text, " ")
		arg = strings.TrimSpace(arg)
		bad := func(format string, args ...any) {
			p.errorf(n, format, args...)
			ok = false
		}
		switch {
		case word == "ok" && arg == "":
		case word == "raises" && arg != "":
			if c.Raises != "" {
				bad("a check has one raises line")
			}
			c.Raises = arg
		case word == "waits" && arg == "":
			c.Waits = true
		case word == "still-waiting" && arg == "":
			c.StillWaiting = true
		case word == "prints" && arg != "":
			c.Prints = append(c.Prints, arg)
		case word == "ends" && arg != "":
			c.Ends = append(c.Ends, strings.Fields(arg)...)
		case word == "matches" && arg != "":
			if _, err := regexp.Compile(arg); err != nil {
				bad("matches: %v", err)
			}
			c.Matches = append(c.Matches, arg)
		default:
			bad("a check line is ok, raises NAME, waits, still-waiting, ends CELL, prints TEXT or matches REGEXP, got %q", text)
		}
	}
	if c.Waits && c.StillWaiting {
		p.errorf(fence, "waits and still-waiting exclude each other (still-waiting already says it waits)")
		ok = false
	}
	return c, ok
}

// cellOrder checks that every cell an "ends" line names is an earlier
// cell of the lesson whose check says it waits.
func (p *reader) cellOrder(l *Lesson) {
	earlier := map[string]Check{}
	for _, c := range l.Cells {
		for _, id := range c.Check.Ends {
			w, ok := earlier[id]
			switch {
			case !ok:
				p.errorf(c.Check.Line, "ends %s: no earlier cell has the id %q", id, id)
			case !w.Waits:
				p.errorf(c.Check.Line, "ends %s: that cell's check does not say it waits", id)
			}
		}
		earlier[c.ID] = c.Check
	}
}

// Passes tells whether a finished (or, for still-waiting, an unfinished)
// run of the cell meets the check, and if not, why. done is whether the
// kernel said the cell ended, ok and errLine what it said then (errLine is
// the exception's last line, "OSError: [Errno 98] Address already in use"),
// waited whether it reported the cell waiting, output everything the cell
// printed (stdout and stderr).
func (c Check) Passes(done, ok bool, errLine string, waited bool, output string) (bool, string) {
	switch {
	case c.StillWaiting && done:
		return false, "the cell should still be waiting, but it ended"
	case c.StillWaiting && !waited:
		return false, "the cell should be waiting, but the kernel never said so"
	case !c.StillWaiting && !done:
		return false, "the cell did not end"
	case c.Waits && !waited:
		return false, "the cell should have waited (blocked) before it ended"
	case done && c.Raises == "" && !ok:
		return false, "the cell raised " + errLine
	case done && c.Raises != "" && ok:
		return false, "the cell should raise " + c.Raises + ", but it ended without an exception"
	case done && c.Raises != "" && !raised(errLine, c.Raises):
		return false, fmt.Sprintf("the cell should raise %s, but it raised %s", c.Raises, errLine)
	}
	lines := strings.Split(output, "\n")
	for _, want := range c.Prints {
		if !anyLine(lines, func(l string) bool { return strings.Contains(l, want) }) {
			return false, fmt.Sprintf("no line of the output has %q", want)
		}
	}
	for _, pat := range c.Matches {
		re, err := regexp.Compile(pat)
		if err != nil {
			return false, err.Error()
		}
		if !anyLine(lines, re.MatchString) {
			return false, fmt.Sprintf("no line of the output matches %s", pat)
		}
	}
	return true, ""
}

// raised tells whether an exception's last line names the class name.
func raised(errLine, name string) bool {
	return errLine == name || strings.HasPrefix(errLine, name+":")
}

func anyLine(lines []string, f func(string) bool) bool {
	for _, l := range lines {
		if f(l) {
			return true
		}
	}
	return false
}

// Part is one runnable part of a lesson, a cell: what progress counts.
type Part struct {
	ID     string
	Title  string
	Anchor string // the fragment that shows it: "cell-<id>"
}

// Parts are the lesson's cells.
func (l *Lesson) Parts() []Part {
	out := make([]Part, len(l.Cells))
	for i, c := range l.Cells {
		out[i] = Part{ID: c.ID, Title: c.Title, Anchor: "cell-" + c.ID}
	}
	return out
}
