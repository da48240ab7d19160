package directory_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// policyEnv is a directory with a policy bus, and policies set the way the
// admin service sets them: written in a transaction, published after it.
type policyEnv struct {
	*env
	bus *policy.Bus
}

// newPolicyEnv returns a directory that caches policies (withBus) or reads
// them for every check.
func newPolicyEnv(t testing.TB, withBus bool) *policyEnv {
	t.Helper()
	var bus *policy.Bus
	if withBus {
		bus = policy.NewBus()
	}
	return &policyEnv{env: newEnv(t, func(c *directory.Config) { c.Policies = bus }), bus: bus}
}

// set sets a policy value; a zero user sets the tenant's global value.
func (e *policyEnv) set(t testing.TB, tenantID string, user crypto.ID, key, value string) {
	t.Helper()
	e.update(t, func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, tenantID, user, key, value)
		return err
	})
	e.bus.Publish(tenantID, user)
}

func (e *policyEnv) unset(t testing.TB, tenantID string, user crypto.ID, key string) {
	t.Helper()
	e.update(t, func(tx store.Tx) error {
		_, err := policy.UnsetTx(tx, tenantID, user, key)
		return err
	})
	e.bus.Publish(tenantID, user)
}

var global crypto.ID // the zero ID: a tenant's global value

// forBothCaches runs a test with the policy cache (a bus) and without.
func forBothCaches(t *testing.T, test func(t *testing.T, e *policyEnv)) {
	for _, withBus := range []bool{true, false} {
		name := "cached"
		if !withBus {
			name = "uncached"
		}
		t.Run(name, func(t *testing.T) { test(t, newPolicyEnv(t, withBus)) })
	}
}

// notFoundText is the error for an ID that does not exist, with the ID
// replaced, to compare with the answer for a hidden user.
func notFoundText(t *testing.T, err error, id crypto.ID) string {
	t.Helper()
	if !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("error = %v, want ErrUserNotFound", err)
	}
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), id.String(), "<id>")
}

func TestReachableCrossTenant(t *testing.T) {
	forBothCaches(t, func(t *testing.T, e *policyEnv) {
		ctx := t.Context()
		acme, globex, initech := e.tenant(t, "acme"), e.tenant(t, "globex"), e.tenant(t, "initech")
		ada := e.activeUser(t, acme.ID, "Ada", "SHA256:ada")
		gus := e.activeUser(t, globex.ID, "Gus", "SHA256:gus")
		ivo := e.activeUser(t, initech.ID, "Ivo", "SHA256:ivo")
		nobody, err := crypto.ParseID("ZZZZ9999")
		if err != nil {
			t.Fatal(err)
		}
		unknown := notFoundText(t, e.dir.Reachable(ctx, ada.ID, nobody), nobody)

		// hidden checks that from cannot reach or see to, exactly like an
		// ID that does not exist.
		hidden := func(step string, from, to store.User) {
			t.Helper()
			if got := notFoundText(t, e.dir.Reachable(ctx, from.ID, to.ID), to.ID); got != unknown {
				t.Errorf("%s: Reachable(%s, %s) error %q, want the unknown ID's %q", step, from.Name, to.Name, got, unknown)
			}
			c, err := e.dir.Contact(ctx, from.ID, to.ID)
			if got := notFoundText(t, err, to.ID); got != unknown || c != (directory.Contact{}) {
				t.Errorf("%s: Contact(%s, %s) = %+v, %q; want nothing and the unknown ID's error", step, from.Name, to.Name, c, got)
			}
		}
		reach := func(step string, from, to store.User) {
			t.Helper()
			if err := e.dir.Reachable(ctx, from.ID, to.ID); err != nil {
				t.Errorf("%s: Reachable(%s, %s) = %v, want nil", step, from.Name, to.Name, err)
			}
			if c, err := e.dir.Contact(ctx, from.ID, to.ID); err != nil || c.ID != to.ID || c.PublicKey != to.PublicKey {
				t.Errorf("%s: Contact(%s, %s) = %+v, %v; want %s with its key", step, from.Name, to.Name, c, err, to.Name)
			}
		}

		hidden("by default", ada, gus)
		hidden("by default", gus, ada)

		e.set(t, acme.ID, global, policy.CrossTenant, "globex")
		hidden("only acme lists globex", ada, gus)
		hidden("only acme lists globex", gus, ada)

		e.set(t, globex.ID, global, policy.CrossTenant, "acme,initech")
		reach("both list each other", ada, gus)
		reach("both list each other", gus, ada)
		hidden("initech lists nobody", gus, ivo)
		hidden("acme does not list initech", ivo, ada)

		e.unset(t, acme.ID, global, policy.CrossTenant)
		hidden("acme withdrew", ada, gus)
		hidden("acme withdrew", gus, ada)
	})
}

