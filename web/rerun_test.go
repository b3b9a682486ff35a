package web_test

import (
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	pylib "sockplay/sessions/python"
	"sockplay/templates/lessons"
)

// openSockets returns the handles of the session's sockets that are open
// as far as c's messages say (a socket message's last state is not
// CLOSED), sorted.
func (c *client) openSockets() []string {
	last := map[string]string{}
	for _, m := range c.find(func(m msg) bool { return m.str("kind") == "socket" }) {
		last[m.str("sock")] = m.str("state")
	}
	var open []string
	for h, st := range last {
		if st != "CLOSED" {
			open = append(open, h)
		}
	}
	sort.Strings(open)
	return open
}

// runCell sends a cell (with rerun key key, if not empty) to the kernel
// and returns its cell_start and cell_done messages and what it printed.
func (c *client) runCell(program, cell, key, code string) (start, done msg, out string) {
	c.t.Helper()
	args := map[string]any{"program": program, "cell": cell, "code": code}
	if key != "" {
		args["rerun_key"] = key
	}
	c.must("cell", args)
	var b strings.Builder
	for done == nil {
		m := c.next()
		if m.str("program") != program || m.str("cell") != cell {
			continue
		}
		switch m.str("kind") {
		case "cell_start":
			start = m
		case "output":
			b.WriteString(m.str("text"))
		case "cell_done":
			done = m
		}
	}
	if !done.ok() {
		c.t.Fatalf("cell %s: %v; output:\n%s", cell, done, b.String())
	}
	return start, done, b.String()
}

// TestCellRerunClosesWhatItMade: a cell run again with its rerun key
// (as the lesson page runs its cells) first closes the sockets and peers
// its earlier run made that are still open, names them in its cell_start
// and in the first line of its output, and so the session's open sockets
// do not grow. Sockets made by the page's buttons, by another cell, by a
// cell without a key (the console), and those already closed, stay as
// they are; a cell that made nothing gets no note.
func TestCellRerunClosesWhatItMade(t *testing.T) {
	srv := kernelServer(t)
	c := srv.dial(t)
	button := c.socket("SOCK_DGRAM")
	k := c.must("run", map[string]any{"kernel": true}).str("program")

	c.runCell(k, "console.1", "", "import socket\nconsole = socket.socket()")
	c.runCell(k, "other.1", "other", "other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)")
	const setup = `import socket, sockplay
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
tcp = socket.socket()
shut = socket.socket()
shut.close()
gone = socket.socket()
peer, peer_addr = sockplay.spawn("udp-echo")
print("made", udp.handle, tcp.handle, gone.handle, peer)`
	_, _, out1 := c.runCell(k, "setup.1", "setup", setup)
	first := strings.Fields(out1) // made udp tcp gone peer
	if len(first) != 5 || strings.Contains(out1, "# re-run") {
		t.Fatalf("the first run printed %q", out1)
	}
	udp, tcp, gone, peer := first[1], first[2], first[3], first[4]
	before := c.openSockets()
	c.must("close", map[string]any{"sock": gone}) // closed on the workbench
	if r := c.must("close", map[string]any{"sock": gone}); r["already_closed"] != true {
		t.Errorf("closing %s again: %v, want already_closed", gone, r)
	}

	start, _, out2 := c.runCell(k, "setup.2", "setup", setup)
	if want := []any{udp, tcp}; !reflect.DeepEqual(start["closed"], want) {
		t.Errorf("the re-run's cell_start closed %v, want %v", start["closed"], want)
	}
	if slices.Contains(start.addr("sockets"), any(udp)) {
		t.Errorf("the re-run's cell_start names %v, a socket it closed, among its sockets", start["sockets"])
	}
	if want := []any{peer}; !reflect.DeepEqual(start["stopped"], want) {
		t.Errorf("the re-run's cell_start stopped %v, want %v", start["stopped"], want)
	}
	note := "# re-run: closed " + udp + ", " + tcp + " and stopped peer " + peer + " made by the previous run of this cell\n"
	if !strings.HasPrefix(out2, note) {
		t.Errorf("the re-run printed %q, want it to start with %q", out2, note)
	}
	after := c.openSockets()
	if len(after) != len(before) {
		t.Errorf("open sockets went from %v after the first run to %v after the re-run, want as many", before, after)
	}
	for _, h := range []string{udp, tcp} {
		if st := c.states(h); len(st) == 0 || st[len(st)-1] != "CLOSED" {
			t.Errorf("socket %s of the first run: states %v, want it closed", h, st)
		}
	}
	for _, h := range append([]string{button}, findHandles(c, "console.1", "other.1")...) {
		if !slices.Contains(after, h) {
			t.Errorf("socket %s (a button's, the console's or another cell's) was closed by the re-run; open: %v", h, after)
		}
	}
	if len(c.find(func(m msg) bool {
		return m.str("kind") == "peer" && m.str("peer") == peer && m.str("event") == "stopped"
	})) == 0 {
		t.Errorf("peer %s of the first run did not stop", peer)
	}
	// The names now are the new run's sockets: a later cell uses them.
	_, _, out3 := c.runCell(k, "use.1", "use", "print(udp.handle not in "+pyList(udp, tcp)+", udp.getsockname()[0])")
	if out3 != "True 127.0.0.1\n" {
		t.Errorf("a later cell after the re-run printed %q, want udp to be the new socket", out3)
	}

	c.runCell(k, "plain.1", "plain", "x = 1 + 1")
	_, _, plain := c.runCell(k, "plain.2", "plain", "x")
	if plain != "2\n" {
		t.Errorf("a cell that made nothing, run again, printed %q, want no note", plain)
	}
	_, _, out4 := c.runCell(k, "setup.3", "setup", "print('nothing made')")
	if !regexp.MustCompile(`^# re-run: closed s[0-9]+, s[0-9]+, s[0-9]+ and stopped peer p[0-9]+ made by`).MatchString(out4) {
		t.Errorf("the third run printed %q, want it to close the second run's udp, tcp and gone", out4)
	}
	if r := c.do("cell", map[string]any{"program": k, "cell": "bad.1", "rerun_key": "a b", "code": "1"}); r.ok() || !strings.Contains(r.obj("error").str("message"), "rerun_key") {
		t.Errorf("a bad rerun_key: %v, want an error naming rerun_key", r)
	}
}

