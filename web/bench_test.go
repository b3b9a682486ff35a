package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"
	"golang.org/x/sys/unix"

	"sockplay/sessions"
)

// The round-trip benchmarks run each client twice:
//
//   - lean: requests are prepared JSON with the id filled in, and frames are
//     parsed with fastjson for the fields the client matches on. This is the
//     client whose costs stay out of the way (a browser's JSON.parse is
//     native code), so the numbers show what the server adds.
//   - encoding/json: requests are maps written with WriteJSON and frames are
//     decoded into a struct with encoding/json. On slow cores its reflection
//     costs the client as much as the whole echo round trip, more the larger
//     the frame.
//
// Both benchmarks use the same two clients, so each pair compares like with
// like.

// roundTripClient writes requests and recognises the answer it waits for.
type roundTripClient interface {
	// write sends the requests (in one frame if several).
	write(conn *websocket.Conn, reqs ...request) error
	// answer reports whether frame holds the successful result with id and
	// data of size bytes (size < 0: any result with that id).
	answer(frame []byte, id, size int) (bool, error)
}

// request is a request template: JSON of an object without its id, e.g.
// `"op":"recvfrom","sock":"s1","bufsize":64`, and the same as a map.
type request struct {
	id     int
	fields string
	obj    obj
}

func newRequest(fields obj) request {
	j, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	return request{fields: string(j[1 : len(j)-1]), obj: fields}
}

func (r request) withID(id int) request { r.id = id; return r }

// appendRequest appends r as a JSON object.
func appendRequest(dst []byte, r request) []byte {
	dst = strconv.AppendInt(append(dst, `{"id":`...), int64(r.id), 10)
	return append(append(append(dst, ','), r.fields...), '}')
}

// leanClient appends requests into one reused buffer and parses frames with
// one reused fastjson parser.
type leanClient struct {
	buf []byte
	p   fastjson.Parser
}

func (c *leanClient) write(conn *websocket.Conn, reqs ...request) error {
	b := c.buf[:0]
	if len(reqs) > 1 {
		b = append(b, '[')
	}
	for i, r := range reqs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRequest(b, r)
	}
	if len(reqs) > 1 {
		b = append(b, ']')
	}
	c.buf = b
	return conn.WriteMessage(websocket.TextMessage, b)
}

func (c *leanClient) answer(frame []byte, id, size int) (bool, error) {
	v, err := c.p.ParseBytes(frame)
	if err != nil {
		return false, err
	}
	ms := []*fastjson.Value{v}
	if v.Type() == fastjson.TypeArray {
		ms = v.GetArray()
	}
	for _, m := range ms {
		if string(m.GetStringBytes("kind")) != "result" && m.Get("kind") != nil || m.GetInt("id") != id {
			continue
		}
		if size >= 0 && (!m.GetBool("ok") || m.GetInt("size") != size) {
			return false, fmt.Errorf("unexpected answer %s", m)
		}
		return true, nil
	}
	return false, nil
}

// jsonClient writes maps with WriteJSON and decodes frames into lean structs
// with encoding/json.
type jsonClient struct{}

// lean is what jsonClient reads of a message.
type lean struct {
	Kind string `json:"kind"`
	ID   int    `json:"id"`
	OK   bool   `json:"ok"`
	Size int    `json:"size"`
}

func (jsonClient) write(conn *websocket.Conn, reqs ...request) error {
	objs := make([]obj, len(reqs))
	for i, r := range reqs {
		o := obj{"id": r.id}
		for k, v := range r.obj {
			o[k] = v
		}
		objs[i] = o
	}
	if len(objs) == 1 {
		return conn.WriteJSON(objs[0])
	}
	return conn.WriteJSON(objs)
}

func (jsonClient) answer(frame []byte, id, size int) (bool, error) {
	var ms []lean
	if len(frame) > 0 && frame[0] == '[' {
		if err := json.Unmarshal(frame, &ms); err != nil {
			return false, err
		}
	} else {
		var m lean
		if err := json.Unmarshal(frame, &m); err != nil {
			return false, err
		}
		ms = []lean{m}
	}
	for _, m := range ms {
		if m.Kind != "result" && m.Kind != "" || m.ID != id {
			continue
		}
		if size >= 0 && (!m.OK || m.Size != size) {
			return false, fmt.Errorf("unexpected answer %s", frame)
		}
		return true, nil
	}
	return false, nil
}

