package sessions

import (
	"bytes"
	"encoding/json"

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

// pollStats logs a stat message for every socket whose kernel state
// changed since its last one, while a page is watching. A closed socket is
// followed while the kernel keeps its connection (TIME_WAIT lasts a
// minute); a last message with state CLOSED says when it let go.
func (s *Session) pollStats() {
	if len(s.subs) == 0 {
		return
	}
	for _, h := range s.order {
		e := s.socks[h]
		if e.released {
			continue
		}
		b, err := s.stat(e)
		if err != nil {
			if !e.closed {
				continue
			}
			e.released = true
			if e.lastStat == nil {
				continue
			}
			b = StatBody{Sock: e.handle, State: string(sockets.Closed), Closed: true}
		}
		same := b
		same.ExpiresMS = 0 // a countdown is no change
		j, _ := json.Marshal(same)
		if bytes.Equal(j, e.lastStat) {
			continue
		}
		e.lastStat = j
		s.append(KindStat, b)
	}
}
