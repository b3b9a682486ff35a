package sockets

import (
	"context"
	"testing"
)

// BenchmarkBulkTransfer moves 8 MiB per iteration between two engine TCP
// sockets, 64 KiB per send and per recv, with the stream bookkeeping (send
// records, offsets, the peer lookup) and without it. Compare the two:
// bookkeeping may cost at most 10%.
func BenchmarkBulkTransfer(b *testing.B) {
	for _, tc := range []struct {
		name string
		off  bool
	}{{"streammap", false}, {"plain", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			c, s := connectedPair(b)
			c.noStream, s.noStream = tc.off, tc.off
			const total, chunk = 8 << 20, 64 << 10
			buf := make([]byte, chunk)
			b.SetBytes(total)
			for b.Loop() {
				done := make(chan *Error, 1)
				go func() {
					for sent := 0; sent < total; sent += chunk {
						if _, e := c.SendAll(ctx, buf, CallOptions{}); e != nil {
							done <- e
							return
						}
					}
					done <- nil
				}()
				for got := 0; got < total; {
					r, e := s.Recv(ctx, chunk, nil, CallOptions{})
					if e != nil {
						b.Fatal(e)
					}
					got += len(r.Data)
				}
				if e := <-done; e != nil {
					b.Fatal(e)
				}
			}
			if n := len(c.stream.records); n > maxRecords {
				b.Fatalf("%d send records kept, want at most %d", n, maxRecords)
			}
		})
	}
}

// TestSendRecordsBounded: records the peer has read past are dropped, and a
// peer that never reads cannot make a socket keep more than maxRecords.
func TestSendRecordsBounded(t *testing.T) {
	ctx := context.Background()
	c, s := connectedPair(t)
	for i := 0; i < maxRecords+100; i++ {
		c.stream.mu.Lock() // bookkeeping only: no byte sent, no peer reading
		c.stream.grow(ctx, nil, 1)
		c.stream.mu.Unlock()
	}
	if n := len(c.stream.records); n > maxRecords {
		t.Fatalf("%d records kept for an unread peer, want at most %d", n, maxRecords)
	}
	c.SendAll(ctx, []byte("0123456789"), CallOptions{})
	want := c.stream.sent
	for got := int64(0); got < 10; {
		r, e := s.Recv(ctx, 64, nil, CallOptions{})
		if e != nil {
			t.Fatal(e)
		}
		got += int64(len(r.Data))
	}
	// s has read 10 bytes of a stream c counts as `want` long: only the
	// records past those 10 bytes stay.
	for _, r := range c.stream.records {
		if r.End <= 10 {
			t.Errorf("record %+v kept after the peer read past it (sent %d)", r, want)
		}
	}
}

// connectedPair returns the two ends of a loopback TCP connection, closed
// when the test ends.
func connectedPair(tb testing.TB) (client, server *Socket) {
	tb.Helper()
	ctx := context.Background()
	l, e := New(AFInet, SockStream, &Policy{})
	if e != nil {
		tb.Fatal(e)
	}
	defer l.Close()
	la, e := l.Bind(Addr{Host: "127.0.0.1"})
	if e == nil {
		e = l.Listen(1)
	}
	if e != nil {
		tb.Fatal(e)
	}
	client, _ = New(AFInet, SockStream, &Policy{})
	tb.Cleanup(client.Close)
	if _, e := client.Connect(ctx, la, CallOptions{}); e != nil {
		tb.Fatal(e)
	}
	server, _, e = l.Accept(ctx, CallOptions{})
	if e != nil {
		tb.Fatal(e)
	}
	tb.Cleanup(server.Close)
	return client, server
}
