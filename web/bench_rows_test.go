package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Row benchmarks are the rows of issue 10's performance table, each
// measured side by side in the same run: sockplay (the real command, a
// child process) against the minimal bridge and, where it means something,
// a plain WebSocket echo (both in a second child, bench_bridge_test.go).
// Items alternate within each round, and ratios are medians of per-round
// ratios, so a busy machine weighs on both sides alike. One iteration is
// one whole measurement: run them with
//
//	go test -run '^$' -bench Row -benchtime 1x ./web
//
// and pin client and servers to one CPU, as the figures are, with
// taskset -c 0 in front (the children inherit it; the cpus metric says how
// many CPUs the run had). Counts and durations are environment variables
// (README, Performance): the defaults keep a run near a minute; the issue's
// settings are given there.

// benchRounds is how many rounds each Row benchmark runs.
func benchRounds(b *testing.B) int { return envInt(b, "SOCKPLAY_BENCH_ROUNDS", 3) }

// benchLoad is the warm-up and measured time of one item's load round.
func benchLoad(b *testing.B) (warm, dur time.Duration) {
	return envDuration(b, "SOCKPLAY_BENCH_WARM", 300*time.Millisecond), envDuration(b, "SOCKPLAY_BENCH_DUR", time.Second)
}

// BenchmarkRowRoundTrip is one UDP datagram from one socket to another
// through each server, one at a time:
//
//   - waiting: a recvfrom waits already (its waiting message has come);
//     timed from the sendto request to the recvfrom's result;
//   - batch: [recvfrom, sendto] in one frame, to the recvfrom's result;
//   - frames: recvfrom and sendto as two frames, written back to back, to
//     the recvfrom's result (after its waiting and the sendto's result).
//
// The bridge's round trip is its sendto and the event it makes; the echo's
// is the same frame sent back.
func BenchmarkRowRoundTrip(b *testing.B) {
	trips := envInt(b, "SOCKPLAY_BENCH_TRIPS", 500)
	sp, br := startSockplay(b), startBridge(b)
	bridge, echo := bridgeItems(b, br)
	for _, mode := range []string{"waiting", "batch", "frames"} {
		b.Run(mode, func(b *testing.B) {
			reportPlacement(b)
			c, err := dialSockplay(sp)
			if err == nil {
				err = setupSockplayUDP(c)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer c.conn.Close()
			f, fw := floorConn(b, br, "/floor"), floorConn(b, br, "/floor?writer=1")
			items := []*item{{name: "sockplay", srv: sp, conns: []*benchConn{c}, trip: sockplayTrip(c, mode)},
				{name: "floor", srv: br, conns: []*benchConn{f}, trip: sockplayTrip(f, mode)},
				{name: "floor-writer", srv: br, conns: []*benchConn{fw}, trip: sockplayTrip(fw, mode)}, bridge, echo}
			for _, it := range items {
				it.rounds = nil
				tripRound(b, it, trips) // warm-up
			}
			for range b.N {
				roundRobin(b, benchRounds(b), items, func(it *item) loadStats { return tripRound(b, it, trips) })
			}
			for _, it := range items {
				all := it.all()
				b.ReportMetric(p50µs(all), it.name+"-p50-µs")
				b.ReportMetric(float64(quantile(all.lat, 0.99).Nanoseconds())/1e3, it.name+"-p99-µs")
				if it != echo {
					b.ReportMetric(cpuµsPerOp(all), it.name+"-cpu-µs/op")
				}
			}
			b.ReportMetric(ratio(items[0], bridge, p50µs), "ratio-p50")
			b.ReportMetric(ratio(items[1], bridge, p50µs), "floor/bridge-p50")
			b.ReportMetric(ratio(items[0], items[1], p50µs), "sockplay/floor-p50")
			b.ReportMetric(ratio(items[2], items[1], p50µs), "floor-writer/floor-p50")
			b.ReportMetric(ratio(bridge, echo, p50µs), "bridge/echo-p50")
		})
	}
}

// bridgeItems dials the bridge child's UDP bridge and its echo.
func bridgeItems(b *testing.B, br *child) (bridge, echo *item) {
	bc, to, err := dialBridge(br, "/bridge?proto=udp")
	if err != nil {
		b.Fatal(err)
	}
	bc.ops = bridgeUDP{to: to}
	ec, _, err := dialBridge(br, "/echo")
	if err != nil {
		b.Fatal(err)
	}
	ec.ops = bridgeUDP{to: to}
	b.Cleanup(func() { bc.conn.Close(); ec.conn.Close() })
	return &item{name: "bridge", srv: br, conns: []*benchConn{bc}, trip: bc.roundTrip},
		&item{name: "echo", srv: br, conns: []*benchConn{ec}, trip: ec.roundTrip}
}

// sockplayTrip is one timed round trip on c (see BenchmarkRowRoundTrip).
func sockplayTrip(c *benchConn, mode string) func(n uint64) (time.Duration, error) {
	o := c.ops.(sockplayUDP)
	switch mode {
	case "frames":
		return func(n uint64) (time.Duration, error) {
			start := time.Now()
			for _, r := range []request{o.recv.withID(int(2 * n)), o.send.withID(int(2*n + 1))} {
				c.out = appendRequest(c.out[:0], r)
				if err := c.write(); err != nil {
					return 0, err
				}
			}
			err := c.waitOp(n)
			return time.Since(start), err
		}
	case "waiting":
		return func(n uint64) (time.Duration, error) {
			c.out = appendRequest(c.out[:0], o.recv.withID(int(2*n)))
			if err := c.write(); err != nil {
				return 0, err
			}
			if err := c.waitKind("waiting", int(2*n)); err != nil {
				return 0, err
			}
			start := time.Now()
			c.out = appendRequest(c.out[:0], o.send.withID(int(2*n+1)))
			if err := c.write(); err != nil {
				return 0, err
			}
			err := c.waitOp(n)
			return time.Since(start), err
		}
	}
	return c.roundTrip
}

// BenchmarkRowPipelined is one session per server keeping
// SOCKPLAY_BENCH_WINDOW (64) UDP round trips in flight (sockplay: batches
// of [recvfrom, sendto]): ops/s and the server's CPU per op.
func BenchmarkRowPipelined(b *testing.B) {
	reportPlacement(b)
	window := envInt(b, "SOCKPLAY_BENCH_WINDOW", 64)
	warm, dur := benchLoad(b)
	sp, br := startSockplay(b), startBridge(b)
	c, err := dialSockplay(sp)
	if err == nil {
		err = setupSockplayUDP(c)
	}
	if err != nil {
		b.Fatal(err)
	}
	bridge, echo := bridgeItems(b, br)
	floor := &item{name: "floor", srv: br, conns: []*benchConn{floorConn(b, br, "/floor")}}
	items := []*item{{name: "sockplay", srv: sp, conns: []*benchConn{c}}, floor, bridge, echo}
	o := loadOpts{window: window, warm: warm, dur: dur}
	for range b.N {
		roundRobin(b, benchRounds(b), items, func(it *item) loadStats { return runLoad(b, it.conns, it.srv, o) })
	}
	for _, it := range items {
		b.ReportMetric(median(it.perRound(opsPerSec)), it.name+"-ops/s")
		if it != echo {
			b.ReportMetric(cpuµsPerOp(it.all()), it.name+"-cpu-µs/op")
		}
	}
	b.ReportMetric(ratio(items[0], bridge, opsPerSec), "ratio-ops/s")
	b.ReportMetric(ratio(items[0], bridge, cpuµsPerOp), "ratio-cpu")
	b.ReportMetric(ratio(floor, bridge, opsPerSec), "floor/bridge-ops/s")
	b.ReportMetric(ratio(floor, bridge, cpuµsPerOp), "floor/bridge-cpu")
}

// BenchmarkRowSessions is SOCKPLAY_BENCH_SESSIONS sessions per server (100;
// the row: 1000), each making SOCKPLAY_BENCH_RATE (10) UDP round
// trips a second at random phase: latency percentiles and CPU per op.
func BenchmarkRowSessions(b *testing.B) {
	reportPlacement(b)
	n := envInt(b, "SOCKPLAY_BENCH_SESSIONS", 100)
	rate := envInt(b, "SOCKPLAY_BENCH_RATE", 10)
	warm, dur := benchLoad(b)
	sp, br := startSockplay(b), startBridge(b)
	items := []*item{
		{name: "sockplay", srv: sp, conns: dialMany(b, n, func() (*benchConn, error) {
			c, err := dialSockplay(sp)
			if err == nil {
				err = setupSockplayUDP(c)
			}
			return c, err
		})},
		{name: "floor", srv: br, conns: dialMany(b, n, func() (*benchConn, error) {
			c, err := dialV1(br, "/floor")
			if err == nil {
				err = setupSockplayUDP(c)
			}
			return c, err
		})},
		{name: "bridge", srv: br, conns: dialMany(b, n, func() (*benchConn, error) {
			c, to, err := dialBridge(br, "/bridge?proto=udp")
			if err == nil {
				c.ops = bridgeUDP{to: to}
			}
			return c, err
		})},
	}
	o := loadOpts{window: 64, rate: float64(rate), warm: max(warm, time.Second), dur: dur, latency: true}
	var health []time.Duration // /healthz while sockplay is under the load
	for range b.N {
		roundRobin(b, benchRounds(b), items, func(it *item) loadStats {
			if it.srv != sp {
				return runLoad(b, it.conns, it.srv, o)
			}
			stop := probeHealth(sp.addr, &health)
			defer stop()
			return runLoad(b, it.conns, it.srv, o)
		})
	}
	if len(health) > 0 {
		b.ReportMetric(float64(quantile(health, 0.99).Microseconds())/1e3, "sockplay-healthz-p99-ms")
		b.ReportMetric(float64(quantile(health, 1).Microseconds())/1e3, "sockplay-healthz-max-ms")
	}
	p50ms := func(s loadStats) float64 { return float64(quantile(s.lat, 0.5).Nanoseconds()) / 1e6 }
	for _, it := range items {
		all := it.all()
		b.ReportMetric(p50ms(all), it.name+"-p50-ms")
		b.ReportMetric(p99ms(all), it.name+"-p99-ms")
		b.ReportMetric(cpuµsPerOp(all), it.name+"-cpu-µs/op")
	}
	b.ReportMetric(ratio(items[0], items[2], p99ms), "ratio-p99")
	b.ReportMetric(ratio(items[0], items[2], cpuµsPerOp), "ratio-cpu")
	b.ReportMetric(ratio(items[1], items[2], p99ms), "floor/bridge-p99")
	b.ReportMetric(ratio(items[1], items[2], cpuµsPerOp), "floor/bridge-cpu")
}

// floorConn is a session of br's protocol floor at path with the sockets
// of setupSockplayUDP, closed when b ends.
func floorConn(b *testing.B, br *child, path string) *benchConn {
	c, err := dialV1(br, path)
	if err == nil {
		err = setupSockplayUDP(c)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.conn.Close() })
	return c
}

