package admin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// TestPermissions runs every user, device, license, tenant and audit call
// as every kind of caller, and checks who is allowed, that a refusal is
// ErrForbidden and that a refused call writes nothing.
func TestPermissions(t *testing.T) {
	e := newEnv(t)
	acmeUser := e.user(t, e.acme, "Ada Acme")

	callers := map[string]context.Context{
		"instance":       e.root,
		"owner":          e.admin(t, e.acme, store.RoleOwner, "SHA256:owner"),
		"admin":          e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin"),
		"auditor":        e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"),
		"group-admin":    e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:groupadmin"),
		"other-owner":    e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner"),
		"stranger":       e.as(t, "SHA256:stranger"),
		"key-users-rw":   e.apiKey(t, e.acme, admin.PermUsersRead, admin.PermUsersWrite),
		"key-users-r":    e.apiKey(t, e.acme, admin.PermUsersRead),
		"key-other-rw":   e.apiKey(t, e.globex, admin.PermUsersRead, admin.PermUsersWrite, admin.PermLicenseRead, admin.PermAuditRead, admin.PermDevicesRead, admin.PermDevicesWrite),
		"key-license":    e.apiKey(t, e.acme, admin.PermLicenseRead),
		"key-audit":      e.apiKey(t, e.acme, admin.PermAuditRead),
		"key-no-scope":   e.apiKey(t, e.acme),
		"key-devices-rw": e.apiKey(t, e.acme, admin.PermDevicesRead, admin.PermDevicesWrite),
	}
	uid := acmeUser.User.ID
	leaver, revokee := e.user(t, e.acme, "Lee Leaver"), e.user(t, e.acme, "Rae Revoked")
	calls := []struct {
		name    string
		writes  bool
		allowed []string
		call    func(ctx context.Context) error
	}{
		{"list users", false, []string{"instance", "owner", "admin", "auditor", "group-admin", "key-users-rw", "key-users-r"},
			func(ctx context.Context) error {
				_, err := e.svc.Users(ctx, "acme", directory.UserFilter{})
				return err
			}},
		{"show user", false, []string{"instance", "owner", "admin", "auditor", "group-admin", "key-users-rw", "key-users-r"},
			func(ctx context.Context) error { _, err := e.svc.User(ctx, "acme", uid); return err }},
		{"create user", true, []string{"instance", "owner", "admin", "key-users-rw"},
			func(ctx context.Context) error {
				_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "New Person"})
				return err
			}},
		{"edit user", true, []string{"instance", "owner", "admin", "key-users-rw"},
			func(ctx context.Context) error {
				nick := "ada"
				_, err := e.svc.EditUser(ctx, "acme", uid, directory.ProfileChange{Nickname: &nick})
				return err
			}},
		{"reissue code", true, []string{"instance", "owner", "admin", "key-users-rw"},
			func(ctx context.Context) error { _, _, err := e.svc.ReissueCode(ctx, "acme", uid); return err }},
		{"list devices", false, []string{"instance", "owner", "admin", "auditor", "key-devices-rw"},
			func(ctx context.Context) error { _, err := e.svc.Devices(ctx, "acme", uid); return err }},
		{"show license", false, []string{"instance", "owner", "admin", "auditor", "key-license"},
			func(ctx context.Context) error { _, err := e.svc.License(ctx, "acme"); return err }},
		{"add license", true, []string{"instance"},
			func(ctx context.Context) error {
				_, err := e.svc.AddLicense(ctx, "acme", admin.LicenseSpec{Plan: "business", Seats: 5})
				return err
			}},
		{"suspend tenant", true, []string{"instance"},
			func(ctx context.Context) error { _, err := e.svc.SuspendTenant(ctx, "acme", false); return err }},
		{"create tenant", true, []string{"instance"},
			func(ctx context.Context) error {
				_, err := e.svc.CreateTenant(ctx, directory.TenantSpec{Name: "initech", Seats: 1})
				if err == nil {
					// Allowed once; the next allowed caller meets the name taken.
					_, _ = e.svc.SuspendTenant(e.root, "initech", true)
				}
				if errors.Is(err, directory.ErrTenantExists) {
					return nil
				}
				return err
			}},
		{"brand tenant", true, []string{"instance", "owner"},
			func(ctx context.Context) error {
				name := "ACME Corp"
				_, err := e.svc.Brand(ctx, "acme", &name, nil)
				return err
			}},
		{"show tenant", false, []string{"instance", "owner", "admin", "auditor", "group-admin"},
			func(ctx context.Context) error { _, err := e.svc.Tenant(ctx, "acme"); return err }},
		{"add domains", true, []string{"instance"},
			func(ctx context.Context) error {
				_, err := e.svc.AddDomains(ctx, "acme", []string{"acme.org"})
				return err
			}},
		{"start trial", true, []string{"instance"},
			func(ctx context.Context) error { _, err := e.svc.StartTrial(ctx, "acme"); return err }},
		{"change license", true, []string{"instance"},
			func(ctx context.Context) error {
				_, err := e.svc.ChangeLicense(ctx, "acme", "standard", admin.LicenseChange{AddSeats: 1})
				return err
			}},
		{"delete user (detach, repeatable)", true, []string{"instance", "owner", "admin", "key-users-rw"},
			func(ctx context.Context) error {
				_, err := e.svc.DeleteUser(ctx, "acme", leaver.User.ID, true, true)
				return err
			}},
		{"revoke user", false, []string{"instance", "owner", "admin", "key-users-rw"},
			func(ctx context.Context) error {
				_, err := e.svc.RevokeUser(ctx, "acme", revokee.User.ID)
				if errors.Is(err, directory.ErrRevoked) {
					return nil // an earlier allowed caller revoked it: this one passed the permission check too
				}
				return err
			}},
		{"remove device", false, []string{"instance", "owner", "admin", "key-devices-rw"},
			func(ctx context.Context) error {
				err := e.svc.RemoveDevice(ctx, "acme", uid, "SHA256:no-such-device")
				if errors.Is(err, directory.ErrDeviceNotFound) {
					return nil // past the permission check
				}
				return err
			}},
		{"audit list", false, []string{"instance", "owner", "admin", "auditor", "key-audit"},
			func(ctx context.Context) error { _, err := e.svc.Audit(ctx, "acme", audit.Filter{}); return err }},
		{"audit verify", false, []string{"instance", "owner", "admin", "auditor", "key-audit"},
			func(ctx context.Context) error { _, err := e.svc.VerifyAudit(ctx, "acme"); return err }},
	}
	for _, c := range calls {
		for name, ctx := range callers {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				before := e.auditCount(t)
				err := c.call(ctx)
				want := false
				for _, a := range c.allowed {
					want = want || a == name
				}
				switch {
				case want && err != nil:
					t.Fatalf("allowed caller refused: %v", err)
				case !want && !errors.Is(err, admin.ErrForbidden):
					t.Fatalf("err = %v, want ErrForbidden", err)
				case !want && e.auditCount(t) != before:
					t.Fatalf("a refused call wrote %d audit entries", e.auditCount(t)-before)
				case want && c.writes && e.auditCount(t) == before:
					t.Fatalf("an allowed change wrote no audit entry")
				}
			})
		}
	}
}

