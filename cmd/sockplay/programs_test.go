package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestProgramFlags(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := ParseFlags(nil, getenv, io.Discard)
	if err != nil || cfg.ProgramTimeout != 10*time.Minute {
		t.Errorf("default: %v, %v; want 10m", cfg.ProgramTimeout, err)
	}
	env["SOCKPLAY_PROGRAM_TIMEOUT"] = "90s"
	if cfg, err = ParseFlags(nil, getenv, io.Discard); err != nil || cfg.ProgramTimeout != 90*time.Second {
		t.Errorf("env: %v, %v; want 90s", cfg.ProgramTimeout, err)
	}
	if cfg, err = ParseFlags([]string{"--program-timeout", "2m"}, getenv, io.Discard); err != nil || cfg.ProgramTimeout != 2*time.Minute {
		t.Errorf("flag: %v, %v; want 2m", cfg.ProgramTimeout, err)
	}
	for _, args := range [][]string{{"--program-timeout", "0s"}, {"--program-timeout", "soon"}} {
		if _, err := ParseFlags(args, getenv, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	env["SOCKPLAY_PROGRAM_TIMEOUT"] = "soon"
	if _, err := ParseFlags(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "SOCKPLAY_PROGRAM_TIMEOUT") {
		t.Errorf("bad env: %v", err)
	}
}

// TestProgramTimeoutServed runs the real command with a short
// --program-timeout: a program that sleeps is stopped with reason timeout
// and the limit's sentence, and the session runs the next one.
func TestProgramTimeoutServed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var out bytes.Buffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, Config{Addr: "127.0.0.1:0", Grace: time.Minute, MaxSockets: 64, ProgramTimeout: time.Second}, &out, ready)
	}()
	addr := <-ready
	stop := sync.OnceFunc(func() { cancel(); <-errc })
	defer stop()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := reader(conn)
	hello, err := read()
	if err != nil {
		t.Fatal(err)
	}
	if hello["programs"] != true {
		stop() // the output is whole once run has returned
		if want := "msg=\"" + pythonOff + "\" why=\""; !strings.Contains(out.String(), want) {
			t.Errorf("the output does not say %s:\n%s", want, out.String())
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("programs cannot run under CI: %v", hello["programs_note"])
		}
		t.Skipf("programs cannot run here: %v", hello["programs_note"])
	}
	exitOf := func(code string) map[string]any {
		t.Helper()
		conn.WriteJSON(map[string]any{"id": 1, "op": "run", "code": code})
		for {
			m, err := read()
			if err != nil {
				t.Fatal(err)
			}
			if m["kind"] == "result" && m["ok"] != true {
				t.Fatalf("run: %v", m)
			}
			if m["kind"] == "exit" {
				return m
			}
		}
	}
	if m := exitOf("import time\ntime.sleep(600)\n"); m["reason"] != "timeout" || !strings.Contains(m["limit"].(string), "at most 1s") {
		t.Errorf("exit %v, want timeout after 1s", m)
	}
	if m := exitOf("print('next')"); m["code"] != 0.0 {
		t.Errorf("the next program: %v", m)
	}
	stop()
	if want := "msg=\"" + pythonOn + "\" timeout=1s "; !strings.Contains(out.String(), want) {
		t.Errorf("the output does not say %s:\n%s", want, out.String())
	}
}
