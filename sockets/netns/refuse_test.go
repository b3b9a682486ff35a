package netns

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A refused namespace is explained by the sysctl (or the missing
// capability) that refused it.
func TestDiagnose(t *testing.T) {
	for _, c := range []struct {
		name    string
		userNS  bool
		errno   syscall.Errno
		sysctls map[string]string
		want    string
	}{
		{"max user namespaces", true, syscall.ENOSPC, map[string]string{"user.max_user_namespaces": "0"}, "sysctl -w user.max_user_namespaces=15000"},
		{"max net namespaces", false, syscall.ENOSPC, map[string]string{"user.max_net_namespaces": "0"}, "sysctl -w user.max_net_namespaces=15000"},
		{"debian switch", true, syscall.EPERM, map[string]string{"kernel.unprivileged_userns_clone": "0"}, "sysctl -w kernel.unprivileged_userns_clone=1"},
		{"apparmor", true, syscall.EPERM, map[string]string{"kernel.unprivileged_userns_clone": "1", "kernel.apparmor_restrict_unprivileged_userns": "1"}, "kernel.apparmor_restrict_unprivileged_userns=0"},
		{"seccomp", true, syscall.EPERM, nil, "seccomp"},
		{"root without CAP_SYS_ADMIN", false, syscall.EPERM, nil, "CAP_SYS_ADMIN"},
		{"no CONFIG_USER_NS", true, syscall.EINVAL, nil, "CONFIG_USER_NS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cause := os.NewSyscallError("clone", c.errno)
			err := diagnose("a new user namespace", c.userNS, cause, func(name string) string { return c.sysctls[name] })
			var ue *UnavailableError
			if !errors.As(err, &ue) || !errors.Is(err, c.errno) {
				t.Fatalf("got %v, want an *UnavailableError wrapping %v", err, c.errno)
			}
			if msg := err.Error(); !strings.Contains(msg, c.want) || !strings.Contains(msg, "a new user namespace") {
				t.Errorf("got %q, want it to name what was refused and %q", msg, c.want)
			}
		})
	}
}

// Available succeeds here (CI and this machine allow namespaces), and the
// default helper it started makes namespaces for New.
func TestAvailable(t *testing.T) {
	startOrSkip(t, os.Geteuid() != 0) // skips where the kernel refuses
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	ns, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Close(); err != nil {
		t.Fatal(err)
	}
}

// Bad requests get an error and leave the namespace and helper working.
func TestBadRequests(t *testing.T) {
	eachMode(t, func(t *testing.T, h *Helper) {
		ns := newNS(t, h)
		if _, err := ns.Socket(12345, unix.SOCK_STREAM, 0); !errors.Is(err, unix.EAFNOSUPPORT) {
			t.Errorf("socket(12345, …): %v, want EAFNOSUPPORT", err)
		}
		if _, err := h.call(request{Op: "nonsense"}); err == nil {
			t.Error("an unknown op succeeded")
		}
		if _, err := h.call(request{Op: opSocket, NS: 99999, Domain: unix.AF_INET, Type: unix.SOCK_DGRAM}); err == nil {
			t.Error("a socket in an unknown namespace was made")
		}
		fd, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatalf("the namespace after bad requests: %v", err)
		}
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_NONBLOCK == 0 {
			t.Errorf("the socket's flags %#x (%v), want O_NONBLOCK", fl, err)
		}
		fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || fdfl&unix.FD_CLOEXEC == 0 {
			t.Errorf("the socket's fd flags %#x (%v), want FD_CLOEXEC", fdfl, err)
		}
		unix.Close(fd)
		ns.Close()
		if _, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0); err == nil {
			t.Error("a closed namespace made a socket")
		}
		if err := ns.Close(); err != nil {
			t.Errorf("closing twice: %v", err)
		}
	})
}

// The kernel's real refusals are explained: the test re-runs itself in a
// user namespace whose namespace limits are 0 (user.max_user_namespaces and
// user.max_net_namespaces are per user namespace, so the host's are
// untouched).
func TestRefused(t *testing.T) {
	if os.Getenv("NETNS_TEST_REFUSED") == "" {
		startOrSkip(t, true) // skips where user namespaces are refused anyway
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		script := `echo 0 > /proc/sys/user/max_user_namespaces && echo 0 > /proc/sys/user/max_net_namespaces && exec "$0" -test.run '^TestRefused$' -test.v`
		cmd := exec.Command("unshare", "--user", "--map-root-user", "sh", "-c", script, exe)
		cmd.Env = append(os.Environ(), "NETNS_TEST_REFUSED=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRefused") {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	for _, c := range []struct {
		userNS bool
		want   string
	}{{true, "user.max_user_namespaces is 0"}, {false, "user.max_net_namespaces is 0"}} {
		_, err := startHelper(c.userNS)
		var ue *UnavailableError
		if !errors.As(err, &ue) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("userNS %v: got %v, want an *UnavailableError for ENOSPC saying %q", c.userNS, err, c.want)
		}
		t.Logf("userNS %v: %v", c.userNS, err)
	}
}
