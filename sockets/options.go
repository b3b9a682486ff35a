package sockets

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

type option struct {
	level, name int
	levelName   string
	readOnly    bool
	bytesOnly   bool // its value is a struct (ip_mreq), set from bytes and never read back
}

// options lists the socket options sockplay exposes, by Python name.
var options = map[string]option{
	"SO_REUSEADDR": {unix.SOL_SOCKET, unix.SO_REUSEADDR, "SOL_SOCKET", false, false},
	"SO_REUSEPORT": {unix.SOL_SOCKET, unix.SO_REUSEPORT, "SOL_SOCKET", false, false},
	"SO_BROADCAST": {unix.SOL_SOCKET, unix.SO_BROADCAST, "SOL_SOCKET", false, false},
	"SO_KEEPALIVE": {unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SOL_SOCKET", false, false},
	"SO_RCVBUF":    {unix.SOL_SOCKET, unix.SO_RCVBUF, "SOL_SOCKET", false, false},
	"SO_SNDBUF":    {unix.SOL_SOCKET, unix.SO_SNDBUF, "SOL_SOCKET", false, false},
	"SO_TYPE":      {unix.SOL_SOCKET, unix.SO_TYPE, "SOL_SOCKET", true, false},
	"SO_ERROR":     {unix.SOL_SOCKET, unix.SO_ERROR, "SOL_SOCKET", true, false},
	"TCP_NODELAY":  {unix.IPPROTO_TCP, unix.TCP_NODELAY, "IPPROTO_TCP", false, false},
	"TCP_CORK":     {unix.IPPROTO_TCP, unix.TCP_CORK, "IPPROTO_TCP", false, false},
	"TCP_QUICKACK": {unix.IPPROTO_TCP, unix.TCP_QUICKACK, "IPPROTO_TCP", false, false},
	"TCP_MAXSEG":   {unix.IPPROTO_TCP, unix.TCP_MAXSEG, "IPPROTO_TCP", false, false},
	"TCP_INFO":     {unix.IPPROTO_TCP, unix.TCP_INFO, "IPPROTO_TCP", true, false}, // struct tcp_info: read it with a buflen
	"IPV6_V6ONLY":  {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, "IPPROTO_IPV6", false, false},

	// Multicast (IPv4), as Python sets them: the memberships take struct
	// ip_mreq bytes (struct.pack('4sl', inet_aton(group), INADDR_ANY)), the
	// others an int.
	"IP_ADD_MEMBERSHIP":  {unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, "IPPROTO_IP", false, true},
	"IP_DROP_MEMBERSHIP": {unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP, "IPPROTO_IP", false, true},
	"IP_MULTICAST_TTL":   {unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, "IPPROTO_IP", false, false},
	"IP_MULTICAST_LOOP":  {unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, "IPPROTO_IP", false, false},
	"IP_TTL":             {unix.IPPROTO_IP, unix.IP_TTL, "IPPROTO_IP", false, false},
}

func lookupOption(level, name string) (option, *Error) {
	o, ok := options[name]
	if !ok {
		return o, BadRequest("AttributeError", "module 'socket' has no attribute '%s' (or sockplay does not offer it)", name)
	}
	if level != o.levelName {
		return o, BadRequest("", "%s belongs to level %s, not %s", name, o.levelName, level)
	}
	return o, nil
}

// SetOption is setsockopt(level, option, value). It returns the value read
// back from the kernel (Linux doubles SO_RCVBUF and SO_SNDBUF, for example).
func (s *Socket) SetOption(level, name string, value int) (int, *Error) {
	o, e := lookupOption(level, name)
	if e != nil {
		return 0, e
	}
	if o.readOnly {
		return 0, osError("setsockopt", unix.ENOPROTOOPT)
	}
	if o.bytesOnly {
		return 0, BadRequest("TypeError", "%s takes bytes, a struct ip_mreq: struct.pack('4sl', inet_aton(group), INADDR_ANY) (in a request: {\"group\": \"224.1.1.1\", \"interface\": \"0.0.0.0\"} or {\"hex\": \"…\"})", name)
	}
	if e := s.checkOpen(); e != nil {
		return 0, e
	}
	if e := s.control("setsockopt", func(fd int) error { return unix.SetsockoptInt(fd, o.level, o.name, value) }); e != nil {
		return 0, e
	}
	v, e := s.GetOption(level, name)
	if e != nil {
		return 0, e
	}
	s.mu.Lock()
	s.options[name] = v
	s.mu.Unlock()
	return v, nil
}

// MaxOptionBytes is the longest bytes value SetOptionBytes passes on.
const MaxOptionBytes = 64

// SetOptionBytes is setsockopt(level, option, value) with a bytes value, as
// Python passes one: the kernel reads the buffer as the option's struct
// (ip_mreq for IP_ADD_MEMBERSHIP: 8 bytes, or ip_mreqn: 12 or more) or as
// an int (a single byte is enough for IP_MULTICAST_TTL and _LOOP). It
// returns the value read back for an int option, and ok false for one that
// cannot be read back (the memberships).
func (s *Socket) SetOptionBytes(level, name string, value []byte) (v int, ok bool, e *Error) {
	o, e := lookupOption(level, name)
	if e != nil {
		return 0, false, e
	}
	if o.readOnly {
		return 0, false, osError("setsockopt", unix.ENOPROTOOPT)
	}
	if len(value) > MaxOptionBytes {
		return 0, false, BadRequest("OSError", "a setsockopt value of %d bytes is longer than any option's struct (at most %d here)", len(value), MaxOptionBytes)
	}
	if e := s.checkOpen(); e != nil {
		return 0, false, e
	}
	if e := s.control("setsockopt", func(fd int) error { return unix.SetsockoptString(fd, o.level, o.name, string(value)) }); e != nil {
		return 0, false, e
	}
	if o.bytesOnly {
		return 0, false, nil
	}
	if v, e = s.GetOption(level, name); e != nil {
		return 0, false, e
	}
	s.mu.Lock()
	s.options[name] = v
	s.mu.Unlock()
	return v, true, nil
}

// GetOption is getsockopt(level, option).
func (s *Socket) GetOption(level, name string) (int, *Error) {
	o, e := lookupOption(level, name)
	if e != nil {
		return 0, e
	}
	if o.bytesOnly {
		return 0, osError("getsockopt", unix.ENOPROTOOPT) // Linux cannot read a membership back
	}
	if e := s.checkOpen(); e != nil {
		return 0, e
	}
	var v int
	e = s.control("getsockopt", func(fd int) (err error) { v, err = unix.GetsockoptInt(fd, o.level, o.name); return })
	return v, e
}

// MaxOptionBuflen is the largest buflen GetOptionBytes takes, as Python's
// getsockopt(level, option, buflen).
const MaxOptionBuflen = 1024

// GetOptionBytes is getsockopt(level, option, buflen): the option's bytes
// as the kernel writes them into a buffer of buflen bytes (1 to
// MaxOptionBuflen), so at most buflen of them: the 4 bytes of an int, or a
// struct such as TCP_INFO's struct tcp_info.
func (s *Socket) GetOptionBytes(level, name string, buflen int) ([]byte, *Error) {
	o, e := lookupOption(level, name)
	if e != nil {
		return nil, e
	}
	if buflen <= 0 || buflen > MaxOptionBuflen {
		return nil, BadRequest("OSError", "getsockopt buflen out of range")
	}
	if o.bytesOnly {
		return nil, osError("getsockopt", unix.ENOPROTOOPT) // Linux cannot read a membership back
	}
	if e := s.checkOpen(); e != nil {
		return nil, e
	}
	buf := make([]byte, buflen)
	n := uint32(buflen)
	e = s.control("getsockopt", func(fd int) error {
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(o.level), uintptr(o.name),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		if errno != 0 {
			return errno
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return buf[:min(int(n), buflen)], nil
}
