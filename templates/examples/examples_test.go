package examples

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
)

// TestAll loads the embedded examples: each has a title and its
// programs numbered 1, 2, … in start order (the chat has one, run twice),
// each with its whole header.
func TestAll(t *testing.T) {
	xs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) < 10 {
		t.Errorf("%d examples, want the 10 of the seeds", len(xs))
	}
	for _, x := range xs {
		if x.Title == "" || len(x.Programs) == 0 {
			t.Errorf("%s: title %q, %d programs", x.Slug, x.Title, len(x.Programs))
		}
		for i, p := range x.Programs {
			if p.Order != i+1 {
				t.Errorf("%s/%s: Order %d, want %d", x.Slug, p.Name, p.Order, i+1)
			}
			if !strings.HasPrefix(p.Code, "# Example: "+x.Title+"\n") {
				t.Errorf("%s/%s: the code does not start with its header", x.Slug, p.Name)
			}
		}
		if got, ok := Find(x.Slug); !ok || got.Slug != x.Slug {
			t.Errorf("Find(%q) = %v, %v", x.Slug, got.Slug, ok)
		}
	}
	if _, ok := Find("nope"); ok {
		t.Error(`Find("nope") found an example`)
	}
}

const good = "# Example: E\n# Title: T\n# Seed: 000 (x: y)\n# Order: 1\n# Together: a\n# Args: none\n# Expect: one\n#   two\nimport socket\n# not header\n"

func TestHeader(t *testing.T) {
	xs, err := load(fstest.MapFS{"e/a.py": {Data: []byte(good)}})
	if err != nil {
		t.Fatal(err)
	}
	p := xs[0].Programs[0]
	if p.Seed != "000 (x: y)" || p.Expect != "one two" || p.Name != "a.py" || xs[0].Title != "E" {
		t.Errorf("parsed %+v", p)
	}
	for _, tc := range []struct{ name, code, want string }{
		{"missing key", strings.Replace(good, "# Args: none\n", "", 1), "no Args"},
		{"unknown key", strings.Replace(good, "# Args:", "# Argz:", 1), "not a header line"},
		{"bad order", strings.Replace(good, "Order: 1", "Order: first", 1), "Order"},
		{"twice", strings.Replace(good, "# Args: none\n", "# Args: a\n# Args: b\n", 1), "a second Args"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(fstest.MapFS{"e/a.py": {Data: []byte(tc.code)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	other := strings.Replace(good, "Example: E", "Example: F", 1)
	if _, err := load(fstest.MapFS{"e/a.py": {Data: []byte(good)}, "e/b.py": {Data: []byte(other)}}); err == nil {
		t.Error("two programs of one example with different titles loaded")
	}
}

// TestChineseHeaders: every built-in program has every -zh key, in
// Chinese (not the English again), and In("zh") shows them while In("en")
// keeps the English; the example's Chinese title is the same in each of
// its programs (load checks that).
func TestChineseHeaders(t *testing.T) {
	xs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		if !hasHan(x.TitleZH) || x.TitleZH == x.Title || x.TitleIn("zh") != x.TitleZH || x.TitleIn("en") != x.Title {
			t.Errorf("%s: Example-zh %q (Example %q)", x.Slug, x.TitleZH, x.Title)
		}
		for _, p := range x.Programs {
			en, zh := p.In("en"), p.In("zh")
			for _, f := range []struct{ key, en, zh, header string }{
				{"Title", en.Title, zh.Title, p.ZH.Title},
				{"Seed", en.Seed, zh.Seed, p.ZH.Seed},
				{"Together", en.Together, zh.Together, p.ZH.Together},
				{"Args", en.Args, zh.Args, p.ZH.Args},
				{"Expect", en.Expect, zh.Expect, p.ZH.Expect},
			} {
				switch {
				case strings.TrimSpace(f.header) == "":
					t.Errorf("%s/%s: no %s-zh", x.Slug, p.Name, f.key)
				case f.header == f.en:
					t.Errorf("%s/%s: %s-zh is the English, %q", x.Slug, p.Name, f.key, f.en)
				case !hasHan(f.header):
					t.Errorf("%s/%s: %s-zh %q has no Chinese in it", x.Slug, p.Name, f.key, f.header)
				case f.zh != f.header:
					t.Errorf("%s/%s: In(zh).%s = %q, want the header's %q", x.Slug, p.Name, f.key, f.zh, f.header)
				}
			}
			if en != (Text{p.Title, p.Seed, p.Together, p.Args, p.Expect}) {
				t.Errorf("%s/%s: In(en) = %+v, not the English", x.Slug, p.Name, en)
			}
			for _, k := range Chinese() {
				if !strings.Contains(p.Code, "\n# "+k+": ") {
					t.Errorf("%s/%s: no line # %s:", x.Slug, p.Name, k)
				}
			}
		}
	}
}

// TestChineseHeaderFallback: the -zh keys are optional to the loader, a
// missing one falls back to the English field by field, a Chinese
// continuation line joins without a space, and two programs of an example
// must agree on Example-zh.
func TestChineseHeaderFallback(t *testing.T) {
	code := strings.Replace(good, "# Title: T\n", "# Title: T\n# Title-zh: 标题\n#   第二行\n", 1)
	xs, err := load(fstest.MapFS{"e/a.py": {Data: []byte(code)}})
	if err != nil {
		t.Fatal(err)
	}
	p := xs[0].Programs[0]
	if zh := p.In("zh"); zh.Title != "标题第二行" || zh.Expect != "one two" || zh.Args != "none" {
		t.Errorf("In(zh) = %+v", zh)
	}
	if xs[0].TitleIn("zh") != "E" {
		t.Errorf("TitleIn(zh) without Example-zh = %q", xs[0].TitleIn("zh"))
	}
	a := strings.Replace(good, "# Example: E\n", "# Example: E\n# Example-zh: 例子\n", 1)
	if _, err := load(fstest.MapFS{"e/a.py": {Data: []byte(a)}, "e/b.py": {Data: []byte(good)}}); err == nil || !strings.Contains(err.Error(), "Example-zh") {
		t.Errorf("two programs, one without Example-zh: error %v", err)
	}
	if _, err := load(fstest.MapFS{"e/a.py": {Data: []byte(strings.Replace(good, "# Args:", "# Args-fr:", 1))}}); err == nil {
		t.Error("an Args-fr key loaded")
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
