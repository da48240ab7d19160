package bench

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder keeps what was sent and when it was seen.
type recorder struct {
	mu        sync.Mutex
	next      map[int]int          // sender index → next sequence number
	sentAt    map[string]time.Time // marker → send time
	delivered map[string]time.Duration
	errors    []string
	ids       map[int]string // sender index → their ID
	start     time.Time
	end       time.Time
	loginTime time.Duration
}

func newRecorder() *recorder {
	return &recorder{next: map[int]int{}, sentAt: map[string]time.Time{}, delivered: map[string]time.Duration{}}
}

// sent names the next message of sender i and notes when it left.
func (r *recorder) sent(i int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next[i]
	r.next[i] = n + 1
	m := fmt.Sprintf("bn%05dx%07d", i, n)
	r.sentAt[m] = time.Now()
	return m
}

// seen notes a marker on the screen of user id; the first sighting on a
// screen other than the sender's is the delivery.
func (r *recorder) seen(marker, id string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.sentAt[marker]
	if !ok {
		return
	}
	if _, done := r.delivered[marker]; done {
		return
	}
	sender, _ := strconv.Atoi(marker[2:7])
	if r.ids != nil && r.ids[sender] == id {
		return // the sender's own screen
	}
	r.delivered[marker] = at.Sub(t)
}

func (r *recorder) fail(marker string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errors) < 100 {
		r.errors = append(r.errors, marker+": "+err.Error())
	}
}

// Report is a run's result.
type Report struct {
	Config              Config
	Sent, Delivered     int
	Errors              []string
	P50, P99, P999, Max time.Duration
	Throughput          float64 // delivered messages a second
	LoginTime           time.Duration
	ServerCPUPerMessage time.Duration // 0 without ServerPID
	ServerRSSPerSession int64         // bytes; 0 without ServerPID
	Histogram           []bucket
	Series              []point // per second of the chat
	Start               time.Time
	Elapsed             time.Duration
}

type bucket struct {
	UpTo  time.Duration
	Count int
}

type point struct {
	Second    int
	Delivered int
	P50       time.Duration
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func (r *recorder) report(cfg Config, before, idle, after serverSample) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{Config: cfg, Sent: len(r.sentAt), Delivered: len(r.delivered), Errors: slices.Clone(r.errors),
		LoginTime: r.loginTime, Start: r.start, Elapsed: r.end.Sub(r.start)}
	lat := make([]time.Duration, 0, len(r.delivered))
	perSec := map[int][]time.Duration{}
	for m, d := range r.delivered {
		lat = append(lat, d)
		s := int(r.sentAt[m].Sub(r.start) / time.Second)
		perSec[s] = append(perSec[s], d)
	}
	slices.Sort(lat)
	rep.P50, rep.P99, rep.P999 = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 0.999)
	if len(lat) > 0 {
		rep.Max = lat[len(lat)-1]
	}
	if rep.Elapsed > 0 {
		rep.Throughput = float64(rep.Delivered) / rep.Elapsed.Seconds()
	}
	if cfg.ServerPID > 0 && rep.Delivered > 0 {
		rep.ServerCPUPerMessage = (after.cpu - idle.cpu) / time.Duration(rep.Delivered)
		rep.ServerRSSPerSession = (idle.rss - before.rss) / int64(cfg.Users)
	}
	// Histogram: doubling buckets from 1 ms.
	for up := time.Millisecond; ; up *= 2 {
		n := 0
		for _, d := range lat {
			if d <= up && (len(rep.Histogram) == 0 || d > rep.Histogram[len(rep.Histogram)-1].UpTo) {
				n++
			}
		}
		rep.Histogram = append(rep.Histogram, bucket{UpTo: up, Count: n})
		if len(lat) == 0 || up >= lat[len(lat)-1] || up > time.Minute {
			break
		}
	}
	secs := int(rep.Elapsed/time.Second) + 1
	for s := range secs {
		ds := perSec[s]
		slices.Sort(ds)
		rep.Series = append(rep.Series, point{Second: s, Delivered: len(ds), P50: percentile(ds, 0.5)})
	}
	return rep
}

