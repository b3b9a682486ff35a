package sessions

import (
	"errors"

	"sockplay/sockets/netns"
)

// The class network of a room on a private server: each room has a LAN of
// its own (sockets/netns RoomLAN, 10.78.0.0/24), a bridge in a namespace of
// its own, and each member's private namespace is one host on it, with an
// interface room0 beside its loopback. The room decides the host numbers
// (1 the instructor, 2–254 the students) and calls Join, Leave and Close
// outside any session lock: they do netlink work in the helper. The
// interfaces are RoomNetwork and RoomLAN (room.go).

// NetnsRooms is the RoomNetwork of a private server whose sessions'
// namespaces are sockets/netns Namespaces of the helper h (nil: the
// process's default helper, where netns.New makes them).
func NetnsRooms(h *netns.Helper) RoomNetwork { return netnsRooms{h} }

type netnsRooms struct{ h *netns.Helper }

func (r netnsRooms) NewLAN() (RoomLAN, error) {
	var lan *netns.RoomLAN
	var err error
	if r.h == nil {
		lan, err = netns.NewRoomLAN()
	} else {
		lan, err = r.h.NewRoomLAN()
	}
	if err != nil {
		return nil, err
	}
	return netnsLAN{lan}, nil
}

// netnsLAN is a netns.RoomLAN as a RoomLAN.
type netnsLAN struct{ lan *netns.RoomLAN }

var errNotNetns = errors.New("this session's private network cannot join a room's class network")

func (l netnsLAN) Join(ns Namespace, n int) error {
	nns, ok := ns.(*netns.Namespace)
	if !ok {
		return errNotNetns
	}
	return l.lan.Join(nns, n)
}

func (l netnsLAN) Leave(ns Namespace) error {
	nns, ok := ns.(*netns.Namespace)
	if !ok {
		return errNotNetns
	}
	return l.lan.Leave(nns)
}

func (l netnsLAN) Close() error { return l.lan.Close() }
