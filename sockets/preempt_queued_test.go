package sockets

import (
	"context"
	"testing"
	"time"
)

// TestPreemptQueuedCall: a call queued behind another reader (here the
// test, holding the reader's turn) is taken over where it waits: it ends
// with ErrPreempted before it ever gets the turn, and reads nothing.
func TestPreemptQueuedCall(t *testing.T) {
	ctx := context.Background()
	a, err := New(AFInet, SockDgram, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(AFInet, SockDgram, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	aa, e := a.Bind(Addr{Host: "127.0.0.1"})
	if e != nil {
		t.Fatal(e)
	}
	if _, e := b.Bind(Addr{Host: "127.0.0.1"}); e != nil {
		t.Fatal(e)
	}

	a.reads.sem <- struct{}{} // another reader has the turn
	p := NewPreempt()
	queued := make(chan struct{})
	done := make(chan *Error, 1)
	go func() {
		_, e := a.RecvFrom(ctx, 64, nil, CallOptions{Preemptible: p, OnWait: func() { close(queued) }})
		done <- e
	}()
	select {
	case <-queued:
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not queue")
	}
	for _, text := range []string{"one", "two"} {
		if _, _, e := b.SendTo(ctx, []byte(text), aa, CallOptions{}); e != nil {
			t.Fatal(e)
		}
	}
	r, e := a.RecvFrom(ctx, 64, nil, CallOptions{Preempts: p})
	if e != nil || string(r.Data) != "one" {
		t.Fatalf("preempting recvfrom: got %q, %v; want %q", r.Data, e, "one")
	}
	select {
	case e := <-done:
		if e != ErrPreempted {
			t.Errorf("the queued call: got %v, want ErrPreempted", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the queued call did not end while the turn was still taken")
	}
	<-a.reads.sem
	r, e = a.RecvFrom(ctx, 64, nil, CallOptions{})
	if e != nil || string(r.Data) != "two" {
		t.Errorf("next recvfrom: got %q, %v; want %q", r.Data, e, "two")
	}
}
