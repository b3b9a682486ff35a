package sockets_test

import (
	"context"
	"testing"
	"time"

	"sockplay/sockets"
)

// waitInQ polls Stat (bounded) until the receive queue holds want bytes.
func waitInQ(t *testing.T, s *sockets.Socket, want int) sockets.Stat {
	t.Helper()
	for i := 0; ; i++ {
		st, e := s.Stat()
		mustOK(t, "stat", e)
		if st.InQ == want {
			return st
		}
		if i == 1000 {
			t.Fatalf("InQ: got %d, want %d", st.InQ, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStatTCPQueuesAndCounters(t *testing.T) {
	ctx := context.Background()
	l, la := listener(t, sockets.AFInet)
	st, e := l.Stat()
	mustOK(t, "stat listener", e)
	if st.State != "LISTEN" || st.TCP == nil {
		t.Errorf("listener: got state %q TCP %v, want LISTEN with TCP_INFO", st.State, st.TCP)
	}
	c := newSocket(t, sockets.AFInet, sockets.SockStream, nil)
	if _, e := c.Connect(ctx, la, sockets.CallOptions{}); e != nil {
		t.Fatalf("connect: %v", e)
	}
	s, _, e := l.Accept(ctx, sockets.CallOptions{})
	mustOK(t, "accept", e)
	defer s.Close()
	if _, e := c.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); e != nil {
		t.Fatalf("TCP_NODELAY: %v", e)
	}
	for _, p := range []string{"hello", "world"} {
		if _, e := c.Send(ctx, []byte(p), nil, sockets.CallOptions{}); e != nil {
			t.Fatalf("send: %v", e)
		}
	}
	st = waitInQ(t, s, 10)
	if st.State != "ESTABLISHED" {
		t.Errorf("receiver state: got %q, want ESTABLISHED", st.State)
	}
	cs, e := c.Stat()
	mustOK(t, "stat sender", e)
	if cs.TCP == nil || cs.TCP.DataSegsOut != 2 {
		t.Errorf("sender DataSegsOut: got %+v, want 2 (TCP_NODELAY: one segment per send)", cs.TCP)
	}
	if st.TCP == nil || st.TCP.DataSegsIn != 2 {
		t.Errorf("receiver DataSegsIn: got %+v, want 2", st.TCP)
	}
	got, e := s.Peek(64)
	mustOK(t, "peek", e)
	if string(got) != "helloworld" {
		t.Errorf("Peek: got %q, want %q", got, "helloworld")
	}
	r, e := s.Recv(ctx, 4, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != "hell" {
		t.Errorf("recv: got %q, want %q", r.Data, "hell")
	}
	waitInQ(t, s, 6)

	// Closed first, the client's end lives on in the kernel, without its
	// descriptor, until the server closes too (see TestStatAfterClose);
	// a closed listener has no connection and is simply gone.
	c.Close()
	cs, e = c.Stat()
	mustOK(t, "stat closed client", e)
	if !cs.Closed || cs.State != "FIN_WAIT1" && cs.State != "FIN_WAIT2" || cs.TCP != nil {
		t.Errorf("closed client: got %+v, want FIN_WAIT1/2, closed, no TCP_INFO", cs)
	}
	l.Close()
	_, e = l.Stat()
	checkErr(t, e, errEBADF)
}

func TestStatUDP(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	st, e := b.Stat()
	mustOK(t, "stat", e)
	if st.State != "UNCONN" || st.InQ != 0 || st.TCP != nil {
		t.Errorf("fresh: got %+v, want UNCONN, InQ 0, no TCP_INFO", st)
	}
	got, e := b.Peek(16)
	mustOK(t, "peek", e)
	if len(got) != 0 {
		t.Errorf("Peek on an empty queue: got %q, want nothing", got)
	}
	for _, p := range []string{"abc", "defgh"} {
		if _, _, e := a.SendTo(ctx, []byte(p), ba, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendto: %v", e)
		}
	}
	// For UDP, SIOCINQ is the size of the first datagram, not of the queue.
	waitInQ(t, b, 3)
	got, e = b.Peek(16)
	mustOK(t, "peek", e)
	if string(got) != "abc" {
		t.Errorf("Peek: got %q, want %q (the first datagram)", got, "abc")
	}
	if _, e := b.Connect(ctx, aa, sockets.CallOptions{}); e != nil {
		t.Fatalf("connect: %v", e)
	}
	st, e = b.Stat()
	mustOK(t, "stat", e)
	if st.State != "ESTABLISHED" {
		t.Errorf("connected UDP: got %q, want ESTABLISHED", st.State)
	}
}

// TestSendRecordsInRecvChunks: when both ends are sockplay sockets, a recv
// says which send calls its bytes came from.
func TestSendRecordsInRecvChunks(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	if _, e := c.SetOption("IPPROTO_TCP", "TCP_NODELAY", 1); e != nil {
		t.Fatalf("TCP_NODELAY: %v", e)
	}
	var sent []sockets.SendRecord
	opts := sockets.CallOptions{Tag: "req", OnSent: func(r sockets.SendRecord) { sent = append(sent, r) }}
	for _, p := range []string{"hello", "world"} {
		if _, e := c.Send(ctx, []byte(p), nil, opts); e != nil {
			t.Fatalf("send: %v", e)
		}
	}
	wantSends := []sockets.SendRecord{{Index: 1, Start: 0, End: 5, Tag: "req"}, {Index: 2, Start: 5, End: 10, Tag: "req"}}
	if len(sent) != 2 || sent[0] != wantSends[0] || sent[1] != wantSends[1] {
		t.Fatalf("OnSent records: got %+v, want %+v", sent, wantSends)
	}
	waitInQ(t, s, 10)

	tests := []struct {
		bufsize int
		flags   []string
		data    string
		stream  [2]int64
		sends   []sockets.SendRecord
	}{
		{1024, []string{"MSG_PEEK"}, "helloworld", [2]int64{0, 10}, wantSends},
		{3, nil, "hel", [2]int64{0, 3}, wantSends[:1]},
		{4, nil, "lowo", [2]int64{3, 7}, wantSends},
		{1024, nil, "rld", [2]int64{7, 10}, wantSends[1:]},
	}
	for _, tt := range tests {
		r, e := s.Recv(ctx, tt.bufsize, tt.flags, sockets.CallOptions{})
		mustOK(t, "recv", e)
		if string(r.Data) != tt.data || r.Stream != tt.stream {
			t.Errorf("recv(%d, %v): got %q at %v, want %q at %v", tt.bufsize, tt.flags, r.Data, r.Stream, tt.data, tt.stream)
		}
		if len(r.Sends) != len(tt.sends) {
			t.Errorf("recv(%d, %v) Sends: got %+v, want %+v", tt.bufsize, tt.flags, r.Sends, tt.sends)
			continue
		}
		for i := range r.Sends {
			if r.Sends[i] != tt.sends[i] {
				t.Errorf("recv(%d, %v) Sends[%d]: got %+v, want %+v", tt.bufsize, tt.flags, i, r.Sends[i], tt.sends[i])
			}
		}
	}
}
