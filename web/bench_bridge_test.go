package web_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"

	"github.com/gorilla/websocket"
)

// The minimal bridge is what the Row benchmarks measure sockplay against:
// the least work any WebSocket-to-socket bridge of sockplay's shape can do,
// modelled on the "ideal minimal bridge" of the shared performance anchors
// (cmd/srv's /bridge). It runs as a child process (see TestMain) and serves
//
//   - /echo: a plain gorilla WebSocket echo;
//   - /bridge?proto=udp|tcp: per connection two real sockets A and B of
//     the server. Each request {"op":"sendto"|"send","sock":1,"to":"B's
//     host:port","data":"…"} makes one real sendto/send from A to B; B's
//     reader goroutine turns whatever arrives into one JSON event
//     {"ev":"recvfrom"|"recv","sock":2,"from":"…","data":"…"} on the same
//     WebSocket. The first message is {"ev":"hello","a":"…","b":"…"}.
//     With socks=1 (UDP) the session has socket B only, for idle-session
//     figures of a WebSocket and one socket;
//   - /floor: the least a server speaking protocol v1 does for the same
//     UDP round trips (bench_floor_test.go).
//
// sockplay does more per request (a log, seq numbers, Python's words, both
// hex and text of the data), so it should stay close to this, not beat it.

// bridgeReadBuffer is each reading socket's buffer (bytes), as cmd/srv's
// default (non-lean) mode.
const bridgeReadBuffer = 64 << 10

// bridgeRcvBuf is SO_RCVBUF of a UDP bridge's socket B (bytes), as cmd/srv.
const bridgeRcvBuf = 4 << 20

// bridgeOp is a request to the bridge.
type bridgeOp struct {
	Op   string `json:"op"`
	Sock int    `json:"sock"`
	To   string `json:"to,omitempty"`
	Data string `json:"data"`
}

// bridgeEvent is what the bridge sends when socket B has read something.
type bridgeEvent struct {
	Ev   string `json:"ev"`
	Sock int    `json:"sock"`
	From string `json:"from,omitempty"`
	Data string `json:"data"`
}

// serveBridge serves the bridge on a free loopback port, announced on
// stdout as "bridge serving http://ADDR/", until the process is killed.
func serveBridge() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", bridgeEcho)
	mux.HandleFunc("/bridge", serveBridgeSession)
	mux.HandleFunc("/floor", serveFloor)
	fmt.Printf("bridge serving http://%s/\n", ln.Addr())
	return http.Serve(ln, mux)
}

var bridgeUpgrader = websocket.Upgrader{}

// bridgeIdleUpgrader lends idle sessions a write buffer only while they
// write (as cmd/srv -lean).
var bridgeIdleUpgrader = websocket.Upgrader{WriteBufferPool: &sync.Pool{}}

func bridgeEcho(w http.ResponseWriter, r *http.Request) {
	ws, err := bridgeUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	for {
		typ, m, err := ws.ReadMessage()
		if err != nil || ws.WriteMessage(typ, m) != nil {
			return
		}
	}
}

// bridgeSession is one WebSocket of the bridge; B's reader and the request
// loop both write to it, under mu.
type bridgeSession struct {
	ws *websocket.Conn
	mu sync.Mutex
}

func (s *bridgeSession) write(v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.WriteMessage(websocket.TextMessage, out)
}

func serveBridgeSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	idle := q.Get("socks") == "1"
	up := &bridgeUpgrader
	if idle {
		up = &bridgeIdleUpgrader
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	s := &bridgeSession{ws: ws}
	switch {
	case q.Get("proto") == "tcp":
		err = s.tcp()
	case idle:
		err = s.udpIdle()
	default:
		err = s.udp()
	}
	if err != nil {
		s.write(map[string]string{"ev": "error", "error": err.Error()})
	}
}

var bridgeLoopback = net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0"))

