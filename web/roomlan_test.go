package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"sockplay/sessions"
)

// The class network over real WebSockets, on a private server: every
// member's session is a host on the room's LAN (10.78.0.0/24), and real
// datagrams go between the sockets of different sessions.

// lanPort is the port the class network tests' sockets use.
const lanPort = 9700

// classServer is a private server whose rooms have LANs, and its helper's
// namespace count.
func classServer(t *testing.T) (*testServer, func() int) {
	t.Helper()
	cfg, h := privateConfig(t)
	cfg.RoomNetwork = sessions.NetnsRooms(h)
	return newServer(t, cfg), func() int { return leakUsage(t, h).namespaces }
}

// lanOf is a room_join result's lan, checked to be on the room LAN.
func lanOf(t *testing.T, r msg) string {
	t.Helper()
	lan := r.obj("lan")
	if lan == nil || lan.num("prefix") != 24 || lan.str("broadcast") != "10.78.0.255" || lan.str("instructor") != "10.78.0.1" ||
		!strings.HasPrefix(lan.str("addr"), "10.78.0.") || r.str("lan_note") != "" {
		t.Fatalf("room_join result %v, want a lan on 10.78.0.0/24 and no lan_note", r)
	}
	return lan.str("addr")
}

// udpBroadcaster makes a UDP socket with SO_BROADCAST bound to ("", p).
func udpBroadcaster(c *client, p int) string {
	c.t.Helper()
	s := c.socket("SOCK_DGRAM")
	c.must("setsockopt", obj{"sock": s, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": 1})
	c.bind(s, "", p)
	return s
}

// datagram is the next datagram on sock: its text and its sender's address.
func datagram(c *client, sock string) (string, string) {
	c.t.Helper()
	r := c.must("recvfrom", obj{"sock": sock, "bufsize": 256})
	return r.obj("data").str("text"), r.addr("addr")[0].(string)
}

// An instructor and two students on a private server: each gets its
// address; the instructor's broadcast to 10.78.0.255 and to '<broadcast>'
// reaches both students' ("", P) sockets; a student's reply reaches the
// instructor; students chat with each other, and a Python program of a
// student's session reaches the instructor too; each one's packets show
// room0. Leaving takes the student's link away; ending the room takes
// every link and the LAN's namespace.
func TestRoomClassNetwork(t *testing.T) {
	srv, namespaces := classServer(t)
	k := newClass(t, srv, "Li Lei", "Han Meimei")
	inst := k.inst
	if got := lanOf(t, inst.must("room_join", obj{"room": k.code})); got != "10.78.0.1" {
		t.Fatalf("the instructor is %s on the LAN, want 10.78.0.1", got)
	}
	var addrs []string
	for i, c := range k.students {
		addrs = append(addrs, lanOf(t, c.must("room_join", obj{"room": k.code, "name": []string{"Li Lei", "Han Meimei"}[i]})))
	}
	if addrs[0] == addrs[1] || slices.Contains(addrs, "10.78.0.1") {
		t.Fatalf("the students are at %v, want two addresses of their own", addrs)
	}
	during := namespaces()
	if during != 5 {
		t.Fatalf("the helper holds %d namespaces, want 5: three sessions', the LAN's switch, its own", during)
	}

	rx := []string{udpBroadcaster(k.students[0], lanPort), udpBroadcaster(k.students[1], lanPort)}
	tx := udpBroadcaster(inst, lanPort)
	for _, to := range []string{"10.78.0.255", "<broadcast>"} {
		inst.must("sendto", obj{"sock": tx, "data": text("class: " + to), "addr": []any{to, lanPort}})
		for i, c := range k.students {
			if got, from := datagram(c, rx[i]); got != "class: "+to || from != "10.78.0.1" {
				t.Errorf("student %d got %q from %s, want %q from 10.78.0.1", i+1, got, from, "class: "+to)
			}
		}
		if got, _ := datagram(inst, tx); got != "class: "+to { // a broadcast comes back to its sender's host
			t.Errorf("the instructor got %q back, want its own broadcast", got)
		}
	}
	k.students[0].must("sendto", obj{"sock": rx[0], "data": text("here"), "addr": []any{"10.78.0.1", lanPort}})
	if got, from := datagram(inst, tx); got != "here" || from != addrs[0] {
		t.Errorf("the instructor got %q from %s, want \"here\" from %s", got, from, addrs[0])
	}
	k.students[1].must("sendto", obj{"sock": rx[1], "data": text("hi Li"), "addr": []any{addrs[0], lanPort}})
	if got, from := datagram(k.students[0], rx[0]); got != "hi Li" || from != addrs[1] {
		t.Errorf("student 1 got %q from %s, want \"hi Li\" from %s", got, from, addrs[1])
	}

	// A program of the second student's session is on the LAN too.
	py := runOnSockplay(t, srv, k.students[1], "p1", dedent(fmt.Sprintf(`
	import socket
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	print(s.sendto(b"from python", ("10.78.0.1", %d)))
	`, lanPort)))
	if py.err != nil || py.stdout != "11\n" {
		t.Errorf("the program: %v\nstdout:\n%s\nstderr:\n%s", py.err, py.stdout, py.stderr)
	}
	if got, from := datagram(inst, tx); got != "from python" || from != addrs[1] {
		t.Errorf("the instructor got %q from %s, want \"from python\" from %s", got, from, addrs[1])
	}

	// The packets panels: the instructor's broadcast went out on room0,
	// and came in on each student's.
	isBroadcast := func(out bool) func([]msg) bool {
		return func(ps []msg) bool {
			return slices.ContainsFunc(ps, func(m msg) bool {
				return m.str("iface") == "room0" && m["outgoing"] == out && m["broadcast"] == true &&
					m.str("proto") == "UDP" && port(m.addr("dst")) == lanPort
			})
		}
	}
	packetsOf(inst, isBroadcast(true))
	for _, c := range k.students {
		packetsOf(c, isBroadcast(false))
	}

	// The second student leaves: its link goes, its sockets stay.
	k.students[1].must("room_leave", obj{})
	checkError(t, k.students[1].do("sendto", obj{"sock": rx[1], "data": text("gone?"), "addr": []any{"10.78.0.1", lanPort}}),
		errWant{typ: "os", errno: "ENETUNREACH", code: 101, exception: "OSError", message: "[Errno 101] Network is unreachable"})
	inst.must("room_end", obj{})
	checkError(t, k.students[0].do("sendto", obj{"sock": rx[0], "data": text("ended?"), "addr": []any{"10.78.0.1", lanPort}}),
		errWant{typ: "os", errno: "ENETUNREACH", code: 101, exception: "OSError", message: "[Errno 101] Network is unreachable"})
	checkError(t, inst.do("sendto", obj{"sock": tx, "data": text("ended?"), "addr": []any{addrs[0], lanPort}}),
		errWant{typ: "os", errno: "ENETUNREACH", code: 101, exception: "OSError", message: "[Errno 101] Network is unreachable"})
	waitFor(t, "the LAN's namespace to go", func() bool { return namespaces() == during-1 })

	// The sessions end: only the helper's own namespace is left.
	for _, c := range append(k.students, inst) {
		c.conn.Close()
	}
	waitFor(t, "every session to be closed", func() bool { return closeDetached(srv) == 0 })
	waitFor(t, "every namespace to go", func() bool { return namespaces() == 1 })
}

// On a host server a room has no LAN: room_join answers lan null with a
// lan_note saying why.
func TestRoomHostServerNoLAN(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	k := newClass(t, srv, "Li Lei")
	r := k.students[0].must("room_join", obj{"room": k.code, "name": "Li Lei"})
	if r["lan"] != nil || !strings.Contains(r.str("lan_note"), "--network private") {
		t.Errorf("room_join on a host server: %v, want lan null and a lan_note naming --network private", r)
	}
}
