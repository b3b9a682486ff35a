package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileAndTrace: SOCKPLAY_CPUPROFILE, SOCKPLAY_TRACE and
// SOCKPLAY_HEAPPROFILE give a CPU profile (gzip-compressed pprof), an
// execution trace of what ran while they were on and a heap profile
// (pprof) as they stop; a path that cannot be written says so and the
// server runs on without one; no path, no file.
func TestProfileAndTrace(t *testing.T) {
	dir := t.TempDir()
	prof, tr, heap := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "exec.trace"), filepath.Join(dir, "heap.prof")
	var stderr bytes.Buffer
	stopProfile := startProfile(prof, &stderr)
	stopTrace := startTrace(tr, &stderr)
	stopHeap := startHeapProfile(heap, &stderr)
	sum := 0
	for i := range 1_000_000 {
		sum += i % 7
	}
	stopHeap()
	stopTrace()
	stopProfile()
	if stderr.Len() > 0 {
		t.Fatalf("stderr: %s", stderr.String())
	}
	if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("CPU profile: %d bytes, %v: want gzip-compressed pprof", len(b), err)
	}
	if b, err := os.ReadFile(tr); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("execution trace: %q…, %v: want a runtime/trace file", b[:min(len(b), 12)], err)
	}

	if b, err := os.ReadFile(heap); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("heap profile: %d bytes, %v: want gzip-compressed pprof", len(b), err)
	}

	bad := filepath.Join(dir, "no such dir", "x")
	startTrace(bad, &stderr)()
	startProfile(bad, &stderr)()
	startHeapProfile(bad, &stderr)()
	if got := stderr.String(); !strings.Contains(got, "no execution trace") || !strings.Contains(got, "no CPU profile") || !strings.Contains(got, "no heap profile") {
		t.Errorf("unwritable paths: stderr %q, want the three refusals", got)
	}
	startTrace("", &stderr)()
	startProfile("", &stderr)()
	startHeapProfile("", &stderr)()
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files in the directory, want the three written (none for the empty paths)", len(entries))
	}
	_ = sum
}
