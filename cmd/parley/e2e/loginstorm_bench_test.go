package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// BenchmarkLoginStorm is a reconnect storm after a restart: PARLEY_BENCH_LOGINS
// (default 200) hosted users, enrolled with the production Argon2id (64 MiB,
// three passes), open chat sessions over real SSH, 64 at a time, and type
// their passphrase. It reports how fast the server lets them in (logins/s:
// the KDF is the cost, bounded to one run per core), the server's peak
// resident memory during the storm, and its resident and live memory 10 s
// after the last login — the KDF's buffers handed back.
//
//	go test ./cmd/parley/e2e -run '^$' -bench LoginStorm -benchtime 1x
func BenchmarkLoginStorm(b *testing.B) {
	n := 200
	if v := os.Getenv("PARLEY_BENCH_LOGINS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const perUser = 1
	for range b.N {
		dir := b.TempDir()
		adminKey := newKey(b, dir, "admin")
		srv := benchServer(b, dir, adminKey, "--kdf-memory", "64", "--kdf-time", "3", "--max-sessions", strconv.Itoa(n+100),
			"--handshake-timeout", "30m")
		admin := dialGo(b, srv, adminKey.signer)
		run(b, admin, "", "tenant create bench --seats "+strconv.Itoa(n))
		keys := make([]key, n)
		codes := make([]string, n)
		for u := range n {
			keys[u] = newKey(b, dir, fmt.Sprintf("user%04d", u))
			var nu createdUser
			if err := json.Unmarshal([]byte(run(b, admin, "", fmt.Sprintf("user create --tenant bench --name User %d --json", u))), &nu); err != nil {
				b.Fatal(err)
			}
			codes[u] = nu.ActivationCode
		}
		admin.Close()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for u := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				uc := dialGo(b, srv, keys[u].signer)
				defer uc.Close()
				run(b, uc, "benchmark passphrase\n", "activate "+codes[u])
			})
		}
		wg.Wait()
		srv.stop() // the restart the storm follows
		srv.start()

		before := measure(b, srv)
		stop := make(chan struct{})
		peak := make(chan int64, 1)
		go func() {
			var top int64
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					peak <- top
					return
				case <-t.C:
					top = max(top, rss(srv))
				}
			}
		}()
		var mu sync.Mutex
		var clients []*gossh.Client
		start := time.Now()
		storm := make(chan struct{}, 64) // logins in flight at once from this client
		for i := range n * perUser {
			storm <- struct{}{}
			wg.Go(func() {
				defer func() { <-storm }()
				cl := openChat(b, srv, keys[i/perUser].signer)
				mu.Lock()
				clients = append(clients, cl)
				mu.Unlock()
			})
		}
		wg.Wait()
		took := time.Since(start)
		close(stop)
		top := <-peak
		time.Sleep(10 * time.Second)
		after := measure(b, srv)
		b.ReportMetric(float64(n)/took.Seconds(), "logins/s")
		b.ReportMetric(took.Seconds(), "s-storm")
		b.ReportMetric(float64(top)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(after.rss)/(1<<20), "RSS-MiB-10s-after")
		b.ReportMetric(float64(after.heap+after.stack)/(1<<20), "live-MiB-10s-after")
		b.ReportMetric(float64(before.rss)/(1<<20), "RSS-MiB-before")
		for _, cl := range clients {
			cl.Close()
		}
	}
}

var vmRSS = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)

// rss is the server's resident memory in bytes, 0 if it cannot be read.
func rss(srv *server) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(srv.cmd.Process.Pid), "status"))
	if err != nil {
		return 0
	}
	m := vmRSS.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return v << 10
}
