package sessions

// SetLearner records which learner the session works for: the web side's
// anonymous learner id (its long-lived learner cookie, not the session
// cookie), under which exercise checks are recorded (Config.OnCheck). The
// latest page to attach sets it; "" means none is known.
func (s *Session) SetLearner(id string) { s.learner.Store(&id) }

// Learner is the id SetLearner recorded last, or "".
func (s *Session) Learner() string {
	if p := s.learner.Load(); p != nil {
		return *p
	}
	return ""
}