var clients = []struct {
	name string
	new  func() roundTripClient
}{
	{"lean", func() roundTripClient { return &leanClient{} }},
	{"encoding-json", func() roundTripClient { return jsonClient{} }},
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

// roundTrips times b.N round trips: each writes the requests made by reqs
// and reads frames until the answer with id want arrives.
func roundTrips(b *testing.B, conn *websocket.Conn, c roundTripClient, batch bool, reqs func(id int) ([]request, int, int)) {
	ds := make([]time.Duration, 0, b.N)
	var in bytes.Buffer // frames are read into one reused buffer
	for id := 1_000_000; b.Loop(); id += 2 {
		start := time.Now()
		rs, want, size := reqs(id)
		var err error
		if batch {
			err = c.write(conn, rs...)
		} else {
			for _, r := range rs {
				if err = c.write(conn, r); err != nil {
					break
				}
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		for done := false; !done; {
			_, r, err := conn.NextReader()
			if err != nil {
				b.Fatal(err)
			}
			in.Reset()
			if _, err := in.ReadFrom(r); err != nil {
				b.Fatal(err)
			}
			if done, err = c.answer(in.Bytes(), want, size); err != nil {
				b.Fatal(err)
			}
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, ds)
}

// BenchmarkUDPRoundTrip measures one datagram through the playground: a
// recvfrom request, a sendto request, and the recvfrom's result, between two
// real UDP sockets of one session, over a real WebSocket. "frames" writes
// the two requests as two frames without waiting in between (the recvfrom
// waits in the kernel, so the client reads its waiting message, the
// sendto's result and then the recvfrom's); "batch" writes both in one frame
// and gets both results in one frame.
func BenchmarkUDPRoundTrip(b *testing.B) {
	for _, batch := range []bool{false, true} {
		for _, cl := range clients {
			name := map[bool]string{false: "frames", true: "batch"}[batch] + "/" + cl.name
			b.Run(name, func(b *testing.B) { benchUDPRoundTrip(b, batch, cl.new()) })
		}
	}
}

func benchUDPRoundTrip(b *testing.B, batch bool, c roundTripClient) {
	srv := newServer(b, sessions.Config{})
	setup := srv.dial(b)
	rx, tx := setup.socket("SOCK_DGRAM"), setup.socket("SOCK_DGRAM")
	to := setup.bind(rx, "127.0.0.1", 0)
	setup.bind(tx, "127.0.0.1", 0)
	setup.conn.Close()
	conn, _, err := (&websocket.Dialer{Jar: srv.jar}).Dial(srv.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := conn.ReadMessage(); err != nil { // hello
		b.Fatal(err)
	}
	recv := newRequest(obj{"op": "recvfrom", "sock": rx, "bufsize": 64})
	send := newRequest(obj{"op": "sendto", "sock": tx, "data": text("ping"), "addr": to})
	roundTrips(b, conn, c, batch, func(id int) ([]request, int, int) {
		return []request{recv.withID(id), send.withID(id + 1)}, id, 4
	})
}

// BenchmarkGorillaEcho is the floor for comparison: the same clients against
// a plain gorilla WebSocket echo server, one request and its echo per
// iteration.
func BenchmarkGorillaEcho(b *testing.B) {
	url := gorillaServer(b, func(conn *websocket.Conn) {
		for {
			typ, frame, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if conn.WriteMessage(typ, frame) != nil {
				return
			}
		}
	})
	for _, cl := range clients {
		b.Run(cl.name, func(b *testing.B) {
			conn := dialGorilla(b, url)
			req := newRequest(obj{"op": "recvfrom", "sock": "s1", "bufsize": 64})
			roundTrips(b, conn, cl.new(), false, func(id int) ([]request, int, int) {
				return []request{req.withID(id)}, id, -1
			})
		})
	}
}

// BenchmarkFloorUDP is what no server can beat on this machine: a gorilla
// server that, for each frame, makes the round trip's two system calls on
// two raw UDP sockets (a sendto and a recvmsg, no poller, no JSON) and
// answers with a canned frame the size of sockplay's answer. The client is
// BenchmarkUDPRoundTrip's; the gap between the two is what sockplay's own
// work costs.
func BenchmarkFloorUDP(b *testing.B) {
	rx, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(rx)
	tx, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(tx)
	if err := unix.Bind(rx, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	to, err := unix.Getsockname(rx)
	if err != nil {
		b.Fatal(err)
	}
	// An answer shaped like sockplay's to the batch: these pieces with the
	// ids in between.
	answer := []string{
		`[{"seq":10,"kind":"result","time":"2026-11-22T02:26:22.915Z","id":`,
		`,"op":"sendto","ok":true,"sock":"s2","request":{"addr":["127.0.0.1",52924],"data":{"text":"ping"},"id":`,
		`,"op":"sendto","sock":"s2"},"n":4,"addr":["127.0.0.1",43945]},{"seq":11,"kind":"result","time":"2026-11-22T02:26:22.915Z","id":`,
		`,"op":"recvfrom","ok":true,"sock":"s1","request":{"bufsize":64,"id":`,
		`,"op":"recvfrom","sock":"s1"},"addr":["127.0.0.1",43945],"data":{"size":4,"hex":"70696e67","text":"ping","encoding":"utf-8"},"truncated":false,"size":4}]`,
	}
	url := gorillaServer(b, func(conn *websocket.Conn) {
		buf := make([]byte, 64)
		var out []byte
		for id := 1_000_000; ; id += 2 {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
			if err := unix.Sendto(tx, []byte("ping"), 0, to); err != nil {
				panic(err)
			}
			if _, _, _, _, err := unix.Recvmsg(rx, buf, nil, unix.MSG_TRUNC); err != nil {
				panic(err)
			}
			out = out[:0]
			for i, id := range []int{id + 1, id + 1, id, id} {
				out = strconv.AppendInt(append(out, answer[i]...), int64(id), 10)
			}
			out = append(out, answer[4]...)
			if conn.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	})
	conn := dialGorilla(b, url)
	recv := newRequest(obj{"op": "recvfrom", "sock": "s1", "bufsize": 64})
	send := newRequest(obj{"op": "sendto", "sock": "s2", "data": text("ping"), "addr": []any{"127.0.0.1", 52924}})
	roundTrips(b, conn, &leanClient{}, true, func(id int) ([]request, int, int) {
		return []request{recv.withID(id), send.withID(id + 1)}, id, 4
	})
}

// gorillaServer runs serve for each connection to a plain gorilla WebSocket
// server and returns the server's ws:// URL.
func gorillaServer(b *testing.B, serve func(*websocket.Conn)) string {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		serve(conn)
	}))
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialGorilla(b *testing.B, url string) *websocket.Conn {
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}
