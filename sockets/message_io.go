package sockets

import (
	"context"
	"fmt"
)

// KindEOF is the kind of error for a peer that closed the connection before
// a whole message arrived (a recv() returned no bytes). Its exception is
// asyncio's IncompleteReadError, which says the same thing in Python.
const KindEOF Kind = "eof"

// peekSize is how many bytes RecvMessage peeks at to look for a delimiter.
const peekSize = 4096

// messageChunk is the most RecvMessage asks of one recv() call (64 KiB): a
// longer body takes several calls, as Python's recv loops do.
const messageChunk = pooledSize

// Read is one real recv() call that RecvMessage made.
type Read struct {
	Bufsize int    // the bufsize asked for
	Data    []byte // the bytes the kernel returned (empty: the peer closed)
	Peek    bool   // a recv(bufsize, MSG_PEEK): the bytes were left in the queue

	// The bytes' place in the incoming stream, and the peer's send calls
	// they hold (see Received).
	Stream [2]int64
	Sends  []SendRecord
}

// messageState is a socket's RecvMessage bookkeeping.
type messageState struct {
	turn    chan struct{} // held by the running RecvMessage
	pending []byte        // guarded by Socket.mu: bytes read for an unfinished message
}

func (s *Socket) messageState() *messageState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.messages == nil {
		s.messages = &messageState{turn: make(chan struct{}, 1)}
	}
	return s.messages
}

func (s *Socket) setPending(st *messageState, b []byte) {
	s.mu.Lock()
	st.pending = b
	s.mu.Unlock()
}

// MessagePending is how many bytes an interrupted RecvMessage read from the
// socket without completing a message. They are no longer in the kernel's
// queue (a plain recv() does not see them); the next RecvMessage starts with
// them.
func (s *Socket) MessagePending() int {
	st := s.messageState()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(st.pending)
}

// SendMessage encodes body (and, for json_header, header) with f and sends
// the message with one sendall() (the protocol's send_frame). n is the
// number of bytes written, all of the message unless an error stopped the
// send part way.
func (s *Socket) SendMessage(ctx context.Context, f Framing, body []byte, header map[string]any, opts CallOptions) (n int, e *Error) {
	if e := s.streamOnly("send"); e != nil {
		return 0, e
	}
	wire, e := f.Encode(body, header)
	if e != nil {
		return 0, e
	}
	return s.SendAll(ctx, wire, opts)
}

func (s *Socket) streamOnly(verb string) *Error {
	if e := s.checkOpen(); e != nil {
		return e
	}
	if s.typ != SockStream {
		return &Error{Kind: KindBadRequest, Message: fmt.Sprintf("framing is for SOCK_STREAM sockets; this one is %s", s.typ),
			Hint: fmt.Sprintf("A UDP datagram keeps its boundaries, so there is nothing to frame: %s it with sendto()/recvfrom().", verb)}
	}
	return nil
}

