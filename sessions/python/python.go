// Package python ships sockplay's Python modules inside the binary: a
// socket module (lib/socket.py) whose sockets are the sockets of a sockplay
// session, the select module that waits on them (lib/select.py), the
// sockplay helper module (lib/sockplay.py) and their private helpers
// (lib/_sockplay_*.py). A program run with Dir first on its PYTHONPATH and
// its session's channel as file descriptor 3 (SOCKPLAY_FD=3; see
// web/PROTOCOL.md, "Programs' channel") uses them instead of the standard
// library's.
package python

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

//go:embed all:lib
var lib embed.FS

var dir struct {
	once sync.Once
	path string
	err  error
}

// Dir returns the directory holding the modules, extracted once per
// process into a private temporary directory (directories 0755, files
// 0644: readable by a sandboxed program, writable by no one else).
func Dir() (string, error) {
	dir.once.Do(func() { dir.path, dir.err = extract() })
	return dir.path, dir.err
}

// Files lists the modules' file names (relative to Dir).
func Files() []string {
	var names []string
	fs.WalkDir(lib, "lib", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel("lib", path)
			names = append(names, rel)
		}
		return nil
	})
	return names
}

func extract() (string, error) {
	root, err := os.MkdirTemp("", "sockplay-python-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return "", err
	}
	err = fs.WalkDir(lib, "lib", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("lib", path)
		target := filepath.Join(root, rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if err := os.Mkdir(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, 0o755) // whatever the umask
		}
		b, err := lib.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
		return os.Chmod(target, 0o644)
	})
	if err != nil {
		os.RemoveAll(root)
		return "", err
	}
	return root, nil
}
