package protocol

import "bytes"

// The requests of protocol v1, as Go values (see web/PROTOCOL.md).
//
// Adding a field: add it to Request (or to the args struct of its ops) with
// its JSON name as the tag, and a plain Go type the decoder knows: string,
// bool, *bool, *int, *int64, *string, []string, *[]string, Raw (any JSON,
// kept as sent, read by the op: see args.go), AddrArg (an address, read as
// the request is decoded), map[string]any, or a pointer
// to a struct of those (Payload, FramingArg). Nothing else is needed: the
// decoder finds the fields by reflection, once (fields.go), and refuses at
// start a type it does not know or a JSON name used twice. "absent" and
// "null" differ only for pointers and Raw: a null leaves a string or bool
// as it is and sets a pointer to nil, as encoding/json does.

// Request is one request, as decoded from its JSON. The fields an op reads
// as JSON of several types (a timeout, an option value, an id) keep their
// JSON as Raw, read by args.go's functions when the op runs, so that absent
// (nil), null and a wrong type stay apart and a field the op does not use is
// never refused. The address is read as the request is decoded (AddrArg),
// and its error too is the op's to report.
//
// The fields of the socket calls on the hot path (recv, recvfrom, send,
// sendto, sendall) are Request's own; every other op's are in RareArgs,
// which a Request points to. A frame's requests are decoded into one
// slice: without the rare fields a Request is a quarter of the size, and
// so is the memory each round trip allocates for it (it was a third of all
// the server allocated under load). A decoded Request always has its
// RareArgs (a shared empty one when the frame named none of their fields):
// read them freely, and write them only through OwnArgs.
type Request struct {
	ID      Raw      `json:"id"`
	Op      string   `json:"op"`
	Sock    string   `json:"sock"`
	Addr    AddrArg  `json:"addr"`
	Data    *Payload `json:"data"`
	Flags   []string `json:"flags"`
	Bufsize *int     `json:"bufsize"`
	Full    bool     `json:"full"` // recv, recvfrom: every byte in the caller's own result
	*RareArgs

	// Echo is the request as the client sent it (shortened when large),
	// repeated in its result and waiting messages. DecodeFrame sets it.
	Echo Raw `json:"-"`

	plainEcho Raw // Echo as DecodeFrame set it, if it is plain (PlainEcho)
}

// RareArgs are the request fields of the ops off the hot path (see Request).
type RareArgs struct {
	Family      string         `json:"family"`
	Type        string         `json:"type"`
	Backlog     *int           `json:"backlog"`
	Level       string         `json:"level"`
	Option      string         `json:"option"`
	Buflen      *int           `json:"buflen"` // getsockopt: read the option's bytes, at most buflen
	Value       Raw            `json:"value"`
	Timeout     Raw            `json:"timeout"`
	Flag        *bool          `json:"flag"`
	How         string         `json:"how"`
	Target      Raw            `json:"target"`
	After       *int64         `json:"after"`
	Encoding    string         `json:"encoding"`
	Framing     *FramingArg    `json:"framing"`
	Header      map[string]any `json:"header"`
	Peer        string         `json:"peer"`
	Options     map[string]any `json:"options"`
	Exercise    string         `json:"exercise"`
	Listen      Raw            `json:"listen"`
	ReplyWait   Raw            `json:"reply_wait"`
	Socks       *[]string      `json:"socks"`
	Hidden      *bool          `json:"hidden"`
	Host        string         `json:"host"`      // socket, spawn: the lab host to make it on ("h2"); "" the session's own network
	Hosts       *int           `json:"hosts"`     // lab: how many hosts (0 tears the lab down)
	Count       *int           `json:"count"`     // segments: how many to wait for
	DataOnly    bool           `json:"data_only"` // segments: only those carrying data
	Bytes       *int           `json:"bytes"`     // segments: how many payload bytes to wait for
	Read        []string       `json:"read"`      // select: the sockets to wait on for reading
	Write       []string       `json:"write"`     // select: the sockets to wait on for writing
	ProgramArgs                // run, stop, input (sessions' ops_program.go)
	CellArgs                   // run {"kernel": true}, cell (sessions' ops_cell.go)

	// Room ops (sessions' room_ops.go). room_join's name, room_show's and
	// room_push's code, room_hint's text and cell are the fields of
	// ProgramArgs and CellArgs; room_follow's flag is Flag.
	Room   string `json:"room"`   // room_join: the room's code
	Page   string `json:"page"`   // room_at, room_drive: the page's path
	Lesson string `json:"lesson"` // room_at, room_drive, room_peers: a lesson's slug
	Step   string `json:"step"`   // room_at, room_drive: the step (cell) in view
	Member string `json:"member"` // room_hint, room_observe, room_reset, room_peers, room_check: a student's roster id
	Output string `json:"output"` // room_show: the cell's output
	OK     *bool  `json:"ok"`     // room_show: whether the cell ran without an exception
}

