package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"sockplay/sessions"
	"sockplay/sockets"
)

// Requests: protocol JSON becomes sessions.Request values (see PROTOCOL.md).

// decodeRequest parses one request frame. On failure it still returns what
// could be read of the id and op, so the error result can name them.
func decodeRequest(frame []byte) (sessions.Request, *sockets.Error) {
	var req sessions.Request
	err := json.Unmarshal(frame, &req)
	if err == nil {
		req.Echo = requestEcho(frame)
		return req, nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return req, sockets.BadRequest("TypeError", "%s must be of JSON type %s, not %s", typeErr.Field, jsonType(typeErr.Type.Kind().String()), typeErr.Value)
	}
	// Not an object at all: read what we can.
	var head struct {
		ID json.RawMessage `json:"id"`
		Op string          `json:"op"`
	}
	if json.Unmarshal(frame, &head) == nil {
		req.ID, req.Op = head.ID, head.Op
	}
	return req, sockets.BadRequest("", "malformed request: %v; a request is a JSON object such as {\"id\":1,\"op\":\"socket\",\"type\":\"SOCK_DGRAM\"}", err)
}

func jsonType(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return "object"
}

// maxEcho is the largest request repeated whole in its result.
const maxEcho = 4096

// requestEcho returns the request to repeat in its result: compacted, and with its
// data left out when the frame is large.
func requestEcho(frame []byte) json.RawMessage {
	if len(frame) > maxEcho {
		var fields map[string]json.RawMessage
		if json.Unmarshal(frame, &fields) != nil {
			return nil
		}
		if _, ok := fields["data"]; ok {
			fields["data"] = json.RawMessage(fmt.Sprintf(`{"omitted":true,"size":%d}`, len(frame)))
		}
		b, _ := json.Marshal(fields)
		return b
	}
	var b bytes.Buffer
	if json.Compact(&b, frame) != nil {
		return nil
	}
	return b.Bytes()
}

// splitBatch returns the requests of a frame: the frame itself, or the
// elements of a JSON array of requests (a client may batch several requests
// into one frame; they are handled in order).
func splitBatch(frame []byte) [][]byte {
	trimmed := bytes.TrimLeft(frame, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{frame}
	}
	var batch []json.RawMessage
	if json.Unmarshal(trimmed, &batch) != nil || len(batch) == 0 {
		return [][]byte{frame} // decodeRequest will explain what is wrong
	}
	out := make([][]byte, len(batch))
	for i, r := range batch {
		if len(r) == 0 || r[0] != '{' {
			return [][]byte{frame} // not an array of requests
		}
		out[i] = r
	}
	return out
}
