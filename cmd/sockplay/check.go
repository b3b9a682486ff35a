package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"sockplay/sockets"
	"sockplay/sockets/exercises"
	"sockplay/templates/i18n"
)

// defaultCheckTimeout is the check's time limit when --timeout is not given
// (30 s): for a client-role exercise, how long the learner has to start the
// client.
const defaultCheckTimeout = 30 * time.Second

// runCheck is "sockplay check": it runs an exercise's checker against the
// learner's running program and prints the verdict on stdout.
//
//	sockplay check udp-upper --target 127.0.0.1:9000
//	sockplay check tcp-client --listen 127.0.0.1:9000 --timeout 1m
//	sockplay check --list
//
// It returns the exit status: 0 when the check passed, 1 when it failed, 2
// for a usage error (an unknown exercise, a missing or wrong flag for the
// exercise's role, an address the policy refuses), explained on stderr.
// It writes Chinese with --lang zh, or when the locale (LC_ALL,
// LC_MESSAGES, LANG) is Chinese, and English otherwise.
func runCheck(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return check(ctx, args, os.Getenv, stdout, stderr)
}

// checkConfig is what "sockplay check" reads from its arguments.
type checkConfig struct {
	exercise *exercises.Exercise
	addr     sockets.Addr // --target or --listen, whichever the role needs
	timeout  time.Duration
	reply    time.Duration // --reply-wait
	policy   *sockets.Policy
	verbose  bool
	lang     string // i18n.EN or i18n.ZH: --lang, else the locale's
}

func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, list, err := parseCheck(args, getenv, stderr)
	lang := cfg.lang
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, say(lang, "sockplay check: %v\n\n"), err)
		checkUsage(stderr, lang)
		return 2
	case list:
		listExercises(stdout, lang)
		return 0
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	report := func(e exercises.Event) {
		switch {
		case e.Kind == exercises.EventListening:
			fmt.Fprintf(stderr, say(lang, "sockplay check: listening on %s; start your client now (waiting up to %s)\n"), e.Addr, cfg.timeout)
		case !cfg.verbose:
		case e.Kind == exercises.EventStep:
			fmt.Fprintf(stderr, say(lang, "step %d: %s\n"), e.Step, i18n.Server(lang, e.Text))
		case e.Kind == exercises.EventCall:
			fmt.Fprintf(stderr, "    %s\n", callText(lang, e.Text))
		}
	}
	v := cfg.exercise.Check(ctx, cfg.addr, exercises.Options{Policy: cfg.policy, ReplyWait: cfg.reply, Report: report})
	fmt.Fprint(stdout, v.TextIn(wording(lang)))
	if !v.Pass {
		return 1
	}
	return 0
}