// crossPair is two tenants that list each other, with a user in each and
// a second user in the recipient's tenant.
type crossPair struct {
	acme, globex   store.Tenant
	ada, gus, gina store.User
}

func newCrossPair(t *testing.T, e *policyEnv) crossPair {
	t.Helper()
	p := crossPair{acme: e.tenant(t, "acme"), globex: e.tenant(t, "globex")}
	p.ada = e.activeUser(t, p.acme.ID, "Ada", "SHA256:ada")
	p.gus = e.activeUser(t, p.globex.ID, "Gus", "SHA256:gus")
	p.gina = e.activeUser(t, p.globex.ID, "Gina", "SHA256:gina")
	e.set(t, p.acme.ID, global, policy.CrossTenant, "globex")
	e.set(t, p.globex.ID, global, policy.CrossTenant, "acme")
	return p
}

func TestReachableBlockUnknown(t *testing.T) {
	forBothCaches(t, func(t *testing.T, e *policyEnv) {
		ctx := t.Context()
		p := newCrossPair(t, e)
		e.set(t, p.globex.ID, global, policy.BlockUnknown, "true")

		err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID)
		if !errors.Is(err, directory.ErrOrganisationOnly) {
			t.Fatalf("Reachable(ada, gus in a closed user group) = %v, want ErrOrganisationOnly", err)
		}
		if want := "accepts messages from its organisation only"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		for _, leak := range []string{"globex", p.globex.ID, "th_block_unknown"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error %q tells the outside sender %q", err, leak)
			}
		}
		if err := e.dir.Reachable(ctx, p.gina.ID, p.gus.ID); err != nil {
			t.Errorf("Reachable(gina, gus) in the same tenant = %v, want nil", err)
		}
		if err := e.dir.Reachable(ctx, p.gus.ID, p.ada.ID); err != nil {
			t.Errorf("Reachable(gus, ada): the closed group may write out, got %v", err)
		}
		// The contact stays visible: only delivery is refused.
		if _, err := e.dir.Contact(ctx, p.ada.ID, p.gus.ID); err != nil {
			t.Errorf("Contact(ada, gus) = %v, want visible", err)
		}

		// An individual value wins over the global one, both ways.
		e.set(t, p.globex.ID, p.gus.ID, policy.BlockUnknown, "false")
		if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); err != nil {
			t.Errorf("Reachable(ada, gus) with gus's own false = %v, want nil", err)
		}
		if err := e.dir.Reachable(ctx, p.ada.ID, p.gina.ID); !errors.Is(err, directory.ErrOrganisationOnly) {
			t.Errorf("Reachable(ada, gina) under the global true = %v, want ErrOrganisationOnly", err)
		}
		e.unset(t, p.globex.ID, global, policy.BlockUnknown)
		e.set(t, p.globex.ID, p.gina.ID, policy.BlockUnknown, "true")
		if err := e.dir.Reachable(ctx, p.ada.ID, p.gina.ID); !errors.Is(err, directory.ErrOrganisationOnly) {
			t.Errorf("Reachable(ada, gina) with gina's own true = %v, want ErrOrganisationOnly", err)
		}
		if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); err != nil {
			t.Errorf("Reachable(ada, gus) after the global value went = %v, want nil", err)
		}
	})
}

