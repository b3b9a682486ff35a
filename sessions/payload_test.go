package sessions

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"

	"sockplay/sockets"
)

func TestNewData(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		enc     string
		text    string
		invalid []Invalid
	}{
		{"ascii", []byte("hello"), UTF8, "hello", nil},
		{"utf8 whole", []byte("你好"), UTF8, "你好", nil},
		{"utf8 cut at end", []byte("你好")[:4], UTF8, `你\xe5`, []Invalid{{Offset: 3, Size: 1, Cut: "end"}}},
		{"utf8 cut two bytes", []byte("你好")[:5], UTF8, `你\xe5\xa5`, []Invalid{{Offset: 3, Size: 2, Cut: "end"}}},
		{"utf8 cut at start", []byte("你好")[1:], UTF8, `\xbd\xa0好`, []Invalid{{Offset: 0, Size: 2, Cut: "start"}}},
		{"utf8 invalid middle", []byte{'a', 0xff, 0xfe, 'b'}, UTF8, `a\xff\xfeb`, []Invalid{{Offset: 1, Size: 2}}},
		{"gbk whole", []byte{0xc4, 0xe3, 0xba, 0xc3}, GBK, "你好", nil},
		{"gbk cut", []byte{0xc4, 0xe3, 0xba}, GBK, `你\xba`, []Invalid{{Offset: 2, Size: 1, Cut: "end"}}},
		{"gbk bytes read as utf8", []byte{0xc4, 0xe3, 0xba, 0xc3}, UTF8, `\xc4\xe3\xba\xc3`, []Invalid{{Offset: 0, Size: 3}, {Offset: 3, Size: 1, Cut: "end"}}},
		{"gbk bad trail", []byte{0x81, 0x20, 'x'}, GBK, `\x81 x`, []Invalid{{Offset: 0, Size: 1}}},
		{"empty", nil, UTF8, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewData(tt.in, tt.enc, 1<<16).view()
			if d.Text != tt.text {
				t.Errorf("text %q, want %q", d.Text, tt.text)
			}
			if !reflect.DeepEqual(d.Invalid, tt.invalid) {
				t.Errorf("invalid %+v, want %+v", d.Invalid, tt.invalid)
			}
			if d.Size != len(tt.in) || d.Shown != 0 || d.SHA256 != "" {
				t.Errorf("size %d shown %d sha256 %q, want %d, none, none", d.Size, d.Shown, d.SHA256, len(tt.in))
			}
		})
	}
}