func (s *bridgeSession) udp() error {
	a, err := net.ListenUDP("udp", bridgeLoopback)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := net.ListenUDP("udp", bridgeLoopback)
	if err != nil {
		return err
	}
	defer b.Close()
	b.SetReadBuffer(bridgeRcvBuf)
	socks := []*net.UDPConn{nil, a, b}
	if err := s.write(map[string]string{"ev": "hello", "a": a.LocalAddr().String(), "b": b.LocalAddr().String()}); err != nil {
		return nil
	}
	go s.readUDP(b)
	for {
		_, m, err := s.ws.ReadMessage()
		if err != nil {
			return nil
		}
		var op bridgeOp
		if json.Unmarshal(m, &op) != nil || op.Op != "sendto" || op.Sock < 1 || op.Sock >= len(socks) {
			continue
		}
		if to, err := netip.ParseAddrPort(op.To); err == nil {
			socks[op.Sock].WriteToUDPAddrPort([]byte(op.Data), to)
		}
	}
}

// udpIdle is a session with socket B only, waiting in a reader that holds
// no buffer while it waits (as cmd/srv -lean): the least memory a session
// of a WebSocket and one socket can take.
func (s *bridgeSession) udpIdle() error {
	b, err := net.ListenUDP("udp", bridgeLoopback)
	if err != nil {
		return err
	}
	defer b.Close()
	b.SetReadBuffer(bridgeRcvBuf)
	if err := s.write(map[string]string{"ev": "hello", "b": b.LocalAddr().String()}); err != nil {
		return nil
	}
	rc, err := b.SyscallConn()
	if err != nil {
		return err
	}
	go func() {
		for {
			var ev *bridgeEvent
			err := rc.Read(func(fd uintptr) bool {
				buf := bridgeBuffers.Get().(*[]byte)
				defer bridgeBuffers.Put(buf)
				n, from, err := syscall.Recvfrom(int(fd), *buf, 0)
				if err == syscall.EAGAIN {
					return false
				}
				ev = &bridgeEvent{Ev: "recvfrom", Sock: 2, Data: string((*buf)[:max(n, 0)])}
				if sa, ok := from.(*syscall.SockaddrInet4); ok {
					ev.From = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
				}
				return true
			})
			if err != nil || s.write(ev) != nil {
				return
			}
		}
	}()
	for {
		if _, _, err := s.ws.ReadMessage(); err != nil {
			return nil
		}
	}
}

// bridgeBuffers are udpIdle's read buffers, held for one recvfrom each.
var bridgeBuffers = sync.Pool{New: func() any { b := make([]byte, bridgeReadBuffer); return &b }}

func (s *bridgeSession) readUDP(c *net.UDPConn) {
	buf := make([]byte, bridgeReadBuffer)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil || s.write(bridgeEvent{Ev: "recvfrom", Sock: 2, From: from.String(), Data: string(buf[:n])}) != nil {
			return
		}
	}
}

func (s *bridgeSession) tcp() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	b, err := ln.Accept()
	ln.Close()
	if err != nil {
		return err
	}
	defer b.Close()
	socks := []net.Conn{nil, a, b}
	if err := s.write(map[string]string{"ev": "hello", "a": a.LocalAddr().String(), "b": b.LocalAddr().String()}); err != nil {
		return nil
	}
	go func() {
		buf := make([]byte, bridgeReadBuffer)
		for {
			n, err := b.Read(buf)
			if err != nil || s.write(bridgeEvent{Ev: "recv", Sock: 2, Data: string(buf[:n])}) != nil {
				return
			}
		}
	}()
	for {
		_, m, err := s.ws.ReadMessage()
		if err != nil {
			return nil
		}
		var op bridgeOp
		if json.Unmarshal(m, &op) != nil || op.Op != "send" || op.Sock < 1 || op.Sock >= len(socks) {
			continue
		}
		socks[op.Sock].Write([]byte(op.Data))
	}
}
