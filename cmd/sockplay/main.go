// Command sockplay serves the socket playground: lessons and a workbench
// whose buttons make real system calls on real sockets of this machine.
//
//	go run ./cmd/sockplay                  # http://127.0.0.1:8080
//	go run ./cmd/sockplay --addr 127.0.0.1:9090
//	go run ./cmd/sockplay --lessons ./my-lessons   # extra lessons beside the built-in ones
//	go run ./cmd/sockplay --data ./progress        # where learners' progress is saved
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sockplay/sessions"
	"sockplay/sessions/progress"
	"sockplay/sockets"
	"sockplay/sockets/netns"
	"sockplay/templates/lessons"
	"sockplay/web"
)

// Config is everything the command reads from its flags and environment.
type Config struct {
	Addr       string         // HTTP listen address (default 127.0.0.1:8080; SOCKPLAY_ADDR)
	Grace      time.Duration  // how long a session without a page lives on (default 10m; SOCKPLAY_GRACE)
	RoomIdle   time.Duration  // how long a room lives with no member online (default 2h; --room-idle)
	MaxSockets int            // open sockets per session (default 64)
	AllowNet   []netip.Prefix // networks allowed beyond loopback (SOCKPLAY_ALLOW_NET, comma-separated)
	Lessons    string         // a folder of extra lessons, beside the built-in ones (SOCKPLAY_LESSONS)

	// Memory bounds, per session and connection (see sessions.Config).
	MaxShown   int // bytes of a received chunk that messages carry (default 64 KiB)
	LogBytes   int // bytes of messages a session keeps for resume (default 1 MiB)
	QueueBytes int // bytes of messages queued for one connection before it is dropped (default 4 MiB)

	// Data is the directory of the progress database (SOCKPLAY_DATA; default
	// $XDG_STATE_HOME/sockplay, else ~/.local/state/sockplay). Empty: no
	// progress is saved.
	Data string
	// LogFormat is how log lines are written: "text" (key=value, the
	// default) or "json", one object a line (SOCKPLAY_LOG_FORMAT).
	LogFormat string
	// Network is where sessions' sockets live: "host" (this machine's
	// network), "private" (a network namespace per session), or "" for
	// the default: host when sockplay listens on loopback, private
	// otherwise (SOCKPLAY_NETWORK; network.go).
	Network string

	// Whom the server serves, and how much (guard.go; README "Security").
	Hosts             []string      // names accepted in Host besides the listen address and loopback (--host; SOCKPLAY_HOSTS)
	PublicURL         string        // the URL pages are served under behind a TLS proxy (SOCKPLAY_PUBLIC_URL)
	TrustProxy        bool          // the client's address comes from X-Forwarded-For (SOCKPLAY_TRUST_PROXY)
	MaxSessions       int           // sessions at once (default 2,000)
	MaxPerClient      int           // sessions at once per client address (default 16; loopback exempt on loopback)
	FDReserve         int           // file descriptors kept for HTTP, not for sockets (default 256)
	ReadHeaderTimeout time.Duration // reading a request's headers (default 10s)
	ReadTimeout       time.Duration // reading an ordinary request, body included (default 30s)
	WriteTimeout      time.Duration // writing an ordinary answer (default 30s)
	IdleTimeout       time.Duration // a keep-alive connection between requests (default 2m)

	// ProgramTimeout is the wall time a learner's program may run (default
	// 10m; --program-timeout, SOCKPLAY_PROGRAM_TIMEOUT; programs.go).
	ProgramTimeout time.Duration
}

