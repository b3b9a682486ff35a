package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"sockplay/sessions/python"
	"sockplay/templates/i18n"
	"sockplay/web"
	"sockplay/web/bridge"
)

// The exit statuses of "sockplay run" that are its own (as env(1) has
// them); any other is the program's.
const (
	exitUsage    = 2   // a usage error
	exitAttach   = 125 // the program could not be attached (a refused code, no server)
	exitNoPython = 127 // no python3 to run it with
)

// defaultServer is the server "sockplay run" attaches to without --server.
const defaultServer = "http://127.0.0.1:8080"

// runConfig is what "sockplay run" reads from its arguments.
type runConfig struct {
	server string   // the server's URL
	code   string   // the session's attach code
	python string   // the python3 to run
	lang   string   // i18n.EN or i18n.ZH: --lang, else the locale's
	file   string   // the program
	args   []string // its arguments
}

// runProgram is "sockplay run": it runs the learner's program with
// sockplay's socket module, attached to their browser session, and
// returns the program's exit status.
//
//	sockplay run FILE.py [--server URL] [--session CODE] [--lang en|zh] [--] [ARG…]
//
// It writes its own sentences, and sockplay's sentences in the program's
// exceptions, in Chinese with --lang zh or a Chinese locale (as "sockplay
// check" does); Python's own words stay English.
// sockplay's flags may come before FILE.py or right after it; the first
// argument after FILE.py that is not one of them (or everything after --)
// goes to the program, as do stdin, stdout and stderr.
func runProgram(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseRun(args, getenv, stderr)
	lang := cfg.lang
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, say(lang, "sockplay run: %v\n\n"), err)
		runUsage(stderr, lang)
		return exitUsage
	}
	py, err := exec.LookPath(cfg.python)
	if err != nil {
		fmt.Fprintf(stderr, say(lang, "sockplay run: %s is needed to run Python programs: %v\n"), cfg.python, err)
		return exitNoPython
	}
	conn, program, err := dialAttach(cfg.server, cfg.code, lang)
	if err != nil {
		fmt.Fprintf(stderr, say(lang, "sockplay run: %v\n"), err)
		return exitAttach
	}
	defer conn.Close()
	lib, err := python.Dir()
	defer python.Release() // a copy of this process's own, not the shared one
	if err != nil {
		fmt.Fprintf(stderr, say(lang, "sockplay run: sockplay's Python module: %v\n"), err)
		return exitAttach
	}
	fmt.Fprintf(stderr, say(lang, "sockplay run: %s is attached to your session as %s; its sockets show on the workbench\n"), cfg.file, program)
	status, err := runAttached(conn, py, lib, cfg, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, say(lang, "sockplay run: %v\n"), err)
	}
	return status
}

// runUsage prints how to call "sockplay run".
func runUsage(w io.Writer, lang string) {
	fmt.Fprintf(w, say(lang, runUsageText), defaultServer)
}

const runUsageText = `usage: sockplay run FILE.py [--server URL] [--session CODE] [--] [ARG…]

Runs FILE.py with python3 and sockplay's socket module, attached to your
browser session: its sockets appear on the workbench, live. The workbench
(Your program) shows the command with your session's attach code.

  --server URL    the sockplay server (default %s; env SOCKPLAY_SERVER)
  --session CODE  your session's attach code (env SOCKPLAY_SESSION)
  --python PATH   the Python 3 to run (default python3)
  --lang en|zh    the language of sockplay's sentences (default: the
                  locale's, LC_ALL, LC_MESSAGES or LANG; env SOCKPLAY_LANG)

The program's arguments, stdin, stdout and stderr pass through, and the
exit status is the program's (125: it could not be attached; 127: no
python3; 2: a usage error).
`

