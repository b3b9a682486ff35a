package sockets_test

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"

	"sockplay/sockets"
)

// fuzzDecode is the property every decoder must have: arbitrary bytes in
// arbitrary chunks never panic, never allocate with a declared length, and
// every message decoded is exactly the bytes it consumed.
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
