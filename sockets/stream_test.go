package sockets_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"sockplay/sockets"
)

// tagged are the options of a send whose record is tagged with tag.
func tagged(tag string) sockets.CallOptions { return sockets.CallOptions{Tag: tag} }

type span struct {
	index      int
	start, end int64
	tag        any
}

func spans(rs []sockets.SendRecord) []span {
	var out []span
	for _, r := range rs {
		out = append(out, span{r.Index, r.Start, r.End, r.Tag})
	}
	return out
}

// Two sends read late come back as one chunk that names both.
func TestStreamMapSticky(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	var recs []sockets.SendRecord
	opts := tagged("A")
	opts.OnSent = func(r sockets.SendRecord) { recs = append(recs, r) }
	if _, e := c.Send(context.Background(), []byte("hello"), nil, opts); e != nil {
		t.Fatal(e)
	}
	if _, e := c.Send(context.Background(), []byte("world"), nil, sockets.CallOptions{Tag: "B", OnSent: func(r sockets.SendRecord) { recs = append(recs, r) }}); e != nil {
		t.Fatal(e)
	}
	if got, want := spans(recs), []span{{1, 0, 5, "A"}, {2, 5, 10, "B"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("send records %v, want %v", got, want)
	}
	waitInQ(t, s, 10)
	r, e := s.Recv(context.Background(), 1024, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != "helloworld" || r.Stream != [2]int64{0, 10} {
		t.Fatalf("recv %q stream %v, want \"helloworld\" [0 10]", r.Data, r.Stream)
	}
	if got, want := spans(r.Sends), []span{{1, 0, 5, "A"}, {2, 5, 10, "B"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sends %v, want %v", got, want)
	}
}

// One send read by two recvs: both name it.
func TestStreamMapSplit(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	ctx := context.Background()
	c.SendAll(context.Background(), []byte("0123456789"), tagged("first"))
	waitInQ(t, s, 10)
	if r, e := s.Recv(ctx, 10, nil, sockets.CallOptions{}); e != nil || r.Stream != [2]int64{0, 10} {
		t.Fatalf("first recv %v %v", r, e)
	}
	c.SendAll(context.Background(), []byte("abcdefghij"), tagged("second"))
	waitInQ(t, s, 10)
	for _, want := range []struct {
		n      int
		stream [2]int64
		data   string
	}{{4, [2]int64{10, 14}, "abcd"}, {6, [2]int64{14, 20}, "efghij"}} {
		r, e := s.Recv(ctx, want.n, nil, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if string(r.Data) != want.data || r.Stream != want.stream {
			t.Errorf("recv(%d) %q %v, want %q %v", want.n, r.Data, r.Stream, want.data, want.stream)
		}
		if got := spans(r.Sends); !reflect.DeepEqual(got, []span{{2, 10, 20, "second"}}) {
			t.Errorf("recv(%d) sends %v, want the second send [10 20]", want.n, got)
		}
	}
}

// MSG_PEEK shows the range without consuming it.
func TestStreamMapPeek(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	c.SendAll(context.Background(), []byte("peekaboo"), tagged("x"))
	waitInQ(t, s, 8)
	for _, flags := range [][]string{{"MSG_PEEK"}, nil} {
		r, e := s.Recv(context.Background(), 4, flags, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if r.Stream != [2]int64{0, 4} || len(r.Sends) != 1 {
			t.Errorf("recv %v: stream %v sends %v, want [0 4] and one send", flags, r.Stream, r.Sends)
		}
	}
}

// TCP_CORK holds ten small sends back until it is lifted: they leave in one
// or two segments.
func TestCorkCoalesces(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	before, _ := c.Stat()
	if _, e := c.SetOption("IPPROTO_TCP", "TCP_CORK", 1); e != nil {
		t.Fatal(e)
	}
	for i := 0; i < 10; i++ {
		c.Send(context.Background(), []byte("0123456789"), nil, sockets.CallOptions{})
	}
	c.SetOption("IPPROTO_TCP", "TCP_CORK", 0)
	waitInQ(t, s, 100)
	after, _ := c.Stat()
	if n := after.TCP.DataSegsOut - before.TCP.DataSegsOut; n < 1 || n > 2 {
		t.Errorf("10 corked sends left in %d data segments, want 1-2", n)
	}
	if st, _ := s.Stat(); st.TCP.DataSegsIn < 1 || st.TCP.DataSegsIn > 2 {
		t.Errorf("receiver counted %d data segments in, want 1-2", st.TCP.DataSegsIn)
	}
}

// With TCP_NODELAY every send leaves at once, in its own segment.
func TestNoDelaySegments(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	s.SetOption("IPPROTO_TCP", "TCP_QUICKACK", 0)
	c.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1)
	before, _ := c.Stat()
	for i := 0; i < 10; i++ {
		c.Send(context.Background(), []byte("0123456789"), nil, sockets.CallOptions{})
	}
	waitInQ(t, s, 100)
	after, _ := c.Stat()
	if n := after.TCP.DataSegsOut - before.TCP.DataSegsOut; n < 5 {
		t.Errorf("10 sends with TCP_NODELAY left in %d data segments, want at least 5", n)
	}
}

// send(b"") on TCP sends nothing at all.
func TestEmptyTCPSend(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	before, _ := c.Stat()
	n, e := c.Send(context.Background(), nil, nil, sockets.CallOptions{})
	if e != nil || n != 0 {
		t.Fatalf("send(b''): %d %v", n, e)
	}
	after, _ := c.Stat()
	if after.TCP.DataSegsOut != before.TCP.DataSegsOut {
		t.Errorf("send(b'') sent %d data segments, want 0", after.TCP.DataSegsOut-before.TCP.DataSegsOut)
	}
	if st, _ := s.Stat(); st.InQ != 0 {
		t.Errorf("receiver inq %d after send(b''), want 0", st.InQ)
	}
}

func TestStatStatesAndQueues(t *testing.T) {
	l, la := listener(t, sockets.AFInet)
	if st, e := l.Stat(); e != nil || st.State != "LISTEN" {
		t.Errorf("listener state %q %v, want LISTEN", st.State, e)
	}
	c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	c.Connect(context.Background(), la, sockets.CallOptions{})
	s, _, e := l.Accept(context.Background(), sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer s.Close()
	c.SendAll(context.Background(), []byte("queued"), sockets.CallOptions{})
	st := waitInQ(t, s, 6)
	if st.State != "ESTABLISHED" {
		t.Errorf("state %q, want ESTABLISHED", st.State)
	}
	if p, e := s.Peek(64); e != nil || string(p) != "queued" {
		t.Errorf("peek %q %v, want \"queued\"", p, e)
	}
	waitInQ(t, s, 6) // peeking consumed nothing
	c.Close()
	deadline := time.Now().Add(safety)
	for {
		st, _ := s.Stat()
		if st.State == "CLOSE_WAIT" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %q after the peer closed, want CLOSE_WAIT", st.State)
		}
		time.Sleep(time.Millisecond)
	}
	u, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	if st, _ := u.Stat(); st.State != "UNCONN" || st.TCP != nil {
		t.Errorf("udp stat %+v, want UNCONN without TCP counters", st)
	}
}

// TestStatAfterClose: the side that closes first keeps the connection in
// TIME_WAIT after its descriptor is gone, and stat still shows it, with the
// time left; the other side's closed socket is gone at once (EBADF).
func TestStatAfterClose(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			ctx := context.Background()
			client, server := tcpPair(t, f)
			server.Close() // the server closes first: FIN_WAIT1/2, then TIME_WAIT
			r, e := client.Recv(ctx, 16, nil, sockets.CallOptions{})
			if e != nil || len(r.Data) != 0 {
				t.Fatalf("client recv: %q, %v; want b''", r.Data, e)
			}
			st, e := server.Stat()
			mustOK(t, "stat of the closed server socket", e)
			if !st.Closed || st.State != "FIN_WAIT1" && st.State != "FIN_WAIT2" {
				t.Fatalf("closed server socket: %+v, want FIN_WAIT1 or FIN_WAIT2 (its FIN not yet answered), closed", st)
			}
			client.Close()
			deadline := time.Now().Add(safety)
			for st.State != "TIME_WAIT" && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
				st, e = server.Stat()
				mustOK(t, "stat", e)
			}
			if st.State != "TIME_WAIT" || !st.Closed || st.Expires <= 0 || st.Expires > time.Minute {
				t.Fatalf("after both closed: %+v, want TIME_WAIT, closed, expiring within a minute", st)
			}
			_, e = client.Stat()
			checkErr(t, e, wantErr{sockets.KindOS, "EBADF", 9, "OSError", "[Errno 9] Bad file descriptor"})
		})
	}
}
