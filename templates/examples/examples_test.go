package examples

import (
	"strings"
	"testing"
	"testing/fstest"
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
