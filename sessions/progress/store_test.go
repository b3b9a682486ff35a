package progress_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"sockplay/sessions/progress"
	"sockplay/sockets/exercises"
)

// t0 is the clock's start; every record is a whole number of seconds after
// it, so times survive the store's millisecond precision exactly.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t0.Add(d)
	return c.now
}

// open opens a store in dir with a clock at t0.
func open(t *testing.T, dir string) (*progress.Store, *clock) {
	t.Helper()
	s, err := progress.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	c := &clock{now: t0}
	s.Now = c.Now
	return s, c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s *progress.Store, learner string) progress.Progress {
	t.Helper()
	p, err := s.Progress(context.Background(), learner)
	if err != nil {
		t.Fatalf("Progress(%s): %v", learner, err)
	}
	return p
}

// record fills learner's progress: two lessons read, steps run (one
// failed after it passed, one only failed), and two exercises with their
// attempts, each a minute apart on the clock.
func record(t *testing.T, s *progress.Store, c *clock, learner string) {
	t.Helper()
	ctx := context.Background()
	c.set(0)
	must(t, s.RecordLessonRead(ctx, learner, "02-udp"))
	c.set(1 * time.Minute)
	must(t, s.RecordStep(ctx, learner, "02-udp", "bind", true))
	c.set(2 * time.Minute)
	must(t, s.RecordStep(ctx, learner, "02-udp", "send", false))
	c.set(3 * time.Minute)
	must(t, s.RecordStep(ctx, learner, "02-udp", "bind", false))
	c.set(4 * time.Minute)
	must(t, s.RecordLessonRead(ctx, learner, "01-sockets"))
	c.set(5 * time.Minute)
	must(t, s.RecordLessonRead(ctx, learner, "02-udp"))
	c.set(6 * time.Minute)
	must(t, s.RecordAttempt(ctx, learner, "udp-upper", false, "2 (lower case)", ""))
	c.set(7 * time.Minute)
	must(t, s.RecordAttempt(ctx, learner, "tcp-echo", false, "1 (connect)", ""))
	c.set(8 * time.Minute)
	must(t, s.RecordAttempt(ctx, learner, "udp-upper", true, "", "3/3 datagrams answered"))
	c.set(9 * time.Minute)
	must(t, s.RecordAttempt(ctx, learner, "udp-upper", false, "1 (first datagram)", ""))
}

// recorded is what record stores.
func recorded() progress.Progress {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	return progress.Progress{
		Lessons: []progress.Lesson{
			{Slug: "01-sockets", FirstRead: at(4), LastRead: at(4)},
			{Slug: "02-udp", FirstRead: at(0), LastRead: at(5), Steps: []progress.Step{
				{ID: "bind", Runs: 2, LastOK: false, LastRun: at(3), PassedAt: at(1)},
				{ID: "send", Runs: 1, LastOK: false, LastRun: at(2)},
			}},
		},
		Exercises: []progress.Exercise{
			{ID: "tcp-echo", Attempts: []progress.Attempt{{At: at(7), FailedStep: "1 (connect)"}}},
			{ID: "udp-upper", Attempts: []progress.Attempt{
				{At: at(6), FailedStep: "2 (lower case)"},
				{At: at(8), Pass: true, Summary: "3/3 datagrams answered"},
				{At: at(9), FailedStep: "1 (first datagram)"},
			}},
		},
	}
}

func TestProgressRecordAndRead(t *testing.T) {
	s, c := open(t, t.TempDir())
	record(t, s, c, "alice")
	got := get(t, s, "alice")
	if want := recorded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Progress:\n got %+v\nwant %+v", got, want)
	}

	l := got.Lesson("02-udp")
	if !l.Read() || !l.Passed("bind") || l.Passed("send") || l.Passed("nope") {
		t.Errorf("02-udp: Read %v, Passed(bind) %v, Passed(send) %v, Passed(nope) %v; want true true false false",
			l.Read(), l.Passed("bind"), l.Passed("send"), l.Passed("nope"))
	}
	if ids := l.PassedSteps(); !reflect.DeepEqual(ids, []string{"bind"}) {
		t.Errorf("PassedSteps = %v, want [bind]", ids)
	}
	if l := got.Lesson("03-never"); l.Read() || len(l.Steps) != 0 {
		t.Errorf("a lesson never seen: %+v, want empty", l)
	}
	x := got.Exercise("udp-upper")
	if fp := x.FirstPass(); fp == nil || !fp.At.Equal(t0.Add(8*time.Minute)) {
		t.Errorf("udp-upper FirstPass = %+v, want the attempt at +8m", fp)
	}
	if got.Exercise("tcp-echo").Passed() {
		t.Error("tcp-echo Passed = true, want false")
	}

	// Another learner sees none of it.
	if p := get(t, s, "bob"); len(p.Lessons) != 0 || len(p.Exercises) != 0 {
		t.Errorf("bob's Progress = %+v, want empty", p)
	}
}

