package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestScrape: what the sources report and the commits observed come out
// in Prometheus's text format, every session kind even at zero.
func TestScrape(t *testing.T) {
	m := New()
	m.Watch(Sources{
		Sessions: func() (int64, map[string]int) { return 3, map[string]int{"chat": 2} },
		Refused:  func() map[string]uint64 { return map[string]uint64{"sessions per key": 4} },
		Relay:    func() (uint64, uint64) { return 10, 1 },
		KDF:      func() (int, int) { return 2, 5 },
	})
	m.ObserveCommit(8, 3*time.Millisecond, 2*time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		"parley_ssh_connections 3",
		`parley_ssh_sessions{kind="chat"} 2`,
		`parley_ssh_sessions{kind="sftp"} 0`,
		`parley_refused_total{reason="sessions per key"} 4`,
		"parley_relay_envelopes_total 10",
		"parley_relay_rate_limited_total 1",
		"parley_kdf_running 2",
		"parley_kdf_waiting 5",
		"parley_store_commit_batch_size_sum 8",
		"parley_store_commit_seconds_count 1",
		"parley_store_write_seconds_sum 0.002",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestErrorsAndHTTP: errors count by front and kind, with every known
// series present at zero and unknown values folded into "other"; HTTP
// requests count by route and status class, and their errors count too.
func TestErrorsAndHTTP(t *testing.T) {
	m := New()
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		return string(body)
	}
	before := scrape()
	for _, want := range []string{
		`parley_errors_total{front="ssh",kind="command"} 0`,
		`parley_errors_total{front="subsystem",kind="request"} 0`,
		`parley_errors_total{front="http",kind="5xx"} 0`,
	} {
		if !strings.Contains(before, want+"\n") {
			t.Errorf("before any error, /metrics lacks %q", want)
		}
	}
	m.CountError("ssh", "command")
	m.CountError("ssh", "command")
	m.CountError("ssh", "SHA256:not-a-kind")
	m.CountError("ABCD1234", "command")
	m.ObserveHTTP("/api/v1/users/{id}", 404, 2*time.Millisecond)
	m.ObserveHTTP("/api/v1/users/{id}", 200, time.Millisecond)
	m.ObserveHTTP("/healthz", 503, time.Millisecond)
	after := scrape()
	for _, want := range []string{
		`parley_errors_total{front="ssh",kind="command"} 2`,
		`parley_errors_total{front="ssh",kind="other"} 1`,
		`parley_errors_total{front="other",kind="other"} 1`,
		`parley_errors_total{front="http",kind="4xx"} 1`,
		`parley_errors_total{front="http",kind="5xx"} 1`,
		`parley_http_requests_total{code="4xx",route="/api/v1/users/{id}"} 1`,
		`parley_http_requests_total{code="2xx",route="/api/v1/users/{id}"} 1`,
		`parley_http_requests_total{code="5xx",route="/healthz"} 1`,
		`parley_http_request_seconds_count{route="/api/v1/users/{id}"} 2`,
	} {
		if !strings.Contains(after, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, bad := range []string{"SHA256:not-a-kind", "ABCD1234"} {
		if strings.Contains(after, bad) {
			t.Errorf("/metrics holds the value %q given as a label", bad)
		}
	}
}
