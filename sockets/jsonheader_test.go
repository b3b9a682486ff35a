package sockets_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"sockplay/sockets"
)

func TestDecodeJSONHeader(t *testing.T) {
	body := []byte("total 0\n")
	wire := mustEncode(t, jsonF(""), body, map[string]any{"cmd": "ls -l"})
	js := `{"cmd":"ls -l","data_size":8}`
	if want := fmt.Sprintf("%02x000000", len(js)) + hex.EncodeToString([]byte(js)) + hex.EncodeToString(body); hex.EncodeToString(wire) != want {
		t.Errorf("wire: got %x, want %s", wire, want)
	}
	d := sockets.NewDecoder(jsonF(""))
	var msg *sockets.Message
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
	// The decoded header encodes back to the same message.
	if again := mustEncode(t, jsonF(""), msg.Body, msg.Header); !bytes.Equal(again, wire) {
		t.Errorf("re-encoded: got %x, want %x", again, wire)
	}
	// data_size 0: the message ends with the header.
	empty := mustEncode(t, jsonF("!I"), nil, nil)
	if n, m, e := sockets.NewDecoder(jsonF("!I")).Feed(append(empty, 'x')); e != nil || m == nil || n != len(empty) || len(m.Body) != 0 {
		t.Errorf("empty body: got %d %v %v", n, m, e)
	}
}

// TestDecodeJSONHeaderErrors: what seed 004's receiver would raise, as Python
// raises it.
func TestDecodeJSONHeaderErrors(t *testing.T) {
	wire := func(js string) []byte {
		return append(append(unhex(t, fmt.Sprintf("%08x", len(js))), js...), "body"...)
	}
	tests := []struct {
		name      string
		wire      []byte
		kind      sockets.Kind
		exception string
		message   string
	}{
		{"not JSON", wire(`{"data_size": 4`), sockets.KindFraming, "", "the JSON header is not valid JSON: unexpected EOF"},
		{"extra data", wire(`{"data_size": 4} {}`), sockets.KindFraming, "", "the JSON header is not valid JSON: extra data after the JSON value"},
		{"empty", wire(``), sockets.KindFraming, "", "the JSON header is not valid JSON: EOF"},
		{"list", wire(`[4]`), sockets.KindFraming, "TypeError", "list indices must be integers or slices, not str"},
		{"string", wire(`"4"`), sockets.KindFraming, "TypeError", "string indices must be integers, not 'str'"},
		{"int", wire(`4`), sockets.KindFraming, "TypeError", "'int' object is not subscriptable"},
		{"float", wire(`4.5`), sockets.KindFraming, "TypeError", "'float' object is not subscriptable"},
		{"null", wire(`null`), sockets.KindFraming, "TypeError", "'NoneType' object is not subscriptable"},
		{"bool", wire(`true`), sockets.KindFraming, "TypeError", "'bool' object is not subscriptable"},
		{"no data_size", wire(`{"size": 4}`), sockets.KindFraming, "KeyError", "'data_size'"},
		{"data_size string", wire(`{"data_size": "4"}`), sockets.KindFraming, "", `data_size in the JSON header must be a whole number of bytes, 0 or more, not "4"`},
		{"data_size negative", wire(`{"data_size": -1}`), sockets.KindFraming, "", "data_size in the JSON header must be a whole number of bytes, 0 or more, not -1"},
		{"data_size float", wire(`{"data_size": 4.0}`), sockets.KindFraming, "", "data_size in the JSON header must be a whole number of bytes, 0 or more, not 4.0"},
		{"data_size huge", wire(`{"data_size": 99999999999999999999999}`), sockets.KindLimit, "", "the JSON header declares a body of 99999999999999999999999 bytes, more than the 16777216 allowed here"},
		{"data_size over", wire(`{"data_size": 16777217}`), sockets.KindLimit, "", "the JSON header declares a body of 16777217 bytes, more than the 16777216 allowed here"},
		{"not UTF-8", wire("{\"cmd\": \"\xe4\xbd\", \"data_size\": 4}"), sockets.KindFraming, "UnicodeDecodeError", "'utf-8' codec can't decode bytes in position 9-10: invalid continuation byte"},
		{"negative header length", unhex(t, "ffffffff"), sockets.KindFraming, "ValueError", "negative buffersize in recv"},
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
