package progress

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"
)

// MaxShare is the largest program Share keeps, in bytes of UTF-8 (64 KiB).
const MaxShare = 64 << 10

// ErrNoShare is what Shared returns for an id that names no program.
var ErrNoShare = errors.New("progress: no program is shared under that id")

// A Shared program: what a link /p/<ID> opens.
type Shared struct {
	ID      string // 26 characters of base32 (A–Z, 2–7): 128 random bits
	Name    string // its file name, such as "server.py"
	Code    string
	Created time.Time
}

// shareName is what a shared program may be called: a plain file name.
var shareName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)

// shareID is the form of the ids Share makes (rand.Text).
var shareID = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// ValidShareID reports whether id has the form of a share id, so a caller
// can answer a malformed link without asking the database.
func ValidShareID(id string) bool { return shareID.MatchString(id) }

// Share keeps a copy of the program code called name and returns the id it
// is shared under: 128 bits from crypto/rand, so links cannot be guessed.
// An empty, over-long (MaxShare) or non-UTF-8 program, or a name that is
// not a plain file name, is an InputError.
func (s *Store) Share(ctx context.Context, name, code string) (string, error) {
	switch {
	case !shareName.MatchString(name):
		return "", inputErrorf("the name %q is not a file name: use 1 to 64 letters, digits, '.', '_' or '-', such as server.py", name)
	case code == "":
		return "", inputErrorf("the program is empty: there is nothing to share")
	case len(code) > MaxShare:
		return "", inputErrorf("the program is %d bytes; a shared program may be at most %d bytes", len(code), MaxShare)
	case !utf8.ValidString(code):
		return "", inputErrorf("the program is not valid UTF-8 text")
	}
	id := rand.Text()
	_, err := s.db.ExecContext(ctx, `INSERT INTO shares (id, name, code, created_ms) VALUES (?, ?, ?, ?)`,
		id, name, code, s.nowMs())
	if err != nil {
		return "", err
	}
	return id, nil
}

// Shared returns the program shared under id, or ErrNoShare.
func (s *Store) Shared(ctx context.Context, id string) (Shared, error) {
	if !ValidShareID(id) {
		return Shared{}, ErrNoShare
	}
	p := Shared{ID: id}
	var ms int64
	err := s.db.QueryRowContext(ctx, `SELECT name, code, created_ms FROM shares WHERE id = ?`, id).Scan(&p.Name, &p.Code, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return Shared{}, ErrNoShare
	}
	if err != nil {
		return Shared{}, err
	}
	p.Created = fromMs(ms)
	return p, nil
}
