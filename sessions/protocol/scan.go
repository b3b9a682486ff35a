package protocol

import "strconv"

// check validates a frame as encoding/json's scanner does before it
// decodes anything, and describes the first fault as that scanner does
// ("invalid character 'x' looking for beginning of value", "unexpected end
// of JSON input"): a malformed request's error quotes it.
func check(raw []byte) (msg string, ok bool) {
	s := scanner{raw: raw}
	s.space()
	if !s.value(0) {
		return s.msg, false
	}
	s.space()
	if s.i < len(raw) {
		return s.fail("after top-level value"), false
	}
	return "", true
}

type scanner struct {
	raw    []byte
	i      int
	msg    string // the first fault
	spaced bool   // whitespace was skipped
}

func (s *scanner) space() {
	for s.i < len(s.raw) && isSpace(s.raw[s.i]) {
		s.i++
		s.spaced = true
	}
}

// fail records the fault at s.i: the end of the input, or the character
// there in its context.
func (s *scanner) fail(context string) string {
	if s.i >= len(s.raw) {
		s.msg = "unexpected end of JSON input"
	} else {
		s.msg = "invalid character " + quoteChar(s.raw[s.i]) + " " + context
	}
	return s.msg
}

// failToken records a fault inside a token (a literal, a number, an
// escape): at the end of the input, encoding/json's scanner reads one more
// space, and reports that.
func (s *scanner) failToken(context string) string {
	if s.i >= len(s.raw) {
		s.msg = "invalid character ' ' " + context
		return s.msg
	}
	return s.fail(context)
}

// quoteChar formats c as encoding/json's errors do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.raw) {
		s.fail("")
		return false
	}
	switch c := s.raw[s.i]; {
	case c == '{' || c == '[':
		if depth+1 > maxDepth {
			s.fail("exceeded max depth")
			return false
		}
		s.i++
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case c == '"':
		s.i++
		return s.string()
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	s.fail("looking for beginning of value")
	return false
}

func (s *scanner) object(depth int) bool {
	s.space()
	if s.i < len(s.raw) && s.raw[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.raw) || s.raw[s.i] != '"' {
			s.fail("looking for beginning of object key string")
			return false
		}
		s.i++
		if !s.string() {
			return false
		}
		s.space()
		if s.i >= len(s.raw) || s.raw[s.i] != ':' {
			s.fail("after object key")
			return false
		}
		s.i++
		s.space()
		if !s.value(depth) {
			return false
		}
		s.space()
		if s.i < len(s.raw) && s.raw[s.i] == '}' {
			s.i++
			return true
		}
		if s.i >= len(s.raw) || s.raw[s.i] != ',' {
			s.fail("after object key:value pair")
			return false
		}
		s.i++
		s.space()
	}
}

func (s *scanner) array(depth int) bool {
	s.space()
	if s.i < len(s.raw) && s.raw[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		s.space()
		if s.i < len(s.raw) && s.raw[s.i] == ']' {
			s.i++
			return true
		}
		if s.i >= len(s.raw) || s.raw[s.i] != ',' {
			s.fail("after array element")
			return false
		}
		s.i++
		s.space()
	}
}

// string reads the rest of a string after its opening quote.
func (s *scanner) string() bool {
	raw := s.raw
	for s.i < len(raw) {
		c := raw[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i++
			if s.i >= len(raw) {
				s.failToken("in string escape code")
				return false
			}
			switch raw[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if s.i >= len(raw) || !isHex(raw[s.i]) {
						s.failToken("in \\u hexadecimal character escape")
						return false
					}
					s.i++
				}
			default:
				s.fail("in string escape code")
				return false
			}
		case c < 0x20:
			s.fail("in string literal")
			return false
		default:
			s.i++
		}
	}
	s.i = len(raw)
	s.fail("")
	return false
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; what follows
// it is its container's to judge.
func (s *scanner) number() bool {
	raw := s.raw
	digits := func() {
		for s.i < len(raw) && '0' <= raw[s.i] && raw[s.i] <= '9' {
			s.i++
		}
	}
	if raw[s.i] == '-' {
		s.i++
		if s.i >= len(raw) || raw[s.i] < '0' || raw[s.i] > '9' {
			s.failToken("in numeric literal")
			return false
		}
	}
	if raw[s.i] == '0' {
		s.i++
	} else {
		digits()
	}
	if s.i < len(raw) && raw[s.i] == '.' {
		s.i++
		if s.i >= len(raw) || raw[s.i] < '0' || raw[s.i] > '9' {
			s.failToken("after decimal point in numeric literal")
			return false
		}
		digits()
	}
	if s.i < len(raw) && (raw[s.i] == 'e' || raw[s.i] == 'E') {
		s.i++
		if s.i < len(raw) && (raw[s.i] == '+' || raw[s.i] == '-') {
			s.i++
		}
		if s.i >= len(raw) || raw[s.i] < '0' || raw[s.i] > '9' {
			s.failToken("in exponent of numeric literal")
			return false
		}
		digits()
	}
	return true
}

func (s *scanner) literal(word string) bool {
	s.i++ // its first letter, which chose it
	for k := 1; k < len(word); k++ {
		if s.i >= len(s.raw) || s.raw[s.i] != word[k] {
			s.failToken("in literal " + word + " (expecting " + quoteChar(word[k]) + ")")
			return false
		}
		s.i++
	}
	return true
}