// findHandles returns the sockets the cells' cell_done messages name.
func findHandles(c *client, cells ...string) []string {
	var hs []string
	for _, m := range c.find(func(m msg) bool { return m.str("kind") == "cell_done" && slices.Contains(cells, m.str("cell")) }) {
		for _, h := range m.addr("sockets") {
			hs = append(hs, h.(string))
		}
	}
	if len(hs) != len(cells) {
		c.t.Errorf("cells %v name sockets %v, want one each", cells, hs)
	}
	return hs
}

// pyList is the strings as a Python list literal.
func pyList(ss ...string) string {
	return "['" + strings.Join(ss, "', '") + "']"
}

// rerunKernel is the session's kernel as the lesson page uses it: each
// cell is sent as run pass of its id (`<id>.<pass>`) with the id as its
// rerun key; events of other passes are dropped.
type rerunKernel struct {
	*sessionKernel
	pass string
}

func (k *rerunKernel) send(cell, code string) {
	k.c.send("cell", map[string]any{"program": k.program, "cell": cell + "." + k.pass, "rerun_key": cell, "code": code})
}

func (k *rerunKernel) next(deadline time.Time) (pylib.KernelEvent, bool) {
	for {
		ev, ok := k.sessionKernel.next(deadline)
		if !ok {
			return ev, false
		}
		if id, found := strings.CutSuffix(ev.Cell, "."+k.pass); found {
			ev.Cell = id
			return ev, true
		}
	}
}

// TestLessonCellsRunTwice: every lesson's cells, run down the page twice
// as the page runs them (each run with its cell's id as rerun key), pass
// their checks the second time too, and no socket left open by the first
// pass is open after the second: running the cells again piles up nothing.
// (Lab lessons are left out: their lab needs network namespaces.)
func TestLessonCellsRunTwice(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if len(l.Cells) == 0 || l.Network == lessons.NetworkLab {
			continue
		}
		t.Run(l.Slug, func(t *testing.T) {
			cfg, wire := kernelConfig(t)
			if err := cfg.Programs.Available(); err != nil {
				skipOrFail(t, "programs cannot run on this machine: "+err.Error())
			}
			srv := newServer(t, cfg)
			wire(srv)
			c := srv.dial(t)
			for _, p := range l.Peers {
				c.must("spawn", p.Request())
			}
			k, why := startSessionKernel(c, l.Lang)
			if k == nil {
				t.Fatal(why)
			}
			var open [][]string
			for _, pass := range []string{"1", "2"} {
				for _, f := range runCells(&rerunKernel{k, pass}, l.File, l.Cells) {
					t.Errorf("pass %s: %s", pass, f)
				}
				open = append(open, c.openSockets())
			}
			for _, h := range open[0] {
				if slices.Contains(open[1], h) {
					t.Errorf("socket %s, open after the first pass, is still open after the second (open then: %v, now: %v)", h, open[0], open[1])
				}
			}
		})
	}
}
