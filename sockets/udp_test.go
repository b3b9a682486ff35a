package sockets_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"sockplay/sockets"
)

func TestUDPSendToRecvFrom(t *testing.T) {
	for _, f := range []sockets.Family{sockets.AFInet, sockets.AFInet6} {
		t.Run(string(f), func(t *testing.T) {
			ctx := context.Background()
			a, aa := boundSocket(t, f, sockets.SockDgram, nil)
			b, ba := boundSocket(t, f, sockets.SockDgram, nil)
			n, local, e := a.SendTo(ctx, []byte("hello, udp"), ba, sockets.CallOptions{})
			mustOK(t, "sendto", e)
			if n != 10 {
				t.Errorf("sendto n: got %d, want 10", n)
			}
			if local != aa {
				t.Errorf("sendto local: got %v, want %v", local, aa)
			}
			r, e := b.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
			mustOK(t, "recvfrom", e)
			if string(r.Data) != "hello, udp" || r.Size != 10 || r.Truncated {
				t.Errorf("recvfrom: got %q size %d truncated %v, want \"hello, udp\" size 10 false", r.Data, r.Size, r.Truncated)
			}
			if r.From == nil || *r.From != aa {
				t.Errorf("recvfrom From: got %v, want %v", r.From, aa)
			}
		})
	}
}

