package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// logLine is one line of the server's JSON log, with the fields the
// operations guide names.
type logLine struct {
	Time, Level, Msg      string
	Req, Front, Key, User string
	Kind, Route, Method   string
	Status                int
	Authenticated         *bool
	raw                   string
}

// logLines parses the server's log: every line must be one JSON object
// with time, level and msg.
func logLines(t *testing.T, srv *server) []logLine {
	t.Helper()
	var out []logLine
	for _, raw := range strings.Split(strings.TrimSpace(srv.logText()), "\n") {
		var l logLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("a log line is not JSON (%v): %q", err, raw)
		}
		if l.Time == "" || l.Level == "" || l.Msg == "" {
			t.Fatalf("a log line lacks time, level or msg: %q", raw)
		}
		l.raw = raw
		out = append(out, l)
	}
	return out
}

// TestStructuredLogs (operations issue, item 5): with --log-format json,
// every SSH connection and every HTTP request gets a request ID that each
// of its lines carries, also the lines a service writes while serving it
// (the directory's "user activated"); an HTTP response names its ID in
// X-Request-Id; no line holds a passphrase, an activation code, an API
// key or message text; and parley_errors_total counts what the fronts
// refused.
func TestStructuredLogs(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob := f.key("ann"), f.key("bob")
	uAnn := f.createUser("acme", "--name", "Ann Archer")
	uBob := f.createUser("acme", "--name", "Bob Baker")
	f.enrol(ann, uAnn.ActivationCode)
	f.enrol(bob, uBob.ActivationCode)
	f.chat("ann", ann)
	f.chat("bob", bob)
	const text = "a line the log must never hold"
	f.x.line("ann", "/open "+uBob.ID)
	f.x.line("bob", "/open "+uAnn.ID)
	f.x.line("ann", text)
	f.x.waitFor("bob", text)

	base := "http://" + f.srv.http
	get := func(path, bearer string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		req.Header.Set("X-Request-Id", "CLIENTCHOSEN")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}
	errorsTotal := func(front, kind string) float64 {
		t.Helper()
		_, body := get("/metrics", "")
		return metricValue(t, body, `parley_errors_total{front="`+front+`",kind="`+kind+`"}`)
	}

	// A refused exec command and a refused API call each count once.
	cmdBefore, httpBefore := errorsTotal("ssh", "command"), errorsTotal("http", "4xx")
	const badKey = "pk_not-a-key-but-looks-secret"
	expectFail(t, f.srv.ssh(ann, "", "tenant", "list"), "")
	resp, _ := get("/api/v1/users", badKey)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/users with a wrong key = %d, want 401", resp.StatusCode)
	}
	httpReq := resp.Header.Get("X-Request-Id")
	if len(httpReq) != 12 || httpReq == "CLIENTCHOSEN" {
		t.Errorf("X-Request-Id = %q, want the server's own 12-character ID", httpReq)
	}
	if n := errorsTotal("ssh", "command"); n != cmdBefore+1 {
		t.Errorf("parley_errors_total{ssh,command} went %v → %v, want one more", cmdBefore, n)
	}
	if n := errorsTotal("http", "4xx"); n < httpBefore+1 {
		t.Errorf("parley_errors_total{http,4xx} went %v → %v, want at least one more", httpBefore, n)
	}

	// Let the exec connections log their last lines.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.srv.logText(), httpReq) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	lines := logLines(t, f.srv)

	// The lines of one request, by its ID.
	byReq := map[string][]logLine{}
	for _, l := range lines {
		if l.Req != "" {
			byReq[l.Req] = append(byReq[l.Req], l)
		}
	}
	msgs := func(req string) []string {
		var m []string
		for _, l := range byReq[req] {
			m = append(m, l.Msg)
		}
		return m
	}

	// The directory's line for Ann's activation carries the request ID of
	// the SSH connection that ran `activate`, whose own lines say so.
	var activated *logLine
	for i, l := range lines {
		if l.Msg == "user activated" && l.User == uAnn.ID {
			activated = &lines[i]
		}
	}
	if activated == nil {
		t.Fatalf("no \"user activated\" line for %s:\n%s", uAnn.ID, f.srv.logText())
	}
	if activated.Req == "" || activated.Front != "ssh" {
		t.Fatalf("the directory's line carries no request ID or front: %s", activated.raw)
	}
	got := msgs(activated.Req)
	for _, want := range []string{"connection opened", "authenticated", "session started", "user activated", "session ended", "connection closed"} {
		found := false
		for _, m := range got {
			found = found || m == want
		}
		if !found {
			t.Errorf("connection %s has no %q line; its lines: %q", activated.Req, want, got)
		}
	}
	if got[0] != "connection opened" || got[len(got)-1] != "connection closed" {
		t.Errorf("connection %s's lines are not opened … closed: %q", activated.Req, got)
	}
	for _, l := range byReq[activated.Req] {
		if l.Front != "ssh" {
			t.Errorf("a line of an SSH connection has front %q: %s", l.Front, l.raw)
		}
	}

	// Each interactive chat is one connection: its session started as a
	// shell, under the user's ID once the key was known.
	shells := 0
	for _, l := range lines {
		if l.Msg == "session started" && l.Kind == "shell" && (l.User == uAnn.ID || l.User == uBob.ID) {
			shells++
			if l.Key == "" {
				t.Errorf("a session line lacks the key's fingerprint: %s", l.raw)
			}
		}
	}
	if shells != 2 {
		t.Errorf("%d shell sessions of Ann and Bob logged, want 2", shells)
	}

	// The refused API call: one line under the ID its response named.
	var apiLine *logLine
	for _, l := range byReq[httpReq] {
		if l.Msg == "http request" {
			l := l
			apiLine = &l
		}
	}
	if apiLine == nil {
		t.Fatalf("no \"http request\" line with req %s:\n%s", httpReq, f.srv.logText())
	}
	if apiLine.Front != "http" || apiLine.Status != http.StatusUnauthorized || apiLine.Method != http.MethodGet || apiLine.Route == "" {
		t.Errorf("the API call's line = %s, want front http, GET, a route, 401", apiLine.raw)
	}

	// What a user typed or was given never reaches the log.
	log := f.srv.logText()
	for _, secret := range []string{text, "the passphrase", uAnn.ActivationCode, uBob.ActivationCode, badKey, "CLIENTCHOSEN"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
