package sockets

import (
	"net/netip"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Family is an address family, named as in Python.
type Family string

// Type is a socket type, named as in Python.
type Type string

// The families and types sockplay offers.
const (
	AFInet     Family = "AF_INET"
	AFInet6    Family = "AF_INET6"
	SockStream Type   = "SOCK_STREAM"
	SockDgram  Type   = "SOCK_DGRAM"
)

// Addr is a socket address as Python writes it: (host, port) for AF_INET,
// (host, port, flowinfo, scope_id) for AF_INET6.
type Addr struct {
	Host     string
	Port     int
	FlowInfo uint32
	ScopeID  uint32
}

// String returns Python's repr of the address tuple.
func (a Addr) String() string {
	s := "('" + a.Host + "', " + strconv.Itoa(a.Port)
	if netip.MustParseAddr(orZero(a.Host)).Is6() {
		s += ", " + strconv.FormatUint(uint64(a.FlowInfo), 10) + ", " + strconv.FormatUint(uint64(a.ScopeID), 10)
	}
	return s + ")"
}

func orZero(h string) string {
	if _, err := netip.ParseAddr(h); err != nil {
		return "0.0.0.0"
	}
	return h
}

// resolve turns a Python host string into an IP of the socket's family. Only
// numeric addresses, "", "<broadcast>" and "localhost" are accepted: sockplay
// never asks DNS.
func resolve(f Family, op string, a Addr) (netip.Addr, *Error) {
	if a.Port < 0 || a.Port > 65535 {
		return netip.Addr{}, BadRequest("OverflowError", "%s(): port must be 0-65535.", op)
	}
	var ip netip.Addr
	switch a.Host {
	case "":
		ip = netip.IPv4Unspecified()
		if f == AFInet6 {
			ip = netip.IPv6Unspecified()
		}
	case "<broadcast>":
		ip = netip.AddrFrom4([4]byte{255, 255, 255, 255})
		if f == AFInet6 {
			return netip.Addr{}, gaiError()
		}
	case "localhost":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if f == AFInet6 {
			ip = netip.IPv6Loopback()
		}
	default:
		var err error
		ip, err = netip.ParseAddr(a.Host)
		if err != nil {
			return netip.Addr{}, &Error{
				Kind:    KindPolicy,
				Message: "sockplay resolves no host names: use a numeric address such as '127.0.0.1' or '::1', or 'localhost'",
				Hint:    "Name lookups would ask DNS servers outside this machine; the playground stays on numeric addresses.",
			}
		}
		if ip.Zone() != "" {
			ip = ip.WithZone("")
		}
	}
	if (f == AFInet) != ip.Is4() {
		return netip.Addr{}, gaiError()
	}
	return ip, nil
}

func gaiError() *Error {
	return &Error{
		Kind:      KindOS,
		Errno:     "EAI_ADDRFAMILY",
		Code:      -9,
		Exception: "socket.gaierror",
		Message:   "[Errno -9] Address family for hostname not supported",
		Hint:      "An AF_INET socket takes IPv4 addresses such as '127.0.0.1'; an AF_INET6 socket takes IPv6 addresses such as '::1'.",
	}
}

// loopback4 is 127.0.0.1, the address most datagrams here come from.
var loopback4 = [4]byte{127, 0, 0, 1}

func sockaddr(ip netip.Addr, a Addr) unix.Sockaddr {
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: a.Port, Addr: ip.As4()}
	}
	return &unix.SockaddrInet6{Port: a.Port, ZoneId: a.ScopeID, Addr: ip.As16()}
}

// fromSockaddr converts a kernel address; nil stays nil.
//
// Addresses come from the kernel through package syscall, not x/sys/unix:
// unix asks for SO_PROTOCOL (one more system call) each time it converts an
// AF_INET or AF_INET6 address, to tell L2TP sockets apart, which sockplay
// never opens. That doubled the cost of every recvfrom and getsockname.
func fromSockaddr(sa syscall.Sockaddr) *Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		if sa.Addr == loopback4 {
			return &Addr{Host: "127.0.0.1", Port: sa.Port} // the usual peer: no string to make
		}
		return &Addr{Host: netip.AddrFrom4(sa.Addr).String(), Port: sa.Port}
	case *syscall.SockaddrInet6:
		return &Addr{Host: netip.AddrFrom16(sa.Addr).String(), Port: sa.Port, ScopeID: sa.ZoneId}
	}
	return nil
}
