package sockets_test

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"sockplay/sockets"
)

// TestRoundTrip: every framing decodes what it encodes, fed whole, byte by
// byte, and in odd chunks, with several messages back to back.
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
				msgs, e := decodeAll(t, tt.f, stream, sizes)
				if e != nil {
					t.Fatalf("chunks %v: %v", sizes, e)
				}
				if len(msgs) != len(tt.bodies) {
					t.Fatalf("chunks %v: got %d messages, want %d", sizes, len(msgs), len(tt.bodies))
				}
				for i, fr := range msgs {
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

// TestDecodeProgress follows a '!I' message fed in pieces that split the
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
		if total != sockets.MaxMessage+1 {
			t.Errorf("consumed %d, want %d", total, sockets.MaxMessage+1)
		}
	})
	t.Run("exactly MaxMessage", func(t *testing.T) {
		in := append(bytes.Repeat([]byte{'x'}, sockets.MaxMessage), '\n')
		n, msg, e := sockets.NewDecoder(delimF("\n")).Feed(in)
		mustOK(t, "feed", e)
		if n != len(in) || msg == nil || len(msg.Body) != sockets.MaxMessage {
			t.Errorf("got consumed %d frame %v, want the whole %d-byte body", n, msg != nil, sockets.MaxMessage)
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

func TestDecodeMaxMessage(t *testing.T) {
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
				if p := d.Progress(); p.Declared != sockets.MaxMessage || p.Awaiting != sockets.MaxMessage {
					t.Errorf("Progress: got %+v, want Declared and Awaiting %d", p, sockets.MaxMessage)
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
