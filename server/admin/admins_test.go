package admin_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// testKey is a real SSH public key: its authorized_keys line (with a
// comment) and its fingerprint as OpenSSH prints it.
type testKey struct{ line, fp string }

func newTestKey(t testing.TB, comment string) testKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k)))
	if comment != "" {
		line += " " + comment
	}
	return testKey{line: line, fp: gossh.FingerprintSHA256(k)}
}

// putTestGroup stores a managed group directly, as a fixture.
func putTestGroup(t testing.TB, e *env, tenant store.Tenant, id, name string) store.Group {
	t.Helper()
	g := store.Group{ID: id, TenantID: tenant.ID, Name: name, CreatedAt: e.clock.Now()}
	if err := e.db.Update(t.Context(), func(tx store.Tx) error { return tx.PutGroup(g) }); err != nil {
		t.Fatal(err)
	}
	return g
}

// adminsOf lists a tenant's admins as the instance admin.
func adminsOf(t testing.TB, e *env, tenant string) []store.Admin {
	t.Helper()
	as, err := e.svc.Admins(e.root, tenant)
	if err != nil {
		t.Fatalf("Admins(%s): %v", tenant, err)
	}
	return as
}

func lastAudit(t testing.TB, e *env) store.AuditEntry {
	t.Helper()
	es, err := e.svc.Audit(e.root, "", audit.Filter{})
	if err != nil || len(es) == 0 {
		t.Fatalf("Audit: %v, %d entries", err, len(es))
	}
	return es[len(es)-1]
}

func TestAddAdmin(t *testing.T) {
	e := newEnv(t)
	k := newTestKey(t, "olga@laptop")
	before := e.auditCount(t)
	a, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Fingerprint, k.fp; got != want {
		t.Errorf("fingerprint = %q, want %q (as OpenSSH computes it)", got, want)
	}
	if got, want := a.AuthorizedKey, strings.TrimSuffix(k.line, " olga@laptop"); got != want {
		t.Errorf("key = %q, want %q (without the comment)", got, want)
	}
	if got, want := a.Label, "olga@laptop"; got != want {
		t.Errorf("label = %q, want %q (the key's comment by default)", got, want)
	}
	if a.TenantID != e.acme.ID || a.Role != store.RoleOwner || a.AddedBy != "SHA256:root" || !a.AddedAt.Equal(e.clock.Now()) {
		t.Errorf("admin = %+v", a)
	}
	if got, want := e.auditCount(t), before+1; got != want {
		t.Fatalf("audit entries = %d, want %d", got, want)
	}
	if got := lastAudit(t, e); got.Action != "admin.add" || got.Target != k.fp || got.TenantID != e.acme.ID || got.Before != nil {
		t.Errorf("audit entry = %+v", got)
	}

	// The new owner works with its key at once and lists its tenant's admins.
	owner := e.as(t, k.fp)
	as, err := e.svc.Admins(owner, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Admin{a}, as); diff != "" {
		t.Errorf("Admins (-want +got):\n%s", diff)
	}
	// A fingerprint given by the front must match the key.
	aud := newTestKey(t, "")
	if _, err := e.svc.AddAdmin(owner, "acme", admin.AdminSpec{AuthorizedKey: aud.line, Fingerprint: aud.fp,
		Role: store.RoleAuditor, Label: "Audrey Auditor"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddAdmin(owner, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Fingerprint: aud.fp,
		Role: store.RoleAuditor}); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("mismatched fingerprint: err = %v, want ErrInvalid", err)
	}
}

func TestAddAdminKeyOfAChatUser(t *testing.T) {
	e := newEnv(t)
	k := newTestKey(t, "")
	nu := e.user(t, e.acme, "Ada Acme")
	err := e.db.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutDevice(store.Device{Fingerprint: k.fp, UserID: nu.User.ID, AuthorizedKey: k.line, AddedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleAdmin}); err != nil {
		t.Fatalf("a user's device key as admin: %v", err)
	}
	ctx := e.as(t, k.fp)
	if _, err := e.svc.Users(ctx, "acme", directory.UserFilter{}); err != nil {
		t.Errorf("the key acts as admin: %v", err)
	}
}

