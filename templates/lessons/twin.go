package lessons

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
)

// attachTwins makes each Chinese twin (NN-slug.zh.md) the ZH of its English
// lesson (NN-slug.md, the same NN and slug). A twin without its English
// lesson, or one that differs from it in order, peers, network or cells
// (ids and order), is an error: the twin is the same lesson in another
// language, and the content test runs both with the same checks.
func attachTwins(english, twins []*Lesson, dir string) []error {
	byBase := map[string]*Lesson{}
	for _, l := range english {
		byBase[strings.TrimSuffix(filepath.Base(l.File), ".md")] = l
	}
	var errs []error
	for _, z := range twins {
		base := strings.TrimSuffix(filepath.Base(z.File), ".zh.md")
		en, ok := byBase[base]
		if !ok {
			want := base + ".md"
			if dir != "" {
				want = filepath.Join(dir, want)
			}
			errs = append(errs, &Error{File: z.File, Msg: fmt.Sprintf("a Chinese twin needs its English lesson %s (same NN and slug)", want)})
			continue
		}
		if e := twinErrors(en, z); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		en.ZH = z
	}
	return errs
}

// twinErrors lists how twin z differs from its English lesson en where it
// must not.
func twinErrors(en, z *Lesson) []error {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: z.File, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if z.Order != en.Order {
		fail(1, "order is %d, its English lesson %s has %d (a twin keeps order, peers and network)", z.Order, en.File, en.Order)
	}
	if !reflect.DeepEqual(z.Peers, en.Peers) {
		fail(1, "peers differ from its English lesson %s (a twin keeps order, peers and network)", en.File)
	}
	if z.Network != en.Network {
		fail(1, "network is %q, its English lesson %s has %q (a twin keeps order, peers and network)", z.Network, en.File, en.Network)
	}
	for i := 0; i < max(len(z.Cells), len(en.Cells)); i++ {
		switch {
		case i >= len(z.Cells):
			fail(0, "cell %q (%s:%d) is missing: a twin has the same cells, with the same ids, in the same order", en.Cells[i].ID, en.File, en.Cells[i].Line)
		case i >= len(en.Cells):
			fail(z.Cells[i].Line, "cell %q is not in its English lesson %s: a twin has the same cells, with the same ids, in the same order", z.Cells[i].ID, en.File)
		case z.Cells[i].ID != en.Cells[i].ID:
			fail(z.Cells[i].Line, "cell %d is %q, in its English lesson %s it is %q (%s:%d): a twin has the same cells, with the same ids, in the same order",
				i+1, z.Cells[i].ID, en.File, en.Cells[i].ID, en.File, en.Cells[i].Line)
		default:
			continue
		}
		break // after the first difference, the rest only repeat it
	}
	if zr, er := runBlocks(z), runBlocks(en); zr != er {
		fail(0, "it has %d python run blocks, its English lesson %s has %d", zr, en.File, er)
	}
	return errs
}

// runBlocks counts a lesson's python run blocks (closing programs).
func runBlocks(l *Lesson) int {
	n := 0
	for _, b := range l.Python {
		if b.Run {
			n++
		}
	}
	return n
}
