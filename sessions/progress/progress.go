package progress

import (
	"context"
	"database/sql"
	"time"
)

// Progress is everything one learner has done.
type Progress struct {
	Lessons   []Lesson   // every lesson read or with a step run, by slug
	Exercises []Exercise // every exercise attempted, by id
}

// Lesson is a learner's progress through one lesson.
type Lesson struct {
	Slug      string
	FirstRead time.Time // the first view of its page; zero if never viewed (only its steps ran)
	LastRead  time.Time // the latest view; zero if never viewed
	Steps     []Step    // every step run, by id
}

// Read reports whether the lesson's page was ever viewed.
func (l Lesson) Read() bool { return !l.FirstRead.IsZero() }

// Passed reports whether the step with id has passed at least once.
func (l Lesson) Passed(id string) bool {
	for _, s := range l.Steps {
		if s.ID == id {
			return s.Passed()
		}
	}
	return false
}

// PassedSteps is the ids of the steps that have passed at least once.
func (l Lesson) PassedSteps() []string {
	var ids []string
	for _, s := range l.Steps {
		if s.Passed() {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// Step is a learner's runs of one lesson step.
type Step struct {
	ID       string
	Runs     int       // how many runs were recorded
	LastOK   bool      // whether the latest run passed
	LastRun  time.Time // the latest run
	PassedAt time.Time // the first run that passed; zero if none has
}

// Passed reports whether some run of the step passed.
func (s Step) Passed() bool { return !s.PassedAt.IsZero() }

// Exercise is a learner's attempts at one exercise.
type Exercise struct {
	ID       string
	Attempts []Attempt // oldest first
}

// FirstPass is the first attempt that passed, or nil.
func (x Exercise) FirstPass() *Attempt {
	for i := range x.Attempts {
		if x.Attempts[i].Pass {
			return &x.Attempts[i]
		}
	}
	return nil
}

// Passed reports whether some attempt passed.
func (x Exercise) Passed() bool { return x.FirstPass() != nil }

// Attempt is one check of the learner's program against an exercise.
type Attempt struct {
	At         time.Time // when the check finished
	Pass       bool
	FailedStep string // on a fail, the step that failed
	Summary    string // the verdict's one line
}

// Lesson returns the learner's progress in the lesson slug (a Lesson with
// only its slug when there is none).
func (p Progress) Lesson(slug string) Lesson {
	for _, l := range p.Lessons {
		if l.Slug == slug {
			return l
		}
	}
	return Lesson{Slug: slug}
}

// Exercise returns the learner's attempts at the exercise id (an Exercise
// with only its id when there are none).
func (p Progress) Exercise(id string) Exercise {
	for _, x := range p.Exercises {
		if x.ID == id {
			return x
		}
	}
	return Exercise{ID: id}
}

// Progress returns everything learner has done. A learner with no records
// has an empty Progress.
func (s *Store) Progress(ctx context.Context, learner string) (Progress, error) {
	if err := checkName("learner", learner); err != nil {
		return Progress{}, err
	}
	// One read transaction, so the three queries see one state.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Progress{}, err
	}
	defer tx.Rollback()
	var p Progress
	lessons := map[string]int{} // index in p.Lessons
	lesson := func(slug string) *Lesson {
		i, ok := lessons[slug]
		if !ok {
			i = len(p.Lessons)
			lessons[slug] = i
			p.Lessons = append(p.Lessons, Lesson{Slug: slug})
		}
		return &p.Lessons[i]
	}

	// Reads and steps are merged by slug, in slug order.
	rows, err := tx.QueryContext(ctx, `
SELECT lesson, first_ms, last_ms, '', 0, 0, 0, NULL FROM lesson_reads WHERE learner = ?
UNION ALL
SELECT lesson, NULL, NULL, step, runs, last_ok, last_ms, passed_ms FROM steps WHERE learner = ?
ORDER BY 1, 4`, learner, learner)
	if err != nil {
		return Progress{}, err
	}
	for rows.Next() {
		var (
			slug, step              string
			first, last, passed     sql.NullInt64
			runs, lastOK, lastRunMs int64
		)
		if err := rows.Scan(&slug, &first, &last, &step, &runs, &lastOK, &lastRunMs, &passed); err != nil {
			rows.Close()
			return Progress{}, err
		}
		l := lesson(slug)
		if step == "" {
			l.FirstRead, l.LastRead = fromMs(first.Int64), fromMs(last.Int64)
			continue
		}
		st := Step{ID: step, Runs: int(runs), LastOK: lastOK == 1, LastRun: fromMs(lastRunMs)}
		if passed.Valid {
			st.PassedAt = fromMs(passed.Int64)
		}
		l.Steps = append(l.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return Progress{}, err
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `
SELECT exercise, at_ms, pass, failed_step, summary FROM attempts WHERE learner = ?
ORDER BY exercise, at_ms, id`, learner)
	if err != nil {
		return Progress{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id       string
			at, pass int64
			a        Attempt
		)
		if err := rows.Scan(&id, &at, &pass, &a.FailedStep, &a.Summary); err != nil {
			return Progress{}, err
		}
		a.At, a.Pass = fromMs(at), pass == 1
		if n := len(p.Exercises); n == 0 || p.Exercises[n-1].ID != id {
			p.Exercises = append(p.Exercises, Exercise{ID: id})
		}
		x := &p.Exercises[len(p.Exercises)-1]
		x.Attempts = append(x.Attempts, a)
	}
	return p, rows.Err()
}
