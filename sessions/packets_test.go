package sessions

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sockplay/sessions/protocol"
	"testing"
	"time"

	"sockplay/sockets/netns"
)

// TestPacketRate: a second's packets past PacketRate are not logged but
// counted, in one packets_not_shown message logged before the next
// second's first packet (or at the second's end, by a timer).
func TestPacketRate(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewManager(Config{Now: func() time.Time { return now }})
	defer m.Close()
	s := m.Create()
	p := netns.Packet{Iface: "eth0", Proto: "UDP", Len: 3, Size: 45,
		Src: netip.MustParseAddrPort("10.77.0.1:5000"), Dst: netip.MustParseAddrPort("10.77.0.255:9999"), Broadcast: true}
	s.withLock(func() {
		for range PacketRate + 5 {
			s.logPacket("h1", p)
		}
	})
	s.withLock(func() {
		now = now.Add(time.Second)
		s.logPacket("h2", p)
	})
	var kinds []string
	var hidden struct{ Count int }
	var last struct {
		Host      string
		Broadcast bool
		Len       *int
		TCP       protocol.Raw
	}
	for _, j := range loggedJSON(t, s) {
		var m struct{ Kind string }
		if err := json.Unmarshal(j, &m); err != nil {
			t.Fatalf("%s: %v", j, err)
		}
		kinds = append(kinds, m.Kind)
		switch m.Kind {
		case KindPacketsHidden:
			json.Unmarshal(j, &hidden)
		case KindPacket:
			json.Unmarshal(j, &last)
		}
	}
	packets, notShown := 0, 0
	for i, k := range kinds {
		switch k {
		case KindPacket:
			packets++
		case KindPacketsHidden:
			notShown++
			if i != len(kinds)-2 {
				t.Errorf("packets_not_shown at %d of %d messages, want just before the next second's packet", i, len(kinds))
			}
		}
	}
	if packets != PacketRate+1 || notShown != 1 || hidden.Count != 5 {
		t.Errorf("logged %d packets and %d packets_not_shown (count %d), want %d, 1 (count 5)", packets, notShown, hidden.Count, PacketRate+1)
	}
	if last.Host != "h2" || !last.Broadcast || last.Len == nil || *last.Len != 3 || last.TCP != nil {
		t.Errorf("last packet %+v, want h2's broadcast UDP datagram of 3 bytes", last)
	}
}

// The capture bound is the session's: with CapturePackets 20, a 3-host
// lab's captures keep 20 packets in all, not 20 each, however many their
// hosts saw.
func TestCaptureBoundPerSession(t *testing.T) {
	h := helperOrSkip(t)
	m := NewManager(Config{Labs: h.New, CapturePackets: 20})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	lab := req(1, "lab")
	lab.Hosts = new(int)
	*lab.Hosts = 3
	if r := result(t, s, sub, lab); !r.OK {
		t.Fatalf("lab: %+v", r.Error)
	}
	do := func(r Request) {
		t.Helper()
		if b := result(t, s, sub, r); !b.OK {
			t.Fatalf("%s: %+v", r.Op, b.Error)
		}
	}
	rx, tx := req(2, "socket"), req(3, "socket")
	rx.Type, rx.Host, tx.Type, tx.Host = "SOCK_DGRAM", "h2", "SOCK_DGRAM", "h1"
	do(rx)
	do(tx)
	bind := req(4, "bind")
	bind.Sock, bind.Addr = "s1", protocol.NewAddrArg(protocol.Raw(`["",9000]`))
	do(bind)
	const sent = 30
	for i := range sent {
		r := req(10+i, "sendto")
		r.Sock, r.Addr, r.Data = "s2", protocol.NewAddrArg(protocol.Raw(`["10.77.0.2",9000]`)), &Payload{Text: new(string)}
		*r.Data.Text = fmt.Sprint("d", i)
		do(r)
	}
	stats := func() (seen, kept, evicted int) {
		s.captures.mu.Lock()
		defer s.captures.mu.Unlock()
		for _, c := range s.captures.byHost {
			st := c.Stats()
			seen, kept, evicted = seen+st.Seen, kept+st.Kept, evicted+st.Evicted
		}
		return
	}
	// Each datagram is seen twice: leaving h1 and arriving at h2.
	deadline := time.Now().Add(30 * time.Second)
	for seen, _, _ := stats(); seen < 2*sent; seen, _, _ = stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the captures saw %d packets, want at least %d", seen, 2*sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	seen, kept, evicted := stats()
	if packets, _ := s.captures.budget.Stats(); packets != 20 || kept != 20 || evicted != seen-20 {
		t.Errorf("the captures saw %d packets and keep %d (the budget counts %d), %d evicted; want 20 kept in all", seen, kept, packets, evicted)
	}
	if n := len(s.Hosts()); n != 3 {
		t.Errorf("%d hosts captured, want 3", n)
	}
}
