package sessions

import (
	"regexp"
	"strings"
	"testing"
)

// attachCodeRE is what an attach code looks like: 26 characters of the
// URL-safe base32 alphabet, 130 bits.
var attachCodeRE = regexp.MustCompile(`^[a-z2-7]{26}$`)

// TestAttachCode: op attach answers the session's code (the same one until
// it is revoked) and the command naming it; the code finds the session;
// attach_revoke replaces it, so the old one finds nothing; a session that
// ended is found by no code; two sessions never share one.
func TestAttachCode(t *testing.T) {
	m := NewManager(Config{AttachServer: "http://127.0.0.1:8123"})
	defer m.Close()
	s, other := m.Create(), m.Create()
	sub, _ := s.Attach()

	r := result(t, s, sub, req(1, "attach"))
	b, ok := r.Fields.(attachBody)
	if !r.OK || !ok || !attachCodeRE.MatchString(b.Code) {
		t.Fatalf("attach: %+v %+v, want a code matching %v", r, r.Fields, attachCodeRE)
	}
	if want := "sockplay run prog.py --server http://127.0.0.1:8123 --session " + b.Code; b.Command != want {
		t.Errorf("command %q, want %q", b.Command, want)
	}
	if again := result(t, s, sub, req(2, "attach")).Fields.(attachBody); again.Code != b.Code {
		t.Errorf("second attach: code %q, want the same %q", again.Code, b.Code)
	}
	if m.ByAttachCode(b.Code) != s {
		t.Fatal("the code does not find its session")
	}
	if oc := other.AttachCode(); oc == b.Code || m.ByAttachCode(oc) != other {
		t.Errorf("the other session's code %q: finds %v", oc, m.ByAttachCode(oc))
	}
	for _, bad := range []string{"", strings.ToUpper(b.Code), b.Code[:25], b.Code + "a"} {
		if m.ByAttachCode(bad) != nil {
			t.Errorf("code %q finds a session", bad)
		}
	}

	rv := result(t, s, sub, req(3, "attach_revoke"))
	nb := rv.Fields.(attachBody)
	if !rv.OK || !nb.Revoked || !attachCodeRE.MatchString(nb.Code) || nb.Code == b.Code || !strings.HasSuffix(nb.Command, nb.Code) {
		t.Fatalf("attach_revoke: %+v %+v", rv, nb)
	}
	if m.ByAttachCode(b.Code) != nil {
		t.Error("the revoked code still finds the session")
	}
	if m.ByAttachCode(nb.Code) != s {
		t.Error("the new code does not find the session")
	}
	s.Close("test")
	if m.ByAttachCode(nb.Code) != nil {
		t.Error("an ended session's code still finds it")
	}
}

// TestNextLocal: programs attached to a session are local1, local2, ….
func TestNextLocal(t *testing.T) {
	m := NewManager(Config{})
	defer m.Close()
	s := m.Create()
	for _, want := range []string{"local1", "local2", "local3"} {
		if got := s.NextLocal(); got != want {
			t.Errorf("NextLocal = %q, want %q", got, want)
		}
	}
}
