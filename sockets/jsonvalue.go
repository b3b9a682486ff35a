package sockets

import (
	"encoding/json"
	"math"
	"strconv"
)

// JSONInt reads an integer from a decoded JSON value as Go or encoding/json
// (with or without UseNumber) represents it.
func JSONInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// JSONText writes a decoded JSON value as JSON, to quote it in a message:
// 5, "five", [1,2] or null. A value JSON cannot hold reads "an unusable
// value".
func JSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "an unusable value"
	}
	return string(b)
}
