package sessions

import "testing"

// TestLogBounds: the log drops its oldest entries past either bound, and
// always keeps the newest.
func TestLogBounds(t *testing.T) {
	tests := []struct {
		name          string
		maxLen, bytes int
		costs         []int
		wantFirst     int64 // seq of the oldest kept after all are added
	}{
		{"count", 3, 1 << 20, []int{10, 10, 10, 10, 10}, 3},
		{"bytes", 100, 250, []int{100, 100, 100, 100}, 3},
		{"one too large", 100, 250, []int{100, 100, 1000}, 3},
		{"both", 2, 1000, []int{400, 400, 400}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := msgLog{maxLen: tt.maxLen, maxBytes: tt.bytes}
			for i, c := range tt.costs {
				l.add(Message{Seq: int64(i + 1)}, c)
			}
			last := int64(len(tt.costs))
			if got := l.first(last); got != tt.wantFirst {
				t.Errorf("first %d, want %d", got, tt.wantFirst)
			}
			sum := 0
			for _, e := range l.entries {
				sum += e.cost
			}
			if sum != l.bytes {
				t.Errorf("bytes %d, entries sum to %d", l.bytes, sum)
			}
			if _, ok := l.since(tt.wantFirst-2, last); ok {
				t.Errorf("since %d: a replay, want none (before the oldest kept)", tt.wantFirst-2)
			}
			es, ok := l.since(tt.wantFirst-1, last)
			if !ok || len(es) == 0 || es[0].m.Seq != tt.wantFirst || es[len(es)-1].m.Seq != last {
				t.Errorf("since %d: %d entries, ok %v; want %d…%d", tt.wantFirst-1, len(es), ok, tt.wantFirst, last)
			}
		})
	}
}

// TestSubscriberBytes: a queue over its byte bound drops the subscriber,
// though it holds few messages; one message alone always goes, and a
// replay may go past the bound by its own bytes.
func TestSubscriberBytes(t *testing.T) {
	s := newSubscriber(100, 1000)
	if !s.push(Message{Seq: 1}, 5000, false, 0) {
		t.Fatal("a message larger than the bound, alone in the queue, was refused")
	}
	s.Take(10)
	for i := range 3 {
		if !s.push(Message{Seq: int64(i + 2)}, 300, false, 0) {
			t.Fatalf("push %d of 300 bytes dropped the subscriber under 1000", i+1)
		}
	}
	if s.push(Message{Seq: 5}, 300, false, 0) {
		t.Fatal("a push to 1200 bytes over a bound of 1000 was taken")
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("the subscriber over its byte bound is not done")
	}

	r := newSubscriber(100, 1000)
	for i := range 5 {
		r.push(Message{Seq: int64(i + 1)}, 400, true, 0)
	}
	r.allow(5, 2000)
	if !r.push(Message{Seq: 6}, 400, false, 0) {
		t.Error("a live message after a replay of 2000 bytes was refused (bound 1000 + 2000)")
	}
	if got := len(r.Take(100)); got != 6 || r.bytes != 0 {
		t.Errorf("took %d messages leaving %d bytes, want 6 and 0", got, r.bytes)
	}
}
