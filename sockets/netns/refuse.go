package netns

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// UnavailableError says that the kernel refused to make a namespace: what it
// refused, its error, and how an administrator can allow it.
type UnavailableError struct {
	Refused string // what was refused, e.g. "a new user namespace (clone CLONE_NEWUSER|CLONE_NEWNET)"
	Err     error  // the kernel's error
	Fix     string // how to allow it, e.g. "sysctl -w user.max_user_namespaces=15000"
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("private networks are unavailable: the kernel refused %s (%v); %s", e.Refused, e.Err, e.Fix)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// readSysctl reads a sysctl by its dotted name ("user.max_user_namespaces");
// "" when it does not exist here.
func readSysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// refused explains a failure to start the helper (clone, or writing its
// uid/gid maps).
func refused(userNS bool, err error) error {
	what := "a new network namespace (clone CLONE_NEWNET)"
	if userNS {
		what = "a new user namespace (clone CLONE_NEWUSER|CLONE_NEWNET with a uid/gid map)"
	}
	return diagnose(what, userNS, err, readSysctl)
}

// diagnose builds the UnavailableError for a refused namespace, reading the
// sysctls that can be the cause through sysctl.
func diagnose(what string, userNS bool, err error, sysctl func(string) string) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("private networks are unavailable: %s: %w", what, err)
	}
	e := &UnavailableError{Refused: what, Err: err}
	switch {
	case errno == syscall.ENOSPC && userNS && sysctl("user.max_user_namespaces") == "0":
		e.Fix = "user.max_user_namespaces is 0: allow them with `sysctl -w user.max_user_namespaces=15000`"
	case errno == syscall.ENOSPC && sysctl("user.max_net_namespaces") == "0":
		e.Fix = "user.max_net_namespaces is 0: allow them with `sysctl -w user.max_net_namespaces=15000`"
	case errno == syscall.ENOSPC:
		e.Fix = "a namespace limit is reached: raise user.max_user_namespaces and user.max_net_namespaces (`sysctl -w user.max_net_namespaces=15000`)"
	case errno == syscall.EINVAL || errno == syscall.ENOSYS:
		e.Fix = "this kernel has no namespaces of that kind (CONFIG_USER_NS / CONFIG_NET_NS); use --network host"
	case !userNS:
		e.Fix = "this process lacks CAP_SYS_ADMIN (a container?): give it that capability, or run sockplay as an ordinary user where user namespaces are allowed, or use --network host"
	case sysctl("kernel.unprivileged_userns_clone") == "0":
		e.Fix = "kernel.unprivileged_userns_clone is 0: allow them with `sysctl -w kernel.unprivileged_userns_clone=1`"
	case sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
		e.Fix = "AppArmor restricts unprivileged user namespaces: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give sockplay an AppArmor profile that allows `userns,`"
	default:
		e.Fix = "user namespaces are forbidden here (a container's seccomp profile?): allow unshare/clone with CLONE_NEWUSER, run sockplay as root, or use --network host"
	}
	return e
}
