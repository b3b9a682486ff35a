package protocol

import (
	"bytes"
	"slices"
	"time"
	"unicode/utf8"

	"sockplay/sockets"
)

// Reading a request's arguments that keep their JSON until an op reads
// them: addresses, option values and timeouts. Their errors are the op's
// to report, so a request whose op ignores a field is not refused for it.

// ParseAddr reads an address as Python writes it: [host, port], or [host,
// port, flowinfo, scope_id]. The host must be a JSON string and the others
// integers: a null is not "" (the wildcard) nor port 0. A port's range is
// checked where the address is used (sockets.resolve, and the checks').
func ParseAddr(raw Raw) (sockets.Addr, *sockets.Error) {
	if a, ok := parseAddrFast(raw); ok {
		return a, nil
	}
	parts, ok := Elems(raw)
	if !ok || len(parts) < 2 || len(parts) > 4 {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "addr must be [host, port] (or [host, port, flowinfo, scope_id] for AF_INET6), such as [\"127.0.0.1\", 9000]")
	}
	var a sockets.Addr
	if a.Host, ok = String(parts[0]); !ok {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "the host in addr must be a string, not %s: write [\"127.0.0.1\", 9000], or [\"\", 9000] for INADDR_ANY", Kind(parts[0]))
	}
	for i, p := range parts[1:] {
		var ok bool
		switch i {
		case 0:
			var n int64
			n, ok = Int(p, strconvIntSize)
			a.Port = int(n)
		case 1:
			var n uint64
			n, ok = Uint(p, 32)
			a.FlowInfo = uint32(n)
		case 2:
			var n uint64
			n, ok = Uint(p, 32)
			a.ScopeID = uint32(n)
		}
		if !ok {
			what := [...]string{"port", "flowinfo", "scope_id"}[i]
			return sockets.Addr{}, sockets.BadRequest("TypeError", "the %s in addr must be an integer, not %s: write [\"127.0.0.1\", 9000]", what, p)
		}
	}
	return a, nil
}

// AddrArg is a request's address (bind, connect, sendto, spawn): its JSON
// as sent (Raw; nil when absent), read once, as the request is decoded.
// The op that takes an address reads it with Get, whose error (not an
// address) is then the op's to report: a request whose op takes none is not
// refused for one.
type AddrArg struct {
	Raw  Raw
	addr sockets.Addr
	err  *sockets.Error
}

// NewAddrArg reads raw as an address argument (nil: none).
func NewAddrArg(raw Raw) AddrArg {
	a := AddrArg{Raw: raw}
	if raw != nil {
		a.addr, a.err = ParseAddr(raw)
	}
	return a
}

// Get returns the address, or ParseAddr's error for what was sent (or for
// nothing, when it is absent).
func (a AddrArg) Get() (sockets.Addr, *sockets.Error) {
	if a.Raw == nil {
		return ParseAddr(nil)
	}
	return a.addr, a.err
}

// UnmarshalJSON reads data as an address argument, for encoding/json.
func (a *AddrArg) UnmarshalJSON(data []byte) error {
	*a = NewAddrArg(append(Raw(nil), data...))
	return nil
}

// MarshalJSON returns the address as it was sent, or null.
func (a AddrArg) MarshalJSON() ([]byte, error) { return a.Raw.MarshalJSON() }

// strconvIntSize is the size of an int in bits.
const strconvIntSize = 32 << (^uint(0) >> 63)

