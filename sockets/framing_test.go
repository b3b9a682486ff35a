package sockets_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"sockplay/sockets"
)

func lengthF(format string) sockets.Framing {
	return sockets.Framing{Kind: sockets.FramingLength, Format: format}
}

func delimF(d string) sockets.Framing {
	return sockets.Framing{Kind: sockets.FramingDelimiter, Delimiter: []byte(d)}
}

func fixedF(n int) sockets.Framing { return sockets.Framing{Kind: sockets.FramingFixed, Size: n} }

func jsonF(format string) sockets.Framing {
	return sockets.Framing{Kind: sockets.FramingJSONHeader, Format: format}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustEncode(t testing.TB, f sockets.Framing, body []byte, header map[string]any) []byte {
	t.Helper()
	w, e := f.Encode(body, header)
	if e != nil {
		t.Fatalf("%v.Encode(%q): %v", f, body, e)
	}
	return w
}

// wireOf rebuilds the bytes a decoded frame arrived as.
func wireOf(f sockets.Framing, fr *sockets.Frame) []byte {
	w := append(append(append([]byte{}, fr.Prefix...), fr.HeaderJSON...), fr.Body...)
	if f.Kind == sockets.FramingDelimiter {
		w = append(w, f.Delimiter...)
	}
	return w
}

// decodeAll feeds stream to a decoder in chunks of the given sizes (cycled;
// the rest of the stream when sizes is empty) and returns the frames.
func decodeAll(t testing.TB, f sockets.Framing, stream []byte, sizes []int) ([]*sockets.Frame, *sockets.Error) {
	t.Helper()
	d := sockets.NewDecoder(f)
	var frames []*sockets.Frame
	for i := 0; len(stream) > 0; i++ {
		n := len(stream)
		if len(sizes) > 0 {
			n = min(sizes[i%len(sizes)], len(stream))
		}
		chunk := stream[:n]
		stream = stream[n:]
		for len(chunk) > 0 {
			c, msg, e := d.Feed(chunk)
			if e != nil {
				return frames, e
			}
			if c > len(chunk) || c < len(chunk) && msg == nil {
				t.Fatalf("Feed(%d bytes): consumed %d without a frame", len(chunk), c)
			}
			if msg != nil {
				frames = append(frames, msg)
			}
			chunk = chunk[c:]
		}
	}
	if p := d.Progress(); p.Phase != sockets.PhaseDone && p.Consumed != 0 {
		t.Fatalf("stream ended inside a frame: %+v", p)
	}
	return frames, nil
}

func TestFramingValidate(t *testing.T) {
	tests := []struct {
		f       sockets.Framing
		message string // empty: valid
	}{
		{lengthF("!I"), ""},
		{lengthF(">I"), ""},
		{lengthF("<I"), ""},
		{lengthF("I"), ""},
		{lengthF("i"), ""},
		{lengthF("!H"), ""},
		{lengthF("!Q"), ""},
		{lengthF("=q"), ""},
		{lengthF("@L"), ""},
		{lengthF("B"), ""},
		{delimF("\n"), ""},
		{delimF("\r\n"), ""},
		{fixedF(1), ""},
		{fixedF(sockets.MaxFrame), ""},
		{jsonF(""), ""},
		{jsonF("!I"), ""},
		{sockets.Framing{}, `framing kind must be length, delimiter, fixed or json_header, not ""`},
		{sockets.Framing{Kind: "LENGTH"}, `framing kind must be length, delimiter, fixed or json_header, not "LENGTH"`},
		{lengthF(""), "length framing needs a struct format for its length prefix, such as '!I' (4 bytes, big-endian)"},
		{lengthF("!"), "the length prefix is one integer, so its struct format is one code with an optional byte order (such as '!I', '<H' or 'i'), not '!'"},
		{lengthF("!II"), "the length prefix is one integer, so its struct format is one code with an optional byte order (such as '!I', '<H' or 'i'), not '!II'"},
		{lengthF("4I"), "the length prefix is one integer, so its struct format is one code with an optional byte order (such as '!I', '<H' or 'i'), not '4I'"},
		{lengthF("!Z"), "bad char in struct format"},
		{lengthF("!f"), "bad char in struct format"},
		{jsonF("x"), "bad char in struct format"},
		{sockets.Framing{Kind: "length", Format: "!I", Size: 4}, "length framing does not use a size; leave it out"},
		{sockets.Framing{Kind: "length", Format: "!I", Delimiter: []byte("\n")}, "length framing does not use a delimiter; leave it out"},
		{delimF(""), "delimiter framing needs a delimiter of at least one byte, such as b'\\n'"},
		{delimF(strings.Repeat("x", 65)), "the delimiter is 65 bytes; at most 64 are allowed"},
		{sockets.Framing{Kind: "delimiter", Delimiter: []byte("\n"), Format: "!I"}, "delimiter framing does not use a struct format; leave it out"},
		{fixedF(0), "fixed framing needs a size from 1 to 16777216 bytes, not 0"},
		{fixedF(-3), "fixed framing needs a size from 1 to 16777216 bytes, not -3"},
		{fixedF(sockets.MaxFrame + 1), "fixed framing needs a size from 1 to 16777216 bytes, not 16777217"},
		{sockets.Framing{Kind: "json_header", Size: 2}, "json_header framing does not use a size; leave it out"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q/%q/%d", tt.f.Kind, tt.f.Format, tt.f.Delimiter, tt.f.Size), func(t *testing.T) {
			e := tt.f.Validate()
			if tt.message == "" {
				if e != nil {
					t.Fatalf("got %v, want valid", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("got valid, want %q", tt.message)
			}
			if e.Kind != sockets.KindBadRequest || e.Message != tt.message {
				t.Errorf("got %s %q, want bad_request %q", e.Kind, e.Message, tt.message)
			}
			// An invalid framing neither encodes nor decodes.
			if _, ee := tt.f.Encode([]byte("x"), nil); ee == nil || ee.Message != tt.message {
				t.Errorf("Encode: got %v, want %q", ee, tt.message)
			}
			if _, _, fe := sockets.NewDecoder(tt.f).Feed([]byte("x")); fe == nil || fe.Message != tt.message {
				t.Errorf("Feed: got %v, want %q", fe, tt.message)
			}
		})
	}
}

// TestEncodeLengthPrefix: the prefix bytes for a 5-byte body, exactly as
// Python's struct.pack(format, 5) writes them on x86-64.
func TestEncodeLengthPrefix(t *testing.T) {
	tests := []struct{ format, prefix string }{
		{"!I", "00000005"},
		{">I", "00000005"},
		{"<I", "05000000"},
		{"I", "05000000"},
		{"=I", "05000000"},
		{"@I", "05000000"},
		{"i", "05000000"},
		{"!i", "00000005"},
		{">i", "00000005"},
		{"<i", "05000000"},
		{"!H", "0005"},
		{">H", "0005"},
		{"<H", "0500"},
		{"H", "0500"},
		{"!Q", "0000000000000005"},
		{"<Q", "0500000000000000"},
		{"Q", "0500000000000000"},
		{"!q", "0000000000000005"},
		{"l", "0500000000000000"}, // native long is 8 bytes on x86-64
		{"!l", "00000005"},        // standard long is 4
		{"B", "05"},
		{"!b", "05"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			got := mustEncode(t, lengthF(tt.format), []byte("hello"), nil)
			if want := tt.prefix + "68656c6c6f"; hex.EncodeToString(got) != want {
				t.Errorf("got %x, want %s", got, want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		f         sockets.Framing
		body      []byte
		header    map[string]any
		kind      sockets.Kind
		exception string
		message   string
	}{
		{"!H too long", lengthF("!H"), make([]byte, 65536), nil, sockets.KindBadRequest, "struct.error", "'H' format requires 0 <= number <= 65535"},
		{"<H too long", lengthF("<H"), make([]byte, 65536), nil, sockets.KindBadRequest, "struct.error", "ushort format requires 0 <= number <= 65535"},
		{"H too long", lengthF("H"), make([]byte, 65536), nil, sockets.KindBadRequest, "struct.error", "ushort format requires 0 <= number <= 65535"},
		{"!h too long", lengthF("!h"), make([]byte, 32768), nil, sockets.KindBadRequest, "struct.error", "'h' format requires -32768 <= number <= 32767"},
		{"B too long", lengthF("B"), make([]byte, 256), nil, sockets.KindBadRequest, "struct.error", "ubyte format requires 0 <= number <= 255"},
		{"!b too long", lengthF("!b"), make([]byte, 128), nil, sockets.KindBadRequest, "struct.error", "byte format requires -128 <= number <= 127"},
		{"over MaxFrame", lengthF("!I"), make([]byte, sockets.MaxFrame+1), nil, sockets.KindLimit, "", "the body is 16777217 bytes; a frame carries at most 16777216 bytes here"},
		{"header on length", lengthF("!I"), []byte("x"), map[string]any{"cmd": "ls"}, sockets.KindBadRequest, "", "length framing has no header; only json_header framing sends one"},
		{"delimiter inside", delimF("\n"), []byte("one\ntwo"), nil, sockets.KindBadRequest, "", `the body contains the delimiter b'\n' at byte 3, so the receiver would cut the message there`},
		{"delimiter overlap", delimF("aa"), []byte("xa"), nil, sockets.KindBadRequest, "", "the body ends with b'a', which with the delimiter b'aa' after it reads as a delimiter at byte 1, so the receiver would cut the message there"},
		{"fixed short", fixedF(8), []byte("hello"), nil, sockets.KindBadRequest, "", "fixed framing sends exactly 8 bytes per message; this body has 5"},
		{"fixed long", fixedF(2), []byte("hello"), nil, sockets.KindBadRequest, "", "fixed framing sends exactly 2 bytes per message; this body has 5"},
		{"data_size lies", jsonF(""), []byte("hello"), map[string]any{"data_size": 3}, sockets.KindBadRequest, "", "the header's data_size is 3 but the body has 5 bytes; leave data_size out and it is filled in"},
		{"header not JSON", jsonF(""), []byte("hello"), map[string]any{"x": math.NaN()}, sockets.KindBadRequest, "", "the header cannot be written as JSON: json: unsupported value: NaN"},
		{"header over !B", jsonF("B"), nil, map[string]any{"cmd": strings.Repeat("x", 300)}, sockets.KindBadRequest, "struct.error", "ubyte format requires 0 <= number <= 255"},
		{"header too big", jsonF("!I"), nil, map[string]any{"cmd": strings.Repeat("x", sockets.MaxJSONHeader)}, sockets.KindLimit, "", "the JSON header is 65560 bytes; at most 65536 are allowed here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, e := tt.f.Encode(tt.body, tt.header)
			if e == nil {
				t.Fatalf("got %d bytes, want error %q", len(w), tt.message)
			}
			if e.Kind != tt.kind || e.Exception != tt.exception || e.Message != tt.message {
				t.Errorf("got %s %q %q, want %s %q %q", e.Kind, e.Exception, e.Message, tt.kind, tt.exception, tt.message)
			}
			if tt.kind != sockets.KindBadRequest || tt.exception != "" || strings.HasPrefix(tt.name, "delimiter") || strings.HasPrefix(tt.name, "fixed") {
				if e.Hint == "" {
					t.Errorf("Hint: got empty, want a sentence for the learner")
				}
			}
		})
	}
}

// TestRoundTrip: every framing decodes what it encodes, fed whole, byte by
// byte, and in odd chunks, with several frames back to back.
func TestRoundTrip(t *testing.T) {
	bodies := [][]byte{[]byte("hello"), {}, []byte("粘包"), {0, 0, 0, 5, 0xff, '\n' + 1}, bytes.Repeat([]byte("ab"), 300)}
	tests := []struct {
		f      sockets.Framing
		bodies [][]byte
	}{
		{lengthF("!I"), bodies},
		{lengthF("<I"), bodies},
		{lengthF("I"), bodies},
		{lengthF("i"), bodies},
		{lengthF("!H"), bodies},
		{lengthF("<Q"), bodies},
		{lengthF("!q"), bodies},
		{delimF("\n"), bodies},
		{delimF("\r\n"), [][]byte{[]byte("a\r"), []byte("b"), {}, []byte("\n\n")}},
		{delimF("aba"), [][]byte{[]byte("abb"), []byte("b"), {}, []byte("x")}},
		{fixedF(5), [][]byte{[]byte("hello"), []byte("粘包"[:5]), {0, 0, 0, 0, 0}}},
		{jsonF(""), bodies},
		{jsonF("!H"), bodies},
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			var stream []byte
			for _, b := range tt.bodies {
				stream = append(stream, mustEncode(t, tt.f, b, nil)...)
			}
			for _, sizes := range [][]int{nil, {1}, {3, 1, 7}, {2, 5}} {
				frames, e := decodeAll(t, tt.f, stream, sizes)
				if e != nil {
					t.Fatalf("chunks %v: %v", sizes, e)
				}
				if len(frames) != len(tt.bodies) {
					t.Fatalf("chunks %v: got %d frames, want %d", sizes, len(frames), len(tt.bodies))
				}
				for i, fr := range frames {
					if !bytes.Equal(fr.Body, tt.bodies[i]) || fr.Body == nil {
						t.Errorf("chunks %v, frame %d: got body %q, want %q", sizes, i, fr.Body, tt.bodies[i])
					}
					if got, want := wireOf(tt.f, fr), mustEncode(t, tt.f, tt.bodies[i], nil); !bytes.Equal(got, want) {
						t.Errorf("chunks %v, frame %d: wire %x, want %x", sizes, i, got, want)
					}
				}
			}
		})
	}
}

// TestDecodeWrongByteOrder: a '!I' frame read as '<I' declares 83886080
// bytes, which is refused before anything is allocated for it.
func TestDecodeWrongByteOrder(t *testing.T) {
	wire := mustEncode(t, lengthF("!I"), []byte("hello"), nil)
	tests := []struct {
		format, message, hint string
	}{
		{"<I", "the length prefix declares a body of 83886080 bytes, more than the 16777216 allowed here",
			"Read as '<I' the prefix 00 00 00 05 means 83886080, but in the other byte order ('!I') it means 5: the sender probably packed it with '!I'. Nothing was allocated for it; the stream is now out of step, so close the connection."},
		{"I", "the length prefix declares a body of 83886080 bytes, more than the 16777216 allowed here",
			"Read as 'I' the prefix 00 00 00 05 means 83886080, but in the other byte order ('!I') it means 5: the sender probably packed it with '!I'. Nothing was allocated for it; the stream is now out of step, so close the connection."},
		{"i", "the length prefix declares a body of 83886080 bytes, more than the 16777216 allowed here",
			"Read as 'i' the prefix 00 00 00 05 means 83886080, but in the other byte order ('!i') it means 5: the sender probably packed it with '!i'. Nothing was allocated for it; the stream is now out of step, so close the connection."},
		{"<Q", "the length prefix declares a body of 7812730951015858176 bytes, more than the 16777216 allowed here",
			"These bytes are probably not a length prefix at all: the stream is out of step, or the sender uses another framing. Nothing was allocated for them; close the connection."},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			in := append(append([]byte{}, wire...), bytes.Repeat([]byte{'x'}, 8)...)
			d := sockets.NewDecoder(lengthF(tt.format))
			n, msg, e := d.Feed(in)
			if e == nil || msg != nil {
				t.Fatalf("got frame %v, error %v; want a limit error", msg, e)
			}
			if e.Kind != sockets.KindLimit || e.Message != tt.message || e.Hint != tt.hint {
				t.Errorf("got %s %q\nhint %q\nwant limit %q\nhint %q", e.Kind, e.Message, e.Hint, tt.message, tt.hint)
			}
			if want := map[string]int{"<Q": 8}[tt.format]; n != max(want, 4) {
				t.Errorf("consumed: got %d, want the %d prefix bytes", n, max(want, 4))
			}
			// The error is final.
			if n2, _, e2 := d.Feed([]byte("more")); n2 != 0 || e2 != e {
				t.Errorf("Feed after error: got %d, %v; want 0 and the same error", n2, e2)
			}
			if d.Want() != 0 || d.Err() != e {
				t.Errorf("Want/Err after error: got %d, %v", d.Want(), d.Err())
			}
		})
	}

	// No allocation for the declared 80 MiB (or anything like it).
	var before, after runtime.MemStats
	const runs = 50
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		sockets.NewDecoder(lengthF("<I")).Feed(wire)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 4096 {
		t.Errorf("decoding a prefix that declares 83886080 bytes allocated %d bytes per run, want < 4096", per)
	}
}

