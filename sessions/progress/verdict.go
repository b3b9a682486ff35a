package progress

import (
	"context"
	"fmt"
	"time"

	"sockplay/sockets/exercises"
)

// RecordVerdict records a check's verdict as an attempt of learner at its
// exercise (RecordAttempt): on a fail, the failed step as "N (name)" and,
// as the summary, what the checker did and received at that step.
func (s *Store) RecordVerdict(ctx context.Context, learner string, v exercises.Verdict) error {
	failed, summary := "", v.Summary
	if f := v.Failed; f != nil {
		failed = fmt.Sprintf("%d (%s)", f.N, f.Name)
		summary = f.Did + " → " + f.Received
	}
	return s.RecordAttempt(ctx, learner, v.Exercise, v.Pass, failed, summary)
}

// CheckHook returns a function for sessions.Config.OnCheck: it records each
// check's verdict for its learner (RecordVerdict), waiting at most 5 s for
// the database. A check without a learner (a client that sent no learner
// cookie) is not recorded. report, if not nil, is given every error.
func (s *Store) CheckHook(report func(error)) func(learner string, v exercises.Verdict) {
	return func(learner string, v exercises.Verdict) {
		if learner == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.RecordVerdict(ctx, learner, v); err != nil && report != nil {
			report(fmt.Errorf("recording a check of %s: %w", v.Exercise, err))
		}
	}
}
