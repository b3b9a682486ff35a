package sockets_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
)

// read is a Read without its stream bookkeeping, for comparisons.
type read struct {
	Bufsize int
	Data    string
	Peek    bool
}

func (r read) String() string {
	if r.Peek {
		return fmt.Sprintf("recv(%d, MSG_PEEK)=%q", r.Bufsize, r.Data)
	}
	return fmt.Sprintf("recv(%d)=%q", r.Bufsize, r.Data)
}

func reads(rs []sockets.Read) []read {
	out := []read{}
	for _, r := range rs {
		out = append(out, read{r.Bufsize, string(r.Data), r.Peek})
	}
	return out
}

// progressLog collects the Progress reports of a RecvFrame.
type progressLog struct {
	mu sync.Mutex
	ps []sockets.Progress
	rs []*sockets.Read
}

// add records p, keeping the Read it follows apart so that Progress
// values compare with ==.
func (l *progressLog) add(p sockets.Progress) {
	l.mu.Lock()
	l.rs = append(l.rs, p.Read)
	p.Read = nil
	l.ps = append(l.ps, p)
	l.mu.Unlock()
}

func (l *progressLog) get() []sockets.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sockets.Progress{}, l.ps...)
}

// TestSendRecvFrames: three frames sent back to back stick together in the
// receive queue; RecvFrame takes them apart with exactly sized recv calls.
func TestSendRecvFrames(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := lengthF("!I")
	bodies := []string{"hello", "", "粘包 sticky"}
	total := 0
	for _, b := range bodies {
		n, e := c.SendFrame(ctx, f, []byte(b), nil)
		mustOK(t, "send_frame", e)
		if n != 4+len(b) {
			t.Errorf("SendFrame(%q): n %d, want %d", b, n, 4+len(b))
		}
		total += n
	}
	waitInQ(t, s, total)

	want := [][]read{
		{{4, "\x00\x00\x00\x05", false}, {5, "hello", false}},
		{{4, "\x00\x00\x00\x00", false}},
		{{4, "\x00\x00\x00\x0d", false}, {13, "粘包 sticky", false}},
	}
	for i, b := range bodies {
		var log progressLog
		fr, rs, e := s.RecvFrame(ctx, f, log.add)
		mustOK(t, "recv_frame", e)
		if string(fr.Body) != b || fr.Header != nil || fr.Carried != 0 {
			t.Errorf("frame %d: got body %q header %v carried %d, want %q", i, fr.Body, fr.Header, fr.Carried, b)
		}
		if got := reads(rs); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("frame %d: reads\n got %q\nwant %q", i, got, want[i])
		}
		if hex.EncodeToString(fr.Prefix) != hex.EncodeToString([]byte(want[i][0].Data)) {
			t.Errorf("frame %d: prefix %x", i, fr.Prefix)
		}
		ps := log.get()
		if len(ps) != len(rs) {
			t.Fatalf("frame %d: %d progress reports for %d reads", i, len(ps), len(rs))
		}
		for j, r := range log.rs {
			if r == nil || r.Bufsize != rs[j].Bufsize || string(r.Data) != string(rs[j].Data) {
				t.Errorf("frame %d: progress %d follows read %+v, want %+v", i, j, r, rs[j])
			}
		}
		done := sockets.Progress{Phase: "done", PrefixSize: 4, PrefixRead: 4, Declared: len(b), BodyRead: len(b), Consumed: 4 + len(b)}
		if ps[len(ps)-1] != done {
			t.Errorf("frame %d: last progress %+v, want %+v", i, ps[len(ps)-1], done)
		}
		if len(ps) == 2 {
			mid := sockets.Progress{Phase: "body", PrefixSize: 4, PrefixRead: 4, Declared: len(b), Awaiting: len(b), Consumed: 4}
			if ps[0] != mid {
				t.Errorf("frame %d: first progress %+v, want %+v", i, ps[0], mid)
			}
		}
	}
	if st := waitInQ(t, s, 0); st.InQ != 0 {
		t.Errorf("bytes left in the queue: %d", st.InQ)
	}
	// The stream bookkeeping sees the frames' reads as ordinary recvs.
	_, rs, e := func() (sockets.Frame, []sockets.Read, *sockets.Error) {
		c.SendFrame(ctx, f, []byte("x"), nil)
		return s.RecvFrame(ctx, f, nil)
	}()
	mustOK(t, "recv_frame", e)
	if rs[0].Stream != [2]int64{int64(total), int64(total + 4)} || rs[1].Stream != [2]int64{int64(total + 4), int64(total + 5)} {
		t.Errorf("stream spans: got %v %v", rs[0].Stream, rs[1].Stream)
	}
	if len(rs[0].Sends) != 1 || rs[0].Sends[0].End-rs[0].Sends[0].Start != 5 {
		t.Errorf("the prefix read should lie in one 5-byte send record, got %+v", rs[0].Sends)
	}
}

