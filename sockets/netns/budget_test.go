package netns

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/google/gopacket/layers"

	"sockplay/sockets"
)

// sizesOf returns the sizes of the records c's ring holds, oldest first.
func sizesOf(c *Capture) []int {
	var out []int
	for _, r := range c.ring.all() {
		out = append(out, len(r.data))
	}
	return out
}

// Captures sharing a budget keep its bound together: the oldest packet of
// any of them goes first; Forget takes a capture's packets out.
func TestBudget(t *testing.T) {
	type push struct{ capture, size int }
	for _, tt := range []struct {
		name                 string
		maxPackets, maxBytes int
		pushes               []push
		want                 [2][]int // the sizes each capture keeps
	}{
		{"under both", 4, 100, []push{{0, 1}, {1, 2}, {0, 3}}, [2][]int{{1, 3}, {2}}},
		{"count: the oldest of either goes", 3, 100, []push{{0, 1}, {0, 2}, {1, 3}, {1, 4}, {1, 5}}, [2][]int{nil, {3, 4, 5}}},
		{"count, interleaved", 3, 100, []push{{0, 1}, {1, 2}, {0, 3}, {1, 4}}, [2][]int{{3}, {2, 4}}},
		{"bytes", 10, 10, []push{{0, 4}, {1, 4}, {0, 4}}, [2][]int{{4}, {4}}},
		{"one big packet", 3, 10, []push{{0, 2}, {1, 2}, {1, 10}}, [2][]int{nil, {10}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudgetOf(tt.maxPackets, tt.maxBytes)
			cs := [2]*Capture{}
			for i := range cs {
				cs[i] = &Capture{ring: ring{maxPackets: tt.maxPackets, maxBytes: tt.maxBytes}, budget: b}
			}
			for _, p := range tt.pushes {
				b.keep(cs[p.capture], record{data: make([]byte, p.size)})
			}
			total, n := 0, 0
			for i, c := range cs {
				if got := sizesOf(c); !slices.Equal(got, tt.want[i]) {
					t.Errorf("capture %d keeps %v, want %v", i, got, tt.want[i])
				}
				total += c.ring.bytes
				n += c.ring.n
			}
			if packets, bytes := b.Stats(); packets != n || bytes != total || packets > tt.maxPackets {
				t.Errorf("budget counts %d packets, %d bytes; the rings hold %d, %d", packets, bytes, n, total)
			}
			b.Forget(cs[1])
			if packets, bytes := b.Stats(); packets != cs[0].ring.n || bytes != cs[0].ring.bytes || cs[1].ring.n != 0 {
				t.Errorf("after Forget: budget %d packets %d bytes, capture 0 %d/%d, capture 1 %d", packets, bytes, cs[0].ring.n, cs[0].ring.bytes, cs[1].ring.n)
			}
			// What Forget freed is room for the others.
			for range tt.maxPackets {
				b.keep(cs[0], record{data: make([]byte, 1)})
			}
			if cs[0].ring.n != tt.maxPackets {
				t.Errorf("after Forget capture 0 keeps %d of %d", cs[0].ring.n, tt.maxPackets)
			}
		})
	}
}

// Two namespaces' captures in one budget of 5 packets: after 4 datagrams
// in the first and 4 in the second, the first keeps only its newest, the
// second all of its own.
func TestBudgetNamespaces(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		b := NewBudgetOf(5, MaxBytes)
		var cs []*Capture
		for _, name := range []string{"a", "b"} {
			ns := newNS(t, h)
			c, err := NewCaptureIn(ns, b)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			cs = append(cs, c)
			rx := open(t, ns, sockets.AFInet, sockets.SockDgram, nil)
			if _, e := rx.Bind(sockets.Addr{Host: "127.0.0.1", Port: 9500}); e != nil {
				t.Fatal(e)
			}
			tx := open(t, ns, sockets.AFInet, sockets.SockDgram, nil)
			for i := range 4 {
				if _, _, e := tx.SendTo(ctx(t), fmt.Appendf(nil, "%s%d", name, i), sockets.Addr{Host: "127.0.0.1", Port: 9500}, sockets.CallOptions{}); e != nil {
					t.Fatal(e)
				}
				next(t, c, func(p Packet) bool { return p.Proto == "UDP" && p.Dst.Port() == 9500 })
			}
		}
		a, bb := cs[0].Stats(), cs[1].Stats()
		if a.Kept+bb.Kept != 5 || bb.Kept != 4 || a.Evicted != 3 {
			t.Errorf("kept %d and %d (first evicted %d), want 1 and 4 of the budget's 5", a.Kept, bb.Kept, a.Evicted)
		}
		var buf bytes.Buffer
		if err := cs[0].WritePcap(&buf); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range readPcap(t, &buf) {
			if udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP); udp != nil {
				got = append(got, string(udp.Payload))
			}
		}
		if !slices.Equal(got, []string{"a3"}) {
			t.Errorf("the first namespace's pcap holds %q, want its newest datagram only", got)
		}
	})
}
