package netns

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// roomNet is a room LAN as the helper holds it: a switch namespace with a
// bridge, and a veth from each member's namespace into it.
type roomNet struct {
	// use is held for reading while a member is plugged in (the switch's
	// descriptor is in use), and for writing to close the room.
	use    sync.RWMutex
	sw     int // the switch namespace's descriptor
	closed bool

	mu    sync.Mutex
	hosts map[int]int // member namespace id → its host number
}

// newRoom makes a room LAN's switch: a namespace of its own with a bridge,
// and no address.
func (c *child) newRoom() (int, error) {
	sw, err := c.unshare()
	if err != nil {
		return 0, err
	}
	if err := c.in(sw, func() error {
		if err := makeBridge(); err != nil {
			return err
		}
		return noForwarding()
	}); err != nil {
		unix.Close(sw)
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	c.rooms[c.next] = &roomNet{sw: sw, hosts: map[int]int{}}
	return c.next, nil
}

// room looks a room up.
func (c *child) room(id int) (*roomNet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rooms[id]
	if r == nil {
		return nil, fmt.Errorf("no room LAN %d", id)
	}
	return r, nil
}

// roomPort names host n's port on the room's bridge.
func roomPort(n int) string { return fmt.Sprintf("m%d", n) }

// joinRoom plugs the namespace req.NS into room req.Room as host req.Host.
func (c *child) joinRoom(req request) error {
	if req.Host < MinRoomHost || req.Host > MaxRoomHost {
		return fmt.Errorf("a room LAN's hosts are %d to %d, not %d", MinRoomHost, MaxRoomHost, req.Host)
	}
	r, err := c.room(req.Room)
	if err != nil {
		return err
	}
	s, err := c.lookup(req.NS)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.room != 0 {
		return errors.New("this namespace is on a room LAN already; leave it first")
	}
	r.use.RLock()
	defer r.use.RUnlock()
	if r.closed {
		return fmt.Errorf("no room LAN %d", req.Room)
	}
	if err := r.reserve(req.NS, req.Host); err != nil {
		return err
	}
	if err := c.plug(r, s.fd, req.Host); err != nil {
		c.in(s.fd, func() error { return deleteLink(RoomIface) })
		r.release(req.NS)
		return err
	}
	s.room = req.Room
	return nil
}

// reserve records host n as the namespace ns's, if no other has it.
func (r *roomNet) reserve(ns, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for other, m := range r.hosts {
		if m == n && other != ns {
			return fmt.Errorf("host %d of the room LAN is taken", n)
		}
	}
	r.hosts[ns] = n
	return nil
}

// release forgets the namespace ns's host number.
func (r *roomNet) release(ns int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.hosts, ns)
}

// plug makes host n's veth from the room's switch into the member's
// namespace fd, configures its end there and waits until both are up.
func (c *child) plug(r *roomNet, fd, n int) error {
	port := roomPort(n)
	if err := c.in(r.sw, func() error {
		if err := plugPort(port, RoomIface, fd); err != nil {
			return err
		}
		return setGroup(port, roomPorts)
	}); err != nil {
		return err
	}
	addr := RoomAddr(n).AsSlice()
	if err := c.in(fd, func() error {
		if err := configureIface(RoomIface, addr, RoomBroadcast, roomMetric); err != nil {
			return err
		}
		if err := noForwarding(); err != nil {
			return err
		}
		return waitUp([]string{RoomIface}, false)
	}); err != nil {
		return err
	}
	// Other ports of the bridge are up already (or being plugged, and then
	// waited for by their own join).
	return c.in(r.sw, func() error { return waitUp([]string{bridgeName, port}, false) })
}

// leaveRoom takes the namespace id off its room LAN, if it is on one.
func (c *child) leaveRoom(id int) error {
	s, err := c.lookup(id)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.room == 0 {
		return nil
	}
	return c.unplug(id, s)
}

// unplug deletes the room interface of the namespace id, whose space s is
// locked and on a room LAN: the veth goes, its port on the bridge with it.
func (c *child) unplug(id int, s *space) error {
	if r, err := c.room(s.room); err == nil {
		r.release(id)
	}
	s.room = 0
	return c.in(s.fd, func() error { return deleteLink(RoomIface) })
}

// closeRoom takes every member off the room LAN and closes its switch.
func (c *child) closeRoom(id int) error {
	c.mu.Lock()
	r := c.rooms[id]
	delete(c.rooms, id)
	c.mu.Unlock()
	if r == nil {
		return fmt.Errorf("no room LAN %d", id)
	}
	r.use.Lock() // joins under way finish first; later ones find it closed
	r.closed = true
	r.use.Unlock()
	r.mu.Lock()
	var members []int
	for ns := range r.hosts {
		members = append(members, ns)
	}
	r.mu.Unlock()
	// One deletion of every port at once: the kernel takes the members'
	// ends with them and waits out one RCU grace period for them all, not
	// one each (20 ms a member).
	err := c.in(r.sw, func() error { return deleteGroup(roomPorts) })
	for _, ns := range members {
		s, lerr := c.lookup(ns)
		if lerr != nil {
			continue // closing: closeSpace deletes its interface
		}
		if s.room == id {
			s.room = 0
			lerr = c.in(s.fd, func() error { return deleteLink(RoomIface) }) // gone already, unless the group deletion failed
		}
		s.mu.Unlock()
		err = errors.Join(err, lerr)
	}
	unix.Close(r.sw)
	return err
}

// roomPorts is the link group of a room's ports on its bridge.
const roomPorts = 1

// setGroup puts link name of the calling thread's namespace in group.
func setGroup(name string, group int) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return err
	}
	if err := h.LinkSetGroup(link, group); err != nil {
		return fmt.Errorf("ip link set %s group %d: %w", name, group, err)
	}
	return nil
}

// deleteGroup deletes every link of group in the calling thread's
// namespace in one request (ip link delete group N).
func deleteGroup(group int) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(uint32(group))))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("ip link delete group %d: %w", group, err)
	}
	return nil
}

// noForwarding turns IPv4 forwarding off in the calling thread's
// namespace (a new namespace copies the host's setting), so that a member
// that is also a lab's h1 never routes between the two LANs.
func noForwarding() error {
	const forward = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(forward); err == nil && strings.TrimSpace(string(b)) == "0" {
		return nil
	}
	if err := os.WriteFile(forward, []byte("0"), 0); err != nil {
		return fmt.Errorf("sysctl net.ipv4.ip_forward=0: %w", err)
	}
	return nil
}
