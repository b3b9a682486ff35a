package sockets

import (
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
}

var loopbackBroadcast = netip.AddrFrom4([4]byte{127, 255, 255, 255})

func (p *Policy) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip == loopbackBroadcast {
		return true
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
	if len(p.Extra) > 0 {
		var names []string
		for _, n := range p.Extra {
			names = append(names, n.String())
		}
		s += " and " + strings.Join(names, ", ")
	}
	return s
}

const widen = "start sockplay with --allow-net CIDR (or SOCKPLAY_ALLOW_NET) to allow another network"

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
		Message: "the playground binds only to " + p.nets() + " and the wildcard; " + widen,
		Hint:    "Sockets here stay on this machine's loopback network unless the server is configured otherwise.",
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
		Message: "the playground connects and sends only to " + p.nets() + "; " + widen,
		Hint:    "Sockets here can reach only this machine's loopback network, so a lesson cannot touch other hosts.",
	}
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
