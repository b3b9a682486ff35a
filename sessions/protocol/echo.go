package protocol

import (
	"fmt"
	"slices"
)

// maxEcho is the largest request repeated whole in its result.
const maxEcho = 4096

// requestEcho returns the request to repeat in its result: compacted, and
// with its data (and a long code or text) left out when it is large. The
// shortened one is written as encoding/json wrote it: keys sorted, the last
// of a repeated key kept, values compacted with <, > and & escaped.
func requestEcho(raw []byte) Raw {
	if len(raw) <= maxEcho {
		c := compacter{raw: raw, out: make([]byte, 0, len(raw)), keepHTML: true}
		c.value(0)
		return c.out
	}
	ms, _ := Object(raw)
	return shortEcho(raw, ms)
}

// shortEcho is requestEcho's echo of a large request raw, whose members
// are ms.
func shortEcho(raw []byte, ms []Member) Raw {
	fields := map[string][]byte{}
	for _, m := range ms {
		fields[m.Key] = m.Value
	}
	omitted := func(n int) []byte { return fmt.Appendf(nil, `{"omitted":true,"size":%d}`, n) }
	if _, ok := fields["data"]; ok {
		fields["data"] = omitted(len(raw))
	}
	// A program's source or input (op run, input) is not repeated either.
	for _, k := range []string{"code", "text"} {
		if v, ok := fields[k]; ok && len(v) > maxEcho/4 {
			fields[k] = omitted(len(v))
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b, _ = compactJSON(b, fields[k]) // valid: the frame was checked
	}
	return append(b, '}')
}

// echo is requestEcho, in d's buffer when it fits.
func (d *decoder) echo(raw []byte) Raw {
	if len(raw) > maxEcho {
		return requestEcho(raw)
	}
	c := compacter{raw: raw, out: d.buf[len(d.buf):len(d.buf)], keepHTML: true}
	c.value(0)
	d.buf = d.buf[:len(d.buf)+len(c.out)]
	return c.out[:len(c.out):len(c.out)]
}
