package web_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadOpts is how runLoad drives its sessions.
type loadOpts struct {
	window    int           // ops in flight per session (a cap when paced)
	rate      float64       // ops per second per session, random phase; 0: as many as the window allows
	warm, dur time.Duration // warm-up, then the measured time
	latency   bool          // record each op's latency (ops with a number)
}

// loadStats is what one runLoad measured, over its measured time only.
type loadStats struct {
	ops, bytes int64
	dur        time.Duration
	cpu        time.Duration // the server child's CPU time
	lat        []time.Duration
}

// runLoad drives every session with its ops for o.warm + o.dur: each keeps
// up to o.window ops in flight, paced at o.rate if set. It counts the ops
// and bytes completed and the server's CPU time within o.dur, and the
// latency (write to completion) of ops both started and completed within
// it. Then every session sends a last op and drains its answers, so the
// sessions can be used again.
func runLoad(b *testing.B, conns []*benchConn, srv *child, o loadOpts) loadStats {
	base := time.Now()
	now := func() int64 { return int64(time.Since(base)) }
	var from, to atomic.Int64 // the measured time, ns since base
	from.Store(1 << 62)
	to.Store(1 << 62)
	var ops, bytes atomic.Int64
	var stop atomic.Bool
	var mu sync.Mutex
	var lat []time.Duration
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.load(o, now, &from, &to, &stop, &ops, &bytes)
			if err != nil {
				errs <- err
			}
			mu.Lock()
			lat = append(lat, l...)
			mu.Unlock()
		}()
	}
	time.Sleep(o.warm)
	ops0, bytes0, cpu0, t0 := ops.Load(), bytes.Load(), srv.cpu(b), now()
	from.Store(t0)
	time.Sleep(o.dur)
	ops1, bytes1, cpu1, t1 := ops.Load(), bytes.Load(), srv.cpu(b), now()
	to.Store(t1)
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("%s: %v", srv.name, err)
	}
	return loadStats{ops: ops1 - ops0, bytes: bytes1 - bytes0, dur: time.Duration(t1 - t0), cpu: cpu1 - cpu0, lat: lat}
}

// load is runLoad's part for one session: a sender (this goroutine) and a
// receiver goroutine sharing a window of in-flight ops.
func (c *benchConn) load(o loadOpts, now func() int64, from, to *atomic.Int64, stop *atomic.Bool, ops, bytes *atomic.Int64) ([]time.Duration, error) {
	window := make(chan struct{}, o.window) // one token per op in flight
	started := make([]atomic.Int64, 4*o.window)
	var sent atomic.Int64 // ops written, the last one included
	var last atomic.Bool  // the last op has been counted in sent
	var lat []time.Duration
	recvErr := make(chan error, 1)
	go func() {
		var got, pending int64 // ops completed; bytes towards the next (opBytes)
		per := int64(c.ops.opBytes())
		for !last.Load() || got < sent.Load() {
			ms, err := c.read()
			if err != nil {
				recvErr <- err
				return
			}
			for _, m := range ms {
				err := c.ops.completed(m, func(n uint64, nb int) {
					bytes.Add(int64(nb))
					done := int64(1)
					if per > 0 {
						pending += int64(nb)
						done, pending = pending/per, pending%per
					}
					if n > 0 && o.latency {
						if st, t := started[n%uint64(len(started))].Load(), now(); st >= from.Load() && t <= to.Load() {
							lat = append(lat, time.Duration(t-st))
						}
					}
					for range done {
						got++
						ops.Add(1)
						<-window
					}
				})
				if err != nil {
					recvErr <- err
					return
				}
			}
		}
		recvErr <- nil
	}()
	var next time.Time
	var gap time.Duration
	if o.rate > 0 {
		gap = time.Duration(float64(time.Second) / o.rate)
		next = time.Now().Add(rand.N(gap))
	}
	for {
		if o.rate > 0 {
			time.Sleep(time.Until(next))
			next = next.Add(gap)
		}
		select {
		case window <- struct{}{}:
		case err := <-recvErr: // the receiver has ended, with an error
			return lat, fmt.Errorf("receiving: %v", err)
		}
		c.n++
		started[c.n%uint64(len(started))].Store(now())
		final := stop.Load()
		sent.Add(1)
		if final {
			last.Store(true)
		}
		c.out = c.ops.frame(c.out[:0], c.n)
		if err := c.write(); err != nil {
			return lat, err
		}
		if final {
			break
		}
	}
	// The receiver ends once the answers to every op sent have come.
	select {
	case err := <-recvErr:
		return lat, err
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%d of %d ops unanswered 30s after the end", len(window), sent.Load())
	}
}

