package relay

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// tenantPeer is a peer whose user belongs to a tenant.
func tenantPeer(t testing.TB, name, tenant string) peer {
	t.Helper()
	p := newPeer(t, name)
	auth.From(p.ctx).User.TenantID = tenant
	return p
}

// stored reads the counts the store holds, without what is in memory.
func stored(t testing.TB, r *Service, tenant, from, to string) map[string]uint64 {
	t.Helper()
	var out map[string]uint64
	err := r.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = tx.MessagesPerDay(tenant, from, to)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sendN sends n envelopes from one peer to another.
func sendN(t testing.TB, r *Service, from, to peer, n int) {
	t.Helper()
	for range n {
		if _, err := r.Send(from.ctx, from.seal(t, to, "counted, never read")); err != nil {
			t.Fatal(err)
		}
	}
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// TestMessageCounts: accepted envelopes are counted per sender tenant and
// UTC day; reads see the unwritten counts, a flush moves them to the store
// without counting anything twice, and refused envelopes do not count.
func TestMessageCounts(t *testing.T) {
	clock := &testClock{now: time.Date(2030, time.March, 4, 23, 59, 0, 0, time.UTC)}
	alice, bob := tenantPeer(t, "ALICE001", "t-acme"), tenantPeer(t, "BOB00002", "t-acme")
	gina, carol := tenantPeer(t, "GINA0003", "t-globex"), tenantPeer(t, "CAROL004", "t-globex")
	r, _ := newRelay(t, Config{Now: clock.Now}, carol.id)

	sendN(t, r, alice, bob, 3)
	sendN(t, r, bob, alice, 1)
	sendN(t, r, gina, alice, 2)
	if _, err := r.Send(gina.ctx, gina.seal(t, carol, "x")); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("send to a blocked recipient: err = %v, want ErrUnreachable", err)
	}
	if _, err := r.Send(bob.ctx, alice.seal(t, bob, "forged")); !errors.Is(err, ErrForgedSender) {
		t.Fatalf("forged send: err = %v, want ErrForgedSender", err)
	}
	clock.Set(clock.Now().Add(2 * time.Minute)) // the next UTC day
	sendN(t, r, alice, bob, 1)

	check := func(when string) {
		t.Helper()
		cases := []struct {
			tenant, from, to string
			want             map[string]uint64
		}{
			{"t-acme", "2030-03-01", "2030-03-31", map[string]uint64{"2030-03-04": 4, "2030-03-05": 1}},
			{"t-acme", "2030-03-05", "2030-03-05", map[string]uint64{"2030-03-05": 1}},
			{"t-acme", "2030-03-01", "2030-03-04", map[string]uint64{"2030-03-04": 4}},
			{"t-globex", "2030-03-04", "2030-03-05", map[string]uint64{"2030-03-04": 2}},
			{"t-initech", "2030-03-04", "2030-03-05", map[string]uint64{}},
		}
		for _, c := range cases {
			got, err := r.MessagesPerDay(t.Context(), c.tenant, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s: MessagesPerDay(%s, %s, %s) (-want +got):\n%s", when, c.tenant, c.from, c.to, diff)
			}
		}
	}
	check("before the flush")
	if got := stored(t, r, "t-acme", "2030-03-01", "2030-03-31"); len(got) != 0 {
		t.Fatalf("counts in the store before a flush: %v", got)
	}
	if err := r.FlushStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("after the flush")
	if got, want := stored(t, r, "t-acme", "2030-03-01", "2030-03-31"), map[string]uint64{"2030-03-04": 4, "2030-03-05": 1}; !cmp.Equal(got, want) {
		t.Errorf("store after the flush: got %v, want %v", got, want)
	}
	// Counting goes on from what the store holds.
	sendN(t, r, alice, bob, 2)
	if err := r.FlushStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := r.FlushStats(t.Context()); err != nil { // nothing to write
		t.Fatal(err)
	}
	if got, want := stored(t, r, "t-acme", "2030-03-05", "2030-03-05"), map[string]uint64{"2030-03-05": 3}; !cmp.Equal(got, want) {
		t.Errorf("store after the second flush: got %v, want %v", got, want)
	}
	if _, err := r.MessagesPerDay(t.Context(), "t-acme", "March", "2030-03-05"); err == nil {
		t.Error("MessagesPerDay accepted a bad date")
	}
}

// failingDB fails every Update while fail is set.
type failingDB struct {
	store.DB
	mu   sync.Mutex
	fail bool
}

func (d *failingDB) Update(ctx context.Context, fn func(store.Tx) error) error {
	d.mu.Lock()
	fail := d.fail
	d.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return d.DB.Update(ctx, fn)
}

// TestFlushStatsKeepsCountsOnFailure: counts a flush could not write are
// written by the next one.
func TestFlushStatsKeepsCountsOnFailure(t *testing.T) {
	day := time.Date(2030, time.March, 4, 12, 0, 0, 0, time.UTC)
	alice, bob := tenantPeer(t, "ALICE001", "t-acme"), tenantPeer(t, "BOB00002", "t-acme")
	r, _ := newRelay(t, Config{Now: func() time.Time { return day }})
	sendN(t, r, alice, bob, 2)
	fdb := &failingDB{DB: r.db, fail: true}
	r.db = fdb
	if err := r.FlushStats(t.Context()); err == nil {
		t.Fatal("flush succeeded on a failing store")
	}
	fdb.mu.Lock()
	fdb.fail = false
	fdb.mu.Unlock()
	sendN(t, r, alice, bob, 1)
	if err := r.FlushStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(t, r, "t-acme", "2030-03-04", "2030-03-04"), map[string]uint64{"2030-03-04": 3}; !cmp.Equal(got, want) {
		t.Errorf("store: got %v, want %v", got, want)
	}
}

// TestRunStats: RunStats writes the counts every interval and once more
// when it stops.
func TestRunStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		day := time.Date(2030, time.March, 4, 12, 0, 0, 0, time.UTC)
		alice, bob := tenantPeer(t, "ALICE001", "t-acme"), tenantPeer(t, "BOB00002", "t-acme")
		r, _ := newRelay(t, Config{Now: func() time.Time { return day }})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.RunStats(ctx, 10*time.Second)
		}()
		count := func() uint64 { return stored(t, r, "t-acme", "2030-03-04", "2030-03-04")["2030-03-04"] }

		sendN(t, r, alice, bob, 2)
		time.Sleep(9 * time.Second) // fake time: just before the first tick
		synctest.Wait()
		if got := count(); got != 0 {
			t.Fatalf("stored before the interval: got %d, want 0", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := count(), uint64(2); got != want {
			t.Fatalf("stored after one interval: got %d, want %d", got, want)
		}
		sendN(t, r, alice, bob, 1)
		cancel()
		<-done
		if got, want := count(), uint64(3); got != want {
			t.Fatalf("stored after stopping: got %d, want %d", got, want)
		}
	})
}
