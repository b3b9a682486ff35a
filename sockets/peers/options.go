package peers

import (
	"slices"
	"strconv"
	"strings"

	"sockplay/sockets"
)

// options reads a peer's options as decoded from JSON. The first bad one
// is kept in err; the readers return their default after that.
type options struct {
	peer string
	m    map[string]any
	err  *sockets.Error
}

func (o *options) has(name string) bool {
	_, ok := o.m[name]
	return ok
}

func (o *options) bad(format string, args ...any) {
	if o.err == nil {
		o.err = sockets.BadRequest("", o.peer+": "+format, args...)
	}
}

// int reads a whole number from lo to hi, or def when the option is absent.
func (o *options) int(name string, def, lo, hi int) int {
	v, ok := o.m[name]
	if !ok {
		return def
	}
	n, ok := sockets.JSONInt(v)
	if !ok || n < int64(lo) || n > int64(hi) {
		o.bad("option %s must be a whole number from %d to %d, not %s", name, lo, hi, sockets.JSONText(v))
		return def
	}
	return int(n)
}

// text reads a string of 1 to max bytes, or def when the option is absent.
func (o *options) text(name, def string, max int) string {
	v, ok := o.m[name]
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok || len(s) == 0 || len(s) > max {
		o.bad("option %s must be a string of 1 to %d bytes, not %s", name, max, sockets.JSONText(v))
		return def
	}
	return s
}

// choice reads one of choices, or def when the option is absent.
func (o *options) choice(name, def string, choices ...string) string {
	v, ok := o.m[name]
	if !ok {
		return def
	}
	if s, ok := v.(string); ok && slices.Contains(choices, s) {
		return s
	}
	o.bad("option %s must be %s, not %s", name, quotedOr(choices), sockets.JSONText(v))
	return def
}

// quotedOr writes choices as "a", "b" or "c".
func quotedOr(choices []string) string {
	q := make([]string, len(choices))
	for i, c := range choices {
		q[i] = strconv.Quote(c)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// addr reads an address [host, port], or nil when the option is absent.
func (o *options) addr(name string) *sockets.Addr {
	v, ok := o.m[name]
	if !ok {
		return nil
	}
	if a, ok := v.(sockets.Addr); ok {
		return &a
	}
	parts, ok := v.([]any)
	if ok && len(parts) == 2 {
		host, hostOK := parts[0].(string)
		port, portOK := sockets.JSONInt(parts[1])
		if hostOK && portOK && port >= 0 && port <= 65535 {
			return &sockets.Addr{Host: host, Port: int(port)}
		}
	}
	o.bad("option %s must be an address [host, port] such as [\"127.0.0.1\", 9000], not %s", name, sockets.JSONText(v))
	return nil
}