// TestRecvFrameByteAtATime: a sender that writes the frame one byte per
// send() (TCP_NODELAY, small sleeps to get separate segments) still gives
// one whole frame, and no recv ever asks past it.
func TestRecvFrameByteAtATime(t *testing.T) {
	for _, f := range []sockets.Framing{lengthF("!I"), lengthF("<H"), jsonF(""), delimF("\r\n"), fixedF(11)} {
		t.Run(f.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			c, s := tcpPair(t, sockets.AFInet)
			if _, e := c.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); e != nil {
				t.Fatal(e)
			}
			body := "hello world"
			var header map[string]any
			if f.Kind == sockets.FramingJSONHeader {
				header = map[string]any{"cmd": "echo"}
			}
			wire := mustEncode(t, f, []byte(body), header)
			sent := make(chan *sockets.Error, 1)
			go func() {
				for i := range wire {
					if _, e := c.Send(ctx, wire[i:i+1], nil); e != nil {
						sent <- e
						return
					}
					time.Sleep(time.Millisecond)
				}
				sent <- nil
			}()
			fr, rs, e := s.RecvFrame(ctx, f, nil)
			mustOK(t, "recv_frame", e)
			mustOK(t, "send", await(t, sent, "sender"))
			if string(fr.Body) != body {
				t.Errorf("body: got %q, want %q", fr.Body, body)
			}
			got := 0
			for i, r := range rs {
				if len(r.Data) == 0 || len(r.Data) > r.Bufsize {
					t.Errorf("read %d: recv(%d) returned %d bytes", i, r.Bufsize, len(r.Data))
				}
				if !r.Peek {
					if got+r.Bufsize > len(wire) {
						t.Errorf("read %d: recv(%d) after %d bytes asks past the %d-byte frame", i, r.Bufsize, got, len(wire))
					}
					got += len(r.Data)
				}
			}
			if got != len(wire) {
				t.Errorf("reads consumed %d bytes, want %d", got, len(wire))
			}
		})
	}
}

