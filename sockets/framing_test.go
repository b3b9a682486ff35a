package sockets_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
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

// wireOf rebuilds the bytes a decoded message arrived as.
func wireOf(f sockets.Framing, fr *sockets.Message) []byte {
	w := append(append(append([]byte{}, fr.Prefix...), fr.HeaderJSON...), fr.Body...)
	if f.Kind == sockets.FramingDelimiter {
		w = append(w, f.Delimiter...)
	}
	return w
}

// decodeAll feeds stream to a decoder in chunks of the given sizes (cycled;
// the rest of the stream when sizes is empty) and returns the messages.
func decodeAll(t testing.TB, f sockets.Framing, stream []byte, sizes []int) ([]*sockets.Message, *sockets.Error) {
	t.Helper()
	d := sockets.NewDecoder(f)
	var msgs []*sockets.Message
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
				return msgs, e
			}
			if c > len(chunk) || c < len(chunk) && msg == nil {
				t.Fatalf("Feed(%d bytes): consumed %d without a frame", len(chunk), c)
			}
			if msg != nil {
				msgs = append(msgs, msg)
			}
			chunk = chunk[c:]
		}
	}
	if p := d.Progress(); p.Phase != sockets.PhaseDone && p.Consumed != 0 {
		t.Fatalf("stream ended inside a frame: %+v", p)
	}
	return msgs, nil
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
		{fixedF(sockets.MaxMessage), ""},
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
		{fixedF(sockets.MaxMessage + 1), "fixed framing needs a size from 1 to 16777216 bytes, not 16777217"},
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
		{"over MaxMessage", lengthF("!I"), make([]byte, sockets.MaxMessage+1), nil, sockets.KindLimit, "", "the body is 16777217 bytes; a frame carries at most 16777216 bytes here"},
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

// TestFramingMatchesPython checks the codecs against Python itself: struct
// prefixes, seed 004's JSON header messages (json.dumps puts spaces after ':'
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
	msgs, e := decodeAll(t, jsonF(""), seed, []int{3})
	mustOK(t, "decode seed 004 frame", e)
	if len(msgs) != 1 || string(msgs[0].Body) != "total 0\n粘包" || msgs[0].Header["cmd"] != "ls" || msgs[0].Header["data_size"] != json.Number("14") {
		t.Errorf("seed 004 message: got %+v", msgs)
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
