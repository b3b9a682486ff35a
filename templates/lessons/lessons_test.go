package lessons_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"sockplay/templates/lessons"
)

func TestLoadGood(t *testing.T) {
	ls, err := lessons.LoadDir("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 {
		t.Fatalf("%d lessons, want 1 (README.md is not a lesson)", len(ls))
	}
	l := ls[0]
	if l.Slug != "good-lesson" || l.File != "testdata/good/01-good-lesson.md" || l.Title != "A good lesson" ||
		l.Summary != "Everything the format allows, once." || l.Order != 7 {
		t.Errorf("slug %q file %q title %q summary %q order %d", l.Slug, l.File, l.Title, l.Summary, l.Order)
	}
	if want := []string{"recvfrom", "sendto", "EADDRINUSE"}; !reflect.DeepEqual(l.Covers, want) {
		t.Errorf("covers %q, want %q", l.Covers, want)
	}
	wantPeers := []lessons.PeerSpec{
		{Peer: "udp-echo", Addr: []any{"127.0.0.1", 47950.0}},
		{Peer: "broadcaster", Addr: []any{"127.0.0.1", 0.0}, Options: map[string]any{"port": 47951.0}},
	}
	if !reflect.DeepEqual(l.Peers, wantPeers) {
		t.Errorf("peers %#v, want %#v", l.Peers, wantPeers)
	}
	if got, want := l.Peers[1].Request(), map[string]any{"op": "spawn", "peer": "broadcaster", "addr": []any{"127.0.0.1", 0.0},
		"options": map[string]any{"port": 47951.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("spawn request %v, want %v", got, want)
	}

	wantCells := []lessons.Cell{
		{ID: "first", Title: "The first cell", Line: 17, Code: "import socket\nrx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nrx.bind((\"127.0.0.1\", 0))\n",
			Check: lessons.Check{Line: 22}},
		{ID: "second", Title: "second", Line: 26, Code: "print(\"<script>\")\n", Check: lessons.Check{Prints: []string{"<script>"}, Line: 29}},
	}
	if !reflect.DeepEqual(l.Cells, wantCells) {
		t.Errorf("cells\n got %#v\nwant %#v", l.Cells, wantCells)
	}
	wantPython := []lessons.PythonBlock{{Code: "print(\"shown\")\n", Line: 33}, {Code: "print(\"run\")\n", Run: true, Line: 37}}
	if !reflect.DeepEqual(l.Python, wantPython) {
		t.Errorf("python %#v, want %#v", l.Python, wantPython)
	}

	for _, want := range []string{
		`<h2 id="sec-a-heading-that-becomes-h2">A heading that becomes h2</h2>`,
		`<!-- raw HTML omitted -->raw HTML<!-- raw HTML omitted -->`,
		`<table>`,
		`<section class="cell" id="cell-first" data-cell="first"`,
		`<a class="cell-anchor" href="#cell-first">The first cell</a>`,
		`print(&#34;&lt;script&gt;&#34;)</textarea>`,
		`<button type="button" class="secondary" data-run-cells-above>Run all cells above</button>`,
		`<div class="py-block" data-python="0">`,
		`<div class="py-block" data-python="1" data-run>`,
		`<code class="language-python">print(&#34;run&#34;)`,
		`<pre class="code"><code class="language-sh">echo &#34;plain &lt;code&gt;&#34;`,
	} {
		if !strings.Contains(l.HTML, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	for _, bad := range []string{"<h1", "<b>", "<script>", "```"} {
		if strings.Contains(l.HTML, bad) {
			t.Errorf("HTML has %s", bad)
		}
	}
	if n := strings.Count(l.HTML, "data-run-cells-above"); n != 1 {
		t.Errorf("%d Run all cells above buttons, want 1 (not on the first cell)", n)
	}
}

func TestLoadErrors(t *testing.T) {
	const fm = "---\ntitle: T\nsummary: S.\norder: 1\n---\n" // the body starts on line 6
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"no front matter", "01-x.md", "# Title\n", []string{"01-x.md:1: a lesson starts with front matter"}},
		{"front matter not closed", "01-x.md", "---\ntitle: T\n", []string{"01-x.md:1: the front matter has no closing --- line"}},
		{"required keys", "01-x.md", "---\ncovers: a\n---\n", []string{
			"01-x.md:1: front matter: title is required",
			"01-x.md:1: front matter: summary is required",
			"01-x.md:1: front matter: order is required",
		}},
		{"empty title", "01-x.md", "---\ntitle:\nsummary: S.\norder: 1\n---\n", []string{"01-x.md:2: front matter: title is empty"}},
		{"order", "01-x.md", "---\ntitle: T\nsummary: S.\norder: first\n---\n", []string{`01-x.md:4: order must be an integer, got "first"`}},
		{"unknown key", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\nauthor: me\n---\n", []string{`01-x.md:5: unknown front matter key "author"`}},
		{"key twice", "01-x.md", "---\ntitle: T\ntitle: U\nsummary: S.\norder: 1\n---\n", []string{"01-x.md:3: title is given twice (first on line 2)"}},
		{"not key: value", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\njust words\n---\n", []string{`01-x.md:5: front matter lines are key: value, got "just words"`}},
		{"peers not JSON", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\npeers: [{peer: udp-echo}]\n---\n", []string{"01-x.md:5: peers: invalid character"}},
		{"peers unknown field", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",1],\"port\":2}]\n---\n",
			[]string{`01-x.md:5: peers: json: unknown field "port"`}},
		{"peers bad addr", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\npeers: [{\"peer\":\"udp-echo\",\"addr\":[\"127.0.0.1\",\"x\"]}]\n---\n",
			[]string{"01-x.md:5: peers[0] (udp-echo): addr must be [host, port] with the port an integer 0–65535"}},
		{"peers no name", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\npeers: [{\"addr\":[\"127.0.0.1\",1]}]\n---\n",
			[]string{"01-x.md:5: peers[0]: peer (the peer's name) is required"}},
		{"network", "01-x.md", "---\ntitle: T\nsummary: S.\norder: 1\nnetwork: private\n---\n", []string{`01-x.md:5: network must be "lab" (the lesson builds a lab LAN), got "private"`}},
		{"bad file name", "01-Big-Slug.md", fm, []string{"01-Big-Slug.md: a lesson file is named NN-slug.md"}},
		{"old JSON step", "01-x.md", fm + "\n```step id=s title=\"S\"\n{\"op\":\"socket\"}\n```\n",
			[]string{"01-x.md:7: a step block is the old JSON step format, which is gone: steps are Python cells now"}},
		{"old JSON step among cells", "01-x.md", fm + "\n```cell id=c\nx = 1\n```\n\n```step id=s\n{\"op\":\"socket\"}\n```\n",
			[]string{"01-x.md:11: a step block is the old JSON step format"}},
		{"python info", "01-x.md", fm + "\n```python3 run\nprint()\n```\n\n```python runme\nprint()\n```\n",
			[]string{`01-x.md:11: a python block's info string is "python" or "python run", got "python runme"`}},
		{"cell without id", "01-x.md", fm + "\n```cell title=\"C\"\nx = 1\n```\n", []string{"01-x.md:7: a cell needs an id"}},
		{"cell id", "01-x.md", fm + "\n```cell id=a.b\nx = 1\n```\n", []string{`01-x.md:7: cell id "a.b": use letters, digits and -`}},
		{"empty cell", "01-x.md", fm + "\n```cell id=a\n\n```\n", []string{`01-x.md:7: cell "a" has no code`}},
		{"cell id twice", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n\n```cell id=a\nx = 2\n```\n",
			[]string{`01-x.md:11: cell id "a" is already used on line 7`}},
		{"check alone", "01-x.md", fm + "\nWords.\n\n```check\nok\n```\n", []string{"01-x.md:9: a check block comes right after the cell it checks"}},
		{"check not after its cell", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n\nWords.\n\n```check\nok\n```\n",
			[]string{"01-x.md:13: a check block comes right after the cell it checks"}},
		{"check line", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n```check\nprints\nexpects 1\nmatches (\n```\n", []string{
			`01-x.md:11: a check line is ok, raises NAME, waits, still-waiting, ends CELL, prints TEXT or matches REGEXP, got "prints"`,
			`01-x.md:12: a check line is ok, raises NAME, waits, still-waiting, ends CELL, prints TEXT or matches REGEXP, got "expects 1"`,
			"01-x.md:13: matches: error parsing regexp"}},
		{"two checks", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n```check\nok\n```\n```check\nok\n```\n",
			[]string{"01-x.md:13: a check block comes right after the cell it checks"}},
		{"waits twice", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n```check\nwaits\nstill-waiting\n```\n",
			[]string{"01-x.md:10: waits and still-waiting exclude each other"}},
		{"ends unknown", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n```check\nends b\n```\n\n```cell id=b\nx = 2\n```\n```check\nwaits\n```\n",
			[]string{`01-x.md:10: ends b: no earlier cell has the id "b"`}},
		{"ends no wait", "01-x.md", fm + "\n```cell id=a\nx = 1\n```\n\n```cell id=b\nx = 2\n```\n```check\nends a\n```\n",
			[]string{"01-x.md:14: ends a: that cell's check does not say it waits"}},
		{"several problems", "01-x.md", "---\ntitle: T\nsummary: S.\norder: x\n---\n\n```cell id=s\nx = 1\n```\n```check\nraises\n```\n",
			[]string{`01-x.md:4: order must be an integer`, `01-x.md:11: a check line is`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls, err := lessons.Load(fstest.MapFS{tt.file: {Data: []byte(tt.src)}})
			if err == nil {
				t.Fatalf("no error (%d lessons), want %q", len(ls), tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant %d:\n%s", err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %q, want it to start with %q", got[i], w)
				}
			}
			var le *lessons.Error
			if !errors.As(err, &le) || le.File != tt.file {
				t.Errorf("error %v is not a *lessons.Error for %s", err, tt.file)
			}
		})
	}
}

func TestLoadCells(t *testing.T) {
	src := "---\ntitle: T\nsummary: S.\norder: 1\n---\n\n" + // the body starts on line 6
		"```cell id=make title=\"Make one\"\nimport socket\ns = socket.socket()\n```\n" + // 7–10
		"```check\nprints ('0.0.0.0', 0)\nmatches ^port \\d+$\n\n```\n" + // 11–15
		"Text between.\n\n" +
		"```cell id=wait\ns.accept()\n```\n" + // 18–20
		"```check\nwaits\nraises OSError\n```\n" +
		"```cell id=last\nprint(1)\n```\n```check\nends wait\n```\n"
	ls, err := lessons.Load(fstest.MapFS{"01-cells.md": {Data: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	want := []lessons.Cell{
		{ID: "make", Title: "Make one", Line: 7, Code: "import socket\ns = socket.socket()\n",
			Check: lessons.Check{Prints: []string{"('0.0.0.0', 0)"}, Matches: []string{`^port \d+$`}, Line: 11}},
		{ID: "wait", Title: "wait", Line: 18, Code: "s.accept()\n", Check: lessons.Check{Waits: true, Raises: "OSError", Line: 21}},
		{ID: "last", Title: "last", Line: 25, Code: "print(1)\n", Check: lessons.Check{Ends: []string{"wait"}, Line: 28}},
	}
	if !reflect.DeepEqual(l.Cells, want) {
		t.Errorf("cells\n got %#v\nwant %#v", l.Cells, want)
	}
	for _, bad := range []string{"prints (", "matches ^port", "Text between"} {
		if strings.Contains(l.HTML, bad) == (bad != "Text between") {
			t.Errorf("HTML has %q: %v (the checks are hidden, the text is shown)", bad, strings.Contains(l.HTML, bad))
		}
	}
	for _, part := range []string{`<section class="cell" id="cell-make" data-cell="make"`, "s = socket.socket()</textarea>", "data-run-cells-above", "data-cell-output",
		`data-cell="wait" data-raises="OSError" data-waits`, `data-cell="last" data-raises="" data-ends="wait" data-state`} {
		if !strings.Contains(l.HTML, part) {
			t.Errorf("HTML lacks %q:\n%s", part, l.HTML)
		}
	}
	if strings.Count(l.HTML, "data-run-cells-above") != 2 {
		t.Errorf("the first cell has no \"Run all cells above\" button, the other two do:\n%s", l.HTML)
	}
}

func TestCheckPasses(t *testing.T) {
	plain := lessons.Check{Prints: []string{"hello"}, Matches: []string{`^\d+ bytes$`}}
	tests := []struct {
		name           string
		check          lessons.Check
		done, ok       bool
		errLine        string
		waited         bool
		output, reason string
	}{
		{"passes", plain, true, true, "", false, "x\nsaid hello\n12 bytes\n", ""},
		{"prints missing", plain, true, true, "", false, "12 bytes\n", `no line of the output has "hello"`},
		{"match is per line", plain, true, true, "", false, "hello 12 bytes\n", `no line of the output matches ^\d+ bytes$`},
		{"raised", plain, true, false, "ValueError: x", false, "hello\n1 bytes", "the cell raised ValueError: x"},
		{"not done", plain, false, false, "", true, "hello\n1 bytes", "the cell did not end"},
		{"raises", lessons.Check{Raises: "OSError"}, true, false, "OSError: [Errno 98] Address already in use", false, "", ""},
		{"raises another", lessons.Check{Raises: "OSError"}, true, false, "ConnectionRefusedError: [Errno 111] Connection refused", false, "",
			"the cell should raise OSError, but it raised ConnectionRefusedError: [Errno 111] Connection refused"},
		{"raises nothing", lessons.Check{Raises: "OSError"}, true, true, "", false, "", "the cell should raise OSError, but it ended without an exception"},
		{"waits", lessons.Check{Waits: true}, true, true, "", true, "", ""},
		{"did not wait", lessons.Check{Waits: true}, true, true, "", false, "", "the cell should have waited (blocked) before it ended"},
		{"still waiting", lessons.Check{StillWaiting: true}, false, false, "", true, "", ""},
		{"ended", lessons.Check{StillWaiting: true}, true, true, "", true, "", "the cell should still be waiting, but it ended"},
		{"never waited", lessons.Check{StillWaiting: true}, false, false, "", false, "", "the cell should be waiting, but the kernel never said so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := tt.check.Passes(tt.done, tt.ok, tt.errLine, tt.waited, tt.output)
			if ok != (tt.reason == "") || why != tt.reason {
				t.Errorf("Passes = %v, %q; want %q", ok, why, tt.reason)
			}
		})
	}
}

// TestBuiltin loads the embedded lessons: whatever exists must load, and
// FORMAT.md is not one of them.
func TestBuiltin(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, l := range ls {
		if seen[l.Slug] || l.Slug == "" || strings.Contains(l.File, "FORMAT") {
			t.Errorf("lesson %d: slug %q from %s", i, l.Slug, l.File)
		}
		seen[l.Slug] = true
		if !strings.HasPrefix(l.File, "templates/lessons/") {
			t.Errorf("%s: built-in files are named templates/lessons/NN-slug.md in errors", l.File)
		}
		if i > 0 && (ls[i-1].Order > l.Order || ls[i-1].Order == l.Order && ls[i-1].Slug > l.Slug) {
			t.Errorf("%s sorted after %s", l.Slug, ls[i-1].Slug)
		}
	}
}

func TestMerge(t *testing.T) {
	load := func(files fstest.MapFS) []*lessons.Lesson {
		t.Helper()
		ls, err := lessons.Load(files)
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	fm := func(order string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("---\ntitle: T\nsummary: S.\norder: " + order + "\n---\n")}
	}
	builtin := load(fstest.MapFS{"01-udp.md": fm("1"), "03-tcp.md": fm("3")})
	extra := load(fstest.MapFS{"02-mine.md": fm("2"), "09-zz.md": fm("1")})
	ls, err := lessons.Merge(builtin, extra)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, l := range ls {
		slugs = append(slugs, l.Slug)
	}
	if want := []string{"udp", "zz", "mine", "tcp"}; !reflect.DeepEqual(slugs, want) {
		t.Errorf("merged %q, want %q (by order, then slug)", slugs, want)
	}

	dup := load(fstest.MapFS{"07-tcp.md": fm("7")})
	dup[0].File = "/home/teacher/lessons/07-tcp.md"
	builtin[1].File = "templates/lessons/03-tcp.md"
	_, err = lessons.Merge(builtin, dup)
	want := `/home/teacher/lessons/07-tcp.md:1: slug "tcp" is already used by templates/lessons/03-tcp.md`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("duplicate slug: error %v, want %q", err, want)
	}

	if _, err := lessons.Load(fstest.MapFS{"01-a.md": fm("1"), "02-a.md": fm("2")}); err == nil ||
		!strings.Contains(err.Error(), `02-a.md:1: slug "a" is already used by 01-a.md`) {
		t.Errorf("one folder, one slug twice: error %v", err)
	}
}

func TestLoadDirMissing(t *testing.T) {
	if _, err := lessons.LoadDir("testdata/no-such-folder"); err == nil {
		t.Errorf("no error for a missing folder")
	}
}

// TestCurriculum: the built-in lessons teach the whole seed curriculum: at
// least 14 lessons, each with Python cells and a closing Python program,
// and together they cover the topics the curriculum promises.
func TestCurriculum(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) < 14 {
		t.Fatalf("%d built-in lessons, want at least 14", len(ls))
	}
	covered := map[string]bool{}
	for _, l := range ls {
		runs := 0
		for _, p := range l.Python {
			if p.Run {
				runs++
			}
		}
		if len(l.Cells) == 0 || runs != 1 {
			t.Errorf("%s: %d cells and %d `python run` blocks, want Python cells and one closing program", l.Slug, len(l.Cells), runs)
		}
		for _, c := range l.Covers {
			covered[strings.ToLower(c)] = true
		}
	}
	for _, topic := range []string{"SO_BROADCAST", "recvfrom", "listen", "accept", "struct", "SO_REUSEADDR",
		"truncation", "Nagle", "three-way handshake", "EADDRINUSE", "gbk", "threads", "JSON headers", "127.0.0.1", "resume"} {
		found := false
		for c := range covered {
			if strings.Contains(c, strings.ToLower(topic)) {
				found = true
			}
		}
		if !found {
			t.Errorf("no lesson covers %q", topic)
		}
	}
}

// A lesson with network: lab says so; the others do not, and the lessons
// that build a lab declare it (the content test then gives them labs).
func TestNetworkLab(t *testing.T) {
	ls, err := lessons.Load(fstest.MapFS{"01-a.md": {Data: []byte("---\ntitle: T\nsummary: S.\norder: 1\nnetwork: lab\n---\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if ls[0].Network != lessons.NetworkLab {
		t.Errorf("network %q, want lab", ls[0].Network)
	}
	builtin, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range builtin {
		builds := false
		for _, c := range l.Cells {
			builds = builds || strings.Contains(c.Code, "sockplay.lab(")
		}
		if builds != (l.Network == lessons.NetworkLab) {
			t.Errorf("%s: builds a lab %v, network %q", l.Slug, builds, l.Network)
		}
	}
}