// parseAddrFast reads the common case, ["host",port] with no spaces, escapes
// or signs; it reports false for anything else, which ParseAddr reads the
// long way.
func parseAddrFast(raw []byte) (sockets.Addr, bool) {
	if len(raw) < 6 || raw[0] != '[' || raw[1] != '"' || raw[len(raw)-1] != ']' {
		return sockets.Addr{}, false
	}
	end := bytes.IndexByte(raw[2:], '"')
	if end < 0 {
		return sockets.Addr{}, false
	}
	host, rest := raw[2:2+end], raw[2+end+1:len(raw)-1]
	if bytes.IndexByte(host, '\\') >= 0 || !utf8.Valid(host) || slices.ContainsFunc(host, func(c byte) bool { return c < 0x20 }) {
		return sockets.Addr{}, false
	}
	if len(rest) < 2 || rest[0] != ',' {
		return sockets.Addr{}, false
	}
	digits := rest[1:]
	if len(digits) > 9 || digits[0] == '0' && len(digits) > 1 {
		return sockets.Addr{}, false
	}
	port := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return sockets.Addr{}, false
		}
		port = port*10 + int(c-'0')
	}
	return sockets.Addr{Host: intern(host), Port: port}, true
}

// ParseOptionValue reads a setsockopt value that is a number: an integer
// that fits in 32 bits, or a boolean (1 or 0). A null is 0.
func ParseOptionValue(raw Raw) (int, *sockets.Error) {
	if IsNull(raw) {
		return 0, nil
	}
	if b, ok := Bool(raw); ok {
		if b {
			return 1, nil
		}
		return 0, nil
	}
	if n, ok := Int(raw, 32); ok {
		return int(n), nil
	}
	return 0, sockets.BadRequest("TypeError", "value must be an integer, a boolean, or bytes ({\"hex\": \"…\"}, or {\"group\": \"224.1.1.1\", \"interface\": \"0.0.0.0\"} for a membership)")
}

// ParseTimeout reads settimeout's timeout: seconds, at least 0, or null
// (nil: blocking).
func ParseTimeout(raw Raw) (*time.Duration, *sockets.Error) {
	if len(raw) == 0 {
		return nil, sockets.BadRequest("TypeError", "settimeout() needs timeout: seconds, or null for blocking")
	}
	if IsNull(raw) {
		return nil, nil
	}
	f, ok := Float(raw)
	if !ok {
		return nil, sockets.BadRequest("TypeError", "timeout must be a number of seconds or null")
	}
	if f < 0 {
		return nil, sockets.BadRequest("ValueError", "Timeout value out of range")
	}
	d := time.Duration(f * float64(time.Second))
	return &d, nil
}

// OptionBytes is a setsockopt value that is bytes: a payload, or a
// membership's group and interface.
type OptionBytes struct {
	Group     *string
	Interface *string
	Payload
}

// ParseOptionBytes reads a setsockopt value that is an object: a payload
// ({"hex": "e0010101 00000000"}, base64 or text), or a membership's
// {"group": "224.1.1.1", "interface": "0.0.0.0"}. Keys match in any case,
// as encoding/json matches them; unknown ones are ignored. It reports false
// for a member that is not a string or null.
func ParseOptionBytes(raw Raw) (OptionBytes, bool) {
	var v OptionBytes
	ms, ok := Object(raw)
	if !ok {
		return v, false
	}
	fields := map[string]**string{"group": &v.Group, "interface": &v.Interface, "text": &v.Text, "hex": &v.Hex, "base64": &v.Base64}
	for _, m := range ms {
		key := foldKey(m.Key, "group", "interface", "text", "encoding", "hex", "base64")
		if key == "encoding" {
			if IsNull(m.Value) {
				continue // a null leaves a string as it is
			}
			s, ok := String(m.Value)
			if !ok {
				return v, false
			}
			v.Encoding = s
			continue
		}
		dst := fields[key]
		if dst == nil {
			continue
		}
		if IsNull(m.Value) {
			*dst = nil
			continue
		}
		s, ok := String(m.Value)
		if !ok {
			return v, false
		}
		*dst = &s
	}
	return v, true
}

// foldKey returns the name among names that key matches as encoding/json
// matches keys to fields, exactly or else in any case (bytes.EqualFold), or
// "" if none does.
func foldKey(key string, names ...string) string {
	if slices.Contains(names, key) {
		return key
	}
	for _, n := range names {
		if bytes.EqualFold([]byte(n), []byte(key)) {
			return n
		}
	}
	return ""
}
