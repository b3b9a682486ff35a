package protocol

// compactJSON appends raw compacted as encoding/json compacts a RawMessage
// it writes: whitespace between tokens dropped, and in strings <, >, & and
// U+2028, U+2029 escaped (bytes of invalid UTF-8 are copied as they are).
// It returns b unchanged and ErrInvalid when raw is not one JSON value.
func compactJSON(b []byte, raw []byte) ([]byte, error) {
	c := compacter{raw: raw, out: b}
	c.space()
	if !c.value(0) {
		return b, ErrInvalid
	}
	c.space()
	if c.i != len(raw) {
		return b, ErrInvalid
	}
	return c.out, nil
}

// maxDepth is how deep values may nest, as in encoding/json.
const maxDepth = 10000

type compacter struct {
	raw      []byte
	i        int
	out      []byte
	keepHTML bool // as json.Compact: <, >, &, U+2028 and U+2029 stay as they are
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (c *compacter) space() {
	for c.i < len(c.raw) && isSpace(c.raw[c.i]) {
		c.i++
	}
}

// next consumes ch, after any whitespace, and writes it.
func (c *compacter) next(ch byte) bool {
	c.space()
	if c.i < len(c.raw) && c.raw[c.i] == ch {
		c.i++
		c.out = append(c.out, ch)
		return true
	}
	return false
}

func (c *compacter) value(depth int) bool {
	c.space()
	if c.i >= len(c.raw) || depth >= maxDepth {
		return false
	}
	switch ch := c.raw[c.i]; ch {
	case '{':
		c.i++
		c.out = append(c.out, '{')
		if c.next('}') {
			return true
		}
		for {
			if !c.next('"') || !c.string() || !c.next(':') || !c.value(depth+1) {
				return false
			}
			if c.next('}') {
				return true
			}
			if !c.next(',') {
				return false
			}
		}
	case '[':
		c.i++
		c.out = append(c.out, '[')
		if c.next(']') {
			return true
		}
		for {
			if !c.value(depth + 1) {
				return false
			}
			if c.next(']') {
				return true
			}
			if !c.next(',') {
				return false
			}
		}
	case '"':
		c.i++
		c.out = append(c.out, '"')
		return c.string()
	}
	p := plainScanner{raw: c.raw, i: c.i}
	var ok bool
	switch c.raw[c.i] {
	case 't':
		ok = p.literal("true")
	case 'f':
		ok = p.literal("false")
	case 'n':
		ok = p.literal("null")
	default:
		ok = p.number()
	}
	if ok {
		c.out = append(c.out, c.raw[c.i:p.i]...)
		c.i = p.i
	}
	return ok
}

// string reads and writes the rest of a string after its opening quote.
func (c *compacter) string() bool {
	raw := c.raw
	start := c.i
	for i := c.i; i < len(raw); i++ {
		if plainInString[raw[i]] {
			continue
		}
		ch := raw[i]
		switch ch {
		case '"':
			c.out = append(c.out, raw[start:i+1]...)
			c.i = i + 1
			return true
		case '\\':
			i++
			if i == len(raw) {
				return false
			}
			switch raw[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(raw)-i <= 4 || !isHex(raw[i+1]) || !isHex(raw[i+2]) || !isHex(raw[i+3]) || !isHex(raw[i+4]) {
					return false
				}
				i += 4
			default:
				return false
			}
		case '<', '>', '&':
			if c.keepHTML {
				continue
			}
			c.out = append(c.out, raw[start:i]...)
			c.out = append(c.out, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xF])
			start = i + 1
		case 0xE2:
			if !c.keepHTML && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8 {
				c.out = append(c.out, raw[start:i]...)
				c.out = append(c.out, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]-0xA0])
				i += 2
				start = i + 1
			}
		default: // a control character
			return false
		}
	}
	return false
}

// Compact appends raw with the whitespace between its tokens dropped, as
// json.Compact does (nothing is escaped), or returns b unchanged and
// ErrInvalid when raw is not one JSON value. A frame compacted so fits on
// one line.
func Compact(b []byte, raw []byte) ([]byte, error) {
	c := compacter{raw: raw, out: b, keepHTML: true}
	c.space()
	if !c.value(0) {
		return b, ErrInvalid
	}
	c.space()
	if c.i != len(raw) {
		return b, ErrInvalid
	}
	return c.out, nil
}