// TestDecodeProgress follows a '!I' frame fed in pieces that split the
// prefix, with Want and Progress after each piece.
func TestDecodeProgress(t *testing.T) {
	wire := mustEncode(t, lengthF("!I"), []byte("hello"), nil) // 00 00 00 05 h e l l o
	type step struct {
		feed     string // hex
		consumed int
		body     string // frame body, "" when none completes
		want     int
		p        sockets.Progress
	}
	steps := []step{
		{"", 0, "", 4, sockets.Progress{Phase: "header", PrefixSize: 4, Declared: -1, Awaiting: 4}},
		{"0000", 2, "", 2, sockets.Progress{Phase: "header", PrefixSize: 4, PrefixRead: 2, Declared: -1, Awaiting: 2, Consumed: 2}},
		{"00", 1, "", 1, sockets.Progress{Phase: "header", PrefixSize: 4, PrefixRead: 3, Declared: -1, Awaiting: 1, Consumed: 3}},
		{"0568", 2, "", 4, sockets.Progress{Phase: "body", PrefixSize: 4, PrefixRead: 4, Declared: 5, BodyRead: 1, Awaiting: 4, Consumed: 5}},
		{"656c", 2, "", 2, sockets.Progress{Phase: "body", PrefixSize: 4, PrefixRead: 4, Declared: 5, BodyRead: 3, Awaiting: 2, Consumed: 7}},
		{"6c6f" + hex.EncodeToString(wire), 2, "hello", 4, sockets.Progress{Phase: "done", PrefixSize: 4, PrefixRead: 4, Declared: 5, BodyRead: 5, Consumed: 9}},
		{hex.EncodeToString(wire) + "00", 9, "hello", 4, sockets.Progress{Phase: "done", PrefixSize: 4, PrefixRead: 4, Declared: 5, BodyRead: 5, Consumed: 9}},
		{"00", 1, "", 3, sockets.Progress{Phase: "header", PrefixSize: 4, PrefixRead: 1, Declared: -1, Awaiting: 3, Consumed: 1}},
	}
	d := sockets.NewDecoder(lengthF("!I"))
	for i, s := range steps {
		n, msg, e := d.Feed(unhex(t, s.feed))
		mustOK(t, "feed", e)
		if n != s.consumed {
			t.Errorf("step %d: consumed %d, want %d", i, n, s.consumed)
		}
		if got := ""; msg != nil {
			got = string(msg.Body)
			if got != s.body || hex.EncodeToString(msg.Prefix) != "00000005" {
				t.Errorf("step %d: frame %q prefix %x, want %q prefix 00000005", i, got, msg.Prefix, s.body)
			}
		} else if s.body != "" {
			t.Errorf("step %d: no frame, want %q", i, s.body)
		}
		if d.Want() != s.want {
			t.Errorf("step %d: Want %d, want %d", i, d.Want(), s.want)
		}
		if p := d.Progress(); p != s.p {
			t.Errorf("step %d: Progress\n got %+v\nwant %+v", i, p, s.p)
		}
	}
}

