package sockets_test

import (
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"sockplay/sockets"
)

// TestPyBytesMatchesPython: PyBytes writes what Python's repr() of the same
// bytes writes, quotes and escapes included.
func TestPyBytesMatchesPython(t *testing.T) {
	inputs := []string{
		"", "hello", "it's", `say "hi"`, `it's "both"`, `back\slash`, "\t\n\r", "\x00\x01\x1f",
		"\x7f\x80\xff", "'", `"`, "你好", "a\\'b",
	}
	hexes := make([]string, len(inputs))
	for i, in := range inputs {
		hexes[i] = hex.EncodeToString([]byte(in))
	}
	script := "import sys\nfor h in sys.argv[1:]:\n    print(repr(bytes.fromhex(h)))\n"
	out, err := exec.Command(python(t), append([]string{"-c", script}, hexes...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(want) != len(inputs) {
		t.Fatalf("python3 printed %d lines for %d inputs:\n%s", len(want), len(inputs), out)
	}
	for i, in := range inputs {
		if got := sockets.PyBytes([]byte(in)); got != want[i] {
			t.Errorf("PyBytes(%q): got %s, want %s", in, got, want[i])
		}
	}
}

func TestPyBytesCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 5, "b'hello'"},
		{"hello", 10, "b'hello'"},
		{"hello!", 5, "b'hello'…"},
		{"it's here", 4, `b"it's"…`},
		{"", 0, "b''"},
		{"\n\n", 1, `b'\n'…`},
	}
	for _, tt := range tests {
		if got := sockets.PyBytesCut([]byte(tt.in), tt.max); got != tt.want {
			t.Errorf("PyBytesCut(%q, %d): got %s, want %s", tt.in, tt.max, got, tt.want)
		}
	}
}