func TestAddAdminAgainChangesTheRole(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	sales := putTestGroup(t, e, e.acme, "g-sales", "Sales")
	k := newTestKey(t, "max@laptop")
	first, err := e.svc.AddAdmin(owner, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleAuditor, Label: "Max Muster"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3600e9)
	before := e.auditCount(t)
	second, err := e.svc.AddAdmin(owner, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin, Groups: []string{"sales"}})
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.Role, want.Groups = store.RoleGroupAdmin, []string{sales.ID}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("changed admin (-want +got), label (not the key's comment) and added time kept:\n%s", diff)
	}
	if got := adminsOf(t, e, "acme"); len(got) != 2 {
		t.Errorf("admins = %+v, want the owner and one entry for the key", got)
	}
	if got, want := e.auditCount(t), before+1; got != want {
		t.Fatalf("audit entries = %d, want %d", got, want)
	}
	entry := lastAudit(t, e)
	var b, a store.Admin
	if err := json.Unmarshal(entry.Before, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(entry.After, &a); err != nil {
		t.Fatal(err)
	}
	if entry.Action != "admin.change" || b.Role != store.RoleAuditor || a.Role != store.RoleGroupAdmin {
		t.Errorf("audit entry %s: before %s, after %s; want admin.change auditor → group-admin", entry.Action, b.Role, a.Role)
	}
	// The same again changes nothing and writes nothing.
	if _, err := e.svc.AddAdmin(owner, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin, Groups: []string{"g-sales"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := e.auditCount(t), before+1; got != want {
		t.Errorf("an unchanged admin wrote an audit entry: %d, want %d", got, want)
	}
}

// TestAdminPermissions runs the admin calls as every kind of caller: who
// may, that refusals are ErrForbidden, and that a refusal writes nothing.
func TestAdminPermissions(t *testing.T) {
	e := newEnv(t)
	putTestGroup(t, e, e.acme, "g-sales", "Sales")
	// Two owners, so that removing one is not removing the last.
	e.admin(t, e.acme, store.RoleOwner, "SHA256:first-owner")
	callers := map[string]context.Context{
		"instance":     e.root,
		"owner":        e.admin(t, e.acme, store.RoleOwner, "SHA256:owner"),
		"admin":        e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin"),
		"auditor":      e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"),
		"group-admin":  e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:groupadmin", "g-sales"),
		"other-owner":  e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner"),
		"stranger":     e.as(t, "SHA256:stranger"),
		"key-admins":   e.apiKey(t, e.acme, admin.PermAdminsRead, admin.PermAdminsWrite),
		"key-no-scope": e.apiKey(t, e.acme, admin.APIScopes()...),
	}
	add := func(role store.Role, groups ...string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.svc.AddAdmin(ctx, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: role, Groups: groups})
			return err
		}
	}
	remove := func(role store.Role) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			k := newTestKey(t, "")
			if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: role}); err != nil {
				return fmt.Errorf("fixture: %w", err)
			}
			_, err := e.svc.RemoveAdmin(ctx, "acme", k.fp)
			return err
		}
	}
	calls := []struct {
		name    string
		writes  bool
		allowed []string
		call    func(ctx context.Context) error
	}{
		{"list admins", false, []string{"instance", "owner", "admin", "auditor", "key-admins"},
			func(ctx context.Context) error { _, err := e.svc.Admins(ctx, "acme"); return err }},
		{"add owner", true, []string{"instance", "owner"}, add(store.RoleOwner)},
		{"add admin", true, []string{"instance", "owner", "admin"}, add(store.RoleAdmin)},
		{"add auditor", true, []string{"instance", "owner", "admin"}, add(store.RoleAuditor)},
		{"add group admin", true, []string{"instance", "owner", "admin"}, add(store.RoleGroupAdmin, "Sales")},
		{"remove owner", true, []string{"instance", "owner"}, remove(store.RoleOwner)},
		{"remove admin", true, []string{"instance", "owner", "admin"}, remove(store.RoleAdmin)},
		{"remove auditor", true, []string{"instance", "owner", "admin"}, remove(store.RoleAuditor)},
	}
	for _, c := range calls {
		for name, ctx := range callers {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				want := false
				for _, a := range c.allowed {
					want = want || a == name
				}
				admins := len(adminsOf(t, e, "acme"))
				before := e.auditCount(t)
				err := c.call(ctx)
				if !want && strings.HasPrefix(c.name, "remove") {
					// The fixture added one admin (one audit entry) before the refused call.
					admins++
					before++
				}
				switch {
				case want && err != nil:
					t.Fatalf("allowed caller refused: %v", err)
				case !want && !errors.Is(err, admin.ErrForbidden):
					t.Fatalf("err = %v, want ErrForbidden", err)
				case !want && e.auditCount(t) != before:
					t.Fatalf("a refused call wrote %d audit entries", e.auditCount(t)-before)
				case !want && len(adminsOf(t, e, "acme")) != admins:
					t.Fatalf("a refused call changed the admins")
				case want && c.writes && e.auditCount(t) == before:
					t.Fatalf("an allowed change wrote no audit entry")
				}
			})
		}
	}
}