func TestDecodeDelimiter(t *testing.T) {
	t.Run("one two", func(t *testing.T) {
		d := sockets.NewDecoder(delimF("\n"))
		in := []byte("one\ntwo\n")
		var got []string
		var consumed []int
		for len(in) > 0 {
			n, msg, e := d.Feed(in)
			mustOK(t, "feed", e)
			consumed = append(consumed, n)
			if msg != nil {
				got = append(got, string(msg.Body))
			}
			in = in[n:]
		}
		if !reflect.DeepEqual(got, []string{"one", "two"}) || !reflect.DeepEqual(consumed, []int{4, 4}) {
			t.Errorf("got %q consumed %v, want [one two] consumed [4 4]", got, consumed)
		}
		want := sockets.Progress{Phase: "done", Declared: 3, BodyRead: 3, Consumed: 4}
		if p := d.Progress(); p != want {
			t.Errorf("Progress: got %+v, want %+v", p, want)
		}
	})
	// "\r\n" arriving split: Want is the fewest bytes that can end the
	// delimiter, so reading Want bytes never reads past a message.
	t.Run("straddle", func(t *testing.T) {
		d := sockets.NewDecoder(delimF("\r\n"))
		steps := []struct {
			feed     string
			consumed int
			body     string
			want     int
			buffered int
		}{
			{"ab", 2, "", 2, 2},
			{"\r", 1, "", 1, 3},
			{"\r", 1, "", 1, 4},
			{"\nxy", 1, "ab\r", 2, 3},
			{"x\r\n", 3, "x", 2, 1},
		}
		for i, s := range steps {
			n, msg, e := d.Feed([]byte(s.feed))
			mustOK(t, "feed", e)
			body := ""
			if msg != nil {
				body = string(msg.Body)
			}
			if n != s.consumed || body != s.body || d.Want() != s.want || d.Progress().BodyRead != s.buffered {
				t.Errorf("step %d: consumed %d body %q Want %d BodyRead %d, want %d %q %d %d",
					i, n, body, d.Want(), d.Progress().BodyRead, s.consumed, s.body, s.want, s.buffered)
			}
			if msg == nil && d.Progress().Awaiting != -1 {
				t.Errorf("step %d: Awaiting %d, want -1 (unknown)", i, d.Progress().Awaiting)
			}
		}
	})
	t.Run("too long", func(t *testing.T) {
		d := sockets.NewDecoder(delimF("\n"))
		chunk := bytes.Repeat([]byte{'x'}, 1<<20)
		var e *sockets.Error
		total := 0
		for i := 0; i < 17 && e == nil; i++ {
			var n int
			n, _, e = d.Feed(chunk)
			total += n
		}
		if e == nil || e.Kind != sockets.KindLimit || e.Message != `no delimiter b'\n' within 16777216 bytes: a message may be at most 16777216 bytes here` {
			t.Fatalf("got %v, want the limit error", e)
		}
		if total != sockets.MaxFrame+1 {
			t.Errorf("consumed %d, want %d", total, sockets.MaxFrame+1)
		}
	})
	t.Run("exactly MaxFrame", func(t *testing.T) {
		in := append(bytes.Repeat([]byte{'x'}, sockets.MaxFrame), '\n')
		n, msg, e := sockets.NewDecoder(delimF("\n")).Feed(in)
		mustOK(t, "feed", e)
		if n != len(in) || msg == nil || len(msg.Body) != sockets.MaxFrame {
			t.Errorf("got consumed %d frame %v, want the whole %d-byte body", n, msg != nil, sockets.MaxFrame)
		}
	})
}

