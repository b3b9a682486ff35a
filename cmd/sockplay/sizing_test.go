package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkSizing measures what a deployment needs per session, on the
// real command run as its own process (so the figures are the server's
// alone, read from /proc/PID): it opens sizingSessions sessions, each with
// two UDP sockets that exchange one datagram, then has them all make b.N
// round trips in total (a recvfrom and a sendto in one frame, as a page
// does), then leaves them idle for a while.
//
//	go test -run '^$' -bench Sizing -benchtime 20000x ./cmd/sockplay
//
// It reports the RSS each fresh session adds, the RSS each adds once it
// has made its share of the round trips (its log fills), the server's CPU
// time per round trip, and the CPU an idle session costs (its stat poll).
func BenchmarkSizing(b *testing.B) {
	const sizingSessions = 200
	bin := filepath.Join(b.TempDir(), "sockplay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", "", "--log-format", "json", "--max-sockets", "8")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	addr := serverAddr(b, stdout)
	pid := cmd.Process.Pid

	// One session first, so what is allocated once is out of the figures.
	conns := []*sizingConn{dialSizing(b, addr)}
	time.Sleep(time.Second)
	rss0 := procRSS(b, pid)
	for range sizingSessions - 1 {
		conns = append(conns, dialSizing(b, addr))
	}
	time.Sleep(time.Second)
	rss1 := procRSS(b, pid)

	b.ResetTimer()
	cpu0 := procCPU(b, pid)
	var wg sync.WaitGroup
	per := max(b.N/len(conns), 1)
	for _, c := range conns {
		wg.Go(func() {
			for range per {
				c.roundTrip(b)
			}
		})
	}
	wg.Wait()
	cpuOps := procCPU(b, pid) - cpu0
	b.StopTimer()
	time.Sleep(time.Second)
	rss2 := procRSS(b, pid)

	const idle = 5 * time.Second
	cpu1 := procCPU(b, pid)
	time.Sleep(idle)
	cpuIdle := procCPU(b, pid) - cpu1

	n := float64(len(conns) - 1)
	b.ReportMetric(float64(rss1-rss0)/n/1024, "fresh-KiB/session")
	b.ReportMetric(float64(rss2-rss0)/n/1024, "used-KiB/session")
	b.ReportMetric(float64(cpuOps.Microseconds())/float64(per*len(conns)), "server-CPU-µs/roundtrip")
	b.ReportMetric(100*cpuIdle.Seconds()/idle.Seconds()/float64(len(conns)), "idle-CPU-%/session")
	b.ReportMetric(float64(per*2+4), "ops/session")
}

// serverAddr reads the command's JSON log until its "sockplay serving" line.
func serverAddr(b *testing.B, r interface{ Read([]byte) (int, error) }) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "sockplay serving" {
			go func() {
				for sc.Scan() { // keep the pipe drained
				}
			}()
			return strings.TrimSuffix(strings.TrimPrefix(line.URL, "http://"), "/")
		}
	}
	b.Fatal("the command did not say where it serves")
	return ""
}

// sizingConn is one session with two bound UDP sockets, s1 and s2.
type sizingConn struct {
	conn *websocket.Conn
	to   []any // s2's address
	id   int
}

func dialSizing(b *testing.B, addr string) *sizingConn {
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &sizingConn{conn: conn}
	c.do(b, `{"id":1,"op":"socket","type":"SOCK_DGRAM"}`, 1)
	c.do(b, `{"id":2,"op":"socket","type":"SOCK_DGRAM"}`, 2)
	c.do(b, `{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}`, 3)
	r := c.do(b, `{"id":4,"op":"bind","sock":"s2","addr":["127.0.0.1",0]}`, 4)
	c.to, c.id = r["addr"].([]any), 4
	c.roundTrip(b)
	return c
}

// roundTrip sends a datagram from s1 to s2 and receives it: the recvfrom
// and the sendto in one frame.
func (c *sizingConn) roundTrip(b *testing.B) {
	c.id += 2
	frame := fmt.Sprintf(`[{"id":%d,"op":"recvfrom","sock":"s2","bufsize":64},{"id":%d,"op":"sendto","sock":"s1","data":{"hex":"68656c6c6f"},"addr":["%s",%v]}]`,
		c.id, c.id+1, c.to[0], c.to[1])
	c.do(b, frame, c.id)
}

// do writes frame and reads until the result with id; it must be ok.
func (c *sizingConn) do(b *testing.B, frame string, id int) map[string]any {
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		b.Fatal(err)
	}
	for {
		_, in, err := c.conn.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		var ms []map[string]any
		if in[0] != '[' {
			in = append(append([]byte{'['}, in...), ']')
		}
		if err := json.Unmarshal(in, &ms); err != nil {
			b.Fatal(err)
		}
		for _, m := range ms {
			if m["kind"] == "result" && m["id"] == float64(id) {
				if m["ok"] != true {
					b.Fatalf("%s: %v", frame, m)
				}
				return m
			}
		}
	}
}

// procRSS is the process's resident set in bytes.
func procRSS(b *testing.B, pid int) int64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(s)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// procCPU is the CPU time (user and system) the process has used.
func procCPU(b *testing.B, pid int) time.Duration {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name (in parentheses): utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(s[strings.LastIndexByte(string(s), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
