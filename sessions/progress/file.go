package progress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Format and Version name the export file format.
const (
	Format  = "sockplay-progress"
	Version = 1
)

// MaxImport is the largest file Import accepts, in bytes (4 MiB).
const MaxImport = 4 << 20

// File is the JSON document Export writes and Import reads: one learner's
// progress, without the learner's id. Times are RFC 3339, UTC; a zero time
// is left out.
//
//	{"format":"sockplay-progress","version":1,"exported_at":"2026-11-22T10:00:00Z",
//	 "lessons":[{"slug":"02-udp","first_read":"…","last_read":"…",
//	             "steps":[{"id":"send","runs":2,"last_ok":true,"last_run":"…","passed_at":"…"}]}],
//	 "exercises":[{"id":"udp-upper",
//	               "attempts":[{"at":"…","pass":false,"failed_step":"2 (lower case)","summary":""}]}]}
type File struct {
	Format     string         `json:"format"`
	Version    int            `json:"version"`
	ExportedAt time.Time      `json:"exported_at,omitzero"`
	Lessons    []FileLesson   `json:"lessons"`
	Exercises  []FileExercise `json:"exercises"`
}

// FileLesson is a Lesson in a File.
type FileLesson struct {
	Slug      string     `json:"slug"`
	FirstRead time.Time  `json:"first_read,omitzero"`
	LastRead  time.Time  `json:"last_read,omitzero"`
	Steps     []FileStep `json:"steps"`
}

// FileStep is a Step in a File.
type FileStep struct {
	ID       string    `json:"id"`
	Runs     int       `json:"runs"`
	LastOK   bool      `json:"last_ok"`
	LastRun  time.Time `json:"last_run"`
	PassedAt time.Time `json:"passed_at,omitzero"`
}

// FileExercise is an Exercise in a File.
type FileExercise struct {
	ID       string        `json:"id"`
	Attempts []FileAttempt `json:"attempts"`
}

// FileAttempt is an Attempt in a File.
type FileAttempt struct {
	At         time.Time `json:"at"`
	Pass       bool      `json:"pass"`
	FailedStep string    `json:"failed_step"`
	Summary    string    `json:"summary"`
}

// Export returns learner's progress as an indented File.
func (s *Store) Export(ctx context.Context, learner string) ([]byte, error) {
	p, err := s.Progress(ctx, learner)
	if err != nil {
		return nil, err
	}
	f := File{Format: Format, Version: Version, ExportedAt: s.Now().UTC().Truncate(time.Millisecond),
		Lessons: []FileLesson{}, Exercises: []FileExercise{}}
	for _, l := range p.Lessons {
		fl := FileLesson{Slug: l.Slug, FirstRead: l.FirstRead, LastRead: l.LastRead, Steps: []FileStep{}}
		for _, st := range l.Steps {
			fl.Steps = append(fl.Steps, FileStep(st))
		}
		f.Lessons = append(f.Lessons, fl)
	}
	for _, x := range p.Exercises {
		fx := FileExercise{ID: x.ID, Attempts: []FileAttempt{}}
		for _, a := range x.Attempts {
			fx.Attempts = append(fx.Attempts, FileAttempt(a))
		}
		f.Exercises = append(f.Exercises, fx)
	}
	return json.MarshalIndent(f, "", "  ")
}