func TestDecodeFixed(t *testing.T) {
	d := sockets.NewDecoder(fixedF(3))
	if d.Want() != 3 || d.Progress() != (sockets.Progress{Phase: "body", Declared: 3, Awaiting: 3}) {
		t.Fatalf("fresh: Want %d Progress %+v", d.Want(), d.Progress())
	}
	n, msg, e := d.Feed([]byte("abcdefg"))
	mustOK(t, "feed", e)
	if n != 3 || msg == nil || string(msg.Body) != "abc" || msg.Prefix != nil {
		t.Fatalf("got %d %v, want 3 and abc", n, msg)
	}
	n, msg, _ = d.Feed([]byte("de"))
	if n != 2 || msg != nil || d.Want() != 1 {
		t.Fatalf("got %d %v Want %d, want 2, no frame, Want 1", n, msg, d.Want())
	}
}

func TestDecodeMaxFrame(t *testing.T) {
	tests := []struct {
		name, prefix string
		f            sockets.Framing
		ok           bool
	}{
		{"!I at the limit", "01000000", lengthF("!I"), true},
		{"!I one over", "01000001", lengthF("!I"), false},
		{"!Q huge", "ffffffffffffffff", lengthF("!Q"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sockets.NewDecoder(tt.f)
			_, _, e := d.Feed(unhex(t, tt.prefix))
			if tt.ok {
				mustOK(t, "feed", e)
				if p := d.Progress(); p.Declared != sockets.MaxFrame || p.Awaiting != sockets.MaxFrame {
					t.Errorf("Progress: got %+v, want Declared and Awaiting %d", p, sockets.MaxFrame)
				}
				return
			}
			if e == nil || e.Kind != sockets.KindLimit {
				t.Fatalf("got %v, want a limit error", e)
			}
		})
	}
	// A huge 'Q' prints as Python would, without wrapping negative.
	_, _, e := sockets.NewDecoder(lengthF("!Q")).Feed(unhex(t, "ffffffffffffffff"))
	if want := "the length prefix declares a body of 18446744073709551615 bytes, more than the 16777216 allowed here"; e.Message != want {
		t.Errorf("got %q, want %q", e.Message, want)
	}
}