// noArgs is the RareArgs of the requests that have none: shared, never
// written (OwnArgs makes a new one first).
var noArgs RareArgs

// FillArgs gives r the shared empty RareArgs if it has none, so that its
// rare fields read as zero. DecodeFrame does it; a Request made otherwise
// gets it as a session takes it.
func (r *Request) FillArgs() {
	if r.RareArgs == nil {
		r.RareArgs = &noArgs
	}
}

// OwnArgs returns r's RareArgs to write: its own, made first if it has the
// shared empty one or none.
func (r *Request) OwnArgs() *RareArgs {
	if r.RareArgs == nil || r.RareArgs == &noArgs {
		r.RareArgs = new(RareArgs)
	}
	return r.RareArgs
}

// setEcho sets r's echo, as compacted (and shortened) from the request.
func (r *Request) setEcho(echo Raw) {
	r.Echo, r.plainEcho = echo, nil
	if len(echo) <= maxEcho && plainCompacted(echo) {
		r.plainEcho = echo
	}
}

// PlainEcho reports whether r.Echo is the one DecodeFrame set and plain
// JSON: valid, compact, and with nothing in it that AppendRaw escapes.
// A writer may then copy it as it is, without checking it again (as
// AppendRaw would).
func (r *Request) PlainEcho() bool {
	return len(r.Echo) > 0 && len(r.plainEcho) == len(r.Echo) && &r.plainEcho[0] == &r.Echo[0]
}

// plainCompacted reports whether a compacted valid value is plain (see
// plainJSON): nothing that encoding/json escapes (<, >, & or U+2028,
// U+2029; for speed, any byte 0xE2 counts), and not nested deeper than
// plainScanner reads (fewer brackets than its depth allow).
func plainCompacted(v []byte) bool {
	for _, c := range []byte{'<', '>', '&', 0xE2} {
		if bytes.IndexByte(v, c) >= 0 {
			return false
		}
	}
	// Each bracket opened is closed: a short value has few.
	return len(v) < 2*(maxPlainDepth+1) || bytes.Count(v, []byte{'{'})+bytes.Count(v, []byte{'['}) <= maxPlainDepth
}

// ProgramArgs are the request fields of the program ops (embedded in
// Request).
type ProgramArgs struct {
	Code    *string  `json:"code"`    // run: the program's source
	Name    string   `json:"name"`    // run: its file name (default main.py)
	Args    []string `json:"args"`    // run: its command-line arguments (sys.argv[1:])
	Program string   `json:"program"` // stop, input: which program ("p1")
	Text    *string  `json:"text"`    // input: what to write to its stdin
	EOF     bool     `json:"eof"`     // input: close its stdin after text
	// Lang (run, optional): the language of sockplay's own sentences in
	// the program's exceptions, "en" (the default) or "zh".
	Lang string `json:"lang"`
}

// CellArgs are the request fields of cells (embedded in Request).
type CellArgs struct {
	Kernel bool   `json:"kernel"` // run: start the cell kernel instead of code
	Cell   string `json:"cell"`   // cell: the cell's name, chosen by the client
	// RerunKey (cell, optional): the runs with one key are runs of one
	// cell; each closes first what the earlier ones made and left open
	// (the kernel's re-run cleanup). The lesson page sends its cell's id.
	RerunKey string `json:"rerun_key"`
}

// FramingArg is a request's framing: how messages are cut out of a stream.
type FramingArg struct {
	Kind      string   `json:"kind"`
	Format    string   `json:"format"`
	Delimiter *Payload `json:"delimiter"`
	Size      int      `json:"size"`
}

// MaxBatch is the most requests one frame may hold. A larger batch is
// refused whole, with one bad_request result, before any of it runs.
const MaxBatch = 1000
