package sessions

import "testing"

// TestQueueArrayKept: a subscriber reuses its queue's array from step to
// step: a large one while large takes keep coming, and lets it go after
// largeQueueTakes takes in a row that a small array would have held.
func TestQueueArrayKept(t *testing.T) {
	s := newSubscriber(1000, 1<<20)
	fill := func(n int) {
		for range n {
			if !s.push(Message{Kind: "result"}, 10, false, 0) {
				t.Fatal("push refused")
			}
		}
	}
	fill(100)
	s.Take(1000)
	big := cap(s.queue)
	if big < 100 {
		t.Fatalf("a drained queue of 100 messages kept %d of its array", big)
	}
	for i := range 10 { // large takes: the same array each time
		fill(100)
		if got := s.Take(1000); len(got) != 100 {
			t.Fatalf("take %d: %d messages", i, len(got))
		}
		if cap(s.queue) != big {
			t.Fatalf("take %d: the array was not kept (cap %d, was %d)", i, cap(s.queue), big)
		}
	}
	for i := range largeQueueTakes - 1 { // small takes: kept a while
		fill(2)
		s.Take(1000)
		if cap(s.queue) != big {
			t.Fatalf("small take %d: the array went early (cap %d)", i, cap(s.queue))
		}
	}
	fill(2)
	s.Take(1000)
	if cap(s.queue) != 0 {
		t.Fatalf("after %d small takes the large array is still kept (cap %d)", largeQueueTakes, cap(s.queue))
	}
	fill(2) // a small array from now on
	s.Take(1000)
	if c := cap(s.queue); c == 0 || c > maxKeptQueue {
		t.Fatalf("a small queue's array: cap %d", c)
	}
	for range 2 * largeQueueTakes {
		fill(3)
		s.Take(1000)
	}
	if c := cap(s.queue); c == 0 || c > maxKeptQueue {
		t.Fatalf("a small array was let go (cap %d)", c)
	}
}

// TestArrayReuse: the policy a connection's writer keeps its batch array
// by (web's drain), as the queue's above: a replay's large array is kept
// while large batches come, and let go after largeQueueTakes small ones;
// a small array is never let go.
func TestArrayReuse(t *testing.T) {
	var r ArrayReuse
	for i := range 3 * largeQueueTakes {
		if !r.Keep(maxKeptQueue, 1) {
			t.Fatalf("small batch %d: a small array let go", i)
		}
	}
	if !r.Keep(512, 512) {
		t.Fatal("a full large batch: its array let go")
	}
	for i := range largeQueueTakes - 1 {
		if !r.Keep(512, 3) {
			t.Fatalf("small batch %d after a large one: the array went early", i)
		}
	}
	if !r.Keep(512, 64) { // a large batch again: counting starts over
		t.Fatal("a large batch: its array let go")
	}
	kept := 0
	for r.Keep(512, 3) {
		kept++
		if kept > largeQueueTakes {
			t.Fatalf("%d small batches in a row and the large array is still kept", kept)
		}
	}
	if kept != largeQueueTakes-1 {
		t.Fatalf("the large array went after %d small batches, want %d", kept+1, largeQueueTakes)
	}
}
