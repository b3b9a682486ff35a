package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches /metrics and parses it as Prometheus' text format.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the value of the sample of family name whose labels are those
// given ("k=v" pairs); ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// wsDo sends req on conn and returns its result (skipping other messages).
func wsDo(t *testing.T, read func() (map[string]any, error), conn *websocket.Conn, req map[string]any) map[string]any {
	t.Helper()
	if err := conn.WriteJSON(req); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := read()
		if err != nil {
			t.Fatalf("waiting for the result of %v: %v", req, err)
		}
		if m["kind"] == "result" && m["id"] == float64(req["id"].(int)) {
			return m
		}
	}
}

// TestMetrics drives a session over a real WebSocket and reads the figures
// back from /metrics: the live session and socket, the ops by op and
// outcome with their latencies, the bytes both ways, and a limit hit.
func TestMetrics(t *testing.T) {
	s := startRun(t, Config{})
	before := scrape(t, s.addr)
	if v, ok := value(before, "sockplay_sessions"); !ok || v != 0 {
		t.Fatalf("sockplay_sessions before any session: %v (present %v), want 0", v, ok)
	}

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := reader(conn)
	if hello, err := read(); err != nil || hello["kind"] != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}
	wsDo(t, read, conn, map[string]any{"id": 1, "op": "socket", "type": "SOCK_DGRAM"})
	bound := wsDo(t, read, conn, map[string]any{"id": 2, "op": "bind", "sock": "s1", "addr": []any{"127.0.0.1", 0}})
	if bound["ok"] != true {
		t.Fatalf("bind: %v", bound)
	}
	sent := wsDo(t, read, conn, map[string]any{"id": 3, "op": "sendto", "sock": "s1", "data": map[string]any{"text": "hello"}, "addr": bound["addr"]})
	got := wsDo(t, read, conn, map[string]any{"id": 4, "op": "recvfrom", "sock": "s1", "bufsize": 1024})
	if sent["ok"] != true || got["ok"] != true {
		t.Fatalf("sendto %v, recvfrom %v", sent, got)
	}
	limited := wsDo(t, read, conn, map[string]any{"id": 5, "op": "recvfrom", "sock": "s1", "bufsize": 64 << 20})
	if limited["ok"] != false {
		t.Fatalf("recvfrom of 64 MiB: %v, want a limit error", limited)
	}
	wsDo(t, read, conn, map[string]any{"id": 6, "op": "no-such-op"})

	fams := scrape(t, s.addr)
	for _, tt := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sockplay_sessions", nil, 1},
		{"sockplay_sessions_started_total", nil, 1},
		{"sockplay_sockets", nil, 1},
		{"sockplay_ops_total", []string{"op=socket", "outcome=ok"}, 1},
		{"sockplay_ops_total", []string{"op=sendto", "outcome=ok"}, 1},
		{"sockplay_ops_total", []string{"op=recvfrom", "outcome=ok"}, 1},
		{"sockplay_ops_total", []string{"op=recvfrom", "outcome=limit"}, 1},
		{"sockplay_ops_total", []string{"op=other", "outcome=bad_request"}, 1},
		{"sockplay_op_seconds", []string{"op=recvfrom"}, 2}, // the histogram's count
		{"sockplay_op_seconds", []string{"op=bind"}, 1},
		{"sockplay_bytes_total", []string{"direction=out"}, 5},
		{"sockplay_bytes_total", []string{"direction=in"}, 5},
		{"sockplay_limit_hits_total", []string{"limit=bufsize"}, 1},
		{"sockplay_limit_hits_total", []string{"limit=sockets"}, 0},
		{"sockplay_pages_dropped_total", nil, 0},
	} {
		if v, ok := value(fams, tt.name, tt.labels...); !ok || v != tt.want {
			t.Errorf("%s%v: got %v (present %v), want %v", tt.name, tt.labels, v, ok, tt.want)
		}
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Error("no process_resident_memory_bytes")
	}
	if h := fams["sockplay_op_seconds"]; h == nil || h.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("sockplay_op_seconds is %v, want a histogram", h.GetType())
	}
}

// TestLogJSON runs the command with --log-format json: every line it
// writes is one JSON object, and each HTTP request (a WebSocket once it
// has ended) is exactly one line with its method, path, status and
// duration. A session's end is logged with its totals.
func TestLogJSON(t *testing.T) {
	s := startRun(t, Config{LogFormat: "json"})
	base := "http://" + s.addr
	requests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/workbench", 200},
		{"HEAD", "/", 200},
		{"GET", "/no-such-page", 404},
	}
	for _, r := range requests {
		req, _ := http.NewRequest(r.method, base+r.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	read := reader(conn)
	read()
	wsDo(t, read, conn, map[string]any{"id": 1, "op": "socket"})
	// The handler has long returned (the connection runs in goroutines of
	// its own), but the line waits for the connection's end.
	if strings.Contains(s.out.String(), `"path":"/ws"`) {
		t.Errorf("the WebSocket's line was written while it is open:\n%s", s.out.String())
	}
	conn.Close()
	requests = append(requests, struct {
		method, path string
		status       int
	}{"GET", "/ws", 101})

	// The WebSocket's line is written once the server has seen it close.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(s.out.String(), `"path":"/ws"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no line for the WebSocket after it closed:\n%s", s.out.String())
		}
	}
	s.stop(t)

	seen := map[string]int{}
	var ended bool
	sc := bufio.NewScanner(strings.NewReader(s.out.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if line["msg"] == "session end" {
			ended = line["ops"] == 1.0 && line["sockets"] == 1.0
		}
		if line["msg"] != "http" {
			continue
		}
		if _, ok := line["duration"].(float64); !ok {
			t.Errorf("line %s: no numeric duration", sc.Text())
		}
		key := fmt.Sprintf("%v %v %v", line["method"], line["path"], line["status"])
		seen[key]++
	}
	for _, r := range requests {
		if key := fmt.Sprintf("%s %s %d", r.method, r.path, r.status); seen[key] != 1 {
			t.Errorf("%s: %d lines, want 1; lines by method, path and status: %v", key, seen[key], seen)
		}
	}
	if !ended {
		t.Errorf("no session end line with ops 1 and sockets 1:\n%s", s.out.String())
	}
}

func TestParseLogFormat(t *testing.T) {
	env := map[string]string{"SOCKPLAY_LOG_FORMAT": "json"}
	cfg, err := ParseFlags(nil, func(k string) string { return env[k] }, nil)
	if err != nil || cfg.LogFormat != "json" {
		t.Errorf("SOCKPLAY_LOG_FORMAT=json: got %q, %v", cfg.LogFormat, err)
	}
	if _, err := ParseFlags([]string{"--log-format", "xml"}, func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("--log-format xml: err %v, want one naming --log-format", err)
	}
}