func TestRecvFrameDelimiter(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := delimF("\n")
	if _, e := c.SendAll(ctx, []byte("one\ntwo\n")); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 8)
	want := []struct {
		body  string
		reads []read
	}{
		{"one", []read{{4096, "one\ntwo\n", true}, {4, "one\n", false}}},
		{"two", []read{{4096, "two\n", true}, {4, "two\n", false}}},
	}
	for i, w := range want {
		fr, rs, e := s.RecvFrame(ctx, f, nil)
		mustOK(t, "recv_frame", e)
		if string(fr.Body) != w.body || !reflect.DeepEqual(reads(rs), w.reads) {
			t.Errorf("frame %d: got %q reads %q, want %q reads %q", i, fr.Body, reads(rs), w.body, w.reads)
		}
	}

	// "\r\n" split across two sends: the first peek has no delimiter, so its
	// bytes are taken, and the next peek finds the "\n" that ends it.
	f = delimF("\r\n")
	if _, e := c.SendAll(ctx, []byte("ab\r")); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 3)
	taken := make(chan struct{})
	var once sync.Once
	type result struct {
		fr sockets.Frame
		rs []sockets.Read
		e  *sockets.Error
	}
	done := make(chan result, 1)
	go func() {
		fr, rs, e := s.RecvFrame(ctx, f, func(p sockets.Progress) {
			if p.Consumed == 3 {
				once.Do(func() { close(taken) })
			}
		})
		done <- result{fr, rs, e}
	}()
	await(t, taken, "the first 3 bytes taken")
	if _, e := c.SendAll(ctx, []byte("\ncd\r\n")); e != nil {
		t.Fatal(e)
	}
	r := await(t, done, "recv_frame")
	mustOK(t, "recv_frame", r.e)
	wantReads := []read{{4096, "ab\r", true}, {3, "ab\r", false}, {4096, "\ncd\r\n", true}, {1, "\n", false}}
	if string(r.fr.Body) != "ab" || !reflect.DeepEqual(reads(r.rs), wantReads) {
		t.Errorf("got %q reads %q, want %q reads %q", r.fr.Body, reads(r.rs), "ab", wantReads)
	}
	fr, rs, e := s.RecvFrame(ctx, f, nil)
	mustOK(t, "recv_frame", e)
	if wantReads := []read{{4096, "cd\r\n", true}, {4, "cd\r\n", false}}; string(fr.Body) != "cd" || !reflect.DeepEqual(reads(rs), wantReads) {
		t.Errorf("got %q reads %q, want %q reads %q", fr.Body, reads(rs), "cd", wantReads)
	}
}

func TestRecvFrameJSONHeader(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := jsonF("")
	body := "total 0\n"
	n, e := c.SendFrame(ctx, f, []byte(body), map[string]any{"cmd": "ls -l"})
	mustOK(t, "send_frame", e)
	js := `{"cmd":"ls -l","data_size":8}`
	if n != 4+len(js)+len(body) {
		t.Errorf("n: got %d, want %d", n, 4+len(js)+len(body))
	}
	waitInQ(t, s, n)
	fr, rs, e := s.RecvFrame(ctx, f, nil)
	mustOK(t, "recv_frame", e)
	want := []read{{4, string([]byte{byte(len(js)), 0, 0, 0}), false}, {len(js), js, false}, {8, body, false}}
	if !reflect.DeepEqual(reads(rs), want) {
		t.Errorf("reads\n got %q\nwant %q", reads(rs), want)
	}
	if string(fr.Body) != body || string(fr.HeaderJSON) != js || !reflect.DeepEqual(fr.Header, map[string]any{"cmd": "ls -l", "data_size": json.Number("8")}) {
		t.Errorf("got body %q header %q %v", fr.Body, fr.HeaderJSON, fr.Header)
	}
}

// The two ends of seed 004, in Python, against SendFrame and RecvFrame.
const pySeed004 = `
import socket, struct, json, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
# the server side of seed 004: header length, header, data
out_res, err_res = 'total 0\n'.encode('utf8'), '粘包'.encode('utf8')
head_bytes = json.dumps({'data_size': len(out_res) + len(err_res)}).encode('utf8')
c.send(struct.pack('i', len(head_bytes)))
c.send(head_bytes)
c.send(out_res)
c.send(err_res)
# the client side of seed 004
head_struct = c.recv(4)
head_len = struct.unpack('i', head_struct)[0]
head_dic = json.loads(c.recv(head_len).decode('utf8'))
data_size = head_dic['data_size']
recv_size, recv_data = 0, b''
while recv_size < data_size:
    data = c.recv(1024)
    recv_size += len(data)
    recv_data += data
print(json.dumps(head_dic, sort_keys=True))
print(recv_data.decode('utf8'))
`

