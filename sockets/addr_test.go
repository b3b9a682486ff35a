package sockets_test

import (
	"testing"

	"sockplay/sockets"
)

func TestAddrString(t *testing.T) {
	tests := []struct {
		addr sockets.Addr
		want string
	}{
		{sockets.Addr{Host: "127.0.0.1", Port: 9000}, "('127.0.0.1', 9000)"},
		{sockets.Addr{Host: "", Port: 0}, "('', 0)"},
		{sockets.Addr{Host: "::1", Port: 9000}, "('::1', 9000, 0, 0)"},
		{sockets.Addr{Host: "fe80::1", Port: 1, FlowInfo: 2, ScopeID: 3}, "('fe80::1', 1, 2, 3)"},
		{sockets.Addr{Host: "localhost", Port: 80}, "('localhost', 80)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.addr.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
