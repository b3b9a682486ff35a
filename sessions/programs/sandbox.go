package programs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The sandbox's layout, as the program sees it.
const (
	sandboxTmp  = "/tmp"           // the program's private, empty, bounded directory (and its cwd)
	sandboxLib  = "/sockplay/lib"  // Config.Lib, read-only, first on PYTHONPATH
	sandboxSite = "/sockplay/site" // sitecustomize.py, second on PYTHONPATH
	sandboxSup  = "/sockplay/supervise.py"
	sandboxUID  = "1000" // the program's user and group inside the sandbox
	shmSize     = 1 << 20
)

// The file descriptors the sandbox is started with, besides 0, 1 and 2.
const (
	fdChannel = 3 // sockplay's channel (SOCKPLAY_FD), or closed
	fdReport  = 4 // the supervisor's and sitecustomize's reports
	fdSup     = 5 // supervise.py, copied into the sandbox by bwrap
	fdSite    = 6 // sitecustomize.py, likewise
	fdCode    = 7 // the program's code, copied to /tmp/NAME (Code programs)
	fdSeccomp = 8 // the seccomp filter (seccomp.go), read by bwrap
	fdInfo    = 9 // bwrap's --info-fd: it names the sandbox's PID 1 there (kill.go)
)

// topLinks are the top-level directories of a merged-/usr system that
// programs need as they are on this machine: a symlink is recreated, a
// directory is bound read-only.
var topLinks = []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// binds are the directories bound read-only besides /usr and its links,
// as [path on this machine, path in the sandbox]: the interpreter's
// installation when it is not under /usr, and Config.Lib.
func (r *Runner) binds() [][2]string {
	var b [][2]string
	for _, dir := range r.py.binds {
		b = append(b, [2]string{dir, dir})
	}
	if r.cfg.Lib != "" {
		b = append(b, [2]string{r.cfg.Lib, sandboxLib})
	}
	return b
}

// bwrapArgs is the bwrap command line that runs argv (python3 and its
// arguments, under the supervisor) of spec in a sandbox with limits lim.
// withCode copies fd fdCode to /tmp/NAME; withChannel says fd 3 is the channel;
// withSeccomp loads the filter on fd fdSeccomp.
func (r *Runner) bwrapArgs(lim Limits, spec Spec, withCode, withChannel, withSeccomp bool, argv []string) []string {
	a := []string{
		"--unshare-all", "--unshare-user", "--disable-userns", // no network, no IPC, no PIDs or users of the machine's
		"--die-with-parent", "--new-session", "--as-pid-1", "--info-fd", strconv.Itoa(fdInfo),
		"--uid", sandboxUID, "--gid", sandboxUID, "--hostname", "sockplay", "--cap-drop", "ALL",
		"--ro-bind", "/usr", "/usr",
	}
	for _, top := range topLinks {
		if target, err := os.Readlink(top); err == nil {
			a = append(a, "--symlink", target, top)
		} else if fi, err := os.Stat(top); err == nil && fi.IsDir() {
			a = append(a, "--ro-bind", top, top)
		}
	}
	for _, b := range r.binds() {
		a = append(a, "--ro-bind", b[0], b[1])
	}
	a = append(a,
		"--proc", "/proc",
		"--dev", "/dev", "--size", strconv.Itoa(shmSize), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
		"--size", strconv.FormatInt(lim.Tmp, 10), "--tmpfs", sandboxTmp,
		"--ro-bind-data", strconv.Itoa(fdSup), sandboxSup,
		"--ro-bind-data", strconv.Itoa(fdSite), filepath.Join(sandboxSite, "sitecustomize.py"),
	)
	if withCode {
		a = append(a, "--perms", "0644", "--file", strconv.Itoa(fdCode), filepath.Join(sandboxTmp, spec.Name))
	}
	if withSeccomp {
		a = append(a, "--seccomp", strconv.Itoa(fdSeccomp))
	}
	a = append(a, "--remount-ro", "/", "--chdir", sandboxTmp, "--clearenv")
	for _, kv := range r.env(withChannel, spec.Lang) {
		a = append(a, "--setenv", kv[0], kv[1])
	}
	a = append(a, "--", r.py.exe, "-I", "-S", sandboxSup, rlimits(lim))
	return append(a, argv...)
}

// env is the program's whole environment; lang is Spec.Lang.
func (r *Runner) env(withChannel bool, lang string) [][2]string {
	path := sandboxSite
	if r.cfg.Lib != "" {
		path = sandboxLib + ":" + sandboxSite
	}
	env := [][2]string{
		{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", sandboxTmp}, {"TMPDIR", sandboxTmp},
		{"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"}, {"TERM", "dumb"},
		{"PYTHONPATH", path}, {"PYTHONDONTWRITEBYTECODE", "1"},
		{"PYTHONNOUSERSITE", "1"}, {"PYTHONIOENCODING", "utf-8"},
	}
	if withChannel {
		env = append(env, [2]string{"SOCKPLAY_FD", strconv.Itoa(fdChannel)})
	}
	if lang != "" {
		env = append(env, [2]string{"SOCKPLAY_LANG", lang})
	}
	return env
}

// rlimits is the supervisor's LIMITS argument: what it sets on itself
// before it starts the program. RLIMIT_NPROC counts the supervisor too.
func rlimits(lim Limits) string {
	cpu := int64(lim.CPU.Seconds())
	m := map[string][2]int64{
		"RLIMIT_CPU":    {cpu, cpu + 1}, // SIGXCPU, then SIGKILL a second later
		"RLIMIT_AS":     {lim.Memory, lim.Memory},
		"RLIMIT_NPROC":  {int64(lim.Procs) + 1, int64(lim.Procs) + 1},
		"RLIMIT_FSIZE":  {lim.FileSize, lim.FileSize},
		"RLIMIT_NOFILE": {int64(lim.OpenFiles), int64(lim.OpenFiles)},
		"RLIMIT_CORE":   {0, 0},
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// sysProcAttr is how bwrap itself is started. As root, it starts in a user
// namespace of its own whose root is user 65534 (nobody) of this machine:
// the kernel does not limit root's processes, nor would it the sandbox's.
func (r *Runner) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if r.mapRoot {
		attr.Cloneflags = unix.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 65534, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 65534, Size: 1}}
		attr.GidMappingsEnableSetgroups = true
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
	}
	return attr
}

// memfd returns an unlinked in-memory file holding b, at offset 0.
func memfd(name string, b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
