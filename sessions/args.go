package sessions

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"

	"sockplay/sockets"
)

// Reading a request's arguments: addresses, option values and timeouts.

// parseAddr reads an address as Python writes it: [host, port], or [host,
// port, flowinfo, scope_id]. The host must be a JSON string and the others
// integers: a null is not "" (the wildcard) nor port 0. A port's range is
// checked where the address is used (sockets.resolve, checkAddr).
func parseAddr(raw json.RawMessage) (sockets.Addr, *sockets.Error) {
	if a, ok := parseAddrFast(raw); ok {
		return a, nil
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) < 2 || len(parts) > 4 {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "addr must be [host, port] (or [host, port, flowinfo, scope_id] for AF_INET6), such as [\"127.0.0.1\", 9000]")
	}
	var a sockets.Addr
	if parts[0][0] != '"' || json.Unmarshal(parts[0], &a.Host) != nil {
		return sockets.Addr{}, sockets.BadRequest("TypeError", "the host in addr must be a string, not %s: write [\"127.0.0.1\", 9000], or [\"\", 9000] for INADDR_ANY", jsonKind(parts[0]))
	}
	for i, dst := range []any{&a.Port, &a.FlowInfo, &a.ScopeID}[:len(parts)-1] {
		if string(parts[i+1]) == "null" || json.Unmarshal(parts[i+1], dst) != nil {
			what := [...]string{"port", "flowinfo", "scope_id"}[i]
			return sockets.Addr{}, sockets.BadRequest("TypeError", "the %s in addr must be an integer, not %s: write [\"127.0.0.1\", 9000]", what, parts[i+1])
		}
	}
	return a, nil
}

// jsonKind names the JSON type of the value raw, for error messages.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean (" + string(raw) + ")"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case '"':
		return "a string"
	}
	return "a number (" + string(raw) + ")"
}

// parseAddrFast reads the common case, ["host",port] with no spaces, escapes
// or signs, as encoding/json would; it reports false for anything else,
// which parseAddr leaves to encoding/json.
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
	return sockets.Addr{Host: string(host), Port: port}, true
}

func parseValue(raw json.RawMessage) (int, *sockets.Error) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return int(boolInt(b)), nil
	}
	var n int32
	if json.Unmarshal(raw, &n) == nil {
		return int(n), nil
	}
	return 0, sockets.BadRequest("TypeError", "value must be an integer, a boolean, or bytes ({\"hex\": \"…\"}, or {\"group\": \"224.1.1.1\", \"interface\": \"0.0.0.0\"} for a membership)")
}

func parseTimeout(raw json.RawMessage) (*time.Duration, *sockets.Error) {
	if len(raw) == 0 {
		return nil, sockets.BadRequest("TypeError", "settimeout() needs timeout: seconds, or null for blocking")
	}
	if string(raw) == "null" {
		return nil, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return nil, sockets.BadRequest("TypeError", "timeout must be a number of seconds or null")
	}
	if f < 0 {
		return nil, sockets.BadRequest("ValueError", "Timeout value out of range")
	}
	d := time.Duration(f * float64(time.Second))
	return &d, nil
}
