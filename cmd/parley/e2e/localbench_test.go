package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/local/device"
	"github.com/parley-chat/parley/tui/local/remote"
)

// benchServer starts the plain (race-free) binary for a measurement.
func benchServer(b *testing.B, dir string, admin key, extra ...string) *server {
	b.Helper()
	srv := &server{t: b, data: filepath.Join(dir, "data"), binary: plainBinary(b),
		args: append([]string{"--bootstrap-admin-key", admin.path + ".pub", "--debug-listen", "127.0.0.1:0", "--rate", "0",
			"--idle-timeout", "0", "--max-startups", "1000", "--max-startups-per-source", "1000"}, extra...)}
	srv.start()
	b.Cleanup(srv.stop)
	return srv
}

// localEnrolled is a user enrolled in local mode: the key pair made here.
type localEnrolled struct {
	key key
	id  crypto.ID
	pub crypto.PublicKey
	sk  *crypto.SecretKey
}

func enrolLocal(b *testing.B, srv *server, admin *gossh.Client, dir, tenant, name string) localEnrolled {
	b.Helper()
	k := newKey(b, dir, name)
	var nu createdUser
	if err := json.Unmarshal([]byte(run(b, admin, "", "user create --tenant "+tenant+" --name "+name+" --json")), &nu); err != nil {
		b.Fatal(err)
	}
	pub, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	uc := dialGo(b, srv, k.signer)
	run(b, uc, "", "activate "+nu.ActivationCode+" --public-key "+pub.String())
	uc.Close()
	id, err := crypto.ParseID(nu.ID)
	if err != nil {
		b.Fatal(err)
	}
	return localEnrolled{key: k, id: id, pub: pub, sk: sk}
}

// openSubsystem connects u's key and opens the client protocol.
func openSubsystem(b *testing.B, srv *server, signer gossh.Signer) (*gossh.Client, *remote.Conn) {
	b.Helper()
	cl := dialGo(b, srv, signer)
	ch, reqs, err := cl.OpenChannel("session", nil)
	if err != nil {
		b.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	if ok, err := ch.SendRequest("subsystem", true, gossh.Marshal(struct{ Name string }{"parley"})); !ok || err != nil {
		b.Fatalf("subsystem: %v %v", ok, err)
	}
	conn, err := remote.Open(b.Context(), ch, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return cl, conn
}

// localClient is a local-mode client core as parley chat builds it: the
// local store, the production KDF, the protocol over real SSH. Each Sync
// reports the texts that arrived on got.
type benchClient struct {
	core *core.Core
	got  chan string
}

func newBenchClient(b *testing.B, srv *server, u localEnrolled, dir string) *benchClient {
	b.Helper()
	pass := []byte("benchmark passphrase")
	sealed, err := crypto.SealSecretKey(rand.Reader, pass, u.sk, crypto.DefaultKDFParams())
	if err != nil {
		b.Fatal(err)
	}
	adir := filepath.Join(dir, "local-"+u.id.String())
	if err := device.Write(adir, device.Account{UserID: u.id, Name: u.id.String(), PublicKey: u.pub}, sealed); err != nil {
		b.Fatal(err)
	}
	dev, err := device.Open(adir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = dev.Close() })
	cl, conn := openSubsystem(b, srv, u.key.signer)
	b.Cleanup(func() { _ = conn.Close(); _ = cl.Close() })
	c := core.New(core.Config{Identity: dev.Identity(), Relay: conn, Keys: dev, Store: dev.Store(), Directory: conn,
		Session: "bench-" + u.id.String()})
	b.Cleanup(c.Close)
	ctx := b.Context()
	if err := c.Unlock(ctx, pass); err != nil {
		b.Fatal(err)
	}
	bc := &benchClient{core: c, got: make(chan string, 1024)}
	wake := make(chan struct{}, 1)
	if err := c.Start(ctx, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}); err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			ch, err := c.Sync(ctx)
			if err != nil {
				continue
			}
			for _, m := range ch.Incoming {
				bc.got <- m.Text
			}
		}
	}()
	return bc
}

// cpuTicks is the server's CPU time so far, in 1/100 s.
func cpuTicks(t testing.TB, srv *server) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64) // utime
	s, _ := strconv.ParseInt(f[12], 10, 64) // stime
	return u + s
}

