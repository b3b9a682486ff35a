package sockets_test

import (
	"context"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"sockplay/sockets"
)

func TestRecvMessagePeerCloses(t *testing.T) {
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
			if _, e := c.SendAll(ctx, unhex(t, tt.sent), sockets.CallOptions{}); e != nil {
				t.Fatal(e)
			}
			c.Close()
			_, rs, e := s.RecvMessage(ctx, tt.f, nil, sockets.CallOptions{})
			checkErr(t, e, wantErr{sockets.KindEOF, "", 0, "IncompleteReadError", tt.message})
			if e != nil && e.Hint != tt.hint {
				t.Errorf("hint:\n got %q\nwant %q", e.Hint, tt.hint)
			}
			if !reflect.DeepEqual(reads(rs), tt.reads) {
				t.Errorf("reads\n got %q\nwant %q", reads(rs), tt.reads)
			}
			if n := s.MessagePending(); n != 0 {
				t.Errorf("MessagePending: got %d, want 0 (the stream is over)", n)
			}
		})
	}
}

// TestRecvMessageInterrupted: a RecvMessage that stops part way (cancelled,
// timed out, or on a non-blocking socket) keeps what it read, and the next
// RecvMessage finishes the message with it.
func TestRecvMessageInterrupted(t *testing.T) {
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
			if _, e := c.SendAll(context.Background(), wire[:7], sockets.CallOptions{}); e != nil {
				t.Fatal(e)
			}
			waitInQ(t, s, 7)
			if tt.setup != nil {
				tt.setup(s)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, rs, e := s.RecvMessage(ctx, f, func(p sockets.Progress) {
				if tt.cancel && p.Consumed == 7 {
					cancel()
				}
			}, sockets.CallOptions{})

			if e == nil || e.Kind != tt.kind || e.Exception != tt.exception || e.Message != tt.message {
				t.Fatalf("got %v, want %s %s: %s", e, tt.kind, tt.exception, tt.message)
			}
			if !strings.HasSuffix(e.Hint, "The 7 bytes of this frame read so far are kept, and the next frame receive on this socket continues from them.") {
				t.Errorf("hint: got %q, want it to say the 7 bytes are kept", e.Hint)
			}
			if want := []read{{4, "\x00\x00\x00\x0a", false}, {10, "012", false}}; !reflect.DeepEqual(reads(rs), want) {
				t.Errorf("reads: got %q, want %q", reads(rs), want)
			}
			if n := s.MessagePending(); n != 7 {
				t.Errorf("MessagePending: got %d, want 7", n)
			}

			if _, e := c.SendAll(context.Background(), wire[7:], sockets.CallOptions{}); e != nil {
				t.Fatal(e)
			}
			waitInQ(t, s, 7)
			var log progressLog
			fr, rs, e := s.RecvMessage(context.Background(), f, log.add, sockets.CallOptions{})
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
			if n := s.MessagePending(); n != 0 {
				t.Errorf("MessagePending after: got %d, want 0", n)
			}
		})
	}
}

// TestRecvMessageCarriedOtherFraming: bytes kept from an interrupted '!I'
// message are decoded with the framing of the next RecvMessage.
func TestRecvMessageCarriedOtherFraming(t *testing.T) {
	c, s := tcpPair(t, sockets.AFInet)
	if _, e := c.SendAll(context.Background(), unhex(t, "0000000a616263"), sockets.CallOptions{}); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 7)
	s.SetTimeout(dur(0))
	if _, _, e := s.RecvMessage(context.Background(), lengthF("!I"), nil, sockets.CallOptions{}); e == nil || e.Exception != "BlockingIOError" {
		t.Fatalf("got %v, want BlockingIOError", e)
	}
	fr, rs, e := s.RecvMessage(context.Background(), fixedF(3), nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	if hex.EncodeToString(fr.Body) != "000000" || fr.Carried != 3 || len(rs) != 0 {
		t.Errorf("got %x carried %d reads %d, want 000000 carried 3 and no recv", fr.Body, fr.Carried, len(rs))
	}
	if n := s.MessagePending(); n != 4 {
		t.Errorf("MessagePending: got %d, want 4", n)
	}
	fr, _, e = s.RecvMessage(context.Background(), fixedF(4), nil, sockets.CallOptions{})
	mustOK(t, "recv_frame", e)
	if hex.EncodeToString(fr.Body) != "0a616263" || fr.Carried != 4 || s.MessagePending() != 0 {
		t.Errorf("got %x carried %d pending %d, want 0a616263 carried 4 pending 0", fr.Body, fr.Carried, s.MessagePending())
	}
}