// Import merges a File (as Export writes it) into learner's progress:
// lesson reads keep the earliest first view and the latest last view; a
// step keeps the larger run count, the latest run's outcome and the
// earliest pass; attempts are added unless the same attempt (same exercise,
// time, outcome and texts) is already there. Importing a file twice changes
// nothing. A file that is not valid is refused whole with an *InputError
// that says what is wrong, and nothing is stored.
func (s *Store) Import(ctx context.Context, learner string, data []byte) error {
	if err := checkName("learner", learner); err != nil {
		return err
	}
	f, err := s.parseFile(data)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, l := range f.Lessons {
		if !l.FirstRead.IsZero() {
			if _, err := tx.ExecContext(ctx, `
INSERT INTO lesson_reads (learner, lesson, first_ms, last_ms) VALUES (?, ?, ?, ?)
ON CONFLICT (learner, lesson) DO UPDATE SET
	first_ms = min(first_ms, excluded.first_ms),
	last_ms = max(last_ms, excluded.last_ms)`,
				learner, l.Slug, l.FirstRead.UnixMilli(), l.LastRead.UnixMilli()); err != nil {
				return err
			}
		}
		for _, st := range l.Steps {
			var passed any
			if !st.PassedAt.IsZero() {
				passed = st.PassedAt.UnixMilli()
			}
			// SET expressions all see the row as it was.
			if _, err := tx.ExecContext(ctx, `
INSERT INTO steps (learner, lesson, step, runs, last_ok, last_ms, passed_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (learner, lesson, step) DO UPDATE SET
	runs = max(runs, excluded.runs),
	last_ok = CASE WHEN excluded.last_ms > last_ms THEN excluded.last_ok ELSE last_ok END,
	last_ms = max(last_ms, excluded.last_ms),
	passed_ms = CASE
		WHEN passed_ms IS NULL THEN excluded.passed_ms
		WHEN excluded.passed_ms IS NULL THEN passed_ms
		ELSE min(passed_ms, excluded.passed_ms) END`,
				learner, l.Slug, st.ID, st.Runs, boolInt(st.LastOK), st.LastRun.UnixMilli(), passed); err != nil {
				return err
			}
		}
	}
	// Attempts merge as multisets: each distinct attempt ends up as many
	// times as the larger of the two sides has it.
	type key struct {
		exercise        string
		at              int64
		pass            bool
		failed, summary string
	}
	count := map[key]int{}
	var order []key
	for _, x := range f.Exercises {
		for _, a := range x.Attempts {
			k := key{x.ID, a.At.UnixMilli(), a.Pass, clip(a.FailedStep), clip(a.Summary)}
			if count[k] == 0 {
				order = append(order, k)
			}
			count[k]++
		}
	}
	for _, k := range order {
		var have int
		if err := tx.QueryRowContext(ctx, `
SELECT count(*) FROM attempts
WHERE learner = ? AND exercise = ? AND at_ms = ? AND pass = ? AND failed_step = ? AND summary = ?`,
			learner, k.exercise, k.at, boolInt(k.pass), k.failed, k.summary).Scan(&have); err != nil {
			return err
		}
		for range count[k] - have {
			if _, err := tx.ExecContext(ctx, `
INSERT INTO attempts (learner, exercise, at_ms, pass, failed_step, summary) VALUES (?, ?, ?, ?, ?, ?)`,
				learner, k.exercise, k.at, boolInt(k.pass), k.failed, k.summary); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// earliest is the oldest time an imported record may carry.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseFile decodes and checks an import; every problem is an *InputError.
func (s *Store) parseFile(data []byte) (*File, error) {
	if len(data) > MaxImport {
		return nil, inputErrorf("the file is %d bytes, more than the %d a progress file may have", len(data), MaxImport)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, inputErrorf("the file is empty: expected a sockplay progress file (JSON)")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, inputErrorf("not a sockplay progress file: more data after the JSON object")
	}
	if f.Format != Format {
		return nil, inputErrorf("not a sockplay progress file: its format is %q, want %q", f.Format, Format)
	}
	if f.Version != Version {
		return nil, inputErrorf("progress file version %d: this sockplay reads version %d", f.Version, Version)
	}
	latest := s.Now().Add(24 * time.Hour)
	checkTime := func(what string, t time.Time) error {
		if t.Before(earliest) || t.After(latest) {
			return inputErrorf("%s: time %s is out of range", what, t.Format(time.RFC3339))
		}
		return nil
	}
	for i := range f.Lessons {
		l := &f.Lessons[i]
		where := fmt.Sprintf("lessons[%d]", i)
		if err := checkName(where+": slug", l.Slug); err != nil {
			return nil, err
		}
		where = fmt.Sprintf("lesson %q", l.Slug)
		switch {
		case l.FirstRead.IsZero() && l.LastRead.IsZero():
		case l.FirstRead.IsZero() || l.LastRead.IsZero():
			return nil, inputErrorf("%s: first_read and last_read go together", where)
		case l.LastRead.Before(l.FirstRead):
			return nil, inputErrorf("%s: last_read is before first_read", where)
		default:
			if err := errors.Join(checkTime(where+": first_read", l.FirstRead), checkTime(where+": last_read", l.LastRead)); err != nil {
				return nil, err
			}
		}
		for j, st := range l.Steps {
			if err := checkName(fmt.Sprintf("%s: steps[%d]: id", where, j), st.ID); err != nil {
				return nil, err
			}
			sw := fmt.Sprintf("%s, step %q", where, st.ID)
			if st.Runs < 1 {
				return nil, inputErrorf("%s: runs is %d, want at least 1", sw, st.Runs)
			}
			if err := checkTime(sw+": last_run", st.LastRun); err != nil {
				return nil, err
			}
			if !st.PassedAt.IsZero() {
				if err := checkTime(sw+": passed_at", st.PassedAt); err != nil {
					return nil, err
				}
			}
			if st.LastOK && st.PassedAt.IsZero() {
				return nil, inputErrorf("%s: last_ok is true but passed_at is missing", sw)
			}
		}
	}
	for i, x := range f.Exercises {
		if err := checkName(fmt.Sprintf("exercises[%d]: id", i), x.ID); err != nil {
			return nil, err
		}
		for j, a := range x.Attempts {
			if err := checkTime(fmt.Sprintf("exercise %q, attempts[%d]: at", x.ID, j), a.At); err != nil {
				return nil, err
			}
		}
	}
	return &f, nil
}

// jsonError turns a decoding error into an InputError that says where the
// file went wrong.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return inputErrorf("not a sockplay progress file: invalid JSON at line %d, column %d: %v", line, col, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return inputErrorf("not a sockplay progress file: the JSON ends too early (cut short?)")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return inputErrorf("not a sockplay progress file: expected a JSON object, found a JSON %s", typ.Value)
		}
		return inputErrorf("not a sockplay progress file: %s should be a JSON %s, not a %s", field, typ.Type, typ.Value)
	}
	return inputErrorf("not a sockplay progress file: %v", err)
}

// position is the 1-based line and column of the byte a json.SyntaxError's
// offset points just past.
func position(data []byte, offset int64) (line, col int) {
	at := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:at]
	line = bytes.Count(before, []byte("\n")) + 1
	col = at - bytes.LastIndexByte(before, '\n')
	return line, col
}
