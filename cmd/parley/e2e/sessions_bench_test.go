package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// plainBinary builds parley without the race detector, for measurements.
var (
	plainOnce sync.Once //nolint:gochecknoglobals // built once per run
	plainPath string    //nolint:gochecknoglobals
	plainErr  error     //nolint:gochecknoglobals
)

func plainBinary(b *testing.B) string {
	plainOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parley-bench-")
		if err != nil {
			plainErr = err
			return
		}
		plainPath = filepath.Join(dir, "parley")
		out, err := exec.Command("go", "build", "-o", plainPath, "..").CombinedOutput()
		if err != nil {
			plainErr = fmt.Errorf("build: %w: %s", err, out)
		}
	})
	if plainErr != nil {
		b.Fatal(plainErr)
	}
	return plainPath
}

// BenchmarkIdleSessions opens idle, unlocked chat sessions over real SSH
// (Go's SSH client, a PTY and a shell each, the passphrase typed) and
// reports what they cost the server: Go heap and stacks after a GC,
// resident memory, goroutines, and CPU while idle. PARLEY_BENCH_SESSIONS
// sets the count (default 1000). PARLEY_BENCH_MODE=conn opens authenticated
// SSH connections without any session instead: the SSH library's own floor,
// to tell it from what the chat adds.
//
//	go test ./cmd/parley/e2e -run '^$' -bench IdleSessions -benchtime 1x
func BenchmarkIdleSessions(b *testing.B) {
	n := 1000
	if v := os.Getenv("PARLEY_BENCH_SESSIONS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const perUser = 20 // under the per-key session cap
	users := (n + perUser - 1) / perUser
	for range b.N {
		binary := plainBinary(b)
		dir := b.TempDir()
		adminKey := newKey(b, dir, "admin")
		srv := &server{t: b, data: filepath.Join(dir, "data"), args: []string{"--bootstrap-admin-key", adminKey.path + ".pub",
			"--debug-listen", "127.0.0.1:0", "--max-sessions", fmt.Sprint(n + 100), "--idle-timeout", "0", "--rate", "0",
			// Sessions open 32 at a time from one address; "conn" mode holds connections without a session.
			"--max-startups", "1000", "--max-startups-per-source", "1000", "--handshake-timeout", "30m"}}
		srv.binary = binary
		if v := os.Getenv("PARLEY_BENCH_GODEBUG"); v != "" {
			srv.env = []string{"GODEBUG=" + v}
		}
		srv.start()
		b.Cleanup(srv.stop)

		c := dialGo(b, srv, adminKey.signer)
		run(b, c, "", "tenant create bench --seats "+fmt.Sprint(users))
		keys := make([]key, users)
		for u := range users {
			keys[u] = newKey(b, dir, fmt.Sprintf("user%03d", u))
			var nu createdUser
			if err := json.Unmarshal([]byte(run(b, c, "", fmt.Sprintf("user create --tenant bench --name User %d --json", u))), &nu); err != nil {
				b.Fatal(err)
			}
			uc := dialGo(b, srv, keys[u].signer)
			run(b, uc, "benchmark passphrase\n", "activate "+nu.ActivationCode)
			uc.Close()
		}
		c.Close()

		before := measure(b, srv)
		var mu sync.Mutex
		var clients []*gossh.Client
		sem := make(chan struct{}, 32)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				var cl *gossh.Client
				if os.Getenv("PARLEY_BENCH_MODE") == "conn" {
					cl = dialGo(b, srv, keys[i/perUser].signer)
				} else {
					cl = openChat(b, srv, keys[i/perUser].signer)
				}
				mu.Lock()
				clients = append(clients, cl)
				mu.Unlock()
			}(i)
		}
		wg.Wait()
		opened := time.Since(start)
		time.Sleep(3 * time.Second) // let the sessions settle into idleness
		after := measure(b, srv)
		cpu := idleCPU(b, srv, 10*time.Second)
		if dir := os.Getenv("PARLEY_BENCH_PROFILES"); dir != "" {
			saveProfiles(b, srv, dir)
		}

		per := func(a, z int64) float64 { return float64(z-a) / float64(n) }
		b.ReportMetric(float64(n), "sessions")
		b.ReportMetric(per(before.heap+before.stack, after.heap+after.stack)/1024, "KiB-heap+stack/session")
		b.ReportMetric(per(before.heap, after.heap)/1024, "KiB-heap/session")
		b.ReportMetric(per(before.stack, after.stack)/1024, "KiB-stack/session")
		b.ReportMetric(per(before.rss, after.rss)/1024, "KiB-RSS/session")
		b.ReportMetric(per(before.goroutines, after.goroutines), "goroutines/session")
		b.ReportMetric(cpu*100, "idle-CPU-%")
		b.ReportMetric(opened.Seconds(), "s-to-open")
		for _, cl := range clients {
			cl.Close()
		}
	}
}