// Missing is how many sent messages never reached the recipient's screen.
func (r *Report) Missing() int { return r.Sent - r.Delivered }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// WriteText writes the summary.
func (r *Report) WriteText(w io.Writer) error {
	c := r.Config
	var b strings.Builder
	fmt.Fprintf(&b, "parley bench: %s mode, %d users (%d chatting at %g msg/s each, %d idle), %s, server %s\n",
		c.Mode, c.Users, c.Active, c.Rate, c.Users-c.Active, r.Elapsed.Round(time.Millisecond), c.Addr)
	fmt.Fprintf(&b, "  logins:      %d in %s (%.1f/s)\n", c.Users, r.LoginTime.Round(time.Millisecond), float64(c.Users)/r.LoginTime.Seconds())
	fmt.Fprintf(&b, "  messages:    %d sent, %d delivered, %d missing, %d errors\n", r.Sent, r.Delivered, r.Missing(), len(r.Errors))
	fmt.Fprintf(&b, "  throughput:  %.1f delivered/s\n", r.Throughput)
	fmt.Fprintf(&b, "  latency:     p50 %s, p99 %s, p99.9 %s, max %s (send to the recipient's %s)\n",
		ms(r.P50), ms(r.P99), ms(r.P999), ms(r.Max), map[Mode]string{Hosted: "screen", Local: "core"}[c.Mode])
	if c.ServerPID > 0 {
		fmt.Fprintf(&b, "  server:      %s CPU per delivered message, %d KiB RSS per session\n", ms(r.ServerCPUPerMessage), r.ServerRSSPerSession>>10)
	} else {
		b.WriteString("  server:      CPU and memory not measured (give --server-pid for a server on this machine)\n")
	}
	for i, e := range r.Errors {
		if i == 5 {
			fmt.Fprintf(&b, "  … %d more errors\n", len(r.Errors)-5)
			break
		}
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTMLFile writes the report as a page with a latency histogram and
// time series (inline SVG, no scripts).
func (r *Report) WriteHTMLFile(path string) error {
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// WriteHTML writes the report page.
func (r *Report) WriteHTML(w io.Writer) error {
	var text strings.Builder
	_ = r.WriteText(&text)
	maxCount := 1
	for _, h := range r.Histogram {
		maxCount = max(maxCount, h.Count)
	}
	maxSec, maxP50 := 1, time.Millisecond
	for _, p := range r.Series {
		maxSec = max(maxSec, p.Delivered)
		maxP50 = max(maxP50, p.P50)
	}
	type bar struct {
		X, Y, W, H float64
		Label      string
		Count      int
	}
	var hist []bar
	bw := 600.0 / float64(max(1, len(r.Histogram)))
	for i, h := range r.Histogram {
		hh := 180 * float64(h.Count) / float64(maxCount)
		hist = append(hist, bar{X: float64(i) * bw, Y: 200 - hh, W: bw - 2, H: hh, Label: "≤" + h.UpTo.String(), Count: h.Count})
	}
	var tput, p50 []string
	step := 600.0 / float64(max(1, len(r.Series)-1))
	for i, p := range r.Series {
		x := float64(i) * step
		tput = append(tput, fmt.Sprintf("%.1f,%.1f", x, 200-180*float64(p.Delivered)/float64(maxSec)))
		p50 = append(p50, fmt.Sprintf("%.1f,%.1f", x, 200-180*float64(p.P50)/float64(maxP50)))
	}
	return reportPage.Execute(w, map[string]any{
		"Text": text.String(), "Hist": hist, "Tput": strings.Join(tput, " "), "P50": strings.Join(p50, " "),
		"MaxSec": maxSec, "MaxP50": maxP50.String(), "Secs": len(r.Series),
	})
}

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parley bench</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:52em}pre{background:#f4f4f4;padding:1em}
svg{border:1px solid #ccc;margin:.5em 0}text{font-size:10px}</style></head><body>
<h1>parley bench</h1>
<pre>{{.Text}}</pre>
<h2>Latency histogram</h2>
<svg width="620" height="240" viewBox="-10 -10 620 250" role="img" aria-label="latency histogram">
{{range .Hist}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#4a7"><title>{{.Label}}: {{.Count}}</title></rect>
<text x="{{.X}}" y="215">{{.Label}}</text>{{end}}
</svg>
<h2>Per second: delivered messages (green, max {{.MaxSec}}) and p50 latency (blue, max {{.MaxP50}})</h2>
<svg width="620" height="240" viewBox="-10 -10 620 250" role="img" aria-label="time series over {{.Secs}} seconds">
<polyline fill="none" stroke="#4a7" stroke-width="2" points="{{.Tput}}"/>
<polyline fill="none" stroke="#47a" stroke-width="2" points="{{.P50}}"/>
<line x1="0" y1="200" x2="600" y2="200" stroke="#999"/>
</svg>
</body></html>
`))

// serverSample is the server's CPU time and resident memory at a moment.
type serverSample struct {
	cpu time.Duration
	rss int64
}

// sample reads /proc for the server process; zero without a PID.
func sample(pid int) serverSample {
	if pid <= 0 {
		return serverSample{}
	}
	var s serverSample
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) {
			f := strings.Fields(string(b[i+2:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				k, _ := strconv.ParseInt(f[12], 10, 64)
				s.cpu = time.Duration(u+k) * 10 * time.Millisecond // USER_HZ 100
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				s.rss = v << 10
			}
		}
	}
	return s
}
