package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sockplay/sessions"
)

// Metrics are the figures served at /metrics in Prometheus' text format.
// Most are read from the Manager when scraped (sessions.Stats); the op
// counts and latencies come from ObserveOp, which the command sets as the
// sessions' Config.OnOp; admission refusals from AdmissionRefused, called
// where a connection or a session is refused. One Metrics serves one Server.
type Metrics struct {
	reg       *prometheus.Registry
	ops       *prometheus.CounterVec
	opSeconds *prometheus.HistogramVec
	refused   *prometheus.CounterVec

	// The op figures' children, found once per op and outcome: a vector's
	// WithLabelValues hashes its labels on every call, and ObserveOp runs
	// for every request. The labels are bounded (the op table's names and
	// "other", and a dozen outcomes).
	mu       sync.RWMutex
	children map[opLabels]opChild
}

// opLabels are the labels of one op figure; opChild its counter and histogram.
type opLabels struct{ op, outcome string }

type opChild struct {
	count   prometheus.Counter
	seconds prometheus.Observer
}

// NewMetrics returns Metrics with the Go runtime's and the process's own
// figures (go_*, process_*) and sockplay's op and admission figures.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockplay_ops_total",
			Help: "Requests finished, by op and outcome (ok, or the error type: os, timeout, policy, limit, bad_request, cancelled).",
		}, []string{"op", "outcome"}),
		opSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sockplay_op_seconds",
			Help: "Time from a request reaching its session to its result, by op (a recv that waits for data counts its wait).",
			// 10 µs to 100 s: a call that finishes at once takes tens of µs,
			// one that waits for a learner takes seconds.
			Buckets: prometheus.ExponentialBuckets(10e-6, 10, 8),
		}, []string{"op"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sockplay_admission_refused_total",
			Help: "Connections or sessions refused at admission, by reason.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.ops, m.opSeconds, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveOp records one finished request; it is a sessions.OpObserver.
func (m *Metrics) ObserveOp(op, outcome string, d time.Duration) {
	c := m.child(opLabels{op, outcome})
	c.count.Inc()
	c.seconds.Observe(d.Seconds())
}

// child returns the op figures of labels l, made on their first use.
func (m *Metrics) child(l opLabels) opChild {
	m.mu.RLock()
	c, ok := m.children[l]
	m.mu.RUnlock()
	if ok {
		return c
	}
	c = opChild{m.ops.WithLabelValues(l.op, l.outcome), m.opSeconds.WithLabelValues(l.op)}
	m.mu.Lock()
	if m.children == nil {
		m.children = map[opLabels]opChild{}
	}
	m.children[l] = c
	m.mu.Unlock()
	return c
}

// AdmissionRefused counts one connection or session refused at admission;
// reason is a short fixed word, never anything a client chose: "host" (421),
// "origin" (403), "full", "client_full" or "closed" (503), "attach_code"
// (403: a wrong attach code) or "attach_limit" (429: too many of them).
func (m *Metrics) AdmissionRefused(reason string) {
	m.refused.WithLabelValues(reason).Inc()
}

// watch adds the figures read from mgr at each scrape.
func (m *Metrics) watch(mgr *sessions.Manager) {
	m.reg.MustRegister(managerCollector{mgr})
}

// handler serves the registry in the text format. Compression is left to
// the server's gzip middleware.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true})
}

var (
	sessionsDesc = prometheus.NewDesc("sockplay_sessions", "Live sessions.", nil, nil)
	socketsDesc  = prometheus.NewDesc("sockplay_sockets", "Sockets open in live sessions (a running peer or check counts as one).", nil, nil)
	startedDesc  = prometheus.NewDesc("sockplay_sessions_started_total", "Sessions created.", nil, nil)
	bytesDesc    = prometheus.NewDesc("sockplay_bytes_total", "Payload bytes through sessions' sockets: in = returned by receive calls, out = accepted by send calls.", []string{"direction"}, nil)
	droppedDesc  = prometheus.NewDesc("sockplay_pages_dropped_total", "WebSocket connections dropped because their page did not keep up with its messages.", nil, nil)
	waitsDesc    = prometheus.NewDesc("sockplay_waiting_calls_total", "Socket calls that waited (each had a waiting message).", nil, nil)
	waitGoDesc   = prometheus.NewDesc("sockplay_wait_goroutines_total", "Goroutines started for socket calls that may wait (a waiting datagram receive that a frame of the same step, or the next step within a millisecond, fed needs none).", nil, nil)
	limitsDesc   = prometheus.NewDesc("sockplay_limit_hits_total", "Requests refused by a session limit, by limit (sockets, data, bufsize, frame, peers, checks, other).", []string{"limit"}, nil)
)

// managerCollector reads a Manager's Stats when scraped.
type managerCollector struct{ mgr *sessions.Manager }

func (c managerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sessionsDesc, socketsDesc, startedDesc, bytesDesc, droppedDesc, waitsDesc, waitGoDesc, limitsDesc} {
		ch <- d
	}
}

func (c managerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.mgr.Stats()
	ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(st.Sessions))
	ch <- prometheus.MustNewConstMetric(socketsDesc, prometheus.GaugeValue, float64(st.Sockets))
	ch <- prometheus.MustNewConstMetric(startedDesc, prometheus.CounterValue, float64(st.SessionsStarted))
	ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(st.BytesIn), "in")
	ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(st.BytesOut), "out")
	ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(st.PagesDropped))
	ch <- prometheus.MustNewConstMetric(waitsDesc, prometheus.CounterValue, float64(st.Waits))
	ch <- prometheus.MustNewConstMetric(waitGoDesc, prometheus.CounterValue, float64(st.WaitGoroutines))
	for name, n := range st.LimitHits {
		ch <- prometheus.MustNewConstMetric(limitsDesc, prometheus.CounterValue, float64(n), name)
	}
}
