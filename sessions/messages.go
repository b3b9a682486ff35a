package sessions

import (
	"time"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// Protocol is the name of the wire protocol, sent in every hello.
const Protocol = "sockplay.v1"

// Message is one entry of a session's log: what the page renders. Seq, Kind
// and Time are common to all; Body holds the kind's own fields (one of the
// *Body types below), which the wire format flattens into the same JSON
// object. See web/PROTOCOL.md.
//
// A message the session logged also carries its body's members as the log
// holds them (AppendMessage sends those). A replayed one carries only
// those: the log keeps no Body, and its Time is to the millisecond.
type Message struct {
	Seq  int64
	Kind string
	Time time.Time
	Body any

	fields []byte // Body's members as encoded when logged (AppendFields); nil: not encoded
}

// WithBody is m with body instead of its own: a front end's form of the
// message (such as a program's channel writing its errors in the program's
// language), encoded from body as it is sent.
func (m Message) WithBody(body any) Message {
	m.Body, m.fields = body, nil
	return m
}

// The message kinds.
const (
	KindHello    = "hello"
	KindResult   = "result"
	KindWaiting  = "waiting"
	KindSocket   = "socket"
	KindSnapshot = "snapshot"
	KindBye      = "bye"
)

// HelloBody is the first message on every connection.
type HelloBody struct {
	Session  string     `json:"session"`
	Protocol string     `json:"protocol"`
	Resumed  bool       `json:"resumed"`
	LastSeq  int64      `json:"last_seq"`
	Encoding string     `json:"encoding"`
	Network  string     `json:"network"` // NetworkHost or NetworkPrivate
	Policy   PolicyInfo `json:"policy"`
	Limits   Limits     `json:"limits"`
	// Programs says whether op run can run programs here; when it cannot,
	// ProgramsNote says why, in a sentence (ops_program.go).
	Programs     bool   `json:"programs"`
	ProgramsNote string `json:"programs_note,omitempty"`
}

// PolicyInfo tells the page what the address policy allows.
type PolicyInfo struct {
	Profile  string `json:"profile"`
	Bind     string `json:"bind"`
	Connect  string `json:"connect"`
	Wildcard bool   `json:"wildcard"`
}

// Limits are the session's limits, as the page may want to show them.
type Limits struct {
	Sockets  int `json:"sockets"`
	Log      int `json:"log"`       // messages kept for resume
	LogBytes int `json:"log_bytes"` // bytes of messages kept for resume: their records' JSON
	Bufsize  int `json:"bufsize"`
	Data     int `json:"data"`     // bytes in one request's data
	Shown    int `json:"shown"`    // bytes of a chunk a message carries
	Batch    int `json:"batch"`    // requests in one frame (MaxBatch)
	Programs int `json:"programs"` // programs running at once (MaxPrograms)
}

// MaxBatch is the most requests one frame may hold (protocol.MaxBatch).
const MaxBatch = protocol.MaxBatch

// MaxBacklog is the largest listen backlog a request may ask for (the
// kernel caps any backlog at net.core.somaxconn anyway).
const MaxBacklog = 65535

// ResultBody is the outcome of one request. Fields holds the op's result
// fields (a struct with JSON tags), flattened beside the common ones.
type ResultBody struct {
	ID      protocol.Raw `json:"id"`
	Op      string       `json:"op"`
	OK      bool         `json:"ok"`
	Sock    string       `json:"sock,omitempty"`
	Error   *ErrorBody   `json:"error,omitempty"`
	Request protocol.Raw `json:"request,omitempty"`
	Fields  any          `json:"-"`

	plainRequest bool // Request is its request's PlainEcho: written as it is
}

// ErrorBody is a failed request's error, as in the protocol.
type ErrorBody struct {
	Type      string `json:"type"`
	Errno     string `json:"errno,omitempty"`
	Code      int    `json:"code,omitempty"`
	Exception string `json:"exception,omitempty"`
	Message   string `json:"message"`
	Hint      string `json:"hint,omitempty"`
}

func errorBody(e *sockets.Error) *ErrorBody {
	return &ErrorBody{Type: string(e.Kind), Errno: e.Errno, Code: e.Code, Exception: e.Exception, Message: e.Message, Hint: e.Hint}
}

// WaitingBody says a blocking request is waiting in the kernel.
type WaitingBody struct {
	ID      protocol.Raw `json:"id"`
	Op      string       `json:"op"`
	Sock    string       `json:"sock,omitempty"` // absent for check, which has no socket
	Request protocol.Raw `json:"request,omitempty"`

	plainRequest bool // Request is its request's PlainEcho: written as it is
}

// SocketBody is a socket's state.
type SocketBody struct {
	Sock     string         `json:"sock"`
	FD       int            `json:"fd"`
	Family   sockets.Family `json:"family"`
	Type     sockets.Type   `json:"type"`
	State    sockets.State  `json:"state"`
	Laddr    Addr           `json:"laddr"`
	Raddr    Addr           `json:"raddr"`
	Timeout  protocol.Raw   `json:"timeout"`
	Options  map[string]int `json:"options"`
	ShutRD   bool           `json:"shut_rd"`
	ShutWR   bool           `json:"shut_wr"`
	Listener string         `json:"listener"`
	Host     string         `json:"host,omitempty"`    // the lab host it lives on (lab.go)
	Program  string         `json:"program,omitempty"` // the program that made it (program.go)
}

// SnapshotBody replaces a replay the log can no longer give.
type SnapshotBody struct {
	Sockets  []SocketBody    `json:"sockets"`
	Pending  []WaitingBody   `json:"pending"`
	Peers    []PeerFields    `json:"peers"`
	Programs []ProgramFields `json:"programs"` // running programs (ops_program.go)
	Encoding string          `json:"encoding"`
	FirstSeq int64           `json:"first_seq"`
	Lab      *LabFields      `json:"lab"` // the session's lab, as a lab result lists it; null without one
}

// ByeBody says the session is ending.
type ByeBody struct {
	Reason string `json:"reason"`
}

// Addr is a socket address on the wire: Python's tuple as a JSON array, or
// null.
type Addr struct{ A *sockets.Addr }

// MarshalJSON writes [host, port] (four elements for IPv6) or null.
func (a Addr) MarshalJSON() ([]byte, error) {
	if a.A == nil {
		return []byte("null"), nil
	}
	return a.appendJSON(nil), nil
}

func addrOf(a sockets.Addr) Addr { return Addr{&a} }

func timeoutJSON(d *time.Duration) protocol.Raw {
	if d == nil {
		return protocol.Null
	}
	b, _ := protocol.AppendFloat(nil, d.Seconds(), 64) // a duration is finite
	return b
}
