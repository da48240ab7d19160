package hosted

import (
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// profiled creates and activates a user of tenant with a full profile.
func (w *world) profiled(tenant string, spec directory.UserSpec) *store.User {
	w.t.Helper()
	spec.TenantID = tenant
	u, code, err := w.dirSvc.CreateUser(bg, spec, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	fp := "SHA256:" + u.ID.String()
	if _, err := w.dirSvc.Activate(bg, directory.ActivateSpec{Code: code.Code, Fingerprint: fp,
		AuthorizedKey: "ssh-ed25519 AAAA " + u.ID.String(), Passphrase: []byte("passphrase")}); err != nil {
		w.t.Fatal(err)
	}
	got, _, err := w.dirSvc.Resolve(bg, fp)
	if err != nil || got == nil {
		w.t.Fatalf("resolve %s: %v", u.Name, err)
	}
	return got
}

// TestDirectoryThroughTheCore: a hosted core searches the directory and
// reads its own data-access answer through the adapter, as the session's
// user only.
func TestDirectoryThroughTheCore(t *testing.T) {
	w := newWorld(t, 64)
	anna := w.profiled(w.ten.ID, directory.UserSpec{FirstName: "Anna", LastName: "Müller", Email: "anna@acme.example",
		Tags: []string{"sales"}})
	bob := w.profiled(w.ten.ID, directory.UserSpec{Name: "Bob Builder", Nickname: "Bobby", Tags: []string{"support"}})
	other, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "globex", Seats: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gina := w.profiled(other.ID, directory.UserSpec{Name: "Gina Müller"})

	c, err := NewCore(w.d, &auth.Principal{KeyFingerprint: "SHA256:" + bob.ID.String(), User: bob, Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	// Find and Whoami need no unlocked key: they read the server's data.
	es, err := c.Find(bg, "*MUL*")
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	want := []core.DirectoryEntry{{ID: anna.ID, Name: "Anna Müller", Tags: []string{"sales"}, Internal: true}}
	if !slices.EqualFunc(es, want, entryEqual) {
		t.Errorf("Find(*MUL*) = %+v, want %+v (Gina of globex hidden)", es, want)
	}
	group := "holding"
	for _, tn := range []string{w.ten.ID, other.ID} {
		if _, err := w.dirSvc.EditTenant(bg, tn, directory.TenantChange{DirectoryGroup: &group}, nil); err != nil {
			t.Fatal(err)
		}
	}
	es, err = c.Find(bg, "*mül*")
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	want = append(want, core.DirectoryEntry{ID: gina.ID, Name: "Gina Müller", Organisation: "globex"})
	if !slices.EqualFunc(es, want, entryEqual) {
		t.Errorf("Find(*mül*) in a directory group = %+v, want %+v", es, want)
	}

	me, err := c.Whoami(bg)
	if err != nil {
		t.Fatalf("Whoami: %v", err)
	}
	if me.ID != bob.ID || me.Name != "Bob Builder" || me.Nickname != "Bobby" || !me.PublicKey.Equal(bob.PublicKey) ||
		me.Fingerprint != crypto.FingerprintOf(bob.PublicKey).String() || me.Organisation != "acme" || me.Status != "active" ||
		len(me.Devices) != 1 || me.Devices[0].Fingerprint != "SHA256:"+bob.ID.String() || len(me.EmailHashes) != 0 {
		t.Errorf("Whoami = %+v, want Bob's", me)
	}
	if i := slices.IndexFunc(me.Policies, func(p core.WhoamiPolicy) bool { return p.Key == policy.DisableWorkDirectory }); i < 0 ||
		me.Policies[i] != (core.WhoamiPolicy{Key: policy.DisableWorkDirectory, Value: "false", Source: "default"}) {
		t.Errorf("Whoami policies lack %s=false (default): %+v", policy.DisableWorkDirectory, me.Policies)
	}

	// The policy refuses the search with its reason; the core passes it on.
	w.setPolicy(bob.ID, policy.DisableWorkDirectory, "true")
	if _, err := c.Find(bg, "anna"); !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Errorf("Find under th_disable_work_directory = %v, want ErrForbiddenByPolicy", err)
	}
	if _, err := c.Find(bg, ""); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("Find(\"\") = %v, want ErrInvalid", err)
	}
}

func entryEqual(a, b core.DirectoryEntry) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Nickname == b.Nickname && a.Category == b.Category &&
		slices.Equal(a.Tags, b.Tags) && a.Internal == b.Internal && a.Organisation == b.Organisation
}

// TestContactInfo: the core's Contact says whether a contact is internal,
// their nickname, and that an administrator set their name.
func TestContactInfo(t *testing.T) {
	w := newWorld(t, 64)
	anna := w.profiled(w.ten.ID, directory.UserSpec{Name: "Anna Müller", Nickname: "Anni"})
	bob := w.profiled(w.ten.ID, directory.UserSpec{Name: "Bob Builder"})
	other, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "globex", Seats: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gina := w.profiled(other.ID, directory.UserSpec{Name: "Gina Globex", Nickname: "gigi"})
	w.setTenantPolicy(w.ten.ID, policy.CrossTenant, "globex")
	w.setTenantPolicy(other.ID, policy.CrossTenant, "acme")

	r := &relayClient{p: &auth.Principal{User: bob}, rel: w.d.Relay, dir: w.d.Directory}
	got, err := r.Contact(bg, anna.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (core.Contact{ID: anna.ID, Name: "Anna Müller", PublicKey: anna.PublicKey, Internal: true, Nickname: "Anni",
		NameSet: true, Presence: core.Presence{State: core.PresenceAway}}); got != want {
		t.Errorf("Contact(anna) = %+v, want %+v", got, want)
	}
	got, err = r.Contact(bg, gina.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (core.Contact{ID: gina.ID, Name: "Gina Globex", PublicKey: gina.PublicKey, Nickname: "gigi",
		NameSet: true}); got != want {
		t.Errorf("Contact(gina) = %+v, want %+v (not internal)", got, want)
	}
	// In one directory group, the other tenant's users count as internal
	// (the seeds' license-package group).
	group := "holding"
	for _, id := range []string{w.ten.ID, other.ID} {
		if _, err := w.dirSvc.EditTenant(bg, id, directory.TenantChange{DirectoryGroup: &group}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := r.Contact(bg, gina.ID); err != nil || !got.Internal {
		t.Errorf("Contact(gina) in one directory group = %+v, %v; want internal", got, err)
	}
}

// setTenantPolicy sets a tenant's global policy value.
func (w *world) setTenantPolicy(tenant, key, value string) {
	w.t.Helper()
	err := w.db.Update(bg, func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, tenant, crypto.ID{}, key, value)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.d.Policies.Publish(tenant, crypto.ID{})
}
