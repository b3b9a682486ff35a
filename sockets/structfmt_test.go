package sockets_test

import (
	"bytes"
	"encoding/hex"
	"runtime"
	"testing"

	"sockplay/sockets"
)

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

// TestDecodeWrongByteOrder: a '!I' message read as '<I' declares 83886080
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
