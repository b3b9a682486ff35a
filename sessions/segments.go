package sessions

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"sockplay/sockets"
)

// The segments op: the TCP segments of one socket's connection, as its
// host's capture saw them (the packet messages in the log), with sequence
// numbers relative to each side's first one as Wireshark shows them, and
// absolute. Packets come a moment after the calls that caused them, so the
// op waits, up to segmentsWait, until count of them have come.

const (
	segmentsWait = 3 * time.Second
	segmentsPoll = 10 * time.Millisecond
	// MaxSegments is the most segments one segments result lists.
	MaxSegments = 64
)

// SegmentsFields are the segments op's result fields.
type SegmentsFields struct {
	Segments []string     `json:"segments"` // "→ SYN seq=0 len=0": → from the socket, ← to it; relative numbers
	Absolute []string     `json:"absolute"` // the same lines with the numbers on the wire
	Lens     []int        `json:"lens"`     // each segment's payload bytes
	ISN      *ISNFields   `json:"isn"`      // the first sequence numbers: J (local), K (peer)
	Packets  []PacketBody `json:"packets"`  // the packet messages themselves
}

// ISNFields are a connection's initial sequence numbers: the socket's own
// (J for a client) and its peer's (K).
type ISNFields struct {
	Local uint32 `json:"local"`
	Peer  uint32 `json:"peer"`
}

// segmentsQuery is what a segments request asks for.
type segmentsQuery struct {
	host        string
	local, peer sockets.Addr
	dataOnly    bool
	flags       []string // each listed segment has all of them
	count       int      // wait until this many are listed
	bytes       int      // and until they carry this many payload bytes
}

// opSegments answers with the segments of req.Sock's connection (inside
// withLock); it waits on a goroutine of its own, counted in s.ops.
func (s *Session) opSegments(req *call) {
	q, e := s.segmentsQuery(req)
	if e != nil {
		s.result(req, req.Sock, nil, e)
		return
	}
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		deadline := time.Now().Add(segmentsWait)
		for {
			var f SegmentsFields
			done := false
			alive := s.withLock(func() {
				if s.ending {
					done = true
					return
				}
				f = s.segments(q)
				n := 0
				for _, l := range f.Lens {
					n += l
				}
				if len(f.Lens) >= q.count && n >= q.bytes || time.Now().After(deadline) {
					done = true
					var e *sockets.Error
					if len(f.Lens) < q.count || n < q.bytes {
						e = &sockets.Error{Kind: sockets.KindTimeout, Exception: "TimeoutError",
							Message: fmt.Sprintf("within %v, %d segments with %d bytes of data were captured, not the %d segments and %d bytes asked for", segmentsWait, len(f.Lens), n, q.count, q.bytes),
							Hint:    "The segments listed are those captured so far; the connection may not have sent the others (yet)."}
					}
					s.resultWith(req, req.Sock, f, e)
				}
			})
			if done || !alive {
				return
			}
			time.Sleep(segmentsPoll)
		}
	}()
}

// segmentsQuery checks a segments request (inside withLock).
func (s *Session) segmentsQuery(req *call) (segmentsQuery, *sockets.Error) {
	e, ok := s.socks[req.Sock]
	switch {
	case req.Sock == "":
		return segmentsQuery{}, sockets.BadRequest("TypeError", "segments needs sock: a connected TCP socket")
	case !ok:
		return segmentsQuery{}, sockets.BadRequest("", "no socket %q in this session", req.Sock)
	case e.sock.Type() != sockets.SockStream:
		return segmentsQuery{}, sockets.BadRequest("", "segments shows a TCP connection's segments; %s is a datagram socket", req.Sock)
	}
	q := segmentsQuery{host: e.host, dataOnly: req.DataOnly, flags: req.Flags, count: 1}
	if req.Count != nil {
		q.count = *req.Count
	}
	if q.count < 0 || q.count > MaxSegments {
		return q, sockets.BadRequest("ValueError", "count is 0 to %d, not %d", MaxSegments, q.count)
	}
	if req.Bytes != nil {
		q.bytes = *req.Bytes
	}
	if q.bytes < 0 || q.bytes > sockets.MaxBufsize {
		return q, sockets.BadRequest("ValueError", "bytes is 0 to %d, not %d", sockets.MaxBufsize, q.bytes)
	}
	if q.host == "" {
		if s.network.make == nil {
			return q, &sockets.Error{Kind: sockets.KindLimit, Message: "this session's own sockets share this machine's network, whose packets are not captured",
				Hint: "Make the socket on a lab host ({\"op\":\"socket\",\"host\":\"h1\"}, after {\"op\":\"lab\",\"hosts\":3}) to see its segments."}
		}
		q.host = "h1"
	}
	local, err1 := e.sock.GetSockName()
	peer, err2 := e.sock.GetPeerName()
	switch {
	case err1 == nil && err2 == nil:
		q.local, q.peer = local, peer
	case e.connPeer != nil: // shut down or closed: the connection it had
		q.local, q.peer = *e.connLocal, *e.connPeer
	default:
		return q, sockets.BadRequest("", "segments needs a socket that is or was connected; %s never was", req.Sock)
	}
	return q, nil
}

