package sessions

import (
	"crypto/sha256"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sockplay/sessions/protocol"
)

// Encodings a session can show text in.
const (
	UTF8 = protocol.UTF8
	GBK  = protocol.GBK
)

// Payload is data in a request (see protocol.Payload).
type Payload = protocol.Payload

// Data is received bytes as the protocol shows them. It keeps the bytes
// themselves, once: their hex and text are written only when a message is
// encoded (see appendJSON), and a chunk larger than the bound it was made
// with keeps only its first bytes, its real size and its SHA-256.
type Data struct {
	shown    []byte    // the bytes carried: all of the chunk, or its first bytes (a copy)
	size     int       // the chunk's real size in bytes
	sum      *[32]byte // SHA-256 of the whole chunk, when shown holds only its first bytes
	encoding string
	carry    []byte // the first bytes of a character the chunk before ended inside (NewDataAfter)
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

// NewData describes b, showing at most limit of its bytes (all of them
// when limit is len(b) or more). Its text is decoded with enc the way Python's
// errors="backslashreplace" would, marking what did not decode.
func NewData(b []byte, enc string, limit int) *Data {
	d, _ := NewDataAfter(b, enc, nil, limit)
	return d
}

// NewDataAfter is NewData for the next chunk of a byte stream whose last
// chunk ended inside a character: carry holds that character's first bytes
// (as NewDataAfter returned them for the last chunk). The bytes of b that
// complete it are marked as a cut start, with the whole character. Without
// carry a UTF-8 cut start is still recognised by its continuation bytes,
// but a GBK one is not: a GBK trail byte can also be a character of its own.
// It returns the carry for the chunk after b: the first bytes of a
// character the whole of b ends inside, or nil.
func NewDataAfter(b []byte, enc string, carry []byte, limit int) (*Data, []byte) {
	return newDataAfter(b, enc, carry, limit, false)
}

// newDataAfter is NewDataAfter; with own, b is the caller's to give
// (a receive's Data, which nothing changes): d shows b itself rather than
// a copy when it shows all of it.
func newDataAfter(b []byte, enc string, carry []byte, limit int, own bool) (*Data, []byte) {
	d := &Data{size: len(b), encoding: enc, carry: slices.Clone(carry)}
	switch {
	case len(b) > limit:
		sum := sha256.Sum256(b)
		d.sum = &sum
		d.shown = slices.Clone(b[:max(limit, 0)])
	case own:
		d.shown = b
	default:
		d.shown = slices.Clone(b)
	}
	return d, nextCarry(b, enc, carry)
}

// Size is the chunk's real size in bytes.
func (d *Data) Size() int { return d.size }

// Shown is how many of the chunk's bytes d carries.
func (d *Data) Shown() int { return len(d.shown) }

// heldBytes is roughly the memory d holds, for the log's and queues' byte
// bounds.
func (d *Data) heldBytes() int {
	if d == nil {
		return 0
	}
	return 96 + len(d.shown) + len(d.carry)
}

// MarshalJSON writes d as appendJSON does, for the values that embed a
// Data and are encoded by reflection.
func (d *Data) MarshalJSON() ([]byte, error) { return d.appendJSON(nil), nil }

// appendText appends the shown bytes' text as a JSON string, in one pass
// over them, and returns the sequences that did not decode: each of their
// bytes is written as \xNN (Python's backslashreplace). A character the
// shown bytes of a cut chunk end inside is marked as cut at the end, like
// one a chunk ends inside.
func (d *Data) appendText(b []byte) ([]byte, []Invalid) {
	t := textWriter{b: append(b, '"'), src: d.shown}
	from, whole := completes(d.carry, d.shown, d.encoding)
	if from > 0 {
		t.bad(0, from, "start")
		t.invalid[len(t.invalid)-1].Char = whole
	}
	if d.encoding == GBK {
		t.gbk(from)
	} else {
		t.utf8(from, d.carry != nil)
	}
	return append(t.b, '"'), t.invalid
}

// textWriter writes decoded text as the inside of a JSON string.
type textWriter struct {
	b       []byte
	src     []byte // the bytes decoded
	invalid []Invalid
}

// bad writes n bytes of src from off, which did not decode, and marks them.
func (t *textWriter) bad(off, n int, cut string) {
	for _, c := range t.src[off : off+n] {
		t.b = append(t.b, '\\', '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
	}
	if k := len(t.invalid); k > 0 && t.invalid[k-1].Offset+t.invalid[k-1].Size == off && cut == "" && t.invalid[k-1].Cut == "" {
		t.invalid[k-1].Size += n
		return
	}
	t.invalid = append(t.invalid, Invalid{Offset: off, Size: n, Cut: cut})
}

// utf8 decodes src[from:]. Unless known (a carried character ended at
// from), continuation bytes at the very start are taken for the end of a
// character cut by the previous chunk. Valid runs are copied whole.
func (t *textWriter) utf8(from int, known bool) {
	b := t.src
	i := from
	for !known && i < len(b) && i < 3 && b[i]&0xC0 == 0x80 {
		i++
	}
	if i > from {
		t.bad(from, i-from, "start")
	}
	if utf8.Valid(b[i:]) { // as most text is: one pass to check it, one to write it
		t.b = protocol.AppendText(t.b, b[i:])
		return
	}
	run := i // the start of the valid text not yet written
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			i += n
			continue
		}
		t.b = protocol.AppendText(t.b, b[run:i])
		if !utf8.FullRune(b[i:]) && utf8.RuneStart(b[i]) && b[i] >= 0xC2 && b[i] <= 0xF4 {
			t.bad(i, len(b)-i, "end")
			return
		}
		t.bad(i, 1, "")
		i++
		run = i
	}
	t.b = protocol.AppendText(t.b, b[run:])
}

