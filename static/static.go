// Package static holds the playground's stylesheets and browser JavaScript
// (plain ES modules, no build step), embedded into the binary.
//
// The server serves FS under a prefix that names the content version, so the
// files can be cached for a long time; pages get their URLs from
// templates.Page.Asset and never spell them out. Modules import each other
// with relative paths ("./conn.js"), which resolve under that same prefix.
package static

import "embed"

// FS holds css/, js/ and favicon.svg (the site's icon, also served at
// /favicon.ico) as they are laid out in this directory.
//
//go:embed css js favicon.svg
var FS embed.FS
