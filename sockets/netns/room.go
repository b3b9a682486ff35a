package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// Every room LAN uses the same subnet, beside the labs' (LabSubnet): each
// room is a world of its own, reachable from no other namespace and never
// routed to the host. Its mask is labMask's, /24.
var (
	RoomSubnet    = netip.MustParsePrefix("10.78.0.0/24") // a room's class network; host n is 10.78.0.n
	RoomBroadcast = netip.MustParseAddr("10.78.0.255")    // its subnet broadcast address
)

// RoomIface is a member's interface on its room LAN.
const RoomIface = "room0"

// The host numbers of a room LAN: 1 (by convention the instructor) to 254.
const (
	MinRoomHost = 1
	MaxRoomHost = 254
)

// RoomAddr is host n's address on a room LAN, 10.78.0.n.
func RoomAddr(n int) netip.Addr {
	a := RoomSubnet.Addr().As4()
	a[3] = byte(n)
	return netip.AddrFrom4(a)
}

// RoomLAN is a class's LAN: a bridge in a switch namespace of its own, which
// has no address, and on it the private namespaces of the room's members,
// each as one host with an interface room0 on RoomSubnet. A member keeps its
// loopback (and its lab, if it has one). Its methods are safe for
// concurrent use.
type RoomLAN struct {
	h  *Helper
	id int

	mu      sync.Mutex
	closed  bool
	members map[*Namespace]int // host numbers, reserved before the helper plugs them in
}

// NewRoomLAN makes a room LAN, with no member yet, in the process's default
// helper (where New makes namespaces).
func NewRoomLAN() (*RoomLAN, error) {
	h, err := defaultHelper()
	if err != nil {
		return nil, err
	}
	return h.NewRoomLAN()
}

// NewRoomLAN makes a room LAN, with no member yet, for namespaces of this
// helper.
func (h *Helper) NewRoomLAN() (*RoomLAN, error) {
	a, err := h.call(request{Op: opRoom})
	if err != nil {
		return nil, err
	}
	return &RoomLAN{h: h, id: a.Room, members: map[*Namespace]int{}}, nil
}

var errRoomClosed = errors.New("the room LAN is closed")

// Join plugs ns into the LAN as host n (MinRoomHost to MaxRoomHost): in ns,
// an interface room0 with 10.78.0.n/24 and the broadcast address
// 10.78.0.255, up, with routes for the limited broadcast address
// 255.255.255.255 and for multicast (224.0.0.0/4) through it — at a higher
// metric than a lab's, so while ns has a lab those go to the lab — and no
// default route; IPv4 forwarding is off in ns. It returns once the link is
// up (a datagram sent then is not lost). Joining again as the same host is
// harmless; a namespace is on at most one room LAN, and a host number
// belongs to one member.
func (r *RoomLAN) Join(ns *Namespace, n int) error {
	if n < MinRoomHost || n > MaxRoomHost {
		return fmt.Errorf("a room LAN's hosts are %d to %d, not %d", MinRoomHost, MaxRoomHost, n)
	}
	if ns.h != r.h {
		return errors.New("the namespace belongs to another helper than the room LAN")
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	switch {
	case ns.closed:
		return errClosed
	case ns.ofLab != nil:
		return errors.New("a lab's host cannot join a room LAN")
	case ns.room == r && r.hostOf(ns) == n:
		return nil
	case ns.room != nil:
		return errors.New("this namespace is on a room LAN already; leave it first")
	}
	if err := r.reserve(ns, n); err != nil {
		return err
	}
	if _, err := r.h.call(request{Op: opRoomJoin, Room: r.id, NS: ns.id, Host: n}); err != nil {
		r.release(ns)
		return err
	}
	ns.room = r
	return nil
}

// hostOf is ns's host number on the LAN, or 0.
func (r *RoomLAN) hostOf(ns *Namespace) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.members[ns]
}

// reserve gives host n to ns, if the LAN is open and no other member has n.
func (r *RoomLAN) reserve(ns *Namespace, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errRoomClosed
	}
	for other, m := range r.members {
		if m == n && other != ns {
			return fmt.Errorf("host %d of the room LAN (%v) is another member's", n, RoomAddr(n))
		}
	}
	r.members[ns] = n
	return nil
}

// release forgets ns's host number.
func (r *RoomLAN) release(ns *Namespace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, ns)
}

// Leave takes ns off the LAN: its room0 goes (and its port on the bridge);
// its loopback and its lab stay. Leaving a LAN ns is not on is harmless.
func (r *RoomLAN) Leave(ns *Namespace) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.room != r {
		return nil
	}
	ns.room = nil
	r.release(ns)
	if ns.closed {
		return nil // the helper took it off when it closed
	}
	_, err := r.h.call(request{Op: opRoomLeave, NS: ns.id})
	return err
}

// Members is how many namespaces are on the LAN.
func (r *RoomLAN) Members() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

// Close takes every member off the LAN and closes its switch namespace.
// Closing twice is harmless.
func (r *RoomLAN) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var members []*Namespace
	for ns := range r.members {
		members = append(members, ns)
	}
	r.members = map[*Namespace]int{}
	r.mu.Unlock()
	for _, ns := range members {
		ns.mu.Lock()
		if ns.room == r {
			ns.room = nil
		}
		ns.mu.Unlock()
	}
	_, err := r.h.call(request{Op: opCloseRoom, Room: r.id})
	return err
}

// forget drops ns, which is closing, from the LAN (the helper takes its
// interface off as it closes it).
func (r *RoomLAN) forget(ns *Namespace) { r.release(ns) }
