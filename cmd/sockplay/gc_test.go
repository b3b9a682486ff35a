package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live      uint64
		cur, want int
	}{
		{0, gcLargePercent, gcSmallPercent},
		{3 << 20, gcLargePercent, gcSmallPercent},
		{gcSmallHeap - 1, gcLargePercent, gcSmallPercent},
		{20 << 20, gcSmallPercent, gcSmallPercent}, // between the bounds: as it was
		{20 << 20, gcLargePercent, gcLargePercent},
		{gcLargeHeap + 1, gcSmallPercent, gcLargePercent},
		{56 << 20, gcSmallPercent, gcLargePercent},
	} {
		if got := gcPercentFor(c.live, c.cur); got != c.want {
			t.Errorf("live %d MB, now %d: %d, want %d", c.live>>20, c.cur, got, c.want)
		}
	}
}

// gcPercent is the collector's headroom now.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTuneGC: the running server's collector gets the small heap's
// headroom, and the large heap's once the live heap grows past
// gcLargeHeap (the runtime's own figure, after a collection).
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(gcPercent())
	debug.SetGCPercent(100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tuneGC(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitPercent := func(want int, during func()) {
		t.Helper()
		deadline := time.Now().Add(20 * gcLookEvery)
		for gcPercent() != want {
			if time.Now().After(deadline) {
				t.Fatalf("GOGC %d, want %d", gcPercent(), want)
			}
			during()
			time.Sleep(gcLookEvery / 10)
		}
	}
	waitPercent(gcSmallPercent, func() {})
	live := make([][]byte, 0, 64) // 32 MB kept live
	for range 64 {
		live = append(live, make([]byte, 512<<10))
	}
	waitPercent(gcLargePercent, func() { runtime.GC() })
	runtime.KeepAlive(live)
	waitPercent(gcSmallPercent, func() { runtime.GC() })
}