// An item is one server (and its sessions) measured in a Row benchmark.
type item struct {
	name  string
	srv   *child
	conns []*benchConn
	// trip, for round-trip rows, makes one timed round trip (op n).
	trip func(n uint64) (time.Duration, error)

	rounds []loadStats // one per round, in order
}

// roundRobin measures every item once per round, rotating which goes
// first, so that the machine's changing load falls on all of them alike.
func roundRobin(b *testing.B, rounds int, items []*item, measure func(it *item) loadStats) {
	for r := range rounds {
		for k := range items {
			it := items[(k+r)%len(items)]
			t0 := time.Now()
			st := measure(it)
			it.rounds = append(it.rounds, st)
			b.Logf("round %d %s (from %s): %d ops in %v, %.1f µs CPU/op%s", r, it.name, t0.Format("15:04:05.000"), st.ops, st.dur.Round(time.Millisecond), cpuµsPerOp(st), latencies(st.lat))
		}
	}
}

// latencies describes a round's latencies for its log line (none: "").
func latencies(lat []time.Duration) string {
	if len(lat) == 0 {
		return ""
	}
	lat = slices.Clone(lat)
	return fmt.Sprintf(", p50 %v p99 %v max %v", quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 1))
}

// tripRound times n round trips of it (with the server's CPU time).
func tripRound(b *testing.B, it *item, n int) loadStats {
	st := loadStats{lat: make([]time.Duration, 0, n)}
	cpu0, t0 := it.srv.cpu(b), time.Now()
	for range n {
		it.conns[0].n++
		d, err := it.trip(it.conns[0].n)
		if err != nil {
			b.Fatalf("%s: %v", it.name, err)
		}
		st.lat = append(st.lat, d)
	}
	st.dur, st.cpu, st.ops = time.Since(t0), it.srv.cpu(b)-cpu0, int64(n)
	return st
}

// quantile is the q-quantile of ds (sorting ds).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// all merges the item's rounds.
func (it *item) all() loadStats {
	var t loadStats
	for _, r := range it.rounds {
		t.ops += r.ops
		t.bytes += r.bytes
		t.dur += r.dur
		t.cpu += r.cpu
		t.lat = append(t.lat, r.lat...)
	}
	return t
}

// perRound is f of each round.
func (it *item) perRound(f func(loadStats) float64) []float64 {
	var out []float64
	for _, r := range it.rounds {
		out = append(out, f(r))
	}
	return out
}

// ratio is the median over rounds of f(a's round) / f(b's round): paired
// within a round, so that the machine's load at the time cancels out.
func ratio(a, b *item, f func(loadStats) float64) float64 {
	var q []float64
	for i := range min(len(a.rounds), len(b.rounds)) {
		if d := f(b.rounds[i]); d != 0 {
			q = append(q, f(a.rounds[i])/d)
		}
	}
	return median(q)
}

func p50µs(s loadStats) float64 { return float64(quantile(s.lat, 0.50).Nanoseconds()) / 1e3 }
func p99ms(s loadStats) float64 { return float64(quantile(s.lat, 0.99).Nanoseconds()) / 1e6 }
func opsPerSec(s loadStats) float64 {
	return float64(s.ops) / s.dur.Seconds()
}
func cpuµsPerOp(s loadStats) float64 {
	return float64(s.cpu.Nanoseconds()) / 1e3 / float64(max(1, s.ops))
}
func gbPerSec(s loadStats) float64 { return float64(s.bytes) / s.dur.Seconds() / 1e9 }
func cpuSecPerGB(s loadStats) float64 {
	return s.cpu.Seconds() / (float64(max(1, s.bytes)) / 1e9)
}