// TestNewDataAfter reads a stream chunk by chunk, carrying a cut character
// from each chunk to the next: every character cut by a chunk boundary is
// marked at both ends, and named whole where it is completed.
func TestNewDataAfter(t *testing.T) {
	type chunk struct {
		text    string
		invalid []Invalid
	}
	tests := []struct {
		name   string
		stream []byte
		enc    string
		cuts   []int // chunk lengths
		want   []chunk
	}{
		{"gbk 你好 by 3", []byte{0xc4, 0xe3, 0xba, 0xc3}, GBK, []int{3, 1}, []chunk{
			{`你\xba`, []Invalid{{Offset: 2, Size: 1, Cut: "end"}}},
			{`\xc3`, []Invalid{{Offset: 0, Size: 1, Cut: "start", Char: "好"}}},
		}},
		{"gbk trail that is ASCII", []byte{0x81, 0x40, 'a'}, GBK, []int{1, 2}, []chunk{
			{`\x81`, []Invalid{{Offset: 0, Size: 1, Cut: "end"}}},
			{`\x40a`, []Invalid{{Offset: 0, Size: 1, Cut: "start", Char: "丂"}}},
		}},
		{"utf8 emoji byte by byte", []byte("😀!"), UTF8, []int{1, 1, 1, 2}, []chunk{
			{`\xf0`, []Invalid{{Offset: 0, Size: 1, Cut: "end"}}},
			{`\x9f`, []Invalid{{Offset: 0, Size: 1, Cut: "start"}}},
			{`\x98`, []Invalid{{Offset: 0, Size: 1, Cut: "start"}}},
			{`\x80!`, []Invalid{{Offset: 0, Size: 1, Cut: "start", Char: "😀"}}},
		}},
		{"utf8 cut then cut again", []byte("好好"), UTF8, []int{2, 3, 1}, []chunk{
			{`\xe5\xa5`, []Invalid{{Offset: 0, Size: 2, Cut: "end"}}},
			{`\xbd\xe5\xa5`, []Invalid{{Offset: 0, Size: 1, Cut: "start", Char: "好"}, {Offset: 1, Size: 2, Cut: "end"}}},
			{`\xbd`, []Invalid{{Offset: 0, Size: 1, Cut: "start", Char: "好"}}},
		}},
		{"no cut", []byte("ab"), GBK, []int{1, 1}, []chunk{{"a", nil}, {"b", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var carry []byte
			rest := tt.stream
			for i, n := range tt.cuts {
				var data *Data
				data, carry = NewDataAfter(rest[:n], tt.enc, carry, 1<<16)
				rest = rest[n:]
				d := data.view()
				if d.Text != tt.want[i].text || !reflect.DeepEqual(d.Invalid, tt.want[i].invalid) {
					t.Errorf("chunk %d: text %q invalid %+v; want %q %+v", i+1, d.Text, d.Invalid, tt.want[i].text, tt.want[i].invalid)
				}
			}
			if len(carry) != 0 {
				t.Errorf("carry %x after the whole stream, want none", carry)
			}
		})
	}
}

// TestNewDataBounded shows a chunk larger than the bound by its first
// bytes, its real size and the SHA-256 of all of it.
func TestNewDataBounded(t *testing.T) {
	b := make([]byte, 1000)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	sum := sha256.Sum256(b)
	tests := []struct {
		limit, shown int
		sha          string
	}{
		{1000, 0, ""}, {2000, 0, ""}, {999, 999, hex.EncodeToString(sum[:])}, {10, 10, hex.EncodeToString(sum[:])},
	}
	for _, tt := range tests {
		d := NewData(b, UTF8, tt.limit)
		v := d.view()
		if v.Size != 1000 || v.Shown != tt.shown || v.SHA256 != tt.sha {
			t.Errorf("limit %d: size %d shown %d sha256 %q; want 1000 %d %q", tt.limit, v.Size, v.Shown, v.SHA256, tt.shown, tt.sha)
		}
		if want := hex.EncodeToString(b[:min(tt.limit, len(b))]); v.Hex != want {
			t.Errorf("limit %d: hex %d digits, want %d", tt.limit, len(v.Hex), len(want))
		}
		if d.Shown() != min(tt.limit, len(b)) || d.Size() != len(b) {
			t.Errorf("limit %d: Shown %d Size %d", tt.limit, d.Shown(), d.Size())
		}
	}
	// The data keeps a copy of the bytes it shows, not the caller's buffer.
	d := NewData(b, UTF8, 10)
	b[0] = 'Z'
	if d.view().Text != "abcdefghij" {
		t.Errorf("text %q changed with the caller's buffer", d.view().Text)
	}
}

// FuzzNextCarry checks the carry NewDataAfter hands on, found from the end of
// the chunk (UTF-8) or a scan without decoding (GBK), against what decoding
// the whole chunk marks as cut at its end.
func FuzzNextCarry(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add([]byte(s), []byte{}, false)
		f.Add([]byte(s), []byte{0xe4}, false)
		f.Add([]byte(s), []byte{0xc4}, true)
	}
	f.Add([]byte{0xbd}, []byte{0xe4}, false)
	f.Add([]byte{0x81, 0x81, 0x81}, []byte(nil), true)
	f.Fuzz(func(t *testing.T, b, carry []byte, gbk bool) {
		enc := UTF8
		if gbk {
			enc = GBK
		}
		if len(carry) == 0 {
			carry = nil
		}
		d, got := NewDataAfter(b, enc, carry, len(b))
		var want []byte
		from, whole := completes(carry, b, enc)
		_, inv := d.decode()
		if from > 0 && whole == "" {
			want = append(append([]byte{}, carry...), b...)
		} else if k := len(inv); k > 0 && inv[k-1].Cut == "end" {
			want = b[inv[k-1].Offset:]
		}
		if !bytes.Equal(got, want) {
			t.Errorf("chunk %x after %x in %s: carry %x, want %x", b, carry, enc, got, want)
		}
	})
}

func TestPayloadBytes(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		p    *Payload
		want string
		kind sockets.Kind
	}{
		{"utf8 text", &Payload{Text: str("你好")}, "\xe4\xbd\xa0\xe5\xa5\xbd", ""},
		{"gbk text", &Payload{Text: str("你好"), Encoding: GBK}, "\xc4\xe3\xba\xc3", ""},
		{"hex with spaces", &Payload{Hex: str("68 65 6c 6c 6f")}, "hello", ""},
		{"base64", &Payload{Base64: str("aGVsbG8=")}, "hello", ""},
		{"empty text", &Payload{Text: str("")}, "", ""},
		{"missing", nil, "", sockets.KindBadRequest},
		{"two kinds", &Payload{Text: str("a"), Hex: str("61")}, "", sockets.KindBadRequest},
		{"bad hex", &Payload{Hex: str("6g")}, "", sockets.KindBadRequest},
		{"odd hex", &Payload{Hex: str("616")}, "", sockets.KindBadRequest},
		{"unknown encoding", &Payload{Text: str("a"), Encoding: "latin-9"}, "", sockets.KindBadRequest},
		{"not in gbk", &Payload{Text: str("😀"), Encoding: GBK}, "", sockets.KindBadRequest},
		{"too big", &Payload{Text: str("0123456789a")}, "", sockets.KindLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, e := tt.p.Bytes(10)
			if tt.kind != "" {
				if e == nil || e.Kind != tt.kind {
					t.Fatalf("error %v, want kind %s", e, tt.kind)
				}
				return
			}
			if e != nil {
				t.Fatal(e)
			}
			if string(b) != tt.want {
				t.Errorf("got %x, want %x", b, tt.want)
			}
		})
	}
}
