package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"sockplay/sessions"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// This file holds the content test — every step of every built-in lesson,
// and every `python run` block, against a real server — and the Go twin of
// static/js/runner.js and steps.js that it runs them with. The rules are
// templates/lessons/FORMAT.md's; when one changes, change both runners.

const (
	// endWait is how long the end of a step waits for outstanding results.
	endWait = 5 * time.Second
	// answerWait is how long a line waits for its result or waiting.
	answerWait = 10 * time.Second
)

// variable is a step variable: what an "as" defined.
type variable struct {
	handle  any // nil until defined
	addr    any
	peer    any
	pending *lineRun // the line defining it now, if its result has not come
}

// lineRun is one line of one run of a step.
type lineRun struct {
	line    lessons.StepLine
	id      int
	sent    bool
	request map[string]any
	waiting msg
	result  msg
	state   string // pending, sent, waiting, ok, fail, skipped
	why     string
	checked bool
}

// stepRunner runs lesson steps over one WebSocket client, as lesson.js does
// on a page: variables live as long as the runner.
type stepRunner struct {
	c       *client
	vars    map[string]*variable
	byID    map[int]*lineRun
	endWait time.Duration
}

func newStepRunner(c *client) *stepRunner {
	return &stepRunner{c: c, vars: map[string]*variable{}, byID: map[int]*lineRun{}, endWait: endWait}
}

// pump reads messages until done() or d has passed, and reports done().
func (r *stepRunner) pump(done func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !done() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		select {
		case m, ok := <-r.c.msgs:
			if !ok {
				r.c.t.Fatalf("the connection closed while a step ran")
			}
			r.c.check(m)
			r.dispatch(m)
		case <-time.After(left):
			return done()
		}
	}
	return true
}

// dispatch is runner.js's onMessages.
func (r *stepRunner) dispatch(m msg) {
	kind := m.str("kind")
	if (kind != "waiting" && kind != "result") || m["id"] == nil {
		return
	}
	run := r.byID[m.num("id")]
	if run == nil || run.result != nil {
		return
	}
	if kind == "waiting" {
		run.waiting = m
		if run.state == "sent" {
			run.state = "waiting"
		}
		return
	}
	run.result = m
	r.applyResult(run, m)
}

// addressOps report the socket's own address, which updates its variables.
var addressOps = map[string]bool{"bind": true, "connect": true, "sendto": true, "getsockname": true}

// applyResult is steps.js's applyResult.
func (r *stepRunner) applyResult(run *lineRun, m msg) {
	if m.ok() && addressOps[m.str("op")] && m.str("sock") != "" {
		if addr, isList := m["addr"].([]any); isList {
			for _, v := range r.vars {
				if v.handle != m.str("sock") {
					continue
				}
				v.addr = addr
				if p, isList := m["peer"].([]any); m.str("op") == "connect" && isList {
					v.peer = p
				}
			}
		}
	}
	name := run.line.As
	if name == "" {
		return
	}
	v := r.vars[name]
	if v == nil || v.pending != run {
		return
	}
	v.pending = nil
	if !m.ok() {
		return
	}
	switch m.str("op") {
	case "accept":
		v.handle = m["conn"]
	case "spawn":
		v.handle = m["peer"]
	default:
		v.handle = m["sock"]
	}
	v.addr = m["addr"]
	v.peer = nil
	if m.str("op") == "connect" {
		v.peer = m["peer"]
	}
}

