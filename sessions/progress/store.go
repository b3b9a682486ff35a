// Package progress keeps what each learner has done in sockplay — the lessons
// they read, the lesson steps they ran and whether each passed, and every
// attempt at an exercise with its verdict — in an embedded SQLite database
// (modernc.org/sqlite, pure Go) in a data directory, so it survives a server
// restart.
//
// A learner is an opaque id: the web side gives each browser a random,
// long-lived cookie and passes its value here. Nothing else about the learner
// is stored.
//
// The database is one file, progress.db, in WAL mode, used through one
// connection pool. Its schema is versioned with PRAGMA user_version and
// migrated forward by Open; a database written by a newer sockplay is
// refused rather than guessed at. Times are stored as Unix milliseconds (UTC)
// and read from Store.Now, which tests replace with a fixed clock.
//
// The same database keeps the programs shared by link (Share, Shared): not
// a learner's progress, but like it, something that must outlive a restart.
//
// Export and Import move one learner's progress between browsers or
// servers as a JSON document (format "sockplay-progress", version 1; see
// File). Import merges, and importing the same file twice changes nothing.
package progress

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database's file name inside the data directory.
const FileName = "progress.db"

// MaxName is the longest learner id, lesson slug, step id or exercise id
// accepted, in bytes (200).
const MaxName = 200

// MaxText is the longest attempt summary or failed-step text kept, in bytes
// (2,000); longer text is cut, on a character boundary.
const MaxText = 2000

// busyTimeout is how long a statement waits for another writer before it
// fails with SQLITE_BUSY (5 s).
const busyTimeout = 5 * time.Second

// Store is the progress database. Its methods are safe for concurrent use.
type Store struct {
	// Now is the clock every record is stamped with (time.Now unless a test
	// sets it right after Open).
	Now func() time.Time

	db   *sql.DB
	path string
}

// migrations are the schema, one step per user_version: migrations[0] takes
// an empty database to version 1. Steps are only ever appended.
var migrations = []string{
	`
CREATE TABLE lesson_reads (
	learner  TEXT NOT NULL,
	lesson   TEXT NOT NULL,
	first_ms INTEGER NOT NULL, -- first view of the lesson page, Unix ms
	last_ms  INTEGER NOT NULL, -- latest view
	PRIMARY KEY (learner, lesson)
) STRICT, WITHOUT ROWID;

CREATE TABLE steps (
	learner   TEXT NOT NULL,
	lesson    TEXT NOT NULL,
	step      TEXT NOT NULL,
	runs      INTEGER NOT NULL, -- runs recorded
	last_ok   INTEGER NOT NULL, -- 1 if the latest run passed
	last_ms   INTEGER NOT NULL, -- the latest run
	passed_ms INTEGER,          -- the first run that passed; NULL: none has
	PRIMARY KEY (learner, lesson, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE attempts (
	id          INTEGER PRIMARY KEY,
	learner     TEXT NOT NULL,
	exercise    TEXT NOT NULL,
	at_ms       INTEGER NOT NULL, -- when the check finished
	pass        INTEGER NOT NULL, -- 1: the check passed
	failed_step TEXT NOT NULL,    -- on a fail, the step that failed
	summary     TEXT NOT NULL
) STRICT;

CREATE INDEX attempts_by_learner ON attempts (learner, exercise, at_ms, id);
`,
	// 2: programs shared by link (shares.go).
	`
CREATE TABLE shares (
	id         TEXT PRIMARY KEY, -- random, unguessable: the link is /p/<id>
	name       TEXT NOT NULL,    -- the program's file name, e.g. server.py
	code       TEXT NOT NULL,
	created_ms INTEGER NOT NULL
) STRICT;
`,
}

