package sessions

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"sockplay/sessions/protocol"
)

// The reference for Data's one-pass appendJSON: the text decoded rune by
// rune into a string, and the whole encoded by encoding/json (dataJSON).

// dataJSON is Data as the protocol writes it, for encoding/json. Shown and
// SHA256 are there only when the chunk was cut.
type dataJSON struct {
	Size     int       `json:"size"`
	Shown    int       `json:"shown,omitempty"`
	SHA256   string    `json:"sha256,omitempty"`
	Hex      string    `json:"hex"`
	Text     string    `json:"text"`
	Encoding string    `json:"encoding"`
	Invalid  []Invalid `json:"invalid,omitempty"`
}

// view is d as the protocol writes it.
func (d *Data) view() dataJSON {
	v := dataJSON{Size: d.size, Hex: hex.EncodeToString(d.shown), Encoding: d.encoding}
	if d.sum != nil {
		v.Shown, v.SHA256 = len(d.shown), hex.EncodeToString(d.sum[:])
	}
	v.Text, v.Invalid = d.decode()
	return v
}

// decode returns the shown bytes' text and the sequences that did not
// decode. A character the shown bytes of a cut chunk end inside is marked
// as cut at the end, like one a chunk ends inside.
func (d *Data) decode() (string, []Invalid) {
	b, enc, carry := d.shown, d.encoding, d.carry
	var sb strings.Builder
	var invalid []Invalid
	bad := func(off, n int, cut string) {
		for _, c := range b[off : off+n] {
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
		if k := len(invalid); k > 0 && invalid[k-1].Offset+invalid[k-1].Size == off && cut == "" && invalid[k-1].Cut == "" {
			invalid[k-1].Size += n
			return
		}
		invalid = append(invalid, Invalid{Offset: off, Size: n, Cut: cut})
	}
	from, whole := completes(carry, b, enc)
	if from > 0 {
		bad(0, from, "start")
		invalid[len(invalid)-1].Char = whole
	}
	if enc == GBK {
		decodeGBK(b, from, &sb, bad)
	} else {
		decodeUTF8(b, from, carry != nil, &sb, bad)
	}
	return sb.String(), invalid
}

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

// BenchmarkDataAppendJSON encodes a received 64 KiB chunk's data, as a
// result message carries it: hex and text in one pass (appendJSON), and the
// reference (rune by rune, then encoding/json) for comparison.
func BenchmarkDataAppendJSON(b *testing.B) {
	chunk := func(unit string) []byte {
		return []byte(strings.Repeat(unit, 64<<10/len(unit)+1)[:64<<10])
	}
	gbk, _ := protocol.EncodeText(strings.Repeat("你好，世界 ", 64<<10/16+1), GBK)
	for _, c := range []struct {
		name, enc string
		b         []byte
	}{
		{"ascii", UTF8, chunk("hello, world\n")},
		{"utf8", UTF8, chunk("héllo 你好 😀\n")},              // cut at the end: a mark
		{"binary", UTF8, chunk("\x00\x01\xfe\xff\x80abc")}, // mostly \xNN marks
		{"gbk", GBK, gbk[:64<<10]},
	} {
		d := NewData(c.b, c.enc, len(c.b))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.b)))
			b.ReportAllocs()
			buf := make([]byte, 0, 512<<10)
			for b.Loop() {
				buf = d.appendJSON(buf[:0])
			}
		})
		b.Run(c.name+"/reference", func(b *testing.B) {
			b.SetBytes(int64(len(c.b)))
			b.ReportAllocs()
			for b.Loop() {
				json.Marshal(d.view())
			}
		})
	}
}