// parseCheck reads the arguments of "sockplay check". The exercise may come
// before or after the flags.
func parseCheck(args []string, getenv func(string) string, stderr io.Writer) (cfg checkConfig, list bool, err error) {
	var target, listen string
	allow := getenv("SOCKPLAY_ALLOW_NET")
	cfg.lang = localeLang(getenv)
	fs := flag.NewFlagSet("sockplay check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { checkUsage(stderr, cfg.lang) }
	fs.StringVar(&target, "target", "", "HOST:PORT of your server (server exercises)")
	fs.StringVar(&listen, "listen", "", "HOST:PORT the checker listens on for your client (client exercises)")
	fs.DurationVar(&cfg.timeout, "timeout", defaultCheckTimeout, "the check's time limit; for client exercises, how long to wait for your client")
	fs.DurationVar(&cfg.reply, "reply-wait", exercises.ReplyWait, "how long the checker waits for each reply (longer if you answer by hand)")
	fs.BoolVar(&list, "list", false, "list the exercises")
	fs.BoolVar(&cfg.verbose, "v", false, "show each step and socket call on stderr as it happens")
	fs.StringVar(&allow, "allow-net", allow, "comma-separated networks (CIDR) the checker may use beyond loopback (env SOCKPLAY_ALLOW_NET)")
	fs.Func("lang", "en or zh: the language of what it prints (default: the locale's, LC_ALL, LC_MESSAGES or LANG)", func(v string) error {
		if !i18n.Valid(v) {
			return fmt.Errorf("want en or zh, not %q", v)
		}
		cfg.lang = v
		return nil
	})

	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, false, err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if list {
		if len(names) > 0 || target != "" || listen != "" {
			return cfg, false, errorf(cfg.lang, "--list takes no exercise and no address")
		}
		return cfg, true, nil
	}
	switch len(names) {
	case 0:
		return cfg, false, errorf(cfg.lang, "which exercise? name one")
	case 1:
	default:
		return cfg, false, errorf(cfg.lang, "one exercise at a time, not %s", strings.Join(names, " "))
	}
	x, ok := exercises.Lookup(names[0])
	if !ok {
		return cfg, false, errorf(cfg.lang, "no exercise %q", names[0])
	}
	cfg.exercise = x
	if cfg.timeout <= 0 {
		return cfg, false, errorf(cfg.lang, "--timeout must be more than 0, not %v", cfg.timeout)
	}
	if cfg.reply <= 0 || cfg.reply > exercises.MaxReplyWait {
		return cfg, false, errorf(cfg.lang, "--reply-wait must be more than 0 and at most %v, not %v", exercises.MaxReplyWait, cfg.reply)
	}
	cfg.policy = &sockets.Policy{}
	for _, s := range strings.Split(allow, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return cfg, false, errorf(cfg.lang, "--allow-net: %v", err)
		}
		cfg.policy.Extra = append(cfg.policy.Extra, p)
	}
	// Past loopback the checker cannot name its own local address, so its
	// sockets bind to the wildcard, which only an explicit --allow-net allows.
	cfg.policy.Wildcard = len(cfg.policy.Extra) > 0

	switch x.Role {
	case exercises.RoleServer:
		if listen != "" || target == "" {
			return cfg, false, errorf(cfg.lang, "%s checks your server: give its address with --target HOST:PORT (not --listen)", x.ID)
		}
		a, ip, err := parseHostPort(cfg.lang, "--target", target, false)
		if err != nil {
			return cfg, false, err
		}
		if e := cfg.policy.CheckPeer(ip, a.Port); e != nil {
			return cfg, false, errorf(cfg.lang, "--target %s: %s", target, i18n.Server(cfg.lang, e.Message))
		}
		cfg.addr = a
	case exercises.RoleClient:
		if target != "" || listen == "" {
			return cfg, false, errorf(cfg.lang, "%s checks your client: the checker listens, and your client connects to it; give the address with --listen HOST:PORT (not --target)", x.ID)
		}
		a, ip, err := parseHostPort(cfg.lang, "--listen", listen, true)
		if err != nil {
			return cfg, false, err
		}
		if e := cfg.policy.CheckBind(ip, a.Port); e != nil {
			return cfg, false, errorf(cfg.lang, "--listen %s: %s", listen, i18n.Server(cfg.lang, e.Message))
		}
		cfg.addr = a
	}
	return cfg, false, nil
}

// parseHostPort reads HOST:PORT with a numeric host (or localhost), as
// sockplay never asks DNS. Port 0 is allowed only where zeroOK.
func parseHostPort(lang, flagName, s string, zeroOK bool) (sockets.Addr, netip.Addr, error) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return sockets.Addr{}, netip.Addr{}, errorf(lang, "%s %s: want HOST:PORT, such as 127.0.0.1:9000 ([::1]:9000 for IPv6)", flagName, s)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 || port == 0 && !zeroOK {
		return sockets.Addr{}, netip.Addr{}, errorf(lang, "%s %s: the port must be a number from 1 to 65535", flagName, s)
	}
	if host == "localhost" {
		return sockets.Addr{Host: "127.0.0.1", Port: port}, netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return sockets.Addr{}, netip.Addr{}, errorf(lang, "%s %s: the host must be a numeric address such as 127.0.0.1 (sockplay resolves no names)", flagName, s)
	}
	return sockets.Addr{Host: ip.WithZone("").String(), Port: port}, ip.WithZone(""), nil
}

func checkUsage(w io.Writer, lang string) {
	fmt.Fprint(w, say(lang, usageText))
	listExercises(w, lang)
}

const usageText = `usage: sockplay check EXERCISE --target HOST:PORT   (your server runs at HOST:PORT)
       sockplay check EXERCISE --listen HOST:PORT   (the checker listens; your client connects)
       sockplay check --list

flags: --timeout D (default 30s)  --reply-wait D (default 2s)  -v (show every step)
       --allow-net CIDR,...  --lang en|zh (default: the locale's)

`

// listExercises writes one line per exercise: its ID, role and title, in
// columns (a Chinese header's characters are two columns wide).
func listExercises(w io.Writer, lang string) {
	rows := [][3]string{{say(lang, "exercise"), say(lang, "flag"), say(lang, "title")}}
	for _, x := range exercises.All() {
		flagName := "--target"
		if x.Role == exercises.RoleClient {
			flagName = "--listen"
		}
		rows = append(rows, [3]string{x.ID, flagName, x.Text(lang).Title})
	}
	var width [2]int
	for _, r := range rows {
		for i := range width {
			width[i] = max(width[i], columns(r[i]))
		}
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s%s%s%s%s\n", r[0], spaces(width[0]-columns(r[0])+2), r[1], spaces(width[1]-columns(r[1])+2), r[2])
	}
}

// columns is how many terminal columns s takes: two for a wide (East
// Asian) character, one for any other.
func columns(s string) int {
	n := 0
	for _, r := range s {
		n++
		if unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xff60 {
			n++
		}
	}
	return n
}

func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }
