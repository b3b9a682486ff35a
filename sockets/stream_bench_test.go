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
			p := &Policy{}
			l, _ := New(AFInet, SockStream, p)
			defer l.Close()
			la, _ := l.Bind(Addr{Host: "127.0.0.1"})
			l.Listen(1)
			c, _ := New(AFInet, SockStream, p)
			defer c.Close()
			ctx := context.Background()
			if _, e := c.Connect(ctx, la); e != nil {
				b.Fatal(e)
			}
			s, _, e := l.Accept(ctx)
			if e != nil {
				b.Fatal(e)
			}
			defer s.Close()
			c.noStream, s.noStream = tc.off, tc.off
			const total, chunk = 8 << 20, 64 << 10
			buf := make([]byte, chunk)
			b.SetBytes(total)
			for b.Loop() {
				done := make(chan *Error, 1)
				go func() {
					for sent := 0; sent < total; sent += chunk {
						if _, e := c.SendAll(ctx, buf); e != nil {
							done <- e
							return
						}
					}
					done <- nil
				}()
				for got := 0; got < total; {
					r, e := s.Recv(ctx, chunk, nil)
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
	p := &Policy{}
	l, _ := New(AFInet, SockStream, p)
	defer l.Close()
	la, _ := l.Bind(Addr{Host: "127.0.0.1"})
	l.Listen(1)
	c, _ := New(AFInet, SockStream, p)
	defer c.Close()
	ctx := context.Background()
	c.Connect(ctx, la)
	s, _, _ := l.Accept(ctx)
	defer s.Close()
	for i := 0; i < maxRecords+100; i++ {
		c.recordSend(ctx, 1) // bookkeeping only: no peer reading
	}
	if n := len(c.stream.records); n > maxRecords {
		t.Fatalf("%d records kept for an unread peer, want at most %d", n, maxRecords)
	}
	c.SendAll(ctx, []byte("0123456789"))
	want := c.stream.sent
	for got := int64(0); got < 10; {
		r, e := s.Recv(ctx, 64, nil)
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
