package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// usage is what a helper and this process hold.
type usage struct {
	fds          int // this process's open descriptors
	goroutines   int // this process's goroutines
	helperFDs    int // the helper's open descriptors
	helperNS     int // network namespaces the helper's descriptors hold
	strayThreads int // helper threads left in a namespace other than the helper's own
}

func measure(t *testing.T, h *Helper) usage {
	t.Helper()
	u := usage{fds: countDir(t, "/proc/self/fd"), goroutines: runtime.NumGoroutine()}
	dir := fmt.Sprintf("/proc/%d", h.PID())
	u.helperFDs = countDir(t, dir+"/fd")
	links, _ := filepath.Glob(dir + "/fd/*")
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, "net:") {
			u.helperNS++
		}
	}
	own, err := os.Readlink(dir + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := filepath.Glob(dir + "/task/*/ns/net")
	for _, task := range tasks {
		if ns, err := os.Readlink(task); err == nil && ns != own {
			u.strayThreads++
		}
	}
	return u
}

func countDir(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settle waits until measure returns want, or less in this process
// (goroutines and descriptors end a little after Close returns), and fails
// with the difference if it never does.
func settle(t *testing.T, h *Helper, want usage) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := measure(t, h)
		if got.fds <= want.fds && got.goroutines <= want.goroutines && // other tests' may end meanwhile
			got.helperFDs == want.helperFDs && got.helperNS == want.helperNS && got.strayThreads == want.strayThreads {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing everything: %+v, want %+v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// 200 namespaces, each with a socket, every tenth with a lab and a capture,
// created and closed leave no namespace, descriptor, goroutine or thread
// behind, here or in the helper.
func TestNoLeaks(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) { testNoLeaks(t, startOrSkip(t, m.userNS)) })
	}
}

func testNoLeaks(t *testing.T, h *Helper) {
	before := measure(t, h)
	if before.helperNS != 1 || before.strayThreads != 0 {
		t.Fatalf("a fresh helper holds %+v, want its own namespace only", before)
	}
	for i := range 200 {
		ns, err := h.New()
		if err != nil {
			t.Fatal(err)
		}
		fd, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		if i%10 == 0 {
			lab, err := NewLab(ns, 3)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewCapture(lab.Hosts[2].NS)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if i%20 == 0 {
				lab.Close() // the others are closed with their owner
			}
		}
		if i == 100 {
			if during := measure(t, h); during.helperNS < 2 {
				t.Fatalf("the helper holds %d namespaces with one open, want more than its own", during.helperNS)
			}
		}
		if err := ns.Close(); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, h, before)
}

// A closed helper's process is gone, and so is every namespace it held.
func TestHelperClose(t *testing.T) {
	h := startOrSkip(t, os.Geteuid() != 0)
	newNS(t, h)
	pid := h.PID()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !os.IsNotExist(err) {
		t.Errorf("/proc/%d after Close: %v, want it gone", pid, err)
	}
	if _, err := h.New(); err == nil {
		t.Error("a closed helper made a namespace")
	}
}