// TestAdminRanks: nobody gives, changes or takes a role above its own. An
// admin manages admins, group admins and auditors, never owners; an API
// key given the admins:write scope has no rank and manages nobody.
func TestAdminRanks(t *testing.T) {
	e := newEnv(t)
	putTestGroup(t, e, e.acme, "g-sales", "Sales")
	o1, o2, adm, aud := newTestKey(t, "one"), newTestKey(t, "two"), newTestKey(t, "adm"), newTestKey(t, "aud")
	for k, role := range map[testKey]store.Role{o1: store.RoleOwner, o2: store.RoleOwner, adm: store.RoleAdmin, aud: store.RoleAuditor} {
		if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	admCtx := e.as(t, adm.fp)
	key := e.apiKey(t, e.acme, admin.PermAdminsWrite)
	before := e.auditCount(t)
	refused := func(what string, err error, want string) {
		t.Helper()
		if !errors.Is(err, admin.ErrForbidden) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrForbidden saying %q", what, err, want)
		}
	}
	_, err := e.svc.AddAdmin(admCtx, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: store.RoleOwner})
	refused("an admin adds an owner", err, "only an owner or an instance admin")
	_, err = e.svc.AddAdmin(admCtx, "acme", admin.AdminSpec{AuthorizedKey: o2.line, Role: store.RoleAuditor})
	refused("an admin demotes an owner", err, "only an owner or an instance admin")
	_, err = e.svc.AddAdmin(admCtx, "acme", admin.AdminSpec{AuthorizedKey: adm.line, Role: store.RoleOwner})
	refused("an admin makes itself owner", err, "only an owner or an instance admin")
	_, err = e.svc.RemoveAdmin(admCtx, "acme", o2.fp)
	refused("an admin removes an owner", err, "only an owner or an instance admin")
	for _, role := range admin.Roles() {
		var groups []string
		if role == store.RoleGroupAdmin {
			groups = []string{"Sales"}
		}
		_, err := e.svc.AddAdmin(key, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: role, Groups: groups})
		refused("an API key adds "+string(role), err, "permission denied")
	}
	_, err = e.svc.RemoveAdmin(key, "acme", aud.fp)
	refused("an API key removes an auditor", err, "above your own")
	if got := e.auditCount(t); got != before {
		t.Errorf("refused calls wrote %d audit entries", got-before)
	}
	if as := adminsOf(t, e, "acme"); len(as) != 4 || as[0].Role != store.RoleOwner || as[1].Role != store.RoleOwner {
		t.Errorf("admins after refusals = %+v", as)
	}

	// Within its rank an admin may: make an auditor an admin, and back.
	for _, role := range []store.Role{store.RoleAdmin, store.RoleAuditor} {
		if _, err := e.svc.AddAdmin(admCtx, "acme", admin.AdminSpec{AuthorizedKey: aud.line, Role: role}); err != nil {
			t.Errorf("an admin makes an auditor %s: %v", role, err)
		}
	}
	// An owner may demote another owner while one owner remains.
	if _, err := e.svc.AddAdmin(e.as(t, o1.fp), "acme", admin.AdminSpec{AuthorizedKey: o2.line, Role: store.RoleAdmin}); err != nil {
		t.Errorf("an owner demotes another owner: %v", err)
	}
}