// varRef is a string that names a variable.
var varRef = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_]+))?$`)

// resolveError is a variable that cannot be resolved (yet).
type resolveError struct {
	msg     string
	pending *lineRun
}

func (e *resolveError) Error() string { return e.msg }

// resolve is steps.js's resolve.
func (r *stepRunner) resolve(v any, pendingOK bool) (any, error) {
	switch v := v.(type) {
	case string:
		m := varRef.FindStringSubmatch(v)
		if m == nil {
			return v, nil
		}
		name, field := m[1], m[2]
		if field != "" && field != "addr" && field != "port" && field != "peer" {
			return nil, &resolveError{msg: fmt.Sprintf("%s: a variable has .addr, .port and .peer, not .%s", v, field)}
		}
		vr := r.vars[name]
		if vr != nil && vr.pending != nil && !pendingOK {
			return nil, &resolveError{msg: fmt.Sprintf("%s: the line that defines $%s has no result yet", v, name), pending: vr.pending}
		}
		if vr == nil || vr.handle == nil {
			return nil, &resolveError{msg: fmt.Sprintf("$%s is not defined yet", name)}
		}
		var out any
		switch field {
		case "":
			out = vr.handle
		case "addr":
			out = vr.addr
		case "port":
			if a, isList := vr.addr.([]any); isList && len(a) > 1 {
				out = a[1]
			}
		case "peer":
			out = vr.peer
		}
		if out == nil {
			return nil, &resolveError{msg: fmt.Sprintf("%s is not known yet: no result has reported it", v)}
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			y, err := r.resolve(x, pendingOK)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, err := r.resolve(x, pendingOK)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	}
	return v, nil
}

// resolveRequest resolves a request, first waiting (up to endWait) for
// variables whose defining line has no result yet.
func (r *stepRunner) resolveRequest(req map[string]any) (map[string]any, error) {
	deadline := time.Now().Add(r.endWait)
	for {
		v, err := r.resolve(req, false)
		if err == nil {
			return v.(map[string]any), nil
		}
		re := err.(*resolveError)
		if re.pending == nil {
			return nil, err
		}
		p := re.pending
		if !r.pump(func() bool { return p.result != nil }, time.Until(deadline)) {
			return nil, fmt.Errorf("%s after %v", re.msg, r.endWait)
		}
	}
}

// awaitVariables waits (up to endWait) until no variable that v names is
// still being defined by a line without its result.
func (r *stepRunner) awaitVariables(v map[string]any) {
	deadline := time.Now().Add(r.endWait)
	for {
		_, err := r.resolve(v, false)
		re, isResolve := err.(*resolveError)
		if err == nil || !isResolve || re.pending == nil {
			return
		}
		p := re.pending
		if !r.pump(func() bool { return p.result != nil }, time.Until(deadline)) {
			return
		}
	}
}

// run runs one step's lines, as runner.js's run; it returns the line runs.
func (r *stepRunner) run(lines []lessons.StepLine) []*lineRun {
	runs := make([]*lineRun, len(lines))
	for i, l := range lines {
		runs[i] = &lineRun{line: l, state: "pending"}
	}
	stopped := false
	for _, run := range runs {
		if stopped {
			run.state, run.why = "skipped", "not sent: an earlier line failed"
			continue
		}
		req, err := r.resolveRequest(run.line.Request)
		if err != nil {
			run.state, run.why = "fail", err.Error()
			stopped = true
			continue
		}
		if name := run.line.As; name != "" {
			if r.vars[name] == nil {
				r.vars[name] = &variable{}
			}
			r.vars[name].pending = run
		}
		run.request = req
		args := map[string]any{}
		for k, v := range req {
			if k != "op" {
				args[k] = v
			}
		}
		run.id = r.c.send(req["op"].(string), args)
		run.sent = true
		r.byID[run.id] = run
		run.state = "sent"
		if !r.pump(func() bool { return run.result != nil || run.waiting != nil }, answerWait) {
			run.state, run.why = "fail", fmt.Sprintf("no answer from the server within %v", answerWait)
			stopped = true
			continue
		}
		if run.result != nil {
			if run.line.ExpectsWaiting() {
				run.checked = true
				run.state, run.why = "fail", "waiting: it was expected to still be waiting, but its result came"
			} else {
				r.awaitVariables(run.line.Expect)
				r.check(run)
			}
			if run.state == "fail" {
				stopped = true
			}
		}
	}

	end := time.Now().Add(r.endWait)
	for _, run := range runs {
		if run.sent && run.result == nil && !run.line.ExpectsWaiting() {
			r.pump(func() bool { return run.result != nil }, time.Until(end))
		}
	}
	for _, run := range runs {
		if !run.sent || run.checked {
			continue
		}
		run.checked = true
		switch {
		case run.line.ExpectsWaiting() && run.result != nil:
			run.state, run.why = "fail", "waiting: it was expected to still be waiting, but its result came"
		case run.line.ExpectsWaiting():
			run.state, run.why = "ok", "still waiting, as expected"
		case run.result != nil:
			run.checked = false
			r.check(run)
		default:
			run.state, run.why = "fail", fmt.Sprintf("no result within %v: cancelled", r.endWait)
			r.c.send("cancel", map[string]any{"target": run.id})
		}
	}
	return runs
}

// check is runner.js's check of one result.
func (r *stepRunner) check(run *lineRun) {
	run.checked = true
	var expect map[string]any
	if run.line.Expect != nil {
		v, err := r.resolve(run.line.Expect, true)
		if err != nil {
			run.state, run.why = "fail", "expect: "+err.Error()
			return
		}
		expect = v.(map[string]any)
	}
	if why := checkResult(expect, map[string]any(run.result)); why != "" {
		run.state, run.why = "fail", why
		return
	}
	run.state, run.why = "ok", ""
}

// checkResult is steps.js's check: "" when result holds what expect says.
func checkResult(expect, result map[string]any) string {
	want := map[string]any{}
	for k, v := range expect {
		want[k] = v
	}
	_, hasOK := expect["ok"]
	_, hasError := expect["error"]
	if expect == nil || !hasOK && !hasError {
		delete(want, "ok")
		if result["ok"] != true {
			why := ""
			if e, isObj := result["error"].(map[string]any); isObj {
				prefix, _ := e["exception"].(string)
				if prefix == "" {
					prefix, _ = e["type"].(string)
				}
				why = fmt.Sprintf(" (%s: %v)", prefix, e["message"])
			}
			return fmt.Sprintf("ok: got %s, want true%s", jsonOf(result["ok"]), why)
		}
	}
	return matchJSON(want, result, "")
}

// matchJSON returns the first mismatch of want in got: objects recursively,
// everything else exactly; null matches a missing key. Keys are visited in
// sorted order, "ok" first, as steps.js visits them.
func matchJSON(want, got any, path string) string {
	at := path
	if at == "" {
		at = "result"
	}
	switch w := want.(type) {
	case nil:
		if got == nil {
			return ""
		}
		return fmt.Sprintf("%s: got %s, want null", at, jsonOf(got))
	case map[string]any:
		g, isObj := asObject(got)
		if !isObj {
			return fmt.Sprintf("%s: got %s, want an object like %s", at, jsonOf(got), jsonOf(want))
		}
		for _, k := range sortedKeys(w) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if m := matchJSON(w[k], g[k], p); m != "" {
				return m
			}
		}
		return ""
	}
	if equalJSON(want, got) {
		return ""
	}
	return fmt.Sprintf("%s: got %s, want %s", at, jsonOf(got), jsonOf(want))
}

func asObject(v any) (map[string]any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return v, true
	case msg:
		return v, true
	}
	return nil, false
}

// equalJSON is exact equality of decoded JSON values.
func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case []any:
		bl, isList := b.([]any)
		if !isList || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !equalJSON(a[i], bl[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bo, isObj := asObject(b)
		if !isObj || len(a) != len(bo) {
			return false
		}
		for k, v := range a {
			bv, has := bo[k]
			if !has || !equalJSON(v, bv) {
				return false
			}
		}
		return true
	}
	return a == b
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if (a == "ok") != (b == "ok") {
			if a == "ok" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// jsonOf writes a value for a failure message as steps.js's json() does.
func jsonOf(v any) string {
	if v == nil {
		return "nothing"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// runSteps runs every step of l in order over c and returns one message per
// failed line, "slug#step line N (FILE:LINE): why", stopping after the
// first step that failed.
func runSteps(r *stepRunner, l *lessons.Lesson) []string {
	var fails []string
	for _, s := range l.Steps {
		for i, run := range r.run(s.Lines) {
			if run.state == "fail" {
				got := "no result"
				if run.result != nil {
					got = jsonOf(withoutNoise(run.result))
				}
				fails = append(fails, fmt.Sprintf("%s#%s line %d (%s:%d): %s\n\tresult: %s",
					l.Slug, s.ID, i+1, l.File, run.line.Line, run.why, got))
			}
		}
		if len(fails) > 0 {
			return fails
		}
	}
	return nil
}

// withoutNoise drops the fields of a result that only make a failure message
// longer.
func withoutNoise(m msg) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "seq", "time", "kind", "request":
			continue
		}
		out[k] = v
	}
	return out
}

// spawnSupported asks the server whether it knows the spawn op.
func spawnSupported(c *client) (bool, string) {
	r := c.do("spawn", map[string]any{})
	e := r.obj("error")
	if !r.ok() && e.str("type") == "bad_request" && strings.Contains(e.str("message"), "unknown op") {
		return false, e.str("message")
	}
	return true, ""
}

// usesPeers reports whether a lesson's steps spawn or kill peers.
func usesPeers(l *lessons.Lesson) bool {
	for _, s := range l.Steps {
		for _, line := range s.Lines {
			if op := line.Op(); op == "spawn" || op == "kill" {
				return true
			}
		}
	}
	return false
}

// runLesson is the content test of one lesson: start its peers, run its
// steps, run its python run blocks.
func runLesson(t *testing.T, l *lessons.Lesson, base sessions.Config) {
	cfg, wire := kernelConfig(t)
	base.Programs, base.Channel = cfg.Programs, cfg.Channel // the profile's network, the kernel's programs
	srv := newServer(t, base)
	wire(srv)
	c := srv.dial(t)
	defer c.use(t)()
	spawnOK, why := spawnSupported(c)
	notYet := fmt.Sprintf("the server does not know spawn yet (%s): another engineer is adding spawn/kill and sockets/peers", why)

	peersStarted := t.Run("peers", func(t *testing.T) {
		defer c.use(t)()
		if len(l.Peers) == 0 {
			return
		}
		if !spawnOK {
			t.Skip(notYet)
		}
		for _, p := range l.Peers {
			if r := c.do("spawn", p.Request()); !r.ok() {
				hint := ""
				if r.obj("error").str("errno") == "EADDRINUSE" {
					hint = " (is another test run, or another program, using the lesson's fixed ports?)"
				}
				t.Fatalf("%s: peers: spawn %v: %v%s", l.File, p.Request(), r["error"], hint)
			}
		}
	})
	peersRunning := len(l.Peers) == 0 || spawnOK && peersStarted

	t.Run("steps", func(t *testing.T) {
		defer c.use(t)()
		if usesPeers(l) && !spawnOK {
			t.Skip(notYet)
		}
		for _, f := range runSteps(newStepRunner(c), l) {
			t.Error(f)
		}
	})

	if len(l.Cells) > 0 {
		t.Run("cells", func(t *testing.T) {
			if !peersRunning {
				t.Skip("the lesson's peers did not start (see the peers test)")
			}
			runLessonCells(t, srv, c, l, base.Private != nil)
		})
	}

	t.Run("python", func(t *testing.T) {
		for i, b := range l.Python {
			if !b.Run {
				continue
			}
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				switch {
				case !spawnOK && len(l.Peers) > 0:
					t.Skip(notYet)
				case !peersRunning:
					t.Skip("the lesson's peers did not start (see the peers test)")
				}
				where := fmt.Sprintf("%s:%d", l.File, b.Line)
				if base.Private != nil {
					// The lesson's peers live in the session's own network:
					// its closing program runs there too, through op run.
					defer c.use(t)()
					runSessionPython(t, c, where, b.Code)
					return
				}
				runPython(t, where, b.Code)
			})
		}
	})
}

// runPython runs a lesson's closing program with python3: it must exit 0
// within pythonTimeout and print something.
func runPython(t *testing.T, where, code string) {
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed for this test: %v", err)
		}
		t.Skipf("no python3: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "lesson.py")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, file)
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: the program did not finish within %v; stdout:\n%s\nstderr:\n%s", where, pythonTimeout, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("%s: %v; stdout:\n%s\nstderr:\n%s", where, err, stdout.String(), stderr.String())
	}
	if strings.TrimSpace(stdout.String()) == "" {
		t.Errorf("%s: the program printed nothing; a closing program shows that it worked", where)
	}
}

// runSessionPython runs a lesson's closing program in c's session (op run,
// sandboxed, with sockplay's socket module): it must exit 0 and print
// something, as runPython's.
func runSessionPython(t *testing.T, c *client, where, code string) {
	stdout, stderr, exit := c.programOutput(c.run(code))
	if _, ok := exit["code"]; !ok || exit.num("code") != 0 {
		t.Fatalf("%s: the program ended %v; stdout:\n%s\nstderr:\n%s", where, exit, stdout, stderr)
	}
	if strings.TrimSpace(stdout) == "" {
		t.Errorf("%s: the program printed nothing; a closing program shows that it worked", where)
	}
}

// TestLessonContent is THE content test: every built-in lesson's peers,
// steps and python run blocks, each against a fresh real server.
func TestLessonContent(t *testing.T) {
	ls, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Skip("no built-in lessons yet")
	}
	for _, l := range ls {
		t.Run(l.Slug, func(t *testing.T) {
			bothProfiles(t, l, func(t *testing.T, cfg sessions.Config) { runLesson(t, l, cfg) })
		})
	}
}

// bothProfiles runs a lesson's test on both network profiles: a lab
// lesson as forProfiles does, any other on this machine's network (host)
// and in a private network of its own (private), where the kernel allows
// namespaces (skipped otherwise, except under CI=true).
func bothProfiles(t *testing.T, l *lessons.Lesson, run func(t *testing.T, cfg sessions.Config)) {
	if l.Network == lessons.NetworkLab {
		forProfiles(t, l, run)
		return
	}
	t.Run("host", func(t *testing.T) { run(t, sessions.Config{}) })
	t.Run("private", func(t *testing.T) {
		cfg, _ := privateConfig(t)
		run(t, cfg)
	})
}

// forProfiles runs a lesson's test with the servers it needs: a lesson
// with network lab on both network profiles, each able to build labs (its
// subtests host and private; where the kernel refuses namespaces they are
// skipped, except under CI=true); any other lesson on this machine's
// network.
func forProfiles(t *testing.T, l *lessons.Lesson, run func(t *testing.T, cfg sessions.Config)) {
	if l.Network != lessons.NetworkLab {
		run(t, sessions.Config{})
		return
	}
	t.Run("host", func(t *testing.T) {
		_, h := privateConfig(t)
		run(t, sessions.Config{Labs: h.New})
	})
	t.Run("private", func(t *testing.T) {
		cfg, _ := privateConfig(t)
		run(t, cfg)
	})
}

// fixtureLessons loads web/testdata/lessons.
func fixtureLessons(t testing.TB) []*lessons.Lesson {
	t.Helper()
	ls, err := lessons.LoadDir(filepath.Join("testdata", "lessons"))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// TestLessonFixture runs the runner's own fixture lesson, which uses each
// rule of the runner once.
func TestLessonFixture(t *testing.T) {
	for _, l := range fixtureLessons(t) {
		t.Run(l.Slug, func(t *testing.T) { runLesson(t, l, sessions.Config{}) })
	}
}

// TestStepRunnerFailures checks that the runner fails what it should, with
// the message lesson authors will read.
func TestStepRunnerFailures(t *testing.T) {
	const head = "---\ntitle: T\nsummary: S.\norder: 1\n---\n\n"
	tests := []struct {
		name  string
		steps string
		want  []string // pieces of the failure messages, in order (nil: passes)
	}{
		{"passes", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"bind","sock":"$s","addr":["127.0.0.1",0],"expect":{"addr":["127.0.0.1","$s.port"]}}` + "\n```\n",
			nil},
		{"wrong value", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"sendto","sock":"$s","data":{"text":"hello"},"addr":["127.0.0.1",9],"expect":{"n":99}}` + "\n" +
			`{"op":"close","sock":"$s"}` + "\n```\n",
			[]string{"t#a line 2 (t.md:9): n: got 5, want 99"}},
		{"unexpected failure", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"bind","sock":"$s","addr":["127.0.0.1",80]}` + "\n```\n",
			[]string{"t#a line 2 (t.md:9): ok: got false, want true (policy"}},
		{"nested mismatch", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"bind","sock":"$s","addr":["127.0.0.1",80],"expect":{"ok":false,"error":{"type":"os"}}}` + "\n```\n",
			[]string{`t#a line 2 (t.md:9): error.type: got "policy", want "os"`}},
		{"no result in time", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"bind","sock":"$s","addr":["127.0.0.1",0]}` + "\n" +
			`{"op":"recvfrom","sock":"$s","bufsize":10}` + "\n```\n",
			[]string{"t#a line 3 (t.md:10): no result within 300ms: cancelled"}},
		{"should have waited", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"bind","sock":"$s","addr":["127.0.0.1",0],"as":"s"}` + "\n" +
			`{"op":"sendto","sock":"$s","data":{"text":"x"},"addr":"$s.addr"}` + "\n" +
			`{"op":"recvfrom","sock":"$s","bufsize":10,"expect":{"waiting":true}}` + "\n```\n",
			[]string{"t#a line 4 (t.md:11): waiting: it was expected to still be waiting"}},
		{"later lines not sent", "```step id=a\n" +
			`{"op":"socket","type":"SOCK_DGRAM","as":"s"}` + "\n" +
			`{"op":"getsockname","sock":"$s","expect":{"addr":["127.0.0.1",0]}}` + "\n" +
			`{"op":"close","sock":"$s"}` + "\n```\n",
			[]string{`t#a line 2 (t.md:9): addr: got ["0.0.0.0",0], want ["127.0.0.1",0]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls, err := lessons.Load(fstest.MapFS{"1-t.md": {Data: []byte(head + tt.steps)}})
			if err != nil {
				t.Fatal(err)
			}
			l := ls[0]
			l.File = "t.md"
			srv := newServer(t, sessions.Config{})
			c := srv.dial(t)
			r := newStepRunner(c)
			r.endWait = 300 * time.Millisecond
			got := runSteps(r, l)
			if len(got) != len(tt.want) {
				t.Fatalf("failures %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("failure %q, want it to contain %q", got[i], w)
				}
			}
		})
	}
}

// TestLessonPages: the index links every lesson, each lesson page answers
// with its steps and the embedded workbench, an unknown slug is a 404 page.
func TestLessonPages(t *testing.T) {
	builtin, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := lessons.Merge(builtin, fixtureLessons(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sessions.Config{}, web.WithLessons(ls))
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, index := get("/lessons")
	if code != http.StatusOK {
		t.Fatalf("/lessons: %d", code)
	}
	for _, l := range ls {
		if want := `href="/lessons/` + l.Slug + `"`; !strings.Contains(index, want) {
			t.Errorf("/lessons lacks %s", want)
		}
	}
	if _, home := get("/"); !strings.Contains(home, `href="/lessons"`) {
		t.Errorf("the home page does not link /lessons")
	}

	for i, l := range ls {
		t.Run(l.Slug, func(t *testing.T) {
			code, page := get("/lessons/" + l.Slug)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			want := []string{
				`<div class="lesson-page" id="lesson" data-lesson="` + l.Slug + `">`,
				`data-embedded`,
				`<script type="module" src="/static/`,
				`/js/lesson.js"></script>`,
				`<script id="lesson-peers" type="application/json">`,
			}
			for _, s := range l.Steps {
				want = append(want, `<section class="step" id="step-`+s.ID+`" data-step="`+s.ID+`"`)
			}
			if i > 0 {
				want = append(want, `rel="prev" href="/lessons/`+ls[i-1].Slug+`"`)
			}
			if i+1 < len(ls) {
				want = append(want, `rel="next" href="/lessons/`+ls[i+1].Slug+`"`)
			}
			if len(l.Peers) > 0 {
				want = append(want, `id="start-peers"`)
			}
			if hasNote := strings.Contains(page, `data-network="lab"`); hasNote != (l.Network == lessons.NetworkLab) {
				t.Errorf("page says it needs a lab: %v, front matter network %q", hasNote, l.Network)
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %s", w)
				}
			}
		})
	}

	code, page := get("/lessons/no-such-lesson")
	if code != http.StatusNotFound || !strings.Contains(page, "There is no lesson at this address.") {
		t.Errorf("unknown slug: %d %.200q, want 404 and the not-found page", code, page)
	}
}
