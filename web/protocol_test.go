package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// timeFormat is the time's layout on the wire.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// referenceEncodeMessage is encodeMessage as it was before the appenders,
// all reflection: the encoder must keep writing exactly this.
func referenceEncodeMessage(m sessions.Message) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"seq":%d,"kind":%q,"time":%q`, m.Seq, m.Kind, m.Time.Format(timeFormat))
	parts := []any{m.Body}
	if r, ok := m.Body.(sessions.ResultBody); ok && r.Fields != nil {
		parts = append(parts, r.Fields)
	}
	for _, p := range parts {
		j, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if len(j) > 2 && j[0] == '{' {
			b.WriteByte(',')
			b.Write(j[1 : len(j)-1])
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// referenceEncodeFrame is encodeFrame as it was before the appenders.
func referenceEncodeFrame(ms []sessions.Message) ([]byte, error) {
	if len(ms) == 1 {
		return referenceEncodeMessage(ms[0])
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, m := range ms {
		j, err := referenceEncodeMessage(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(j)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// checkEncode asserts that encodeMessage writes m as the reference does (or
// fails when it fails).
func checkEncode(t *testing.T, m sessions.Message) {
	t.Helper()
	want, wantErr := referenceEncodeMessage(m)
	got, err := encodeMessage(m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s %#v: error %v, want %v", m.Kind, m.Body, err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s %T:\n got %s\nwant %s", m.Kind, m.Body, got, want)
	}
}

// driver runs requests through a real session the way a connection does
// (protocol.DecodeFrame, DoBatch) and collects what it logs, so the
// results carry the very field types the session's ops produce.
type driver struct {
	t    testing.TB
	m    *sessions.Manager
	sess *sessions.Session
	sub  *sessions.Subscriber
	all  []sessions.Message
}

func newDriver(t testing.TB, cfg sessions.Config) *driver {
	m := sessions.NewManager(cfg)
	t.Cleanup(m.Close)
	sess := m.Create()
	sub, hello := sess.Attach()
	return &driver{t: t, m: m, sess: sess, sub: sub, all: []sessions.Message{*hello}}
}

// do sends one frame and returns what was logged until the frame's results
// (and waiting messages) arrived.
func (d *driver) do(frame string, results, waiting int) []sessions.Message {
	d.t.Helper()
	reqs, bads := protocol.DecodeFrame([]byte(frame))
	d.sess.DoBatch(d.sub, reqs, bads)
	var got []sessions.Message
	deadline := time.After(5 * time.Second)
	for results > 0 || waiting > 0 {
		select {
		case <-d.sub.Ready():
		case <-deadline:
			d.t.Fatalf("%s: still waiting for %d results and %d waiting messages; got %d messages", frame, results, waiting, len(got))
		}
		for _, m := range d.sub.Take(512) {
			switch m.Kind {
			case sessions.KindResult:
				results--
			case sessions.KindWaiting:
				waiting--
			}
			got = append(got, m)
		}
	}
	d.all = append(d.all, got...)
	return got
}

// await collects messages until one of kind arrives.
func (d *driver) await(kind string) {
	d.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, m := range d.all {
			if m.Kind == kind {
				return
			}
		}
		select {
		case <-d.sub.Ready():
			d.all = append(d.all, d.sub.Take(512)...)
		case <-deadline:
			d.t.Fatalf("no %s message", kind)
		}
	}
}

// field returns a field of the last result in ms, as JSON.
func (d *driver) field(ms []sessions.Message, name string) string {
	d.t.Helper()
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Kind != sessions.KindResult {
			continue
		}
		j, err := referenceEncodeMessage(ms[i])
		if err != nil {
			d.t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(j, &fields); err != nil || fields[name] == nil {
			d.t.Fatalf("no %s in %s", name, j)
		}
		return string(fields[name])
	}
	d.t.Fatalf("no result in %d messages", len(ms))
	return ""
}

// close ends the session and collects what is left, its bye included.
func (d *driver) close() {
	d.m.Close()
	<-d.sub.Done()
	d.all = append(d.all, d.sub.Take(math.MaxInt32)...)
}

// TestEncodeSessionMessages plays a session through every op whose results
// have their own appender, and more, and compares every message it logs.
func TestEncodeSessionMessages(t *testing.T) {
	d := newDriver(t, sessions.Config{LogSize: 40})
	ok := func(frame string) []sessions.Message { return d.do(frame, 1, 0) }
	ok(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`)
	ok(`{"id":2,"op":"socket","type":"SOCK_DGRAM"}`)
	a1 := d.field(ok(`{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}`), "addr")
	ok(`{"id":4,"op":"bind","sock":"s2","addr":["127.0.0.1",0]}`)
	ok(`{"id":5,"op":"sendto","sock":"s2","data":{"text":"ping"},"addr":` + a1 + `}`)
	ok(`{"id":6,"op":"recvfrom","sock":"s1","bufsize":64}`)
	// <, U+2028, a whole character, a byte that is never UTF-8, a cut one;
	// read four bytes of it: truncated.
	ok(`{"id":7,"op":"sendto","sock":"s2","data":{"hex":"3c e2 80 a8 e4 bd a0 ff e5 a5"},"addr":` + a1 + `}`)
	ok(`{"id":8,"op":"recvfrom","sock":"s1","bufsize":4}`)
	ok(`{"id":9,"op":"sendto","sock":"s2","data":{"text":"quote \" backslash \\ tab\t <&> \u2029 🎉 你好"},"addr":` + a1 + `}`)
	ok(`{"id":10,"op":"recv","sock":"s1","bufsize":64}`)
	ok(`{"id":11,"op":"encoding","encoding":"gbk"}`)
	ok(`{"id":12,"op":"sendto","sock":"s2","data":{"hex":"c4e3bac3 8120 ff c4"},"addr":` + a1 + `}`)
	ok(`{"id":13,"op":"recvfrom","sock":"s1","bufsize":64}`)
	ok(`{"id":14,"op":"encoding","encoding":"utf-8"}`)
	// The benchmark's pair, batched.
	d.do(`[{"id":15,"op":"recvfrom","sock":"s1","bufsize":64},{"id":16,"op":"sendto","sock":"s2","data":{"text":"ping"},"addr":`+a1+`}]`, 2, 0)

	// IPv6: four-element addresses.
	ok(`{"id":20,"op":"socket","family":"AF_INET6","type":"SOCK_DGRAM"}`)
	a3 := d.field(ok(`{"id":21,"op":"bind","sock":"s3","addr":["::1",0]}`), "addr")
	ok(`{"id":22,"op":"sendto","sock":"s3","data":{"text":"six"},"addr":` + a3 + `}`)
	ok(`{"id":23,"op":"recvfrom","sock":"s3","bufsize":64}`)

	// TCP: stream ranges, sends, recvfrom without an address.
	ok(`{"id":30,"op":"socket","type":"SOCK_STREAM"}`)
	a4 := d.field(ok(`{"id":31,"op":"bind","sock":"s4","addr":["127.0.0.1",0]}`), "addr")
	ok(`{"id":32,"op":"listen","sock":"s4"}`)
	ok(`{"id":33,"op":"socket","type":"SOCK_STREAM"}`)
	ok(`{"id":34,"op":"connect","sock":"s5","addr":` + a4 + `}`)
	ok(`{"id":35,"op":"accept","sock":"s4"}`)
	ok(`{"id":36,"op":"send","sock":"s5","data":{"text":"hello "}}`)
	ok(`{"id":37,"op":"sendall","sock":"s5","data":{"text":"world"}}`)
	ok(`{"id":38,"op":"recv","sock":"s6","bufsize":64}`)
	ok(`{"id":39,"op":"send","sock":"s5","data":{"text":"again"}}`)
	ok(`{"id":40,"op":"recvfrom","sock":"s6","bufsize":64}`)

	// Options and timeouts.
	ok(`{"id":50,"op":"setsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_BROADCAST","value":1}`)
	ok(`{"id":51,"op":"setsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_REUSEADDR","value":true}`)
	ok(`{"id":52,"op":"getsockopt","sock":"s1","level":"SOL_SOCKET","option":"SO_RCVBUF"}`)
	ok(`{"id":53,"op":"settimeout","sock":"s1","timeout":2.5}`)
	ok(`{"id":54,"op":"settimeout","sock":"s1","timeout":null}`)
	ok(`{"id":55,"op":"setblocking","sock":"s2","flag":false}`)
	ok(`{"id":56,"op":"getsockname","sock":"s3"}`)
	ok(`{"id":57,"op":"getpeername","sock":"s5"}`)
	ok(`{"id":58,"op":"stat","sock":"s1"}`)

	// Errors: with errno and hint, without, and ids that are not numbers.
	ok(`{"id":59,"op":"socket","type":"SOCK_STREAM"}`)
	ok(`{"id":60,"op":"bind","sock":"s7","addr":` + a4 + `}`)
	ok(`{"id":61,"op":"bind","sock":"s2","addr":["8.8.8.8",53]}`)
	ok(`{"id":62,"op":"getpeername","sock":"s1"}`)
	ok(`{"id":63,"op":"recvfrom","sock":"s1"}`)
	ok(`{"id":"abc","op":"socket"}`)
	ok(`{"op":"socket"}`)
	ok(`{"id":null,"op":"socket"}`)
	ok(`{"id": [1, 2] ,"op": "stat"}`)
	ok(`{"id":64,"op":"<b>&amp;</b>"}`)
	ok(`{"id":65,`)
	ok(`{"id":66,"op":"bind","sock":"s9","addr":"nowhere"}`)

	// Waiting, then cancelled.
	d.do(`{"id":70,"op":"recvfrom","sock":"s3","bufsize":64}`, 0, 1)
	d.do(`{"id":71,"op":"setblocking","sock":"s1","flag":true}`, 1, 0)
	d.do(`{"id":72,"op":"recv","sock":"s1","bufsize":64}`, 0, 1)
	d.do(`{"id":73,"op":"cancel","target":72}`, 2, 0)

	// A peer: its spawn result has an appender, its events do not.
	pa := d.field(ok(`{"id":80,"op":"spawn","peer":"udp-echo"}`), "addr")
	ok(`{"id":81,"op":"sendto","sock":"s1","data":{"text":"echo <me>"},"addr":` + pa + `}`)
	ok(`{"id":82,"op":"recvfrom","sock":"s1","bufsize":64}`)
	d.await(sessions.KindPeer) // logged on the peer's own time

	ok(`{"id":90,"op":"close","sock":"s6"}`)
	ok(`{"id":91,"op":"resume","after":1}`) // the log has rolled: a snapshot
	d.close()

	kinds, fields := map[string]bool{}, map[string]bool{}
	for _, m := range d.all {
		checkEncode(t, m)
		kinds[fmt.Sprintf("%T", m.Body)] = true
		if r, ok := m.Body.(sessions.ResultBody); ok {
			fields[fmt.Sprintf("%T", r.Fields)] = true
		}
	}
	for _, k := range []string{"HelloBody", "ResultBody", "WaitingBody", "SocketBody", "SnapshotBody", "ByeBody", "PeerBody"} {
		if !kinds["sessions."+k] {
			t.Errorf("no %s among the messages: %v", k, kinds)
		}
	}
	for _, f := range []string{"sendFields", "recvFields", "recvfromFields", "addrField", "valueField", "PeerFields", "<nil>"} {
		if !fields["sessions."+f] && !fields[f] {
			t.Errorf("no result with %s: %v", f, fields)
		}
	}
	// And the frames the writer sends: everything in batches of every size.
	for n := 1; n <= 7; n++ {
		for i := 0; i < len(d.all); i += n {
			checkFrame(t, d.all[i:min(i+n, len(d.all))])
		}
	}
	frame, err := encodeFrame(d.all)
	if err != nil {
		t.Fatal(err)
	}
	// What the script must have reached.
	for _, s := range []string{
		`"addr":["::1",`, `"truncated":true`, `"stream":[`, `"sends":[{"id":36,`, `"invalid":[`, `\u2028`, `\u003c`,
		`"cut":"end"`, `"encoding":"gbk"`, `"errno":"EADDRINUSE"`, `"hint":`, `"id":"abc"`, `"id":null`, `"id":[1,2]`,
		`"timeout":2.5`, `"options":{"SO_BROADCAST":1,"SO_REUSEADDR":1}`, `"raddr":null`, `"laddr":null`,
		`"kind":"waiting"`, `"error":{"type":"cancelled"`, `"kind":"snapshot"`, `"kind":"bye"`, `"kind":"peer"`,
		`"addr":null,"data":`,
	} {
		if !bytes.Contains(frame, []byte(s)) {
			t.Errorf("no %s in the session's messages", s)
		}
	}
}

