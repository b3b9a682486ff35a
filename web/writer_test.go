package web_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions"
)

// TestOneFunctionWritesFrames reads the web package's source: every call
// that writes to a WebSocket connection is in wsConn.writeFrame, and
// writeFrame (and the writer's helpers that call it) are called only from
// the writer's own functions, which serveWS starts on one goroutine.
func TestOneFunctionWritesFrames(t *testing.T) {
	writes := map[string]bool{"WriteMessage": true, "WriteControl": true, "NextWriter": true, "WriteJSON": true, "WritePreparedMessage": true}
	writer := map[string]bool{"writeLoop": true, "drain": true, "write": true, "sendClose": true, "writeFrame": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found, loops := 0, 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var goStmts []*ast.GoStmt
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if g, ok := n.(*ast.GoStmt); ok {
					goStmts = append(goStmts, g)
				}
				return true
			})
			inGo := func(pos token.Pos) bool {
				for _, g := range goStmts {
					if g.Pos() <= pos && pos < g.End() {
						return true
					}
				}
				return false
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				where := fset.Position(call.Pos())
				switch m := sel.Sel.Name; {
				case writes[m]:
					found++
					if fn.Name.Name != "writeFrame" {
						t.Errorf("%s: %s called in %s, want only in writeFrame", where, m, fn.Name.Name)
					}
				case m == "writeLoop" && fn.Name.Name == "serveWS" && inGo(call.Pos()):
					loops++ // the writer's own goroutine
				case writer[m] && !writer[fn.Name.Name]:
					t.Errorf("%s: the writer's %s called from %s, which is not the writer", where, m, fn.Name.Name)
				}
				return true
			})
		}
	}
	if found == 0 {
		t.Fatal("no frame writes found: the test reads the wrong files")
	}
	if loops != 1 {
		t.Errorf("writeLoop started on %d goroutines in serveWS, want 1", loops)
	}
}

// TestWriterUnderLoad drives everything that makes frames at once: op
// goroutines finishing (waiting recvfroms fed by a batch of sendtos), the
// reader's own answers to that batch, and the client's pings (answered by
// pongs). Every frame must arrive whole (one JSON message or array) and the
// seqs must go up by exactly one across frames. Run it with -race.
func TestWriterUnderLoad(t *testing.T) {
	srv := newServer(t, sessions.Config{})
	conn, _, err := (&websocket.Dialer{}).Dial(srv.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pongs atomic.Int64
	conn.SetPongHandler(func(string) error { pongs.Add(1); return nil })

	results := make(chan map[string]any, 4096)
	readErr := make(chan error, 1)
	go func() { // the client's reader: checks each frame as it comes
		last := int64(0)
		for {
			_, frame, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			var ms []map[string]any
			if len(frame) > 0 && frame[0] == '[' {
				err = json.Unmarshal(frame, &ms)
			} else {
				var m map[string]any
				err = json.Unmarshal(frame, &m)
				ms = append(ms, m)
			}
			if err != nil {
				readErr <- fmt.Errorf("a frame that is not one whole JSON message or array (%v): %.200s", err, frame)
				return
			}
			for _, m := range ms {
				seq := int64(m["seq"].(float64))
				if last != 0 && seq != last+1 {
					readErr <- fmt.Errorf("seq %d after %d, want %d", seq, last, last+1)
					return
				}
				last = seq
				if m["kind"] == "result" {
					results <- m
				}
			}
		}
	}()
	var writeMu sync.Mutex // the client's data frames; its pings are control frames
	send := func(reqs ...string) {
		writeMu.Lock()
		defer writeMu.Unlock()
		if err := conn.WriteMessage(websocket.TextMessage, []byte("["+strings.Join(reqs, ",")+"]")); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(n int) map[float64]map[string]any {
		got := map[float64]map[string]any{}
		timeout := time.After(30 * time.Second) // a failure, not a measurement
		for len(got) < n {
			select {
			case m := <-results:
				got[m["id"].(float64)] = m
			case err := <-readErr:
				t.Fatal(err)
			case <-timeout:
				t.Fatalf("%d results of %d", len(got), n)
			}
		}
		return got
	}

	const k = 8 // receiving sockets s1…s8; s9 sends
	var reqs []string
	for i := 1; i <= k+1; i++ {
		reqs = append(reqs, fmt.Sprintf(`{"id":%d,"op":"socket","type":"SOCK_DGRAM"}`, i))
	}
	send(reqs...)
	wait(k + 1)
	reqs = reqs[:0]
	for i := 1; i <= k+1; i++ {
		reqs = append(reqs, fmt.Sprintf(`{"id":%d,"op":"bind","sock":"s%d","addr":["127.0.0.1",0]}`, 100+i, i))
	}
	send(reqs...)
	addrs := map[int]string{}
	for id, m := range wait(k + 1) {
		a := m["addr"].([]any)
		addrs[int(id)-100] = fmt.Sprintf(`["127.0.0.1",%d]`, int(a[1].(float64)))
	}

	stop := make(chan struct{})
	pinged := make(chan struct{})
	go func() { // pings all along, concurrently with the data frames
		defer close(pinged)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if conn.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(5*time.Second)) != nil {
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	id := 1000
	for round := 0; round < 40; round++ {
		for i := 1; i <= k; i++ { // each waits on its own goroutine
			id++
			send(fmt.Sprintf(`{"id":%d,"op":"recvfrom","sock":"s%d","bufsize":64}`, id, i))
		}
		reqs = reqs[:0]
		for i := 1; i <= k; i++ {
			id++
			reqs = append(reqs, fmt.Sprintf(`{"id":%d,"op":"sendto","sock":"s%d","data":{"text":"r%d"},"addr":%s}`, id, k+1, round, addrs[i]))
		}
		send(reqs...)
		for rid, m := range wait(2 * k) {
			if m["ok"] != true {
				t.Fatalf("result %v: %v", rid, m)
			}
		}
	}
	close(stop)
	<-pinged
	if pongs.Load() == 0 {
		t.Error("no pong came back for the client's pings")
	}
}
