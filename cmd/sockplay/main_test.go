package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestParseFlags(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: Config{Addr: "127.0.0.1:8080", Grace: 10 * time.Minute, MaxSockets: 64}},
		{name: "env", env: map[string]string{"SOCKPLAY_ADDR": "127.0.0.1:9999", "SOCKPLAY_ALLOW_NET": "10.1.0.0/16"},
			want: Config{Addr: "127.0.0.1:9999", Grace: 10 * time.Minute, MaxSockets: 64, AllowNet: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}},
		{name: "flag wins", args: []string{"--addr", "127.0.0.1:1234", "--grace", "1m"}, env: map[string]string{"SOCKPLAY_ADDR": "127.0.0.1:9999"},
			want: Config{Addr: "127.0.0.1:1234", Grace: time.Minute, MaxSockets: 64}},
		{name: "bad net", args: []string{"--allow-net", "nonsense"}, wantErr: "--allow-net"},
		{name: "bad grace env", env: map[string]string{"SOCKPLAY_GRACE": "soon"}, wantErr: "SOCKPLAY_GRACE"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected argument"},
		{name: "memory bounds", args: []string{"--max-shown", "1024", "--log-bytes", "65536", "--queue-bytes", "131072"},
			want: Config{Addr: "127.0.0.1:8080", Grace: 10 * time.Minute, MaxSockets: 64, MaxShown: 1024, LogBytes: 65536, QueueBytes: 131072}},
		{name: "bad memory bound", args: []string{"--log-bytes", "0"}, wantErr: "--log-bytes must be a positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env = tt.env
			got, err := ParseFlags(tt.args, getenv, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.want.Addr || got.Grace != tt.want.Grace || got.MaxSockets != tt.want.MaxSockets || len(got.AllowNet) != len(tt.want.AllowNet) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			want := tt.want
			if want.MaxShown == 0 { // the defaults
				want.MaxShown, want.LogBytes, want.QueueBytes = 64<<10, 1<<20, 4<<20
			}
			if got.MaxShown != want.MaxShown || got.LogBytes != want.LogBytes || got.QueueBytes != want.QueueBytes {
				t.Errorf("memory bounds %d/%d/%d, want %d/%d/%d", got.MaxShown, got.LogBytes, got.QueueBytes, want.MaxShown, want.LogBytes, want.QueueBytes)
			}
		})
	}
}

// TestRunServesAndShutsDown starts the real command, opens a socket from a
// WebSocket client, then cancels the context as SIGINT would: the client gets
// a bye and a close frame, the socket is closed, run returns nil.
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var out bytes.Buffer
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, Config{Addr: "127.0.0.1:0", Grace: time.Minute, MaxSockets: 64}, &out, ready) }()
	addr := <-ready

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	for _, path := range []string{"/", "/workbench", "/protocol"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := reader(conn)
	hello, err := read()
	if err != nil || hello["kind"] != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}
	conn.WriteJSON(map[string]any{"id": 1, "op": "socket", "type": "SOCK_STREAM"})
	conn.WriteJSON(map[string]any{"id": 2, "op": "bind", "sock": "s1", "addr": []any{"127.0.0.1", 0}})
	conn.WriteJSON(map[string]any{"id": 3, "op": "listen", "sock": "s1"})
	var port float64
	for port == 0 {
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == 2.0 {
			port = m["addr"].([]any)[1].(float64)
		}
	}
	for {
		m, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "result" && m["id"] == 3.0 {
			break
		}
	}

	cancel()
	var sawBye bool
	for {
		m, err := read()
		if ce, ok := err.(*websocket.CloseError); ok {
			if ce.Code != websocket.CloseGoingAway {
				t.Errorf("close code %d, want %d", ce.Code, websocket.CloseGoingAway)
			}
			break
		}
		if err != nil {
			t.Fatalf("read: %v (want a close frame)", err)
		}
		sawBye = sawBye || m["kind"] == "bye"
	}
	if !sawBye {
		t.Error("no bye message before the close frame")
	}
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "http://"+addr) {
		t.Errorf("output %q does not name the URL", out.String())
	}
	// The listening socket is gone: connecting is refused.
	c, _, err := (&websocket.Dialer{}).Dial("ws://"+addr+"/ws", nil)
	if err == nil {
		c.Close()
		t.Error("server still answering after shutdown")
	}
	if _, err := netDial(addr, int(port)); err == nil {
		t.Errorf("playground listener on port %d still accepts after shutdown", int(port))
	}
}

func netDial(httpAddr string, port int) (io.Closer, error) {
	host := httpAddr[:strings.LastIndex(httpAddr, ":")]
	return (&net.Dialer{Timeout: 2 * time.Second}).Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
}

// reader returns a function giving one message at a time from frames that
// hold one message or an array of them.
func reader(conn *websocket.Conn) func() (map[string]any, error) {
	var queue []map[string]any
	return func() (map[string]any, error) {
		for len(queue) == 0 {
			_, frame, err := conn.ReadMessage()
			if err != nil {
				return nil, err
			}
			if frame[0] == '[' {
				err = json.Unmarshal(frame, &queue)
			} else {
				var m map[string]any
				err = json.Unmarshal(frame, &m)
				queue = append(queue, m)
			}
			if err != nil {
				return nil, err
			}
		}
		m := queue[0]
		queue = queue[1:]
		return m, nil
	}
}