// parseRun reads the arguments of "sockplay run".
func parseRun(args []string, getenv func(string) string, stderr io.Writer) (runConfig, error) {
	cfg := runConfig{server: getenv("SOCKPLAY_SERVER"), code: getenv("SOCKPLAY_SESSION"), python: "python3", lang: localeLang(getenv)}
	if cfg.server == "" {
		cfg.server = defaultServer
	}
	if v := getenv("SOCKPLAY_LANG"); i18n.Valid(v) {
		cfg.lang = v
	}
	fs := flag.NewFlagSet("sockplay run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { runUsage(stderr, cfg.lang) }
	fs.StringVar(&cfg.server, "server", cfg.server, "the sockplay server's URL")
	fs.StringVar(&cfg.code, "session", cfg.code, "your session's attach code")
	fs.StringVar(&cfg.python, "python", cfg.python, "the Python 3 to run")
	fs.Func("lang", "en or zh: the language of sockplay's sentences (default: the locale's)", func(v string) error {
		if !i18n.Valid(v) {
			return fmt.Errorf("want en or zh, not %q", v)
		}
		cfg.lang = v
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return cfg, errorf(cfg.lang, "which program? name a FILE.py")
	}
	cfg.file, rest = rest[0], rest[1:]
	// sockplay's flags right after FILE.py; the program's arguments after.
	n := 0
	for n < len(rest) && isRunFlag(rest[n]) {
		n++
		if !strings.Contains(rest[n-1], "=") {
			n++ // its value
		}
	}
	if n > len(rest) {
		return cfg, errorf(cfg.lang, "%s needs a value", rest[len(rest)-1])
	}
	if err := fs.Parse(rest[:n]); err != nil {
		return cfg, err
	}
	cfg.args = rest[n:]
	if len(cfg.args) > 0 && cfg.args[0] == "--" {
		cfg.args = cfg.args[1:]
	}
	if cfg.code == "" {
		return cfg, errorf(cfg.lang, "which session? give --session CODE: the workbench shows the command with your session's code (Your program)")
	}
	if _, err := os.Stat(cfg.file); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// isRunFlag reports whether arg is one of sockplay run's flags.
func isRunFlag(arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.HasPrefix(arg, "-") && (name == "server" || name == "session" || name == "python" || name == "lang")
}

// attachURL is the WebSocket URL that attaches to server with code.
func attachURL(server, code, lang string) (string, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", errorf(lang, "--server %s: %v", server, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", errorf(lang, "--server %s: want an http:// or https:// URL", server)
	}
	if u.Host == "" {
		return "", errorf(lang, "--server %s: no host in it", server)
	}
	u.Path = path.Join("/", u.Path, "ws")
	q := url.Values{"attach": {code}}
	if lang != i18n.EN {
		q.Set("lang", lang) // the server's sentences in the program's exceptions
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dialAttach opens the attach WebSocket and returns it with the program's
// name in the session. A refusal is an error with the server's sentence.
func dialAttach(server, code, lang string) (*websocket.Conn, string, error) {
	u, err := attachURL(server, code, lang)
	if err != nil {
		return nil, "", err
	}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, Proxy: http.ProxyFromEnvironment}
	conn, resp, err := d.Dial(u, nil)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			msg := strings.TrimSpace(string(body))
			if msg == "" {
				msg = resp.Status
			}
			return nil, "", errorf(lang, "the server at %s refused to attach (HTTP %d): %s", server, resp.StatusCode, i18n.Server(lang, msg))
		}
		return nil, "", errorf(lang, "cannot reach the sockplay server at %s: %v (is it running? --server URL names another)", server, err)
	}
	return conn, resp.Header.Get(web.ProgramHeader), nil
}

// runAttached runs the program with its channel (fd 3) bridged to conn and
// returns its exit status (128+N when signal N ended it).
func runAttached(conn *websocket.Conn, py, lib string, cfg runConfig, getenv func(string) string, stderr io.Writer) (int, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return exitAttach, fmt.Errorf("socketpair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "channel"), os.NewFile(uintptr(fds[1]), "channel-program")
	fc, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		theirs.Close()
		return exitAttach, err
	}
	ch := fc.(*net.UnixConn)
	defer ch.Close()

	cmd := exec.Command(py, append([]string{cfg.file}, cfg.args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	cmd.ExtraFiles = []*os.File{theirs} // fd 3
	cmd.Env = programEnv(os.Environ(), lib, getenv("PYTHONPATH"), cfg.lang)
	// Ctrl-C reaches the program from the terminal; a signal sent to
	// sockplay alone is passed on to it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		theirs.Close()
		return exitNoPython, err
	}
	theirs.Close()

	bridged := make(chan error, 1)
	go func() { bridged <- bridge.Run(conn, ch, ch, func() { ch.CloseWrite() }, bridge.MaxLine) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var bridgeErr error
	for {
		select {
		case s := <-sigs:
			if s != os.Interrupt {
				cmd.Process.Signal(s)
			}
		case bridgeErr = <-bridged:
			bridged = nil
			if !websocket.IsCloseError(bridgeErr, websocket.CloseNormalClosure) {
				fmt.Fprintf(stderr, say(cfg.lang, "sockplay run: the connection to the server ended (%v); the program's socket calls fail from now on\n"), bridgeErr)
			}
		case <-exited:
			// The bridge sends what the program wrote last, then closes.
			if bridged != nil {
				select {
				case <-bridged:
				case <-time.After(10 * time.Second):
				}
			}
			return exitStatus(cmd.ProcessState), nil
		}
	}
}

// programEnv is the program's environment: sockplay's module first on
// PYTHONPATH, the channel's descriptor, and the language of sockplay's
// sentences in it.
func programEnv(env []string, lib, pythonPath, lang string) []string {
	env = append([]string(nil), env...)
	env = append(env, "SOCKPLAY_FD=3", "SOCKPLAY_LANG="+lang)
	if pythonPath != "" {
		lib += string(os.PathListSeparator) + pythonPath
	}
	return append(env, "PYTHONPATH="+lib)
}

// exitStatus is a finished process's status as a shell reports it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// attachServer is the server's URL as op attach's command names it: the
// public URL, else the first --host name with the listen port, else the
// listen address (the wildcard as loopback).
func attachServer(cfg Config, self netip.AddrPort) string {
	switch {
	case cfg.PublicURL != "":
		return strings.TrimSuffix(cfg.PublicURL, "/")
	case len(cfg.Hosts) > 0:
		return "http://" + net.JoinHostPort(cfg.Hosts[0], strconv.Itoa(int(self.Port())))
	case self.Addr().IsUnspecified():
		return "http://" + netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), self.Port()).String()
	}
	return "http://" + self.String()
}
