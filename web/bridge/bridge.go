// Package bridge carries a program's protocol channel over a WebSocket.
//
// A Python program using sockplay's socket module speaks protocol v1 over
// file descriptor 3: newline-delimited JSON, one request (or array of
// requests) per line from the program, one message per line to it. When
// the program runs on the learner's own machine ("sockplay run"), those
// lines travel over a WebSocket (/ws?attach=CODE): each line is one text
// frame. Both ends use Run: the command between the program's fd 3 and the
// WebSocket, the server between the WebSocket and the channel it serves.
package bridge

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions/protocol"
)

const (
	// MaxLine is the longest line sent (and the readLimit for messages
	// from the server): a message with a large receive's data in it fits.
	MaxLine = 16 << 20
	// PingPeriod is how often each end pings the other.
	PingPeriod = 25 * time.Second
	// PongWait is how long an end waits for any frame or pong before it
	// gives the connection up.
	PongWait  = 60 * time.Second
	writeWait = 10 * time.Second
	closeWait = 5 * time.Second
)

// Run carries lines between ch and conn until one side ends: each line read
// from ch is sent as one text frame; each text frame read from conn (at
// most readLimit bytes: a larger one ends the connection) is
// written to ch as one line (compacted, so a frame with newlines in it is
// still one line). When ch ends (EOF: the program exited, or the channel's
// server returned), Run sends a normal close frame and waits briefly for
// the answer. When conn ends, Run closes ch's write side (closeWrite) so
// its reader sees EOF. It returns nil when ch ended first, else conn's
// error (a *websocket.CloseError when the other end closed).
func Run(conn *websocket.Conn, ch io.Reader, toCh io.Writer, closeWrite func(), readLimit int64) error {
	// Lines are written by sendLines alone; pings and the close frame go
	// through WriteControl, which gorilla allows alongside it.
	control := func(typ int, data []byte) error {
		return conn.WriteControl(typ, data, time.Now().Add(writeWait))
	}

	readDone := make(chan error, 1)
	go func() {
		err := readFrames(conn, toCh, readLimit)
		closeWrite()
		readDone <- err
	}()

	stopPing := make(chan struct{})
	var pings sync.WaitGroup
	pings.Go(func() { ping(control, stopPing) })
	defer func() { close(stopPing); pings.Wait() }()

	lines := make(chan error, 1)
	go func() { lines <- sendLines(ch, conn) }()
	select {
	case err := <-readDone:
		return err // ch's reader goroutine ends when ch is closed by its owner
	case err := <-lines:
		if err == nil {
			control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "channel ended"))
		} else {
			control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, err.Error()))
		}
		conn.SetReadDeadline(time.Now().Add(closeWait))
		<-readDone
		return err
	}
}

// ErrLineTooLong is sendLines' error for a line longer than MaxLine.
var ErrLineTooLong = errors.New("a channel line is longer than 16 MiB")

// sendLines sends each line of ch as one text frame, until EOF (nil) or an
// error.
func sendLines(ch io.Reader, conn *websocket.Conn) error {
	sc := bufio.NewScanner(ch)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		if err := conn.WriteMessage(websocket.TextMessage, line); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return ErrLineTooLong
	}
	return sc.Err()
}

// readFrames writes each text frame of conn to w as one line, until conn
// ends. Binary frames are dropped (the protocol is JSON text).
func readFrames(conn *websocket.Conn, w io.Writer, limit int64) error {
	conn.SetReadLimit(limit)
	extend := func(string) error { return conn.SetReadDeadline(time.Now().Add(PongWait)) }
	extend("")
	conn.SetPongHandler(extend)
	var line []byte
	for {
		typ, frame, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		extend("")
		if typ != websocket.TextMessage {
			continue
		}
		line, err = protocol.Compact(line[:0], frame)
		if err != nil {
			// Not JSON: pass it on, on one line, for the channel to refuse.
			line = append(line[:0], bytes.ReplaceAll(bytes.ReplaceAll(frame, []byte("\r"), []byte(" ")), []byte("\n"), []byte(" "))...)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
}

// ping pings every PingPeriod until stop.
func ping(control func(int, []byte) error, stop <-chan struct{}) {
	t := time.NewTicker(PingPeriod)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if control(websocket.PingMessage, nil) != nil {
				return
			}
		}
	}
}

// Close sends a close frame with code and reason (a connection Run will
// not carry).
func Close(conn *websocket.Conn, code int, reason string) {
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
}