// ParseFlags reads args (without the program name) and the environment.
// Flags win over environment variables.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	cfg := Config{
		Addr: "127.0.0.1:8080", Grace: 10 * time.Minute, RoomIdle: 2 * time.Hour, MaxSockets: 64, Data: defaultData(getenv), LogFormat: "text",
		MaxShown: 64 << 10, LogBytes: 1 << 20, QueueBytes: 4 << 20,
	}
	if v := getenv("SOCKPLAY_LOG_FORMAT"); v != "" {
		cfg.LogFormat = v
	}
	if v := getenv("SOCKPLAY_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := getenv("SOCKPLAY_GRACE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return cfg, fmt.Errorf("SOCKPLAY_GRACE: %v", err)
		}
		cfg.Grace = d
	}
	allow := getenv("SOCKPLAY_ALLOW_NET")
	cfg.Lessons = getenv("SOCKPLAY_LESSONS")
	cfg.Network = getenv("SOCKPLAY_NETWORK")
	if v := getenv("SOCKPLAY_DATA"); v != "" {
		cfg.Data = v
	}
	fs := flag.NewFlagSet("sockplay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP listen address (env SOCKPLAY_ADDR)")
	fs.DurationVar(&cfg.Grace, "grace", cfg.Grace, "how long a session with no page attached keeps its sockets (env SOCKPLAY_GRACE)")
	fs.DurationVar(&cfg.RoomIdle, "room-idle", cfg.RoomIdle, "how long a classroom lives with no member online")
	fs.IntVar(&cfg.MaxSockets, "max-sockets", cfg.MaxSockets, "open sockets allowed per session")
	fs.StringVar(&allow, "allow-net", allow, "comma-separated networks (CIDR) sockets may use beyond loopback, in the host network (env SOCKPLAY_ALLOW_NET)")
	fs.StringVar(&cfg.Network, "network", cfg.Network, "where sessions' sockets live: host (this machine's network) or private (a network namespace per session); default host when listening on loopback, private otherwise (env SOCKPLAY_NETWORK)")
	fs.StringVar(&cfg.Lessons, "lessons", cfg.Lessons, "a folder of extra lessons (NN-slug.md, see templates/lessons/FORMAT.md) (env SOCKPLAY_LESSONS)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "the directory where learners' progress is saved (env SOCKPLAY_DATA)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log lines as text (key=value) or json (env SOCKPLAY_LOG_FORMAT)")
	parseGuard, err := guardFlags(fs, &cfg, getenv)
	if err != nil {
		return cfg, err
	}
	if err := programFlags(fs, &cfg, getenv); err != nil {
		return cfg, err
	}
	fs.IntVar(&cfg.MaxShown, "max-shown", cfg.MaxShown, "bytes of a received chunk that the log and pages get (the rest: its size and SHA-256)")
	fs.IntVar(&cfg.LogBytes, "log-bytes", cfg.LogBytes, "bytes of messages each session keeps for resume")
	fs.IntVar(&cfg.QueueBytes, "queue-bytes", cfg.QueueBytes, "bytes of messages queued for one page before it is dropped as too slow")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	for _, b := range []struct {
		name string
		n    int
	}{{"max-shown", cfg.MaxShown}, {"log-bytes", cfg.LogBytes}, {"queue-bytes", cfg.QueueBytes}} {
		if b.n <= 0 {
			return cfg, fmt.Errorf("--%s must be a positive number of bytes, not %d", b.name, b.n)
		}
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, fmt.Errorf("--log-format: %q is neither text nor json", cfg.LogFormat)
	}
	if err := checkNetwork(cfg.Network); err != nil {
		return cfg, err
	}
	if err := parseGuard(); err != nil {
		return cfg, err
	}
	if err := checkProgramFlags(cfg); err != nil {
		return cfg, err
	}
	for _, s := range strings.Split(allow, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return cfg, fmt.Errorf("--allow-net: %v", err)
		}
		cfg.AllowNet = append(cfg.AllowNet, p)
	}
	return cfg, nil
}

