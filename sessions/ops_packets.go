package sessions

import "sockplay/sockets"

// maxPacketsOp is the most packets one packets request returns (the newest).
const maxPacketsOp = 1000

// packetFields is one packet of the packets op: the packet message's body
// and its seq.
type packetFields struct {
	Seq int64 `json:"seq"`
	PacketBody
}

// opPackets answers {"op":"packets","after":seq} (inside withLock) with
// the packet messages logged after seq that the session still keeps (its newest maxRecentPackets, within the log) (after absent: all it
// holds), the newest maxPacketsOp of them: sockplay.packets() in a program,
// which does not receive the log's packet messages.
func (s *Session) opPackets(req *call) {
	after := int64(0)
	if req.After != nil {
		after = *req.After
	}
	if after < 0 {
		s.result(req, "", nil, sockets.BadRequest("ValueError", "after must be a seq, 0 or more"))
		return
	}
	after = max(after, s.firstSeq()-1)
	out := []packetFields{}
	for _, lp := range s.packets.recent {
		if lp.seq > after {
			out = append(out, packetFields{lp.seq, lp.body})
		}
	}
	if len(out) > maxPacketsOp {
		out = out[len(out)-maxPacketsOp:]
	}
	s.result(req, "", struct {
		Packets []packetFields `json:"packets"`
	}{out}, nil)
}
