package peers

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

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
			note := fmt.Sprintf("%s from %s@%s: %q. %s", fields["command_name"], fields["user"], fields["host"], fields["text"], encodingNotes[fields["encoding"]])
			p.emit(Event{What: "decoded", Addr: r.From, Data: r.Data, Fields: fields, Note: note})
		}
	})
	return nil
}

// encodingNotes says, for each value of fields["encoding"], how the text
// fields were decoded.
var encodingNotes = map[string]string{
	"utf-8": "Decoded as UTF-8.",
	"gbk":   "Decoded as GBK: the bytes are not UTF-8, and they are GBK, as Feiq sends.",
	"bytes": "The bytes are neither UTF-8 nor GBK: the others are shown as \\xNN.",
}

// ipmsgEncoding says how an IPMsg datagram's text is encoded: "utf-8" when
// it is valid UTF-8 (so plain ASCII too), else "gbk" when it is valid GBK
// (Feiq's encoding), else "bytes".
func ipmsgEncoding(b []byte) string {
	switch {
	case utf8.Valid(b):
		return "utf-8"
	case validGBK(b):
		return "gbk"
	}
	return "bytes"
}

// validGBK reports whether b is GBK text throughout: the decoder puts
// U+FFFD for every byte that is not part of a GBK character.
func validGBK(b []byte) bool {
	r, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	return err == nil && !bytes.ContainsRune(r, utf8.RuneError)
}

// decodeIPMsg splits an IPMsg datagram into its fields, or says why it is
// not one. The text may itself hold colons; it ends at the first NUL byte
// (what follows, such as a file list, is in "extra"). The fields are
// decoded as fields["encoding"] says (GBK's trail bytes are never a colon
// or a NUL, so the split is the same in either encoding).
func decodeIPMsg(b []byte) (map[string]string, string) {
	parts := bytes.SplitN(b, []byte(":"), 6)
	if len(parts) < 5 {
		return nil, fmt.Sprintf("it has %d colon-separated fields, and IPMsg has 6 (version:packet_no:user:host:command:text)", len(parts))
	}
	enc := ipmsgEncoding(b)
	dec := func(b []byte) string { return decodeField(b, enc) }
	f := map[string]string{
		"version":   dec(parts[0]),
		"packet_no": dec(parts[1]),
		"user":      dec(parts[2]),
		"host":      dec(parts[3]),
		"command":   dec(parts[4]),
		"text":      "",
		"encoding":  enc,
	}
	cmd, err := strconv.ParseInt(string(parts[4]), 10, 64)
	if err != nil || cmd < 0 {
		return nil, fmt.Sprintf("its command field %q is not a number", f["command"])
	}
	if len(parts) == 6 {
		body, extra, _ := bytes.Cut(parts[5], []byte{0})
		f["text"] = dec(body)
		if extra = bytes.TrimRight(extra, "\x00"); len(extra) > 0 {
			f["extra"] = dec(extra)
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

// decodeField decodes b as GBK when enc is "gbk", else as text does.
func decodeField(b []byte, enc string) string {
	if enc == "gbk" {
		if s, err := simplifiedchinese.GBK.NewDecoder().String(string(b)); err == nil {
			return s
		}
	}
	return text(b)
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
