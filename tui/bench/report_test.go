package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestReportFromRecordedMessages(t *testing.T) {
	r := newRecorder()
	r.ids = map[int]string{0: "AAAAAAAA", 1: "BBBBBBBB"}
	r.start = time.Now()
	var markers []string
	for range 100 {
		markers = append(markers, r.sent(0))
	}
	// The sender's own screen does not count; the recipient's does, once.
	for i, m := range markers {
		r.seen(m, "AAAAAAAA", time.Now())
		if i < 98 {
			at := r.sentAt[m].Add(time.Duration(i+1) * time.Millisecond)
			r.seen(m, "BBBBBBBB", at)
			r.seen(m, "BBBBBBBB", at.Add(time.Second)) // redrawn later: ignored
		}
	}
	r.seen("bn99999x0000000", "BBBBBBBB", time.Now()) // never sent: ignored
	r.end = r.start.Add(2 * time.Second)
	rep := r.report(Config{Mode: Hosted, Users: 2, Active: 2, Rate: 50, Addr: "127.0.0.1:2222"}, serverSample{}, serverSample{}, serverSample{})
	if rep.Sent != 100 || rep.Delivered != 98 || rep.Missing() != 2 {
		t.Fatalf("sent %d delivered %d missing %d", rep.Sent, rep.Delivered, rep.Missing())
	}
	if rep.P50 != 49*time.Millisecond || rep.Max != 98*time.Millisecond || rep.P99 != 97*time.Millisecond {
		t.Fatalf("p50 %v p99 %v max %v", rep.P50, rep.P99, rep.Max)
	}
	total := 0
	for _, h := range rep.Histogram {
		total += h.Count
	}
	if total != 98 {
		t.Fatalf("the histogram holds %d, want 98", total)
	}
	var text, page bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"100 sent, 98 delivered, 2 missing", "p50 49.00 ms", "not measured"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "<svg") || !strings.Contains(page.String(), "98 delivered") {
		t.Fatalf("HTML report:\n%s", page.String())
	}
}

func TestConfigRefusesWhatItCannotRun(t *testing.T) {
	base := Config{Addr: "127.0.0.1:2222", Admin: nil, Mode: Hosted, Users: 4, Active: 2, Rate: 1, Duration: time.Second}
	for name, edit := range map[string]func(*Config){
		"no admin key":   func(c *Config) {},
		"remote address": func(c *Config) { c.Admin = fakeSigner{}; c.Addr = "192.0.2.1:22" },
		"odd active":     func(c *Config) { c.Admin = fakeSigner{}; c.Active = 3 },
		"unknown mode":   func(c *Config) { c.Admin = fakeSigner{}; c.Mode = "web" },
	} {
		c := base
		edit(&c)
		if err := c.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := base
	c.Admin = fakeSigner{}
	if err := c.check(); err != nil {
		t.Fatalf("a valid config: %v", err)
	}
}

type fakeSigner struct{ ssh.Signer }