// TestRecvMessageOneAtATime: two RecvMessage calls on one socket take turns, so
// neither gets a mix of two messages even when the bytes trickle in.
func TestRecvMessageOneAtATime(t *testing.T) {
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
			fr, _, e := s.RecvMessage(ctx, f, nil, sockets.CallOptions{})
			results <- result{string(fr.Body), e}
		}()
	}
	wire := append(mustEncode(t, f, []byte("first"), nil), mustEncode(t, f, []byte("second"), nil)...)
	for i := range wire {
		if _, e := c.Send(ctx, wire[i:i+1], nil, sockets.CallOptions{}); e != nil {
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

func TestMessageBadRequests(t *testing.T) {
	ctx := context.Background()
	u, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	_, _, e := u.RecvMessage(ctx, lengthF("!I"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "framing is for SOCK_STREAM sockets; this one is SOCK_DGRAM"})
	_, e = u.SendMessage(ctx, lengthF("!I"), []byte("x"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "framing is for SOCK_STREAM sockets; this one is SOCK_DGRAM"})

	c, s := tcpPair(t, sockets.AFInet)
	n, e := c.SendMessage(ctx, delimF("\n"), []byte("a\nb"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", `the body contains the delimiter b'\n' at byte 1, so the receiver would cut the message there`})
	if n != 0 {
		t.Errorf("n: got %d, want 0", n)
	}
	_, rs, e := s.RecvMessage(ctx, sockets.Framing{Kind: "length"}, nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindBadRequest, "", 0, "", "length framing needs a struct format for its length prefix, such as '!I' (4 bytes, big-endian)"})
	if rs != nil {
		t.Errorf("reads: got %v, want none", rs)
	}
	s.Close()
	_, _, e = s.RecvMessage(ctx, lengthF("!I"), nil, sockets.CallOptions{})
	checkErr(t, e, errEBADF)
}

// TestRecvMessageWrongByteOrder: over a real socket, the '!I' message read as
// '<I' stops after the 4 prefix bytes, and nothing else is consumed.
func TestRecvMessageWrongByteOrder(t *testing.T) {
	ctx := context.Background()
	c, s := tcpPair(t, sockets.AFInet)
	if _, e := c.SendMessage(ctx, lengthF("!I"), []byte("hello"), nil, sockets.CallOptions{}); e != nil {
		t.Fatal(e)
	}
	waitInQ(t, s, 9)
	_, rs, e := s.RecvMessage(ctx, lengthF("<I"), nil, sockets.CallOptions{})
	if e == nil || e.Kind != sockets.KindLimit || e.Message != "the length prefix declares a body of 83886080 bytes, more than the 16777216 allowed here" {
		t.Fatalf("got %v, want the limit error", e)
	}
	if want := []read{{4, "\x00\x00\x00\x05", false}}; !reflect.DeepEqual(reads(rs), want) {
		t.Errorf("reads: got %q, want %q", reads(rs), want)
	}
	if st := waitInQ(t, s, 5); st.InQ != 5 || s.MessagePending() != 0 {
		t.Errorf("queue %d pending %d, want the 5 body bytes still queued and nothing kept", st.InQ, s.MessagePending())
	}
}
