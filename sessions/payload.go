package sessions

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sockplay/sockets"
)

// Encodings a session can show text in.
const (
	UTF8 = "utf-8"
	GBK  = "gbk"
)

// Payload is data in a request: exactly one of Text (with Encoding), Hex or
// Base64.
type Payload struct {
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
	Hex      *string `json:"hex"`
	Base64   *string `json:"base64"`
}

// Bytes decodes the payload, refusing more than max bytes.
func (p *Payload) Bytes(max int) ([]byte, *sockets.Error) {
	if p == nil {
		return nil, sockets.BadRequest("", "data is required: {\"text\":…}, {\"hex\":…} or {\"base64\":…}")
	}
	n := 0
	for _, f := range []*string{p.Text, p.Hex, p.Base64} {
		if f != nil {
			n++
		}
	}
	if n != 1 {
		return nil, sockets.BadRequest("", "data must have exactly one of text, hex or base64")
	}
	var b []byte
	switch {
	case p.Text != nil:
		var err error
		b, err = encodeText(*p.Text, p.Encoding)
		if err != nil {
			return nil, sockets.BadRequest("UnicodeEncodeError", "%v", err)
		}
	case p.Hex != nil:
		h := strings.Join(strings.Fields(*p.Hex), "")
		var err error
		if b, err = hex.DecodeString(h); err != nil {
			return nil, sockets.BadRequest("ValueError", "non-hexadecimal number found in fromhex() arg: %v", err)
		}
	default:
		var err error
		if b, err = base64.StdEncoding.DecodeString(*p.Base64); err != nil {
			return nil, sockets.BadRequest("binascii.Error", "invalid base64: %v", err)
		}
	}
	if len(b) > max {
		return nil, &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf("data is limited to %d bytes per request here", max), Hint: "Send large data in several calls."}
	}
	return b, nil
}

func encodeText(s, enc string) ([]byte, error) {
	switch enc {
	case "", UTF8:
		return []byte(s), nil
	case GBK:
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("'gbk' codec can't encode the text: %v", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (utf-8 or gbk)", enc)
}

// Data is received bytes as the protocol shows them.
type Data struct {
	Size     int       `json:"size"`
	Hex      string    `json:"hex"`
	Text     string    `json:"text"`
	Encoding string    `json:"encoding"`
	Invalid  []Invalid `json:"invalid,omitempty"`
}

// Invalid marks bytes that did not decode. Cut is "end" or "start" when the
// sequence is a character cut in two by the chunk's boundary.
type Invalid struct {
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	Cut    string `json:"cut,omitempty"`
}

// NewData describes b, decoding its text with enc the way Python's
// errors="backslashreplace" would, and marking what did not decode.
func NewData(b []byte, enc string) *Data {
	d := &Data{Size: len(b), Hex: hex.EncodeToString(b), Encoding: enc}
	var sb strings.Builder
	bad := func(off, n int, cut string) {
		for _, c := range b[off : off+n] {
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
		if k := len(d.Invalid); k > 0 && d.Invalid[k-1].Offset+d.Invalid[k-1].Size == off && cut == "" && d.Invalid[k-1].Cut == "" {
			d.Invalid[k-1].Size += n
			return
		}
		d.Invalid = append(d.Invalid, Invalid{Offset: off, Size: n, Cut: cut})
	}
	if enc == GBK {
		decodeGBK(b, &sb, bad)
	} else {
		decodeUTF8(b, &sb, bad)
	}
	d.Text = sb.String()
	return d
}

func decodeUTF8(b []byte, sb *strings.Builder, bad func(off, n int, cut string)) {
	i := 0
	// Continuation bytes at the very start belong to a character cut by the
	// previous chunk.
	for i < len(b) && i < 3 && b[i]&0xC0 == 0x80 {
		i++
	}
	if i > 0 {
		bad(0, i, "start")
	}
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			i += n
			continue
		}
		if !utf8.FullRune(b[i:]) && utf8.RuneStart(b[i]) && b[i] >= 0xC2 && b[i] <= 0xF4 {
			bad(i, len(b)-i, "end")
			return
		}
		bad(i, 1, "")
		i++
	}
}

var gbkDecoder = simplifiedchinese.GBK

func decodeGBK(b []byte, sb *strings.Builder, bad func(off, n int, cut string)) {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			sb.WriteByte(c)
			i++
		case c >= 0x81 && c <= 0xFE:
			if i+1 == len(b) {
				bad(i, 1, "end")
				return
			}
			t := b[i+1]
			if t < 0x40 || t == 0x7F || t == 0xFF {
				bad(i, 1, "")
				i++
				continue
			}
			r, err := gbkDecoder.NewDecoder().Bytes(b[i : i+2])
			if err != nil || string(r) == "\uFFFD" {
				bad(i, 2, "")
			} else {
				sb.Write(r)
			}
			i += 2
		default:
			bad(i, 1, "")
			i++
		}
	}
}
