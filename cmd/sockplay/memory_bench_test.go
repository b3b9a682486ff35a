package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The memory benchmarks start the real server in a child process (this test
// binary again, see TestMain) and read its resident memory from
// /proc/PID/status: VmRSS now, VmHWM its peak. They run once each:
//
//	go test -run '^$' -bench Memory -benchtime 1x ./cmd/sockplay
//
// BenchmarkMemorySessions is the many-sessions case; its size is
// set by SOCKPLAY_BENCH_SESSIONS (default 1000), SOCKPLAY_BENCH_SECONDS
// (default 60) and SOCKPLAY_BENCH_RATE (requests per second per session,
// default 10). BenchmarkMemoryBulk moves SOCKPLAY_BENCH_ROUNDS (default 200)
// MiB through one session, each a sendall of 1 MiB and a
// recv(1048576, MSG_WAITALL). With SOCKPLAY_BENCH_HEAP=FILE the sessions
// benchmark has the server write its heap profile to FILE at the end, and
// its runtime's memory figures (heap, stacks, goroutines) to stderr.

// benchServe is the environment variable that makes the test binary the
// server: its value is the server's flags, separated by spaces.
const benchServe = "SOCKPLAY_BENCH_SERVE"

func serveForBench(args []string) int {
	cfg, err := ParseFlags(args, func(string) string { return "" }, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if path := os.Getenv("SOCKPLAY_BENCH_HEAP"); path != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				if f, err := os.Create(path); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				fmt.Fprintf(os.Stderr, "server memory: heap in use %.1f MB (live after the last GC %.1f MB), stacks %.1f MB, %d goroutines, runtime overhead %.1f MB, released to the OS %.1f MB\n",
					mb(ms.HeapInuse), mb(ms.HeapAlloc), mb(ms.StackInuse), runtime.NumGoroutine(), mb(ms.MSpanInuse+ms.MCacheInuse+ms.GCSys+ms.OtherSys), mb(ms.HeapReleased))
			}
		}()
	}
	if err := run(context.Background(), cfg, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// benchServer is the server in its child process.
type benchServer struct {
	cmd  *exec.Cmd
	addr string
}

func startBenchServer(b *testing.B, flags ...string) *benchServer {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchServe+"="+strings.Join(append([]string{"--addr=127.0.0.1:0", "--data=", "--log-format=json"}, flags...), " "))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &benchServer{cmd: cmd, addr: serverAddr(b, out)}
}

// memory returns the server's VmRSS and VmHWM in MB.
func (s *benchServer) memory(b *testing.B) (rss, peak float64) {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return rss, peak
}