// Open opens the progress database in dir, creating the directory (mode
// 0700) and the database if they do not exist, and migrating its schema to
// the current version.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("progress: no data directory given")
	}
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("progress: data directory %q: the path may not contain '?' or '#'", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("progress: data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	dsn := path + fmt.Sprintf("?_busy_timeout=%d&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate", busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("progress: open %s: %w", path, err)
	}
	s := &Store{Now: time.Now, db: db, path: path}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("progress: %s: %w", path, err)
	}
	return s, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. The Store must not be used afterwards.
func (s *Store) Close() error { return s.db.Close() }

// migrate brings the schema to len(migrations), one version per transaction.
func (s *Store) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any; done reports that the
// schema is current.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	switch {
	case v == len(migrations):
		return true, nil
	case v > len(migrations) || v < 0:
		return false, fmt.Errorf("the database has schema version %d, newer than this sockplay knows (%d): use a newer sockplay or another --data directory", v, len(migrations))
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrating the schema to version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// SchemaVersion is the database's schema version (PRAGMA user_version).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// An InputError is a problem with what a caller asked to store — an empty or
// over-long name, or an import that is not a valid progress file — as
// opposed to a failure of the database. Its message is written for the
// learner.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// checkName reports whether a learner id, slug, step or exercise id (what)
// is fit to store: not empty, at most MaxName bytes of UTF-8 without control
// characters.
func checkName(what, v string) error {
	switch {
	case v == "":
		return inputErrorf("%s is empty", what)
	case len(v) > MaxName:
		return inputErrorf("%s is longer than %d bytes", what, MaxName)
	case !utf8.ValidString(v):
		return inputErrorf("%s is not valid UTF-8", what)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return inputErrorf("%s %q contains a control character", what, v)
	}
	return nil
}

// clip cuts s to at most MaxText bytes, on a character boundary, and
// replaces invalid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxText {
		return s
	}
	s = s[:MaxText]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (s *Store) nowMs() int64 { return s.Now().UnixMilli() }

func fromMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RecordLessonRead records that learner viewed the lesson slug now.
func (s *Store) RecordLessonRead(ctx context.Context, learner, slug string) error {
	if err := errors.Join(checkName("learner", learner), checkName("lesson", slug)); err != nil {
		return err
	}
	now := s.nowMs()
	_, err := s.db.ExecContext(ctx, `
INSERT INTO lesson_reads (learner, lesson, first_ms, last_ms) VALUES (?, ?, ?, ?)
ON CONFLICT (learner, lesson) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms)`,
		learner, slug, now, now)
	return err
}

// RecordStep records that learner ran the step of the lesson slug now, and
// whether it passed. A failed run never erases an earlier pass.
func (s *Store) RecordStep(ctx context.Context, learner, slug, step string, ok bool) error {
	if err := errors.Join(checkName("learner", learner), checkName("lesson", slug), checkName("step", step)); err != nil {
		return err
	}
	now := s.nowMs()
	var passed any
	if ok {
		passed = now
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO steps (learner, lesson, step, runs, last_ok, last_ms, passed_ms) VALUES (?, ?, ?, 1, ?, ?, ?)
ON CONFLICT (learner, lesson, step) DO UPDATE SET
	runs = runs + 1,
	last_ok = excluded.last_ok,
	last_ms = excluded.last_ms,
	passed_ms = coalesce(passed_ms, excluded.passed_ms)`,
		learner, slug, step, boolInt(ok), now, passed)
	return err
}

// RecordAttempt records one check of learner's program against exercise,
// finished now: whether it passed, on a fail the step that failed (such as
// "4 (second connection)"), and the verdict's one-line summary. Texts longer
// than MaxText are cut.
func (s *Store) RecordAttempt(ctx context.Context, learner, exercise string, pass bool, failedStep, summary string) error {
	if err := errors.Join(checkName("learner", learner), checkName("exercise", exercise)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO attempts (learner, exercise, at_ms, pass, failed_step, summary) VALUES (?, ?, ?, ?, ?, ?)`,
		learner, exercise, s.nowMs(), boolInt(pass), clip(failedStep), clip(summary))
	return err
}
