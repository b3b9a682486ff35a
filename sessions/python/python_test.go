package python

import (
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
		want, _ := lib.ReadFile("lib/" + filepath.ToSlash(name))
		if string(got) != string(want) {
			t.Errorf("%s differs from the embedded file", name)
		}
	}
}
