package programs

import (
	"errors"
	"fmt"
)

// MaxInput is how many bytes of input may wait for a program to read them.
const MaxInput = 64 << 10

// ErrInputClosed is Input's error once the program's stdin is closed.
var ErrInputClosed = errors.New("the program's input is closed")

// ErrInputFull is Input's error when MaxInput bytes already wait.
var ErrInputFull = fmt.Errorf("%d bytes of input are already waiting for the program to read them", MaxInput)

// Input queues b for the program's stdin; it never waits for the program
// to read it.
func (p *Program) Input(b []byte) error {
	p.inMu.Lock()
	defer p.inMu.Unlock()
	switch {
	case p.inEOF:
		return ErrInputClosed
	case p.inQueued+len(b) > MaxInput:
		return ErrInputFull
	}
	if len(b) > 0 {
		p.inQueue = append(p.inQueue, b)
		p.inQueued += len(b)
	}
	p.wakeFeed()
	return nil
}

// CloseInput closes the program's stdin once what is queued is written
// (the program then reads end of file).
func (p *Program) CloseInput() {
	p.inMu.Lock()
	p.inEOF = true
	p.inMu.Unlock()
	p.wakeFeed()
}

func (p *Program) wakeFeed() {
	select {
	case p.inWake <- struct{}{}:
	default:
	}
}

// feed writes queued input to the program's stdin, on its own goroutine.
func (p *Program) feed() {
	defer p.stdin.Close()
	for range p.inWake {
		for {
			p.inMu.Lock()
			if len(p.inQueue) == 0 {
				eof := p.inEOF
				p.inMu.Unlock()
				if eof {
					return
				}
				break
			}
			b := p.inQueue[0]
			p.inQueue = p.inQueue[1:]
			p.inMu.Unlock()
			_, err := p.stdin.Write(b)
			p.inMu.Lock()
			p.inQueued -= len(b)
			p.inMu.Unlock()
			if err != nil {
				p.inMu.Lock()
				p.inEOF, p.inQueue, p.inQueued = true, nil, 0
				p.inMu.Unlock()
				return
			}
		}
	}
}