// TestProgressAttemptsOrder: attempts come back oldest first, whatever
// order they were recorded in, and same-time attempts in recording order.
func TestProgressAttemptsOrder(t *testing.T) {
	s, c := open(t, t.TempDir())
	ctx := context.Background()
	for i, m := range []int{5, 1, 3, 3, 2} {
		c.set(time.Duration(m) * time.Minute)
		must(t, s.RecordAttempt(ctx, "alice", "tcp-echo", false, "", string(rune('a'+i))))
	}
	var got []string
	for _, a := range get(t, s, "alice").Exercise("tcp-echo").Attempts {
		got = append(got, a.At.Sub(t0).String()+" "+a.Summary)
	}
	want := []string{"1m0s b", "2m0s e", "3m0s c", "3m0s d", "5m0s a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("attempts = %q, want %q", got, want)
	}
}

// TestProgressClock: every record carries the injected clock's time.
func TestProgressClock(t *testing.T) {
	s, c := open(t, t.TempDir())
	ctx := context.Background()
	c.now = time.Date(2031, 2, 3, 4, 5, 6, 789_000_000, time.FixedZone("CET", 3600))
	must(t, s.RecordLessonRead(ctx, "alice", "a"))
	must(t, s.RecordStep(ctx, "alice", "a", "s", true))
	must(t, s.RecordAttempt(ctx, "alice", "x", true, "", "ok"))
	p := get(t, s, "alice")
	want := c.now.UTC()
	for what, got := range map[string]time.Time{
		"FirstRead": p.Lessons[0].FirstRead,
		"LastRun":   p.Lessons[0].Steps[0].LastRun,
		"PassedAt":  p.Lessons[0].Steps[0].PassedAt,
		"At":        p.Exercises[0].Attempts[0].At,
	} {
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v (UTC)", what, got, want)
		}
	}
}

func TestProgressReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, c := open(t, dir)
	record(t, s, c, "alice")
	must(t, s.Close())

	if fi, err := os.Stat(filepath.Join(dir, progress.FileName)); err != nil || fi.Size() == 0 {
		t.Fatalf("database file: %v, %v", fi, err)
	}
	s2, _ := open(t, dir)
	if got, want := get(t, s2, "alice"), recorded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	v, err := s2.SchemaVersion(context.Background())
	if err != nil || v != 2 {
		t.Errorf("SchemaVersion = %d, %v; want 2", v, err)
	}
	var mode string
	db, err := sql.Open("sqlite", filepath.Join(dir, progress.FileName))
	must(t, err)
	defer db.Close()
	must(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

// TestProgressNewerSchema: a database from a newer sockplay is refused with
// a message that says so, and left as it was.
func TestProgressNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir)
	must(t, s.Close())
	db, err := sql.Open("sqlite", filepath.Join(dir, progress.FileName))
	must(t, err)
	_, err = db.Exec("PRAGMA user_version = 7")
	db.Close()
	must(t, err)
	s, err = progress.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a version 7 database succeeded")
	}
	if !strings.Contains(err.Error(), "schema version 7") {
		t.Errorf("error %q does not name the version", err)
	}
}

func TestProgressOpenFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, []byte("x"), 0o600))
	garbage := t.TempDir()
	must(t, os.WriteFile(filepath.Join(garbage, progress.FileName), []byte(strings.Repeat("not a database ", 500)), 0o600))
	for _, dir := range []string{"", filepath.Join(file, "sub"), "/tmp/what?", garbage} {
		if s, err := progress.Open(dir); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dir)
		}
	}
}

func TestProgressBadNames(t *testing.T) {
	s, _ := open(t, t.TempDir())
	ctx := context.Background()
	long := strings.Repeat("x", progress.MaxName+1)
	for name, err := range map[string]error{
		"empty learner":   s.RecordLessonRead(ctx, "", "a"),
		"empty slug":      s.RecordLessonRead(ctx, "alice", ""),
		"long step":       s.RecordStep(ctx, "alice", "a", long, true),
		"control char":    s.RecordStep(ctx, "alice", "a\n", "s", true),
		"empty exercise":  s.RecordAttempt(ctx, "alice", "", true, "", ""),
		"invalid UTF-8":   s.RecordAttempt(ctx, "alice", "\xff", true, "", ""),
		"Progress(empty)": func() error { _, err := s.Progress(ctx, ""); return err }(),
	} {
		var ie *progress.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %v, want an *InputError", name, err)
		}
	}
	// Over-long texts are cut, not refused.
	must(t, s.RecordAttempt(ctx, "alice", "x", false, strings.Repeat("é", progress.MaxText), ""))
	if got := get(t, s, "alice").Exercise("x").Attempts[0].FailedStep; len(got) > progress.MaxText || !strings.HasPrefix(got, "éé") {
		t.Errorf("failed step kept %d bytes, want at most %d", len(got), progress.MaxText)
	}
}

