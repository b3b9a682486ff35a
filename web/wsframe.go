package web

import (
	"errors"
	"io"

	"github.com/gorilla/websocket"
)

// A connection's WebSocket frames in memory: how the reader reads one, and
// the buffers the reader and the writer keep from one frame to the next.

// errFrameTooLarge is readFrame's error for a frame past maxFrame: its
// reader closes with 1009 (through the writer, so gorilla's read limit,
// which writes the close itself, is not used).
var errFrameTooLarge = errors.New("frame larger than maxFrame")

// readFrame reads the next message into buf's memory (ReadMessage starts
// from a fresh 512-byte buffer and grows it, for every frame), growing it
// as append does; a message past maxFrame is errFrameTooLarge.
func readFrame(conn *websocket.Conn, buf []byte) (int, []byte, error) {
	typ, r, err := conn.NextReader()
	if err != nil {
		return typ, nil, err
	}
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // room for the next read
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > maxFrame {
			return typ, nil, errFrameTooLarge
		}
		if err == io.EOF {
			return typ, b, nil
		}
		if err != nil {
			return typ, nil, err
		}
	}
}

// maxKeptFrame is the largest frame buffer a connection keeps for good; a
// larger one (it held a batch of big receives) is kept while large frames
// keep coming, and left to the collector after keepSmall small ones.
const (
	maxKeptFrame = 64 << 10
	keepSmall    = 64
)

// frameBuf is the memory a connection keeps of the frames it reads, or of
// those it writes, for the next one. A bulk transfer's 64 KiB chunks are,
// as JSON, twice that and more: growing a fresh buffer to that size for
// every frame cost a tenth of such a transfer's CPU, so a large buffer is
// kept until keepSmall frames in a row have not needed it.
type frameBuf struct {
	b     []byte
	small int // frames in a row that a buffer of maxKeptFrame would have held
}

// keep takes frame's memory back for the next frame.
func (f *frameBuf) keep(frame []byte) {
	switch {
	case cap(frame) <= maxKeptFrame:
		f.small = 0
	case len(frame) > maxKeptFrame:
		f.small = 0
	default:
		f.small++
		if f.small >= keepSmall {
			f.b, f.small = nil, 0
			return
		}
	}
	f.b = frame[:0]
}
