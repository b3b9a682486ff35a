package sessions

import (
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
)

// Attach codes: the secret with which "sockplay run" attaches a program on
// the learner's own machine to their session (ops attach and
// attach_revoke; the web side serves /ws?attach=CODE). A session has at
// most one code at a time; it lives until it is revoked or the session
// ends. The codes of a Manager's sessions are kept in one registry, so a
// connection finds its session by code.

// attachCodes maps the live attach codes of a Manager's sessions to them.
type attachCodes struct {
	mu     sync.Mutex
	bySess map[*Session]string
	byCode map[string]*Session
}

func newAttachCodes() *attachCodes {
	return &attachCodes{bySess: map[*Session]string{}, byCode: map[string]*Session{}}
}

// newAttachCode is a fresh code: rand.Text's 26 base32 characters (130
// bits), lower case, in the URL-safe alphabet [a-z2-7].
func newAttachCode() string { return strings.ToLower(rand.Text()) }

// of returns s's code, making one if it has none; with fresh, a new one
// in place of the old (which no longer attaches).
func (c *attachCodes) of(s *Session, fresh bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	code, ok := c.bySess[s]
	if ok && !fresh {
		return code
	}
	delete(c.byCode, code)
	code = newAttachCode()
	c.bySess[s], c.byCode[code] = code, s
	return code
}

// forget removes s's code, if it has one (its session has ended).
func (c *attachCodes) forget(s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if code, ok := c.bySess[s]; ok {
		delete(c.bySess, s)
		delete(c.byCode, code)
	}
}

// lookup returns the session whose code is code, or nil.
func (c *attachCodes) lookup(code string) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byCode[code]
}

// ByAttachCode returns the live session whose attach code is code, or nil
// (no such code: never made, revoked, or its session has ended).
func (m *Manager) ByAttachCode(code string) *Session {
	s := m.cfg.codes.lookup(code)
	if s == nil {
		return nil
	}
	select {
	case <-s.Done():
		return nil
	default:
		return s
	}
}

// AttachCode returns the session's attach code, making one if it has none.
func (s *Session) AttachCode() string { return s.cfg.codes.of(s, false) }

// nextLocal names the next program attached with "sockplay run" to the
// session: local1, local2, … (inside withLock).
func (s *Session) nextLocal() string {
	s.locals++
	return "local" + strconv.Itoa(s.locals)
}

// NextLocal names the next program attached with "sockplay run":
// local1, local2, …
func (s *Session) NextLocal() string {
	var name string
	s.withLock(func() { name = s.nextLocal() })
	return name
}

// attachBody is the result of ops attach and attach_revoke.
type attachBody struct {
	Code    string `json:"code,omitempty"`
	Command string `json:"command,omitempty"`
	Revoked bool   `json:"revoked,omitempty"`
}

// attachCommand is the command a learner runs to attach prog.py with code.
func (s *Session) attachCommand(code string) string {
	cmd := "sockplay run prog.py"
	if u := s.cfg.AttachServer; u != "" {
		cmd += " --server " + u
	}
	return cmd + " --session " + code
}

// opAttach answers the session's attach code (made on first use) and the
// command that attaches a program with it.
func (s *Session) opAttach(req *call) {
	code := s.cfg.codes.of(s, false)
	s.result(req, "", attachBody{Code: code, Command: s.attachCommand(code)}, nil)
}

// opAttachRevoke revokes the session's attach code and answers a new one:
// programs attached with the old code keep running, but none can attach
// with it any more.
func (s *Session) opAttachRevoke(req *call) {
	code := s.cfg.codes.of(s, true)
	s.result(req, "", attachBody{Code: code, Command: s.attachCommand(code), Revoked: true}, nil)
}
