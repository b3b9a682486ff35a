package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// reportLatency reports the median and 99th percentile of ds.
func reportLatency(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 { return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkUDPRoundTrip measures one datagram through the playground: a
// recvfrom request, a sendto request, and the recvfrom's result, between two
// real UDP sockets of one session, over a real WebSocket.
func BenchmarkUDPRoundTrip(b *testing.B) {
	srv := newServer(b, sessions.Config{})
	c := srv.dial(b)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	to := c.bind(rx, "127.0.0.1", 0)
	c.bind(tx, "127.0.0.1", 0)
	recv := obj{"sock": rx, "bufsize": 64}
	send := obj{"sock": tx, "data": text("ping"), "addr": to}
	ds := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		id := c.send("recvfrom", recv)
		c.send("sendto", send)
		if r := c.wait("result", id); !r.ok() || r.obj("data").num("size") != 4 {
			b.Fatalf("recvfrom %v", r)
		}
		ds = append(ds, time.Since(start))
		c.forget() // keep the history from growing with b.N
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkGorillaEcho is the floor for comparison: the same client pattern
// (a JSON request, a JSON reply decoded loosely) against a plain gorilla
// echo server, one round trip per iteration.
func BenchmarkGorillaEcho(b *testing.B) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			typ, frame, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if conn.WriteMessage(typ, frame) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := obj{"op": "recvfrom", "sock": "s1", "bufsize": 64}
	ds := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		req["id"] = i
		if err := conn.WriteJSON(req); err != nil {
			b.Fatal(err)
		}
		_, frame, err := conn.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		var m msg
		if err := json.Unmarshal(frame, &m); err != nil || m.num("id") != i {
			b.Fatalf("echo %s: %v", frame, err)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, ds)
}