var gbkDecoder = simplifiedchinese.GBK

// gbk decodes src[from:] as GBK: ASCII runs are copied whole, each
// two-byte character is decoded by one decoder, reused.
func (t *textWriter) gbk(from int) {
	b := t.src
	dec := gbkDecoder.NewDecoder()
	var out [4]byte
	run := from
	for i := from; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		t.b = protocol.AppendText(t.b, b[run:i])
		switch {
		case c >= 0x81 && c <= 0xFE:
			if i+1 == len(b) {
				t.bad(i, 1, "end")
				return
			}
			if !gbkTrail(b[i+1]) {
				t.bad(i, 1, "")
				i++
				break
			}
			dec.Reset()
			n, _, err := dec.Transform(out[:], b[i:i+2], true)
			if err != nil || string(out[:n]) == "\uFFFD" {
				t.bad(i, 2, "")
			} else {
				t.b = protocol.AppendText(t.b, out[:n])
			}
			i += 2
		default:
			t.bad(i, 1, "")
			i++
		}
		run = i
	}
	t.b = protocol.AppendText(t.b, b[run:])
}

// nextCarry is the carry NewDataAfter returns: the first bytes of a
// character b ends inside (as decoding b after carry would mark it, cut at
// the end), or b itself added to carry when b does not even finish the
// carried character. It looks at the end of b only for UTF-8, which
// resynchronises at every lead byte; GBK is scanned from the start, as a
// GBK byte can be a lead or a trail.
func nextCarry(b []byte, enc string, carry []byte) []byte {
	from, whole := completes(carry, b, enc)
	if from > 0 && whole == "" { // b ends inside the carried character too (from is len(b))
		return append(slices.Clone(carry), b...)
	}
	if enc == GBK {
		for i := from; i < len(b); {
			switch c := b[i]; {
			case c < 0x81 || c > 0xFE:
				i++
			case i+1 == len(b):
				return []byte{c}
			case !gbkTrail(b[i+1]):
				i++
			default:
				i += 2
			}
		}
		return nil
	}
	// decodeUTF8 skips up to three continuation bytes at the start unless
	// a carried character ended there; a lead byte is never inside another
	// character, so the first lead in the last three bytes that starts an
	// incomplete character is where decoding marks a cut end.
	for i := max(from, len(b)-3); i < len(b); i++ {
		if c := b[i]; c >= 0xC2 && c <= 0xF4 && !utf8.FullRune(b[i:]) {
			return slices.Clone(b[i:])
		}
	}
	return nil
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
