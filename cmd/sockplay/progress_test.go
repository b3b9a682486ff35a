package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sockplay/templates/lessons"
)

func TestParseFlagsData(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"XDG_STATE_HOME", nil, map[string]string{"XDG_STATE_HOME": "/state", "HOME": "/home/u"}, "/state/sockplay"},
		{"relative XDG_STATE_HOME is ignored", nil, map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/u"}, "/home/u/.local/state/sockplay"},
		{"HOME", nil, map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/sockplay"},
		{"neither", nil, nil, ""},
		{"env", nil, map[string]string{"HOME": "/home/u", "SOCKPLAY_DATA": "/srv/sockplay"}, "/srv/sockplay"},
		{"flag wins", []string{"--data", "/tmp/p"}, map[string]string{"SOCKPLAY_DATA": "/srv/sockplay"}, "/tmp/p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Data != tt.want {
				t.Errorf("Data = %q, want %q", cfg.Data, tt.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that run's goroutines may write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// started is one run of the command in a test.
type started struct {
	addr   string
	out    *syncBuffer
	cancel context.CancelFunc
	errc   chan error
}

// startRun runs the command with cfg (on a free port) until stop.
func startRun(t *testing.T, cfg Config) *started {
	t.Helper()
	cfg.Addr, cfg.Grace, cfg.MaxSockets = "127.0.0.1:0", time.Minute, 64
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{out: &syncBuffer{}, cancel: cancel, errc: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { s.errc <- run(ctx, cfg, s.out, ready) }()
	select {
	case s.addr = <-ready:
	case err := <-s.errc:
		cancel()
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the run, as SIGINT does, and waits for it to return.
func (s *started) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

// TestProgressRestart: what a learner did is still there after the server
// restarts with the same data directory, for the same browser (cookie).
func TestProgressRestart(t *testing.T) {
	builtin, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	l := builtin[0]
	dir := filepath.Join(t.TempDir(), "data")
	jar, _ := cookiejar.New(nil) // one browser, across both runs (cookies ignore the port)
	browser := &http.Client{Jar: jar}
	get := func(s *started, path string) string {
		t.Helper()
		resp, err := browser.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}

	first := startRun(t, Config{Data: dir})
	if !strings.Contains(first.out.String(), filepath.Join(dir, "progress.db")) {
		t.Errorf("output %q does not say where progress is saved", first.out.String())
	}
	get(first, "/lessons/"+l.Slug)
	req, _ := http.NewRequest(http.MethodPost, "http://"+first.addr+"/progress/steps",
		strings.NewReader(`{"lesson":"`+l.Slug+`","step":"`+l.Parts()[0].ID+`","ok":true}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://"+first.addr)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /progress/steps: %d", resp.StatusCode)
	}
	first.stop(t)

	second := startRun(t, Config{Data: dir})
	page := get(second, "/progress")
	for _, want := range []string{
		`<tr class="lesson-row" data-lesson="` + l.Slug + `" data-read="true" data-passed="1"`,
		`<li data-step="` + l.Parts()[0].ID + `" data-passed="true">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/progress after a restart lacks %q", want)
		}
	}
	if index := get(second, "/lessons"); !strings.Contains(index, `data-lesson="`+l.Slug+`" data-steps="`) ||
		!strings.Contains(index, `data-passed="`+l.Parts()[0].ID+`" data-read="true"`) {
		t.Error("the lesson index after a restart does not show the lesson read and its step passed")
	}
}

// TestProgressDataUnusable: a data directory that cannot be used stops the
// server at startup with a message that names it and says what to do.
func TestProgressDataUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), Config{Addr: "127.0.0.1:0", Data: filepath.Join(file, "data")}, io.Discard, nil)
	if err == nil {
		t.Fatal("run with an unusable data directory succeeded")
	}
	for _, want := range []string{file, "--data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
