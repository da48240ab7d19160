package sshd

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
	adminui "github.com/parley-chat/parley/tui/admin"
)

// consoleEnv is the adapter over a real admin service with two tenants.
type consoleEnv struct {
	db  *store.Bolt
	dir *directory.Service
	a   *consoleAdapter
}

func newConsoleEnv(t *testing.T) (*consoleEnv, context.Context) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	log := slog.New(slog.DiscardHandler)
	dir := directory.New(db, directory.Config{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, Logger: log})
	e := &consoleEnv{db: db, dir: dir, a: &consoleAdapter{svc: admin.New(db, dir, admin.Config{Logger: log})}}
	if err := dir.EnsureInstanceAdmin(t.Context(), "SHA256:root", "ssh-ed25519 AAAA root"); err != nil {
		t.Fatal(err)
	}
	root := e.as(t, "SHA256:root")
	for _, name := range []string{"globex", "acme"} {
		if _, err := e.a.svc.CreateTenant(root, directory.TenantSpec{Name: name, Seats: 10, Domains: []string{name + ".example"}}); err != nil {
			t.Fatal(err)
		}
	}
	return e, root
}

func (e *consoleEnv) as(t *testing.T, fp string) context.Context {
	t.Helper()
	u, roles, err := e.dir.Resolve(t.Context(), fp)
	if err != nil {
		t.Fatal(err)
	}
	return auth.With(t.Context(), &auth.Principal{KeyFingerprint: fp, User: u, Roles: roles, Session: "test"})
}

