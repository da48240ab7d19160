package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// TestAuditTenantIsolation: whatever the filter, a tenant's admins and API
// keys see their tenant's entries and never another's.
func TestAuditTenantIsolation(t *testing.T) {
	e := newEnv(t)
	acmeOwner := e.admin(t, e.acme, store.RoleOwner, "SHA256:acme-owner")
	globexOwner := e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner")
	e.user(t, e.acme, "Ada Acme")
	if _, err := e.svc.CreateUser(globexOwner, "globex", directory.UserSpec{Name: "Gil Globex"}); err != nil {
		t.Fatal(err)
	}
	callers := map[string]context.Context{
		"owner":   acmeOwner,
		"auditor": e.admin(t, e.acme, store.RoleAuditor, "SHA256:acme-auditor"),
		"api key": e.apiKey(t, e.acme, admin.PermAuditRead),
	}
	filters := map[string]audit.Filter{
		"none":            {},
		"globex's actor":  {Actor: "SHA256:globex-owner"},
		"globex's label":  {Actor: "globex"},
		"globex's target": {Target: "globex"},
		"another tenant":  {TenantID: e.globex.ID},
		"all":             {Limit: audit.NoLimit},
	}
	for name, ctx := range callers {
		for fname, f := range filters {
			es, err := e.svc.Audit(ctx, "acme", f)
			if err != nil {
				t.Fatalf("%s, filter %s: %v", name, fname, err)
			}
			for _, en := range es {
				if en.TenantID != e.acme.ID {
					t.Errorf("%s, filter %s: sees %+v", name, fname, en)
				}
			}
			if fname == "none" && len(es) == 0 {
				t.Errorf("%s sees no entry of its own tenant", name)
			}
		}
		for _, tenant := range []string{"globex", "", "no-such-tenant"} {
			if tenant == "" && name == "api key" {
				continue // an API key's only tenant is its own
			}
			if _, err := e.svc.Audit(ctx, tenant, audit.Filter{}); tenant != "" && !errors.Is(err, admin.ErrForbidden) {
				t.Errorf("%s: Audit(%q) = %v, want ErrForbidden", name, tenant, err)
			}
			if _, err := e.svc.VerifyAudit(ctx, tenant); tenant != "" && !errors.Is(err, admin.ErrForbidden) {
				t.Errorf("%s: VerifyAudit(%q) = %v, want ErrForbidden", name, tenant, err)
			}
		}
	}
	// The instance admin sees both, and everything without a tenant.
	es, err := e.svc.Audit(e.root, "", audit.Filter{Limit: audit.NoLimit})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, en := range es {
		seen[en.TenantID] = true
	}
	if !seen[e.acme.ID] || !seen[e.globex.ID] {
		t.Errorf("the instance admin sees tenants %v, want acme and globex", seen)
	}
	// A key with no audit scope, a group admin and a stranger see nothing.
	for name, ctx := range map[string]context.Context{
		"key without scope": e.apiKey(t, e.acme, admin.PermUsersRead),
		"group admin":       e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga"),
		"stranger":          e.as(t, "SHA256:stranger"),
	} {
		if _, err := e.svc.Audit(ctx, "acme", audit.Filter{}); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: Audit = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.VerifyAudit(ctx, "acme"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: VerifyAudit = %v, want ErrForbidden", name, err)
		}
	}
}

func TestAuditFilters(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	ada := e.user(t, e.acme, "Ada Acme") // by the instance admin
	e.clock.Advance(24 * time.Hour)
	nick := "ada"
	if _, err := e.svc.EditUser(owner, "acme", ada.User.ID, directory.ProfileChange{Nickname: &nick}); err != nil {
		t.Fatal(err)
	}
	bob, err := e.svc.CreateUser(owner, "acme", directory.UserSpec{Name: "Bob Acme"})
	if err != nil {
		t.Fatal(err)
	}
	day2 := e.clock.Now()
	actions := func(f audit.Filter) string {
		t.Helper()
		es, err := e.svc.Audit(owner, "acme", f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, en := range es {
			out = append(out, en.Action)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		name string
		f    audit.Filter
		want string
	}{
		{"all, oldest first", audit.Filter{}, "tenant.create user.create user.edit user.create"},
		{"actor by fingerprint", audit.Filter{Actor: "SHA256:owner"}, "user.edit user.create"},
		{"actor by label, any case", audit.Filter{Actor: "OWNER of"}, "user.edit user.create"},
		{"actor by the instance key's label", audit.Filter{Actor: "bootstrap"}, "tenant.create user.create"},
		{"target", audit.Filter{Target: ada.User.ID.String()}, "user.create user.edit"},
		{"target of bob", audit.Filter{Target: bob.User.ID.String()}, "user.create"},
		{"action prefix", audit.Filter{Action: "user."}, "user.create user.edit user.create"},
		{"action exactly", audit.Filter{Action: "user.edit"}, "user.edit"},
		{"since", audit.Filter{Since: day2}, "user.edit user.create"},
		{"until (exclusive)", audit.Filter{Until: day2}, "tenant.create user.create"},
		{"limit keeps the newest", audit.Filter{Limit: 2}, "user.edit user.create"},
		{"nothing matches", audit.Filter{Actor: "SHA256:nobody"}, ""},
	} {
		if got := actions(c.f); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestVerifyAuditService(t *testing.T) {
	e := newEnv(t)
	e.user(t, e.acme, "Ada Acme")
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	for name, ctx := range map[string]context.Context{"instance": e.root, "owner": owner} {
		// A tenant's report counts the tenant's entries only.
		es, err := e.svc.Audit(e.root, "acme", audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.VerifyAudit(ctx, "acme")
		if err != nil || !r.OK || r.Entries != uint64(len(es)) || r.Entries >= e.auditCount(t) {
			t.Errorf("%s: VerifyAudit = %+v, %v; want OK over acme's %d entries", name, r, err, len(es))
		}
	}
	if r, err := e.svc.VerifyAudit(e.root, ""); err != nil || !r.OK {
		t.Errorf("instance-wide VerifyAudit = %+v, %v", r, err)
	}
}