// RecvMessage receives one message with f, in real recv() calls, and
// returns it with the list of those calls (the protocol's recv_frame). It
// never consumes a byte past the message:
//   - length, fixed, json_header: each call asks for exactly the bytes still
//     needed for the current part (at most 64 KiB at a time);
//   - delimiter: it peeks (MSG_PEEK, up to 4096 bytes); when the delimiter
//     is in the peeked bytes it recv()s exactly through it, otherwise it
//     recv()s the peeked bytes and peeks again when more arrive.
//
// Each call waits as Recv does, with the socket's timeout applying to each
// call, as it would in a Python loop. progress, if not nil, is called after
// each call that returned (peeks included), with the decoder's Progress and
// that call as Progress.Read, and once after the carried-over bytes are
// taken (Read nil).
//
// Only one RecvMessage runs at a time on a socket; others wait their turn.
// If a call fails (timeout, cancel, an OS error) after part of the message was
// read, those bytes are kept on the socket and the next RecvMessage continues
// the message with them (Message.Carried counts them); the error's hint says so.
// If the next RecvMessage uses another framing, the kept bytes are decoded
// with it. When the peer closes mid-message (KindEOF) or the bytes are not a
// valid message (KindLimit, KindFraming), the bytes read are dropped: the stream
// is over or out of step. A call that failed is not listed (its error is
// returned); one that returned no bytes (the peer closed) is.
func (s *Socket) RecvMessage(ctx context.Context, f Framing, progress func(Progress), opts CallOptions) (Message, []Read, *Error) {
	if e := f.Validate(); e != nil {
		return Message{}, nil, e
	}
	if e := s.streamOnly("receive"); e != nil {
		return Message{}, nil, e
	}
	st := s.messageState()
	select {
	case st.turn <- struct{}{}:
	default:
		if opts.OnWait != nil {
			opts.OnWait()
		}
		select {
		case st.turn <- struct{}{}:
		case <-ctx.Done():
			return Message{}, nil, cancelledError()
		}
	}
	defer func() { <-st.turn }()

	d := NewDecoder(f)
	var reads []Read
	report := func() {
		if progress == nil {
			return
		}
		p := d.Progress()
		if len(reads) > 0 {
			r := reads[len(reads)-1]
			p.Read = &r
		}
		progress(p)
	}
	s.mu.Lock()
	carried := st.pending
	st.pending = nil
	s.mu.Unlock()
	if len(carried) > 0 {
		n, msg, e := d.Feed(carried)
		report()
		if e != nil {
			return Message{}, nil, e
		}
		if msg != nil {
			// Another framing ended the message inside the kept bytes.
			s.setPending(st, carried[n:])
			msg.Carried = n
			return *msg, nil, nil
		}
	}

	recv := func(bufsize int, peek bool) ([]byte, *Error) {
		var flags []string
		if peek {
			flags = []string{"MSG_PEEK"}
		}
		r, e := s.Recv(ctx, bufsize, flags, opts)
		if e != nil {
			return nil, s.interrupted(st, d, e)
		}
		reads = append(reads, Read{Bufsize: bufsize, Data: r.Data, Peek: peek, Stream: r.Stream, Sends: r.Sends})
		if len(r.Data) == 0 || peek {
			report()
		}
		if len(r.Data) == 0 {
			return nil, eofError(d)
		}
		return r.Data, nil
	}
	for {
		want := min(d.Want(), messageChunk)
		if f.Kind == FramingDelimiter {
			room := MaxMessage + len(f.Delimiter) - d.consumed()
			peeked, e := recv(min(peekSize, room), true)
			if e != nil {
				return Message{}, reads, e
			}
			want = len(peeked)
			if end := d.delimEnd(peeked); end >= 0 {
				want = end
			}
		}
		data, e := recv(want, false)
		if e != nil {
			return Message{}, reads, e
		}
		n, msg, e := d.Feed(data)
		report()
		if e != nil {
			return Message{}, reads, e
		}
		if msg != nil {
			// The kernel gave no more than was asked, and no more was asked
			// than the message needed, so n == len(data); keep any rest anyway.
			s.setPending(st, append([]byte(nil), data[n:]...))
			msg.Carried = len(carried)
			return *msg, reads, nil
		}
	}
}

// interrupted keeps the bytes of the unfinished message on the socket and
// says so in the error's hint.
func (s *Socket) interrupted(st *messageState, d *Decoder, e *Error) *Error {
	kept := d.wire()
	if len(kept) == 0 {
		return e
	}
	s.setPending(st, kept)
	e2 := *e
	e2.Hint = fmt.Sprintf("%s The %d bytes of this frame read so far are kept, and the next frame receive on this socket continues from them.", e.Hint, len(kept))
	if e.Hint == "" {
		e2.Hint = e2.Hint[1:]
	}
	return &e2
}

// eofError describes a stream that ended inside a message, in the words of
// asyncio's IncompleteReadError, for the decoder's state.
func eofError(d *Decoder) *Error {
	p := d.Progress()
	total := "undefined"
	switch {
	case d.f.Kind == FramingFixed:
		total = fmt.Sprint(d.f.Size)
	case p.Declared >= 0:
		total = fmt.Sprint(p.PrefixSize + max(p.HeaderSize, 0) + p.Declared)
	}
	var where string
	switch {
	case p.Consumed == 0:
		where = "before a new frame began, so there are no more frames"
	case p.Phase == PhaseHeader:
		where = fmt.Sprintf("after %d of the %d bytes of the length prefix", p.PrefixRead, p.PrefixSize)
	case p.Phase == PhaseJSONHeader:
		where = fmt.Sprintf("after the %d-byte length prefix and %d of the %d bytes of the JSON header", p.PrefixSize, p.HeaderRead, p.HeaderSize)
	case d.f.Kind == FramingDelimiter:
		where = fmt.Sprintf("after %d bytes, before the delimiter %s", p.BodyRead, PyBytes(d.f.Delimiter))
	default:
		where = fmt.Sprintf("after %d of the %d bytes of the body", p.BodyRead, p.Declared)
		if p.PrefixSize > 0 {
			where += fmt.Sprintf(" (%d bytes of the frame in all)", p.Consumed)
		}
	}
	return &Error{
		Kind:      KindEOF,
		Exception: "IncompleteReadError",
		Message:   fmt.Sprintf("%d bytes read on a total of %s expected bytes", p.Consumed, total),
		Hint:      "The peer closed the connection (recv() returned b'') " + where + ".",
	}
}
