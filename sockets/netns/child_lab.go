package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// labNet is a lab as the helper holds it: a switch namespace with a bridge,
// and one veth from each host's namespace into it.
type labNet struct {
	owner int   // h1's namespace id (the session's own)
	hosts []int // h2…hN's namespace ids, owned by the lab
	sw    int   // the switch namespace's descriptor
}

const (
	bridgeName = "br0"  // the lab's switch, in the switch namespace
	hostIface  = "eth0" // each host's one interface on the lab LAN
)

// buildLab builds a lab LAN whose first host is the namespace req.NS.
func (c *child) buildLab(req request, r *reply) (err error) {
	if req.Hosts < MinLabHosts || req.Hosts > MaxLabHosts {
		return fmt.Errorf("a lab has %d to %d hosts, not %d", MinLabHosts, MaxLabHosts, req.Hosts)
	}
	owner, err := c.lookup(req.NS)
	if err != nil {
		return err
	}
	defer owner.mu.Unlock()
	if owner.lab != 0 {
		return errors.New("this namespace already has a lab; close it first")
	}

	sw, err := c.unshare()
	if err != nil {
		return err
	}
	fds := []int{owner.fd}
	defer func() {
		if err == nil {
			return
		}
		c.in(owner.fd, func() error { return deleteLink(hostIface) })
		closeAll(fds[1:])
		unix.Close(sw)
	}()
	for i := 2; i <= req.Hosts; i++ {
		fd, err := c.unshare()
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	if err := c.in(sw, makeBridge); err != nil {
		return err
	}
	for i, fd := range fds {
		name := hostName(i)
		if err := c.in(sw, func() error { return plugPort(name, hostIface, fd) }); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		addr := hostAddr(i)
		if err := c.in(fd, func() error { return configureIface(hostIface, addr, LabBroadcast, labMetric) }); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}

	// Links come up asynchronously (the kernel's linkwatch activates their
	// queues); a packet sent before would be dropped.
	for i, fd := range fds {
		if err := c.in(fd, func() error { return waitUp([]string{hostIface}, false) }); err != nil {
			return fmt.Errorf("%s: %w", hostName(i), err)
		}
	}
	ports := []string{bridgeName}
	for i := range fds {
		ports = append(ports, hostName(i))
	}
	if err := c.in(sw, func() error { return waitUp(ports, true) }); err != nil {
		return err
	}

	l := &labNet{owner: req.NS, sw: sw}
	r.LabHosts = []wireHost{{Name: hostName(0), NS: req.NS, Addr: hostAddr(0).String()}}
	for i, fd := range fds[1:] {
		id := c.add(fd)
		l.hosts = append(l.hosts, id)
		r.LabHosts = append(r.LabHosts, wireHost{Name: hostName(i + 1), NS: id, Addr: hostAddr(i + 1).String()})
	}
	c.mu.Lock()
	c.next++
	r.Lab = c.next
	c.labs[r.Lab] = l
	c.mu.Unlock()
	owner.lab = r.Lab
	r.Broadcast = LabBroadcast.String()
	return nil
}

// closeLab closes the lab's own hosts (h2…hN) and its switch, and removes
// h1's lab interface.
func (c *child) closeLab(id int) error {
	c.mu.Lock()
	l := c.labs[id]
	delete(c.labs, id)
	c.mu.Unlock()
	if l == nil {
		return fmt.Errorf("no lab %d", id)
	}
	var errs []error
	for _, h := range l.hosts {
		errs = append(errs, c.closeSpace(h))
	}
	if owner, err := c.lookup(l.owner); err == nil { // gone already when the owner is closing
		errs = append(errs, c.in(owner.fd, func() error { return deleteLink(hostIface) }))
		owner.lab = 0
		owner.mu.Unlock()
	}
	unix.Close(l.sw)
	return errors.Join(errs...)
}

// makeBridge creates the lab's bridge, up, in the calling thread's
// namespace. Multicast snooping is off, so the bridge floods multicast and
// each host's kernel decides what it accepts, as on a plain hub.
func makeBridge() error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	snooping := false
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName}, MulticastSnooping: &snooping}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("ip link add %s type bridge: %w", bridgeName, err)
	}
	disableIPv6(bridgeName)
	return h.LinkSetUp(br)
}

