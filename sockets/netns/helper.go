package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Helper is one helper process: this executable re-executed (see Main)
// into a network namespace of its own — and, unless this process is root, a
// user namespace of its own in which it is root — that creates namespaces,
// labs and sockets on request and passes sockets back over a unix socket.
// One helper holds any number of namespaces. Its methods are safe for
// concurrent use.
type Helper struct {
	cmd    *exec.Cmd
	conn   *net.UnixConn
	pid    int
	userNS bool          // the helper has a user namespace of its own
	stderr *bytes.Buffer // what the helper said before it died

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan answer
	err     error // set once the helper is gone; every later call fails with it
	done    chan struct{}
}

// answer is a reply with the descriptors that came with it.
type answer struct {
	reply
	fds []int
}

// StartHelper starts a helper process. As root it gets a new network
// namespace only (so it works where user namespaces are turned off); as
// anyone else, a new user namespace too, mapping this user to root in it.
func StartHelper() (*Helper, error) {
	return startHelper(os.Geteuid() != 0)
}

// StartProvenHelper is StartHelper followed by one namespace made and
// closed, so that a kernel refusing namespaces says so now (an
// *UnavailableError) rather than at a session's first socket.
func StartProvenHelper() (*Helper, error) { return startProven(os.Geteuid() != 0) }

// startProven is startHelper followed by one namespace made and closed.
func startProven(userNS bool) (*Helper, error) {
	h, err := startHelper(userNS)
	if err != nil {
		return nil, err
	}
	ns, err := h.New()
	if err == nil {
		err = ns.Close()
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// startHelper starts a helper, in a user namespace of its own when userNS
// is set (tests set it as root too, to run the unprivileged path).
func startHelper(userNS bool) (*Helper, error) {
	parent, childEnd, err := socketpair()
	if err != nil {
		return nil, err
	}
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if userNS {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	stderr := &bytes.Buffer{}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"sockplay-netns-helper"},
		Env:         []string{helperEnv + "=1"},
		ExtraFiles:  []*os.File{childEnd},
		Stderr:      &syncWriter{w: stderr},
		SysProcAttr: attr,
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		parent.Close()
		return nil, refused(userNS, err)
	}
	conn, err := unixConn(parent)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	h := &Helper{cmd: cmd, conn: conn, userNS: userNS, stderr: stderr, pending: map[uint64]chan answer{}, done: make(chan struct{})}
	var hello reply
	if _, err := receive(conn, &hello); err != nil || hello.ID != 0 {
		conn.Close()
		cmd.Wait()
		return nil, fmt.Errorf("the netns helper did not start: %v %s", err, stderr)
	}
	h.pid = hello.PID
	go h.read()
	return h, nil
}

// PID is the helper process's id (tests and diagnostics look at its
// /proc entry).
func (h *Helper) PID() int { return h.pid }

// read delivers replies to the calls waiting for them, until the helper is
// gone.
func (h *Helper) read() {
	defer close(h.done)
	for {
		var r reply
		fds, err := receive(h.conn, &r)
		if err != nil {
			h.fail(err)
			return
		}
		h.mu.Lock()
		ch := h.pending[r.ID]
		delete(h.pending, r.ID)
		h.mu.Unlock()
		if ch == nil {
			closeAll(fds)
			continue
		}
		ch <- answer{r, fds}
	}
}

// fail records why the helper is gone and ends every waiting call.
func (h *Helper) fail(err error) {
	h.conn.Close() // a helper still running reads EOF and exits
	h.cmd.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = fmt.Errorf("the netns helper is gone (%v) %s", err, bytes.TrimSpace(h.stderr.Bytes()))
	}
	for id, ch := range h.pending {
		ch <- answer{reply: reply{ID: id, Err: h.err.Error()}}
		delete(h.pending, id)
	}
}

// call sends req and waits for its reply.
func (h *Helper) call(req request) (answer, error) {
	ch := make(chan answer, 1)
	h.mu.Lock()
	if h.err != nil {
		h.mu.Unlock()
		return answer{}, h.err
	}
	h.nextID++
	req.ID = h.nextID
	h.pending[req.ID] = ch
	h.mu.Unlock()
	if err := send(h.conn, req); err != nil {
		h.mu.Lock()
		delete(h.pending, req.ID)
		h.mu.Unlock()
		return answer{}, fmt.Errorf("netns helper: %w", err)
	}
	a := <-ch
	if err := a.error(); err != nil {
		closeAll(a.fds)
		return answer{}, err
	}
	return a, nil
}

// Close stops the helper. Its namespaces end with it, except those still
// held by a socket this process keeps open.
func (h *Helper) Close() error {
	h.mu.Lock()
	if h.err == nil {
		h.err = errors.New("the netns helper is closed")
	}
	h.mu.Unlock()
	h.conn.Close() // the helper reads EOF and exits
	<-h.done
	return nil
}

// syncWriter lets the exec package's copier and fail read one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.Len() > 4096 {
		return len(p), nil
	}
	return s.w.Write(p)
}
