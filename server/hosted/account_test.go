package hosted

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// setPolicy sets a value as an admin would (user zero: the tenant's) and
// announces it on the bus.
func (w *world) setPolicy(user crypto.ID, key, value string) {
	w.t.Helper()
	err := w.db.Update(bg, func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, w.ten.ID, user, key, value)
		return err
	})
	if err != nil {
		w.t.Fatalf("set %s=%q: %v", key, value, err)
	}
	w.d.Policies.Publish(w.ten.ID, user)
}

// audits lists the audit entries of an action.
func (w *world) audits(action string) []store.AuditEntry {
	w.t.Helper()
	var out []store.AuditEntry
	err := w.db.View(bg, func(tx store.Tx) error {
		var err error
		out, err = audit.List(tx, audit.Filter{Action: action, Limit: audit.NoLimit})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// ownQuiet reads the user's own parley_quiet_hours, "" if unset.
func (w *world) ownQuiet(user crypto.ID) string {
	w.t.Helper()
	var v policy.Values
	err := w.db.View(bg, func(tx store.Tx) error {
		var err error
		v, err = policy.EffectiveTx(tx, w.ten.ID, user)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if q := v[policy.QuietHours]; q.Source == policy.SourceIndividual {
		return q.Raw
	}
	return ""
}

func (s *session) settings() core.Restrictions {
	s.t.Helper()
	r, err := s.Settings(bg)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

func TestSettingsFollowPolicies(t *testing.T) {
	w := newWorld(t, 0)
	alice := w.user("Alice")
	a := w.session(alice, "a1")
	r := a.settings()
	if r.ReadonlyProfile || r.Quiet || r.Reason(core.FeatureEditProfile) != "" {
		t.Errorf("defaults: %+v, want no read-only profile and no quiet hours", r)
	}
	// Users may not set their own quiet hours by default.
	if r.UserQuietHours || r.Reason(core.FeatureOwnQuietHours) == "" {
		t.Errorf("defaults: own quiet hours allowed = %v, reason %q", r.UserQuietHours, r.Reason(core.FeatureOwnQuietHours))
	}
	if err := a.SetNickname(bg, "Ally"); err != nil {
		t.Fatalf("nickname under the defaults: %v", err)
	}

	w.setPolicy(crypto.ID{}, policy.ReadonlyProfile, "true")
	w.setPolicy(crypto.ID{}, policy.DisableCreateGroup, "true")
	w.setPolicy(crypto.ID{}, policy.UserQuietHours, "true")
	r = a.settings()
	if !r.ReadonlyProfile || r.Reason(core.FeatureEditProfile) == "" || r.Reason(core.FeatureCreateGroup) == "" {
		t.Errorf("after the policies: %+v, want profile and groups forbidden", r)
	}
	if !r.UserQuietHours || r.Reason(core.FeatureOwnQuietHours) != "" {
		t.Errorf("after parley_user_quiet_hours: %+v, want own quiet hours allowed", r)
	}
	// The service refuses on its own, whatever the UI shows.
	err := a.SetNickname(bg, "Al")
	if !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("nickname under th_readonly_profile: %v, want it forbidden", err)
	}
	if got, want := err.Error(), r.Reason(core.FeatureEditProfile); got != want {
		t.Errorf("refusal = %q, want the reason the UI shows, %q", got, want)
	}
	u, _, err := w.dirSvc.Resolve(bg, "SHA256:Alice")
	if err != nil || u.Nickname != "Ally" {
		t.Errorf("nickname after the refusal = %q (%v), want Ally", u.Nickname, err)
	}
	// An individual value wins over the tenant's.
	w.setPolicy(alice.ID, policy.ReadonlyProfile, "false")
	if r := a.settings(); r.ReadonlyProfile || r.Reason(core.FeatureEditProfile) != "" {
		t.Errorf("after the individual value: %+v, want the profile editable", r)
	}
}

func TestSettingsChangesAreAnnounced(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a, b := w.session(alice, "a1"), w.session(bob, "b1")
	a.sync(false)
	b.sync(false)
	other, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "globex", Seats: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The tenant's change reaches both; the Sync after it says so.
	w.setPolicy(crypto.ID{}, policy.ReadonlyProfile, "true")
	if ch := a.sync(true); !ch.Settings {
		t.Error("Alice's sync after a tenant change: Settings = false")
	}
	if ch := b.sync(true); !ch.Settings {
		t.Error("Bob's sync after a tenant change: Settings = false")
	}
	if ch := a.sync(false); ch.Settings {
		t.Error("a second sync reports the change again")
	}
	// Bob's own change, and another tenant's, do not concern Alice.
	w.setPolicy(bob.ID, policy.ReadonlyProfile, "false")
	w.d.Policies.Publish(other.ID, crypto.ID{})
	if ch := b.sync(true); !ch.Settings {
		t.Error("Bob's sync after his own change: Settings = false")
	}
	select {
	case <-a.woken:
		t.Error("Alice was notified of Bob's and another tenant's changes")
	default:
	}
	// A closed session hears nothing.
	a.Close()
	w.setPolicy(crypto.ID{}, policy.ReadonlyProfile, "false")
	select {
	case <-a.woken:
		t.Error("a closed session was notified")
	default:
	}
}

func TestSettingsQuietHours(t *testing.T) {
	w := newWorld(t, 0)
	alice := w.user("Alice")
	a := w.session(alice, "a1")
	// Wednesday 20:00 UTC: quiet until Thursday 08:00.
	w.setPolicy(crypto.ID{}, policy.QuietHours, "UTC Mon-Fri 18:00-08:00")
	r := a.settings()
	thu8 := time.Date(2025, 3, 13, 8, 0, 0, 0, time.UTC)
	if !r.Quiet || !r.QuietUntil.Equal(thu8) || !r.NextChange.Equal(thu8) || r.QuietOwn || r.QuietSchedule == "" {
		t.Errorf("at Wednesday 20:00: %+v, want quiet until Thursday 08:00 by the tenant's schedule", r)
	}
	w.now = thu8
	r = a.settings()
	if thu18 := time.Date(2025, 3, 13, 18, 0, 0, 0, time.UTC); r.Quiet || !r.NextChange.Equal(thu18) {
		t.Errorf("at Thursday 08:00: %+v, want not quiet, next change 18:00", r)
	}
	// All day, every day: quiet without an end.
	w.setPolicy(crypto.ID{}, policy.QuietHours, "UTC Mon-Sun all-day")
	if r := a.settings(); !r.Quiet || !r.QuietUntil.IsZero() || !r.NextChange.IsZero() {
		t.Errorf("all day: %+v, want quiet with no end and no change", r)
	}
}

func TestOwnQuietHours(t *testing.T) {
	w := newWorld(t, 0)
	alice := w.user("Alice")
	a := w.session(alice, "a1")

	// Refused by default: nothing changes, nothing is recorded.
	err := a.SetQuietHours(bg, "Europe/Zurich", "Mon-Fri 18:00-08:00")
	if !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("own quiet hours by default: %v, want forbidden", err)
	}
	if err := a.ClearQuietHours(bg); !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("removing own quiet hours by default: %v, want forbidden", err)
	}
	if got := w.ownQuiet(alice.ID); got != "" {
		t.Errorf("own quiet hours after the refusal: %q", got)
	}
	if n := len(w.audits("policy.")); n != 0 {
		t.Errorf("%d audit entries after refusals, want none", n)
	}

	w.setPolicy(crypto.ID{}, policy.UserQuietHours, "true")
	a.sync(true) // the tenant's change
	if err := a.SetQuietHours(bg, "Mars/Olympus", "Mon 18:00-20:00"); err == nil {
		t.Error("an unknown zone was accepted")
	}
	if err := a.SetQuietHours(bg, "UTC", "Mon 25:00-26:00"); err == nil {
		t.Error("a malformed range was accepted")
	}
	if got := w.ownQuiet(alice.ID); got != "" {
		t.Errorf("own quiet hours after bad input: %q", got)
	}
	if err := a.SetQuietHours(bg, "UTC", "Mon-Fri 18:00-08:00"); err != nil {
		t.Fatal(err)
	}
	if ch := a.sync(true); !ch.Settings {
		t.Error("setting own quiet hours was not announced")
	}
	if got := w.ownQuiet(alice.ID); got == "" {
		t.Error("own quiet hours not stored")
	}
	if r := a.settings(); !r.Quiet || !r.QuietOwn {
		t.Errorf("after /quiet: %+v, want quiet by the user's own schedule", r)
	}
	got := w.audits(ActionSetSelf)
	if len(got) != 1 {
		t.Fatalf("%d %s entries, want 1", len(got), ActionSetSelf)
	}
	e := got[0]
	if diff := cmp.Diff([]string{"SHA256:Alice", w.ten.ID, alice.ID.String() + " " + policy.QuietHours},
		[]string{e.Actor, e.TenantID, e.Target}); diff != "" {
		t.Errorf("audit entry (-want +got):\n%s", diff)
	}
	// The same again changes nothing and records nothing.
	if err := a.SetQuietHours(bg, "UTC", "Mon-Fri 18:00-08:00"); err != nil {
		t.Fatal(err)
	}
	if n := len(w.audits(ActionSetSelf)); n != 1 {
		t.Errorf("%d %s entries after setting the same again, want 1", n, ActionSetSelf)
	}

	if err := a.ClearQuietHours(bg); err != nil {
		t.Fatal(err)
	}
	if got := w.ownQuiet(alice.ID); got != "" {
		t.Errorf("own quiet hours after /quiet off: %q", got)
	}
	if n := len(w.audits(ActionUnsetSelf)); n != 1 {
		t.Errorf("%d %s entries, want 1", n, ActionUnsetSelf)
	}
	if err := a.ClearQuietHours(bg); !errors.Is(err, ErrNoOwnQuietHours) {
		t.Errorf("removing again: %v, want ErrNoOwnQuietHours", err)
	}
	if n := len(w.audits("policy.")); n != 2 {
		t.Errorf("%d audit entries in all, want 2", n)
	}
}

// TestOwnQuietHoursActsForTheSessionUser: the settings a session changes
// are its own user's, whatever the context says.
func TestOwnQuietHoursActsForTheSessionUser(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	w.setPolicy(crypto.ID{}, policy.UserQuietHours, "true")
	a := w.session(alice, "a1")
	ctx := auth.With(bg, &auth.Principal{KeyFingerprint: "SHA256:Bob", User: bob})
	if err := a.SetQuietHours(ctx, "UTC", "Sat all-day"); err != nil {
		t.Fatal(err)
	}
	if w.ownQuiet(alice.ID) == "" || w.ownQuiet(bob.ID) != "" {
		t.Errorf("own quiet hours: Alice %q, Bob %q; want Alice's set", w.ownQuiet(alice.ID), w.ownQuiet(bob.ID))
	}
}