func TestRecvFrameSeed004Python(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	l, la := listener(t, sockets.AFInet)
	wait := startPython(t, pySeed004, strconv.Itoa(la.Port))
	conn, _, e := l.Accept(ctx)
	mustOK(t, "accept", e)
	defer conn.Close()

	fr, rs, e := conn.RecvFrame(ctx, jsonF(""), nil)
	mustOK(t, "recv_frame", e)
	if string(fr.Body) != "total 0\n粘包" || string(fr.HeaderJSON) != `{"data_size": 14}` || fr.Header["data_size"] != json.Number("14") {
		t.Errorf("got body %q header %q", fr.Body, fr.HeaderJSON)
	}
	consumed := 0
	for _, r := range rs {
		consumed += len(r.Data)
	}
	if consumed != 4+17+14 {
		t.Errorf("reads consumed %d bytes, want %d", consumed, 4+17+14)
	}

	_, e = conn.SendFrame(ctx, jsonF(""), []byte("回声 echo"), map[string]any{"cmd": "echo"})
	mustOK(t, "send_frame", e)
	if got, want := wait(), "{\"cmd\": \"echo\", \"data_size\": 11}\n回声 echo\n"; got != want {
		t.Errorf("python got %q, want %q", got, want)
	}
}

func TestRecvFramePeerCloses(t *testing.T) {
	tests := []struct {
		name    string
		f       sockets.Framing
		sent    string // hex
		reads   []read
		message string
		hint    string
	}{
		{"mid body", lengthF("!I"), "0000000a616263",
			[]read{{4, "\x00\x00\x00\x0a", false}, {10, "abc", false}, {7, "", false}},
			"7 bytes read on a total of 14 expected bytes",
			"The peer closed the connection (recv() returned b'') after 3 of the 10 bytes of the body (7 bytes of the frame in all)."},
		{"mid prefix", lengthF("!I"), "0000",
			[]read{{4, "\x00\x00", false}, {2, "", false}},
			"2 bytes read on a total of undefined expected bytes",
			"The peer closed the connection (recv() returned b'') after 2 of the 4 bytes of the length prefix."},
		{"between frames", lengthF("!I"), "",
			[]read{{4, "", false}},
			"0 bytes read on a total of undefined expected bytes",
			"The peer closed the connection (recv() returned b'') before a new frame began, so there are no more frames."},
		{"mid JSON header", jsonF(""), "10000000" + hex.EncodeToString([]byte(`{"data`)),
			[]read{{4, "\x10\x00\x00\x00", false}, {16, `{"data`, false}, {10, "", false}},
			"10 bytes read on a total of undefined expected bytes",
			"The peer closed the connection (recv() returned b'') after the 4-byte length prefix and 6 of the 16 bytes of the JSON header."},
		{"delimiter", delimF("\n"), hex.EncodeToString([]byte("no end")),
			[]read{{4096, "no end", true}, {6, "no end", false}, {4096, "", true}},
			"6 bytes read on a total of undefined expected bytes",
			"The peer closed the connection (recv() returned b'') after 6 bytes, before the delimiter b'\\n'."},
		{"fixed", fixedF(8), hex.EncodeToString([]byte("abc")),
			[]read{{8, "abc", false}, {5, "", false}},
			"3 bytes read on a total of 8 expected bytes",
			"The peer closed the connection (recv() returned b'') after 3 of the 8 bytes of the body."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, s := tcpPair(t, sockets.AFInet)
			if _, e := c.SendAll(ctx, unhex(t, tt.sent)); e != nil {
				t.Fatal(e)
			}
			c.Close()
			_, rs, e := s.RecvFrame(ctx, tt.f, nil)
			checkErr(t, e, wantErr{sockets.KindEOF, "", 0, "IncompleteReadError", tt.message})
			if e != nil && e.Hint != tt.hint {
				t.Errorf("hint:\n got %q\nwant %q", e.Hint, tt.hint)
			}
			if !reflect.DeepEqual(reads(rs), tt.reads) {
				t.Errorf("reads\n got %q\nwant %q", reads(rs), tt.reads)
			}
			if n := s.FramePending(); n != 0 {
				t.Errorf("FramePending: got %d, want 0 (the stream is over)", n)
			}
		})
	}
}

