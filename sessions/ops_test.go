package sessions

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOpTable checks that opTable is the single source of the ops: each
// op it declares has exactly one way to run, is answered (never "unknown
// op") and is counted under its own name; a name it does not declare is an
// unknown op, counted as "other".
func TestOpTable(t *testing.T) {
	var mu sync.Mutex
	counted := map[string]int{}
	m := NewManager(Config{OnOp: func(op, _ string, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		counted[op]++
	}})
	defer m.Close()
	s := m.Create()
	sub, _ := s.Attach()
	if r := result(t, s, sub, req(1, "socket")); !r.OK || r.Sock != "s1" {
		t.Fatalf("socket: %+v, want s1", r)
	}

	names := make([]string, 0, len(opTable))
	for name, op := range opTable {
		names = append(names, name)
		ways := 0
		for _, set := range []bool{op.run != nil, op.now != nil, op.prepare != nil} {
			if set {
				ways++
			}
		}
		if ways != 1 {
			t.Errorf("%s: %d of run, now and prepare set, want 1", name, ways)
		}
		if op.tryFirst != nil && !op.waits() {
			t.Errorf("%s: tryFirst set on an op that never waits", name)
		}
		if got := opName(name); got != name {
			t.Errorf("opName(%q) = %q, want %q", name, got, name)
		}
	}
	slices.Sort(names)
	// close goes last, so the other socket calls find s1 open. Each request
	// lacks its arguments, or is refused at once, so none waits.
	names = append(slices.DeleteFunc(names, func(n string) bool { return n == "close" }), "close")
	for i, name := range names {
		r := req(10+i, name)
		r.Sock = "s1"
		b := result(t, s, sub, r)
		if b.Op != name {
			t.Errorf("%s: result op %q", name, b.Op)
		}
		if b.Error != nil && strings.Contains(b.Error.Message, "unknown op") {
			t.Errorf("%s: %q, want it answered", name, b.Error.Message)
		}
	}

	r := req(99, "nonsense")
	r.Sock = "s1"
	b := result(t, s, sub, r)
	if b.OK || b.Error == nil || b.Error.Message != `unknown op "nonsense"` {
		t.Errorf("nonsense: %+v, want unknown op", b)
	}
	if got := opName("nonsense"); got != "other" {
		t.Errorf("opName(nonsense) = %q, want other", got)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, name := range names {
		want := 1
		if name == "socket" {
			want = 2
		}
		if counted[name] != want {
			t.Errorf("OnOp counted %s %d times, want %d", name, counted[name], want)
		}
	}
	if counted["other"] != 1 {
		t.Errorf("OnOp counted other %d times, want 1 (all: %v)", counted["other"], counted)
	}
}
