package web_test

import (
	"fmt"
	"testing"

	"sockplay/sessions"
)

func readsOf(m msg) string {
	out := ""
	for _, r := range m["reads"].([]any) {
		r := msg(r.(map[string]any))
		peek := ""
		if r["peek"] == true {
			peek = " peek"
		}
		out += fmt.Sprintf("[recv(%d)%s→%d]", r.num("bufsize"), peek, r.num("size"))
	}
	return out
}

func TestFramesLengthPrefix(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	cl, conn := c.tcpPair()
	bang := obj{"kind": "length", "format": "!I"}
	bodies := []string{"hello", "framed world", "!"}
	for _, b := range bodies {
		r := c.must("send_frame", obj{"sock": cl, "framing": bang, "data": text(b)})
		if r.num("n") != 4+len(b) || r.obj("frame").str("hex") != fmt.Sprintf("%08x", len(b))+fmt.Sprintf("%x", b) {
			t.Errorf("send_frame %q: n %d frame %s", b, r.num("n"), r.obj("frame").str("hex"))
		}
	}
	for _, b := range bodies {
		r := c.must("recv_frame", obj{"sock": conn, "framing": bang})
		if got := r.obj("data").str("text"); got != b {
			t.Errorf("recv_frame %q, want %q", got, b)
		}
		if got, want := readsOf(r), fmt.Sprintf("[recv(4)→4][recv(%d)→%d]", len(b), len(b)); got != want {
			t.Errorf("reads %s, want %s", got, want)
		}
	}
}

func TestFramesJSONHeaderAndDelimiter(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	cl, conn := c.tcpPair()
	jh := obj{"kind": "json_header", "format": "i"}
	c.must("send_frame", obj{"sock": cl, "framing": jh, "data": text("body bytes"), "header": obj{"cmd": "put"}})
	r := c.must("recv_frame", obj{"sock": conn, "framing": jh})
	if h := r.obj("header"); h.num("data_size") != 10 || h.str("cmd") != "put" || r.obj("data").str("text") != "body bytes" {
		t.Errorf("json_header: header %v data %v", r["header"], r["data"])
	}

	c.must("sendall", obj{"sock": cl, "data": text("one\ntwo\n")})
	nl := obj{"kind": "delimiter", "delimiter": text("\n")}
	for _, want := range []string{"one", "two"} {
		r := c.must("recv_frame", obj{"sock": conn, "framing": nl})
		if got := r.obj("data").str("text"); got != want {
			t.Errorf("delimiter frame %q, want %q (reads %s)", got, want, readsOf(r))
		}
	}
}

// A recv_frame that waits shows its progress in frame messages; reading a
// big-endian prefix as little-endian is refused before any allocation.
func TestFramesProgressAndEndianness(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	cl, conn := c.tcpPair()
	id := c.send("recv_frame", obj{"sock": conn, "framing": obj{"kind": "length", "format": "!I"}})
	c.wait("waiting", id)
	mark := c.mark()
	c.must("sendall", obj{"sock": cl, "data": obj{"hex": "00000005"}})
	p := c.since(mark, func(m msg) bool { return m.str("kind") == "frame" && m.num("id") == id })
	if p.str("phase") != "body" || p.num("length") != 5 || p.num("awaiting") != 5 || p.num("header_read") != 4 {
		t.Errorf("progress after the prefix: %v", p)
	}
	mark = c.mark()
	c.must("sendall", obj{"sock": cl, "data": text("abcde")})
	if r := c.since(mark, func(m msg) bool { return m.str("kind") == "result" && m.num("id") == id }); !r.ok() || r.obj("data").str("text") != "abcde" {
		t.Errorf("recv_frame: %v", r)
	}

	c.must("send_frame", obj{"sock": cl, "framing": obj{"kind": "length", "format": "!I"}, "data": text("hello")})
	r := c.do("recv_frame", obj{"sock": conn, "framing": obj{"kind": "length", "format": "<I"}})
	if r.ok() || r.obj("error").str("type") != "limit" {
		t.Fatalf("!I frame read as <I: %v, want a limit error", r)
	}
	if got := readsOf(r); got != "[recv(4)→4]" {
		t.Errorf("reads before the error %s, want [recv(4)→4]", got)
	}
	// The session goes on.
	c.must("getsockname", obj{"sock": conn})
}

func TestFramesBadRequests(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	c := srv.dial(t)
	cl, _ := c.tcpPair()
	for _, args := range []obj{
		{"sock": cl, "data": text("x")},
		{"sock": cl, "data": text("x"), "framing": obj{"kind": "length", "format": "!Z"}},
		{"sock": cl, "data": text("x"), "framing": obj{"kind": "zigzag"}},
		{"sock": cl, "data": text("x"), "framing": obj{"kind": "fixed", "size": 0}},
		{"sock": cl, "data": text("x"), "framing": obj{"kind": "delimiter"}},
	} {
		if r := c.do("send_frame", args); r.ok() || r.obj("error").str("type") != "bad_request" {
			t.Errorf("send_frame %v: %v, want bad_request", args, r)
		}
	}
	c.must("send_frame", obj{"sock": cl, "data": text("ok"), "framing": obj{"kind": "fixed", "size": 2}})
}