// segments collects q's segments from the log (inside withLock), from the
// connection's last SYN on. The ISNs come from all of its segments, the
// lines from those q's filters pass.
func (s *Session) segments(q segmentsQuery) SegmentsFields {
	f := SegmentsFields{Segments: []string{}, Absolute: []string{}, Lens: []int{}, Packets: []PacketBody{}}
	var all []PacketBody
	var out []bool // per packet of all: sent by the socket
	for _, lp := range s.packets.recent {
		p := lp.body
		if p.TCP == nil || p.Host != q.host {
			continue
		}
		sent := sameAddr(p.Src, q.local) && sameAddr(p.Dst, q.peer)
		if sent || sameAddr(p.Src, q.peer) && sameAddr(p.Dst, q.local) {
			all, out = append(all, p), append(out, sent)
		}
	}
	// A connection of the same addresses before this one (a port used
	// again) ends where this one's SYN is.
	for i := len(all) - 1; i > 0; i-- {
		if flags := all[i].TCP.Flags; slices.Contains(flags, "SYN") && !slices.Contains(flags, "ACK") {
			all, out = all[i:], out[i:]
			break
		}
	}
	if len(all) == 0 {
		return f
	}
	isn := firstSeqs(all, out)
	f.ISN = &isn
	for i, p := range all {
		if !q.wants(p) || len(f.Packets) == MaxSegments {
			continue
		}
		own, other, arrow := isn.Local, isn.Peer, "→"
		if !out[i] {
			own, other, arrow = isn.Peer, isn.Local, "←"
		}
		f.Packets = append(f.Packets, p)
		f.Segments = append(f.Segments, segmentLine(arrow, p, p.TCP.Seq-own, p.TCP.Ack-other))
		f.Absolute = append(f.Absolute, segmentLine(arrow, p, p.TCP.Seq, p.TCP.Ack))
		f.Lens = append(f.Lens, *p.Len)
	}
	return f
}

// wants reports whether a segment of the connection passes q's filters.
func (q segmentsQuery) wants(p PacketBody) bool {
	if q.dataOnly && *p.Len == 0 {
		return false
	}
	for _, f := range q.flags {
		if !slices.Contains(p.TCP.Flags, f) {
			return false
		}
	}
	return true
}

// firstSeqs finds each side's first sequence number: its SYN's, or the
// first it was seen with.
func firstSeqs(ps []PacketBody, out []bool) ISNFields {
	var isn ISNFields
	var seen, synSeen [2]bool
	for i, p := range ps {
		side := 1
		if out[i] {
			side = 0
		}
		syn := slices.Contains(p.TCP.Flags, "SYN")
		if seen[side] && (synSeen[side] || !syn) {
			continue
		}
		seen[side], synSeen[side] = true, syn
		if side == 0 {
			isn.Local = p.TCP.Seq
		} else {
			isn.Peer = p.TCP.Seq
		}
	}
	return isn
}

// segmentLine is one line of the diagram: "← SYN,ACK seq=0 ack=1 len=0".
func segmentLine(arrow string, p PacketBody, seq, ack uint32) string {
	line := fmt.Sprintf("%s %s seq=%d", arrow, strings.Join(p.TCP.Flags, ","), seq)
	if slices.Contains(p.TCP.Flags, "ACK") {
		line += fmt.Sprintf(" ack=%d", ack)
	}
	return line + fmt.Sprintf(" len=%d", *p.Len)
}

// sameAddr reports whether a packet's address is a.
func sameAddr(p Addr, a sockets.Addr) bool {
	return p.A != nil && p.A.Port == a.Port && p.A.Host == a.Host
}
