package sockets

import (
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

// CheckPeer reports whether a socket may connect or send to ip.
func (p *Policy) CheckPeer(ip netip.Addr) *Error {
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
