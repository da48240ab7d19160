package sshd

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestStartupLimits: the startup pool caps connections in total and per
// source; a source whose connections end without authenticating collects
// penalty time and is refused once it holds penaltyMin of it.
func TestStartupLimits(t *testing.T) {
	l := newStartupLimits(3, 2)
	a := netip.MustParsePrefix("192.0.2.1/32")
	b := netip.MustParsePrefix("2001:db8::/64")
	now := time.Unix(1_000_000, 0)
	for i, want := range []string{"", "", "too many unauthenticated connections from one source"} {
		if got := l.admit(a, now); got != want {
			t.Fatalf("admit %d from a: %q, want %q", i, got, want)
		}
	}
	if got := l.admit(b, now); got != "" {
		t.Fatalf("admit from b: %q", got)
	}
	if got := l.admit(b, now); got != "too many unauthenticated connections" {
		t.Fatalf("a fourth connection: %q", got)
	}
	// Authenticated: no penalty.
	l.release(a, now, true, false)
	l.release(a, now, true, false)
	if got := l.admit(a, now); got != "" {
		t.Fatalf("after authenticated releases: %q", got)
	}
	l.release(a, now, true, false)
	// One timed-out connection (10 s) is below penaltyMin; two are over it.
	_ = l.admit(a, now)
	l.release(a, now, false, true)
	if got := l.admit(a, now); got != "" {
		t.Fatalf("after one timeout: %q", got)
	}
	l.release(a, now, false, true)
	if got := l.admit(a, now); got != "source penalised" {
		t.Fatalf("after two timeouts: %q", got)
	}
	// The penalty runs out.
	if got := l.admit(a, now.Add(20*time.Second)); got != "" {
		t.Fatalf("after the penalty: %q", got)
	}
	// Penalties are capped at penaltyMax.
	for range 1000 {
		l.release(a, now, false, true)
		l.open++
		l.bySource[a]++
	}
	if until := l.penalty[a]; until.After(now.Add(penaltyMax)) {
		t.Fatalf("penalty until %v, more than penaltyMax", until.Sub(now))
	}
}

// TestClampPtyRequest: sizes beyond MaxCols×MaxRows are clamped where
// they enter; TERM and the modes pass unchanged; malformed payloads and
// long TERMs are refused.
func TestClampPtyRequest(t *testing.T) {
	in := gossh.Marshal(ptyRequest{Term: "xterm-256color", Cols: 80, Rows: 40_000_000, Width: 640, Height: 4_000_000, Modes: "\x35\x00\x00\x00\x01\x00"})
	out, ok := clampPtyRequest(in)
	if !ok {
		t.Fatal("refused")
	}
	var r ptyRequest
	if err := gossh.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Term != "xterm-256color" || r.Cols != 80 || r.Rows != MaxRows || r.Width != 640 || r.Height != 20 || r.Modes != "\x35\x00\x00\x00\x01\x00" {
		t.Fatalf("clamped: %+v", r)
	}
	small := gossh.Marshal(ptyRequest{Term: "vt100", Cols: 120, Rows: 40})
	if out, _ := clampPtyRequest(small); string(out) != string(small) {
		t.Fatal("a normal size was changed")
	}
	if _, ok := clampPtyRequest(gossh.Marshal(ptyRequest{Term: strings.Repeat("x", 65)})); ok {
		t.Fatal("a 65-byte TERM was accepted")
	}
	if _, ok := clampPtyRequest([]byte{0, 0, 0, 9, 'x'}); ok {
		t.Fatal("a malformed pty-req was accepted")
	}
	w, ok := clampWindow(gossh.Marshal(windowChange{Cols: 16000, Rows: 16000}))
	var wc windowChange
	if !ok || gossh.Unmarshal(w, &wc) != nil || wc.Cols != MaxCols || wc.Rows != MaxRows {
		t.Fatalf("window-change: %+v %v", wc, ok)
	}
}

func FuzzClampPtyRequest(f *testing.F) {
	f.Add(gossh.Marshal(ptyRequest{Term: "xterm", Cols: 80, Rows: 24}))
	f.Add(gossh.Marshal(ptyRequest{Term: "xterm", Cols: 1 << 31, Rows: 1 << 31, Width: 1 << 31, Height: 1 << 31}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, ok := clampPtyRequest(payload)
		if !ok {
			return
		}
		var r ptyRequest
		if err := gossh.Unmarshal(out, &r); err != nil {
			t.Fatalf("clamped payload does not parse: %v", err)
		}
		if r.Cols > MaxCols || r.Rows > MaxRows || len(r.Term) > maxTermName {
			t.Fatalf("not clamped: %+v", r)
		}
	})
}

func TestEnvOK(t *testing.T) {
	env := func(k, v string) []byte { return gossh.Marshal(struct{ Key, Value string }{k, v}) }
	for _, tc := range []struct {
		payload []byte
		want    bool
	}{
		{env("TZ", "Europe/Berlin"), true},
		{env("LC_ALL", "de_DE.UTF-8"), true},
		{env("LD_PRELOAD", "/tmp/x.so"), false},
		{env("PATH", "/bin"), false},
		{env("TZ", strings.Repeat("x", maxEnvValue+1)), false},
		{env("LC_"+strings.Repeat("X", maxEnvKey), "x"), false},
		{env("TZ", "a\x00b"), false},
		{[]byte{1, 2}, false},
	} {
		if got := envOK(tc.payload); got != tc.want {
			t.Errorf("envOK(%q) = %v, want %v", tc.payload, got, tc.want)
		}
	}
}

// TestSFTPHandlesBoundedPerSession (finding 4): a session has at most
// maxOpenFiles files open, and the bytes held for writes ahead of order
// are bounded over all its files, not per file.
func TestSFTPHandlesBoundedPerSession(t *testing.T) {
	files := newFakeFiles()
	c, stderr := sftpPair(t, files)
	var handles []interface{ Close() error }
	for i := range maxOpenFiles {
		f, err := c.OpenFile("@K7ZP4Q2M/f"+string(rune('a'+i)), os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			t.Fatalf("file %d: %v", i, err)
		}
		handles = append(handles, f)
	}
	if _, err := c.OpenFile("@K7ZP4Q2M/one-too-many", os.O_WRONLY|os.O_CREATE|os.O_TRUNC); err == nil {
		t.Fatal("a file beyond maxOpenFiles was opened")
	}
	if !strings.Contains(stderr.String(), "files can be open at once") {
		t.Fatalf("stderr %q does not say why", stderr.String())
	}
	for _, h := range handles {
		_ = h.Close()
	}
	// Two files, each holding 10 MiB ahead of order: the second goes over
	// the session's budget.
	a, err := c.OpenFile("@K7ZP4Q2M/a", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatalf("a file after closing the others: %v", err)
	}
	b, err := c.OpenFile("@K7ZP4Q2M/b", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 10<<20)
	if _, err := a.WriteAt(chunk, 1); err != nil {
		t.Fatalf("10 MiB ahead of order in one file: %v", err)
	}
	if _, err := b.WriteAt(chunk, 1); err == nil {
		t.Fatal("20 MiB ahead of order over two files was held")
	}
	if !strings.Contains(stderr.String(), "ahead of order in this session") {
		t.Fatalf("stderr %q does not say why", stderr.String())
	}
	_ = a.Close()
	_ = b.Close()
}
