package web_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"sockplay/sessions"
)

// Lab LANs (op lab), packet messages and /capture.pcap against a real
// server, with real namespaces.

// labSockets makes a UDP socket bound to (”, port) on each host.
func labSockets(c *client, port int, hosts ...string) []string {
	c.t.Helper()
	var socks []string
	for _, h := range hosts {
		r := c.must("socket", obj{"type": "SOCK_DGRAM", "host": h})
		if r.str("host") != h {
			c.t.Fatalf("socket on %s: result host %q", h, r.str("host"))
		}
		c.bind(r.str("sock"), "", port)
		socks = append(socks, r.str("sock"))
	}
	return socks
}

// recvAll asks each socket for a datagram and returns the texts received.
func recvAll(c *client, socks []string) []string {
	c.t.Helper()
	var ids []int
	for _, s := range socks {
		ids = append(ids, c.send("recvfrom", obj{"sock": s, "bufsize": 1024}))
	}
	rs := c.results(ids...)
	var got []string
	for _, id := range ids {
		if !rs[id].ok() {
			c.t.Fatalf("recvfrom: %v", rs[id]["error"])
		}
		got = append(got, rs[id].obj("data").str("text"))
	}
	return got
}

// A 3-host lab: a broadcast reaches the three (”, P) sockets (to the
// subnet's broadcast address, to '<broadcast>' and to 255.255.255.255)
// with SO_BROADCAST, and is EACCES without; a datagram to a group reaches
// its two members and not the third, and no longer a member that dropped.
func TestLabBroadcastAndMulticast(t *testing.T) {
	cfg, _ := privateConfig(t)
	c := newServer(t, cfg).newSession(t)
	lab := c.must("lab", obj{"hosts": 3})
	var names, addrs []string
	for _, h := range lab["hosts"].([]any) {
		names = append(names, h.(map[string]any)["name"].(string))
		addrs = append(addrs, h.(map[string]any)["addr"].(string))
	}
	if !slices.Equal(names, []string{"h1", "h2", "h3"}) || !slices.Equal(addrs, []string{"10.77.0.1", "10.77.0.2", "10.77.0.3"}) ||
		lab.str("broadcast") != "10.77.0.255" || lab.str("subnet") != "10.77.0.0/24" {
		t.Fatalf("lab result %v, want h1-h3 at 10.77.0.1-3, broadcast 10.77.0.255", lab)
	}
	socks := labSockets(c, 9999, "h1", "h2", "h3")
	tx := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h1"}).str("sock")

	r := c.do("sendto", obj{"sock": tx, "data": text("no"), "addr": []any{"10.77.0.255", 9999}})
	checkError(t, r, errWant{typ: "os", errno: "EACCES", code: 13, exception: "PermissionError", message: "[Errno 13] Permission denied"})
	c.must("setsockopt", obj{"sock": tx, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": 1})
	for _, to := range []string{"10.77.0.255", "<broadcast>", "255.255.255.255"} {
		c.must("sendto", obj{"sock": tx, "data": text("to " + to), "addr": []any{to, 9999}})
		if got := recvAll(c, socks); !slices.Equal(got, []string{"to " + to, "to " + to, "to " + to}) {
			t.Errorf("broadcast to %s: the hosts got %q, want it on all three", to, got)
		}
	}

	// Multicast: h1 joins with the object form, h2 with Python's
	// struct.pack('4sl', inet_aton(group), INADDR_ANY) (16 bytes here), h3
	// does not join.
	group := []any{"224.1.1.1", 5007}
	m := labSockets(c, 5007, "h1", "h2", "h3")
	j := c.must("setsockopt", obj{"sock": m[0], "level": "IPPROTO_IP", "option": "IP_ADD_MEMBERSHIP", "value": obj{"group": "224.1.1.1", "interface": "0.0.0.0"}})
	if v := j.obj("value"); v.str("group") != "224.1.1.1" || v.str("hex") != "e001010100000000" {
		t.Errorf("IP_ADD_MEMBERSHIP result value %v", v)
	}
	c.must("setsockopt", obj{"sock": m[1], "level": "IPPROTO_IP", "option": "IP_ADD_MEMBERSHIP", "value": obj{"hex": "e0010101 00000000 0000000000000000"}})
	mtx := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h1"}).str("sock")
	for opt, v := range map[string]int{"IP_MULTICAST_TTL": 2, "IP_MULTICAST_LOOP": 1} {
		if got := c.must("setsockopt", obj{"sock": mtx, "level": "IPPROTO_IP", "option": opt, "value": v}); got.num("value") != v {
			t.Errorf("%s: value %v, want %d", opt, got["value"], v)
		}
	}
	// A datagram to the group, then one to h3's address: h3 gets the
	// second first only if the first never reached it.
	c.must("sendto", obj{"sock": mtx, "data": text("group"), "addr": group})
	c.must("sendto", obj{"sock": mtx, "data": text("to h3"), "addr": []any{"10.77.0.3", 5007}})
	if got := recvAll(c, m); !slices.Equal(got, []string{"group", "group", "to h3"}) {
		t.Errorf("to the group: the hosts got %q, want the two members and not h3", got)
	}
	c.must("setsockopt", obj{"sock": m[1], "level": "IPPROTO_IP", "option": "IP_DROP_MEMBERSHIP", "value": obj{"group": "224.1.1.1"}})
	c.must("sendto", obj{"sock": mtx, "data": text("group again"), "addr": group})
	c.must("sendto", obj{"sock": mtx, "data": text("to h2"), "addr": []any{"10.77.0.2", 5007}})
	if got := recvAll(c, m[:2]); !slices.Equal(got, []string{"group again", "to h2"}) {
		t.Errorf("after h2 dropped the group: h1, h2 got %q", got)
	}
	// Beyond the lab there is nothing: another subnet is a policy error.
	checkError(t, c.do("sendto", obj{"sock": tx, "data": text("x"), "addr": []any{"10.79.0.1", 9999}}),
		errWant{typ: "policy", contains: []string{"10.77.0.0/24"}})
}

// packetsOf returns the packet messages seen so far, reading more until
// done is satisfied with them.
func packetsOf(c *client, done func([]msg) bool) []msg {
	c.t.Helper()
	for {
		ps := c.find(func(m msg) bool { return m.str("kind") == "packet" })
		if done(ps) {
			return ps
		}
		c.next()
	}
}

// handshake picks the SYN, SYN+ACK and ACK of a connection to port from
// packet messages, or reports false.
func handshake(ps []msg, port int) (syn, synAck, ack msg, ok bool) {
	for _, p := range ps {
		flags := strings.Join(strs(p.obj("tcp")["flags"]), ",")
		switch {
		case flags == "SYN" && dstPort(p) == port:
			syn = p
		case flags == "SYN,ACK" && srcPort(p) == port:
			synAck = p
		case flags == "ACK" && dstPort(p) == port && syn != nil && synAck != nil && ack == nil:
			ack = p
		}
	}
	return syn, synAck, ack, syn != nil && synAck != nil && ack != nil
}

func strs(v any) []string {
	var out []string
	a, _ := v.([]any)
	for _, s := range a {
		out = append(out, s.(string))
	}
	return out
}

func srcPort(p msg) int { return port(p.addr("src")) }
func dstPort(p msg) int { return port(p.addr("dst")) }

// A private session's TCP handshake on lo comes as packet messages whose
// seq and ack are J, K, J+1, K+1; /capture.pcap parses with pcapgo and
// holds the same three segments.
func TestPrivatePacketsHandshake(t *testing.T) {
	cfg, _ := privateConfig(t)
	srv := newServer(t, cfg)
	c := srv.newSession(t)
	l := c.listening("127.0.0.1", 9000)
	s := c.socket("SOCK_STREAM")
	c.must("connect", obj{"sock": s, "addr": []any{"127.0.0.1", 9000}})
	c.must("accept", obj{"sock": l})
	ps := packetsOf(c, func(ps []msg) bool { _, _, _, ok := handshake(ps, 9000); return ok })
	syn, synAck, ack, _ := handshake(ps, 9000)
	j, k := uint32(syn.obj("tcp").num("seq")), uint32(synAck.obj("tcp").num("seq"))
	if uint32(synAck.obj("tcp").num("ack")) != j+1 || uint32(ack.obj("tcp").num("seq")) != j+1 || uint32(ack.obj("tcp").num("ack")) != k+1 {
		t.Errorf("handshake SYN %v, SYN+ACK %v, ACK %v: want seq/ack J, K/J+1, J+1/K+1", syn, synAck, ack)
	}
	for _, p := range []msg{syn, synAck, ack} {
		if p.str("host") != "h1" || p.str("iface") != "lo" || p.str("proto") != "TCP" || p.num("len") != 0 || p.obj("tcp")["win"] == nil {
			t.Errorf("packet %v: want host h1, iface lo, TCP, len 0, a win", p)
		}
	}

	resp, body := getCapture(t, srv, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.tcpdump.pcap" {
		t.Fatalf("/capture.pcap: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	rd, err := pcapgo.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("pcapgo: %v", err)
	}
	var seen []string
	for {
		data, _, err := rd.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("pcapgo: %v", err)
		}
		tcp, _ := gopacket.NewPacket(data, rd.LinkType(), gopacket.Default).Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			continue
		}
		switch {
		case tcp.SYN && !tcp.ACK && tcp.Seq == j && tcp.DstPort == 9000:
			seen = append(seen, "SYN")
		case tcp.SYN && tcp.ACK && tcp.Seq == k && tcp.Ack == j+1:
			seen = append(seen, "SYN+ACK")
		case !tcp.SYN && tcp.ACK && tcp.Seq == j+1 && tcp.Ack == k+1 && len(tcp.Payload) == 0 && len(seen) == 2:
			seen = append(seen, "ACK")
		}
	}
	if !slices.Equal(seen, []string{"SYN", "SYN+ACK", "ACK"}) {
		t.Errorf("the pcap file holds %v of the handshake, want SYN, SYN+ACK, ACK", seen)
	}
}

// getCapture downloads /capture.pcap with srv's cookies.
func getCapture(t *testing.T, srv *testServer, query string) (*http.Response, []byte) {
	t.Helper()
	hc := &http.Client{Jar: srv.jar}
	resp, err := hc.Get(srv.URL + "/capture.pcap" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// Bad lab requests are bad_request (or limit) with a sentence, and the
// session lives on.
func TestLabBadInput(t *testing.T) {
	cfg, _ := privateConfig(t)
	c := newServer(t, cfg).newSession(t)
	for _, tt := range []struct {
		op   string
		args obj
		want errWant
	}{
		{"lab", obj{}, errWant{typ: "bad_request", exception: "TypeError", contains: []string{"hosts"}}},
		{"lab", obj{"hosts": 1}, errWant{typ: "bad_request", exception: "ValueError", message: "a lab has 2 to 8 hosts, not 1 (0 tears it down)"}},
		{"lab", obj{"hosts": 9}, errWant{typ: "bad_request", exception: "ValueError", message: "a lab has 2 to 8 hosts, not 9 (0 tears it down)"}},
		{"lab", obj{"hosts": 0}, errWant{typ: "bad_request", message: "this session has no lab to tear down"}},
		{"socket", obj{"type": "SOCK_DGRAM", "host": "h2"}, errWant{typ: "bad_request", contains: []string{"no host \"h2\": this session has no lab"}}},
	} {
		checkError(t, c.do(tt.op, tt.args), tt.want)
	}
	c.must("lab", obj{"hosts": 2})
	checkError(t, c.do("lab", obj{"hosts": 3}), errWant{typ: "bad_request", contains: []string{"already has a lab of 2 hosts"}})
	checkError(t, c.do("socket", obj{"type": "SOCK_DGRAM", "host": "h3"}), errWant{typ: "bad_request", message: "no host \"h3\" in this session's lab: its hosts are h1, h2"})
	checkError(t, c.do("spawn", obj{"peer": "udp-echo", "host": "h9"}), errWant{typ: "bad_request", contains: []string{"no host \"h9\""}})
	checkError(t, c.do("setsockopt", obj{"sock": c.socket("SOCK_DGRAM"), "level": "IPPROTO_IP", "option": "IP_ADD_MEMBERSHIP", "value": obj{"group": "nope"}}),
		errWant{typ: "bad_request", exception: "OSError", contains: []string{"inet_aton"}})
	// The session goes on: a peer on h2 echoes a socket on h1.
	p := c.must("spawn", obj{"peer": "udp-echo", "host": "h2", "addr": []any{"", 7000}})
	s := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h1"}).str("sock")
	c.must("sendto", obj{"sock": s, "data": text("hi"), "addr": []any{"10.77.0.2", 7000}})
	if got := recvAll(c, []string{s}); got[0] != "hi" {
		t.Errorf("echo from %s on h2: %q", p.str("peer"), got)
	}
}

// A lab torn down with hosts 0, and one left at the session's end, leave
// no namespace behind; sockets on its hosts are closed with it.
func TestLabNoLeaks(t *testing.T) {
	cfg, h := privateConfig(t)
	srv := newServer(t, cfg)
	srv.newSession(t).conn.Close()
	waitFor(t, "the first session to be closed", func() bool { return closeDetached(srv) == 0 })
	before := leakUsage(t, h)
	c := srv.newSession(t)
	c.socket("SOCK_DGRAM")
	own := leakUsage(t, h).namespaces
	for range 3 {
		c.must("lab", obj{"hosts": 4})
		s := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h3"}).str("sock")
		c.must("spawn", obj{"peer": "udp-echo", "host": "h4"})
		if got := leakUsage(t, h).namespaces; got != own+4 { // h2-h4 and the switch
			t.Fatalf("with a 4-host lab the helper holds %d namespaces, want %d", got, own+4)
		}
		if r := c.must("lab", obj{"hosts": 0}); len(r["hosts"].([]any)) != 0 {
			t.Errorf("teardown result %v, want no hosts", r)
		}
		c.socketMsg(s, func(m msg) bool { return m.str("state") == "CLOSED" })
		if got := leakUsage(t, h).namespaces; got != own {
			t.Fatalf("after the teardown the helper holds %d namespaces, want %d", got, own)
		}
	}
	c.must("lab", obj{"hosts": 8})
	c.conn.Close()
	for range c.msgs {
	}
	waitFor(t, "the session to be closed", func() bool { return closeDetached(srv) == 0 })
	var got usage
	if !waitUntil(30*time.Second, func() bool {
		got = leakUsage(t, h)
		return got.namespaces == before.namespaces && got.fds <= before.fds
	}) {
		t.Fatalf("after the session with a lab ended: %+v, want %+v", got, before)
	}
}

// On this machine's network a session's own sockets stay on the host, a
// lab is still available (its hosts are namespaces), and /capture.pcap
// says why it is empty until there is one.
func TestHostNetworkLab(t *testing.T) {
	_, h := privateConfig(t)
	srv := newServer(t, sessions.Config{Labs: h.New})
	c := srv.newSession(t)
	if c.hello.str("network") != "host" {
		t.Fatalf("hello.network %q, want host", c.hello.str("network"))
	}
	resp, body := getCapture(t, srv, "")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no private network") {
		t.Errorf("/capture.pcap on the host network: %d %q, want 404 saying there is no private network", resp.StatusCode, body)
	}
	c.must("lab", obj{"hosts": 2})
	socks := labSockets(c, 9999, "h1", "h2")
	tx := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h2"}).str("sock")
	c.must("setsockopt", obj{"sock": tx, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": true})
	c.must("sendto", obj{"sock": tx, "data": text("all"), "addr": []any{"<broadcast>", 9999}})
	if got := recvAll(c, socks); !slices.Equal(got, []string{"all", "all"}) {
		t.Errorf("broadcast on a host-network session's lab: %q", got)
	}
	// The host's own socket cannot reach the lab: it is on the host.
	own := c.socket("SOCK_DGRAM")
	checkError(t, c.do("sendto", obj{"sock": own, "data": text("x"), "addr": []any{"10.77.0.2", 9999}}), errWant{typ: "policy"})
	// h2's capture saw the broadcast, marked.
	packetsOf(c, func(ps []msg) bool {
		return slices.ContainsFunc(ps, func(p msg) bool { return p.str("host") == "h2" && p.str("proto") == "UDP" && p["broadcast"] == true })
	})
	resp, body = getCapture(t, srv, "?host=h2")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/capture.pcap?host=h2: %d %q", resp.StatusCode, body)
	}
	if !bytes.Contains(body, []byte("all")) {
		t.Errorf("h2's pcap file (%s…) lacks the broadcast's payload", hex.EncodeToString(body[:min(len(body), 64)]))
	}
	if resp, body := getCapture(t, srv, "?host=h7"); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "h7") {
		t.Errorf("/capture.pcap?host=h7: %d %q", resp.StatusCode, body)
	}
}

// segments lists a connection's captured segments with relative numbers
// whose absolute twins follow from isn; its filters pick the data and the
// FIN segments; it still finds a shut-down connection's; bad requests are
// refused with a sentence, and a host-network socket off the lab is a
// limit.
func TestSegments(t *testing.T) {
	_, h := privateConfig(t)
	srv := newServer(t, sessions.Config{Labs: h.New})
	c := srv.newSession(t)
	checkError(t, c.do("segments", obj{"sock": c.socket("SOCK_STREAM")}), errWant{typ: "limit", contains: []string{"not captured"}})
	c.must("lab", obj{"hosts": 2})
	l := c.must("socket", obj{"type": "SOCK_STREAM", "host": "h2"}).str("sock")
	c.bind(l, "", 9000)
	c.must("listen", obj{"sock": l})
	s := c.must("socket", obj{"type": "SOCK_STREAM", "host": "h1"}).str("sock")
	checkError(t, c.do("segments", obj{"sock": s}), errWant{typ: "bad_request", contains: []string{"never was"}})
	c.must("connect", obj{"sock": s, "addr": []any{"10.77.0.2", 9000}})
	conn := c.must("accept", obj{"sock": l}).str("conn")

	r := c.must("segments", obj{"sock": s, "count": 3})
	want := []string{"→ SYN seq=0 len=0", "← SYN,ACK seq=0 ack=1 len=0", "→ ACK seq=1 ack=1 len=0"}
	if got := strs(r["segments"]); !slices.Equal(got, want) {
		t.Errorf("handshake segments %q, want %q", got, want)
	}
	j, k := uint32(r.obj("isn").num("local")), uint32(r.obj("isn").num("peer"))
	wantAbs := []string{
		fmt.Sprintf("→ SYN seq=%d len=0", j),
		fmt.Sprintf("← SYN,ACK seq=%d ack=%d len=0", k, j+1),
		fmt.Sprintf("→ ACK seq=%d ack=%d len=0", j+1, k+1),
	}
	if got := strs(r["absolute"]); !slices.Equal(got, wantAbs) {
		t.Errorf("absolute %q, want %q", got, wantAbs)
	}
	ps, _ := r["packets"].([]any)
	if len(ps) != 3 || uint32(msg(ps[0].(map[string]any)).obj("tcp").num("seq")) != j {
		t.Errorf("packets %v, want the three, the SYN's seq J", ps)
	}

	c.must("send", obj{"sock": s, "data": text("hello")})
	c.must("recv", obj{"sock": conn, "bufsize": 64})
	c.must("shutdown", obj{"sock": s, "how": "SHUT_WR"})
	c.must("recv", obj{"sock": conn, "bufsize": 64})
	c.must("close", obj{"sock": s})
	if got := strs(c.must("segments", obj{"sock": s, "data_only": true})["segments"]); !slices.Equal(got, []string{"→ PSH,ACK seq=1 ack=1 len=5"}) {
		t.Errorf("data segments of the closed socket %q", got)
	}
	if got := strs(c.must("segments", obj{"sock": conn, "flags": []any{"FIN"}})["segments"]); len(got) != 1 || !strings.HasPrefix(got[0], "← FIN,ACK seq=6 ack=1") {
		t.Errorf("the server's view of the FIN %q; all: %q", got, c.must("segments", obj{"sock": conn})["segments"])
	}
	r = c.do("segments", obj{"sock": s, "count": 0, "bytes": 6, "data_only": true})
	checkError(t, r, errWant{typ: "timeout", exception: "TimeoutError", contains: []string{"1 segments with 5 bytes"}})
	if got := strs(r["segments"]); len(got) != 1 {
		t.Errorf("a timed-out segments result lists %q, want what was captured", got)
	}

	udp := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h1"}).str("sock")
	for _, tt := range []struct {
		args obj
		want errWant
	}{
		{obj{}, errWant{typ: "bad_request", exception: "TypeError", contains: []string{"needs sock"}}},
		{obj{"sock": "s99"}, errWant{typ: "bad_request", contains: []string{"no socket"}}},
		{obj{"sock": udp}, errWant{typ: "bad_request", contains: []string{"datagram socket"}}},
		{obj{"sock": conn, "count": 65}, errWant{typ: "bad_request", exception: "ValueError", message: "count is 0 to 64, not 65"}},
		{obj{"sock": conn, "bytes": -1}, errWant{typ: "bad_request", exception: "ValueError", contains: []string{"not -1"}}},
	} {
		checkError(t, c.do("segments", tt.args), tt.want)
	}
	// Asking for the lab it has keeps it, and its sockets.
	kept := c.must("lab", obj{"hosts": 2})
	if kept["kept"] != true || len(kept["hosts"].([]any)) != 2 {
		t.Errorf("lab with the hosts it has: %v, want it kept", kept)
	}
	c.must("getsockname", obj{"sock": conn})
}

// IP_MULTICAST_LOOP 0: a member on the sending host does not get its own
// datagram, the other host's member does; with 1 (the default) both do.
func TestMulticastLoop(t *testing.T) {
	cfg, _ := privateConfig(t)
	c := newServer(t, cfg).newSession(t)
	c.must("lab", obj{"hosts": 2})
	m := labSockets(c, 5007, "h1", "h2")
	for _, s := range m {
		c.must("setsockopt", obj{"sock": s, "level": "IPPROTO_IP", "option": "IP_ADD_MEMBERSHIP", "value": obj{"group": "239.1.2.3"}})
	}
	tx := c.must("socket", obj{"type": "SOCK_DGRAM", "host": "h1"}).str("sock")
	if v := c.must("getsockopt", obj{"sock": tx, "level": "IPPROTO_IP", "option": "IP_MULTICAST_LOOP"}).num("value"); v != 1 {
		t.Errorf("IP_MULTICAST_LOOP of a new socket: %d, want 1", v)
	}
	c.must("sendto", obj{"sock": tx, "data": text("loop on"), "addr": []any{"239.1.2.3", 5007}})
	if got := recvAll(c, m); !slices.Equal(got, []string{"loop on", "loop on"}) {
		t.Errorf("with loop on the members got %q, want both", got)
	}
	c.must("setsockopt", obj{"sock": tx, "level": "IPPROTO_IP", "option": "IP_MULTICAST_LOOP", "value": 0})
	c.must("sendto", obj{"sock": tx, "data": text("loop off"), "addr": []any{"239.1.2.3", 5007}})
	// h1's member gets a datagram sent after the group's first only if the
	// group's never reached it.
	c.must("sendto", obj{"sock": tx, "data": text("to h1"), "addr": []any{"10.77.0.1", 5007}})
	if got := recvAll(c, m); !slices.Equal(got, []string{"to h1", "loop off"}) {
		t.Errorf("with loop off h1, h2 got %q, want h1 not its own datagram", got)
	}
}

// A resume from before the log's start gets a snapshot that carries the
// lab (as a lab result lists it) and its hosts' sockets; after a teardown
// the snapshot's lab is null.
func TestResumeSnapshotLab(t *testing.T) {
	const logSize = 20
	_, h := privateConfig(t)
	srv := newServer(t, sessions.Config{LogSize: logSize, Labs: h.New})
	a := srv.newSession(t)
	built := a.must("lab", obj{"hosts": 3})
	s := a.must("socket", obj{"type": "SOCK_DGRAM", "host": "h2"}).str("sock")
	own := a.socket("SOCK_DGRAM")
	wrap := func() {
		for start := a.last(); a.last() <= start+2*logSize; {
			a.must("getsockname", obj{"sock": own})
		}
	}
	wrap()
	snapshot := func() msg {
		t.Helper()
		ms := srv.dial(t).resume(1)
		if len(ms) != 2 || ms[0].str("kind") != "snapshot" {
			t.Fatalf("resume after 1 with a log of %d got %v, want a snapshot and the result", logSize, ms)
		}
		return ms[0]
	}
	snap := snapshot()
	lab := snap.obj("lab")
	if lab == nil || !reflect.DeepEqual(lab["hosts"], built["hosts"]) || lab.str("subnet") != "10.77.0.0/24" ||
		lab.str("broadcast") != "10.77.0.255" || lab.str("bind") != built.str("bind") || lab.str("connect") != built.str("connect") {
		t.Errorf("snapshot lab %v, want the lab result's %v", snap["lab"], built)
	}
	socks, _ := snap["sockets"].([]any)
	if len(socks) != 2 || socks[0].(map[string]any)["host"] != "h2" || socks[0].(map[string]any)["sock"] != s {
		t.Errorf("snapshot sockets %v, want %s on h2 first", socks, s)
	}

	a.must("lab", obj{"hosts": 0})
	wrap()
	if snap := snapshot(); snap["lab"] != nil {
		t.Errorf("snapshot after the teardown: lab %v, want null", snap["lab"])
	}
}
