package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// soakRounds is how many SIGKILLs TestDurabilitySoak deals: 5 in the
// default run, PARLEY_SOAK_ROUNDS (just soak: 50) on request.
func soakRounds(t *testing.T) int {
	if v := os.Getenv("PARLEY_SOAK_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PARLEY_SOAK_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 5
}

// kill ends the server with SIGKILL, as a power cut would.
func (s *server) kill() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// checkDB runs bbolt's consistency check on the stopped server's database.
func checkDB(t *testing.T, data string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, store.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the database after a kill: %v", err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the database is inconsistent after a kill: %v", err)
	}
}

// TestDurabilitySoak: senders upload files to a user as fast as scp goes
// while the server is killed with SIGKILL at random moments, then
// restarted. After every kill bbolt's check passes; at the end every file
// whose upload scp reported done (the server acknowledged it) is in its
// recipient's history exactly once, and no file is there twice.
func TestDurabilitySoak(t *testing.T) {
	rounds := soakRounds(t)
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	// One recipient per sender: a history lists at most core.MaxFiles files.
	const workers = 3
	var to []key
	var toID []string
	for w := range workers {
		k := f.key(fmt.Sprint("rcpt", w))
		u := f.activeUser("acme", []key{k}, "--name", fmt.Sprint("Recipient ", w))
		to, toID = append(to, k), append(toID, u.ID)
	}
	src := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)) //nolint:gosec // test timing, not secrets
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		tried int
	)
	for round := range rounds {
		f.srv.mustSSH(ann, "the passphrase\n", "unlock")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("soak-%02d-%d-%04d.txt", round, w, i)
					path := filepath.Join(src, name)
					if err := os.WriteFile(path, []byte(name), 0o600); err != nil {
						t.Error(err)
						return
					}
					r := f.srv.scp(ann, path, "HOST:@"+toID[w])
					mu.Lock()
					tried++
					if r.code == 0 {
						acked[name] = true
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		f.srv.kill()
		close(stop)
		wg.Wait()
		checkDB(t, f.srv.data)
		f.srv.start()
	}
	seen := map[string]int{}
	for _, k := range to {
		f.srv.mustSSH(k, "the passphrase\n", "unlock")
		files := f.files(k)
		if len(files) >= core.MaxFiles {
			t.Fatalf("a recipient has %d files, as many as a history lists: the check would miss some", len(files))
		}
		for _, x := range files {
			seen[x.Name]++
		}
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("%s is in the recipient's history %d times", name, n)
		}
	}
	for name := range acked {
		if seen[name] != 1 {
			t.Errorf("%s was acknowledged but is not in the recipient's history", name)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no upload was acknowledged: the soak tested nothing")
	}
	t.Logf("%d rounds: %d uploads tried, %d acknowledged, %d delivered", rounds, tried, len(acked), len(seen))
}
