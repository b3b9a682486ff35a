package static_test

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"sockplay/static"
)

// importRE finds the relative module specifiers of static imports.
var importRE = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]`)

// jsFiles returns every embedded module with its source.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(static.FS, "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		b, err := fs.ReadFile(static.FS, name)
		files[name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no JavaScript embedded")
	}
	return files
}

// TestImportsResolve checks that every relative import names an embedded file,
// since there is no build step to catch a typo.
func TestStaticImportsResolve(t *testing.T) {
	for name, src := range jsFiles(t) {
		for _, m := range importRE.FindAllStringSubmatch(src, -1) {
			target := path.Join(path.Dir(name), m[1])
			if _, err := fs.Stat(static.FS, target); err != nil {
				t.Errorf("%s imports %s: %v", name, m[1], err)
			}
		}
	}
}

// TestNoMarkupFromStrings keeps payload and server text out of the HTML
// parser: the modules build the DOM with elements and text nodes only.
func TestStaticNoMarkupFromStrings(t *testing.T) {
	forbidden := regexp.MustCompile(`\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write\(`)
	for name, src := range jsFiles(t) {
		if loc := forbidden.FindStringIndex(src); loc != nil {
			t.Errorf("%s: %q parses a string as HTML", name, src[loc[0]:loc[1]])
		}
	}
}

// namedImportRE finds `import { a, b as c } from './x.js'` (and the same
// with export … from).
var namedImportRE = regexp.MustCompile(`(?m)^\s*(?:import|export)\s*\{([^}]*)\}\s*from\s+['"](\.[^'"]+)['"]`)

// exportedNames returns the names a module exports.
func exportedNames(src string) map[string]bool {
	names := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)`)
	for _, m := range decl.FindAllStringSubmatch(src, -1) {
		names[m[1]] = true
	}
	list := regexp.MustCompile(`(?m)^export\s*\{([^}]*)\}`)
	for _, m := range list.FindAllStringSubmatch(src, -1) {
		for _, part := range strings.Split(m[1], ",") {
			if f := strings.Fields(part); len(f) > 0 {
				names[f[len(f)-1]] = true // "a" or "a as b"
			}
		}
	}
	return names
}

// TestStaticNamedImportsExist checks that every name a module imports is
// exported by the module it names: without a build step, a missing export
// only shows as a page whose script never starts.
func TestStaticNamedImportsExist(t *testing.T) {
	files := jsFiles(t)
	for name, src := range files {
		for _, m := range namedImportRE.FindAllStringSubmatch(src, -1) {
			target := path.Join(path.Dir(name), m[2])
			exports := exportedNames(files[target])
			for _, part := range strings.Split(m[1], ",") {
				f := strings.Fields(part)
				if len(f) == 0 {
					continue
				}
				if !exports[f[0]] {
					t.Errorf("%s imports %s from %s, which does not export it", name, f[0], m[2])
				}
			}
		}
	}
}

// TestBundleListsEveryStylesheet: the bundle pages link holds every file of
// css/, each once and whole, in the listed order.
func TestBundleListsEveryStylesheet(t *testing.T) {
	files, err := fs.Glob(static.FS, "css/*.css")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, name := range static.Stylesheets {
		listed[name]++
	}
	for _, name := range files {
		if listed[name] != 1 {
			t.Errorf("%s is listed %d times in static.Stylesheets", name, listed[name])
		}
	}
	if len(static.Stylesheets) != len(files) {
		t.Errorf("static.Stylesheets has %d names, css/ %d files", len(static.Stylesheets), len(files))
	}
	b, err := static.ReadFile(static.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	rest := string(b)
	for _, name := range static.Stylesheets {
		css, _ := fs.ReadFile(static.FS, name)
		i := strings.Index(rest, string(css))
		if len(css) == 0 || i < 0 {
			t.Fatalf("%s is not in the bundle after the files before it", name)
		}
		rest = rest[i+len(css):]
	}
}
