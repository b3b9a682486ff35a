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

// lean is what both benchmarks' clients read of a message: the fields a
// client needs to match a result, decoded into a struct as a lean client
// would, not into maps.
type lean struct {
	Kind string `json:"kind"`
	ID   int    `json:"id"`
	OK   bool   `json:"ok"`
	Data struct {
		Size int `json:"size"`
	} `json:"data"`
}

// decodeLean reads a frame of one message or an array of them.
func decodeLean(frame []byte) ([]lean, error) {
	if len(frame) > 0 && frame[0] == '[' {
		var ms []lean
		err := json.Unmarshal(frame, &ms)
		return ms, err
	}
	var m lean
	err := json.Unmarshal(frame, &m)
	return []lean{m}, err
}

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
// real UDP sockets of one session, over a real WebSocket. The client is as
// lean as BenchmarkGorillaEcho's: it writes JSON and reads frames on its own
// goroutine. With -batch the two requests go in one frame.
func BenchmarkUDPRoundTrip(b *testing.B) {
	for _, batch := range []bool{false, true} {
		b.Run(map[bool]string{false: "frames", true: "batch"}[batch], func(b *testing.B) {
			benchUDPRoundTrip(b, batch)
		})
	}
}

func benchUDPRoundTrip(b *testing.B, batch bool) {
	srv := newServer(b, sessions.Config{})
	c := srv.dial(b)
	rx, tx := c.socket("SOCK_DGRAM"), c.socket("SOCK_DGRAM")
	to := c.bind(rx, "127.0.0.1", 0)
	c.bind(tx, "127.0.0.1", 0)
	c.conn.Close()
	conn, _, err := (&websocket.Dialer{Jar: srv.jar}).Dial(srv.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := conn.ReadMessage(); err != nil { // hello
		b.Fatal(err)
	}
	ds := make([]time.Duration, 0, b.N)
	for id := 1_000_000; b.Loop(); id += 2 {
		start := time.Now()
		recv := obj{"id": id, "op": "recvfrom", "sock": rx, "bufsize": 64}
		send := obj{"id": id + 1, "op": "sendto", "sock": tx, "data": text("ping"), "addr": to}
		if batch {
			err = conn.WriteJSON([]obj{recv, send})
		} else if err = conn.WriteJSON(recv); err == nil {
			err = conn.WriteJSON(send)
		}
		if err != nil {
			b.Fatal(err)
		}
		for done := false; !done; {
			_, frame, err := conn.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			ms, err := decodeLean(frame)
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range ms {
				if m.Kind == "result" && m.ID == id {
					if !m.OK || m.Data.Size != 4 {
						b.Fatalf("recvfrom %s", frame)
					}
					done = true
				}
			}
		}
		ds = append(ds, time.Since(start))
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
		ms, err := decodeLean(frame)
		if err != nil || len(ms) != 1 || ms[0].ID != i {
			b.Fatalf("echo %s: %v", frame, err)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, ds)
}