func TestDecodeJSONHeader(t *testing.T) {
	body := []byte("total 0\n")
	wire := mustEncode(t, jsonF(""), body, map[string]any{"cmd": "ls -l"})
	js := `{"cmd":"ls -l","data_size":8}`
	if want := fmt.Sprintf("%02x000000", len(js)) + hex.EncodeToString([]byte(js)) + hex.EncodeToString(body); hex.EncodeToString(wire) != want {
		t.Errorf("wire: got %x, want %s", wire, want)
	}
	d := sockets.NewDecoder(jsonF(""))
	var msg *sockets.Frame
	var progress []sockets.Progress
	for i := range wire {
		n, m, e := d.Feed(wire[i : i+1])
		mustOK(t, "feed", e)
		if n != 1 {
			t.Fatalf("byte %d: consumed %d, want 1", i, n)
		}
		msg = m
		progress = append(progress, d.Progress())
	}
	if msg == nil {
		t.Fatal("no frame after the last byte")
	}
	if string(msg.Body) != string(body) || string(msg.HeaderJSON) != js || len(msg.Prefix) != 4 {
		t.Errorf("got body %q header %q prefix %x", msg.Body, msg.HeaderJSON, msg.Prefix)
	}
	if want := map[string]any{"cmd": "ls -l", "data_size": json.Number("8")}; !reflect.DeepEqual(msg.Header, want) {
		t.Errorf("Header: got %#v, want %#v", msg.Header, want)
	}
	checks := map[int]sockets.Progress{
		3:             {Phase: "json_header", PrefixSize: 4, PrefixRead: 4, HeaderSize: len(js), Declared: -1, Awaiting: len(js), Consumed: 4},
		4:             {Phase: "json_header", PrefixSize: 4, PrefixRead: 4, HeaderSize: len(js), HeaderRead: 1, Declared: -1, Awaiting: len(js) - 1, Consumed: 5},
		3 + len(js):   {Phase: "body", PrefixSize: 4, PrefixRead: 4, HeaderSize: len(js), HeaderRead: len(js), Declared: 8, Awaiting: 8, Consumed: 4 + len(js)},
		len(wire) - 1: {Phase: "done", PrefixSize: 4, PrefixRead: 4, HeaderSize: len(js), HeaderRead: len(js), Declared: 8, BodyRead: 8, Consumed: len(wire)},
	}
	for i, want := range checks {
		if progress[i] != want {
			t.Errorf("after byte %d: Progress\n got %+v\nwant %+v", i, progress[i], want)
		}
	}
	// The decoded header encodes back to the same frame.
	if again := mustEncode(t, jsonF(""), msg.Body, msg.Header); !bytes.Equal(again, wire) {
		t.Errorf("re-encoded: got %x, want %x", again, wire)
	}
	// data_size 0: the frame ends with the header.
	empty := mustEncode(t, jsonF("!I"), nil, nil)
	if n, m, e := sockets.NewDecoder(jsonF("!I")).Feed(append(empty, 'x')); e != nil || m == nil || n != len(empty) || len(m.Body) != 0 {
		t.Errorf("empty body: got %d %v %v", n, m, e)
	}
}