func checkFrame(t *testing.T, ms []sessions.Message) {
	t.Helper()
	want, wantErr := referenceEncodeFrame(ms)
	got, err := encodeFrame(ms)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("frame of %d:\n got %s (%v)\nwant %s (%v)", len(ms), got, err, want, wantErr)
	}
	// Into a buffer that held a longer frame, as wsConn.write does.
	buf := bytes.Repeat([]byte("x"), len(want)+100)
	got, err = appendFrame(buf[:0], ms)
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("frame of %d into a used buffer:\n got %s\nwant %s", len(ms), got, want)
	}
}

// tricky are strings with everything JSON escaping has to get right.
var tricky = []string{
	"", "plain", `say "hi"`, `C:\dir\`, "a\nb\rc\td\be\ff\x00\x1f\x7f", "<b>&amp;</b>",
	"你好", "🎉👍🏽", "\u2028\u2029", "bad \xff\xfe utf8", "cut \xe4\xbd", "\xe2\x80",
}

// TestEncodeBodies covers what a session rarely or never produces: every
// body with tricky strings, odd raw values, and bodies left to encoding/json.
func TestEncodeBodies(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	v4 := sessions.Addr{A: &sockets.Addr{Host: "127.0.0.1", Port: 9000}}
	v6 := sessions.Addr{A: &sockets.Addr{Host: "fe80::1%lo", Port: 9000, FlowInfo: 1, ScopeID: 2}}
	size := 4
	var bodies []any
	for _, s := range tricky {
		bodies = append(bodies,
			sessions.ResultBody{ID: protocol.Raw(`1`), Op: s, OK: true, Sock: s, Request: protocol.Raw(`{"op":` + string(must(json.Marshal(s))) + `}`)},
			sessions.ResultBody{ID: protocol.Raw(`2`), Op: "bind", Sock: "s1", Error: &sessions.ErrorBody{Type: "os", Errno: s, Code: 98, Exception: s, Message: s, Hint: s}},
			sessions.ResultBody{ID: protocol.Raw(`3`), Op: "spawn", OK: true, Fields: sessions.PeerFields{Peer: s, Name: s, Addr: v6}},
			sessions.ResultBody{ID: protocol.Raw(`4`), Op: "encoding", OK: true, Fields: struct {
				Encoding string `json:"encoding"`
			}{s}},
			sessions.WaitingBody{ID: protocol.Raw(`5`), Op: s, Sock: s, Request: protocol.Raw(`{}`)},
			sessions.SocketBody{Sock: s, Family: sockets.Family(s), Listener: s, Options: map[string]int{s: 1, s + "x": -2}},
			sessions.HelloBody{Session: s, Protocol: sessions.Protocol, Encoding: s, Policy: sessions.PolicyInfo{Profile: s, Bind: s, Connect: s}},
			sessions.ByeBody{Reason: s},
			sessions.PeerBody{Peer: "p1", Name: s, Event: "recv", Addr: v4, Data: sessions.NewData([]byte(s), sessions.UTF8, 4), Size: &size, Fields: map[string]string{s: s}},
		)
	}
	for _, id := range []protocol.Raw{nil, protocol.Raw(`null`), protocol.Raw(`"abc"`), protocol.Raw(`-7`), protocol.Raw(` [1, {"a": 2}] `), protocol.Raw(`"<\u2028>"`)} {
		bodies = append(bodies,
			sessions.ResultBody{ID: id, Op: "recv", Error: &sessions.ErrorBody{Type: "bad_request", Message: "m"}},
			sessions.ResultBody{ID: id, Op: "x", OK: true, Request: id},
			sessions.WaitingBody{ID: id, Op: "check"},
		)
	}
	for _, timeout := range []protocol.Raw{nil, protocol.Raw(`null`), protocol.Raw(`0`), protocol.Raw(`0.25`), protocol.Raw(`1e-7`)} {
		bodies = append(bodies, sessions.SocketBody{Sock: "s1", FD: 7, Family: sockets.AFInet6, Type: sockets.SockDgram, State: sockets.Bound, Laddr: v6, Timeout: timeout})
	}
	bodies = append(bodies,
		sessions.SocketBody{Sock: "s2", Family: sockets.AFInet, Type: sockets.SockStream, State: sockets.Connected, Laddr: v4, Raddr: v4,
			Timeout: protocol.Raw(`2`), Options: map[string]int{}, ShutRD: true, ShutWR: true, Listener: "s1"},
		sessions.SnapshotBody{},
		sessions.SnapshotBody{
			Sockets: []sessions.SocketBody{{Sock: "s1", Laddr: v4}, {Sock: "s2", Raddr: v6, Options: map[string]int{"SO_BROADCAST": 1}}},
			Pending: []sessions.WaitingBody{{ID: protocol.Raw(`9`), Op: "recv", Sock: "s1"}},
			Peers:   []sessions.PeerFields{{Peer: "p1", Name: "udp-echo", Addr: v4}}, Encoding: "utf-8", FirstSeq: 10413,
		},
		// Fields that add nothing, or that the fallback has to marshal.
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "close", OK: true, Fields: struct{}{}},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", OK: true, Fields: 42},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", OK: true, Fields: (*sessions.Data)(nil)},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", OK: true, Fields: map[string]any{"z": 1, "a": []int{2}}},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", OK: true, Fields: &sessions.PeerFields{Peer: "p2"}},
		// Bodies encoding/json handles alone.
		nil, 42, struct{}{}, map[string]string{"b": "<", "a": "\u2028"},
		struct {
			X string `json:"x"`
			Y []int  `json:"y,omitempty"`
		}{X: "<x>"},
		sessions.Invalid{Offset: 1, Size: 2, Cut: "start"},
		// Bodies that fail to marshal, in both encoders.
		sessions.ResultBody{ID: protocol.Raw(`{`), Op: "x"},
		sessions.ResultBody{ID: protocol.Raw{}, Op: "x"},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", Request: protocol.Raw(`nul`)},
		sessions.ResultBody{ID: protocol.Raw(`1`), Op: "x", Fields: math.Inf(1)},
		sessions.WaitingBody{ID: protocol.Raw(`01`)},
		sessions.SocketBody{Timeout: protocol.Raw(`1 2`)},
		sessions.SnapshotBody{Pending: []sessions.WaitingBody{{ID: protocol.Raw(`x`)}}},
		struct{ F func() }{},
	)
	for i, body := range bodies {
		for _, kind := range []string{sessions.KindResult, "stat"} {
			checkEncode(t, sessions.Message{Seq: int64(i), Kind: kind, Time: at, Body: body})
		}
	}
	// Times: no milliseconds, another zone, the zero time, far years.
	for _, tm := range []time.Time{{}, at.Truncate(time.Second), at.In(time.FixedZone("X", -(5*3600 + 30*60))), time.Date(12345, 1, 1, 0, 0, 0, 1e6, time.UTC)} {
		checkEncode(t, sessions.Message{Seq: math.MaxInt64, Kind: sessions.KindBye, Time: tm, Body: sessions.ByeBody{Reason: "shutdown"}})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkEncodeMessage encodes the two results of BenchmarkUDPRoundTrip,
// taken from a real session: the sendto's and the recvfrom's (data "ping").
// reference is the encoder before the appenders, new is encodeMessage, and
// reused appends into one buffer as wsConn.write does.
func BenchmarkEncodeMessage(b *testing.B) {
	d := newDriver(b, sessions.Config{})
	d.do(`{"id":1,"op":"socket","type":"SOCK_DGRAM"}`, 1, 0)
	d.do(`{"id":2,"op":"socket","type":"SOCK_DGRAM"}`, 1, 0)
	to := d.field(d.do(`{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}`, 1, 0), "addr")
	d.do(`{"id":4,"op":"bind","sock":"s2","addr":["127.0.0.1",0]}`, 1, 0)
	ms := d.do(`[{"bufsize":64,"id":1000000,"op":"recvfrom","sock":"s1"},{"addr":`+to+`,"data":{"text":"ping"},"id":1000001,"op":"sendto","sock":"s2"}]`, 2, 0)
	msgs := map[string]sessions.Message{}
	for _, m := range ms {
		if r, ok := m.Body.(sessions.ResultBody); ok {
			msgs[r.Op] = m
		}
	}
	for _, op := range []string{"sendto", "recvfrom"} {
		m, ok := msgs[op]
		if !ok {
			b.Fatalf("no %s result", op)
		}
		b.Run(op+"/reference", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := referenceEncodeMessage(m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(op+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeMessage(m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(op+"/reused", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			batch := []sessions.Message{m}
			for b.Loop() {
				var err error
				if buf, err = appendFrame(buf[:0], batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
