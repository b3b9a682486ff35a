package web_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/valyala/fastjson"
	"golang.org/x/sys/unix"

	"sockplay/sessions"
	"sockplay/web"
)

// The protocol floor (/floor on the bridge child) is the least work a
// server that speaks protocol v1 can do for the Row benchmarks' UDP
// sessions: it answers the same requests with the same messages, byte for
// byte in shape (seq, kind, time, the request's echo, both hex and text of
// the data), so the same client drives it unchanged. It keeps nothing else:
// no log, no session to resume, no policy, no stat, no socket messages, and
// it writes from the goroutine that reads (/floor?writer=1: through one
// writer goroutine, see floorWriter). Frames that have come already are
// answered in one frame, as sockplay's reader does. A recvfrom that finds
// nothing waits (its waiting message is sent) until a sendto of the same
// session feeds its socket, which then reads it at once, as sockplay does;
// traffic from outside the session is never read, which none of the rows
// sends.
//
// Measured between the bridge and sockplay, it splits sockplay's distance
// from the bridge into what protocol v1's messages cost (floor/bridge) and
// what sockplay's core costs beyond them (sockplay/floor).
// TestFloorAnswersAsSockplay holds it to that.

// floorSession is one WebSocket of the floor and its UDP sockets.
type floorSession struct {
	ws    *websocket.Conn
	p     fastjson.Parser
	seq   uint64
	socks []*floorSock // "s1" is socks[0]
	out   []byte       // the frame being built
	n     int          // messages in out
	now   []byte       // this frame's time, quoted
	buf   []byte       // the receive buffer
}

type floorSock struct {
	fd      int
	port    int
	waiting []floorRecv // recvfroms not yet answered, in order
}

// floorRecv is a recvfrom not answered yet.
type floorRecv struct {
	id        []byte // the request's id, as JSON
	bufsize   int
	request   []byte // the request's echo
	announced bool   // its waiting message has been sent
}

func serveFloor(w http.ResponseWriter, r *http.Request) {
	ws, nextBuffered, err := web.UpgradeGrouping(&bridgeUpgrader, w, r)
	if err != nil {
		return
	}
	s := &floorSession{ws: ws, buf: make([]byte, bridgeReadBuffer)}
	defer func() {
		ws.Close()
		for _, k := range s.socks {
			unix.Close(k.fd)
		}
	}()
	hello := `{"seq":1,"kind":"hello","protocol":"sockplay.v1","encoding":"utf-8"}`
	s.seq = 1
	if ws.WriteMessage(websocket.TextMessage, []byte(hello)) != nil {
		return
	}
	write := func(out []byte) error { return ws.WriteMessage(websocket.TextMessage, out) }
	if r.URL.Query().Get("writer") == "1" {
		fw := newFloorWriter(ws)
		defer fw.stop()
		write = fw.hand
	}
	for {
		s.out, s.n = s.out[:0], 0
		s.now = time.Now().UTC().AppendFormat(append(s.now[:0], '"'), "2006-01-02T15:04:05.000Z")
		s.now = append(s.now, '"')
		// Frames that have come already are answered together, as
		// sockplay's reader does.
		for more := true; more; more = nextBuffered() {
			_, m, err := ws.ReadMessage()
			if err != nil || s.frame(m) != nil {
				return
			}
		}
		if s.n > 1 {
			s.out = append(append([]byte{'['}, s.out...), ']')
		}
		if s.n > 0 && write(s.out) != nil {
			return
		}
	}
}

// A floorWriter is the floor's (/floor?writer=1) writer goroutine: the reader
// hands it each answer and it writes them, as sockplay's reader hands its
// subscriber's queue to the connection's writer (which the issue asks for:
// one writer goroutine per connection). Against the plain floor it
// measures what that hop costs.
type floorWriter struct {
	ws    *websocket.Conn
	mu    sync.Mutex
	queue [][]byte      // answers handed, not yet written
	ready chan struct{} // a value when queue may hold something
	done  chan struct{}
	ended chan struct{}
	err   error // the last write's, under mu
}

