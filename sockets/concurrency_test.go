package sockets_test

import (
	"context"
	"testing"
	"time"

	"sockplay/sockets"
)

// TestSendWhileRecvWaits: a waiting recv holds the read side only; a send on
// the same socket goes through meanwhile.
func TestSendWhileRecvWaits(t *testing.T) {
	for _, typ := range []sockets.Type{sockets.SockStream, sockets.SockDgram} {
		t.Run(string(typ), func(t *testing.T) {
			ctx := context.Background()
			var a, b *sockets.Socket
			if typ == sockets.SockStream {
				a, b = tcpPair(t, sockets.AFInet)
			} else {
				var aa, ba sockets.Addr
				a, aa = boundSocket(t, sockets.AFInet, typ, nil)
				b, ba = boundSocket(t, sockets.AFInet, typ, nil)
				_, e := a.Connect(ctx, ba, sockets.CallOptions{})
				mustOK(t, "connect a", e)
				_, e = b.Connect(ctx, aa, sockets.CallOptions{})
				mustOK(t, "connect b", e)
			}
			done := goRecv(t, ctx, a, 64)

			n, e := a.Send(ctx, []byte("ping"), nil, sockets.CallOptions{})
			mustOK(t, "send while recv waits", e)
			if n != 4 {
				t.Errorf("send n: got %d, want 4", n)
			}
			r, e := b.Recv(ctx, 64, nil, sockets.CallOptions{})
			mustOK(t, "peer recv", e)
			if string(r.Data) != "ping" {
				t.Errorf("peer recv: got %q, want %q", r.Data, "ping")
			}
			select {
			case res := <-done:
				t.Fatalf("waiting recv returned %q, %v before anything was sent to it", res.r.Data, res.e)
			default:
			}

			if _, e := b.Send(ctx, []byte("pong"), nil, sockets.CallOptions{}); e != nil {
				t.Fatalf("peer send: %v", e)
			}
			res := await(t, done, "waiting recv")
			mustOK(t, "waiting recv", res.e)
			if string(res.r.Data) != "pong" {
				t.Errorf("waiting recv: got %q, want %q", res.r.Data, "pong")
			}
		})
	}
}

// TestQueuedRecvsInOrder: a second recv queues behind the first; each gets
// one datagram, in the order they were called.
func TestQueuedRecvsInOrder(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	first := goRecv(t, ctx, b, 64)  // waiting in the kernel
	second := goRecv(t, ctx, b, 64) // queued behind first
	for _, m := range []string{"one", "two"} {
		if _, _, e := a.SendTo(ctx, []byte(m), ba, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendto %q: %v", m, e)
		}
	}
	for i, tt := range []struct {
		ch   <-chan recvResult
		want string
	}{{first, "one"}, {second, "two"}} {
		res := await(t, tt.ch, "queued recv")
		mustOK(t, "recv", res.e)
		if string(res.r.Data) != tt.want {
			t.Errorf("recv %d: got %q, want %q", i+1, res.r.Data, tt.want)
		}
	}
}

// TestCancelQueued: cancelling a recv that is queued behind another leaves
// the first one waiting, and it still gets its data.
func TestCancelQueued(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	first := goRecv(t, ctx, b, 64)
	qctx, cancel := context.WithCancel(ctx)
	second := goRecv(t, qctx, b, 64)
	cancel()
	checkErr(t, await(t, second, "cancelled queued recv").e, wantErr{sockets.KindCancelled, "", 0, "", "cancelled"})
	if _, _, e := a.SendTo(ctx, []byte("first"), ba, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto: %v", e)
	}
	res := await(t, first, "first recv")
	mustOK(t, "first recv", res.e)
	if string(res.r.Data) != "first" {
		t.Errorf("first recv: got %q, want %q", res.r.Data, "first")
	}
}

// TestManySocketsConcurrently runs independent pairs in parallel goroutines,
// for the race detector.
func TestManySocketsConcurrently(t *testing.T) {
	const pairs = 8
	errs := make(chan string, pairs)
	ctx := context.Background()
	type pair struct {
		a, b *sockets.Socket
		ba   sockets.Addr
	}
	var ps []pair
	for range pairs {
		a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
		b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
		ps = append(ps, pair{a, b, ba})
	}
	for i, p := range ps {
		go func() {
			want := string(rune('a' + i))
			if _, _, e := p.a.SendTo(ctx, []byte(want), p.ba, sockets.CallOptions{}); e != nil {
				errs <- e.Error()
				return
			}
			r, e := p.b.RecvFrom(ctx, 8, nil, sockets.CallOptions{})
			switch {
			case e != nil:
				errs <- e.Error()
			case string(r.Data) != want:
				errs <- "got " + string(r.Data) + ", want " + want
			default:
				errs <- ""
			}
			_ = p.b.Info()
		}()
	}
	for range pairs {
		if msg := await(t, errs, "pair finishing"); msg != "" {
			t.Error(msg)
		}
	}
}

// TestQueuedCallKeepsItsTimeout: a call queued behind a blocking waiter
// still ends when its own timeout is up (or at once on a non-blocking
// socket), and the first waiter still gets its data.
func TestQueuedCallKeepsItsTimeout(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	first := goRecv(t, ctx, b, 64) // blocking: waits as long as it takes

	mustOK(t, "settimeout(0)", b.SetTimeout(dur(0)))
	nonblocking := make(chan *sockets.Error, 1)
	go func() { _, e := b.Recv(ctx, 64, nil, sockets.CallOptions{}); nonblocking <- e }()
	checkErr(t, await(t, nonblocking, "non-blocking recv behind a waiter"), wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"})

	mustOK(t, "settimeout(0.05)", b.SetTimeout(dur(50*time.Millisecond)))
	second := goRecv(t, ctx, b, 64) // queued behind first
	checkErr(t, await(t, second, "queued recv with a timeout").e, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"})

	if _, _, e := a.SendTo(ctx, []byte("first"), ba, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto: %v", e)
	}
	res := await(t, first, "first recv")
	mustOK(t, "first recv", res.e)
	if string(res.r.Data) != "first" {
		t.Errorf("first recv: got %q, want %q", res.r.Data, "first")
	}
}