// TestDecodeJSONHeaderErrors: what seed 004's receiver would raise, as Python
// raises it.
func TestDecodeJSONHeaderErrors(t *testing.T) {
	frame := func(js string) []byte {
		return append(append(unhex(t, fmt.Sprintf("%08x", len(js))), js...), "body"...)
	}
	tests := []struct {
		name      string
		wire      []byte
		kind      sockets.Kind
		exception string
		message   string
	}{
		{"not JSON", frame(`{"data_size": 4`), sockets.KindFrame, "", "the JSON header is not valid JSON: unexpected EOF"},
		{"extra data", frame(`{"data_size": 4} {}`), sockets.KindFrame, "", "the JSON header is not valid JSON: extra data after the JSON value"},
		{"empty", frame(``), sockets.KindFrame, "", "the JSON header is not valid JSON: EOF"},
		{"list", frame(`[4]`), sockets.KindFrame, "TypeError", "list indices must be integers or slices, not str"},
		{"string", frame(`"4"`), sockets.KindFrame, "TypeError", "string indices must be integers, not 'str'"},
		{"int", frame(`4`), sockets.KindFrame, "TypeError", "'int' object is not subscriptable"},
		{"float", frame(`4.5`), sockets.KindFrame, "TypeError", "'float' object is not subscriptable"},
		{"null", frame(`null`), sockets.KindFrame, "TypeError", "'NoneType' object is not subscriptable"},
		{"bool", frame(`true`), sockets.KindFrame, "TypeError", "'bool' object is not subscriptable"},
		{"no data_size", frame(`{"size": 4}`), sockets.KindFrame, "KeyError", "'data_size'"},
		{"data_size string", frame(`{"data_size": "4"}`), sockets.KindFrame, "", `data_size in the JSON header must be a whole number of bytes, 0 or more, not "4"`},
		{"data_size negative", frame(`{"data_size": -1}`), sockets.KindFrame, "", "data_size in the JSON header must be a whole number of bytes, 0 or more, not -1"},
		{"data_size float", frame(`{"data_size": 4.0}`), sockets.KindFrame, "", "data_size in the JSON header must be a whole number of bytes, 0 or more, not 4.0"},
		{"data_size huge", frame(`{"data_size": 99999999999999999999999}`), sockets.KindLimit, "", "the JSON header declares a body of 99999999999999999999999 bytes, more than the 16777216 allowed here"},
		{"data_size over", frame(`{"data_size": 16777217}`), sockets.KindLimit, "", "the JSON header declares a body of 16777217 bytes, more than the 16777216 allowed here"},
		{"not UTF-8", frame("{\"cmd\": \"\xe4\xbd\", \"data_size\": 4}"), sockets.KindFrame, "UnicodeDecodeError", "'utf-8' codec can't decode bytes in position 9-10: invalid continuation byte"},
		{"negative header length", unhex(t, "ffffffff"), sockets.KindFrame, "ValueError", "negative buffersize in recv"},
		{"header too long", unhex(t, "00010001"), sockets.KindLimit, "", "the length prefix declares a JSON header of 65537 bytes, more than the 65536 allowed here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := jsonF("!i")
			_, e := decodeAll(t, f, tt.wire, []int{1})
			if e == nil {
				t.Fatalf("got no error, want %q", tt.message)
			}
			if e.Kind != tt.kind || e.Exception != tt.exception || e.Message != tt.message || e.Hint == "" {
				t.Errorf("got %s %q %q (hint %q), want %s %q %q", e.Kind, e.Exception, e.Message, e.Hint, tt.kind, tt.exception, tt.message)
			}
		})
	}
}

