package peers

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"sockplay/sockets"
)

// IPMsg (Feiq, 飞秋) datagrams are text: version:packet_no:user:host:command:text,
// where command's low byte is the mode and the bits above it are options.
var ipmsgModes = map[int64]string{
	0x00: "IPMSG_NOOPERATION",
	0x01: "IPMSG_BR_ENTRY",
	0x02: "IPMSG_BR_EXIT",
	0x03: "IPMSG_ANSENTRY",
	0x04: "IPMSG_BR_ABSENCE",
	0x20: "IPMSG_SENDMSG",
	0x21: "IPMSG_RECVMSG",
	0x30: "IPMSG_READMSG",
	0x31: "IPMSG_DELMSG",
}

var ipmsgOptions = []struct {
	bit  int64
	name string
}{
	{0x100, "IPMSG_SENDCHECKOPT"},
	{0x200, "IPMSG_SECRETOPT"},
	{0x400, "IPMSG_BROADCASTOPT"},
	{0x800, "IPMSG_MULTICASTOPT"},
	{0x2000, "IPMSG_AUTORETOPT"},
	{0x200000, "IPMSG_FILEATTACHOPT"},
}

// ipmsg-listener: bound with SO_REUSEADDR (so the learner's own sockets can
// share the port), it decodes every datagram as IPMsg and reports the
// fields. It never answers.
func startIPMsgListener(p *Peer, _ *options) *sockets.Error {
	s, e := p.udp(sockopt{"SO_REUSEADDR", 1})
	if e != nil {
		return e
	}
	p.spawn(func() {
		p.listening("is waiting for IPMsg datagrams")
		for {
			r, e := s.RecvFrom(p.ctx, 65536, nil, sockets.CallOptions{})
			if e != nil {
				p.fail("recvfrom", nil, e)
				return
			}
			fields, problem := decodeIPMsg(r.Data)
			if problem != "" {
				p.emit(Event{What: "recv", Addr: r.From, Data: r.Data,
					Note: fmt.Sprintf("received %s from %v that is not an IPMsg datagram: %s.", plural(r.Size, "byte"), r.From, problem)})
				continue
			}
			note := fmt.Sprintf("%s from %s@%s: %q.", fields["command_name"], fields["user"], fields["host"], fields["text"])
			if !utf8.Valid(r.Data) {
				note += " The bytes are not UTF-8 (Feiq sends GBK): with the session's encoding set to gbk the data shows as text."
			}
			p.emit(Event{What: "decoded", Addr: r.From, Data: r.Data, Fields: fields, Note: note})
		}
	})
	return nil
}

// decodeIPMsg splits an IPMsg datagram into its fields, or says why it is
// not one. The text may itself hold colons; it ends at the first NUL byte
// (what follows, such as a file list, is in "extra").
func decodeIPMsg(b []byte) (map[string]string, string) {
	parts := bytes.SplitN(b, []byte(":"), 6)
	if len(parts) < 5 {
		return nil, fmt.Sprintf("it has %d colon-separated fields, and IPMsg has 6 (version:packet_no:user:host:command:text)", len(parts))
	}
	f := map[string]string{
		"version":   text(parts[0]),
		"packet_no": text(parts[1]),
		"user":      text(parts[2]),
		"host":      text(parts[3]),
		"command":   text(parts[4]),
		"text":      "",
	}
	cmd, err := strconv.ParseInt(string(parts[4]), 10, 64)
	if err != nil || cmd < 0 {
		return nil, fmt.Sprintf("its command field %q is not a number", f["command"])
	}
	if len(parts) == 6 {
		body, extra, _ := bytes.Cut(parts[5], []byte{0})
		f["text"] = text(body)
		if extra = bytes.TrimRight(extra, "\x00"); len(extra) > 0 {
			f["extra"] = text(extra)
		}
	}
	name, ok := ipmsgModes[cmd&0xff]
	if !ok {
		name = fmt.Sprintf("mode 0x%02x", cmd&0xff)
	}
	f["command_name"] = name
	var opts []string
	for _, o := range ipmsgOptions {
		if cmd&o.bit != 0 {
			opts = append(opts, o.name)
		}
	}
	if len(opts) > 0 {
		f["options"] = strings.Join(opts, "|")
	}
	return f, ""
}

// text writes b as a string: UTF-8 as it is, other bytes as Python's
// backslashreplace writes them (\xba).
func text(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}