// BenchmarkLocalDelivery sends b.N 1:1 messages between two local-mode
// clients (client cores with local stores, the protocol over real SSH,
// the production KDF for their keys), one at a time, each timed from
// Send until the recipient's core has stored and reported it, and reports
// the server's CPU time per delivered message (its whole process: SSH,
// relay, store, receipts) and the delivery latency. The clients' own
// sealing and stores run in this process, not the server's. It leaves out
// the recipient's terminal: the TUI is the user's machine's business.
//
//	go test ./cmd/parley/e2e -run '^$' -bench LocalDelivery -benchtime 2000x
func BenchmarkLocalDelivery(b *testing.B) {
	dir := b.TempDir()
	adminKey := newKey(b, dir, "admin")
	srv := benchServer(b, dir, adminKey)
	admin := dialGo(b, srv, adminKey.signer)
	run(b, admin, "", "tenant create bench --seats 2")
	ua := enrolLocal(b, srv, admin, dir, "bench", "ann")
	ub := enrolLocal(b, srv, admin, dir, "bench", "bob")
	admin.Close()
	ann, bob := newBenchClient(b, srv, ua, dir), newBenchClient(b, srv, ub, dir)
	ctx := b.Context()
	to := core.Direct(ub.id)
	// Warm up: the first message looks up the contact and pins its key.
	if _, err := ann.core.Send(ctx, to, "warm-up"); err != nil {
		b.Fatal(err)
	}
	<-bob.got
	lat := make([]time.Duration, 0, b.N)
	t0 := cpuTicks(b, srv)
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		text := "m" + strconv.Itoa(i)
		sent := time.Now()
		if _, err := ann.core.Send(ctx, to, text); err != nil {
			b.Fatal(err)
		}
		for got := range bob.got {
			if got == text {
				break
			}
		}
		lat = append(lat, time.Since(sent))
	}
	b.StopTimer()
	elapsed := time.Since(start)
	time.Sleep(500 * time.Millisecond) // the last receipts
	ticks := cpuTicks(b, srv) - t0
	slices.Sort(lat)
	b.ReportMetric(float64(ticks)*10/float64(b.N), "server-cpu-ms/msg")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
}

// BenchmarkLocalConnections holds PARLEY_BENCH_CLIENTS (default 1,000)
// local-client connections to one server — SSH, the parley subsystem,
// the handshake and a live feed each, 20 per key — and reports what each
// costs the server: Go heap and stacks after a GC, and resident memory.
//
//	go test ./cmd/parley/e2e -run '^$' -bench LocalConnections -benchtime 1x
func BenchmarkLocalConnections(b *testing.B) {
	n := 1000
	if v := os.Getenv("PARLEY_BENCH_CLIENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const perKey = 20 // under the per-key session cap
	users := (n + perKey - 1) / perKey
	for range b.N {
		dir := b.TempDir()
		adminKey := newKey(b, dir, "admin")
		srv := benchServer(b, dir, adminKey, "--max-sessions", strconv.Itoa(n+100), "--handshake-timeout", "30m")
		admin := dialGo(b, srv, adminKey.signer)
		run(b, admin, "", "tenant create bench --seats "+strconv.Itoa(users))
		us := make([]localEnrolled, users)
		for i := range users {
			us[i] = enrolLocal(b, srv, admin, dir, "bench", fmt.Sprintf("user%03d", i))
		}
		admin.Close()
		before := measure(b, srv)
		var mu sync.Mutex
		var conns []*remote.Conn
		sem := make(chan struct{}, 32)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				cl, conn := openSubsystem(b, srv, us[i/perKey].key.signer)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := conn.Subscribe(ctx, func() {}); err != nil {
					b.Error(err)
				}
				mu.Lock()
				conns = append(conns, conn)
				mu.Unlock()
				b.Cleanup(func() { _ = cl.Close() })
			})
		}
		wg.Wait()
		opened := time.Since(start)
		time.Sleep(3 * time.Second) // let the connections settle
		after := measure(b, srv)
		per := func(a, z int64) float64 { return float64(z-a) / float64(n) / 1024 }
		b.ReportMetric(per(before.heap+before.stack, after.heap+after.stack), "live-KiB/conn")
		b.ReportMetric(per(before.rss, after.rss), "rss-KiB/conn")
		b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/conn")
		b.ReportMetric(float64(n)/opened.Seconds(), "conns/s")
		if len(conns) != n {
			b.Fatalf("%d of %d connections open", len(conns), n)
		}
	}
}
