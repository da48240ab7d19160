package hosted

import (
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

func (w *world) setPolicyIn(tenant string, user crypto.ID, key, value string) {
	w.t.Helper()
	err := w.db.Update(bg, func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, tenant, user, key, value)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func presenceOf(t *testing.T, s *session, id crypto.ID) core.PresenceState {
	t.Helper()
	p, err := s.Presence(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.State
}

// TestPresence: a contact of the same tenant shows online while they have
// a live session, away without one, quiet in their quiet hours; it is
// withheld across tenants, under parley_presence false (theirs or the
// viewer's) and when they turned it off themselves.
func TestPresence(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob, carol := w.user("Alice"), w.user("Bob"), w.user("Carol")
	a := w.session(alice, "a1")
	if got := presenceOf(t, a, bob.ID); got != core.PresenceAway {
		t.Errorf("Bob without a session: %q, want away", got)
	}
	b := w.session(bob, "b1")
	if got := presenceOf(t, a, bob.ID); got != core.PresenceOnline {
		t.Errorf("Bob connected: %q, want online", got)
	}

	// Bob turns his own off: the server withholds it.
	p, err := b.Prefs(bg)
	if err != nil {
		t.Fatal(err)
	}
	p.ShowPresence = false
	if err := b.SetPrefs(bg, p); err != nil {
		t.Fatal(err)
	}
	if got := presenceOf(t, a, bob.ID); got != core.PresenceUnknown {
		t.Errorf("Bob's presence off: %q, want withheld", got)
	}
	p.ShowPresence = true
	if err := b.SetPrefs(bg, p); err != nil {
		t.Fatal(err)
	}
	if got := presenceOf(t, a, bob.ID); got != core.PresenceOnline {
		t.Errorf("Bob's presence on again: %q, want online", got)
	}

	// Quiet hours all day long.
	w.setPolicyIn(w.ten.ID, bob.ID, policy.QuietHours, "UTC Mon-Sun all-day")
	if got := presenceOf(t, a, bob.ID); got != core.PresenceQuiet {
		t.Errorf("Bob in quiet hours: %q, want quiet", got)
	}

	// The policy forbids it for Carol: nobody sees hers, she sees nobody's.
	w.setPolicyIn(w.ten.ID, carol.ID, policy.Presence, "false")
	c := w.session(carol, "c1")
	if got := presenceOf(t, a, carol.ID); got != core.PresenceUnknown {
		t.Errorf("Carol's policy false: %q, want withheld", got)
	}
	if got := presenceOf(t, c, alice.ID); got != core.PresenceUnknown {
		t.Errorf("Carol, policy false, sees Alice: %q, want withheld", got)
	}

	// Another tenant sees nothing, even where it may write.
	other, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "globex", Seats: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.setPolicyIn(other.ID, crypto.ID{}, policy.CrossTenant, "acme")
	w.setPolicyIn(w.ten.ID, crypto.ID{}, policy.CrossTenant, "globex")
	ten := w.ten
	w.ten = other
	dave := w.user("Dave")
	w.ten = ten
	d := w.session(dave, "d1")
	if got := presenceOf(t, d, alice.ID); got != core.PresenceUnknown {
		t.Errorf("across tenants: %q, want withheld", got)
	}
}
