package sockets

import "golang.org/x/sys/unix"

type option struct {
	level, name int
	levelName   string
	readOnly    bool
}

// options lists the socket options sockplay exposes, by Python name.
var options = map[string]option{
	"SO_REUSEADDR": {unix.SOL_SOCKET, unix.SO_REUSEADDR, "SOL_SOCKET", false},
	"SO_REUSEPORT": {unix.SOL_SOCKET, unix.SO_REUSEPORT, "SOL_SOCKET", false},
	"SO_BROADCAST": {unix.SOL_SOCKET, unix.SO_BROADCAST, "SOL_SOCKET", false},
	"SO_KEEPALIVE": {unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SOL_SOCKET", false},
	"SO_RCVBUF":    {unix.SOL_SOCKET, unix.SO_RCVBUF, "SOL_SOCKET", false},
	"SO_SNDBUF":    {unix.SOL_SOCKET, unix.SO_SNDBUF, "SOL_SOCKET", false},
	"SO_TYPE":      {unix.SOL_SOCKET, unix.SO_TYPE, "SOL_SOCKET", true},
	"SO_ERROR":     {unix.SOL_SOCKET, unix.SO_ERROR, "SOL_SOCKET", true},
	"TCP_NODELAY":  {unix.IPPROTO_TCP, unix.TCP_NODELAY, "IPPROTO_TCP", false},
	"TCP_CORK":     {unix.IPPROTO_TCP, unix.TCP_CORK, "IPPROTO_TCP", false},
	"TCP_QUICKACK": {unix.IPPROTO_TCP, unix.TCP_QUICKACK, "IPPROTO_TCP", false},
	"TCP_MAXSEG":   {unix.IPPROTO_TCP, unix.TCP_MAXSEG, "IPPROTO_TCP", false},
	"IPV6_V6ONLY":  {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, "IPPROTO_IPV6", false},
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

// GetOption is getsockopt(level, option).
func (s *Socket) GetOption(level, name string) (int, *Error) {
	o, e := lookupOption(level, name)
	if e != nil {
		return 0, e
	}
	if e := s.checkOpen(); e != nil {
		return 0, e
	}
	var v int
	e = s.control("getsockopt", func(fd int) (err error) { v, err = unix.GetsockoptInt(fd, o.level, o.name); return })
	return v, e
}
