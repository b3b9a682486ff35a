package netns

import "sync"

// Budget bounds the packets several captures keep, together: a session's
// namespaces share one, so that a lab of eight hosts keeps the last
// MaxPackets packets (or MaxBytes of them) in all, not eight times that.
// When a capture keeps a packet beyond the bound, the oldest packet of any
// of its captures goes first.
type Budget struct {
	mu                   sync.Mutex
	maxPackets, maxBytes int
	queue                []held // the packets kept, oldest first from head
	head, bytes          int
}

// held is one packet kept: the capture whose ring holds it, and its size.
type held struct {
	c    *Capture
	size int
}

// NewBudget returns a budget of MaxPackets packets and MaxBytes bytes.
func NewBudget() *Budget { return NewBudgetOf(MaxPackets, MaxBytes) }

// NewBudgetOf returns a budget of maxPackets packets and maxBytes bytes
// (at least one packet is always kept, however large).
func NewBudgetOf(maxPackets, maxBytes int) *Budget {
	return &Budget{maxPackets: max(maxPackets, 1), maxBytes: maxBytes}
}

// keep stores rec in c's ring, first pushing the oldest packets of the
// budget's captures out of theirs until it fits. The budget's lock is
// taken before a capture's, never after.
func (b *Budget) keep(c *Capture, rec record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.len() > 0 && (b.len() >= b.maxPackets || b.bytes+len(rec.data) > b.maxBytes) {
		old := b.queue[b.head]
		b.queue[b.head] = held{}
		b.head++
		b.bytes -= old.size
		old.c.dropOldest()
	}
	if b.head > 1024 && b.head > len(b.queue)/2 {
		b.compact(func(held) bool { return true })
	}
	b.queue = append(b.queue, held{c, len(rec.data)})
	b.bytes += len(rec.data)
	c.mu.Lock()
	c.ring.push(rec)
	c.seen++
	c.mu.Unlock()
}

func (b *Budget) len() int { return len(b.queue) - b.head }

// compact moves the packets keep accepts to the queue's front and drops
// the others from the count.
func (b *Budget) compact(keep func(held) bool) {
	n := 0
	for _, h := range b.queue[b.head:] {
		if keep(h) {
			b.queue[n] = h
			n++
		} else {
			b.bytes -= h.size
		}
	}
	clear(b.queue[n:])
	b.queue, b.head = b.queue[:n], 0
}

// Forget drops c's packets, from its ring and from the budget: a capture
// whose packets are no longer wanted (a torn-down lab host's, replaced).
func (b *Budget) Forget(c *Capture) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.compact(func(h held) bool { return h.c != c })
	c.mu.Lock()
	c.ring = ring{maxPackets: c.ring.maxPackets, maxBytes: c.ring.maxBytes, evicted: c.ring.evicted + c.ring.n}
	c.mu.Unlock()
}

// Stats returns the packets and bytes the budget's captures keep in all.
func (b *Budget) Stats() (packets, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.len(), b.bytes
}
