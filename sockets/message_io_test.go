package sockets_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
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

// progressLog collects the Progress reports of a RecvMessage.
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

// TestSendRecvMessages: three messages sent back to back stick together in the
// receive queue; RecvMessage takes them apart with exactly sized recv calls.
func TestSendRecvMessages(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := lengthF("!I")
	bodies := []string{"hello", "", "粘包 sticky"}
	total := 0
	for _, b := range bodies {
		n, e := c.SendMessage(ctx, f, []byte(b), nil, sockets.CallOptions{})
		mustOK(t, "send_frame", e)
		if n != 4+len(b) {
			t.Errorf("SendMessage(%q): n %d, want %d", b, n, 4+len(b))
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
		fr, rs, e := s.RecvMessage(ctx, f, log.add, sockets.CallOptions{})
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
	// The stream bookkeeping sees the messages' reads as ordinary recvs.
	_, rs, e := func() (sockets.Message, []sockets.Read, *sockets.Error) {
		c.SendMessage(ctx, f, []byte("x"), nil, sockets.CallOptions{})
		return s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
	}()
	mustOK(t, "recv_frame", e)
	if rs[0].Stream != [2]int64{int64(total), int64(total + 4)} || rs[1].Stream != [2]int64{int64(total + 4), int64(total + 5)} {
		t.Errorf("stream spans: got %v %v", rs[0].Stream, rs[1].Stream)
	}
	if len(rs[0].Sends) != 1 || rs[0].Sends[0].End-rs[0].Sends[0].Start != 5 {
		t.Errorf("the prefix read should lie in one 5-byte send record, got %+v", rs[0].Sends)
	}
}

// TestRecvMessageByteAtATime: a sender that writes the message one byte per
// send() (TCP_NODELAY, small sleeps to get separate segments) still gives
// one whole message, and no recv ever asks past it.
func TestRecvMessageByteAtATime(t *testing.T) {
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
					if _, e := c.Send(ctx, wire[i:i+1], nil, sockets.CallOptions{}); e != nil {
						sent <- e
						return
					}
					time.Sleep(time.Millisecond)
				}
				sent <- nil
			}()
			fr, rs, e := s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
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

func TestRecvMessageDelimiter(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := delimF("\n")
	if _, e := c.SendAll(ctx, []byte("one\ntwo\n"), sockets.CallOptions{}); e != nil {
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
		fr, rs, e := s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
		mustOK(t, "recv_frame", e)
		if string(fr.Body) != w.body || !reflect.DeepEqual(reads(rs), w.reads) {
			t.Errorf("frame %d: got %q reads %q, want %q reads %q", i, fr.Body, reads(rs), w.body, w.reads)
		}
	}

	// "\r\n" split across two sends: the first peek has no delimiter, so its
	// bytes are taken, and the next peek finds the "\n" that ends it.
	f = delimF("\r\n")
	if _, e := c.SendAll(ctx, []byte("ab\r"), sockets.CallOptions{}); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 3)
	taken := make(chan struct{})
	var once sync.Once
	type result struct {
		fr sockets.Message
		rs []sockets.Read
		e  *sockets.Error
	}
	done := make(chan result, 1)
	go func() {
		fr, rs, e := s.RecvMessage(ctx, f, func(p sockets.Progress) {
			if p.Consumed == 3 {
				once.Do(func() { close(taken) })
			}
		}, sockets.CallOptions{})

		done <- result{fr, rs, e}
	}()
	await(t, taken, "the first 3 bytes taken")
	if _, e := c.SendAll(ctx, []byte("\ncd\r\n"), sockets.CallOptions{}); e != nil {
		t.Fatal(e)
	}
	r := await(t, done, "recv_frame")
	mustOK(t, "recv_frame", r.e)
	wantReads := []read{{4096, "ab\r", true}, {3, "ab\r", false}, {4096, "\ncd\r\n", true}, {1, "\n", false}}
	if string(r.fr.Body) != "ab" || !reflect.DeepEqual(reads(r.rs), wantReads) {
		t.Errorf("got %q reads %q, want %q reads %q", r.fr.Body, reads(r.rs), "ab", wantReads)
	}
	fr, rs, e := s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	if wantReads := []read{{4096, "cd\r\n", true}, {4, "cd\r\n", false}}; string(fr.Body) != "cd" || !reflect.DeepEqual(reads(rs), wantReads) {
		t.Errorf("got %q reads %q, want %q reads %q", fr.Body, reads(rs), "cd", wantReads)
	}
}

func TestRecvMessageJSONHeader(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	f := jsonF("")
	body := "total 0\n"
	n, e := c.SendMessage(ctx, f, []byte(body), map[string]any{"cmd": "ls -l"}, sockets.CallOptions{})
	mustOK(t, "send_frame", e)
	js := `{"cmd":"ls -l","data_size":8}`
	if n != 4+len(js)+len(body) {
		t.Errorf("n: got %d, want %d", n, 4+len(js)+len(body))
	}
	waitInQ(t, s, n)
	fr, rs, e := s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	want := []read{{4, string([]byte{byte(len(js)), 0, 0, 0}), false}, {len(js), js, false}, {8, body, false}}
	if !reflect.DeepEqual(reads(rs), want) {
		t.Errorf("reads\n got %q\nwant %q", reads(rs), want)
	}
	if string(fr.Body) != body || string(fr.HeaderJSON) != js || !reflect.DeepEqual(fr.Header, map[string]any{"cmd": "ls -l", "data_size": json.Number("8")}) {
		t.Errorf("got body %q header %q %v", fr.Body, fr.HeaderJSON, fr.Header)
	}
}

// The two ends of seed 004, in Python, against SendMessage and RecvMessage.
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

func TestRecvMessageSeed004Python(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	l, la := listener(t, sockets.AFInet)
	wait := startPython(t, pySeed004, strconv.Itoa(la.Port))
	conn, _, e := l.Accept(ctx, sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer conn.Close()

	fr, rs, e := conn.RecvMessage(ctx, jsonF(""), nil, sockets.CallOptions{})
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

	_, e = conn.SendMessage(ctx, jsonF(""), []byte("回声 echo"), map[string]any{"cmd": "echo"}, sockets.CallOptions{})
	mustOK(t, "send_frame", e)
	if got, want := wait(), "{\"cmd\": \"echo\", \"data_size\": 11}\n回声 echo\n"; got != want {
		t.Errorf("python got %q, want %q", got, want)
	}
}