func TestLastOwner(t *testing.T) {
	e := newEnv(t)
	k1, k2 := newTestKey(t, "first"), newTestKey(t, "second")
	if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k1.line, Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	first := e.as(t, k1.fp)
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, admin.ErrConflict) || !strings.Contains(err.Error(), "last owner") {
			t.Errorf("%s: err = %v, want ErrConflict about the last owner", what, err)
		}
	}
	before := e.auditCount(t)
	_, err := e.svc.RemoveAdmin(first, "acme", k1.fp)
	refused("the last owner removes itself", err)
	_, err = e.svc.RemoveAdmin(e.root, "acme", k1.fp)
	refused("the instance admin removes the last owner", err)
	_, err = e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k1.line, Role: store.RoleAdmin})
	refused("the last owner demoted", err)
	if got := e.auditCount(t); got != before {
		t.Errorf("refused calls wrote %d audit entries", got-before)
	}
	if as := adminsOf(t, e, "acme"); len(as) != 1 || as[0].Role != store.RoleOwner {
		t.Fatalf("admins after refusals = %+v", as)
	}

	// With a second owner, the first may leave; then the second is the last.
	if _, err := e.svc.AddAdmin(first, "acme", admin.AdminSpec{AuthorizedKey: k2.line, Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RemoveAdmin(first, "acme", k1.fp); err != nil {
		t.Fatalf("an owner removes itself with another owner left: %v", err)
	}
	if got := lastAudit(t, e); got.Action != "admin.remove" || got.Target != k1.fp || got.After != nil {
		t.Errorf("audit entry = %+v", got)
	}
	_, err = e.svc.RemoveAdmin(e.as(t, k2.fp), "acme", k2.fp)
	refused("the new last owner removes itself", err)
	if _, err := e.svc.RemoveAdmin(e.root, "acme", k1.fp); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("removing a removed admin: err = %v, want ErrNotFound", err)
	}
}

func TestRemoveYourself(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	aud := e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor")
	if _, err := e.svc.RemoveAdmin(aud, "acme", "SHA256:auditor"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an auditor removes itself: err = %v, want ErrForbidden (it changes nothing)", err)
	}
	other := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner2")
	if _, err := e.svc.RemoveAdmin(other, "acme", "SHA256:owner2"); err != nil {
		t.Errorf("an owner removes itself, another owner left: %v", err)
	}
}

