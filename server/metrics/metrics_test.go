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
