// Package metrics is Parley's Prometheus instrumentation: one registry per
// server, the store's commit histograms fed as commits happen, and the
// counts the other components keep read when /metrics is scraped.
//
// Label values are fixed words chosen here (a session kind, a refusal
// reason): never content, user or tenant IDs, names or keys.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sources are the components whose counts /metrics reads; a nil func
// leaves its metrics out.
type Sources struct {
	// Sessions returns the open SSH connections and the open sessions by
	// kind.
	Sessions func() (conns int64, byKind map[string]int)
	// Refused returns the connections and sessions refused, by reason,
	// since the start.
	Refused func() map[string]uint64
	// Relay returns the envelopes accepted and those refused for sending
	// too fast, since the start.
	Relay func() (accepted, rateLimited uint64)
	// KDF returns the passphrase KDF runs under way and the logins waiting.
	KDF func() (running, waiting int)
}

// Metrics is one server's registry.
type Metrics struct {
	reg         *prometheus.Registry
	commitTime  prometheus.Histogram
	commitBatch prometheus.Histogram
	writeTime   prometheus.Histogram
	errs        *prometheus.CounterVec   // front, kind
	httpReqs    *prometheus.CounterVec   // route, code
	httpTime    *prometheus.HistogramVec // route
}

// ErrorKinds are the kinds of errors parley_errors_total counts, by the
// front that answered them. A kind not listed is counted as "other".
//
//   - ssh: "command", an exec command ended with a non-zero status;
//     "session", a chat or console session did; "panic", a session
//     panicked and was closed.
//   - subsystem (the local client's protocol, ssh -s host parley):
//     "request", a request answered with an internal error; "session", a
//     session ended with a non-zero status; "panic".
//   - http: "4xx" and "5xx", responses by status class.
func ErrorKinds() map[string][]string {
	return map[string][]string{
		"ssh":       {"command", "session", "panic"},
		"subsystem": {"request", "session", "panic"},
		"http":      {"4xx", "5xx"},
	}
}

// New builds the registry with the Go runtime and process collectors and
// the store's commit histograms.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.commitTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "parley_store_commit_seconds",
		Help:    "Time a store commit took, from its begin to durable on disk.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
	})
	m.writeTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "parley_store_write_seconds",
		Help:    "Part of a commit spent writing pages and syncing them to disk (fsync).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	m.commitBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "parley_store_commit_batch_size",
		Help:    "Updates carried by one store commit.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 … 1024
	})
	m.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_errors_total",
		Help: "Errors a front answered, by front (ssh, subsystem, http) and kind.",
	}, []string{"front", "kind"})
	for front, kinds := range ErrorKinds() {
		for _, k := range append(kinds, "other") {
			m.errs.WithLabelValues(front, k) // every series from the start, at zero
		}
	}
	m.httpReqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_http_requests_total",
		Help: "HTTP requests answered, by route pattern and status class (2xx, 3xx, 4xx, 5xx).",
	}, []string{"route", "code"})
	m.httpTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "parley_http_request_seconds",
		Help:    "Time to answer an HTTP request, by route pattern.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
	}, []string{"route"})
	m.reg.MustRegister(m.errs, m.httpReqs, m.httpTime)
	m.reg.MustRegister(m.commitTime, m.writeTime, m.commitBatch,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit is store.Options.OnCommit.
func (m *Metrics) ObserveCommit(batch int, took, write time.Duration) {
	m.commitBatch.Observe(float64(batch))
	m.commitTime.Observe(took.Seconds())
	m.writeTime.Observe(write.Seconds())
}

// CountError counts an error a front answered. front and kind are one of
// ErrorKinds; anything else counts as kind "other" (of front "other" for
// an unknown front), so a label never takes a value from a request.
func (m *Metrics) CountError(front, kind string) {
	kinds, ok := ErrorKinds()[front]
	switch {
	case !ok:
		front, kind = "other", "other"
	case !slices.Contains(kinds, kind):
		kind = "other"
	}
	m.errs.WithLabelValues(front, kind).Inc()
}

// ObserveHTTP counts one HTTP request answered: route is the pattern
// that matched it (never the raw path, which holds IDs and names), code
// its status. A 4xx or 5xx also counts in parley_errors_total.
func (m *Metrics) ObserveHTTP(route string, code int, took time.Duration) {
	class := statusClass(code)
	m.httpReqs.WithLabelValues(route, class).Inc()
	m.httpTime.WithLabelValues(route).Observe(took.Seconds())
	if code >= 400 {
		m.CountError("http", class)
	}
}

// statusClass is "2xx" for 200–299 and so on; anything outside 100–599
// is "other".
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// Watch registers the metrics read from src at each scrape.
func (m *Metrics) Watch(src Sources) {
	m.reg.MustRegister(newSourceCollector(src))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// sourceCollector reads Sources at scrape time.
type sourceCollector struct {
	src                                         Sources
	conns, sessions, refused, accepted, limited *prometheus.Desc
	kdfRunning, kdfWaiting                      *prometheus.Desc
}

func newSourceCollector(src Sources) *sourceCollector {
	return &sourceCollector{src: src,
		conns: prometheus.NewDesc("parley_ssh_connections",
			"Open SSH connections, authenticated or not.", nil, nil),
		sessions: prometheus.NewDesc("parley_ssh_sessions",
			"Open SSH sessions by kind (chat, console, exec, sftp, subsystem).", []string{"kind"}, nil),
		refused: prometheus.NewDesc("parley_refused_total",
			"Connections and sessions refused by a limit, by reason.", []string{"reason"}, nil),
		accepted: prometheus.NewDesc("parley_relay_envelopes_total",
			"Envelopes the relay accepted (messages, receipts, reactions).", nil, nil),
		limited: prometheus.NewDesc("parley_relay_rate_limited_total",
			"Sends the relay refused because a key sent too fast.", nil, nil),
		kdfRunning: prometheus.NewDesc("parley_kdf_running",
			"Passphrase KDF runs under way.", nil, nil),
		kdfWaiting: prometheus.NewDesc("parley_kdf_waiting",
			"Logins waiting for a passphrase KDF slot.", nil, nil),
	}
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.sessions, c.refused, c.accepted, c.limited, c.kdfRunning, c.kdfWaiting} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	if f := c.src.Sessions; f != nil {
		conns, byKind := f()
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(conns))
		// Every kind, even at zero, so that a dashboard's series does not
		// vanish when the last session of a kind closes.
		for _, k := range []string{"chat", "console", "exec", "sftp", "subsystem"} {
			ch <- prometheus.MustNewConstMetric(c.sessions, prometheus.GaugeValue, float64(byKind[k]), k)
		}
	}
	if f := c.src.Refused; f != nil {
		for reason, n := range f() {
			ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(n), reason)
		}
	}
	if f := c.src.Relay; f != nil {
		acc, lim := f()
		ch <- prometheus.MustNewConstMetric(c.accepted, prometheus.CounterValue, float64(acc))
		ch <- prometheus.MustNewConstMetric(c.limited, prometheus.CounterValue, float64(lim))
	}
	if f := c.src.KDF; f != nil {
		run, wait := f()
		ch <- prometheus.MustNewConstMetric(c.kdfRunning, prometheus.GaugeValue, float64(run))
		ch <- prometheus.MustNewConstMetric(c.kdfWaiting, prometheus.GaugeValue, float64(wait))
	}
}