// plugPort creates a veth pair in the calling thread's (a switch's)
// namespace: the switch end, port, put on the bridge, and the host end,
// peer, created directly in the host's namespace hostFD.
func plugPort(port, peer string, hostFD int) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: port},
		PeerName:      peer,
		PeerNamespace: netlink.NsFd(hostFD),
	}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("ip link add %s type veth peer %s: %w", port, peer, err)
	}
	br, err := h.LinkByName(bridgeName)
	if err != nil {
		return err
	}
	if err := h.LinkSetMaster(veth, br); err != nil {
		return fmt.Errorf("ip link set %s master %s: %w", port, bridgeName, err)
	}
	disableIPv6(port)
	return h.LinkSetUp(veth)
}

// Route metrics of the limited broadcast and multicast routes: where a
// namespace is both a lab's h1 and a host of a room LAN, the lab's win (a
// lab lesson's '<broadcast>' stays on the lab), and the room's take over
// when the lab is torn down.
const (
	labMetric  = 0
	roomMetric = 100
)

// configureIface gives iface in the calling thread's namespace its address
// on a /24 with its broadcast address and brings it up, with routes for the
// limited broadcast address and for multicast through it at metric (a LAN
// has no default route: nothing leaves it).
func configureIface(iface string, addr net.IP, broadcast netip.Addr, metric int) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(iface)
	if err != nil {
		return err
	}
	disableIPv6(iface)
	ipnet := &net.IPNet{IP: addr, Mask: net.IPMask(net.ParseIP(labMask).To4())}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipnet, Broadcast: broadcast.AsSlice()}); err != nil {
		return fmt.Errorf("ip addr add %s dev %s: %w", ipnet, iface, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return err
	}
	for _, dst := range []string{"224.0.0.0/4", "255.255.255.255/32"} {
		_, n, _ := net.ParseCIDR(dst)
		rt := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: n, Scope: netlink.SCOPE_LINK, Priority: metric}
		if err := h.RouteAdd(rt); err != nil {
			return fmt.Errorf("ip route add %s dev %s metric %d: %w", dst, iface, metric, err)
		}
	}
	return nil
}

// disableIPv6 turns IPv6 off on a lab interface before it comes up, so the
// LAN carries only what the learner sends (no router solicitations or MLD
// reports). /proc/sys/net follows the calling thread's namespace. A kernel
// without IPv6 has no such file, and nothing to turn off.
func disableIPv6(iface string) {
	os.WriteFile("/proc/sys/net/ipv6/conf/"+iface+"/disable_ipv6", []byte("1"), 0)
}

// deleteLink deletes a link in the calling thread's namespace (and so the
// other end of a veth), if it is there.
func deleteLink(name string) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	if err := h.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) { // gone meanwhile (with its peer)
		return err
	}
	return nil
}

// linkUpWait bounds how long a lab waits for its links to come up (they
// take about a millisecond).
const linkUpWait = 10 * time.Second

// waitUp waits until the links named are operationally up in the calling
// thread's namespace, and, with bridge, until every port of the bridge
// forwards.
func waitUp(names []string, bridge bool) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	deadline := time.Now().Add(linkUpWait)
	for {
		pending, err := notUp(h, names, bridge)
		if err != nil {
			return err
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come up within %v", pending, linkUpWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// notUp names a link that is not up yet, or returns "".
func notUp(h *netlink.Handle, names []string, bridge bool) (string, error) {
	for _, name := range names {
		link, err := h.LinkByName(name)
		if err != nil {
			return "", err
		}
		if link.Attrs().OperState != netlink.OperUp {
			return name, nil
		}
	}
	if !bridge {
		return "", nil
	}
	// Port states come in the AF_BRIDGE link dump, in IFLA_PROTINFO.
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_BRIDGE))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return "", err
	}
	for _, m := range msgs {
		ifi := nl.DeserializeIfInfomsg(m)
		attrs, err := nl.ParseRouteAttr(m[ifi.Len():])
		if err != nil {
			return "", err
		}
		name, state := "", -1
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.IFLA_IFNAME:
				name = strings.TrimRight(string(a.Value), "\x00")
			case unix.IFLA_PROTINFO | unix.NLA_F_NESTED:
				infos, err := nl.ParseRouteAttr(a.Value)
				if err != nil {
					return "", err
				}
				for _, in := range infos {
					if in.Attr.Type == nl.IFLA_BRPORT_STATE && len(in.Value) > 0 {
						state = int(in.Value[0])
					}
				}
			}
		}
		if state >= 0 && state != brStateForwarding {
			return name + " (bridge port)", nil
		}
	}
	return "", nil
}

// brStateForwarding is BR_STATE_FORWARDING (linux/if_bridge.h).
const brStateForwarding = 3
