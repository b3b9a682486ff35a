package sessions

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// TestCheckArgs: how a check request's exercise, address and time limit
// are read, and what the session's policy refuses.
func TestCheckArgs(t *testing.T) {
	tests := []struct {
		name    string
		policy  sockets.Policy
		req     string // the request's JSON, without id and op
		addr    sockets.Addr
		limit   time.Duration
		errKind sockets.Kind // "" for no error
	}{
		{"target", sockets.Policy{}, `"exercise":"udp-upper","target":["127.0.0.1",9000]`,
			sockets.Addr{Host: "127.0.0.1", Port: 9000}, CheckTimeout, ""},
		{"localhost is 127.0.0.1", sockets.Policy{}, `"exercise":"tcp-echo","target":["localhost",9000]`,
			sockets.Addr{Host: "127.0.0.1", Port: 9000}, CheckTimeout, ""},
		{"IPv6 target", sockets.Policy{}, `"exercise":"tcp-echo","target":["::1",9000,0,0]`,
			sockets.Addr{Host: "::1", Port: 9000}, CheckTimeout, ""},
		{"loopback broadcast target", sockets.Policy{}, `"exercise":"udp-broadcast","target":["127.255.255.255",9000]`,
			sockets.Addr{Host: "127.255.255.255", Port: 9000}, CheckTimeout, ""},
		{"listen on port 0 with a time limit", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",0],"timeout":2.5`,
			sockets.Addr{Host: "127.0.0.1"}, 2500 * time.Millisecond, ""},
		{"timeout null is the default", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",0],"timeout":null`,
			sockets.Addr{Host: "127.0.0.1"}, CheckTimeout, ""},
		{"listen on the wildcard where allowed", sockets.Policy{Wildcard: true}, `"exercise":"tcp-client","listen":["",9000]`,
			sockets.Addr{Port: 9000}, CheckTimeout, ""},
		{"listen on the wildcard where not", sockets.Policy{}, `"exercise":"tcp-client","listen":["",9000]`,
			sockets.Addr{}, 0, sockets.KindPolicy},
		{"listen with target null", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",0],"target":null`,
			sockets.Addr{Host: "127.0.0.1"}, CheckTimeout, ""},
		{"unknown exercise", sockets.Policy{}, `"exercise":"udp-lower","target":["127.0.0.1",9000]`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"target for a client", sockets.Policy{}, `"exercise":"tcp-client","target":["127.0.0.1",9000]`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"listen for a server", sockets.Policy{}, `"exercise":"tcp-multi","listen":["127.0.0.1",9000]`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"negative port", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",-1]`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"timeout of 10 min and a bit", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",0],"timeout":600.5`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"timeout as text", sockets.Policy{}, `"exercise":"tcp-client","listen":["127.0.0.1",0],"timeout":"60"`,
			sockets.Addr{}, 0, sockets.KindBadRequest},
		{"off loopback", sockets.Policy{}, `"exercise":"udp-upper","target":["192.168.1.2",9000]`,
			sockets.Addr{}, 0, sockets.KindPolicy},
		{"IPv4 written as IPv6", sockets.Policy{}, `"exercise":"udp-upper","target":["::ffff:127.0.0.1",9000]`,
			sockets.Addr{Host: "127.0.0.1", Port: 9000}, CheckTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req Request
			if err := json.Unmarshal([]byte(`{"id":1,"op":"check",`+tt.req+`}`), &req); err != nil {
				t.Fatal(err)
			}
			s := &Session{cfg: Config{Policy: &tt.policy}}
			x, addr, lim, err := s.checkArgs(&call{Request: &req})
			limit := lim.total
			switch {
			case tt.errKind != "":
				if err == nil || err.Kind != tt.errKind {
					t.Errorf("error %v, want a %s error", err, tt.errKind)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case x.ID != req.Exercise || addr != tt.addr || limit != tt.limit:
				t.Errorf("got %s, %+v, %v; want %s, %+v, %v", x.ID, addr, limit, req.Exercise, tt.addr, tt.limit)
			}
		})
	}
}

// TestCheckReplyWait: reply_wait sets how long the checker waits for each
// reply, within bounds; absent or null leaves the exercise's own.
func TestCheckReplyWait(t *testing.T) {
	for _, tt := range []struct {
		arg  string
		want time.Duration
		bad  bool
	}{
		{``, 0, false},
		{`,"reply_wait":null`, 0, false},
		{`,"reply_wait":60`, time.Minute, false},
		{`,"reply_wait":0.5`, 500 * time.Millisecond, false},
		{`,"reply_wait":300`, 5 * time.Minute, false},
		{`,"reply_wait":300.5`, 0, true},
		{`,"reply_wait":0`, 0, true},
		{`,"reply_wait":-1`, 0, true},
		{`,"reply_wait":"60"`, 0, true},
	} {
		var req Request
		if err := json.Unmarshal([]byte(`{"id":1,"op":"check","exercise":"udp-upper","target":["127.0.0.1",9000]`+tt.arg+`}`), &req); err != nil {
			t.Fatal(err)
		}
		s := &Session{cfg: Config{Policy: &sockets.Policy{}}}
		_, _, lim, err := s.checkArgs(&call{Request: &req})
		switch {
		case tt.bad && (err == nil || !strings.Contains(err.Message, "reply_wait")):
			t.Errorf("%s: got %v, %v; want an error about reply_wait", tt.arg, lim.reply, err)
		case !tt.bad && (err != nil || lim.reply != tt.want):
			t.Errorf("%s: got %v, %v; want %v", tt.arg, lim.reply, err, tt.want)
		}
	}
}

// TestCheckInSnapshot: a running check is a pending request of the
// snapshot, named by its op and request, with no socket.
func TestCheckInSnapshot(t *testing.T) {
	m := NewManager(Config{LogSize: 3})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	s.Do(sub, Request{ID: protocol.Raw("1"), Op: "check", Echo: protocol.Raw(`{"id":1,"op":"check"}`), RareArgs: &protocol.RareArgs{Exercise: "tcp-client", Listen: protocol.Raw(`["127.0.0.1",0]`)}})
	for _, msg := range take(t, sub, 2) { // the hello and the waiting
		if w, ok := msg.Body.(WaitingBody); ok && (w.Op != "check" || w.Sock != "") {
			t.Errorf("waiting %+v, want op check and no sock", w)
		}
	}
	for i := 2; i < 6; i++ { // push the start out of the log
		s.Do(sub, req(i, "nope"))
	}
	late, _ := s.Attach()
	s.Do(late, Request{ID: protocol.Raw("9"), Op: "resume", RareArgs: &protocol.RareArgs{After: new(int64)}})
	snap, ok := take(t, late, 1)[0].Body.(SnapshotBody)
	if !ok || len(snap.Pending) != 1 || snap.Pending[0].Op != "check" || snap.Pending[0].Sock != "" ||
		string(snap.Pending[0].Request) != `{"id":1,"op":"check"}` {
		t.Fatalf("snapshot %+v, want the check pending", snap)
	}
}