// TestFramingMatchesPython checks the codecs against Python itself: struct
// prefixes, seed 004's JSON header frames (json.dumps puts spaces after ':'
// and ','), and the UnicodeDecodeError texts.
func TestFramingMatchesPython(t *testing.T) {
	formats := []string{"!I", ">I", "<I", "I", "=I", "i", "!i", "<i", "!H", ">H", "<H", "H", "!Q", "<Q", "Q", "!q", "l", "!l", "L", "B", "b", "!h"}
	badUTF8 := []string{"e4bd61", "e4bd", "f09f98", "f09f9861", "f09f61", "c080", "c2", "c261", "f5", "f48fbfbfff", "ed9f", "e0a0", "e09f80", "f08f", "f090", "8080", "41e4bda0e4", "eda080", "f4908080", "7b22e4"}
	script := `
import struct, json, sys
formats, bad = sys.argv[1].split(','), sys.argv[2].split(',')
for f in formats:
    print(struct.pack(f, 300 if f.lstrip('!<>=@') not in 'bB' else 100).hex())
body = 'total 0\n粘包'.encode('utf8')
head = json.dumps({'cmd': 'ls', 'data_size': len(body)}).encode('utf8')
print((struct.pack('i', len(head)) + head + body).hex())
for h in bad:
    try:
        bytes.fromhex(h).decode('utf8')
        print('ok')
    except UnicodeDecodeError as e:
        print(e)
`
	out, err := exec.Command(python(t), "-c", script, strings.Join(formats, ","), strings.Join(badUTF8, ",")).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(formats)+1+len(badUTF8) {
		t.Fatalf("python printed %d lines, want %d:\n%s", len(lines), len(formats)+1+len(badUTF8), out)
	}
	for i, f := range formats {
		n := 300
		if strings.ContainsAny(f, "bB") {
			n = 100
		}
		w := mustEncode(t, lengthF(f), make([]byte, n), nil)
		if got := hex.EncodeToString(w[:len(w)-n]); got != lines[i] {
			t.Errorf("struct.pack(%q, %d): got %s, Python %s", f, n, got, lines[i])
		}
	}
	seed := unhex(t, lines[len(formats)])
	frames, e := decodeAll(t, jsonF(""), seed, []int{3})
	mustOK(t, "decode seed 004 frame", e)
	if len(frames) != 1 || string(frames[0].Body) != "total 0\n粘包" || frames[0].Header["cmd"] != "ls" || frames[0].Header["data_size"] != json.Number("14") {
		t.Errorf("seed 004 frame: got %+v", frames)
	}
	for i, h := range badUTF8 {
		js := unhex(t, h)
		wire := append(unhex(t, fmt.Sprintf("%08x", len(js))), js...)
		_, _, e := sockets.NewDecoder(jsonF("!I")).Feed(wire)
		want := lines[len(formats)+1+i]
		if e == nil || e.Exception != "UnicodeDecodeError" || e.Message != want {
			t.Errorf("header %s: got %v, Python says %q", h, e, want)
		}
	}
}