func TestReachableDisableAddContact(t *testing.T) {
	forBothCaches(t, func(t *testing.T, e *policyEnv) {
		ctx := t.Context()
		p := newCrossPair(t, e)
		bob := e.activeUser(t, p.acme.ID, "Bob", "SHA256:bob")
		e.set(t, p.acme.ID, p.ada.ID, policy.DisableAddContact, "true")

		err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID)
		var fe *policy.ForbiddenError
		if !errors.Is(err, policy.ErrForbiddenByPolicy) || !errors.As(err, &fe) || fe.Key != policy.DisableAddContact {
			t.Fatalf("Reachable(ada, outside gus) = %v, want a refusal by th_disable_add_contact", err)
		}
		if want := "of your organisation only"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		if err := e.dir.Reachable(ctx, p.ada.ID, bob.ID); err != nil {
			t.Errorf("Reachable(ada, bob) in her own tenant = %v, want nil", err)
		}
		if err := e.dir.Reachable(ctx, p.gus.ID, p.ada.ID); err != nil {
			t.Errorf("Reachable(gus, ada): the policy binds the sender only, got %v", err)
		}
		if err := e.dir.Reachable(ctx, bob.ID, p.gus.ID); err != nil {
			t.Errorf("Reachable(bob, gus): the policy is ada's only, got %v", err)
		}

		// Across tenants that do not list each other the answer stays
		// "not found": the policy tells nothing about other tenants.
		e.unset(t, p.globex.ID, global, policy.CrossTenant)
		if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("Reachable(ada, gus) without cross-tenant = %v, want ErrUserNotFound", err)
		}
	})
}

func TestReachableCrossTenantKeepsStatusRules(t *testing.T) {
	e := newPolicyEnv(t, true)
	ctx := t.Context()
	p := newCrossPair(t, e)
	if _, err := e.dir.RemoveUser(ctx, p.globex.ID, p.gina.ID, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.Reachable(ctx, p.ada.ID, p.gina.ID); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("Reachable(ada, revoked gina) = %v, want ErrRevoked", err)
	}
	if _, err := e.dir.RemoveUser(ctx, p.acme.ID, p.ada.ID, true, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); !errors.Is(err, directory.ErrNotActive) {
		t.Errorf("Reachable(detached ada, gus) = %v, want ErrNotActive", err)
	}
	if err := e.dir.Reachable(ctx, p.gus.ID, p.ada.ID); !errors.Is(err, directory.ErrNotActive) {
		t.Errorf("Reachable(gus, detached ada) = %v, want ErrNotActive", err)
	}
}

// TestReachablePolicyChangesUnderLoad checks that the cache never keeps a
// value a later change replaced, while checks run alongside the changes.
func TestReachablePolicyChangesUnderLoad(t *testing.T) {
	e := newPolicyEnv(t, true)
	ctx := t.Context()
	p := newCrossPair(t, e)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = e.dir.Reachable(ctx, p.ada.ID, p.gus.ID)
			}
		})
	}
	for i := range 50 {
		e.set(t, p.globex.ID, global, policy.BlockUnknown, []string{"true", "false"}[i%2])
	}
	close(stop)
	wg.Wait()
	// The last value set was false.
	if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); err != nil {
		t.Errorf("Reachable after the last change = %v, want nil", err)
	}
	e.set(t, p.globex.ID, global, policy.BlockUnknown, "true")
	if err := e.dir.Reachable(ctx, p.ada.ID, p.gus.ID); !errors.Is(err, directory.ErrOrganisationOnly) {
		t.Errorf("Reachable after block_unknown = %v, want ErrOrganisationOnly", err)
	}
}

