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
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

//go:embed all:lib
var lib embed.FS

var dir struct {
	once    sync.Once
	path    string
	private bool // path is this process's own copy (the shared name was held)
	err     error

	restoring sync.Mutex // one Restore at a time
}

// Dir returns the directory holding the modules (directories 0755, files
// 0644: readable by a sandboxed program, writable by no one else). They
// are extracted once per version and user, into the temporary directory
// named for both (sockplay-python-UID-SUM), which every later process of
// the same binary finds and checks instead of extracting a copy of its own
// (one per process was left behind, since nothing removes it); when that
// name is held by anything else (another owner, other permissions or
// contents), the process extracts into a private directory instead.
func Dir() (string, error) {
	dir.once.Do(func() {
		dir.path, dir.private, dir.err = extract()
	})
	return dir.path, dir.err
}

// Restore puts the modules back in Dir's directory if something has
// removed any of them since, and reports why it could not. A server runs
// for weeks, and cleaners of the temporary directory (systemd-tmpfiles
// removes what nobody touched for ten days) then took the modules from
// under it: every program failed to start until the server restarted.
// It costs one Lstat per module when nothing is missing; the directory's
// path stays what Dir gave.
func Restore() error {
	path, err := Dir()
	if err != nil {
		return err
	}
	if present(path) {
		return nil
	}
	dir.restoring.Lock()
	defer dir.restoring.Unlock()
	if verify(path) { // another Restore, or another process, was first
		return nil
	}
	return restore(path, dir.private)
}

// present reports whether every module is still in dir (not whether it
// is as extracted: what removes files does not change them).
func present(dir string) bool {
	for _, name := range Files() {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// restore extracts the modules into path again: a fresh copy renamed to
// it, in place of what is left there if that is this user's own.
func restore(path string, private bool) error {
	if _, err := os.Lstat(path); err == nil {
		if !ownedWith(path, fs.ModeDir|0o755) {
			return fmt.Errorf("sockplay's Python modules are missing from %s, which is no longer this user's directory: restart sockplay", path)
		}
		if err := os.RemoveAll(path); err != nil {
			return err
		}
	}
	root, err := extractPrivate()
	if err != nil {
		return err
	}
	if err := os.Rename(root, path); err != nil {
		os.RemoveAll(root)
		if !private && verify(path) { // another process restored the shared one meanwhile
			return nil
		}
		return fmt.Errorf("sockplay's Python modules could not be put back in %s: %v", path, err)
	}
	return nil
}

// Release removes the directory Dir gave, if it is this process's own
// copy, for a process that is done with it (sockplay run, as it ends). The
// shared directory stays: a server of the same version on this machine,
// or the next sockplay run, uses it, and removing it under a running
// server made its programs fail to start (bwrap: "Can't find source
// path").
func Release() {
	if dir.private {
		os.RemoveAll(dir.path)
	}
}

// sharedName is the shared directory's path for this user and version.
func sharedName() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("sockplay-python-%d-%s", os.Getuid(), libSum()))
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

// extract finds or makes the modules' directory (see Dir); private says
// it is this process's own copy, not the shared one.
func extract() (path string, private bool, err error) {
	shared := sharedName()
	if verify(shared) {
		return shared, false, nil
	}
	root, err := extractPrivate()
	if err != nil {
		return "", false, err
	}
	if os.Rename(root, shared) == nil {
		return shared, false, nil
	}
	if verify(shared) { // another process extracted it meanwhile
		os.RemoveAll(root)
		return shared, false, nil
	}
	return root, true, nil
}

// libSum names the modules' version: a hash of their names and contents.
func libSum() string {
	h := sha256.New()
	for _, name := range Files() {
		b := module(name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// verify reports whether dir holds the modules as extract writes them:
// a directory (not a link) of this user's, mode 0755, with every module a
// regular file of this user's, mode 0644, holding exactly its contents.
func verify(dir string) bool {
	if !ownedWith(dir, fs.ModeDir|0o755) {
		return false
	}
	for _, name := range Files() {
		path := filepath.Join(dir, name)
		if !ownedWith(filepath.Dir(path), fs.ModeDir|0o755) || !ownedWith(path, 0o644) {
			return false
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, module(name)) {
			return false
		}
	}
	return true
}

// module is the embedded module name (one of Files).
func module(name string) []byte {
	b, _ := lib.ReadFile("lib/" + filepath.ToSlash(name))
	return b
}

// ownedWith reports whether path (not followed if a link) is this user's
// and has exactly mode.
func ownedWith(path string, mode fs.FileMode) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode() != mode {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// extractPrivate writes the modules into a new private temporary
// directory.
func extractPrivate() (string, error) {
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