func newFloorWriter(ws *websocket.Conn) *floorWriter {
	w := &floorWriter{ws: ws, ready: make(chan struct{}, 1), done: make(chan struct{}), ended: make(chan struct{})}
	go w.run()
	return w
}

// hand queues a copy of out and wakes the writer.
func (w *floorWriter) hand(out []byte) error {
	w.mu.Lock()
	w.queue = append(w.queue, bytes.Clone(out))
	err := w.err
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default:
	}
	return err
}

func (w *floorWriter) run() {
	defer close(w.ended)
	var batch [][]byte
	for {
		select {
		case <-w.ready:
		case <-w.done:
			return
		}
		w.mu.Lock()
		batch, w.queue = w.queue, batch[:0]
		w.mu.Unlock()
		for i, out := range batch {
			err := w.ws.WriteMessage(websocket.TextMessage, out)
			batch[i] = nil
			if err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
	}
}

func (w *floorWriter) stop() { close(w.done); <-w.ended }

// frame adds the answers to one frame of requests to the frame being
// built.
func (s *floorSession) frame(m []byte) error {
	v, err := s.p.ParseBytes(m)
	if err != nil {
		return err
	}
	if v.Type() == fastjson.TypeArray {
		for _, r := range v.GetArray() {
			s.do(r)
		}
	} else {
		s.do(v)
	}
	for _, k := range s.socks { // what this frame did not feed waits
		s.drain(k)
		for i := range k.waiting {
			if w := &k.waiting[i]; !w.announced {
				w.announced = true
				s.begin("waiting", w.id, "recvfrom", k, w.request)
				s.end()
			}
		}
	}
	return nil
}

// do answers request r, or queues it if it is a recvfrom.
func (s *floorSession) do(r *fastjson.Value) {
	id := r.Get("id").MarshalTo(nil)
	op := string(r.GetStringBytes("op"))
	req := r.MarshalTo(nil)
	if op == "socket" {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			s.fail(id, op, err)
			return
		}
		s.socks = append(s.socks, &floorSock{fd: fd})
		s.begin("result", id, op, s.socks[len(s.socks)-1], req)
		s.end()
		return
	}
	k, err := s.sock(r)
	if err != nil {
		s.fail(id, op, err)
		return
	}
	switch op {
	case "bind":
		port := r.GetInt("addr", "1")
		if err := unix.Bind(k.fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			s.fail(id, op, err)
			return
		}
		if sa, err := unix.Getsockname(k.fd); err == nil {
			k.port = sa.(*unix.SockaddrInet4).Port
		}
		s.begin("result", id, op, k, req)
		s.out = appendFloorAddr(append(s.out, `,"addr":`...), k.port)
		s.end()
	case "recvfrom":
		k.waiting = append(k.waiting, floorRecv{id: id, bufsize: r.GetInt("bufsize"), request: req})
	case "sendto":
		data := r.GetStringBytes("data", "text")
		port := r.GetInt("addr", "1")
		if err := unix.Sendto(k.fd, data, 0, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			s.fail(id, op, err)
			return
		}
		s.begin("result", id, op, k, req)
		s.out = strconv.AppendInt(append(s.out, `,"n":`...), int64(len(data)), 10)
		s.out = appendFloorAddr(append(s.out, `,"addr":`...), k.port)
		s.end()
		for _, to := range s.socks {
			if to.port == port {
				s.drain(to)
			}
		}
	default:
		s.fail(id, op, errors.New("the floor knows socket, bind, recvfrom and sendto only"))
	}
}

