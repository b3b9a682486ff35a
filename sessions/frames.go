package sessions

import (
	"context"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
)

// FramingArg is a request's framing (protocol's).
type FramingArg = protocol.FramingArg

// framingOf checks a request's framing and makes it a sockets.Framing.
func framingOf(f *FramingArg, maxData int) (sockets.Framing, *sockets.Error) {
	if f == nil {
		return sockets.Framing{}, sockets.BadRequest("", `framing is required, e.g. {"kind":"length","format":"!I"}`)
	}
	fr := sockets.Framing{Kind: f.Kind, Format: f.Format, Size: f.Size}
	if f.Kind == sockets.FramingDelimiter {
		d, err := f.Delimiter.Bytes(maxData)
		if err != nil {
			return fr, err
		}
		fr.Delimiter = d
	}
	return fr, fr.Validate()
}

// maxReadShown is how many bytes of each recv a recv_frame result shows.
const maxReadShown = 256

// ReadBody is one real recv call a recv_frame made.
type ReadBody struct {
	Bufsize int       `json:"bufsize"`
	Size    int       `json:"size"`
	Data    *Data     `json:"data"` // the first 256 bytes at most
	Peek    bool      `json:"peek"`
	Stream  *[2]int64 `json:"stream,omitempty"`
}

func (s *Session) readBody(r sockets.Read) ReadBody {
	b := ReadBody{Bufsize: r.Bufsize, Size: len(r.Data), Data: NewData(r.Data[:min(len(r.Data), maxReadShown)], s.encoding, maxReadShown), Peek: r.Peek}
	if r.Stream[1] > r.Stream[0] {
		b.Stream = &r.Stream
	}
	return b
}

// KindFrame is recv_frame's progress while it waits.
const KindFrame = "frame"

// FrameBody is the decoder's state after one read of a waiting recv_frame.
type FrameBody struct {
	ID         protocol.Raw `json:"id"`
	Sock       string       `json:"sock"`
	Phase      string       `json:"phase"`
	HeaderRead int          `json:"header_read"`
	Length     *int         `json:"length"`
	Awaiting   *int         `json:"awaiting"`
	Read       *ReadBody    `json:"read,omitempty"`
	Request    protocol.Raw `json:"request,omitempty"`
}

type sendFrameFields struct {
	N      int       `json:"n"`
	Frame  *Data     `json:"frame"`
	Stream *[2]int64 `json:"stream,omitempty"`
}

// frameReads are the reads a recv_frame made, also when it failed.
type frameReads struct {
	Reads []ReadBody `json:"reads"`
}

type recvFrameFields struct {
	Data   *Data          `json:"data"`
	Header map[string]any `json:"header,omitempty"`
	frameReads
	Stream *[2]int64 `json:"stream,omitempty"`
}

func orNil(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// prepareSendFrame prepares send_frame: the framed message is encoded
// here, and sent whole on the op's goroutine.
func (s *Session) prepareSendFrame(req *call, e *entry) (opCall, *sockets.Error) {
	f, err := framingOf(req.Framing, s.cfg.MaxData)
	if err != nil {
		return nil, err
	}
	body, err := req.Data.Bytes(s.cfg.MaxData)
	if err != nil {
		return nil, err
	}
	frame, err := f.Encode(body, req.Header)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		fields := sendFrameFields{Frame: NewData(frame, s.encoding, s.cfg.MaxShown)}
		opts.Tag = sendTag{s.ID, req.ID}
		opts.OnSent = func(r sockets.SendRecord) { fields.Stream = &[2]int64{r.Start, r.End} }
		var err *sockets.Error
		fields.N, err = e.sock.SendMessage(ctx, f, body, req.Header, opts)
		return s.done(req, e, fields, err)
	}, nil
}

// prepareRecvFrame prepares recv_frame: its reads are logged as frame
// messages while it waits, and listed in its result.
func (s *Session) prepareRecvFrame(req *call, e *entry) (opCall, *sockets.Error) {
	sock := e.sock
	f, err := framingOf(req.Framing, s.cfg.MaxData)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, opts sockets.CallOptions) func() {
		progress := func(p sockets.Progress) {
			b := FrameBody{
				ID: req.ID, Sock: e.handle, Phase: p.Phase, HeaderRead: p.PrefixRead,
				Length: orNil(p.Declared), Awaiting: orNil(p.Awaiting), Request: req.Echo,
			}
			s.withLock(func() {
				if s.ending {
					return
				}
				if p.Read != nil {
					r := s.readBody(*p.Read)
					b.Read = &r
				}
				s.append(KindFrame, b)
			})
		}
		fr, reads, err := sock.RecvMessage(ctx, f, progress, opts)
		return func() {
			rs := make([]ReadBody, len(reads))
			var span *[2]int64
			for i, r := range reads {
				rs[i] = s.readBody(r)
				if rs[i].Stream != nil {
					if span == nil {
						span = &[2]int64{r.Stream[0], r.Stream[1]}
					}
					span[1] = r.Stream[1]
				}
			}
			if err != nil {
				// The reads made before the failure still show in the log.
				s.resultWith(req, e.handle, frameReads{rs}, err)
				s.refresh(e)
				return
			}
			s.done(req, e, recvFrameFields{NewData(fr.Body, s.encoding, s.cfg.MaxShown), fr.Header, frameReads{rs}, span}, nil)()
		}
	}, nil
}
