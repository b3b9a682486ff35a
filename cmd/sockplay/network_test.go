package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"sockplay/sockets/netns"
)

func TestParseNetwork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
		err  string
	}{
		{want: ""},
		{env: "private", want: "private"},
		{args: []string{"--network", "host"}, env: "private", want: "host"},
		{args: []string{"--network", "hostile"}, err: `--network: "hostile" is neither host nor private`},
	} {
		cfg, err := ParseFlags(tc.args, func(k string) string {
			if k == "SOCKPLAY_NETWORK" {
				return tc.env
			}
			return ""
		}, io.Discard)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%v: err %v, want %q", tc.args, err, tc.err)
			}
		case err != nil || cfg.Network != tc.want:
			t.Errorf("%v env %q: network %q (%v), want %q", tc.args, tc.env, cfg.Network, err, tc.want)
		}
	}
}

// The network by default follows the listen address; private needs
// namespaces, and says how to get them or do without; --allow-net goes
// with host only.
func TestChooseNetwork(t *testing.T) {
	loop, wild := netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("0.0.0.0:8080")
	allow := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	works := func() error { return nil }
	refused := func() error {
		return &netns.UnavailableError{Refused: "a new network namespace", Err: errors.New("operation not permitted"), Fix: "allow it with X"}
	}
	for _, tc := range []struct {
		name      string
		network   string
		listen    netip.AddrPort
		allow     []netip.Prefix
		available func() error
		want      string
		err       []string
	}{
		{name: "loopback: host", listen: loop, available: refused, want: "host"},
		{name: "beyond loopback: private", listen: wild, available: works, want: "private"},
		{name: "explicit host beyond loopback", network: "host", listen: wild, allow: allow, available: refused, want: "host"},
		{name: "explicit private on loopback", network: "private", listen: loop, available: works, want: "private"},
		{name: "refused by default", listen: wild, available: refused,
			err: []string{"sockplay listens on 0.0.0.0:8080, beyond loopback, so each session gets a private network (--network private): ", "allow it with X", "or, to let every session share this machine's network, start sockplay with --network host"}},
		{name: "refused when asked", network: "private", listen: loop, available: refused,
			err: []string{"--network private: ", "allow it with X"}},
		{name: "allow-net with private", network: "private", listen: loop, allow: allow, available: works,
			err: []string{"--allow-net cannot apply", "--network host --allow-net CIDR"}},
		{name: "allow-net beyond loopback", listen: wild, allow: allow, available: works,
			err: []string{"beyond loopback", "--network host --allow-net CIDR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseNetwork(tc.network, tc.listen, tc.listen.Addr().IsLoopback(), tc.allow, tc.available)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Errorf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			for _, part := range tc.err {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q, want it to contain %q", err, part)
				}
			}
		})
	}
}

// privateOrSkip skips a test of private networks where the kernel refuses
// namespaces, except under CI=true, where it must run.
func privateOrSkip(t *testing.T) {
	t.Helper()
	err := netns.Available()
	var ue *netns.UnavailableError
	switch {
	case errors.As(err, &ue) && os.Getenv("CI") != "true":
		t.Skipf("private networks unavailable here: %v", err)
	case err != nil:
		t.Fatal(err)
	}
}

// The real command with --network private: each session's hello says
// private, two sessions both bind 127.0.0.1:9000, and sockplay's own
// address is still refused by the policy. A listen beyond loopback is
// private by default; on loopback it is host.
func TestPrivateCommand(t *testing.T) {
	privateOrSkip(t)
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"--network private", "private", []string{"--network", "private"}},
		{"beyond loopback by default", "private", []string{"--addr", "0.0.0.0:0"}},
		{"loopback by default", "host", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startCommand(t, tc.args...)
			ap := netip.MustParseAddrPort(addr)
			port := int(ap.Port())
			addr = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()).String() // a wildcard listener is dialed on loopback
			for i := range 2 {
				conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil) // no cookie: a session of its own
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				read := reader(conn)
				hello, err := read()
				if err != nil || hello["network"] != tc.want {
					t.Fatalf("hello %v (%v), want network %s", hello, err, tc.want)
				}
				wsDo(t, read, conn, map[string]any{"id": 1, "op": "socket", "type": "SOCK_STREAM"})
				own := wsDo(t, read, conn, map[string]any{"id": 2, "op": "connect", "sock": "s1", "addr": []any{"127.0.0.1", port}})
				if e, _ := own["error"].(map[string]any); e["type"] != "policy" || !strings.Contains(e["message"].(string), "sockplay's own address") {
					t.Errorf("connect to sockplay's own address: %v, want a policy error", own)
				}
				if i == 0 {
					checkRoomLAN(t, addr, read, conn, tc.want == "private")
				}
				if tc.want != "private" {
					continue
				}
				wsDo(t, read, conn, map[string]any{"id": 3, "op": "socket", "type": "SOCK_STREAM"})
				if b := wsDo(t, read, conn, map[string]any{"id": 4, "op": "bind", "sock": "s2", "addr": []any{"127.0.0.1", 9000}}); b["ok"] != true {
					t.Errorf("session %d: bind 127.0.0.1:9000: %v", i, b)
				}
			}
		})
	}
}

// checkRoomLAN makes a room over HTTP and joins it on conn: on a private
// server the member gets an address on the room's class network, on the
// host's network lan is null with a note.
func checkRoomLAN(t *testing.T, addr string, read func() (map[string]any, error), conn *websocket.Conn, private bool) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/rooms", "application/json", strings.NewReader(`{"title":"wiring"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var room struct{ Room string }
	if err := json.NewDecoder(resp.Body).Decode(&room); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /rooms: %d %v", resp.StatusCode, err)
	}
	r := wsDo(t, read, conn, map[string]any{"id": 9, "op": "room_join", "room": room.Room, "name": "Li Lei"})
	lan, _ := r["lan"].(map[string]any)
	switch {
	case r["ok"] != true:
		t.Errorf("room_join: %v", r)
	case private && (lan == nil || !strings.HasPrefix(lan["addr"].(string), "10.78.0.")):
		t.Errorf("room_join on a private server: %v, want an address on 10.78.0.0/24", r)
	case !private && (lan != nil || r["lan_note"] == ""):
		t.Errorf("room_join on the host's network: %v, want lan null and a lan_note", r)
	}
}