func TestAddAdminBadInput(t *testing.T) {
	e := newEnv(t)
	putTestGroup(t, e, e.acme, "g-sales", "Sales")
	putTestGroup(t, e, e.globex, "g-globex", "Globex Team")
	k := newTestKey(t, "")
	typ, b64, _ := strings.Cut(k.line, " ")
	blob, _ := base64.StdEncoding.DecodeString(b64)
	for _, c := range []struct {
		name string
		spec admin.AdminSpec
		want string
	}{
		{"no role", admin.AdminSpec{AuthorizedKey: k.line}, "role"},
		{"unknown role", admin.AdminSpec{AuthorizedKey: k.line, Role: "superuser"}, "use one of owner, admin, group-admin, auditor"},
		{"instance role", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleInstance}, "role"},
		{"empty key", admin.AdminSpec{Role: store.RoleAdmin}, "not an OpenSSH public key"},
		{"garbage", admin.AdminSpec{AuthorizedKey: "hello world", Role: store.RoleAdmin}, "unknown key type"},
		{"private key", admin.AdminSpec{AuthorizedKey: "-----BEGIN OPENSSH PRIVATE KEY-----", Role: store.RoleAdmin}, "not an OpenSSH public key"},
		{"two keys", admin.AdminSpec{AuthorizedKey: k.line + "\n" + newTestKey(t, "").line, Role: store.RoleAdmin}, "more than one line"},
		{"type only", admin.AdminSpec{AuthorizedKey: typ, Role: store.RoleAdmin}, "TYPE BASE64"},
		{"not base64", admin.AdminSpec{AuthorizedKey: typ + " !!!!", Role: store.RoleAdmin}, "not base64"},
		{"type mismatch", admin.AdminSpec{AuthorizedKey: "ssh-rsa " + b64, Role: store.RoleAdmin}, "does not match its type"},
		{"truncated", admin.AdminSpec{AuthorizedKey: typ + " " + base64.StdEncoding.EncodeToString(blob[:15]), Role: store.RoleAdmin}, "does not match its type"},
		{"group admin without groups", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin}, "at least one managed group"},
		{"groups for an admin", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleAdmin, Groups: []string{"Sales"}}, "only for the role group-admin"},
		{"unknown group", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin, Groups: []string{"Sales", "Nope"}}, `no managed group "Nope"`},
		{"another tenant's group", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin, Groups: []string{"g-globex"}}, "no managed group"},
		{"label with control characters", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleAdmin, Label: "Eve\x1b[31m"}, "control characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.auditCount(t)
			_, err := e.svc.AddAdmin(e.root, "acme", c.spec)
			if !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrInvalid saying %q", err, c.want)
			}
			if e.auditCount(t) != before || len(adminsOf(t, e, "acme")) != 0 {
				t.Errorf("bad input changed something")
			}
		})
	}
	if _, err := e.svc.RemoveAdmin(e.root, "acme", "olga"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("RemoveAdmin(not a fingerprint): err = %v, want ErrInvalid", err)
	}
}

