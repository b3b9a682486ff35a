package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockplay/templates/lessons"
)

func TestParseFlagsLessons(t *testing.T) {
	env := map[string]string{"SOCKPLAY_LESSONS": "/from/env"}
	getenv := func(k string) string { return env[k] }
	cfg, err := ParseFlags(nil, getenv, io.Discard)
	if err != nil || cfg.Lessons != "/from/env" {
		t.Errorf("env: Lessons %q, err %v; want /from/env", cfg.Lessons, err)
	}
	cfg, err = ParseFlags([]string{"--lessons", "/from/flag"}, getenv, io.Discard)
	if err != nil || cfg.Lessons != "/from/flag" {
		t.Errorf("flag: Lessons %q, err %v; want /from/flag (the flag wins)", cfg.Lessons, err)
	}
}

const extraLesson = `---
title: An instructor's own lesson
summary: Added with --lessons.
order: 100
covers: bind
---

` + "```cell id=bind title=\"Bind\"\n" + `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
` + "```\n```check\nok\n```\n"

// oldStepLesson is a lesson in the old JSON step format, which is gone.
const oldStepLesson = `---
title: An old lesson
summary: Written as JSON steps.
order: 101
---

` + "```step id=bind\n" + `{"op":"socket","type":"SOCK_DGRAM","as":"s"}
` + "```\n"

// TestRunExtraLessons starts the command with --lessons: the folder's
// lesson is served beside the built-in ones.
func TestRunExtraLessons(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "99-my-lesson.md"), []byte(extraLesson), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, Config{Addr: "127.0.0.1:0", Grace: time.Minute, MaxSockets: 64, Lessons: dir}, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatalf("run: %v", err)
	}
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/lessons"); code != http.StatusOK || !strings.Contains(body, `href="/lessons/my-lesson"`) {
		t.Errorf("/lessons: %d, links my-lesson: %v", code, strings.Contains(body, `href="/lessons/my-lesson"`))
	}
	if code, body := get("/lessons/my-lesson"); code != http.StatusOK || !strings.Contains(body, "An instructor&#39;s own lesson") {
		t.Errorf("/lessons/my-lesson: %d", code)
	}
}

// TestRunBrokenLesson: a broken file in --lessons stops the command before
// it serves, with the file and line of the problem.
func TestRunBrokenLesson(t *testing.T) {
	dir := t.TempDir()
	broken := strings.Replace(extraLesson, "\nok\n", "\nokay\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "99-my-lesson.md"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), Config{Addr: "127.0.0.1:0", Grace: time.Minute, MaxSockets: 64, Lessons: dir}, &out, nil)
	want := filepath.Join(dir, "99-my-lesson.md") +
		`:14: a check line is ok, raises NAME, waits, still-waiting, ends CELL, prints TEXT or matches REGEXP, got "okay"`
	if err == nil || err.Error() != want {
		t.Errorf("run: %v, want %q", err, want)
	}
	if out.Len() > 0 {
		t.Errorf("run printed %q: it should stop before serving", out.String())
	}

	// A lesson still in the old JSON step format is refused, saying so.
	os.Remove(filepath.Join(dir, "99-my-lesson.md"))
	old := filepath.Join(dir, "98-old-lesson.md")
	if err := os.WriteFile(old, []byte(oldStepLesson), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), Config{Addr: "127.0.0.1:0", Lessons: dir}, io.Discard, nil)
	want = old + ":7: a step block is the old JSON step format, which is gone: steps are Python cells now"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("run: %v, want %q", err, want)
	}
	os.Remove(old)

	err = run(context.Background(), Config{Addr: "127.0.0.1:0", Lessons: "/no/such/folder"}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "/no/such/folder") {
		t.Errorf("missing folder: %v", err)
	}

	// A lesson that reuses a built-in slug is refused too, naming both files.
	builtin, err := lessons.Builtin()
	if err != nil || len(builtin) == 0 {
		t.Skipf("no built-in lesson to collide with (%v)", err)
	}
	name := filepath.Join(dir, "99-"+builtin[0].Slug+".md")
	if err := os.WriteFile(name, []byte(extraLesson), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), Config{Addr: "127.0.0.1:0", Lessons: dir}, io.Discard, nil)
	want = name + ":1: slug " + strconv.Quote(builtin[0].Slug) + " is already used by " + builtin[0].File
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("run: %v, want %q", err, want)
	}
}
