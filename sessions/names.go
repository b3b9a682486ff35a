package sessions

import "sockplay/sessions/protocol"

// Names that moved to package protocol, kept for the code that calls them
// here.

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (protocol.AppendString).
func AppendJSONString(b []byte, s string) []byte { return protocol.AppendString(b, s) }

// The readers of a request's arguments (protocol's args.go).
var (
	parseAddr    = protocol.ParseAddr
	parseTimeout = protocol.ParseTimeout
	parseValue   = protocol.ParseOptionValue
)