// TestRecvFrameInterrupted: a RecvFrame that stops part way (cancelled,
// timed out, or on a non-blocking socket) keeps what it read, and the next
// RecvFrame finishes the message with it.
func TestRecvFrameInterrupted(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *sockets.Socket)
		cancel    bool
		kind      sockets.Kind
		exception string
		message   string
	}{
		{"cancelled", nil, true, sockets.KindCancelled, "", "cancelled"},
		{"timeout", func(s *sockets.Socket) { s.SetTimeout(dur(20 * time.Millisecond)) }, false, sockets.KindTimeout, "TimeoutError", "timed out"},
		{"non-blocking", func(s *sockets.Socket) { s.SetTimeout(dur(0)) }, false, sockets.KindOS, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := tcpPair(t, sockets.AFInet)
			f := lengthF("!I")
			wire := mustEncode(t, f, []byte("0123456789"), nil)
			if _, e := c.SendAll(context.Background(), wire[:7]); e != nil {
				t.Fatal(e)
			}
			waitInQ(t, s, 7)
			if tt.setup != nil {
				tt.setup(s)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, rs, e := s.RecvFrame(ctx, f, func(p sockets.Progress) {
				if tt.cancel && p.Consumed == 7 {
					cancel()
				}
			})
			if e == nil || e.Kind != tt.kind || e.Exception != tt.exception || e.Message != tt.message {
				t.Fatalf("got %v, want %s %s: %s", e, tt.kind, tt.exception, tt.message)
			}
			if !strings.HasSuffix(e.Hint, "The 7 bytes of this frame read so far are kept, and the next frame receive on this socket continues from them.") {
				t.Errorf("hint: got %q, want it to say the 7 bytes are kept", e.Hint)
			}
			if want := []read{{4, "\x00\x00\x00\x0a", false}, {10, "012", false}}; !reflect.DeepEqual(reads(rs), want) {
				t.Errorf("reads: got %q, want %q", reads(rs), want)
			}
			if n := s.FramePending(); n != 7 {
				t.Errorf("FramePending: got %d, want 7", n)
			}

			if _, e := c.SendAll(context.Background(), wire[7:]); e != nil {
				t.Fatal(e)
			}
			waitInQ(t, s, 7)
			var log progressLog
			fr, rs, e := s.RecvFrame(context.Background(), f, log.add)
			mustOK(t, "recv_frame", e)
			if string(fr.Body) != "0123456789" || fr.Carried != 7 {
				t.Errorf("got %q carried %d, want %q carried 7", fr.Body, fr.Carried, "0123456789")
			}
			if want := []read{{7, "3456789", false}}; !reflect.DeepEqual(reads(rs), want) {
				t.Errorf("reads: got %q, want %q", reads(rs), want)
			}
			resumed := sockets.Progress{Phase: "body", PrefixSize: 4, PrefixRead: 4, Declared: 10, BodyRead: 3, Awaiting: 7, Consumed: 7}
			if ps := log.get(); len(ps) != 2 || ps[0] != resumed || log.rs[0] != nil || log.rs[1] == nil || log.rs[1].Bufsize != 7 {
				t.Errorf("progress: got %+v after reads %v, want it to start at %+v (no read), then follow recv(7)", ps, log.rs, resumed)
			}
			if n := s.FramePending(); n != 0 {
				t.Errorf("FramePending after: got %d, want 0", n)
			}
		})
	}
}

// TestRecvFrameCarriedOtherFraming: bytes kept from an interrupted '!I'
// frame are decoded with the framing of the next RecvFrame.
func TestRecvFrameCarriedOtherFraming(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	if _, e := c.SendAll(context.Background(), unhex(t, "0000000a616263")); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 7)
	s.SetTimeout(dur(0))
	if _, _, e := s.RecvFrame(context.Background(), lengthF("!I"), nil); e == nil || e.Exception != "BlockingIOError" {
		t.Fatalf("got %v, want BlockingIOError", e)
	}
	fr, rs, e := s.RecvFrame(context.Background(), fixedF(3), nil)
	mustOK(t, "recv_frame", e)
	if hex.EncodeToString(fr.Body) != "000000" || fr.Carried != 3 || len(rs) != 0 {
		t.Errorf("got %x carried %d reads %d, want 000000 carried 3 and no recv", fr.Body, fr.Carried, len(rs))
	}
	if n := s.FramePending(); n != 4 {
		t.Errorf("FramePending: got %d, want 4", n)
	}
	fr, _, e = s.RecvFrame(context.Background(), fixedF(4), nil)
	mustOK(t, "recv_frame", e)
	if hex.EncodeToString(fr.Body) != "0a616263" || fr.Carried != 4 || s.FramePending() != 0 {
		t.Errorf("got %x carried %d pending %d, want 0a616263 carried 4 pending 0", fr.Body, fr.Carried, s.FramePending())
	}
}

