package sessions

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
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
// sequence is a character cut in two by the chunk's boundary. Char is the
// whole character a cut start belongs to, when the chunk before it is known.
type Invalid struct {
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	Cut    string `json:"cut,omitempty"`
	Char   string `json:"char,omitempty"`
}

// NewData describes b, decoding its text with enc the way Python's
// errors="backslashreplace" would, and marking what did not decode.
func NewData(b []byte, enc string) *Data {
	d, _ := NewDataAfter(b, enc, nil)
	return d
}

// NewDataAfter is NewData for the next chunk of a byte stream whose last
// chunk ended inside a character: carry holds that character's first bytes
// (as NewDataAfter returned them for the last chunk). The bytes of b that
// complete it are marked as a cut start, with the whole character. Without
// carry a UTF-8 cut start is still recognised by its continuation bytes,
// but a GBK one is not: a GBK trail byte can also be a character of its own.
// It returns the carry for the chunk after b: the first bytes of a
// character b ends inside, or nil.
func NewDataAfter(b []byte, enc string, carry []byte) (*Data, []byte) {
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
	var next []byte
	from, whole := completes(carry, b, enc)
	if from > 0 {
		bad(0, from, "start")
		d.Invalid[len(d.Invalid)-1].Char = whole
		if whole == "" { // b ends inside the carried character too (from is len(b))
			next = append(slices.Clip(carry), b...)
		}
	}
	if enc == GBK {
		decodeGBK(b, from, &sb, bad)
	} else {
		decodeUTF8(b, from, carry != nil, &sb, bad)
	}
	if k := len(d.Invalid); k > 0 && d.Invalid[k-1].Cut == "end" {
		next = slices.Clone(b[d.Invalid[k-1].Offset:])
	}
	d.Text = sb.String()
	return d, next
}

// completes returns how many bytes at the start of b finish the character
// whose first bytes are carry, and that character (empty if b ends before
// it does). It returns 0 when there is no carry or b does not go on with it.
func completes(carry, b []byte, enc string) (int, string) {
	if len(carry) == 0 || len(b) == 0 {
		return 0, ""
	}
	if enc == GBK {
		if len(carry) != 1 || !gbkTrail(b[0]) {
			return 0, ""
		}
		r, err := gbkDecoder.NewDecoder().Bytes([]byte{carry[0], b[0]})
		if err != nil || string(r) == "\uFFFD" {
			return 0, ""
		}
		return 1, string(r)
	}
	need := utf8Len(carry[0]) - len(carry)
	if need <= 0 {
		return 0, ""
	}
	n := 0
	for n < need && n < len(b) && b[n]&0xC0 == 0x80 {
		n++
	}
	switch {
	case n == need:
		whole := append(slices.Clip(carry), b[:n]...)
		if r, _ := utf8.DecodeRune(whole); r == utf8.RuneError {
			return 0, ""
		}
		return n, string(whole)
	case n == len(b):
		return n, "" // still not whole
	}
	return 0, ""
}

// utf8Len is the length of the UTF-8 sequence lead starts (0: not a lead).
func utf8Len(lead byte) int {
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		return 2
	case lead >= 0xE0 && lead <= 0xEF:
		return 3
	case lead >= 0xF0 && lead <= 0xF4:
		return 4
	}
	return 0
}

// gbkTrail reports whether c may follow a GBK lead byte.
func gbkTrail(c byte) bool { return c >= 0x40 && c != 0x7F && c != 0xFF }

// decodeUTF8 decodes b[from:]. Unless known (a carried character ended at
// from), continuation bytes at the very start are taken for the end of a
// character cut by the previous chunk.
func decodeUTF8(b []byte, from int, known bool, sb *strings.Builder, bad func(off, n int, cut string)) {
	i := from
	for !known && i < len(b) && i < 3 && b[i]&0xC0 == 0x80 {
		i++
	}
	if i > from {
		bad(from, i-from, "start")
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

func decodeGBK(b []byte, from int, sb *strings.Builder, bad func(off, n int, cut string)) {
	for i := from; i < len(b); {
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
			if !gbkTrail(b[i+1]) {
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
