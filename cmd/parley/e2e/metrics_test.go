package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsAndReadiness (operations issue, item 1): /readyz answers
// ready once the fronts are up; /metrics, read with real HTTP requests,
// counts open sessions by kind, accepted envelopes and store commits
// while two users chat over real OpenSSH, and names nobody.
func TestMetricsAndReadiness(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	if f.srv.http == "" {
		t.Fatal("the server did not log its HTTP address")
	}
	base := "http://" + f.srv.http
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Fatalf("/readyz = %d %s, want 200 ready", code, body)
	}

	x := f.x
	x.line("ann", "/open "+b.ID)
	x.line("ann", "counted, not read")
	x.waitFor("bob", "counted, not")

	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	value := func(series string) float64 { t.Helper(); return metricValue(t, body, series) }
	if n := value(`parley_ssh_sessions{kind="chat"}`); n != 2 {
		t.Errorf("chat sessions = %v, want 2", n)
	}
	if n := value(`parley_ssh_sessions{kind="sftp"}`); n != 0 {
		t.Errorf("sftp sessions = %v, want 0", n)
	}
	if n := value("parley_ssh_connections"); n < 2 {
		t.Errorf("connections = %v, want at least 2", n)
	}
	if n := value("parley_relay_envelopes_total"); n < 1 {
		t.Errorf("accepted envelopes = %v, want the message at least", n)
	}
	if n := value("parley_store_commit_seconds_count"); n < 1 {
		t.Errorf("store commits = %v, want some", n)
	}
	value("parley_kdf_waiting")
	value("go_goroutines")
	for _, secret := range []string{a.ID, b.ID, "Ann Archer", "Bob Baker", "acme", "counted, not read"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics names %q", secret)
		}
	}
}

// metricValue is the value of one series (name and labels, exactly as
// /metrics prints them) in a scrape.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s:\n%s", series, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