// TestProgressConcurrent: records from many goroutines at once all land
// (one pool, WAL, busy timeout).
func TestProgressConcurrent(t *testing.T) {
	s, _ := open(t, t.TempDir())
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				if err := s.RecordStep(ctx, "alice", "a", "s", i%2 == 0); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Progress(ctx, "alice"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if runs := get(t, s, "alice").Lesson("a").Steps[0].Runs; runs != 160 {
		t.Errorf("runs = %d, want 160", runs)
	}
}

func TestProgressExportImport(t *testing.T) {
	s, c := open(t, t.TempDir())
	ctx := context.Background()
	record(t, s, c, "alice")
	c.set(time.Hour)
	data, err := s.Export(ctx, "alice")
	must(t, err)

	var f progress.File
	must(t, json.Unmarshal(data, &f))
	if f.Format != progress.Format || f.Version != progress.Version || !f.ExportedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("export header: format %q version %d exported_at %v", f.Format, f.Version, f.ExportedAt)
	}
	if strings.Contains(string(data), "alice") {
		t.Errorf("the export names the learner:\n%s", data)
	}

	// Into a learner with nothing: the same progress.
	must(t, s.Import(ctx, "bob", data))
	if got, want := get(t, s, "bob"), recorded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("bob after import:\n got %+v\nwant %+v", got, want)
	}
	// Twice: nothing changes.
	must(t, s.Import(ctx, "bob", data))
	if got, want := get(t, s, "bob"), recorded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("bob after a second import:\n got %+v\nwant %+v", got, want)
	}
	// Its own export, imported back, is the same file.
	again, err := s.Export(ctx, "bob")
	must(t, err)
	if string(again) != string(data) {
		t.Errorf("bob's export differs from alice's:\n%s\n---\n%s", again, data)
	}

	// Into a learner with progress of their own: merged.
	c.set(-time.Hour)
	must(t, s.RecordLessonRead(ctx, "carol", "02-udp"))
	must(t, s.RecordStep(ctx, "carol", "02-udp", "send", true))
	c.set(10 * time.Minute)
	must(t, s.RecordStep(ctx, "carol", "02-udp", "bind", true))
	must(t, s.RecordAttempt(ctx, "carol", "udp-upper", true, "", "carol's own"))
	must(t, s.Import(ctx, "carol", data))
	p := get(t, s, "carol")
	l := p.Lesson("02-udp")
	if !l.FirstRead.Equal(t0.Add(-time.Hour)) || !l.LastRead.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("carol's 02-udp read %v … %v, want -1h … +5m", l.FirstRead.Sub(t0), l.LastRead.Sub(t0))
	}
	want := []progress.Step{
		// bind: alice ran it twice (passed at +1m, failed last at +3m); carol
		// passed it once at +10m, later.
		{ID: "bind", Runs: 2, LastOK: true, LastRun: t0.Add(10 * time.Minute), PassedAt: t0.Add(time.Minute)},
		// send: carol passed it at -1h; alice's later failure is the last run.
		{ID: "send", Runs: 1, LastOK: false, LastRun: t0.Add(2 * time.Minute), PassedAt: t0.Add(-time.Hour)},
	}
	if !reflect.DeepEqual(l.Steps, want) {
		t.Errorf("carol's steps:\n got %+v\nwant %+v", l.Steps, want)
	}
	if n := len(p.Exercise("udp-upper").Attempts); n != 4 {
		t.Errorf("carol has %d udp-upper attempts, want 4 (her one and alice's three)", n)
	}
	if len(p.Lessons) != 2 || len(p.Exercises) != 2 {
		t.Errorf("carol has %d lessons and %d exercises, want 2 and 2", len(p.Lessons), len(p.Exercises))
	}
}

