package sessions

import (
	"bytes"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// The session's own ops: resume, cancel and encoding name no socket.

// opResume replays the session's messages after req.After to the
// connection that asked.
func (s *Session) opResume(req *call) {
	if req.After == nil {
		s.result(req, "", nil, sockets.BadRequest("", "resume needs after (the last seq seen, 0 for all)"))
		return
	}
	// A seq the session never had is another session's, or a client's
	// mistake: replaying nothing would hide it.
	if *req.After < 0 || *req.After > s.lastSeq {
		s.result(req, "", nil, sockets.BadRequest("ValueError", "resume after %d: this session's seqs run from 1 to %d (0 replays everything); a last seq beyond them belongs to another session", *req.After, s.lastSeq))
		return
	}
	n, snap := s.replay(req.from, *req.After)
	s.result(req, "", struct {
		Replayed int  `json:"replayed"`
		Snapshot bool `json:"snapshot"`
	}{n, snap}, nil)
}

// opCancel cancels the waiting request whose id is req.Target.
func (s *Session) opCancel(req *call) {
	key := string(bytes.TrimSpace(req.Target))
	p, ok := s.pending[key]
	if !ok {
		s.result(req, "", nil, sockets.BadRequest("", "no waiting request has id %s", orNull(req.Target)))
		return
	}
	p.cancel()
	s.result(req, "", struct {
		Target protocol.Raw `json:"target"`
	}{req.Target}, nil)
}

// opEncoding sets the encoding that shows the session's payloads.
func (s *Session) opEncoding(req *call) {
	if req.Encoding != UTF8 && req.Encoding != GBK {
		s.result(req, "", nil, sockets.BadRequest("LookupError", "unknown encoding: %q (utf-8 or gbk)", req.Encoding))
		return
	}
	s.encoding = req.Encoding
	s.result(req, "", struct {
		Encoding string `json:"encoding"`
	}{s.encoding}, nil)
}