// TestUDPImplicitBind: sendto on an unbound socket binds it to the wildcard
// address and a free port, which the policy allows only with Wildcard.
func TestUDPImplicitBind(t *testing.T) {
	ctx := context.Background()
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	a := newSocket(t, sockets.AFInet, sockets.SockDgram, &sockets.Policy{Wildcard: true})
	_, local, e := a.SendTo(ctx, []byte("x"), ba, sockets.CallOptions{})
	mustOK(t, "sendto", e)
	if local.Host != "0.0.0.0" || local.Port == 0 {
		t.Errorf("sendto local: got %v, want ('0.0.0.0', free port)", local)
	}
	if st := a.Info().State; st != sockets.Bound {
		t.Errorf("State: got %v, want %v", st, sockets.Bound)
	}
	r, e := b.RecvFrom(ctx, 16, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if want := (sockets.Addr{Host: "127.0.0.1", Port: local.Port}); r.From == nil || *r.From != want {
		t.Errorf("From: got %v, want %v", r.From, want)
	}
}

func TestUDPKeepsBoundaries(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	msgs := []string{"a", "bb", "ccc"}
	for _, m := range msgs {
		if _, _, e := a.SendTo(ctx, []byte(m), ba, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendto %q: %v", m, e)
		}
	}
	for _, want := range msgs {
		r, e := b.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
		mustOK(t, "recvfrom", e)
		if string(r.Data) != want {
			t.Errorf("recvfrom: got %q, want %q", r.Data, want)
		}
	}
}

func TestUDPTruncation(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	long := []byte("0123456789abcdefghij") // 20 bytes
	for _, p := range [][]byte{long, []byte("next")} {
		if _, _, e := a.SendTo(ctx, p, ba, sockets.CallOptions{}); e != nil {
			t.Fatalf("sendto: %v", e)
		}
	}
	r, e := b.RecvFrom(ctx, 8, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "01234567" || !r.Truncated || r.Size != 20 {
		t.Errorf("recvfrom(8): got %q truncated %v size %d, want \"01234567\" true 20", r.Data, r.Truncated, r.Size)
	}
	if r.From == nil || *r.From != aa {
		t.Errorf("From: got %v, want %v", r.From, aa)
	}
	// The tail of the truncated datagram is gone: the next read is the next
	// datagram.
	r, e = b.RecvFrom(ctx, 8, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "next" || r.Truncated || r.Size != 4 {
		t.Errorf("recvfrom(8): got %q truncated %v size %d, want \"next\" false 4", r.Data, r.Truncated, r.Size)
	}
}

func TestUDPEmptyDatagram(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	n, _, e := a.SendTo(ctx, nil, ba, sockets.CallOptions{})
	mustOK(t, "sendto", e)
	if n != 0 {
		t.Errorf("sendto n: got %d, want 0", n)
	}
	r, e := b.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if len(r.Data) != 0 || r.Size != 0 || r.Truncated {
		t.Errorf("recvfrom: got %q size %d truncated %v, want b'' size 0 false", r.Data, r.Size, r.Truncated)
	}
	if r.From == nil || *r.From != aa {
		t.Errorf("From: got %v, want %v", r.From, aa)
	}
}

func TestUDPMaxDatagram(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)

	big := bytes.Repeat([]byte("x"), 65507)
	n, _, e := a.SendTo(ctx, big, ba, sockets.CallOptions{})
	mustOK(t, "sendto 65507", e)
	if n != 65507 {
		t.Errorf("sendto n: got %d, want 65507", n)
	}
	r, e := b.RecvFrom(ctx, 65507, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if r.Size != 65507 || r.Truncated || !bytes.Equal(r.Data, big) {
		t.Errorf("recvfrom: got %d bytes size %d truncated %v, want 65507 intact", len(r.Data), r.Size, r.Truncated)
	}

	n, _, e = a.SendTo(ctx, append(big, 'y'), ba, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EMSGSIZE", 90, "OSError", "[Errno 90] Message too long"})
	if n != 0 {
		t.Errorf("sendto n: got %d, want 0", n)
	}
}

func TestUDPRecvLargeBufsize(t *testing.T) {
	ctx := context.Background()
	a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	if _, _, e := a.SendTo(ctx, []byte("small"), ba, sockets.CallOptions{}); e != nil {
		t.Fatalf("sendto: %v", e)
	}
	// The largest bufsize allowed, beyond the pooled buffers.
	r, e := b.RecvFrom(ctx, sockets.MaxBufsize, nil, sockets.CallOptions{})
	mustOK(t, "recvfrom", e)
	if string(r.Data) != "small" {
		t.Errorf("recvfrom: got %q, want %q", r.Data, "small")
	}
}

// TestUDPBroadcast: the kernel refuses a broadcast until SO_BROADCAST is set;
// then every socket bound to the wildcard address and port P with
// SO_REUSEADDR gets a copy.
func TestUDPBroadcast(t *testing.T) {
	ctx := context.Background()
	pol := &sockets.Policy{Wildcard: true}
	recv1 := newSocket(t, sockets.AFInet, sockets.SockDgram, pol)
	recv2 := newSocket(t, sockets.AFInet, sockets.SockDgram, pol)
	for _, r := range []*sockets.Socket{recv1, recv2} {
		if v, e := r.SetOption("SOL_SOCKET", "SO_REUSEADDR", 1); e != nil || v != 1 {
			t.Fatalf("SO_REUSEADDR: got %d, %v, want 1", v, e)
		}
	}
	a1, e := recv1.Bind(sockets.Addr{Host: "", Port: 0})
	mustOK(t, "bind", e)
	if a1.Host != "0.0.0.0" {
		t.Errorf("bind(''): got %q, want 0.0.0.0", a1.Host)
	}
	a2, e := recv2.Bind(sockets.Addr{Host: "", Port: a1.Port})
	mustOK(t, "second bind with SO_REUSEADDR", e)
	if a2 != a1 {
		t.Errorf("second bind: got %v, want %v", a2, a1)
	}

	snd, sa := boundSocket(t, sockets.AFInet, sockets.SockDgram, pol)
	bcast := sockets.Addr{Host: "127.255.255.255", Port: a1.Port}
	_, _, e = snd.SendTo(ctx, []byte("to all"), bcast, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EACCES", 13, "PermissionError", "[Errno 13] Permission denied"})

	if v, e := snd.SetOption("SOL_SOCKET", "SO_BROADCAST", 1); e != nil || v != 1 {
		t.Fatalf("SO_BROADCAST: got %d, %v, want 1", v, e)
	}
	n, _, e := snd.SendTo(ctx, []byte("to all"), bcast, sockets.CallOptions{})
	mustOK(t, "sendto broadcast", e)
	if n != 6 {
		t.Errorf("sendto n: got %d, want 6", n)
	}
	for i, r := range []*sockets.Socket{recv1, recv2} {
		got, e := r.RecvFrom(ctx, 1024, nil, sockets.CallOptions{})
		mustOK(t, "recvfrom", e)
		if string(got.Data) != "to all" || got.From == nil || *got.From != sa {
			t.Errorf("receiver %d: got %q from %v, want %q from %v", i+1, got.Data, got.From, "to all", sa)
		}
	}
}

func TestUDPConnected(t *testing.T) {
	ctx := context.Background()
	a, aa := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)

	_, e := a.Send(ctx, []byte("x"), nil, sockets.CallOptions{})
	checkErr(t, e, wantErr{sockets.KindOS, "EDESTADDRREQ", 89, "OSError", "[Errno 89] Destination address required"})

	local, e := a.Connect(ctx, ba, sockets.CallOptions{})
	mustOK(t, "connect", e)
	if local != aa {
		t.Errorf("connect local: got %v, want %v", local, aa)
	}
	if st := a.Info().State; st != sockets.Connected {
		t.Errorf("State: got %v, want %v", st, sockets.Connected)
	}
	peer, e := a.GetPeerName()
	mustOK(t, "getpeername", e)
	if peer != ba {
		t.Errorf("getpeername: got %v, want %v", peer, ba)
	}
	n, e := a.Send(ctx, []byte("via send"), nil, sockets.CallOptions{})
	mustOK(t, "send", e)
	if n != 8 {
		t.Errorf("send n: got %d, want 8", n)
	}
	r, e := b.Recv(ctx, 1024, nil, sockets.CallOptions{})
	mustOK(t, "recv", e)
	if string(r.Data) != "via send" || r.From == nil || *r.From != aa {
		t.Errorf("recv: got %q from %v, want %q from %v", r.Data, r.From, "via send", aa)
	}
}

func TestRecvTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		timeout *time.Duration
		flags   []string
		want    wantErr
	}{
		{"settimeout(0)", dur(0), nil, wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"}},
		{"MSG_DONTWAIT", nil, []string{"MSG_DONTWAIT"}, wantErr{sockets.KindOS, "EAGAIN", 11, "BlockingIOError", "[Errno 11] Resource temporarily unavailable"}},
		{"settimeout(0.02)", dur(20 * time.Millisecond), nil, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			b, ba := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
			mustOK(t, "settimeout", b.SetTimeout(tt.timeout))
			if got := b.Timeout(); (got == nil) != (tt.timeout == nil) || got != nil && *got != *tt.timeout {
				t.Errorf("Timeout(): got %v, want %v", got, tt.timeout)
			}
			_, e := b.RecvFrom(ctx, 1024, tt.flags, sockets.CallOptions{})
			checkErr(t, e, tt.want)
			// The socket still works; data already queued is returned at once.
			if _, _, e := a.SendTo(ctx, []byte("late"), ba, sockets.CallOptions{}); e != nil {
				t.Fatalf("sendto: %v", e)
			}
			mustOK(t, "settimeout", b.SetTimeout(nil))
			r, e := b.RecvFrom(ctx, 1024, tt.flags, sockets.CallOptions{})
			mustOK(t, "recvfrom after "+tt.name, e)
			if string(r.Data) != "late" {
				t.Errorf("recvfrom: got %q, want %q", r.Data, "late")
			}
		})
	}
}

// BenchmarkUDPRoundTrip measures one datagram there and one back between two
// engine sockets on 127.0.0.1.
func BenchmarkUDPRoundTrip(b *testing.B) {
	ctx := context.Background()
	a, aa := boundSocket(b, sockets.AFInet, sockets.SockDgram, nil)
	c, ca := boundSocket(b, sockets.AFInet, sockets.SockDgram, nil)
	msg := []byte("ping-pong-payload")
	b.SetBytes(int64(2 * len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, e := a.SendTo(ctx, msg, ca, sockets.CallOptions{}); e != nil {
			b.Fatalf("sendto: %v", e)
		}
		r, e := c.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
		if e != nil || len(r.Data) != len(msg) {
			b.Fatalf("recvfrom: got %d bytes, %v, want %d", len(r.Data), e, len(msg))
		}
		if _, _, e := c.SendTo(ctx, r.Data, aa, sockets.CallOptions{}); e != nil {
			b.Fatalf("sendto back: %v", e)
		}
		r, e = a.RecvFrom(ctx, 64, nil, sockets.CallOptions{})
		if e != nil || len(r.Data) != len(msg) {
			b.Fatalf("recvfrom back: got %d bytes, %v, want %d", len(r.Data), e, len(msg))
		}
	}
}

// TestSendToLocalAfterConnect checks the local address sendto reports: the
// wildcard while the socket is unconnected, the routed IP once connect has
// picked one (sendto keeps what it learned until a connect).
func TestSendToLocalAfterConnect(t *testing.T) {
	ctx := context.Background()
	_, to := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	tx := newSocket(t, sockets.AFInet, sockets.SockDgram, &sockets.Policy{Wildcard: true})
	_, e := tx.Bind(sockets.Addr{Host: "0.0.0.0"})
	mustOK(t, "bind", e)
	for i := range 2 {
		_, local, e := tx.SendTo(ctx, []byte("x"), to, sockets.CallOptions{})
		mustOK(t, "sendto", e)
		if local.Host != "0.0.0.0" || local.Port == 0 {
			t.Fatalf("sendto %d before connect: local %v, want ('0.0.0.0', port)", i, local)
		}
	}
	_, e = tx.Connect(ctx, to, sockets.CallOptions{})
	mustOK(t, "connect", e)
	_, local, e := tx.SendTo(ctx, []byte("y"), to, sockets.CallOptions{})
	mustOK(t, "sendto", e)
	if local.Host != "127.0.0.1" {
		t.Fatalf("sendto after connect: local %v, want ('127.0.0.1', port)", local)
	}
}

// TestTimeoutCountsFromSince: a call made with CallOptions.Since counts
// its timeout from then: one whose hour has passed since times out at
// once, where counting from its start it would wait the hour; one queued
// behind another reader as well.
func TestTimeoutCountsFromSince(t *testing.T) {
	ctx := context.Background()
	b, _ := boundSocket(t, sockets.AFInet, sockets.SockDgram, nil)
	mustOK(t, "settimeout", b.SetTimeout(dur(time.Hour)))
	since := time.Now().Add(-time.Hour - time.Second)
	end := make(chan *sockets.Error, 2)
	timesOut := func(what string) {
		t.Helper()
		go func() {
			_, e := b.RecvFrom(ctx, 64, nil, sockets.CallOptions{Since: since})
			end <- e
		}()
		select {
		case e := <-end:
			checkErr(t, e, wantErr{sockets.KindTimeout, "", 0, "TimeoutError", "timed out"})
		case <-time.After(20 * time.Second):
			t.Fatalf("%s waits: its timeout counts from its start, not from Since", what)
		}
	}
	timesOut("the call")

	// Queued behind a reader that waits (the socket's hour, counted from
	// now), it times out where it queues.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	waiting := make(chan struct{})
	go func() {
		_, e := b.RecvFrom(cctx, 64, nil, sockets.CallOptions{OnWait: func() { close(waiting) }})
		end <- e
	}()
	<-waiting
	timesOut("the queued call")
	cancel()
	<-end
}