// TestProgressImportDuplicates: identical attempts in a file are all kept,
// and a second import adds none.
func TestProgressImportDuplicates(t *testing.T) {
	s, _ := open(t, t.TempDir())
	ctx := context.Background()
	file := `{"format":"sockplay-progress","version":1,"lessons":[],"exercises":[{"id":"x","attempts":[
		{"at":"2026-11-22T09:00:00Z","pass":false,"failed_step":"1","summary":""},
		{"at":"2026-11-22T09:00:00Z","pass":false,"failed_step":"1","summary":""}]}]}`
	for range 2 {
		must(t, s.Import(ctx, "alice", []byte(file)))
		if n := len(get(t, s, "alice").Exercise("x").Attempts); n != 2 {
			t.Fatalf("%d attempts, want 2", n)
		}
	}
}

func TestProgressBadImport(t *testing.T) {
	s, c := open(t, t.TempDir())
	ctx := context.Background()
	record(t, s, c, "alice")
	before, err := s.Export(ctx, "alice")
	must(t, err)

	const head = `"format":"sockplay-progress","version":1`
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"not JSON", "hello", "invalid JSON at line 1, column 1"},
		{"syntax error on line 3", "{\n" + head + ",\n\"lessons\": [}", "line 3"},
		{"cut short", `{` + head + `,"lessons":[`, "ends too early"},
		{"array", `[1,2]`, "expected a JSON object"},
		{"other format", `{"format":"something","version":1}`, `format is "something"`},
		{"newer version", `{"format":"sockplay-progress","version":2}`, "version 2"},
		{"unknown field", `{` + head + `,"learner":"x"}`, `unknown field "learner"`},
		{"wrong type", `{` + head + `,"lessons":[{"slug":7}]}`, "lessons.slug should be a JSON string"},
		{"trailing data", `{` + head + `} {}`, "more data"},
		{"empty slug", `{` + head + `,"lessons":[{"slug":""}]}`, "slug is empty"},
		{"step without runs", `{` + head + `,"lessons":[{"slug":"a","steps":[{"id":"s","runs":0,"last_run":"2026-11-22T09:00:00Z"}]}]}`, "runs is 0"},
		{"step without time", `{` + head + `,"lessons":[{"slug":"a","steps":[{"id":"s","runs":1}]}]}`, "out of range"},
		{"future", `{` + head + `,"exercises":[{"id":"x","attempts":[{"at":"2099-01-01T00:00:00Z","pass":true}]}]}`, "out of range"},
		{"bad time", `{` + head + `,"exercises":[{"id":"x","attempts":[{"at":"yesterday","pass":true}]}]}`, "not a sockplay progress file"},
		{"read backwards", `{` + head + `,"lessons":[{"slug":"a","first_read":"2026-11-22T09:00:00Z","last_read":"2026-11-21T09:00:00Z"}]}`, "before first_read"},
		{"too big", `{` + head + `,"lessons":[],"x":"` + strings.Repeat("x", progress.MaxImport) + `"}`, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Import(ctx, "alice", []byte(tc.data))
			var ie *progress.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Import: %v, want an *InputError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Import: %q, want it to mention %q", err, tc.want)
			}
		})
	}
	// A file that fails half-way stores nothing of it.
	half := `{` + head + `,"lessons":[{"slug":"new","first_read":"2026-11-22T09:00:00Z","last_read":"2026-11-22T09:00:00Z"},{"slug":""}]}`
	if err := s.Import(ctx, "alice", []byte(half)); err == nil {
		t.Fatal("half-bad import succeeded")
	}
	after, err := s.Export(ctx, "alice")
	must(t, err)
	if string(after) != string(before) {
		t.Errorf("a refused import changed the progress:\n%s\n---\n%s", before, after)
	}
}

func TestProgressRecordVerdict(t *testing.T) {
	s, c := open(t, t.TempDir())
	ctx := context.Background()
	fail := exercises.Verdict{Exercise: "tcp-echo", Failed: &exercises.StepResult{
		N: 4, Name: "second connection", Did: "connect to ('127.0.0.1', 9000)", Received: "ConnectionRefusedError"}}
	must(t, s.RecordVerdict(ctx, "alice", fail))
	c.set(time.Second)
	must(t, s.RecordVerdict(ctx, "alice", exercises.Verdict{Exercise: "tcp-echo", Pass: true, Summary: "3/3 echoed"}))
	got := get(t, s, "alice").Exercise("tcp-echo").Attempts
	want := []progress.Attempt{
		{At: t0, FailedStep: "4 (second connection)", Summary: "connect to ('127.0.0.1', 9000) → ConnectionRefusedError"},
		{At: t0.Add(time.Second), Pass: true, Summary: "3/3 echoed"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("attempts:\n got %+v\nwant %+v", got, want)
	}
}
