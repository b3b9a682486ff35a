package python

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Dir extracts the modules once, readable by all and writable by none but
// their owner, byte for byte as embedded.
func TestDir(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Dir(); again != dir {
		t.Errorf("Dir() = %s, then %s: want one directory per process", dir, again)
	}
	if st, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	} else if st.Mode().Perm() != 0o755 {
		t.Errorf("the directory's mode is %v, want 0755", st.Mode().Perm())
	}
	files := Files()
	for _, want := range []string{"socket.py", "select.py", "sockplay.py", "_sockplay_channel.py"} {
		if !slices.Contains(files, want) {
			t.Errorf("Files() = %v: no %s", files, want)
		}
	}
	for _, name := range files {
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, st.Mode().Perm())
		}
		got, _ := os.ReadFile(path)
		if string(got) != string(module(name)) {
			t.Errorf("%s differs from the embedded file", name)
		}
	}
}

// TestSharedDir: processes of one binary share one extracted directory,
// named for the user and the modules' version, and a directory under that
// name that is not exactly theirs (a module changed) is never used.
func TestSharedDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	first, _, err := extract()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(os.TempDir(), fmt.Sprintf("sockplay-python-%d-%s", os.Getuid(), libSum())); first != want {
		t.Fatalf("extracted to %s, want the shared %s", first, want)
	}
	if second, _, err := extract(); err != nil || second != first {
		t.Fatalf("a second extraction gave %s, %v: want the shared directory again", second, err)
	}
	if n, _ := filepath.Glob(filepath.Join(os.TempDir(), "sockplay-python-*")); len(n) != 1 {
		t.Errorf("after two extractions: %v, want one directory", n)
	}

	name := filepath.Join(first, "socket.py")
	if err := os.Chmod(name, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte("import os  # not ours\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(name, 0o644)
	other, private, err := extract()
	if err != nil {
		t.Fatal(err)
	}
	if other == first || !verify(other) || !private {
		t.Errorf("with the shared copy changed, extracted to %s (verified %v, private %v): want a private, whole copy", other, verify(other), private)
	}
}

// TestRestore: modules a cleaner removed, one or all with their
// directory, are put back at the same path, the shared one and a private
// one alike; with nothing missing Restore does nothing.
func TestRestore(t *testing.T) {
	if err := Restore(); err != nil { // the process's own directory, before TMPDIR moves
		t.Errorf("Restore with nothing missing: %v", err)
	}
	t.Setenv("TMPDIR", t.TempDir())
	shared, _, err := extract()
	if err != nil {
		t.Fatal(err)
	}
	private, err := extractPrivate()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		path    string
		private bool
		remove  func(path string) error
	}{
		{"one module of the shared directory", shared, false, func(p string) error { return os.Remove(filepath.Join(p, "socket.py")) }},
		{"the whole shared directory", shared, false, os.RemoveAll},
		{"the whole private directory", private, true, os.RemoveAll},
	} {
		if err := tc.remove(tc.path); err != nil {
			t.Fatal(err)
		}
		if present(tc.path) {
			t.Fatalf("%s: still present after its removal", tc.name)
		}
		if err := restore(tc.path, tc.private); err != nil || !verify(tc.path) {
			t.Errorf("%s: restore: %v, verified %v", tc.name, err, verify(tc.path))
		}
	}
	if n, _ := filepath.Glob(filepath.Join(os.TempDir(), "sockplay-python-*")); len(n) != 2 {
		t.Errorf("after the restores: %v, want the two directories alone", n)
	}
}