// TestRecvFrameOneAtATime: two RecvFrames on one socket take turns, so
// neither gets a mix of two frames even when the bytes trickle in.
func TestRecvFrameOneAtATime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	c, s := tcpPair(t, sockets.AFInet)
	f := lengthF("!I")
	type result struct {
		body string
		e    *sockets.Error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			fr, _, e := s.RecvFrame(ctx, f, nil)
			results <- result{string(fr.Body), e}
		}()
	}
	wire := append(mustEncode(t, f, []byte("first"), nil), mustEncode(t, f, []byte("second"), nil)...)
	for i := range wire {
		if _, e := c.Send(ctx, wire[i:i+1], nil); e != nil {
			t.Fatal(e)
		}
	}
	got := map[string]bool{}
	for range 2 {
		r := await(t, results, "recv_frame")
		mustOK(t, "recv_frame", r.e)
		got[r.body] = true
	}
	if !got["first"] || !got["second"] {
		t.Errorf("got %v, want first and second", got)
	}
}

func TestFrameBadRequests(t *testing.T) {
	ctx := context.Background()
	u, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, _, e := u.RecvFrame(ctx, lengthF("!I"), nil)
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "framing is for SOCK_STREAM sockets; this one is SOCK_DGRAM"})
	_, e = u.SendFrame(ctx, lengthF("!I"), []byte("x"), nil)
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "framing is for SOCK_STREAM sockets; this one is SOCK_DGRAM"})

	c, s := tcpPair(t, sockets.AFInet)
	n, e := c.SendFrame(ctx, delimF("\n"), []byte("a\nb"), nil)
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", `the body contains the delimiter b'\n' at byte 1, so the receiver would cut the message there`})
	if n != 0 {
		t.Errorf("n: got %d, want 0", n)
	}
	_, rs, e := s.RecvFrame(ctx, sockets.Framing{Kind: "length"}, nil)
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "length framing needs a struct format for its length prefix, such as '!I' (4 bytes, big-endian)"})
	if rs != nil {
		t.Errorf("reads: got %v, want none", rs)
	}
	s.Close()
	_, _, e = s.RecvFrame(ctx, lengthF("!I"), nil)
	checkErr(t, e, errEBADF)
}

// TestRecvFrameWrongByteOrder: over a real socket, the '!I' frame read as
// '<I' stops after the 4 prefix bytes, and nothing else is consumed.
func TestRecvFrameWrongByteOrder(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	if _, e := c.SendFrame(ctx, lengthF("!I"), []byte("hello"), nil); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 9)
	_, rs, e := s.RecvFrame(ctx, lengthF("<I"), nil)
	if e == nil || e.Kind != sockets.KindLimit || e.Message != "the length prefix declares a body of 83886080 bytes, more than the 16777216 allowed here" {
		t.Fatalf("got %v, want the limit error", e)
	}
	if want := []read{{4, "\x00\x00\x00\x05", false}}; !reflect.DeepEqual(reads(rs), want) {
		t.Errorf("reads: got %q, want %q", reads(rs), want)
	}
	if st := waitInQ(t, s, 5); st.InQ != 5 || s.FramePending() != 0 {
		t.Errorf("queue %d pending %d, want the 5 body bytes still queued and nothing kept", st.InQ, s.FramePending())
	}
}
