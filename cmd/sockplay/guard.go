package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sockplay/sockets"
	"sockplay/web"
)

// guardFlags declares the flags of who is served and how much (the Config
// fields after Data), with their environment variables. The returned
// function finishes the job once the flags are parsed.
func guardFlags(fs *flag.FlagSet, cfg *Config, getenv func(string) string) (func() error, error) {
	cfg.fillGuard()
	hosts := getenv("SOCKPLAY_HOSTS")
	cfg.PublicURL = getenv("SOCKPLAY_PUBLIC_URL")
	if v := getenv("SOCKPLAY_TRUST_PROXY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("SOCKPLAY_TRUST_PROXY: want true or false, not %q", v)
		}
		cfg.TrustProxy = b
	}
	fs.StringVar(&hosts, "host", hosts, "comma-separated names accepted in the Host header besides the listen address, localhost, 127.0.0.1 and [::1] (env SOCKPLAY_HOSTS)")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "the URL pages are served under behind a TLS proxy, such as https://class.example.org: the Origin browsers must send (env SOCKPLAY_PUBLIC_URL)")
	fs.BoolVar(&cfg.TrustProxy, "trust-proxy", cfg.TrustProxy, "take the client's address from X-Forwarded-For (only behind a proxy that sets it) (env SOCKPLAY_TRUST_PROXY)")
	fs.IntVar(&cfg.MaxSessions, "max-sessions", cfg.MaxSessions, "sessions at once")
	fs.IntVar(&cfg.MaxPerClient, "max-sessions-per-client", cfg.MaxPerClient, "sessions at once per client address (loopback clients are exempt while sockplay listens on loopback)")
	fs.IntVar(&cfg.FDReserve, "fd-reserve", cfg.FDReserve, "file descriptors kept for HTTP connections; the rest of the limit (RLIMIT_NOFILE) is the budget of playground sockets")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", cfg.ReadHeaderTimeout, "time allowed to read a request's headers")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "time allowed to read an ordinary request, body included (not WebSockets)")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", cfg.WriteTimeout, "time allowed to write an ordinary answer, such as a page (not WebSockets)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "how long a keep-alive connection may wait for its next request")
	return func() error {
		cfg.Hosts = nil
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				cfg.Hosts = append(cfg.Hosts, h)
			}
		}
		if _, err := cfg.webGuard(); err != nil {
			return err
		}
		for name, v := range map[string]int{"--max-sessions": cfg.MaxSessions, "--max-sessions-per-client": cfg.MaxPerClient} {
			if v < 1 {
				return fmt.Errorf("%s: want at least 1, not %d", name, v)
			}
		}
		return nil
	}, nil
}

// fillGuard gives the zero bounds their defaults.
func (c *Config) fillGuard() {
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.MaxSessions, 2000)
	set(&c.MaxPerClient, 16)
	set(&c.FDReserve, 256)
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.ReadHeaderTimeout, 10 * time.Second}, {&c.ReadTimeout, 30 * time.Second}, {&c.WriteTimeout, 30 * time.Second}, {&c.IdleTimeout, 2 * time.Minute}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
}

// webGuard is the web side of the Config (the listen address is added once
// it is known).
func (c *Config) webGuard() (web.Guard, error) {
	g := web.Guard{Hosts: c.Hosts, TrustProxy: c.TrustProxy, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return g, fmt.Errorf("--public-url %q: want the URL browsers open, such as https://class.example.org", c.PublicURL)
		}
		g.PublicURL = &url.URL{Scheme: u.Scheme, Host: u.Host}
	}
	return g, nil
}

// listenHosts are the Host names the listen address itself stands for: its
// IP, or on a wildcard every address of this machine (an IP in Host cannot
// come from a rebinding domain).
func listenHosts(self netip.AddrPort) []string {
	if !self.Addr().IsUnspecified() {
		return []string{self.Addr().String()}
	}
	var hosts []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			hosts = append(hosts, n.IP.String())
		}
	}
	return hosts
}

// socketBudget raises the soft limit of open files to the hard limit and
// returns the budget of playground sockets: the limit less the descriptors
// open now and reserve (at most half the limit) kept for HTTP connections.
func socketBudget(reserve int, log *slog.Logger) (*sockets.Budget, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil, fmt.Errorf("reading the open-file limit: %v", err)
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	limit := int(min(lim.Cur, 1<<24))
	open := 0
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = len(fds)
	}
	reserve = min(reserve, limit/2)
	n := limit - open - reserve
	if n < 1 {
		return nil, fmt.Errorf("the open-file limit (%d, RLIMIT_NOFILE) leaves no room for sockets beside the %d open and the %d kept for HTTP (--fd-reserve)", limit, open, reserve)
	}
	log.Info("socket budget", "sockets", n, "open_file_limit", limit, "kept_for_http", reserve)
	return sockets.NewBudget(n), nil
}