// run serves until ctx ends, then shuts down: it stops taking connections,
// sends every WebSocket client a bye and a close frame, and closes every
// socket. ready, if not nil, receives the address actually listened on.
// Log lines go to stdout.
func run(ctx context.Context, cfg Config, stdout io.Writer, ready chan<- string) error {
	log := newLogger(cfg.LogFormat, stdout)
	ls, err := loadLessons(cfg.Lessons)
	if err != nil {
		return err
	}
	store, err := openStore(cfg.Data, log)
	if err != nil {
		return err
	}
	if store != nil {
		defer store.Close() // after the sessions, whose last checks it records
	}
	cfg.fillGuard()
	guard, err := cfg.webGuard()
	if err != nil {
		return err
	}
	budget, err := socketBudget(cfg.FDReserve, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	self, _ := netip.ParseAddrPort(ln.Addr().String())
	local := isLoopback(ln.Addr())
	network, err := chooseNetwork(cfg.Network, self, local, cfg.AllowNet, netns.Available)
	if err != nil {
		ln.Close()
		return err
	}
	private := network == networkPrivate
	policy := &sockets.Policy{Wildcard: local || private, Extra: cfg.AllowNet, Server: self, Budget: budget, Private: private}
	guard.Hosts = append(guard.Hosts, listenHosts(self)...)
	guard.LimitLoopback = !local
	scfg := sessions.Config{Policy: policy, Grace: cfg.Grace, RoomIdle: cfg.RoomIdle, MaxSockets: cfg.MaxSockets, StatEvery: statEvery,
		MaxSessions: cfg.MaxSessions, MaxPerClient: cfg.MaxPerClient,
		MaxShown: cfg.MaxShown, LogBytes: cfg.LogBytes, QueueBytes: cfg.QueueBytes,
		AttachServer: attachServer(cfg, self), Programs: newRunner(cfg, log)}
	scfg.RoomNetwork = roomNetwork(network)
	if private {
		scfg.Private = newNamespace
	} else {
		scfg.Labs = netns.New // a lab's hosts are namespaces even when the session's own sockets are not
	}
	metrics := web.NewMetrics()
	scfg.OnOp, scfg.Log = metrics.ObserveOp, log
	opts := []web.Option{web.WithLessons(ls), web.WithGuard(guard), web.WithMetrics(metrics), web.WithLogger(log)}
	if store != nil {
		scfg.OnCheck = store.CheckHook(func(err error) { log.Error("saving a check", "err", err) })
		opts = append(opts, web.WithProgress(store))
	}
	var srv *web.Server // programs' channels are served by the web server, made below
	scfg.Channel = func(s *sessions.Session, f *os.File, program string) { srv.ServeChannel(s, f, program) }
	manager := sessions.NewManager(scfg)
	srv = web.New(manager, opts...)
	// No server-wide ReadTimeout or WriteTimeout: they would cut WebSockets;
	// ordinary requests get theirs from web.Guard.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: cfg.ReadHeaderTimeout, IdleTimeout: cfg.IdleTimeout}

	reapCtx, stopReaping := context.WithCancel(context.Background())
	defer stopReaping()
	go manager.Run(reapCtx)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("sockplay serving", "url", "http://"+ln.Addr().String()+"/", "network", network)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("sockplay shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(shutCtx)
	manager.Close()
	if werr := srv.Wait(shutCtx); err == nil {
		err = werr
	}
	if serr := <-errc; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// defaultData is where progress is saved unless --data or SOCKPLAY_DATA
// says otherwise: $XDG_STATE_HOME/sockplay, else ~/.local/state/sockplay
// ("" when neither is known).
func defaultData(getenv func(string) string) string {
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "sockplay")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "sockplay")
	}
	return ""
}

// newLogger returns the logger of format ("text" or "json") writing to w.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openStore opens the progress database in dir; with no dir, progress is
// not saved (and it says so).
func openStore(dir string, log *slog.Logger) (*progress.Store, error) {
	if dir == "" {
		log.Warn("no data directory (--data or SOCKPLAY_DATA): progress is not saved")
		return nil, nil
	}
	store, err := progress.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (choose another data directory with --data DIR or SOCKPLAY_DATA)", err)
	}
	log.Info("saving progress", "path", store.Path())
	return store, nil
}

// loadLessons returns the built-in lessons and those in dir (if not empty).
// A broken lesson file is an error that names it: FILE:LINE: message.
func loadLessons(dir string) ([]*lessons.Lesson, error) {
	builtin, err := lessons.Builtin()
	if err != nil || dir == "" {
		return builtin, err
	}
	extra, err := lessons.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	return lessons.Merge(builtin, extra)
}

// statEvery is how often sessions read kernel state for live stat messages.
const statEvery = 250 * time.Millisecond

func isLoopback(a net.Addr) bool {
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

func main() {
	netns.Main() // a private network's helper process is this binary re-executed
	if len(os.Args) > 1 && os.Args[1] == "check" {
		os.Exit(runCheck(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "run" {
		os.Exit(runProgram(os.Args[2:], os.Getenv, os.Stderr)) // attach.go
	}
	cfg, err := ParseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockplay:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GOGC") == "" {
		go tuneGC(ctx)
	}
	stopProfile := startProfile(os.Getenv("SOCKPLAY_CPUPROFILE"), os.Stderr)
	stopTrace := startTrace(os.Getenv("SOCKPLAY_TRACE"), os.Stderr)
	stopHeap := startHeapProfile(os.Getenv("SOCKPLAY_HEAPPROFILE"), os.Stderr)
	err = run(ctx, cfg, os.Stdout, nil)
	stopHeap()
	stopTrace()
	stopProfile()
	if err != nil {
		newLogger(cfg.LogFormat, os.Stderr).Error("sockplay stopped", "err", err)
		os.Exit(1)
	}
}