func dialGo(t testing.TB, srv *server, signer gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "bench",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)}, HostKeyCallback: gossh.InsecureIgnoreHostKey(), //nolint:gosec // test server on loopback
		Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t testing.TB, c *gossh.Client, stdin, cmd string) string {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	if err := s.Run(cmd); err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, errb.String())
	}
	return out.String()
}

// openChat opens a terminal session, unlocks it and waits for the chat screen.
func openChat(t testing.TB, srv *server, signer gossh.Signer) *gossh.Client {
	c := dialGo(t, srv, signer)
	s, err := c.NewSession()
	if err != nil {
		t.Error(err)
		return c
	}
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Error(err)
		return c
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Error(err)
		return c
	}
	r := bufio.NewReader(out)
	if err := waitOutput(r, "Passphrase"); err != nil {
		t.Error(err)
		return c
	}
	_, _ = io.WriteString(in, "benchmark passphrase\r")
	if err := waitOutput(r, "Welcome to Parley"); err != nil {
		t.Error(err)
	}
	// Keep draining in the background so the server never blocks on us.
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return c
}

func waitOutput(r *bufio.Reader, want string) error {
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		n, err := r.Read(buf)
		seen.Write(buf[:n])
		if bytes.Contains(seen.Bytes(), []byte(want)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", want, err)
		}
	}
	return fmt.Errorf("timed out waiting for %q", want)
}

type memory struct{ heap, stack, rss, goroutines int64 }

var (
	heapInuseRE  = regexp.MustCompile(`# HeapInuse = (\d+)`)
	stackInuseRE = regexp.MustCompile(`# Stack = (\d+)`)
	goroutinesRE = regexp.MustCompile(`goroutine profile: total (\d+)`)
	rssRE        = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)
)

// measure reads the server's memory after a forced GC.
func measure(t testing.TB, srv *server) memory {
	t.Helper()
	get := func(path string) string {
		resp, err := http.Get("http://" + srv.debug + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	num := func(re *regexp.Regexp, s string) int64 {
		m := re.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no %s in output", re)
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		return v
	}
	// Stacks shrink by half at most once per GC cycle: run a few cycles so
	// what is measured is what idle sessions keep, not what setting them up grew.
	for range 4 {
		get("/debug/pprof/heap?gc=1")
	}
	heap := get("/debug/pprof/heap?debug=1&gc=1")
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return memory{
		heap:       num(heapInuseRE, heap),
		stack:      num(stackInuseRE, heap),
		rss:        num(rssRE, string(status)) * 1024,
		goroutines: num(goroutinesRE, get("/debug/pprof/goroutine?debug=1")),
	}
}

// idleCPU is the share of one core the server used over d.
func idleCPU(t testing.TB, srv *server, d time.Duration) float64 {
	t.Helper()
	ticks := func() int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", srv.cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64) // utime
		s, _ := strconv.ParseInt(f[12], 10, 64) // stime
		return u + s
	}
	a := ticks()
	time.Sleep(d)
	return float64(ticks()-a) / 100 / d.Seconds() // USER_HZ is 100 on Linux
}

// saveProfiles writes the server's heap and goroutine profiles to dir, for
// `go tool pprof`.
func saveProfiles(t testing.TB, srv *server, dir string) {
	t.Helper()
	for name, path := range map[string]string{"heap.pb.gz": "/debug/pprof/heap?gc=1", "goroutines.txt": "/debug/pprof/goroutine?debug=1"} {
		resp, err := http.Get("http://" + srv.debug + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