func (s *benchServer) dial(b *testing.B) *websocket.Conn {
	b.Helper()
	d := websocket.Dialer{HandshakeTimeout: time.Minute}
	conn, _, err := d.Dial("ws://"+s.addr+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	return conn
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkMemorySessions: many sessions, each a page that sends a small
// datagram to itself and reads it, at a steady rate. It reports the
// server's memory above its idle size at the end (rss-MB) and at its peak
// (peak-MB). Target: 1,000 sessions at 10 requests/s for 60 s stay within
// 300 MB above idle.
func BenchmarkMemorySessions(b *testing.B) {
	sessions := envInt("SOCKPLAY_BENCH_SESSIONS", 1000)
	seconds := envInt("SOCKPLAY_BENCH_SECONDS", 60)
	rate := envInt("SOCKPLAY_BENCH_RATE", 10)
	srv := startBenchServer(b)
	for range b.N {
		idle, _ := srv.memory(b)
		var wg sync.WaitGroup
		var failed atomic.Int64
		stop := make(chan struct{})
		conns := make([]*websocket.Conn, sessions)
		for i := range conns {
			conns[i] = srv.dial(b)
			defer conns[i].Close()
		}
		time.Sleep(time.Second)
		connected, _ := srv.memory(b)
		if os.Getenv("SOCKPLAY_BENCH_HEAP") != "" {
			srv.cmd.Process.Signal(syscall.SIGUSR1) // the figures with the sessions connected, before any traffic
			time.Sleep(time.Second)
		}
		for i, conn := range conns {
			wg.Go(func() { smallTraffic(conn, i, rate, stop, &failed) })
		}
		time.Sleep(time.Duration(seconds) * time.Second)
		if path := os.Getenv("SOCKPLAY_BENCH_HEAP"); path != "" {
			srv.cmd.Process.Signal(syscall.SIGUSR1) // the server writes its heap profile to path
			time.Sleep(time.Second)
		}
		rss, peak := srv.memory(b)
		close(stop)
		wg.Wait()
		if n := failed.Load(); n > 0 {
			b.Errorf("%d sessions failed", n)
		}
		b.ReportMetric(rss-idle, "rss-MB")
		b.ReportMetric(peak-idle, "peak-MB")
		b.ReportMetric(idle, "idle-MB")
		b.ReportMetric(connected-idle, "connected-MB")
		b.Logf("%d sessions, %d s at %d requests/s: idle %.0f MB, connected %.0f MB (+%.0f), now %.0f MB (+%.0f), peak %.0f MB (+%.0f)",
			sessions, seconds, rate, idle, connected, connected-idle, rss, rss-idle, peak, peak-idle)
	}
}

// smallTraffic makes a UDP socket, binds it, then alternates a sendto of a
// few bytes to itself and a recvfrom, rate requests a second, reading and
// dropping every frame the server sends.
func smallTraffic(conn *websocket.Conn, n, rate int, stop <-chan struct{}, failed *atomic.Int64) {
	frames := make(chan []byte, 64)
	go func() {
		defer close(frames)
		for {
			_, f, err := conn.ReadMessage()
			if err != nil {
				return
			}
			select {
			case frames <- f:
			default: // only the first frames are looked at
			}
		}
	}()
	write := func(s string) bool { return conn.WriteMessage(websocket.TextMessage, []byte(s)) == nil }
	// The first answers give the socket's port.
	if !write(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`) || !write(`{"id":2,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}`) {
		failed.Add(1)
		return
	}
	type bound struct {
		ID   int               `json:"id"`
		Addr []json.RawMessage `json:"addr"`
	}
	port := 0
	for f := range frames {
		var ms []bound
		if json.Unmarshal(f, &ms) != nil {
			ms = make([]bound, 1)
			json.Unmarshal(f, &ms[0])
		}
		for _, m := range ms {
			if m.ID == 2 && len(m.Addr) == 2 {
				port, _ = strconv.Atoi(string(m.Addr[1]))
			}
		}
		if port != 0 {
			break
		}
	}
	if port == 0 {
		failed.Add(1)
		return
	}
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	for id := 3; ; id++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		req := fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s1","bufsize":1024}`, id)
		if id%2 == 1 {
			req = fmt.Sprintf(`{"id":%d,"op":"sendto","sock":"s1","data":{"text":"datagram %d of page %d"},"addr":["127.0.0.1",%d]}`, id, id, n, port)
		}
		if !write(req) {
			failed.Add(1)
			return
		}
	}
}

// BenchmarkMemoryBulk: one session moves 1 MiB at a time from one TCP
// socket to another, rounds times: sendall 1 MiB, recv(1048576,
// MSG_WAITALL). It reports the server's memory above idle at the end and at
// its peak. Target: under 150 MB in all (peak-total-MB).
func BenchmarkMemoryBulk(b *testing.B) {
	rounds := envInt("SOCKPLAY_BENCH_ROUNDS", 200)
	srv := startBenchServer(b)
	for range b.N {
		idle, _ := srv.memory(b)
		conn := srv.dial(b)
		defer conn.Close()
		messages := reader(conn)
		next := func(id int) map[string]any { return readResult(b, messages, id) }
		do := func(id int, req string) map[string]any {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":%d,%s}`, id, req))); err != nil {
				b.Fatal(err)
			}
			return next(id)
		}
		do(1, `"op":"socket","type":"SOCK_STREAM"`)
		do(2, `"op":"socket","type":"SOCK_STREAM"`)
		addr := do(3, `"op":"bind","sock":"s1","addr":["127.0.0.1",0]`)["addr"].([]any)
		do(4, `"op":"listen","sock":"s1"`)
		conn.WriteMessage(websocket.TextMessage, []byte(`{"id":5,"op":"accept","sock":"s1"}`))
		do(6, fmt.Sprintf(`"op":"connect","sock":"s2","addr":["127.0.0.1",%v]`, addr[1]))
		accepted := next(5)["conn"].(string)
		payload := make([]byte, 1<<20)
		for i := range payload {
			payload[i] = byte(i)
		}
		data := base64.StdEncoding.EncodeToString(payload)
		for r := range rounds {
			id := 10 + 2*r
			send := fmt.Sprintf(`{"id":%d,"op":"sendall","sock":"s2","data":{"base64":"%s"}}`, id, data)
			recv := fmt.Sprintf(`{"id":%d,"op":"recv","sock":"%s","bufsize":1048576,"flags":["MSG_WAITALL"]}`, id+1, accepted)
			if err := conn.WriteMessage(websocket.TextMessage, []byte("["+send+","+recv+"]")); err != nil {
				b.Fatal(err)
			}
			d, _ := next(id + 1)["data"].(map[string]any)
			if got, _ := d["size"].(float64); got != 1<<20 {
				b.Fatalf("round %d: recv got %v bytes, want 1048576", r, got)
			}
		}
		rss, peak := srv.memory(b)
		b.ReportMetric(rss-idle, "rss-MB")
		b.ReportMetric(peak-idle, "peak-MB")
		b.ReportMetric(peak, "peak-total-MB")
		b.Logf("%d × 1 MiB: idle %.0f MB, now %.0f MB (+%.0f), peak %.0f MB (+%.0f)", rounds, idle, rss, rss-idle, peak, peak-idle)
	}
}

// readResult reads messages until the result for id, which must be ok, and
// returns it.
func readResult(b *testing.B, next func() (map[string]any, error), id int) map[string]any {
	b.Helper()
	for {
		m, err := next()
		if err != nil {
			b.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == float64(id) {
			if m["ok"] != true {
				b.Fatalf("request %d: %v", id, m["error"])
			}
			return m
		}
	}
}
