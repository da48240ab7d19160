package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// fixture is a store with tenants acme and globex, Ada and Bob in acme and
// Gus in globex.
type fixture struct {
	db            *store.Bolt
	ada, bob, gus crypto.ID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f := &fixture{db: db, ada: mustID(t, "ADA00001"), bob: mustID(t, "BOB00002"), gus: mustID(t, "GUS00003")}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		for _, tn := range []store.Tenant{{ID: "t-acme", Name: "acme"}, {ID: "t-globex", Name: "globex"}, {ID: "t-initech", Name: "initech"}} {
			if err := tx.PutTenant(tn); err != nil {
				return err
			}
		}
		for _, u := range []store.User{{ID: f.ada, TenantID: "t-acme", Name: "Ada"}, {ID: f.bob, TenantID: "t-acme", Name: "Bob"},
			{ID: f.gus, TenantID: "t-globex", Name: "Gus"}} {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustID(t *testing.T, s string) crypto.ID {
	t.Helper()
	id, err := crypto.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) set(t *testing.T, tenant string, user crypto.ID, key, value string) (policy.Value, policy.Value, error) {
	t.Helper()
	var before, after policy.Value
	err := f.db.Update(t.Context(), func(tx store.Tx) error {
		var err error
		before, after, err = policy.SetTx(tx, tenant, user, key, value)
		return err
	})
	return before, after, err
}

func (f *fixture) effective(t *testing.T, tenant string, user crypto.ID) policy.Values {
	t.Helper()
	var v policy.Values
	err := f.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		v, err = policy.EffectiveTx(tx, tenant, user)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestResolution: individual wins over global wins over default, per user
// and per tenant.
func TestResolution(t *testing.T) {
	f := newFixture(t)
	none := crypto.ID{}
	v := f.effective(t, "t-acme", f.ada)
	if len(v) != len(policy.Registry()) {
		t.Fatalf("EffectiveTx returned %d keys, want every key (%d)", len(v), len(policy.Registry()))
	}
	if got := v[policy.DisableCreateGroup]; got.Raw != "false" || got.Source != policy.SourceDefault {
		t.Errorf("untouched key = %+v, want the default", got)
	}
	before, after, err := f.set(t, "t-acme", none, policy.DisableCreateGroup, "yes")
	if err != nil {
		t.Fatal(err)
	}
	if before != (policy.Value{Key: policy.DisableCreateGroup, Raw: "false", Source: policy.SourceDefault}) ||
		after != (policy.Value{Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal}) {
		t.Errorf("SetTx global: before %+v, after %+v", before, after)
	}
	if _, _, err := f.set(t, "t-acme", f.ada, policy.DisableCreateGroup, "false"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tenant string
		user   crypto.ID
		want   policy.Value
	}{
		{"t-acme", none, policy.Value{Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal}},
		{"t-acme", f.ada, policy.Value{Key: policy.DisableCreateGroup, Raw: "false", Source: policy.SourceIndividual}},
		{"t-acme", f.bob, policy.Value{Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal}},
		{"t-globex", f.gus, policy.Value{Key: policy.DisableCreateGroup, Raw: "false", Source: policy.SourceDefault}},
	} {
		if got := f.effective(t, c.tenant, c.user)[policy.DisableCreateGroup]; got != c.want {
			t.Errorf("effective(%s, %s) = %+v, want %+v", c.tenant, c.user, got, c.want)
		}
	}
	// Unset the individual value: the global one applies again.
	var unsetBefore policy.Value
	err = f.db.Update(t.Context(), func(tx store.Tx) error {
		var err error
		unsetBefore, err = policy.UnsetTx(tx, "t-acme", f.ada, policy.DisableCreateGroup)
		return err
	})
	if err != nil || unsetBefore.Source != policy.SourceIndividual {
		t.Fatalf("UnsetTx: %+v, %v", unsetBefore, err)
	}
	if got := f.effective(t, "t-acme", f.ada)[policy.DisableCreateGroup]; got.Source != policy.SourceGlobal || got.Raw != "true" {
		t.Errorf("after unset: %+v, want the global true", got)
	}
	// Unsetting again changes nothing and says so by the source.
	err = f.db.Update(t.Context(), func(tx store.Tx) error {
		var err error
		unsetBefore, err = policy.UnsetTx(tx, "t-acme", f.ada, policy.DisableCreateGroup)
		return err
	})
	if err != nil || unsetBefore.Source != policy.SourceGlobal {
		t.Errorf("second UnsetTx: %+v, %v; want the global value as before", unsetBefore, err)
	}
	// The same value set again at the same level is no change.
	b, a, err := f.set(t, "t-acme", none, policy.DisableCreateGroup, "true")
	if err != nil || policy.Changed(b, a) {
		t.Errorf("setting the same value again: %+v → %+v (%v), want no change", b, a, err)
	}
}

// TestSetRefusals: bad input is refused with a clear error and changes
// nothing.
func TestSetRefusals(t *testing.T) {
	f := newFixture(t)
	none := crypto.ID{}
	for _, c := range []struct {
		name   string
		tenant string
		user   crypto.ID
		key    string
		value  string
		target error
		msg    string
	}{
		{"unknown key", "t-acme", none, "th_no_such", "true", policy.ErrInvalid, `unknown policy key "th_no_such"`},
		{"wrong type", "t-acme", none, policy.BlockUnknown, "maybe", policy.ErrInvalid, "th_block_unknown takes a bool: true or false"},
		{"not per user", "t-acme", f.ada, policy.RetentionDays, "7", policy.ErrInvalid, "applies to the whole tenant"},
		{"cross tenant per user", "t-acme", f.ada, policy.CrossTenant, "globex", policy.ErrInvalid, "applies to the whole tenant"},
		{"user of another tenant", "t-acme", f.gus, policy.BlockUnknown, "true", policy.ErrUnknownUser, "no such user"},
		{"unknown user", "t-acme", mustID(t, "NOBODY99"), policy.BlockUnknown, "true", policy.ErrUnknownUser, "no such user"},
		{"unknown tenant listed", "t-acme", none, policy.CrossTenant, "globex,umbrella", policy.ErrInvalid, `no tenant is named "umbrella"`},
		{"tenant lists itself", "t-acme", none, policy.CrossTenant, "acme", policy.ErrInvalid, "cannot list itself"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := f.set(t, c.tenant, c.user, c.key, c.value)
			if !errors.Is(err, c.target) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("SetTx: %v, want %v with %q", err, c.target, c.msg)
			}
			err = f.db.View(t.Context(), func(tx store.Tx) error {
				for _, u := range []crypto.ID{none, f.ada, f.gus} {
					for _, tn := range []string{"t-acme", "t-globex"} {
						if got, _ := tx.PolicyValues(tn, u); len(got) != 0 {
							t.Errorf("refused SetTx stored %v", got)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	err := f.db.Update(t.Context(), func(tx store.Tx) error {
		_, err := policy.UnsetTx(tx, "t-acme", f.ada, policy.RetentionDays)
		return err
	})
	if !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("UnsetTx of a tenant-wide key per user: %v, want ErrInvalid", err)
	}
	err = f.db.View(t.Context(), func(tx store.Tx) error {
		_, err := policy.EffectiveTx(tx, "t-acme", f.gus)
		return err
	})
	if !errors.Is(err, policy.ErrUnknownUser) {
		t.Errorf("EffectiveTx for another tenant's user: %v, want ErrUnknownUser", err)
	}
}

// TestCrossTenantCanonical: names are stored sorted and lower-case.
func TestCrossTenantCanonical(t *testing.T) {
	f := newFixture(t)
	_, after, err := f.set(t, "t-acme", crypto.ID{}, policy.CrossTenant, " Initech , GLOBEX")
	if err != nil {
		t.Fatal(err)
	}
	if after.Raw != "globex,initech" {
		t.Errorf("stored %q, want globex,initech", after.Raw)
	}
	if got := f.effective(t, "t-acme", crypto.ID{}).List(policy.CrossTenant); len(got) != 2 {
		t.Errorf("List = %q", got)
	}
}

// TestStoredValueNoLongerValid: a stored value the registry refuses (a key
// whose type changed) reads as unset.
func TestStoredValueNoLongerValid(t *testing.T) {
	f := newFixture(t)
	err := f.db.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutPolicyValue("t-acme", crypto.ID{}, policy.RetentionDays, "forever"); err != nil {
			return err
		}
		return tx.PutPolicyValue("t-acme", crypto.ID{}, "th_retired_key", "true")
	})
	if err != nil {
		t.Fatal(err)
	}
	v := f.effective(t, "t-acme", crypto.ID{})
	if got := v[policy.RetentionDays]; got.Source != policy.SourceDefault || got.Raw != "30" {
		t.Errorf("invalid stored value read as %+v, want the default", got)
	}
	if _, ok := v["th_retired_key"]; ok {
		t.Error("a key not in the registry is in effect")
	}
}
