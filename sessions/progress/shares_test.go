package progress_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sockplay/sessions/progress"
)

// TestShare keeps programs and reads them back, also after a reopen; ids
// differ and have the documented form; bad input is an InputError.
func TestShare(t *testing.T) {
	dir := t.TempDir()
	s, c := open(t, dir)
	ctx := context.Background()
	code := "import socket\nprint('你好')\n"
	id, err := s.Share(ctx, "server.py", code)
	must(t, err)
	id2, err := s.Share(ctx, "server.py", code)
	must(t, err)
	if id == id2 || !progress.ValidShareID(id) || !progress.ValidShareID(id2) {
		t.Errorf("ids %q and %q: want two different ids of 26 base32 characters", id, id2)
	}
	must(t, s.Close())
	s, _ = open(t, dir)
	got, err := s.Shared(ctx, id)
	must(t, err)
	if got.ID != id || got.Name != "server.py" || got.Code != code || !got.Created.Equal(c.Now()) {
		t.Errorf("Shared = %+v, want server.py with the code, created %v", got, c.Now())
	}
	for _, missing := range []string{strings.Repeat("A", 26), "not-an-id", "", id + "A"} {
		if _, err := s.Shared(ctx, missing); !errors.Is(err, progress.ErrNoShare) {
			t.Errorf("Shared(%q): %v, want ErrNoShare", missing, err)
		}
	}
	for _, tc := range []struct{ name, code, want string }{
		{"server.py", "", "empty"},
		{"../etc/passwd", "x", "not a file name"},
		{"", "x", "not a file name"},
		{"a.py", strings.Repeat("x", progress.MaxShare+1), "at most 65536 bytes"},
		{"a.py", "\xff", "UTF-8"},
	} {
		_, err := s.Share(ctx, tc.name, tc.code)
		var bad *progress.InputError
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Share(%q, %d bytes): %v, want an InputError saying %q", tc.name, len(tc.code), err, tc.want)
		}
	}
	if _, err := s.Share(ctx, "a.py", strings.Repeat("x", progress.MaxShare)); err != nil {
		t.Errorf("a program of exactly MaxShare bytes: %v", err)
	}
}
