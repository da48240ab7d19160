package directory_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

func TestWhoami(t *testing.T) {
	e := newPolicyEnv(t, true)
	acme := e.tenant(t, "acme", "acme.example")
	other := e.tenant(t, "globex")
	_, c, err := e.dir.CreateUser(t.Context(), directory.UserSpec{TenantID: acme.ID, FirstName: "Anna", LastName: "Müller",
		Nickname: "Anni", Category: "Sales", Tags: []string{"sales"}, Email: "Anna@acme.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := e.clock.Now()
	e.clock.Advance(time.Hour)
	anna := e.activate(t, c.Code, "SHA256:anna-laptop")
	bob := e.activeUser(t, acme.ID, "Bob Other", "SHA256:bob")
	e.activeUser(t, other.ID, "Gina Globex", "SHA256:gina")
	e.set(t, acme.ID, global, policy.DisableCreateGroup, "true")
	e.set(t, acme.ID, anna.ID, policy.DisableWorkDirectory, "true")
	e.update(t, func(tx store.Tx) error {
		if err := tx.PutDevice(store.Device{Fingerprint: "SHA256:anna-phone", UserID: anna.ID,
			AuthorizedKey: "ssh-ed25519 AAAAC3Nza anna@phone", AddedAt: e.clock.Now().Add(time.Minute),
			LastSeen: e.clock.Now().Add(2 * time.Minute)}); err != nil {
			return err
		}
		return tx.PutGroup(store.Group{ID: "g1", Key: "00112233445566aa", TenantID: acme.ID, Name: "Sales team",
			Members: []crypto.ID{anna.ID, bob.ID}})
	})
	e.update(t, func(tx store.Tx) error {
		if err := tx.PutGroup(store.Group{ID: "g2", Key: "00112233445566bb", TenantID: acme.ID, Name: "Board",
			Members: []crypto.ID{bob.ID}}); err != nil {
			return err
		}
		return tx.PutGroup(store.Group{ID: "g3", Key: "00112233445566cc", TenantID: acme.ID, Name: "Climbers",
			Kind: store.GroupUser, Creator: anna.ID, Admins: []crypto.ID{anna.ID}, Members: []crypto.ID{anna.ID, bob.ID}})
	})

	w, err := e.dir.Whoami(t.Context(), anna.ID)
	if err != nil {
		t.Fatalf("Whoami: %v", err)
	}
	sum := sha256.Sum256([]byte("anna@acme.example"))
	if got, want := w.EmailHashes, []string{hex.EncodeToString(sum[:])}; !cmp.Equal(got, want) {
		t.Errorf("EmailHashes = %q, want %q", got, want)
	}
	if w.ID != anna.ID || w.Name != "Anna Müller" || w.FirstName != "Anna" || w.LastName != "Müller" ||
		w.Nickname != "Anni" || w.Category != "Sales" || !cmp.Equal(w.Tags, []string{"sales"}) ||
		w.Email != "Anna@acme.example" {
		t.Errorf("profile = %+v, want Anna's", w)
	}
	if !w.PublicKey.Equal(anna.PublicKey) || w.Fingerprint != crypto.FingerprintOf(anna.PublicKey).String() {
		t.Errorf("key %s / fingerprint %q, want Anna's %s", w.PublicKey, w.Fingerprint, anna.PublicKey)
	}
	if !w.SealedKey || w.PendingCode {
		t.Errorf("SealedKey, PendingCode = %v, %v; want true, false", w.SealedKey, w.PendingCode)
	}
	if w.Tenant != "acme" || w.TenantID != acme.ID || w.Organisation != "acme" || w.Status != store.UserActive {
		t.Errorf("tenant %q (%s) %q status %s, want acme active", w.Tenant, w.TenantID, w.Organisation, w.Status)
	}
	if !w.CreatedAt.Equal(created) || !w.ActivatedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("created %v activated %v, want %v and an hour later", w.CreatedAt, w.ActivatedAt, created)
	}
	wantDevices := []directory.WhoamiDevice{
		{Fingerprint: "SHA256:anna-laptop", Label: "ssh-ed25519 SHA256:anna-laptop", AddedAt: created.Add(time.Hour),
			LastSeen: created.Add(time.Hour)},
		{Fingerprint: "SHA256:anna-phone", Label: "ssh-ed25519 anna@phone", AddedAt: created.Add(time.Hour + time.Minute),
			LastSeen: created.Add(time.Hour + 2*time.Minute)},
	}
	if diff := cmp.Diff(wantDevices, w.Devices); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if got, want := len(w.Policies), len(policy.Registry()); got != want {
		t.Errorf("%d policies, want every key (%d)", got, want)
	}
	byKey := map[string]policy.Value{}
	for i, v := range w.Policies {
		byKey[v.Key] = v
		if i > 0 && w.Policies[i-1].Key >= v.Key {
			t.Errorf("policies not sorted: %s before %s", w.Policies[i-1].Key, v.Key)
		}
	}
	for key, want := range map[string]policy.Value{
		policy.DisableCreateGroup:   {Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal},
		policy.DisableWorkDirectory: {Key: policy.DisableWorkDirectory, Raw: "true", Source: policy.SourceIndividual},
		policy.DisableCalls:         {Key: policy.DisableCalls, Raw: "false", Source: policy.SourceDefault},
	} {
		if got := byKey[key]; got != want {
			t.Errorf("policy %s = %+v, want %+v", key, got, want)
		}
	}
	if want := []directory.WhoamiGroup{
		{Key: "00112233445566cc", Name: "Climbers", Admin: true, Members: 2},
		{Key: "00112233445566aa", Name: "Sales team", Managed: true, Members: 2},
	}; !cmp.Equal(w.Groups, want) {
		t.Errorf("groups = %+v, want %+v", w.Groups, want)
	}
	// Nothing of anyone else.
	text := strings.Join([]string{w.Name, w.Email, w.Tenant}, " ")
	for _, d := range w.Devices {
		text += " " + d.Fingerprint + " " + d.Label
	}
	for _, g := range w.Groups {
		text += " " + g.Name
	}
	for _, leak := range []string{"Bob", "bob", "Gina", "globex", "Board"} {
		if strings.Contains(text, leak) {
			t.Errorf("Whoami shows %q: %s", leak, text)
		}
	}
}

func TestWhoamiPendingAndUnknown(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	u, _ := e.user(t, acme.ID, "Pat Pending", "")
	w, err := e.dir.Whoami(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("Whoami(pending): %v", err)
	}
	if w.Status != store.UserPending || !w.PendingCode || w.SealedKey || w.Fingerprint != "" ||
		len(w.Devices) != 0 || len(w.EmailHashes) != 0 || w.EmailHashes == nil {
		t.Errorf("pending user = %+v, want pending with a code, no key, no devices, empty (not nil) hashes", w)
	}
	if _, err := e.dir.Whoami(t.Context(), crypto.ID([]byte("NOBODY00"))); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("Whoami(unknown) = %v, want ErrUserNotFound", err)
	}
}

func TestEmailHash(t *testing.T) {
	sum := sha256.Sum256([]byte("ann@example.com"))
	want := hex.EncodeToString(sum[:])
	for _, in := range []string{"ann@example.com", " Ann@Example.COM "} {
		if got := directory.EmailHash(in); got != want {
			t.Errorf("EmailHash(%q) = %s, want %s", in, got, want)
		}
	}
}
