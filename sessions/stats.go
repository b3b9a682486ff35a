package sessions

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"sockplay/sockets"
)

// Stats are a Manager's figures for an operator (read by a metrics
// collector on the web side; this package knows nothing of the format).
// The totals only go up, from the Manager's start.
type Stats struct {
	Sessions        int              // live sessions
	Sockets         int              // sockets open in live sessions (a running peer or check counts as one, as for --max-sockets)
	Attached        int              // connections (pages) attached to live sessions
	SessionsStarted int64            // sessions created
	BytesIn         int64            // payload bytes returned by receive calls (recv, recvfrom, recv_frame)
	BytesOut        int64            // payload bytes accepted by send calls (send, sendall, sendto, send_frame)
	PagesDropped    int64            // connections dropped because their page did not keep up ("too slow")
	Waits           int64            // calls that waited (each had a waiting message)
	WaitGoroutines  int64            // goroutines started for calls that may wait: fewer than Waits when a later frame of a receive's step, or the next step within Config.DeferWait, fed it (DoFrames, launchDeferred)
	LimitHits       map[string]int64 // requests refused by a limit, by the limit's name (see limitOf)
}

// OpObserver is told of every finished request (see Config.OnOp): op is
// its op ("other" for a name that is no op, so the set stays small),
// outcome "ok" or its error type (os, timeout, policy, limit, bad_request,
// cancelled), d the time from the request reaching the session to its
// result being logged.
type OpObserver func(op, outcome string, d time.Duration)

// limits are the names a limit hit is counted under: the op that was
// refused says which limit it met.
var limits = [...]string{"sockets", "data", "bufsize", "frame", "peers", "checks", "programs", "input", "other"}

// limitOf names the limit that refused op (its opSpec's).
func limitOf(op string) string {
	if spec := opTable[op]; spec != nil && spec.limit != "" {
		return spec.limit
	}
	return "other"
}

// counters are a Manager's running totals; every session adds to them.
type counters struct {
	started, bytesIn, bytesOut, dropped atomic.Int64
	waits, waitGoroutines               atomic.Int64
	limitHits                           [len(limits)]atomic.Int64 // by index in limits
}

// sessionCounts are one session's own totals, for the line logged when it
// ends. Guarded by the session lock.
type sessionCounts struct {
	ops, bytesIn, bytesOut int64
	programs               int64 // programs run (ops_program.go)
}

// Stats returns the Manager's figures. It takes each live session's lock
// in turn, briefly.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	live := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		live = append(live, s)
	}
	m.mu.Unlock()
	st := Stats{
		Sessions:        len(live),
		SessionsStarted: m.cfg.counts.started.Load(),
		BytesIn:         m.cfg.counts.bytesIn.Load(),
		BytesOut:        m.cfg.counts.bytesOut.Load(),
		PagesDropped:    m.cfg.counts.dropped.Load(),
		Waits:           m.cfg.counts.waits.Load(),
		WaitGoroutines:  m.cfg.counts.waitGoroutines.Load(),
		LimitHits:       make(map[string]int64, len(limits)),
	}
	for i, name := range limits {
		st.LimitHits[name] = m.cfg.counts.limitHits[i].Load()
	}
	for _, s := range live {
		s.withLock(func() { st.Sockets, st.Attached = st.Sockets+s.openCount(), st.Attached+len(s.subs) })
	}
	return st
}

// counted records a finished request: the session's and the Manager's
// totals, and the Config's OnOp. It runs under the session lock.
func (s *Session) counted(req *call, fields any, e *sockets.Error) {
	s.counts.ops++
	var in, out int
	switch f := fields.(type) {
	case sendFields:
		out = f.N
	case recvFields:
		in = f.size()
	case recvfromFields:
		in = f.size()
	case sendFrameFields:
		out = f.N
	case recvFrameFields:
		in = f.frameReads.size()
	case frameReads:
		in = f.size()
	}
	s.countIO(in, out)
	outcome := "ok"
	if e != nil {
		outcome = string(e.Kind)
		if e.Kind == sockets.KindLimit {
			for i, name := range limits {
				if name == limitOf(req.Op) {
					s.cfg.counts.limitHits[i].Add(1)
				}
			}
		}
	}
	if s.cfg.OnOp != nil {
		var d time.Duration
		if !req.Start.IsZero() {
			d = time.Since(req.Start)
		}
		name := "other"
		if req.op() != nil {
			name = req.Op
		}
		s.cfg.OnOp(name, outcome, d) // as opName names it
	}
}

// size is the number of bytes received.
func (f recvFields) size() int {
	if f.Data == nil {
		return 0
	}
	return f.Data.Size()
}

// size is the number of bytes the reads took from the stream.
func (r frameReads) size() int {
	n := 0
	for _, rd := range r.Reads {
		if !rd.Peek {
			n += rd.Size
		}
	}
	return n
}

// countIO adds payload bytes received (in) and sent (out) to the totals.
// It runs under the session lock.
func (s *Session) countIO(in, out int) {
	if in > 0 {
		s.counts.bytesIn += int64(in)
		s.cfg.counts.bytesIn.Add(int64(in))
	}
	if out > 0 {
		s.counts.bytesOut += int64(out)
		s.cfg.counts.bytesOut.Add(int64(out))
	}
}

// opName is op if opTable declares it, else "other".
func opName(op string) string {
	if _, ok := opTable[op]; ok {
		return op
	}
	return "other"
}

// LogName is a short name for the session in logs: a hash of its id, never
// the id itself, which is the learner's key to the session.
func (s *Session) LogName() string {
	h := sha256.Sum256([]byte(s.ID))
	return hex.EncodeToString(h[:4])
}

// logEnd logs the end of s with its totals; s has ended.
func (s *Session) logEnd(log *slog.Logger, reason string) {
	s.mu.Lock()
	c, socks := s.counts, s.next
	s.mu.Unlock()
	log.Info("session end", "session", s.LogName(), "reason", reason,
		"age", s.cfg.Now().Sub(s.created).Round(time.Second),
		"ops", c.ops, "sockets", socks, "bytes_in", c.bytesIn, "bytes_out", c.bytesOut, "programs", c.programs)
}
