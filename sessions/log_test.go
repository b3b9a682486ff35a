package sessions

import (
	"bytes"
	"fmt"
	"sockplay/sessions/protocol"
	"strings"
	"testing"
	"time"
)

// loggedJSON returns every message s's log keeps, as a replay sends them.
func loggedJSON(t *testing.T, s *Session) [][]byte {
	t.Helper()
	var out [][]byte
	s.withLock(func() {
		s.log.since(0, s.lastSeq, func(m Message, _ int) {
			j, err := AppendMessage(nil, m)
			if err != nil {
				t.Errorf("seq %d: %v", m.Seq, err)
			}
			out = append(out, j)
		})
	})
	return out
}

// TestLogBounds: the log drops its oldest records past either bound, and
// always keeps the newest.
func TestLogBounds(t *testing.T) {
	tests := []struct {
		name          string
		maxLen, bytes int
		sizes         []int // each record's size
		wantFirst     int64 // seq of the oldest kept after all are added
	}{
		{"count", 3, 1 << 20, []int{10, 10, 10, 10, 10}, 3},
		{"bytes", 100, 250, []int{100, 100, 100, 100}, 3},
		{"one too large", 100, 250, []int{100, 100, 1000}, 3},
		{"both", 2, 1000, []int{400, 400, 400}, 2},
		{"across chunks", 1000, 20000, []int{5000, 5000, 5000, 5000, 5000, 100, 100}, 3},
		{"one large", 1000, 10000, []int{100, 100, 30000, 100}, 4},
	}
	at := time.Unix(1000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := msgLog{maxLen: tt.maxLen, maxBytes: tt.bytes}
			for _, size := range tt.sizes {
				// A record is its kind's code and a time delta of 0 (a byte
				// each), then its members.
				l.record(KindResult, at, bytes.Repeat([]byte("x"), size-2), false)
			}
			last := int64(len(tt.sizes))
			if got := l.first(last); got != tt.wantFirst {
				t.Errorf("first %d, want %d", got, tt.wantFirst)
			}
			sum := 0
			for _, size := range tt.sizes[tt.wantFirst-1:] {
				sum += size
			}
			if sum != l.bytes {
				t.Errorf("bytes %d, the kept records' sizes sum to %d", l.bytes, sum)
			}
			if l.since(tt.wantFirst-2, last, func(Message, int) {}) {
				t.Errorf("since %d: a replay, want none (before the oldest kept)", tt.wantFirst-2)
			}
			var seqs []int64
			ok := l.since(tt.wantFirst-1, last, func(m Message, size int) {
				seqs = append(seqs, m.Seq)
				if want := tt.sizes[m.Seq-1]; size != want || len(m.fields) != want-2 {
					t.Errorf("seq %d: size %d with %d bytes of members, want %d", m.Seq, size, len(m.fields), want)
				}
			})
			if !ok || len(seqs) == 0 || seqs[0] != tt.wantFirst || seqs[len(seqs)-1] != last || int64(len(seqs)) != last-tt.wantFirst+1 {
				t.Errorf("since %d: seqs %v, ok %v; want %d…%d", tt.wantFirst-1, seqs, ok, tt.wantFirst, last)
			}
		})
	}
}

// TestLogReplaysWhatWasSent: what a replay sends is, byte for byte, what
// the live messages were sent as: across chunks filled, packed and
// dropped, with large records among small ones (two in a row past
// maxScratch), kinds old and new, times going back as well as forth, and a
// body that cannot be encoded.
func TestLogReplaysWhatWasSent(t *testing.T) {
	l := msgLog{maxLen: 700, maxBytes: 1 << 20}
	at := time.Date(2026, 12, 2, 18, 20, 29, 123_456_789, time.UTC)
	var sent [][]byte
	var bad []bool
	for i := range 1000 {
		var body any = ResultBody{ID: protocol.Raw(fmt.Sprint(i)), Op: "recvfrom", OK: true, Sock: "s1",
			Request: protocol.Raw(fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s1"}`, i)),
			Fields:  recvFields{Data: NewData([]byte(fmt.Sprintf("datagram %d", i)), UTF8, 64), Size: 11}}
		kind := KindResult
		switch {
		case i == 500:
			body = ByeBody{Reason: strings.Repeat("large ", 5000)}
		case i == 450 || i == 451:
			body = ByeBody{Reason: strings.Repeat("huger ", maxScratch/4)} // past maxScratch: its own chunk (recordOwn)
		case i == 600:
			body = ResultBody{ID: protocol.Raw(`{`), Op: "x"} // not JSON: it cannot be encoded
		case i%7 == 0:
			kind = fmt.Sprintf("kind%d", i%3) // kinds no session has logged before
			body = ByeBody{Reason: "<&>"}
		}
		at = at.Add(time.Duration(i%5-1) * 37 * time.Millisecond)
		m := Message{Seq: int64(i + 1), Kind: kind, Time: at, Body: body}
		m.fields = l.add(kind, at, body)
		j, err := AppendMessage(nil, m)
		if (m.fields == nil) != (i == 600) || (err != nil) != (i == 600) {
			t.Fatalf("message %d: members %q, error %v", i+1, m.fields, err)
		}
		sent, bad = append(sent, j), append(bad, err != nil)
	}
	if len(l.chunks) < 10 || l.chunks[0].packed == nil {
		t.Fatalf("%d chunks, the oldest not packed: the test covers too little", len(l.chunks))
	}
	packed := 0
	for _, c := range l.chunks {
		if c.packed != nil {
			packed += len(c.packed)
		}
	}
	n := 0
	l.since(1000-700, 1000, func(m Message, _ int) {
		i := m.Seq - 1
		j, err := AppendMessage(nil, m)
		if (err != nil) != bad[i] || !bytes.Equal(j, sent[i]) {
			t.Errorf("seq %d replayed as %s (%v), was sent as %s", m.Seq, j, err, sent[i])
		}
		n++
	})
	if n != 700 {
		t.Errorf("replayed %d messages, want 700", n)
	}
	// A resume from near the end (chunks before it are skipped whole).
	var seqs []int64
	l.since(995, 1000, func(m Message, _ int) {
		if j, err := AppendMessage(nil, m); err != nil || !bytes.Equal(j, sent[m.Seq-1]) {
			t.Errorf("seq %d replayed as %s (%v), was sent as %s", m.Seq, j, err, sent[m.Seq-1])
		}
		seqs = append(seqs, m.Seq)
	})
	if fmt.Sprint(seqs) != "[996 997 998 999 1000]" {
		t.Errorf("since 995: seqs %v, want 996…1000", seqs)
	}
	t.Logf("%d chunks, %d bytes of records kept in %d bytes packed", len(l.chunks), l.bytes, packed)
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
