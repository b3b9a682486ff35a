package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// Every lab uses the same subnet: each lab is a world of its own, reachable
// from no other namespace and never routed to the host.
var (
	LabSubnet    = netip.MustParsePrefix("10.77.0.0/24") // the lab LAN; host hN is 10.77.0.N
	LabBroadcast = netip.MustParseAddr("10.77.0.255")    // its subnet broadcast address
)

const labMask = "255.255.255.0" // LabSubnet's mask, for netlink

// How many hosts a lab has, its owner included.
const (
	MinLabHosts = 2
	MaxLabHosts = 8
)

// hostName names the lab host with 0-based index i: h1, h2, …
func hostName(i int) string { return fmt.Sprintf("h%d", i+1) }

// hostAddr is the address of the lab host with 0-based index i.
func hostAddr(i int) net.IP {
	a := LabSubnet.Addr().As4()
	a[3] = byte(i + 1)
	return net.IP(a[:])
}

// Lab is a LAN of hosts on one bridge. Each host is a network namespace
// with lo and one interface, eth0, on LabSubnet; the bridge lives in a
// switch namespace of its own, which has no address. h1 is the namespace
// the lab was made for; the others belong to the lab.
type Lab struct {
	h     *Helper
	id    int
	owner *Namespace

	Hosts     []Host     // h1 (the owner) first
	Broadcast netip.Addr // the subnet broadcast address (LabBroadcast)

	mu     sync.Mutex
	closed bool
}

// Host is one host of a lab.
type Host struct {
	Name string     // "h1", "h2", …
	Addr netip.Addr // its address on the LAN, e.g. 10.77.0.2
	NS   *Namespace // its namespace: make its sockets with NS.Socket
}

// NewLab builds a lab LAN of hosts hosts (MinLabHosts to MaxLabHosts),
// whose first host, h1, is owner. On each host, eth0 has its address and
// the subnet's broadcast address, and routes for the limited broadcast
// address 255.255.255.255 and for multicast (224.0.0.0/4); there is no
// default route. IPv6 is off on the LAN, so it carries only what the hosts'
// sockets send (and the kernel's ARP and IGMP for them). A namespace has at
// most one lab at a time.
func NewLab(owner *Namespace, hosts int) (*Lab, error) {
	if hosts < MinLabHosts || hosts > MaxLabHosts {
		return nil, fmt.Errorf("a lab has %d to %d hosts, not %d", MinLabHosts, MaxLabHosts, hosts)
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	switch {
	case owner.closed:
		return nil, errClosed
	case owner.lab != nil:
		return nil, errors.New("this namespace already has a lab; close it first")
	case owner.ofLab != nil:
		return nil, errors.New("a lab host cannot own a lab")
	}
	a, err := owner.h.call(request{Op: opLab, NS: owner.id, Hosts: hosts})
	if err != nil {
		return nil, err
	}
	l := &Lab{h: owner.h, id: a.Lab, owner: owner}
	l.Broadcast, err = netip.ParseAddr(a.Broadcast)
	if err != nil {
		return nil, fmt.Errorf("netns helper: broadcast %q: %v", a.Broadcast, err)
	}
	for i, wh := range a.LabHosts {
		addr, err := netip.ParseAddr(wh.Addr)
		if err != nil {
			return nil, fmt.Errorf("netns helper: address %q: %v", wh.Addr, err)
		}
		ns := owner
		if i > 0 {
			ns = &Namespace{h: owner.h, id: wh.NS, ofLab: l}
		}
		l.Hosts = append(l.Hosts, Host{Name: wh.Name, Addr: addr, NS: ns})
	}
	owner.lab = l
	return l, nil
}

// Host returns the host called name ("h2"), or nil.
func (l *Lab) Host(name string) *Host {
	for i := range l.Hosts {
		if l.Hosts[i].Name == name {
			return &l.Hosts[i]
		}
	}
	return nil
}

// Close tears the lab down: h2…hN and the switch are closed, and h1 loses
// eth0 and keeps its loopback. Sockets still open on h2…hN keep those
// namespaces alive (unreachable) until they are closed. Closing twice is
// harmless; closing h1 closes its lab too.
func (l *Lab) Close() error {
	if !l.markClosed() {
		return nil
	}
	l.owner.mu.Lock()
	if l.owner.lab == l {
		l.owner.lab = nil
	}
	l.owner.mu.Unlock()
	_, err := l.h.call(request{Op: opCloseLab, Lab: l.id})
	return err
}

// markClosed marks the lab and its own hosts closed, and reports whether it
// was open.
func (l *Lab) markClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closed = true
	for _, h := range l.Hosts[1:] {
		h.NS.mu.Lock()
		h.NS.closed = true
		h.NS.mu.Unlock()
	}
	return true
}