// fuzzDecode is the property every decoder must have: arbitrary bytes in
// arbitrary chunks never panic, never allocate with a declared length, and
// every frame decoded is exactly the bytes it consumed.
func fuzzDecode(t *testing.T, f sockets.Framing, data, chunks []byte, byWant bool) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := sockets.NewDecoder(f)
	start, pos := 0, 0
	for i := 0; pos < len(data); i++ {
		size := len(data) - pos
		switch {
		case byWant:
			if d.Want() < 1 {
				t.Fatalf("Want() is %d while decoding", d.Want())
			}
			size = min(size, d.Want())
		case len(chunks) > 0:
			size = min(size, int(chunks[i%len(chunks)])%23+1)
		}
		chunk := data[pos : pos+size]
		want := d.Want()
		n, msg, e := d.Feed(chunk)
		if n < 0 || n > len(chunk) {
			t.Fatalf("consumed %d of %d", n, len(chunk))
		}
		pos += n
		if e != nil {
			if n2, m2, e2 := d.Feed(data[pos:]); n2 != 0 || m2 != nil || e2 != e {
				t.Fatalf("Feed after error: got %d %v %v", n2, m2, e2)
			}
			break
		}
		if msg == nil && n != len(chunk) {
			t.Fatalf("consumed %d of %d bytes without completing a frame", n, len(chunk))
		}
		if len(chunk) <= want && n != len(chunk) {
			t.Fatalf("Want was %d, but feeding %d bytes consumed only %d", want, len(chunk), n)
		}
		if msg != nil {
			if got := wireOf(f, msg); !bytes.Equal(got, data[start:pos]) {
				t.Fatalf("frame rebuilds as %x, consumed %x", got, data[start:pos])
			}
			if f.Kind != sockets.FramingJSONHeader {
				if w, e := f.Encode(msg.Body, nil); e != nil || !bytes.Equal(w, data[start:pos]) {
					t.Fatalf("re-encoded %x (%v), consumed %x", w, e, data[start:pos])
				}
			} else {
				// Re-encoding writes canonical JSON; it must decode to the
				// same header and body.
				w, e := f.Encode(msg.Body, msg.Header)
				if e != nil {
					t.Fatalf("re-encoding %v: %v", msg.Header, e)
				}
				again, e := decodeAll(t, f, w, nil)
				if e != nil || len(again) != 1 || !bytes.Equal(again[0].Body, msg.Body) || !reflect.DeepEqual(again[0].Header, msg.Header) {
					t.Fatalf("re-encoded frame decodes as %v (%v), want %v", again, e, msg)
				}
			}
			start = pos
		}
	}
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(1<<20+64*len(data)); got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes, want at most %d", len(data), got, limit)
	}
}

func addSeeds(f *testing.F, framing sockets.Framing, bodies ...string) {
	var stream []byte
	for _, b := range bodies {
		w, e := framing.Encode([]byte(b), nil)
		if e != nil {
			f.Fatalf("seed %q: %v", b, e)
		}
		stream = append(stream, w...)
	}
	f.Add(stream, []byte{0}, uint8(0), false)
	f.Add(stream, []byte{3, 1, 200}, uint8(1), false)
	f.Add(stream, []byte{}, uint8(2), true)
}

var fuzzLengthFormats = []string{"!I", "<I", "I", "i", "!H", "<H", "!Q", "!q", "B", "b", "l"}

func FuzzDecodeLength(f *testing.F) {
	addSeeds(f, lengthF("!I"), "hello", "", "粘包")
	f.Add([]byte{0, 0, 0, 5, 'h', 'e'}, []byte{1}, uint8(1), false)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, []byte{}, uint8(3), false)
	f.Add([]byte{0x00, 0xff, 0xff, 0xff, 0x78}, []byte{}, uint8(0), false)
	f.Fuzz(func(t *testing.T, data, chunks []byte, which uint8, byWant bool) {
		fuzzDecode(t, lengthF(fuzzLengthFormats[int(which)%len(fuzzLengthFormats)]), data, chunks, byWant)
	})
}

var fuzzDelimiters = []string{"\n", "\r\n", "aa", "aba", "\x00", "END"}

func FuzzDecodeDelimiter(f *testing.F) {
	addSeeds(f, delimF("\n"), "one", "two", "")
	f.Add([]byte("ab\r\r\ncd\r\n"), []byte{1}, uint8(1), false)
	f.Add([]byte("aabaaba"), []byte{2}, uint8(3), true)
	f.Fuzz(func(t *testing.T, data, chunks []byte, which uint8, byWant bool) {
		fuzzDecode(t, delimF(fuzzDelimiters[int(which)%len(fuzzDelimiters)]), data, chunks, byWant)
	})
}

func FuzzDecodeFixed(f *testing.F) {
	addSeeds(f, fixedF(5), "hello", "world")
	f.Fuzz(func(t *testing.T, data, chunks []byte, which uint8, byWant bool) {
		fuzzDecode(t, fixedF(int(which)%9+1), data, chunks, byWant)
	})
}

var fuzzJSONFormats = []string{"i", "!I", "!H", "<Q"}

func FuzzDecodeJSONHeader(f *testing.F) {
	addSeeds(f, jsonF("i"), "total 0\n", "", "粘包")
	f.Add(append([]byte{17, 0, 0, 0}, `{"data_size": 2}ab`...), []byte{1}, uint8(0), false)
	f.Add(append([]byte{0, 0, 0, 30}, `{"cmd":["ls",{"a":1e3}],"data_size":0}`...), []byte{5}, uint8(1), true)
	f.Fuzz(func(t *testing.T, data, chunks []byte, which uint8, byWant bool) {
		fuzzDecode(t, jsonF(fuzzJSONFormats[int(which)%len(fuzzJSONFormats)]), data, chunks, byWant)
	})
}
