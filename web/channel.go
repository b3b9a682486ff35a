package web

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"sockplay/sessions"
	"sockplay/sessions/protocol"
	"sockplay/sockets"
	"sockplay/templates/i18n"
)

// A program's channel: a Python program using sockplay's socket module
// speaks protocol v1 to its session over a stream (file descriptor 3 of the
// program, one end of a unix socketpair), one JSON value per line in each
// direction: each line the program writes is a request or a batch, decoded
// as a WebSocket frame is (protocol.DecodeFrame); each line the server writes is one
// message, encoded as the WebSocket encodes it (appendMessage). See
// PROTOCOL.md, "Programs' channel".

// maxChannelLine is the longest request line a program may write: a
// WebSocket frame's limit.
const maxChannelLine = maxFrame

// ServeChannel serves program's channel f for sess until the program
// closes its end (or the session ends, or the program stops reading):
// a reader runs the requests of each line it writes, a writer writes the
// messages the session queues for it, hello first, in the language its
// run asked for (Session.ProgramLang). ServeChannel owns f and closes it
// before it returns.
func (s *Server) ServeChannel(sess *sessions.Session, f *os.File, program string) {
	s.serveChannel(sess, f, program, sess.ProgramLang(program))
}

// serveChannel is ServeChannel in lang ("" or i18n.EN: English).
func (s *Server) serveChannel(sess *sessions.Session, f *os.File, program, lang string) {
	defer f.Close()
	pf, err := pollable(f)
	if err != nil {
		return
	}
	defer pf.Close()
	sub := sess.AttachProgram(program)
	if sub == nil {
		return
	}
	defer sess.Detach(sub)
	c := &channel{f: pf, sess: sess, sub: sub, lang: lang}
	written := make(chan struct{})
	go func() {
		defer close(written)
		c.writeLines()
		pf.SetReadDeadline(aLongTimeAgo) // the reader stops too
	}()
	c.readLoop()
	sess.Detach(sub) // the writer ends
	<-written
}

// aLongTimeAgo is a deadline in the past: it ends a waiting read or write.
var aLongTimeAgo = time.Unix(1, 0)

// pollable returns a duplicate of f that Go's poller serves, so that its
// reads and writes have deadlines whatever mode f was made in.
func pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var dupErr error
	if err := rc.Control(func(raw uintptr) { fd, dupErr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, dupErr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "channel"), nil
}

// channel is one program's channel, served by a reader (readLoop, on
// ServeChannel's goroutine) and a writer (writeLines), as a wsConn is.
type channel struct {
	f    *os.File
	sess *sessions.Session
	sub  *sessions.Subscriber
	lang string // the language of sockplay's sentences in its errors (run's lang)
}

// readLoop runs the requests of each line until the program closes its
// end. A line that is not a request gets a bad_request result, as a bad
// frame does, and the channel goes on.
func (c *channel) readLoop() {
	r := bufio.NewReaderSize(c.f, 64<<10)
	for {
		line, err := readLine(r)
		if err == errLineTooLong {
			c.sess.Reject(c.sub, sessions.Request{}, sockets.BadRequest("",
				"a request line may hold at most %d bytes; this one was longer, and none of it ran", maxChannelLine))
			continue
		}
		if err != nil {
			return
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0:
			continue // blank lines are allowed between requests
		case !utf8.Valid(line):
			c.sess.Reject(c.sub, sessions.Request{}, sockets.BadRequest("",
				"a request line must be JSON text in UTF-8; this one holds bytes that are not UTF-8, and none of it ran"))
		default:
			reqs, bads := protocol.DecodeFrame(line)
			c.sess.DoBatch(c.sub, reqs, bads)
		}
	}
}

// errLineTooLong is readLine's error for a line past maxChannelLine; the
// rest of that line has been read and dropped.
var errLineTooLong = fmt.Errorf("request line longer than %d bytes", maxChannelLine)

// readLine reads one line (without its newline). A last line without a
// newline counts as a line.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		if len(line)+len(part) > maxChannelLine+1 {
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			if err != nil && len(part) == 0 {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = append(line, part...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == nil:
			return line[:len(line)-1], nil
		case len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

// writeLines writes what the session queues for the program, one message a
// line, until the subscriber is done (the program closed, was too slow, or
// the session ended) or a write fails. A write that waits writeWait for
// the program to read ends the channel.
func (c *channel) writeLines() {
	var buf frameBuf
	for {
		select {
		case <-c.sub.Ready():
		case <-c.sub.Done():
			c.writeQueued(&buf) // what is left: the last results
			return
		}
		if !c.writeQueued(&buf) {
			return
		}
	}
}

// writeQueued writes everything queued, in writes of at most maxBatch messages.
// It reports false when the channel is done for.
func (c *channel) writeQueued(buf *frameBuf) bool {
	for ms := c.sub.Take(maxBatch); len(ms) > 0; ms = c.sub.Take(maxBatch) {
		b := buf.b
		for _, m := range ms {
			var err error
			if b, err = sessions.AppendMessage(b, c.inLang(m)); err != nil {
				return false
			}
			b = append(b, '\n')
		}
		buf.keep(b)
		c.f.SetWriteDeadline(time.Now().Add(writeWait))
		if _, err := c.f.Write(b); err != nil {
			return false
		}
	}
	return true
}

// inLang is m as the program gets it in its run's lang: a failed result's
// message and hint in Chinese for "zh" (i18n.Server: sockplay's own
// sentences, each part translated too), so that the exception Python
// raises says them in the page's language. Python's own words stay as
// Python prints them: an os error with an errno (whose message is
// "[Errno N] strerror"), a timeout, and every text the catalog does not
// hold (such as "negative buffersize in recv"). The session's log, and so
// every page, keeps the English.
func (c *channel) inLang(m sessions.Message) sessions.Message {
	if c.lang != i18n.ZH || m.Kind != sessions.KindResult {
		return m
	}
	r, ok := m.Body.(sessions.ResultBody)
	if !ok || r.Error == nil || r.Error.Type == string(sockets.KindTimeout) ||
		r.Error.Type == string(sockets.KindOS) && r.Error.Code != 0 {
		return m
	}
	e := *r.Error // the log's own, shared: never written
	e.Message, e.Hint = i18n.Server(i18n.ZH, e.Message), i18n.Server(i18n.ZH, e.Hint)
	r.Error = &e
	return m.WithBody(r)
}
