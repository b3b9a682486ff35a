package sockets

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Policy decides which addresses sockets may bind to, connect to and send to.
// It is checked right before each bind, connect, sendto and each call that
// would bind implicitly; a refusal never reaches the kernel. The zero Policy
// is the "local" profile without the wildcard.
type Policy struct {
	// Wildcard allows binding to "", 0.0.0.0 and ::. The local profile turns
	// it on only while the HTTP server itself listens on loopback.
	Wildcard bool
	// Extra are networks allowed beyond loopback, from --allow-net.
	Extra []netip.Prefix
	// Server is sockplay's own HTTP listen address, which no socket may
	// connect or send to (in every profile). When it is a wildcard (0.0.0.0:P
	// or [::]:P), every address of this machine with port P is the server.
	// The zero AddrPort: no such address.
	Server netip.AddrPort
	// Budget bounds the sockets open at once across everything that uses
	// the policy; nil: no bound.
	Budget *Budget
	// Private says the sockets live in a private network namespace of their
	// own (--network private, sockets/netns): its loopback is all there is,
	// so it is all the policy allows, and the wildcard only reaches it.
	// Extra does not apply (nothing routes out of such a namespace).
	Private bool
	// Lab is the subnet of a lab LAN the sockets' namespace may be a host
	// of (a private network only; sockets/netns LabSubnet): its addresses,
	// the limited broadcast address 255.255.255.255 and the multicast
	// groups (224.0.0.0/4) are allowed too. They exist only while the lab
	// does; before and after, the kernel finds no route. The zero Prefix:
	// no lab.
	Lab netip.Prefix
	// Room is the subnet of a room's class network the sockets' namespace
	// may be a host of (a private network only; sockets/netns RoomSubnet):
	// like Lab, its addresses, 255.255.255.255 and the multicast groups are
	// allowed, and exist only while the session is in a room. The zero
	// Prefix: no room LAN.
	Room netip.Prefix
}

var (
	loopbackBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})
	limitedBroadcast  = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

