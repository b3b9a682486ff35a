package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The collector's headroom (GOGC) follows the live heap, unless the
// environment sets GOGC:
//
//   - a small heap (under gcSmallHeap live) is collected at gcSmallPercent:
//     a busy session's heap is a few MB, which at 200 was collected about
//     16 times a second, each time scanning the binary's 5 MB of
//     pointer-holding globals again (gopacket's decoder tables), and at
//     400 the pipelined row's CPU per op fell by about 5% (README,
//     Performance). Without those tables (the binary no longer links
//     them) 400 still does a little better: the pipelined row's CPU per
//     op against the bridge's was 0.99–1.00× with this rule, 1.00–1.02×
//     with GOGC=200 and 1.03–1.05× with GOGC=100 (2026-12-04, two runs
//     each);
//   - a large one (a class: 1,000 sessions hold about 56 MB) at
//     gcLargePercent, so that its memory stays under the 300 MB goal: at 400
//     the 60 s run of 1,000 busy sessions grew by 300 MB, at 200 by 195.
//
// gcLargeHeap is above gcSmallHeap so that a heap near one bound does not
// switch at every look.
const (
	gcSmallPercent = 400
	gcLargePercent = 200
	gcSmallHeap    = 16 << 20
	gcLargeHeap    = 24 << 20
	gcLookEvery    = time.Second
)

// gcPercentFor is the headroom for a live heap of live bytes, the current
// one being cur.
func gcPercentFor(live uint64, cur int) int {
	switch {
	case live < gcSmallHeap:
		return gcSmallPercent
	case live > gcLargeHeap:
		return gcLargePercent
	default:
		return cur
	}
}

// tuneGC sets the collector's headroom from the live heap now and every
// gcLookEvery until ctx is done.
func tuneGC(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	cur := gcSmallPercent
	debug.SetGCPercent(cur)
	t := time.NewTicker(gcLookEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // this runtime does not say: keep what is set
		}
		if p := gcPercentFor(sample[0].Value.Uint64(), cur); p != cur {
			debug.SetGCPercent(p)
			cur = p
		}
	}
}
