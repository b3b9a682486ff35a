package web_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// frameCounter is a raw WebSocket client that keeps each frame's messages
// together, to count the frames a round trip takes.
type frameCounter struct {
	t    *testing.T
	conn *websocket.Conn
}

// frame reads the next frame and returns its messages.
func (f *frameCounter) frame() []map[string]any {
	f.t.Helper()
	f.conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a failure, not a measurement
	_, b, err := f.conn.ReadMessage()
	if err != nil {
		f.t.Fatalf("read: %v", err)
	}
	var ms []map[string]any
	if len(b) > 0 && b[0] == '[' {
		err = json.Unmarshal(b, &ms)
	} else {
		var m map[string]any
		err = json.Unmarshal(b, &m)
		ms = []map[string]any{m}
	}
	if err != nil {
		f.t.Fatalf("frame %.200s: %v", b, err)
	}
	return ms
}

func (f *frameCounter) send(frame string) {
	f.t.Helper()
	if err := f.conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		f.t.Fatal(err)
	}
}

// until reads frames until done has seen what it waits for, and returns how
// many frames that took.
func (f *frameCounter) until(done func(m map[string]any) bool) int {
	f.t.Helper()
	for n := 1; n <= 100; n++ {
		for _, m := range f.frame() {
			if done(m) {
				return n
			}
		}
	}
	f.t.Fatal("100 frames without the message waited for")
	return 0
}

func isResult(id int) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["kind"] == "result" && m["id"] == float64(id) }
}

// TestWaitingRoundTripFrames counts the frames of the round trip "recvfrom
// waits, then a sendto in a frame of its own feeds it": the waiting message
// comes alone (the client waits for it before it sends), and then the
// sendto's result, the recvfrom's result and the socket messages they make
// come together in one frame, the writer being held for the receive the
// sendto fed (see sessions' heldFor).
func TestWaitingRoundTripFrames(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	conn, _, err := (&websocket.Dialer{}).Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := &frameCounter{t: t, conn: conn}
	f.frame() // the hello
	f.send(`[{"id":1,"op":"socket","type":"SOCK_DGRAM"},{"id":2,"op":"socket","type":"SOCK_DGRAM"},{"id":3,"op":"bind","sock":"s1","addr":["127.0.0.1",0]}]`)
	var port int
	f.until(func(m map[string]any) bool {
		if m["kind"] == "result" && m["id"] == float64(3) {
			port = int(m["addr"].([]any)[1].(float64))
			return true
		}
		return false
	})
	id := 10
	var counts []int
	for round := range 20 {
		recv, send := id+1, id+2
		id += 2
		f.send(fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s1","bufsize":64}`, recv))
		f.until(func(m map[string]any) bool { return m["kind"] == "waiting" && m["id"] == float64(recv) })
		f.send(fmt.Sprintf(`{"id":%d,"op":"sendto","sock":"s2","data":{"text":"r%d"},"addr":["127.0.0.1",%d]}`, send, round, port))
		gotSend, gotRecv := false, false
		n := f.until(func(m map[string]any) bool {
			if m["kind"] == "result" {
				if m["ok"] != true {
					t.Fatalf("failed: %v", m)
				}
				gotSend = gotSend || m["id"] == float64(send)
				gotRecv = gotRecv || m["id"] == float64(recv)
			}
			return gotSend && gotRecv
		})
		counts = append(counts, n)
	}
	// Each round's two results must come in one frame; the hold has a
	// deadline (a receive the sendto did not feed), which a very busy
	// machine may pass now and then, so one round in four may take two.
	over := 0
	for _, n := range counts {
		if n > 2 {
			t.Errorf("a round trip's results took %d frames (all rounds: %v)", n, counts)
		}
		if n > 1 {
			over++
		}
	}
	if over > len(counts)/4 {
		t.Errorf("%d rounds of %d took two frames for the two results, want one: %v", over, len(counts), counts)
	}
	t.Logf("frames after the sendto, per round: %v", counts)

	// The same round trip without waiting for the waiting message (two
	// frames sent at once), and as one batch: the batch's results come in
	// one frame, the two frames' at most in two (the waiting message may
	// go before the sendto arrives).
	for _, batch := range []bool{false, true} {
		counts = counts[:0]
		for round := range 20 {
			recv, send := id+1, id+2
			id += 2
			r := fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s1","bufsize":64}`, recv)
			s := fmt.Sprintf(`{"id":%d,"op":"sendto","sock":"s2","data":{"text":"q%d"},"addr":["127.0.0.1",%d]}`, send, round, port)
			if batch {
				f.send("[" + r + "," + s + "]")
			} else {
				f.send(r)
				f.send(s)
			}
			gotSend, gotRecv := false, false
			counts = append(counts, f.until(func(m map[string]any) bool {
				gotSend = gotSend || isResult(send)(m)
				gotRecv = gotRecv || isResult(recv)(m)
				return gotSend && gotRecv
			}))
		}
		limit := 2
		if batch {
			limit = 1
		}
		for _, n := range counts {
			if n > limit {
				t.Errorf("batch %v: a round trip took %d frames, want at most %d (all rounds: %v)", batch, n, limit, counts)
				break
			}
		}
		t.Logf("batch %v: frames per round trip: %v", batch, counts)
	}
}