func (p *Policy) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip == loopbackBroadcast {
		return true
	}
	if p.Private && (p.Lab.IsValid() || p.Room.IsValid()) {
		if p.Lab.IsValid() && p.Lab.Contains(ip) || p.Room.IsValid() && p.Room.Contains(ip) || ip == limitedBroadcast || ip.Is4() && ip.IsMulticast() {
			return true
		}
	}
	if p.Private {
		return false
	}
	for _, n := range p.Extra {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func (p *Policy) nets() string {
	s := "loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255"
	if p.Private {
		s += p.lanNets()
	}
	if len(p.Extra) > 0 && !p.Private {
		var names []string
		for _, n := range p.Extra {
			names = append(names, n.String())
		}
		s += " and " + strings.Join(names, ", ")
	}
	return s
}

const widen = "start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"

// beyond is what a refusal of a network the policy does not allow adds:
// how to widen it, or, in a private network, why nothing can.
func (p *Policy) beyond() string {
	if p.Private {
		return "this session's private network has nothing else (no route out, no other session" + p.roomMembers() + ", no service of the host)"
	}
	return widen
}

// roomMembers qualifies "no other session" where a room LAN may exist.
func (p *Policy) roomMembers() string {
	if p.Room.IsValid() {
		return " but its room's members on the class network"
	}
	return ""
}

// CheckBind reports whether a socket may bind to ip and port.
func (p *Policy) CheckBind(ip netip.Addr, port int) *Error {
	if port != 0 && port < 1024 {
		return &Error{
			Kind:    KindPolicy,
			Message: "the playground binds only to port 0 (any free port) or ports 1024-65535",
			Hint:    "Ports below 1024 are privileged; pick one from 1024 up, such as 9000.",
		}
	}
	if ip.IsUnspecified() {
		if p.Wildcard {
			return nil
		}
		return &Error{
			Kind:    KindPolicy,
			Message: "binding to the wildcard address ('', 0.0.0.0, ::) is allowed only while sockplay itself listens on loopback; bind to 127.0.0.1 instead",
			Hint:    "A wildcard socket would accept traffic from other machines; run sockplay on 127.0.0.1 to allow it.",
		}
	}
	if p.allowed(ip) {
		return nil
	}
	return &Error{
		Kind:    KindPolicy,
		Message: "the playground binds only to " + p.nets() + " and the wildcard; " + p.beyond(),
		Hint:    p.hint("Sockets here stay on this machine's loopback network unless the server is configured otherwise."),
	}
}

// CheckPeer reports whether a socket may connect or send to ip and port.
func (p *Policy) CheckPeer(ip netip.Addr, port int) *Error {
	if p.isServer(ip, port) {
		return &Error{
			Kind:    KindPolicy,
			Message: "that is sockplay's own address (its web server listens on " + p.Server.String() + "): playground sockets may not connect or send to the server itself; pick another port",
			Hint:    "The playground keeps its sockets away from the server that runs it, so a page cannot drive sockplay from inside.",
		}
	}
	if p.allowed(ip) {
		return nil
	}
	return &Error{
		Kind:    KindPolicy,
		Message: "the playground connects and sends only to " + p.nets() + "; " + p.beyond(),
		Hint:    p.hint("Sockets here can reach only this machine's loopback network, so a lesson cannot touch other hosts."),
	}
}

// hint is host's hint for the host's network, or the private network's.
func (p *Policy) hint(host string) string {
	if p.Private {
		return "This session has a network of its own: a loopback (127.0.0.1, ::1) and nothing else."
	}
	return host
}

// checkImplicitBind is for calls that bind an unbound socket to the wildcard
// address on the kernel's initiative (listen, sendto).
func (p *Policy) checkImplicitBind(op string) *Error {
	if p.Wildcard {
		return nil
	}
	return &Error{
		Kind:    KindPolicy,
		Message: op + "() on an unbound socket would bind it to the wildcard address, which is not allowed here; bind it to 127.0.0.1 first",
		Hint:    "The kernel binds an unbound socket to 0.0.0.0 and a free port; with sockplay not on loopback that is refused.",
	}
}

// isServer reports whether ip and port reach sockplay's own HTTP server.
func (p *Policy) isServer(ip netip.Addr, port int) bool {
	if !p.Server.IsValid() || port != int(p.Server.Port()) {
		return false
	}
	ip = ip.Unmap()
	if ip.IsUnspecified() {
		// Connecting to 0.0.0.0 or :: reaches this machine's loopback.
		if ip.Is4() {
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		} else {
			ip = netip.IPv6Loopback()
		}
	}
	srv := p.Server.Addr().Unmap()
	if !srv.IsUnspecified() {
		return ip == srv
	}
	return ip.IsLoopback() || ip == loopbackBroadcast || isLocal(ip)
}

// isLocal reports whether ip is an address of one of this machine's
// interfaces. It is asked only for a connection to the server's own port.
func isLocal(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true // cannot tell: refuse rather than reach the server
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if local, ok := netip.AddrFromSlice(n.IP); ok && local.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// Description says in sentences what a policy lets sockets reach, for the
// learner (a session's hello carries it).
type Description struct {
	// Profile names the network: "private" (a network namespace of the
	// session's own), "local" (this machine's loopback) or "allow-net"
	// (this machine's loopback and the --allow-net networks).
	Profile string
	Bind    string // what sockets may bind to
	Connect string // what sockets may connect and send to
}

// lanNets names what a lab and a room add to a private network's
// addresses.
func (p *Policy) lanNets() string {
	s := ""
	if p.Lab.IsValid() {
		s += ", and while a lab LAN exists (op lab) its subnet " + p.Lab.String() + ", 255.255.255.255 and the multicast groups 224.0.0.0/4"
	}
	if p.Room.IsValid() {
		s += ", and while the session is in a room, the room's class network " + p.Room.String()
		if !p.Lab.IsValid() {
			s += ", 255.255.255.255 and the multicast groups 224.0.0.0/4"
		}
	}
	return s
}

// Describe says what the policy allows.
func (p *Policy) Describe() Description {
	d := Description{Profile: "local"}
	nets := "loopback addresses (127.0.0.0/8, ::1) and 127.255.255.255"
	switch {
	case p.Private:
		d.Profile = "private"
		nets += p.lanNets()
	case len(p.Extra) > 0:
		d.Profile = "allow-net"
		var names []string
		for _, n := range p.Extra {
			names = append(names, n.String())
		}
		nets = "loopback addresses (127.0.0.0/8, ::1), 127.255.255.255 and " + strings.Join(names, ", ")
	}
	d.Bind = nets
	if p.Wildcard {
		d.Bind += " and the wildcard ('', 0.0.0.0, ::)"
	}
	d.Bind += "; ports 0 or 1024-65535"
	d.Connect = nets
	if p.Server.IsValid() {
		if p.Server.Addr().IsUnspecified() {
			d.Connect += fmt.Sprintf(", except port %d of this machine's addresses (sockplay's own web server)", p.Server.Port())
		} else {
			d.Connect += ", except " + p.Server.String() + " (sockplay's own web server)"
		}
	}
	if p.Private {
		d.Bind = "this session's private network: " + d.Bind
		d.Connect = "this session's private network only — " + d.Connect + "; nothing else exists there: no route out, no other session" + p.roomMembers() + ", no service of the host, not sockplay"
	} else {
		d.Connect += "; loopback is this machine's, shared with its other programs and every other session"
	}
	return d
}
