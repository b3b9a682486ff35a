package programs

import (
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// The streams of a program's output.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// readSize is the most one Output call carries.
const readSize = 32 << 10

// copyOut passes a stream's output on, counting it against Limits.Output.
func (p *Program) copyOut(stream string, f *os.File) {
	defer f.Close()
	buf := make([]byte, readSize)
	var carry int // bytes at the start of buf held from the last read (a cut character)
	for {
		n, err := f.Read(buf[carry:])
		n += carry
		if n > 0 {
			keep := n
			if err == nil {
				keep = n - cutTail(buf[:n])
			}
			allowed := p.count(keep)
			if allowed > 0 && p.opts.Output != nil {
				p.opts.Output(stream, strings.ToValidUTF8(string(buf[:allowed]), "\uFFFD"))
			}
			if allowed < keep {
				p.stop(ReasonOutput)
				io.Copy(io.Discard, f) // until the sandbox is gone
				return
			}
			carry = copy(buf, buf[keep:n])
		}
		if err != nil {
			return
		}
	}
}

// cutTail is how many bytes at the end of b are the start of a UTF-8
// character that the next read completes (0 to 3).
func cutTail(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a leading byte: is its character whole?
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// count adds n bytes of output and returns how many of them the limit
// lets through.
func (p *Program) count(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	left := p.lim.Output - p.written
	if left < 0 {
		left = 0
	}
	if int64(n) > left {
		n = int(left)
	}
	p.written += int64(n)
	return n
}
