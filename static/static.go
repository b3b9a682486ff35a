// Package static holds the playground's stylesheets and browser JavaScript
// (plain ES modules, no build step), embedded into the binary.
//
// The server serves FS under a prefix that names the content version, so the
// files can be cached for a long time; pages get their URLs from
// templates.Page.Asset and never spell them out. Modules import each other
// with relative paths ("./conn.js"), which resolve under that same prefix.
package static

import (
	"bytes"
	"embed"
	"fmt"
	"sync"
)

// FS holds css/, js/ and favicon.svg (the site's icon, also served at
// /favicon.ico) as they are laid out in this directory.
//
//go:embed css js favicon.svg
var FS embed.FS

// Bundle is the one stylesheet pages link: every file of Stylesheets, in
// that order, served as one file (one request, no chain of render-blocking
// stylesheets before the first paint).
const Bundle = "css/site.css"

// Stylesheets are the files of Bundle, in cascade order. A new file in css/
// must be listed here (TestBundleListsEveryStylesheet).
var Stylesheets = []string{
	"css/base.css",
	"css/workbench.css",
	"css/kernel.css",
	"css/streammap.css",
	"css/packets.css",
	"css/lessons.css",
	"css/exercises.css",
	"css/program.css",
	"css/rooms.css",
}

var bundle = sync.OnceValues(func() ([]byte, error) {
	var b bytes.Buffer
	for _, name := range Stylesheets {
		css, err := FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "/* %s */\n", name)
		b.Write(css)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
})

// ReadFile returns the named file of FS, or the stylesheet bundle for Bundle.
func ReadFile(name string) ([]byte, error) {
	if name == Bundle {
		return bundle()
	}
	return FS.ReadFile(name)
}
