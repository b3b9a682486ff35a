package sessions

import (
	"encoding/json"
	"sockplay/sessions/protocol"
	"strings"
	"testing"
	"time"
)

// takeResult waits on sub for the result with id (as sub sees it),
// skipping other messages.
func takeResult(t *testing.T, sub *Subscriber, id string) ResultBody {
	t.Helper()
	for {
		m := take(t, sub, 1)[0]
		if b, ok := m.Body.(ResultBody); ok && string(b.ID) == id {
			return b
		}
	}
}

// A program's subscriber gets its hello, then only the answers to its own
// requests, with its own ids; pages get the session's negative ids; the
// program does not keep the session from its grace period.
func TestAttachProgram(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	m := NewManager(Config{Grace: time.Minute, Now: clock.Now})
	defer m.Close()
	s := m.Create()
	page, _ := s.Attach()
	enc := req(100, "encoding")
	enc.Encoding = UTF8
	if b := result(t, s, page, enc); !b.OK { // the page is live
		t.Fatalf("encoding: %+v", b)
	}
	prog := s.AttachProgram("p1")
	if h := take(t, prog, 1)[0]; h.Kind != KindHello {
		t.Fatalf("the program's first message is a %s, want its hello", h.Kind)
	}

	r := req(1, "socket")
	r.Type = "SOCK_DGRAM"
	s.Do(prog, r)
	mine := takeResult(t, prog, "1")
	if !mine.OK || mine.Sock != "s1" {
		t.Fatalf("the program's socket result %+v", mine)
	}
	if f, _ := json.Marshal(mine.Fields); !strings.Contains(string(f), `"program":"p1"`) {
		t.Errorf("socket result fields %s, want program p1", f)
	}
	theirs := takeResult(t, page, "-1")
	if theirs.Sock != "s1" {
		t.Errorf("the page's copy %+v, want id -1 for s1", theirs)
	}

	// A page's result never reaches the program; the program's next id
	// (its own 1 again, since the first is done) is the session's -2.
	if b := result(t, s, page, req(5, "socket")); !b.OK {
		t.Fatalf("the page's socket: %+v", b)
	}
	s.Do(prog, req(1, "getsockname"))
	if b := takeResult(t, prog, "1"); b.Op != "getsockname" {
		t.Errorf("the program got %+v, want only its getsockname", b)
	}
	takeResult(t, page, "-2")

	// A page may not use a negative id.
	if b := result(t, s, page, req(-3, "socket")); b.OK || !strings.Contains(b.Error.Message, "negative") {
		t.Errorf("a page's negative id: %+v", b)
	}

	// A program's end closes its sockets and ends the calls it waits in.
	recv := req(2, "recv")
	recv.Sock, recv.Bufsize = "s1", new(int)
	*recv.Bufsize = 10
	s.Do(prog, recv)
	s.Detach(prog)
	for closed, cancelled := false, false; !closed || !cancelled; {
		switch b := take(t, page, 1)[0].Body.(type) {
		case SocketBody:
			closed = closed || b.Sock == "s1" && b.State == "CLOSED"
		case ResultBody:
			cancelled = cancelled || b.Op == "recv" && !b.OK
		}
	}

	// Only the page counts for the grace period.
	prog = s.AttachProgram("p2")
	s.Detach(page)
	clock.Add(time.Minute)
	m.Reap(clock.Now())
	if m.Get(s.ID) != nil {
		t.Error("a session with only a program attached outlived its grace period")
	}
	select {
	case <-prog.Done():
	case <-time.After(5 * time.Second):
		t.Error("the program's subscriber was not ended with its session")
	}
}

// select waits for readiness: at once for a writable socket, after the
// timeout with nothing ready, until data comes for a reader, and a
// cancel or an unknown handle ends it.
func TestOpSelect(t *testing.T) {
	m := NewManager(Config{})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	sockets := map[string]string{}
	for _, name := range []string{"a", "b"} {
		r := req(len(sockets)+1, "socket")
		r.Type = "SOCK_DGRAM"
		sockets[name] = result(t, s, sub, r).Sock
	}
	bind := req(10, "bind")
	bind.Sock, bind.Addr = sockets["a"], protocol.NewAddrArg(protocol.Raw(`["127.0.0.1",0]`))
	addr := result(t, s, sub, bind)
	bind.ID, bind.Sock = protocol.Raw("11"), sockets["b"]
	if b := result(t, s, sub, bind); !addr.OK || !b.OK {
		t.Fatalf("bind: %+v, %+v", addr, b)
	}

	sel := func(id int, read, write []string, timeout string) Request {
		r := req(id, "select")
		r.Read, r.Write = read, write
		if timeout != "" {
			r.Timeout = protocol.Raw(timeout)
		}
		return r
	}
	fields := func(b ResultBody) string {
		j, _ := json.Marshal(b.Fields)
		return string(j)
	}

	if b := result(t, s, sub, sel(20, []string{sockets["a"]}, []string{sockets["b"]}, "")); !b.OK || fields(b) != `{"read":[],"write":["s2"]}` {
		t.Errorf("select with a writable socket: %+v %s", b, fields(b))
	}
	if b := result(t, s, sub, sel(21, []string{sockets["a"]}, nil, "0.05")); !b.OK || fields(b) != `{"read":[],"write":[]}` {
		t.Errorf("select that times out: %+v %s", b, fields(b))
	}

	// A reader waits until a datagram comes.
	s.Do(sub, sel(22, []string{sockets["a"], sockets["a"]}, nil, "30"))
	send := req(23, "sendto")
	send.Sock, send.Addr = sockets["b"], protocol.NewAddrArg(protocol.Raw(mustJSON(t, addrOfResult(t, addr))))
	text := "hi"
	send.Data = &Payload{Text: &text}
	if b := result(t, s, sub, send); !b.OK {
		t.Fatalf("sendto: %+v", b.Error)
	}
	if b := takeResult(t, sub, "22"); !b.OK || fields(b) != `{"read":["s1","s1"],"write":[]}` {
		t.Errorf("select after a datagram: %+v %s", b, fields(b))
	}

	// cancel ends a select that would wait forever.
	s.Do(sub, sel(24, []string{sockets["b"]}, nil, ""))
	cancel := req(25, "cancel")
	cancel.Target = protocol.Raw("24")
	s.Do(sub, cancel)
	if b := takeResult(t, sub, "24"); b.OK || b.Error.Type != "cancelled" {
		t.Errorf("a cancelled select: %+v", b)
	}

	for _, bad := range []Request{sel(26, []string{"s9"}, nil, "1"), sel(27, nil, nil, ""), sel(28, []string{"s1"}, nil, "-1")} {
		if b := result(t, s, sub, bad); b.OK || b.Error.Type != "bad_request" {
			t.Errorf("select %s: %+v, want bad_request", bad.ID, b)
		}
	}
}

func addrOfResult(t *testing.T, b ResultBody) any {
	t.Helper()
	var f struct{ Addr []any }
	j, _ := json.Marshal(b.Fields)
	if err := json.Unmarshal(j, &f); err != nil {
		t.Fatal(err)
	}
	return f.Addr
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}
