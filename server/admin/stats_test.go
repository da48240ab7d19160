package admin_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// addMessages writes message counts to the store as the relay's flush does.
func addMessages(t testing.TB, e *env, tenant store.Tenant, counts map[string]uint64) {
	t.Helper()
	err := e.db.Update(t.Context(), func(tx store.Tx) error {
		for day, n := range counts {
			if err := tx.AddMessages(tenant.ID, day, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStats counts a tenant's users by state, active users' devices and
// messages per day — of that tenant only — for the days asked for.
func TestStats(t *testing.T) {
	e := newEnv(t) // today is 2030-03-04
	e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada Active"}, "SHA256:ada-1", "SHA256:ada-2")
	e.activeUser(t, e.acme, directory.UserSpec{Name: "Bob Active"}, "SHA256:bob")
	e.user(t, e.acme, "Pat Pending")
	gone := e.activeUser(t, e.acme, directory.UserSpec{Name: "Lee Leaver"}, "SHA256:lee")
	if _, err := e.svc.DeleteUser(e.root, "acme", gone.ID, true, true); err != nil {
		t.Fatal(err)
	}
	revoked := e.user(t, e.acme, "Rae Revoked")
	if _, err := e.svc.RevokeUser(e.root, "acme", revoked.User.ID); err != nil {
		t.Fatal(err)
	}
	e.activeUser(t, e.globex, directory.UserSpec{Name: "Gil Globex"}, "SHA256:gil")
	e.user(t, e.globex, "Gia Globex")
	addMessages(t, e, e.acme, map[string]uint64{"2030-03-04": 7, "2030-03-02": 3, "2030-02-03": 1, "2030-02-02": 99, "2030-03-05": 50})
	addMessages(t, e, e.globex, map[string]uint64{"2030-03-04": 1000})
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")

	st, err := e.svc.Stats(owner, "acme", 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.ActiveUsers != 2 || st.PendingUsers != 1 || st.Devices != 3 {
		t.Errorf("got %d active, %d pending, %d devices; want 2, 1, 3", st.ActiveUsers, st.PendingUsers, st.Devices)
	}
	if len(st.Messages) != admin.DefaultStatsDays {
		t.Fatalf("%d days, want %d", len(st.Messages), admin.DefaultStatsDays)
	}
	if first, last := st.Messages[0], st.Messages[len(st.Messages)-1]; first != (admin.DayCount{Day: "2030-02-03", Messages: 1}) ||
		last != (admin.DayCount{Day: "2030-03-04", Messages: 7}) {
		t.Errorf("first and last day: %+v, %+v; want 2030-02-03: 1 and 2030-03-04: 7", first, last)
	}
	var total uint64
	for _, d := range st.Messages {
		total += d.Messages
	}
	if total != 11 {
		t.Errorf("messages in 30 days: got %d, want 11", total)
	}

	st, err = e.svc.Stats(owner, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.DayCount{{Day: "2030-03-02", Messages: 3}, {Day: "2030-03-03"}, {Day: "2030-03-04", Messages: 7}}
	if diff := cmp.Diff(want, st.Messages); diff != "" {
		t.Errorf("3 days (-want +got):\n%s", diff)
	}
	if st, err := e.svc.Stats(owner, "acme", admin.MaxStatsDays); err != nil || len(st.Messages) != admin.MaxStatsDays {
		t.Errorf("%d days: %d entries, %v", admin.MaxStatsDays, len(st.Messages), err)
	}
	for _, days := range []int{-1, admin.MaxStatsDays + 1} {
		if _, err := e.svc.Stats(owner, "acme", days); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("Stats(days %d): err = %v, want ErrInvalid", days, err)
		}
	}
	if st, err := e.svc.Stats(e.root, "globex", 1); err != nil || st.ActiveUsers != 1 || st.PendingUsers != 1 ||
		st.Messages[0].Messages != 1000 {
		t.Errorf("globex: %+v, %v", st, err)
	}
}

// fakeCounts is a MessageCounts that records what it was asked.
type fakeCounts struct {
	tenant, from, to string
	counts           map[string]uint64
	err              error
}

func (f *fakeCounts) MessagesPerDay(_ context.Context, tenantID, from, to string) (map[string]uint64, error) {
	f.tenant, f.from, f.to = tenantID, from, to
	return f.counts, f.err
}

// TestStatsAsksTheRelay: with a message counter, Stats takes the counts
// from it (the relay adds what it has not written yet).
func TestStatsAsksTheRelay(t *testing.T) {
	e := newEnv(t)
	addMessages(t, e, e.acme, map[string]uint64{"2030-03-04": 1})
	f := &fakeCounts{counts: map[string]uint64{"2030-03-04": 5, "2030-03-03": 2}}
	svc := admin.New(e.db, e.dir, admin.Config{Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler), Messages: f})
	st, err := svc.Stats(e.root, "acme", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.DayCount{{Day: "2030-03-03", Messages: 2}, {Day: "2030-03-04", Messages: 5}}
	if diff := cmp.Diff(want, st.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if f.tenant != e.acme.ID || f.from != "2030-03-03" || f.to != "2030-03-04" {
		t.Errorf("asked for %s %s..%s, want %s 2030-03-03..2030-03-04", f.tenant, f.from, f.to, e.acme.ID)
	}
	f.err = errors.New("relay down")
	if _, err := svc.Stats(e.root, "acme", 2); err == nil || !errors.Is(err, f.err) {
		t.Errorf("a failing counter: err = %v, want it wrapped", err)
	}
}