// role gives a key a role in a tenant, as a fixture.
func (e *consoleEnv) role(t *testing.T, root context.Context, tenant string, role store.Role, fp string) context.Context {
	t.Helper()
	tn, err := e.a.svc.Tenant(root, tenant)
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutAdmin(store.Admin{Fingerprint: fp, AuthorizedKey: "ssh-ed25519 AAAA " + fp, Role: role, TenantID: tn.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e.as(t, fp)
}

func TestConsoleTenantsAndPermissions(t *testing.T) {
	e, root := newConsoleEnv(t)
	owner := e.role(t, root, "acme", store.RoleOwner, "SHA256:owner")
	auditor := e.role(t, root, "acme", store.RoleAuditor, "SHA256:auditor")

	names := func(ctx context.Context) []string {
		ts, err := e.a.Tenants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tn := range ts {
			out = append(out, tn.Name+":"+tn.Role)
		}
		return out
	}
	if diff := cmp.Diff([]string{"acme:instance-admin", "globex:instance-admin"}, names(root)); diff != "" {
		t.Errorf("instance admin's tenants (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"acme:owner"}, names(owner)); diff != "" {
		t.Errorf("acme owner's tenants (-want +got):\n%s", diff)
	}

	p, err := e.a.Permissions(auditor, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if p[adminui.PermUsersWrite] || !p[adminui.PermAuditRead] {
		t.Errorf("auditor's permissions: %v", p)
	}
	if p, err = e.a.Permissions(root, "globex"); err != nil || !p[adminui.PermAdminsWrite] {
		t.Errorf("instance admin's permissions in globex: %v, %v", p, err)
	}
	if _, err := e.a.Permissions(owner, "globex"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("acme owner's permissions in globex: err %v, want permission denied", err)
	}
}

// TestConsoleTenantIsolation: through the console's port, tenant acme's
// owner can neither read nor change tenant globex.
func TestConsoleTenantIsolation(t *testing.T) {
	e, root := newConsoleEnv(t)
	owner := e.role(t, root, "acme", store.RoleOwner, "SHA256:owner")
	gus, err := e.a.CreateUser(root, "globex", adminui.UserSpec{Name: "Gus Globex"})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]error{}
	_, _, calls["UsersPage"] = e.a.UsersPage(owner, "globex", adminui.UserFilter{}, crypto.ID{})
	_, calls["User"] = e.a.User(owner, "globex", gus.User.ID)
	_, calls["License"] = e.a.License(owner, "globex")
	_, calls["Admins"] = e.a.Admins(owner, "globex")
	_, calls["Audit"] = e.a.Audit(owner, "globex", adminui.AuditFilter{})
	_, calls["ReissueCode"] = e.a.ReissueCode(owner, "globex", gus.User.ID)
	_, calls["DeleteUser"] = e.a.DeleteUser(owner, "globex", gus.User.ID, false, false)
	_, calls["RevokeUser"] = e.a.RevokeUser(owner, "globex", gus.User.ID)
	_, calls["CreateUser"] = e.a.CreateUser(owner, "globex", adminui.UserSpec{Name: "Mallory"})
	for name, err := range calls {
		if !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s in another tenant: err %v, want permission denied", name, err)
		}
	}
	// Acme's own user is there (the owner is not refused everything); the
	// same ID asked for in acme is not found.
	if _, err := e.a.User(owner, "acme", gus.User.ID); err == nil {
		t.Error("globex's user found in acme")
	}
	d, err := e.a.User(root, "globex", gus.User.ID)
	if err != nil || d.Status != "pending" {
		t.Fatalf("after refused calls, globex's user: %+v, %v", d, err)
	}
}

func TestConsoleUsersAndLicense(t *testing.T) {
	e, root := newConsoleEnv(t)
	nu, err := e.a.CreateUser(root, "acme", adminui.UserSpec{Name: "Alice Example", Email: "alice@acme.example", Tags: []string{"sales"}})
	if err != nil {
		t.Fatal(err)
	}
	if nu.Code == "" || nu.User.Status != "pending" || nu.ExpiresAt.IsZero() {
		t.Fatalf("CreateUser: %+v", nu)
	}
	us, next, err := e.a.UsersPage(root, "acme", adminui.UserFilter{Tag: "sales", Name: "ali*"}, crypto.ID{})
	if err != nil || len(us) != 1 || us[0].ID != nu.User.ID || !next.IsZero() {
		t.Fatalf("UsersPage(#sales ali*): %+v, next %s, %v", us, next, err)
	}
	if us, _, _ := e.a.UsersPage(root, "acme", adminui.UserFilter{Name: "bob*"}, crypto.ID{}); len(us) != 0 {
		t.Errorf("Users(bob*): %+v", us)
	}
	name := "Alice B. Example"
	if u, err := e.a.EditUser(root, "acme", nu.User.ID, adminui.UserChange{Name: &name}); err != nil || u.Name != name {
		t.Fatalf("EditUser: %+v, %v", u, err)
	}
	again, err := e.a.ReissueCode(root, "acme", nu.User.ID)
	if err != nil || again.Code == "" || again.Code == nu.Code {
		t.Fatalf("ReissueCode: %+v, %v", again, err)
	}
	u, err := e.a.DeleteUser(root, "acme", nu.User.ID, true, true)
	if err != nil || u.Status != "detached" {
		t.Fatalf("DeleteUser(keep both): %+v, %v", u, err)
	}

	l, err := e.a.License(root, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if l.Seats != 10 || len(l.Packages) != 1 || l.Expired {
		t.Errorf("License: %+v", l)
	}
	es, err := e.a.Audit(root, "acme", adminui.AuditFilter{Action: "user."})
	if err != nil || len(es) != 4 || es[0].Action != "user.delete keep-id=true keep-app=true" || es[3].Action != "user.create" {
		t.Fatalf("Audit(user.), newest first: %+v, %v", es, err)
	}
	if es[3].After == "" || es[3].Before != "" {
		t.Errorf("user.create entry: before %q after %q", es[3].Before, es[3].After)
	}
	r, err := e.a.VerifyAudit(root, "acme")
	if err != nil || !r.OK {
		t.Fatalf("VerifyAudit: %+v, %v", r, err)
	}
}

func TestConsoleSecondFactor(t *testing.T) {
	e, root := newConsoleEnv(t)
	need, err := e.a.SecondFactorRequired(root)
	if err != nil || need {
		t.Fatalf("SecondFactorRequired without TOTP: %t, %v", need, err)
	}
	if err := e.a.ProveSecondFactor(root, "123456"); err == nil || errors.Is(err, adminui.ErrBadCode) {
		t.Fatalf("ProveSecondFactor without TOTP: %v, want an error that is not a wrong code", err)
	}
}

func TestConsoleGroupsAndStats(t *testing.T) {
	e, root := newConsoleEnv(t)
	nu, err := e.a.CreateUser(root, "acme", adminui.UserSpec{Name: "Alice Example"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.a.CreateGroup(root, "acme", "Climbers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.AddGroupMembers(root, "acme", g.ID, []crypto.ID{nu.User.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.RenameGroup(root, "acme", g.ID, "Night climbers"); err != nil {
		t.Fatal(err)
	}
	gs, err := e.a.Groups(root, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []adminui.Group{{ID: g.ID, Name: "Night climbers", Created: g.Created, Members: []adminui.Member{{ID: nu.User.ID, Name: "Alice Example"}}}}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("Groups (-want +got):\n%s", diff)
	}
	if gs, err := e.a.Groups(root, "globex"); err != nil || len(gs) != 0 {
		t.Errorf("globex's groups: %+v, %v", gs, err)
	}
	if _, err := e.a.RemoveGroupMembers(root, "acme", g.ID, []crypto.ID{nu.User.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.a.DeleteGroup(root, "acme", g.ID); err != nil {
		t.Fatal(err)
	}

	st, err := e.a.Stats(root, "acme", 14)
	if err != nil {
		t.Fatal(err)
	}
	if st.PendingUsers != 1 || len(st.Messages) != 14 || st.Messages[13].Day.After(time.Now()) {
		t.Errorf("Stats: %+v", st)
	}
}

// TestConsolePolicies: the console's policy calls go through the
// service, with its rules: an auditor reads every value and is refused
// every change, which changes nothing.
func TestConsolePolicies(t *testing.T) {
	e, root := newConsoleEnv(t)
	auditor := e.role(t, root, "acme", store.RoleAuditor, "SHA256:auditor")
	nu, err := e.a.CreateUser(root, "acme", adminui.UserSpec{Name: "Alice Example"})
	if err != nil {
		t.Fatal(err)
	}
	alice := nu.User.ID

	keys := map[string]adminui.PolicyKey{}
	for _, k := range e.a.PolicyKeys() {
		keys[k.Name] = k
	}
	if k := keys[policy.BlockUnknown]; k.Type != adminui.PolicyBool || k.Default != "false" || !k.PerUser || k.Description == "" {
		t.Errorf("PolicyKeys: th_block_unknown is %+v", k)
	}
	if k := keys[policy.CrossTenant]; k.PerUser {
		t.Errorf("PolicyKeys: parley_cross_tenant may be set per user: %+v", k)
	}

	value := func(ctx context.Context, user *crypto.ID, key string) adminui.PolicyValue {
		t.Helper()
		vs, err := e.a.Policies(ctx, "acme", user)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != len(keys) {
			t.Errorf("Policies: %d values for %d keys", len(vs), len(keys))
		}
		for _, v := range vs {
			if v.Key == key {
				return v
			}
		}
		t.Fatalf("Policies lacks %s", key)
		return adminui.PolicyValue{}
	}

	v, err := e.a.SetPolicy(root, "acme", nil, policy.BlockUnknown, "true")
	if err != nil {
		t.Fatal(err)
	}
	if want := (adminui.PolicyValue{Key: policy.BlockUnknown, Value: "true", Source: adminui.SourceGlobal}); v != want {
		t.Errorf("SetPolicy: %+v, want %+v", v, want)
	}
	if _, err := e.a.SetPolicy(root, "acme", &alice, policy.Category, "Sales"); err != nil {
		t.Fatal(err)
	}
	if got, want := value(auditor, &alice, policy.Category), (adminui.PolicyValue{Key: policy.Category, Value: "Sales", Source: adminui.SourceIndividual}); got != want {
		t.Errorf("the auditor reads Alice's %s = %+v, want %+v", policy.Category, got, want)
	}
	if got := value(auditor, &alice, policy.BlockUnknown); got.Value != "true" || got.Source != adminui.SourceGlobal {
		t.Errorf("Alice's %s = %+v, want the tenant's true", policy.BlockUnknown, got)
	}

	// Bad input: the service's error, naming the type expected.
	if _, err := e.a.SetPolicy(root, "acme", nil, policy.BlockUnknown, "maybe"); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "bool") {
		t.Errorf("SetPolicy(maybe): %v, want invalid argument naming the type", err)
	}
	if _, err := e.a.SetPolicy(root, "acme", nil, "th_no_such_key", "1"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("SetPolicy(unknown key): %v, want invalid argument", err)
	}
	if _, err := e.a.SetPolicy(root, "acme", &alice, policy.CrossTenant, "globex"); err == nil {
		t.Error("a tenant-only key was set for a user")
	}

	// The auditor is refused, and nothing changes.
	if _, err := e.a.SetPolicy(auditor, "acme", nil, policy.BlockUnknown, "false"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("the auditor's SetPolicy: %v, want permission denied", err)
	}
	if err := e.a.UnsetPolicy(auditor, "acme", &alice, policy.Category); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("the auditor's UnsetPolicy: %v, want permission denied", err)
	}
	if got := value(root, nil, policy.BlockUnknown); got.Value != "true" {
		t.Errorf("after the auditor's refused change: %+v", got)
	}

	if err := e.a.UnsetPolicy(root, "acme", &alice, policy.Category); err != nil {
		t.Fatal(err)
	}
	if got := value(root, &alice, policy.Category); got.Source != adminui.SourceDefault {
		t.Errorf("after unset, Alice's %s = %+v, want the default", policy.Category, got)
	}
	es, err := e.a.Audit(root, "acme", adminui.AuditFilter{Action: "policy."})
	if err != nil || len(es) != 3 {
		t.Fatalf("Audit(policy.): %d entries, %v; want 3 (set, set, unset)", len(es), err)
	}
}

// TestConsoleQuietPreview: the preview parses with package quiet, without
// saving, and shows the changes in the schedule's zone.
func TestConsoleQuietPreview(t *testing.T) {
	a := &consoleAdapter{}
	cs, err := a.PreviewQuietHours("Europe/Zurich", "Mon-Fri 18:00-08:00; Sat,Sun all-day")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		t.Fatal("no changes previewed")
	}
	for i, c := range cs {
		if got, want := c.At.Location().String(), "Europe/Zurich"; got != want {
			t.Errorf("change %d in %s, want %s", i, got, want)
		}
		if i > 0 && (c.Quiet == cs[i-1].Quiet || !c.At.After(cs[i-1].At)) {
			t.Errorf("change %d (%v %t) does not follow %v %t", i, c.At, c.Quiet, cs[i-1].At, cs[i-1].Quiet)
		}
		if h := c.At.Hour(); h != 8 && h != 18 && h != 0 {
			t.Errorf("change %d at %v: not at 08:00, 18:00 or midnight", i, c.At)
		}
	}
	for _, bad := range [][2]string{{"Mars/Olympus", "Mon 18:00-20:00"}, {"UTC", "Mon 25:00-26:00"}, {"UTC", "Someday all-day"}} {
		if _, err := a.PreviewQuietHours(bad[0], bad[1]); err == nil {
			t.Errorf("PreviewQuietHours(%q, %q): no error", bad[0], bad[1])
		}
	}
}

func TestConsoleQuietHours(t *testing.T) {
	e, root := newConsoleEnv(t)
	auditor := e.role(t, root, "acme", store.RoleAuditor, "SHA256:auditor")
	st, err := e.a.SetQuietHours(root, "acme", nil, "Europe/Zurich", "Mon-Fri 18:00-08:00; Sat,Sun all-day")
	if err != nil {
		t.Fatal(err)
	}
	if st.Zone != "Europe/Zurich" || st.Source != adminui.SourceGlobal || len(st.Next) == 0 || st.Next[0].At.Location().String() != "Europe/Zurich" {
		t.Fatalf("SetQuietHours: %+v", st)
	}
	if got, err := e.a.QuietHours(auditor, "acme", nil); err != nil || got.Schedule != st.Schedule {
		t.Fatalf("the auditor's QuietHours: %+v, %v", got, err)
	}
	if _, err := e.a.SetQuietHours(auditor, "acme", nil, "UTC", "Sat all-day"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("the auditor's SetQuietHours: %v, want permission denied", err)
	}
	if _, err := e.a.SetQuietHours(root, "acme", nil, "Mars/Olympus", "Sat all-day"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("unknown zone: %v, want invalid argument", err)
	}
	if err := e.a.UnsetQuietHours(root, "acme", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.a.QuietHours(root, "acme", nil); got.Schedule != "" || got.Source != adminui.SourceDefault {
		t.Errorf("after unset: %+v", got)
	}
}