func TestGroupAdminGroups(t *testing.T) {
	e := newEnv(t)
	sales := putTestGroup(t, e, e.acme, "g-sales", "Sales")
	ops := putTestGroup(t, e, e.acme, "g-ops", "Operations")
	k := newTestKey(t, "")
	a, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleGroupAdmin,
		Groups: []string{"sales", ops.ID, "Sales"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{sales.ID, ops.ID}, a.Groups); diff != "" {
		t.Errorf("stored groups: IDs, each once (-want +got):\n%s", diff)
	}
	infos, err := e.svc.AdminDetails(e.root, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || !cmp.Equal(infos[0].GroupNames, []string{"Sales", "Operations"}) || infos[0].TwoFactor {
		t.Errorf("AdminDetails = %+v", infos)
	}
}

func TestAdminsOrder(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor")
	e.clock.Advance(1e9)
	e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin")
	e.clock.Advance(1e9)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner2")
	var got []string
	for _, a := range adminsOf(t, e, "acme") {
		got = append(got, a.Fingerprint)
	}
	if diff := cmp.Diff([]string{"SHA256:owner2", "SHA256:admin", "SHA256:auditor"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestAdminTenantIsolation: an owner of acme can neither list, add nor
// remove globex's admins, learns nothing of them, and writes nothing.
func TestAdminTenantIsolation(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner")
	e.admin(t, e.globex, store.RoleAuditor, "SHA256:globex-auditor")
	key := e.apiKey(t, e.acme, admin.PermAdminsRead, admin.PermAdminsWrite)
	globexBefore := adminsOf(t, e, "globex")
	before := e.auditCount(t)
	for name, ctx := range map[string]context.Context{"owner": owner, "api key": key} {
		if _, err := e.svc.Admins(ctx, "globex"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: Admins(globex) = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.Admins(ctx, "no-such-tenant"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: Admins(no-such-tenant) = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.AddAdmin(ctx, "globex", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: store.RoleAuditor}); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: AddAdmin(globex) = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.RemoveAdmin(ctx, "globex", "SHA256:globex-auditor"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: RemoveAdmin(globex) = %v, want ErrForbidden", name, err)
		}
		// Naming its own tenant does not reach the other's admins either.
		if _, err := e.svc.RemoveAdmin(ctx, "acme", "SHA256:globex-auditor"); err == nil {
			t.Errorf("%s: removed globex's auditor through acme", name)
		}
	}
	if got := e.auditCount(t); got != before {
		t.Errorf("refused calls wrote %d audit entries", got-before)
	}
	if diff := cmp.Diff(globexBefore, adminsOf(t, e, "globex")); diff != "" {
		t.Errorf("globex's admins changed (-want +got):\n%s", diff)
	}
	as, err := e.svc.Admins(owner, "acme")
	if err != nil || len(as) != 1 || as[0].Fingerprint != "SHA256:owner" {
		t.Errorf("Admins(acme) = %+v, %v; want acme's owner alone", as, err)
	}
}

// TestRemoveAdminDropsTOTP: a key left without any role loses its second
// factor; a key that keeps a role elsewhere keeps it.
func TestRemoveAdminDropsTOTP(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	e.admin(t, e.acme, store.RoleAdmin, "SHA256:both")
	e.admin(t, e.globex, store.RoleAdmin, "SHA256:both")
	e.admin(t, e.acme, store.RoleAdmin, "SHA256:one")
	for _, fp := range []string{"SHA256:both", "SHA256:one"} {
		err := e.db.Update(t.Context(), func(tx store.Tx) error {
			return tx.PutTOTP(store.TOTP{Fingerprint: fp, Secret: "JBSWY3DPEHPK3PXP", Enabled: true})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, fp := range []string{"SHA256:both", "SHA256:one"} {
		if _, err := e.svc.RemoveAdmin(e.root, "acme", fp); err != nil {
			t.Fatal(err)
		}
	}
	for fp, want := range map[string]bool{"SHA256:both": true, "SHA256:one": false} {
		err := e.db.View(t.Context(), func(tx store.Tx) error {
			_, err := tx.TOTP(fp)
			if got := err == nil; got != want {
				t.Errorf("%s keeps its TOTP: %t, want %t (%v)", fp, got, want, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzAdminKey: whatever line arrives as a key, AddAdmin refuses it as
// bad input or stores the fingerprint OpenSSH would print for it.
func FuzzAdminKey(f *testing.F) {
	e := newEnv(f)
	k := newTestKey(f, "alice@example")
	for _, s := range []string{k.line, "", "hello world", "ssh-ed25519", "ssh-ed25519 !!!!", "ssh-rsa " + strings.Fields(k.line)[1],
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== a\nb", "ecdsa-sha2-nistp256 AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		a, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: line, Role: store.RoleAuditor, Label: "fuzz"})
		if err != nil {
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("AddAdmin(%q): %v, want ErrInvalid", line, err)
			}
			return
		}
		fields := strings.Fields(a.AuthorizedKey)
		blob, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(blob)
		if got, want := a.Fingerprint, "SHA256:"+base64.RawStdEncoding.EncodeToString(sum[:]); got != want {
			t.Fatalf("fingerprint %q, want %q", got, want)
		}
		if pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line)); err == nil {
			if got, want := a.Fingerprint, gossh.FingerprintSHA256(pk); got != want {
				t.Fatalf("fingerprint %q, OpenSSH says %q", got, want)
			}
		}
	})
}
