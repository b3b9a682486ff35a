package protocol

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sockplay/sockets"
)

// Encodings a session can show text in.
const (
	UTF8 = "utf-8"
	GBK  = "gbk"
)

// Payload is data in a request: exactly one of Text (with Encoding), Hex or
// Base64.
type Payload struct {
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
	Hex      *string `json:"hex"`
	Base64   *string `json:"base64"`
}

// Bytes decodes the payload, refusing more than max bytes.
func (p *Payload) Bytes(max int) ([]byte, *sockets.Error) {
	if p == nil {
		return nil, sockets.BadRequest("", "data is required: {\"text\":…}, {\"hex\":…} or {\"base64\":…}")
	}
	n := 0
	for _, f := range []*string{p.Text, p.Hex, p.Base64} {
		if f != nil {
			n++
		}
	}
	if n != 1 {
		return nil, sockets.BadRequest("", "data must have exactly one of text, hex or base64")
	}
	var b []byte
	switch {
	case p.Text != nil:
		var err error
		b, err = EncodeText(*p.Text, p.Encoding)
		if err != nil {
			return nil, sockets.BadRequest("UnicodeEncodeError", "%v", err)
		}
	case p.Hex != nil:
		h := strings.Join(strings.Fields(*p.Hex), "")
		var err error
		if b, err = hex.DecodeString(h); err != nil {
			return nil, sockets.BadRequest("ValueError", "non-hexadecimal number found in fromhex() arg: %v", err)
		}
	default:
		var err error
		if b, err = base64.StdEncoding.DecodeString(*p.Base64); err != nil {
			return nil, sockets.BadRequest("binascii.Error", "invalid base64: %v", err)
		}
	}
	if len(b) > max {
		return nil, &sockets.Error{Kind: sockets.KindLimit, Message: fmt.Sprintf("data is limited to %d bytes per request here", max), Hint: "Send large data in several calls."}
	}
	return b, nil
}

// EncodeText encodes s in enc (utf-8, the default, or gbk).
func EncodeText(s, enc string) ([]byte, error) {
	switch enc {
	case "", UTF8:
		return []byte(s), nil
	case GBK:
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("'gbk' codec can't encode the text: %v", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (utf-8 or gbk)", enc)
}
