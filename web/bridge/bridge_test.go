package bridge

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestRun: lines of the channel go out one per text frame; frames come in
// one per line, compacted (a frame with newlines is still one line); when
// the channel ends, the WebSocket is closed normally and Run returns nil.
func TestRun(t *testing.T) {
	frames := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.WriteMessage(websocket.TextMessage, []byte("{\"kind\":\"hello\",\n \"seq\": 1}"))
		conn.WriteMessage(websocket.TextMessage, []byte(`[{"a":1},{"b":2}]`))
		for {
			_, frame, err := conn.ReadMessage()
			if err != nil {
				frames <- "closed: " + err.Error()
				return
			}
			frames <- string(frame)
		}
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mine, theirs := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Run(conn, mine, mine, func() {}, MaxLine) }()

	in := bufio.NewReader(theirs)
	for _, want := range []string{`{"kind":"hello","seq":1}`, `[{"a":1},{"b":2}]`} {
		theirs.SetReadDeadline(time.Now().Add(20 * time.Second))
		line, err := in.ReadString('\n')
		if err != nil || line != want+"\n" {
			t.Fatalf("line %q (%v), want %q", line, err, want)
		}
	}
	theirs.Write([]byte("{\"id\":1}\n\n  [{\"id\":2}]  \n"))
	for _, want := range []string{`{"id":1}`, `[{"id":2}]`} {
		select {
		case got := <-frames:
			if got != want {
				t.Errorf("frame %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no frame %q", want)
		}
	}
	theirs.Close()
	select {
	case got := <-frames:
		if !strings.Contains(got, "1000") {
			t.Errorf("after the channel ended the server read %q, want a close 1000", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the WebSocket was not closed when the channel ended")
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v, want nil (the channel ended first)", err)
	}
}
