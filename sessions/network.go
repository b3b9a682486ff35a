package sessions

import (
	"errors"
	"fmt"
	"sync"

	"sockplay/sockets"
	"sockplay/sockets/netns"
)

// The network profiles, as a session's hello names them.
const (
	// NetworkHost: the session's sockets live on this machine's own
	// network, beside every other program's (the learner's own machine).
	NetworkHost = "host"
	// NetworkPrivate: they live in a network namespace of the session's
	// own, with its own loopback and nothing else (Config.Private).
	NetworkPrivate = "private"
)

// Namespace is a private network a session's sockets live in: a network
// namespace with its own loopback (127.0.0.1/8, ::1) and nothing else, such
// as a sockets/netns Namespace.
type Namespace interface {
	// Socket makes a socket inside the namespace; it is a sockets.Opener.
	Socket(domain, typ, proto int) (fd int, err error)
	// Close ends the namespace; sockets still open in it keep it alive
	// until they are closed.
	Close() error
}

// network is a session's network: the host's, or a private namespace made
// when the session makes its first socket (a page view that never makes one
// costs no namespace). Its sockets, its peers' and its checks' are all made
// in it.
type network struct {
	make func() (Namespace, error) // nil: the host's network
	made func(Namespace)           // called once the namespace is made (the session starts its capture, packets.go)

	mu     sync.Mutex
	ns     Namespace // made on first use
	closed bool
}

// name is the network's profile, NetworkHost or NetworkPrivate.
func (n *network) name() string {
	if n.make == nil {
		return NetworkHost
	}
	return NetworkPrivate
}

// opener makes the session's sockets: nil (socket(2) in this process's
// network) for the host's network.
func (n *network) opener() sockets.Opener {
	if n.make == nil {
		return nil
	}
	return n.socket
}

// socket makes a socket in the session's namespace, making the namespace
// first if need be.
func (n *network) socket(domain, typ, proto int) (int, error) {
	ns, err := n.namespace()
	if err != nil {
		return -1, err
	}
	return ns.Socket(domain, typ, proto)
}

var errNetworkClosed = errors.New("the session has ended, and its private network with it")

func (n *network) namespace() (Namespace, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errNetworkClosed
	}
	if n.ns == nil {
		ns, err := n.make()
		if err != nil {
			return nil, fmt.Errorf("this session's private network could not be made: %w", err)
		}
		n.ns = ns
		if n.made != nil {
			n.made(ns)
		}
	}
	return n.ns, nil
}

// close ends the namespace, if one was made; the session calls it after
// closing its sockets and stopping its peers and checks.
func (n *network) close() {
	n.mu.Lock()
	ns := n.ns
	n.ns, n.closed = nil, true
	n.mu.Unlock()
	if ns != nil {
		ns.Close() // it can only fail if the helper is gone, and its namespaces with it
	}
}

// privatePolicy is p for sessions in private networks: Private set, the
// wildcard allowed (it reaches only the session's own loopback), the lab
// LAN's subnet, which exists there only while the session has a lab
// (lab.go), and the room LAN's, which exists only while the session is in
// a room on a private server (roomlan.go).
func privatePolicy(p *sockets.Policy) *sockets.Policy {
	if p.Private && p.Wildcard && p.Lab == netns.LabSubnet && p.Room == netns.RoomSubnet {
		return p
	}
	q := *p
	q.Private, q.Wildcard, q.Lab, q.Room = true, true, netns.LabSubnet, netns.RoomSubnet
	return &q
}