// drain answers k's waiting recvfroms from what its socket holds.
func (s *floorSession) drain(k *floorSock) {
	for len(k.waiting) > 0 {
		w := k.waiting[0]
		n, from, err := unix.Recvfrom(k.fd, s.buf[:min(w.bufsize, len(s.buf))], 0)
		if err != nil {
			return
		}
		k.waiting = k.waiting[1:]
		s.begin("result", w.id, "recvfrom", k, w.request)
		port := 0
		if sa, ok := from.(*unix.SockaddrInet4); ok {
			port = sa.Port
		}
		s.out = appendFloorAddr(append(s.out, `,"addr":`...), port)
		d := s.buf[:n]
		s.out = strconv.AppendInt(append(s.out, `,"data":{"size":`...), int64(n), 10)
		s.out = hex.AppendEncode(append(s.out, `,"hex":"`...), d)
		s.out = append(s.out, '"')
		if utf8.Valid(d) {
			s.out = appendFloorText(append(s.out, `,"text":`...), d)
		}
		s.out = append(s.out, `,"encoding":"utf-8"},"truncated":false,"size":`...)
		s.out = strconv.AppendInt(s.out, int64(n), 10)
		s.end()
	}
}

// sock is the socket r names.
func (s *floorSession) sock(r *fastjson.Value) (*floorSock, error) {
	name := r.GetStringBytes("sock")
	if len(name) < 2 || name[0] != 's' {
		return nil, fmt.Errorf("no socket %q", name)
	}
	i, err := strconv.Atoi(string(name[1:]))
	if err != nil || i < 1 || i > len(s.socks) {
		return nil, fmt.Errorf("no socket %q", name)
	}
	return s.socks[i-1], nil
}

// begin starts a message of kind for request id (op, socket k, echo req),
// to be ended by end after its own members.
func (s *floorSession) begin(kind string, id []byte, op string, k *floorSock, req []byte) {
	if s.n > 0 {
		s.out = append(s.out, ',')
	}
	s.n++
	s.seq++
	s.out = strconv.AppendUint(append(s.out, `{"seq":`...), s.seq, 10)
	s.out = append(append(append(s.out, `,"kind":"`...), kind...), `","time":`...)
	s.out = append(append(append(s.out, s.now...), `,"id":`...), id...)
	s.out = append(append(append(s.out, `,"op":"`...), op...), '"')
	if kind == "result" {
		s.out = append(s.out, `,"ok":true`...)
	}
	for i, x := range s.socks {
		if x == k {
			s.out = strconv.AppendInt(append(s.out, `,"sock":"s`...), int64(i+1), 10)
			s.out = append(s.out, '"')
		}
	}
	s.out = append(append(s.out, `,"request":`...), req...)
}

func (s *floorSession) end() { s.out = append(s.out, '}') }

// fail answers request id with an error result.
func (s *floorSession) fail(id []byte, op string, err error) {
	if s.n > 0 {
		s.out = append(s.out, ',')
	}
	s.n++
	s.seq++
	s.out = strconv.AppendUint(append(s.out, `{"seq":`...), s.seq, 10)
	s.out = append(append(append(s.out, `,"kind":"result","id":`...), id...), `,"op":`...)
	s.out = strconv.AppendQuote(s.out, op)
	s.out = strconv.AppendQuote(append(s.out, `,"ok":false,"error":`...), err.Error())
	s.out = append(s.out, '}')
}

func appendFloorAddr(dst []byte, port int) []byte {
	return append(strconv.AppendInt(append(dst, `["127.0.0.1",`...), int64(port), 10), ']')
}

