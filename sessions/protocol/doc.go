// Package protocol owns protocol v1's JSON in both directions (see
// web/PROTOCOL.md): it decodes request frames into Request values
// (DecodeFrame) and writes messages' JSON (AppendString, AppendRaw,
// AppendValue, Members, which sessions' message bodies build on). Every
// transport uses it: the WebSocket and a program's socket channel (package
// web), the CLI bridge (package bridge). Package sessions works with the Go
// values only.
//
// It does not use encoding/json, which is its tests' reference: the decoder
// and the writers produce what encoding/json's Unmarshal and Marshal do,
// errors included, and the tests compare them case by case, at random and
// by fuzzing.
//
// Files: request.go the request types; onepass.go and onepass_values.go
// the one-pass decoder of the frames clients send nearly always; decode.go,
// decode_values.go and fields.go the general decoder of any frame; echo.go
// a request's echo; scan.go the frame check (with encoding/json's error
// texts);
// read.go reading JSON values; args.go the arguments an op reads when it
// runs (addresses, timeouts, option values); payload.go request data;
// write.go, compact.go, encode.go and encode_fields.go writing JSON.
//
// # Adding a request field
//
// Add it to Request (or to the args struct its ops embed, such as
// ProgramArgs) with its JSON name as its tag and one of these types:
// string, bool, int, *int, *int64, *bool, *string, []string, *[]string,
// map[string]any, AddrArg (an address), Raw (any JSON, kept as sent for
// the op to read: see args.go), or a pointer to a struct of those
// (Payload, FramingArg). That is
// all: the decoder finds fields by their tags, once, and panics at start on
// a type it does not know or a JSON name used twice (the first test to run
// finds either); the one-pass decoder reads the hot ops' fields by name and
// every other field through the same table. Then document the field in
// web/PROTOCOL.md.
//
// # Adding an op
//
// An op is declared once, in sessions' opTable (sessions/ops.go), with the
// function that runs it; its request fields are added here as above.
package protocol
