package sessions

import (
	"slices"

	"sockplay/sockets"
)

// peekPreview is how many queued bytes a stat message shows.
const peekPreview = 64

// StatBody is a socket's kernel state: the result of op stat, and the body of
// the stat messages pushed while it changes.
type StatBody struct {
	Sock  string `json:"sock"`
	State string `json:"state"`
	InQ   int    `json:"inq"`
	OutQ  int    `json:"outq"`
	Peek  *Data  `json:"peek"` // the first bytes of the receive queue, not consumed
	*TCPInfo

	// A closed socket whose connection the kernel still keeps: closed, and
	// the milliseconds until its timer fires (TIME_WAIT: until it is gone).
	Closed    bool `json:"closed,omitempty"`
	ExpiresMS int  `json:"expires_ms,omitempty"`
}

// TCPInfo holds TCP_INFO's counters, on TCP sockets only.
type TCPInfo struct {
	DataSegsOut   uint32 `json:"data_segs_out"`
	DataSegsIn    uint32 `json:"data_segs_in"`
	SegsOut       uint32 `json:"segs_out"`
	SegsIn        uint32 `json:"segs_in"`
	RTT           uint32 `json:"rtt_us"`
	SndMSS        uint32 `json:"snd_mss"`
	BytesAcked    uint64 `json:"bytes_acked"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalRetrans  uint32 `json:"total_retrans"`
}

// KindStat is a pushed change of a socket's kernel state.
const KindStat = "stat"

// opStat is op stat: e's kernel state, once.
func (s *Session) opStat(_ *call, e *entry) (any, *sockets.Error) {
	return s.stat(e)
}

func (s *Session) stat(e *entry) (StatBody, *sockets.Error) {
	st, err := e.sock.Stat()
	if err != nil {
		return StatBody{}, err
	}
	b := StatBody{Sock: e.handle, State: st.State, InQ: st.InQ, OutQ: st.OutQ, Closed: st.Closed, ExpiresMS: int(st.Expires.Milliseconds())}
	if st.InQ > 0 {
		if p, err := e.sock.Peek(peekPreview); err == nil {
			b.Peek = NewData(p, s.encoding, peekPreview)
		}
	}
	if t := st.TCP; t != nil {
		b.TCPInfo = &TCPInfo{
			DataSegsOut: t.DataSegsOut, DataSegsIn: t.DataSegsIn, SegsOut: t.SegsOut, SegsIn: t.SegsIn,
			RTT: t.RTT, SndMSS: t.SndMSS, BytesAcked: t.BytesAcked, BytesReceived: t.BytesReceived,
			TotalRetrans: t.TotalRetrans,
		}
	}
	return b, nil
}

// followPolls is how many polls in a row must find a socket unchanged
// before it is no longer followed for an op that touched it.
const followPolls = 2

// Which sockets are polled for stat messages, and when (see poll.go): only
// while a page is attached and not every attached connection is hidden,
// and then a socket that an op touched (for followPolls quiet polls after
// its last change) or that a connection watches (op watch: the cards its
// page shows). A socket nobody touches or watches is read by nobody.

// touch follows socket h for a while: an op used it, so its kernel state
// is likely to change.
func (s *Session) touch(h string) {
	if e := s.socks[h]; e != nil && !e.released {
		e.follow = followPolls
		s.enlist()
	}
}

// enlist has the Manager's poller visit the session from the next tick on;
// the visit that finds nothing to follow takes it off the list again.
func (s *Session) enlist() {
	if !s.polled && s.cfg.poller != nil && s.cfg.poller.every > 0 {
		s.polled = true
		s.cfg.poller.enlist(s)
	}
}

// pollStats logs a stat message for every followed socket whose kernel
// state changed since its last one. A closed socket is followed while the
// kernel keeps its connection (TIME_WAIT lasts a minute); a last message
// with state CLOSED says when it let go. It reports whether any socket is
// still followed.
func (s *Session) pollStats() bool {
	var shown []*Subscriber // the connections not hidden
	for sub := range s.subs {
		if !sub.hidden {
			shown = append(shown, sub)
		}
	}
	if s.ending || len(shown) == 0 {
		return false
	}
	more := false
	for _, h := range s.order {
		e := s.socks[h]
		watched := slices.ContainsFunc(shown, func(sub *Subscriber) bool { return slices.Contains(sub.watch, h) })
		if e.released || e.follow == 0 && !watched {
			continue
		}
		if s.pollStat(e) {
			e.follow = followPolls
		} else if e.follow > 0 {
			e.follow--
		}
		more = more || !e.released && (watched || e.follow > 0)
	}
	return more
}

// pollStat reads e's kernel state and logs it if it changed; it reports
// whether it did.
func (s *Session) pollStat(e *entry) bool {
	b, err := s.stat(e)
	if err != nil {
		if !e.closed {
			return false
		}
		e.released = true
		if e.lastStat == nil {
			return false
		}
		b = StatBody{Sock: e.handle, State: string(sockets.Closed), Closed: true}
	}
	k := keyOf(b)
	if e.lastStat != nil && *e.lastStat == k {
		return false
	}
	e.lastStat = new(k)
	s.append(KindStat, b)
	return true
}

// statKey is what a stat message shows, to tell a change from none without
// encoding it: a countdown (ExpiresMS) is no change.
type statKey struct {
	state     string
	inq, outq int
	peek, enc string // the peeked bytes and the encoding that shows them
	tcp       TCPInfo
	tcp0      bool // no TCP_INFO
	closed    bool
}

func keyOf(b StatBody) statKey {
	k := statKey{state: b.State, inq: b.InQ, outq: b.OutQ, closed: b.Closed, tcp0: b.TCPInfo == nil}
	if b.Peek != nil {
		k.peek, k.enc = string(b.Peek.shown), b.Peek.encoding
	}
	if b.TCPInfo != nil {
		k.tcp = *b.TCPInfo
	}
	return k
}

// opWatch sets which sockets the page of req's connection shows: socks,
// or none while hidden. A bad handle leaves the connection's watch as it
// was.
func (s *Session) opWatch(req *call) {
	sub := req.from
	hidden := req.Hidden != nil && *req.Hidden
	if req.Socks == nil && !hidden {
		s.result(req, "", nil, sockets.BadRequest("TypeError", "watch needs socks (a list of the handles a page shows, [] for none) or hidden: true"))
		return
	}
	socks := []string{}
	if !hidden {
		for _, h := range *req.Socks {
			if s.socks[h] == nil {
				s.result(req, "", nil, sockets.BadRequest("", "no socket %q in this session", h))
				return
			}
			if !slices.Contains(socks, h) {
				socks = append(socks, h)
			}
		}
	}
	sub.watch, sub.hidden = socks, hidden
	s.result(req, "", struct {
		Socks  []string `json:"socks"`
		Hidden bool     `json:"hidden"`
	}{socks, hidden}, nil)
	if !hidden {
		s.enlist() // it may show a socket, or let the touched ones be followed again
	}
}