// probeHealth asks addr's /healthz every 50 ms until stop is called,
// appending each answer's latency to lat (a failed request counts as the
// client's 5 s timeout).
func probeHealth(addr string, lat *[]time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		client := &http.Client{Timeout: 5 * time.Second}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			start := time.Now()
			resp, err := client.Get("http://" + addr + "/healthz")
			d := time.Since(start)
			if err != nil {
				d = client.Timeout
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			*lat = append(*lat, d)
		}
	})
	return func() { close(done); wg.Wait() }
}

// dialMany opens n sessions with dial, eight at a time, closing them when
// b ends.
func dialMany(b *testing.B, n int, dial func() (*benchConn, error)) []*benchConn {
	conns := make([]*benchConn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := dial()
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("session %d of %d: %v", i+1, n, err)
				}
				conns[i] = c
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	b.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.conn.Close()
			}
		}
	})
	if first != nil {
		b.Fatal(first)
	}
	return conns
}

// BenchmarkRowIdleSessions opens SOCKPLAY_BENCH_IDLE sessions (300; the
// issue's rows: 1,000 for memory, 10,000 for CPU), each a WebSocket and one
// bound UDP socket, on a fresh server, then leaves them idle: resident
// memory per session, as the growth of VmRSS from the first tenth of the
// sessions to all of them divided by the other nine tenths, and the
// server's CPU while idle over SOCKPLAY_BENCH_IDLE_DUR (3s), in % of one
// core. The bridge's sessions are /bridge?proto=udp&socks=1: a WebSocket
// and socket B waiting in its reader.
func BenchmarkRowIdleSessions(b *testing.B) {
	reportPlacement(b)
	n := envInt(b, "SOCKPLAY_BENCH_IDLE", 300)
	// Each session is two descriptors in the server (the connection and
	// the socket) and one here.
	if most := (fileLimit() - 200) / 2; n > most {
		b.Logf("%d sessions need more open files than the limit (%d) allows: measuring %d", n, fileLimit(), most)
		n = most
	}
	idle := envDuration(b, "SOCKPLAY_BENCH_IDLE_DUR", 3*time.Second)
	b.ReportMetric(float64(n), "sessions")
	type result struct{ rssKB, cpuPct float64 }
	measure := func(srv *child, dial func() (*benchConn, error)) result {
		first := max(1, n/10)
		conns := dialMany(b, first, dial)
		time.Sleep(time.Second)
		rss0 := srv.rssKB(b)
		conns = append(conns, dialMany(b, n-first, dial)...)
		time.Sleep(time.Second)
		rss1 := srv.rssKB(b)
		cpu0 := srv.cpu(b)
		time.Sleep(idle)
		cpu1 := srv.cpu(b)
		for _, c := range conns {
			c.conn.Close()
		}
		srv.stop()
		return result{float64(rss1-rss0) / float64(max(1, n-first)), 100 * (cpu1 - cpu0).Seconds() / idle.Seconds()}
	}
	var sp, br result
	for range b.N {
		s := startSockplay(b)
		sp = measure(s, func() (*benchConn, error) {
			c, err := dialSockplay(s)
			var r []msg
			if err == nil {
				r, err = c.calls(obj{"op": "socket", "type": "SOCK_DGRAM"})
			}
			if err == nil {
				_, err = c.calls(obj{"op": "bind", "sock": r[0].str("sock"), "addr": []any{"127.0.0.1", 0}})
			}
			return c, err
		})
		g := startBridge(b)
		br = measure(g, func() (*benchConn, error) {
			c, _, err := dialBridge(g, "/bridge?proto=udp&socks=1")
			return c, err
		})
	}
	b.ReportMetric(sp.rssKB, "sockplay-rss-kB/session")
	b.ReportMetric(br.rssKB, "bridge-rss-kB/session")
	b.ReportMetric(sp.rssKB/br.rssKB, "ratio-rss")
	b.ReportMetric(sp.cpuPct, "sockplay-idle-cpu-%")
	b.ReportMetric(br.cpuPct, "bridge-idle-cpu-%")
}

