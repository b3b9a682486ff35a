package programs

import (
	"encoding/binary"
	"runtime"

	"golang.org/x/sys/unix"
)

// The seccomp filter of the sandbox (bwrap --seccomp): system calls that
// reach memory the rlimits do not bound, or kernel parts a learner's
// program has no use for, fail with EPERM; another ABI (32-bit or x32
// calls on a 64-bit machine) ends the process. Everything else is allowed:
// namespaces, capabilities and rlimits do the rest.
var deniedSyscalls = []uint32{
	unix.SYS_MEMFD_CREATE, // memory outside /tmp's bound and RLIMIT_AS
	unix.SYS_USERFAULTFD,
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
	unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN,
	unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY,
}

// auditArch is the AUDIT_ARCH of this machine's system calls (0: no filter
// is made for this architecture).
func auditArch() uint32 {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	return 0
}

// BPF instructions and seccomp return values (linux/filter.h, seccomp.h).
const (
	bpfLdAbs   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeq     = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJge     = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfRet     = unix.BPF_RET | unix.BPF_K
	retKill    = 0x80000000 // SECCOMP_RET_KILL_PROCESS
	retErrno   = 0x00050000 // SECCOMP_RET_ERRNO
	retAllow   = 0x7fff0000 // SECCOMP_RET_ALLOW
	x32SysBit  = 0x40000000 // __X32_SYSCALL_BIT
	offsetNr   = 0          // seccomp_data.nr
	offsetArch = 4          // seccomp_data.arch
)

// seccompFilter returns the filter as bwrap reads it (struct sock_filter
// entries in this machine's byte order), or nil on an architecture it does
// not know.
func seccompFilter() []byte {
	arch := auditArch()
	if arch == 0 {
		return nil
	}
	prog := []unix.SockFilter{
		{Code: bpfLdAbs, K: offsetArch},
		{Code: bpfJeq, Jt: 1, K: arch},
		{Code: bpfRet, K: retKill},
		{Code: bpfLdAbs, K: offsetNr},
	}
	if runtime.GOARCH == "amd64" {
		prog = append(prog, unix.SockFilter{Code: bpfJge, Jf: 1, K: x32SysBit}, unix.SockFilter{Code: bpfRet, K: retKill})
	}
	for _, nr := range deniedSyscalls {
		prog = append(prog,
			unix.SockFilter{Code: bpfJeq, Jf: 1, K: nr},
			unix.SockFilter{Code: bpfRet, K: retErrno | uint32(unix.EPERM)})
	}
	prog = append(prog, unix.SockFilter{Code: bpfRet, K: retAllow})
	b := make([]byte, 0, 8*len(prog))
	for _, f := range prog {
		b = binary.NativeEndian.AppendUint16(b, f.Code)
		b = append(b, f.Jt, f.Jf)
		b = binary.NativeEndian.AppendUint32(b, f.K)
	}
	return b
}