func TestActivateProfilePresets(t *testing.T) {
	e := newPolicyEnv(t, true)
	ctx := t.Context()
	acme := e.tenant(t, "acme")
	alice, aliceCode, err := e.dir.CreateUser(ctx, directory.UserSpec{TenantID: acme.ID, FirstName: "Alice", LastName: "Smith",
		Nickname: "ali", Category: "Engineering"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bob, bobCode, err := e.dir.CreateUser(ctx, directory.UserSpec{TenantID: acme.ID, Name: "Bob", Category: "Support"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.set(t, acme.ID, global, policy.Category, "Sales")
	e.set(t, acme.ID, global, policy.FirstName, "Everyone")
	e.set(t, acme.ID, alice.ID, policy.FirstName, "Alicia") // individual over global
	e.set(t, acme.ID, alice.ID, policy.CSI, "EMP-0042")
	e.set(t, acme.ID, bob.ID, policy.LastName, "\u202Eevil") // passes the registry, not a name
	if got := e.stored(t, alice.ID); got.FirstName != "Alice" || got.CSI != "" {
		t.Fatalf("presets applied before activation: %+v", got)
	}

	ignore := cmpopts.IgnoreFields(store.User{}, "PublicKey", "SealedKey", "ActivatedAt", "Status", "CreatedAt", "ActivationHash")
	got := e.activate(t, aliceCode.Code, "SHA256:alice")
	want := store.User{ID: alice.ID, TenantID: acme.ID, Name: "Alicia Smith", FirstName: "Alicia", LastName: "Smith",
		Nickname: "ali", Category: "Sales", CSI: "EMP-0042"}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("Activate(alice) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.stored(t, alice.ID), ignore); diff != "" {
		t.Errorf("stored alice (-want +got):\n%s", diff)
	}

	got = e.activate(t, bobCode.Code, "SHA256:bob")
	want = store.User{ID: bob.ID, TenantID: acme.ID, Name: "Everyone", FirstName: "Everyone", Category: "Sales"}
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("Activate(bob), invalid last name preset skipped (-want +got):\n%s", diff)
	}

	// Presets apply at enrolment only: a later change leaves the profile.
	e.set(t, acme.ID, global, policy.Category, "Marketing")
	if u, err := e.dir.User(ctx, alice.ID); err != nil || u.Category != "Sales" {
		t.Errorf("User(alice) = %+v, %v; want the category of enrolment", u, err)
	}
}

func TestEditOwnProfile(t *testing.T) {
	e := newPolicyEnv(t, true)
	ctx := t.Context()
	acme := e.tenant(t, "acme")
	ada := e.activeUser(t, acme.ID, "Ada", "SHA256:ada")
	carol, _ := e.user(t, acme.ID, "Carol", "")
	nick := func(s string) *string { return &s }

	u, err := e.dir.EditOwnProfile(ctx, ada.ID, nick("  Countess  "))
	if err != nil || u.Nickname != "Countess" {
		t.Fatalf("EditOwnProfile(ada, Countess) = %+v, %v; want nickname Countess", u, err)
	}
	if got, _ := e.dir.User(ctx, ada.ID); got.Nickname != "Countess" {
		t.Errorf("User(ada).Nickname = %q after the edit, want Countess", got.Nickname)
	}
	if u, err := e.dir.EditOwnProfile(ctx, ada.ID, nil); err != nil || u.Nickname != "Countess" {
		t.Errorf("EditOwnProfile(ada, nil) = %+v, %v; want unchanged", u, err)
	}

	for _, tt := range []struct {
		name string
		id   crypto.ID
		nick *string
		want error
	}{
		{"control characters", ada.ID, nick("bad\x1b[31m"), directory.ErrInvalid},
		{"too long", ada.ID, nick(strings.Repeat("x", directory.MaxNameLen+1)), directory.ErrInvalid},
		{"pending user", carol.ID, nick("Caro"), directory.ErrNotActive},
		{"unknown user", crypto.ID{1}, nick("Who"), directory.ErrUserNotFound},
	} {
		if _, err := e.dir.EditOwnProfile(ctx, tt.id, tt.nick); !errors.Is(err, tt.want) {
			t.Errorf("%s: EditOwnProfile = %v, want %v", tt.name, err, tt.want)
		}
	}

	e.set(t, acme.ID, global, policy.ReadonlyProfile, "true")
	_, err = e.dir.EditOwnProfile(ctx, ada.ID, nick("Lady"))
	if !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("EditOwnProfile under th_readonly_profile = %v, want ErrForbiddenByPolicy", err)
	}
	if want := "your organisation manages your profile"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if got := e.stored(t, ada.ID); got.Nickname != "Countess" {
		t.Errorf("nickname after the refusal = %q, want Countess unchanged", got.Nickname)
	}
	// An individual false frees one user again.
	e.set(t, acme.ID, ada.ID, policy.ReadonlyProfile, "false")
	if u, err := e.dir.EditOwnProfile(ctx, ada.ID, nick("")); err != nil || u.Nickname != "" {
		t.Errorf("EditOwnProfile(ada, \"\") with her own false = %+v, %v; want the nickname cleared", u, err)
	}
}
