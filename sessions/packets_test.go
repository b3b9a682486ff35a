package sessions

import (
	"encoding/json"
	"net/netip"
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
		TCP       json.RawMessage
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