// TestTenantIsolation: a tenant's admin cannot tell another tenant's user
// from one that does not exist, and cannot reach it by naming its own
// tenant either.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	other := e.user(t, e.globex, "Gil Globex")
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	key := e.apiKey(t, e.acme, admin.APIScopes()...)
	for name, ctx := range map[string]context.Context{"owner": owner, "api key": key} {
		if _, err := e.svc.User(ctx, "acme", other.User.ID); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("%s: User(acme, globex's user) = %v, want not found", name, err)
		}
		if _, err := e.svc.DeleteUser(ctx, "acme", other.User.ID, false, false); err == nil {
			t.Errorf("%s: deleted another tenant's user", name)
		}
		if _, err := e.svc.Users(ctx, "globex", directory.UserFilter{}); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: Users(globex) = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.Users(ctx, "no-such-tenant", directory.UserFilter{}); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: Users(no-such-tenant) = %v, want ErrForbidden (no hint that it does not exist)", name, err)
		}
	}
	ts, err := e.svc.Tenants(owner)
	if err != nil || len(ts) != 1 || ts[0].ID != e.acme.ID {
		t.Errorf("Tenants(acme owner) = %v, %v; want acme alone", ts, err)
	}
	if _, err := e.svc.Tenants(e.as(t, "SHA256:stranger")); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("Tenants(stranger) = %v, want ErrForbidden", err)
	}
	u, err := e.svc.User(e.root, "globex", other.User.ID)
	if err != nil || u.Status != store.UserPending {
		t.Fatalf("globex's user changed: %+v, %v", u, err)
	}
}

// TestAllowsIsAuthorizesDecision: Allows, which the console greys actions
// out by, answers as the service decides when the action is taken — on
// the roles the store holds now, not those the session started with —
// and writes nothing.
func TestAllowsIsAuthorizesDecision(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	auditor := e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor")
	demoted := e.admin(t, e.acme, store.RoleOwner, "SHA256:demoted")
	e.admin(t, e.acme, store.RoleAuditor, "SHA256:demoted") // the session still holds the owner role
	key := e.apiKey(t, e.acme, admin.PermUsersRead, admin.PermUsersWrite)
	perms := []admin.Perm{admin.PermUsersRead, admin.PermUsersWrite, admin.PermAuditRead}
	before := e.auditCount(t)
	for _, c := range []struct {
		name string
		ctx  context.Context
		want map[admin.Perm]bool
	}{
		{"instance", e.root, map[admin.Perm]bool{admin.PermUsersRead: true, admin.PermUsersWrite: true, admin.PermAuditRead: true}},
		{"owner", owner, map[admin.Perm]bool{admin.PermUsersRead: true, admin.PermUsersWrite: true, admin.PermAuditRead: true}},
		{"auditor", auditor, map[admin.Perm]bool{admin.PermUsersRead: true, admin.PermUsersWrite: false, admin.PermAuditRead: true}},
		{"demoted", demoted, map[admin.Perm]bool{admin.PermUsersRead: true, admin.PermUsersWrite: false, admin.PermAuditRead: true}},
		{"api key", key, map[admin.Perm]bool{admin.PermUsersRead: true, admin.PermUsersWrite: true, admin.PermAuditRead: false}},
	} {
		got, err := e.svc.Allows(c.ctx, "acme", perms...)
		if err != nil {
			t.Fatalf("%s: Allows: %v", c.name, err)
		}
		for _, p := range perms {
			if got[p] != c.want[p] {
				t.Errorf("%s: Allows(%s) = %v, want %v", c.name, p, got[p], c.want[p])
			}
			// What Allows says is what the service does.
			_, err := e.svc.Users(c.ctx, "acme", directory.UserFilter{})
			if p == admin.PermUsersRead && (err == nil) != got[p] {
				t.Errorf("%s: Allows(users:read) = %v, but listing users: %v", c.name, got[p], err)
			}
		}
	}
	if _, err := e.svc.Allows(owner, "globex", admin.PermUsersRead); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("acme owner asking about globex: err %v, want ErrForbidden", err)
	}
	if got := e.auditCount(t); got != before {
		t.Errorf("Allows wrote %d audit entries", got-before)
	}
}