// appendFloorText appends valid UTF-8 text d as a JSON string.
func appendFloorText(dst, d []byte) []byte {
	const digits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range d {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', digits[c>>4], digits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// TestFloorAnswersAsSockplay holds the floor to its word: for each of the
// round trips of BenchmarkRowRoundTrip, sockplay and the floor answer the
// same requests with the same frames of result and waiting messages, each
// with the same members in the same order (values aside). Were the floor
// to send less, its figures would flatter protocol v1.
func TestFloorAnswersAsSockplay(t *testing.T) {
	sp := newServer(t, sessions.Config{})
	fl := httptest.NewServer(http.HandlerFunc(serveFloor))
	t.Cleanup(fl.Close)
	for _, mode := range []string{"waiting", "batch", "frames"} {
		paths := []string{"/ws", "/floor", "/floor?writer=1"}
		got := make([][]string, len(paths))
		for i, path := range paths {
			srv := fl.URL
			if i == 0 {
				srv = sp.URL
			}
			c, err := dialV1(&child{addr: strings.TrimPrefix(srv, "http://")}, path)
			if err == nil {
				err = setupSockplayUDP(c)
			}
			if err != nil {
				t.Fatal(err)
			}
			got[i], err = answerShapes(c, mode)
			c.conn.Close()
			if err != nil {
				t.Fatalf("%s, %s: %v", mode, path, err)
			}
		}
		if mode == "frames" { // two frames may come as one, or not: compare the messages alone
			for i := range got {
				got[i] = strings.Fields(strings.Join(got[i], " "))
			}
		}
		for i := 1; i < len(paths); i++ {
			if !slices.Equal(got[0], got[i]) {
				t.Errorf("%s: sockplay's frames\n%s\n%s's\n%s", mode, strings.Join(got[0], "\n"), paths[i], strings.Join(got[i], "\n"))
			}
		}
	}
}

// answerShapes makes op 1 on c as sockplayTrip's mode does and returns the
// shape of each frame that answers it (its result and waiting messages),
// until the recvfrom's result.
func answerShapes(c *benchConn, mode string) ([]string, error) {
	o := c.ops.(sockplayUDP)
	recv, send := o.recv.withID(2), o.send.withID(3)
	var shapes []string
	readUntil := func(kind string, id int) error {
		for {
			ms, err := c.read()
			if err != nil {
				return err
			}
			var frame []string
			found := false
			for _, m := range ms {
				k := string(m.GetStringBytes("kind"))
				if k != "result" && k != "waiting" {
					continue // socket and stat messages: sockplay's own, not the round trip's
				}
				frame = append(frame, jsonShape(m))
				found = found || k == kind && m.GetInt("id") == id
			}
			if frame != nil {
				shapes = append(shapes, strings.Join(frame, " "))
			}
			if found {
				return nil
			}
		}
	}
	write := func(reqs ...request) error {
		c.out = c.out[:0]
		if len(reqs) > 1 {
			c.out = append(c.out, '[')
		}
		for i, r := range reqs {
			if i > 0 {
				c.out = append(c.out, ',')
			}
			c.out = appendRequest(c.out, r)
		}
		if len(reqs) > 1 {
			c.out = append(c.out, ']')
		}
		return c.write()
	}
	var err error
	switch mode {
	case "waiting":
		if err = write(recv); err == nil {
			if err = readUntil("waiting", 2); err == nil {
				err = write(send)
			}
		}
	case "batch":
		err = write(recv, send)
	default:
		if err = write(recv); err == nil {
			err = write(send)
		}
	}
	if err == nil {
		err = readUntil("result", 2)
	}
	return shapes, err
}

// jsonShape is v with its values left out: an object's members in order,
// each with its value's shape; an array's items; a string, number or
// literal by its type, except kind and op, which are kept.
func jsonShape(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeObject:
		var b strings.Builder
		b.WriteByte('{')
		v.GetObject().Visit(func(k []byte, x *fastjson.Value) {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(string(k) + ":")
			if (string(k) == "kind" || string(k) == "op") && x.Type() == fastjson.TypeString {
				b.WriteString(x.String())
			} else {
				b.WriteString(jsonShape(x))
			}
		})
		return b.String() + "}"
	case fastjson.TypeArray:
		var parts []string
		for _, x := range v.GetArray() {
			parts = append(parts, jsonShape(x))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return v.Type().String()
}