// BenchmarkRowBulkTCP moves 64 KiB chunks over a TCP connection between
// two sockets of one session, SOCKPLAY_BENCH_BULK_WINDOW (4) chunks in
// flight: sockplay (batches of [sendall, recv]), the bridge (send A → B,
// B's reader sends what it reads), and raw loopback (this process writing
// 64 KiB and reading it back, no WebSocket): GB/s and the server's CPU
// seconds per GB.
func BenchmarkRowBulkTCP(b *testing.B) {
	reportPlacement(b)
	const chunk = 64 << 10
	window := envInt(b, "SOCKPLAY_BENCH_BULK_WINDOW", 4)
	warm, dur := benchLoad(b)
	sp, br := startSockplay(b), startBridge(b)
	c, err := dialSockplay(sp)
	if err == nil {
		err = setupSockplayTCP(c, chunk)
	}
	if err != nil {
		b.Fatal(err)
	}
	bc, _, err := dialBridge(br, "/bridge?proto=tcp")
	if err != nil {
		b.Fatal(err)
	}
	bc.ops = bridgeTCP{chunk: strings.Repeat("x", chunk)}
	items := []*item{{name: "sockplay", srv: sp, conns: []*benchConn{c}}, {name: "bridge", srv: br, conns: []*benchConn{bc}}, {name: "loopback"}}
	o := loadOpts{window: window, warm: warm, dur: dur}
	for range b.N {
		roundRobin(b, benchRounds(b), items, func(it *item) loadStats {
			if it.srv == nil {
				return loopbackBulk(b, chunk, warm+dur)
			}
			return runLoad(b, it.conns, it.srv, o)
		})
	}
	for _, it := range items {
		b.ReportMetric(median(it.perRound(gbPerSec)), it.name+"-GB/s")
		if it.srv != nil {
			b.ReportMetric(cpuSecPerGB(it.all()), it.name+"-cpu-s/GB")
		}
	}
	b.ReportMetric(ratio(items[0], items[1], gbPerSec), "ratio-GB/s")
	b.ReportMetric(ratio(items[0], items[1], cpuSecPerGB), "ratio-cpu")
}

// loopbackBulk writes chunks over a loopback TCP connection for dur while
// a goroutine reads them: the floor of the bulk row.
func loopbackBulk(b *testing.B, chunk int, dur time.Duration) loadStats {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	w, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	r, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	read := make(chan int64)
	go func() {
		n, _ := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, chunk))
		read <- n
	}()
	buf := make([]byte, chunk)
	start := time.Now()
	for time.Since(start) < dur {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	n := <-read
	return loadStats{bytes: n, dur: time.Since(start)}
}
