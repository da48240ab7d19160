package admin_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Finding 8 of issue 10: a demoted owner's open console kept owner rank
// for admin add/remove, because rank checks used the roles the session
// started with. The same principal (one context, as a console session
// keeps it) must lose the rank the moment the store says so.
func TestDemotedOwnerKeepsNoRankInOpenSession(t *testing.T) {
	e := newEnv(t)
	o1, o2 := newTestKey(t, "one"), newTestKey(t, "two")
	for _, k := range []testKey{o1, o2} {
		if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleOwner}); err != nil {
			t.Fatal(err)
		}
	}
	session := e.as(t, o1.fp) // taken once, while o1 is an owner

	// First call: o1 is an owner and may make owners.
	third := newTestKey(t, "three")
	if _, err := e.svc.AddAdmin(session, "acme", admin.AdminSpec{AuthorizedKey: third.line, Role: store.RoleOwner}); err != nil {
		t.Fatalf("owner adds an owner: %v", err)
	}

	// o2 demotes o1 to admin; o1's session object is unchanged.
	if _, err := e.svc.AddAdmin(e.as(t, o2.fp), "acme", admin.AdminSpec{AuthorizedKey: o1.line, Role: store.RoleAdmin}); err != nil {
		t.Fatalf("demote o1: %v", err)
	}
	before := e.auditCount(t)
	_, err := e.svc.AddAdmin(session, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: store.RoleOwner})
	if !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("demoted owner adds an owner: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.RemoveAdmin(session, "acme", o2.fp); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("demoted owner removes an owner: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.AddAdmin(session, "acme", admin.AdminSpec{AuthorizedKey: o2.line, Role: store.RoleAuditor}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("demoted owner demotes an owner: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Brand(session, "acme", new("Acme"), nil); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("demoted owner brands the tenant: err = %v, want ErrForbidden", err)
	}
	if got := e.auditCount(t); got != before {
		t.Errorf("refused calls wrote %d audit entries", got-before)
	}
	// Within its new rank it still may act, and the audit log labels it
	// with the role record it holds now.
	aud := newTestKey(t, "aud")
	if _, err := e.svc.AddAdmin(session, "acme", admin.AdminSpec{AuthorizedKey: aud.line, Role: store.RoleAuditor}); err != nil {
		t.Errorf("demoted owner (now admin) adds an auditor: %v", err)
	}
	if got := lastAudit(t, e); got.Action != "admin.add" || got.Actor != o1.fp {
		t.Errorf("last entry = %s by %s, want admin.add by %s", got.Action, got.Actor, o1.fp)
	}
	mine, err := e.svc.MyTenants(session)
	if err != nil || len(mine) != 1 || mine[0].Role != store.RoleAdmin {
		t.Errorf("MyTenants = %+v, %v; want acme as admin", mine, err)
	}

	// Removed altogether: nothing is left, not even the tenant's name.
	if _, err := e.svc.RemoveAdmin(e.as(t, o2.fp), "acme", o1.fp); err != nil {
		t.Fatalf("remove o1: %v", err)
	}
	if _, err := e.svc.AddAdmin(session, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: store.RoleAuditor}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("removed owner adds an auditor: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Users(session, "acme", directory.UserFilter{}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("removed owner lists users: err = %v, want ErrForbidden", err)
	}
	if e.svc.IsAdmin(session) {
		t.Error("IsAdmin of a removed owner's session = true")
	}
	if mine, err := e.svc.MyTenants(session); err != nil || len(mine) != 0 {
		t.Errorf("MyTenants of a removed owner = %+v, %v; want none", mine, err)
	}
	if _, err := e.svc.EnrolTOTP(session); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("removed owner enrols TOTP: err = %v, want ErrForbidden", err)
	}
}

// Finding 6 of issue 10: an API key outlived its creator's power. Its
// scopes are checked against what its creator may do now, at every call,
// and a refusal on the creator's account is in the audit log.
func TestAPIKeyOutlivesItsCreatorsPower(t *testing.T) {
	e := newEnv(t)
	owner, other := newTestKey(t, "owner"), newTestKey(t, "other")
	for _, k := range []testKey{owner, other} {
		if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleOwner}); err != nil {
			t.Fatal(err)
		}
	}
	nk, err := e.svc.CreateAPIKey(e.as(t, owner.fp), "acme", []string{"users:write", "users:read", "audit:read"}, "HR sync")
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.svc.AuthenticateAPIKey(t.Context(), nk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := withPrincipal(t, key)
	if _, err := e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Ada"}); err != nil {
		t.Fatalf("key of an owner creates a user: %v", err)
	}

	// Demoted to auditor: the key keeps users:read and audit:read (an
	// auditor holds them) and loses users:write.
	if _, err := e.svc.AddAdmin(e.as(t, other.fp), "acme", admin.AdminSpec{AuthorizedKey: owner.line, Role: store.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	before := e.auditCount(t)
	_, err = e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Bo"})
	if !errors.Is(err, admin.ErrForbidden) || !strings.Contains(err.Error(), "no longer holds scope users:write") {
		t.Errorf("key of a demoted creator creates a user: err = %v, want ErrForbidden naming the scope", err)
	}
	if got := e.auditCount(t); got != before+1 {
		t.Fatalf("the refusal wrote %d audit entries, want 1", got-before)
	}
	checkRefusal(t, lastAudit(t, e), nk.Key.ID, e.acme.ID, "users:write", "creator_lost_scope")
	if us, err := e.svc.Users(ctx, "", directory.UserFilter{}); err != nil || len(us) != 1 {
		t.Errorf("key of an auditor lists users: %d users, %v; want 1, nil", len(us), err)
	}
	if got, err := e.svc.EffectiveScopes(ctx); err != nil || strings.Join(got, " ") != "users:read audit:read" {
		t.Errorf("EffectiveScopes = %v, %v; want users:read audit:read", got, err)
	}

	// Removed: the key refuses everything, even reads its scopes name.
	if _, err := e.svc.RemoveAdmin(e.as(t, other.fp), "acme", owner.fp); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"create user": func() error { _, err := e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Cy"}); return err },
		"list users":  func() error { _, err := e.svc.Users(ctx, "", directory.UserFilter{}); return err },
		"list audit":  func() error { _, err := e.svc.Audit(ctx, "", audit.Filter{}); return err },
		"tenant":      func() error { _, err := e.svc.APIKeyTenant(ctx); return err },
	} {
		if err := call(); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s with a key whose creator is gone: err = %v, want ErrForbidden", name, err)
		}
	}
	checkRefusal(t, lastAudit(t, e), nk.Key.ID, e.acme.ID, "", "creator_gone")
	if got, err := e.svc.EffectiveScopes(ctx); err != nil || len(got) != 0 {
		t.Errorf("EffectiveScopes = %v, %v; want none", got, err)
	}

	// Given a role back, the key works again: power is the creator's now.
	if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: owner.line, Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Dee"}); err != nil {
		t.Errorf("key of a creator who is an admin again creates a user: %v", err)
	}
	if got := lastAudit(t, e); got.Action != "user.create" || got.Actor != "apikey:"+nk.Key.ID {
		t.Errorf("last entry = %s by %s, want user.create by the key", got.Action, got.Actor)
	}
}

// A key that repeats a refused call writes one audit entry per minute for
// its kind of refusal, not one per call; the next counts those left out.
func TestRepeatedAPIKeyRefusalsDoNotFloodTheAudit(t *testing.T) {
	e := newEnv(t)
	owner, other := newTestKey(t, "owner"), newTestKey(t, "other")
	for _, k := range []testKey{owner, other} {
		if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: k.line, Role: store.RoleOwner}); err != nil {
			t.Fatal(err)
		}
	}
	nk, err := e.svc.CreateAPIKey(e.as(t, owner.fp), "acme", []string{"users:write"}, "HR sync")
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.svc.AuthenticateAPIKey(t.Context(), nk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := withPrincipal(t, key)
	if _, err := e.svc.AddAdmin(e.as(t, other.fp), "acme", admin.AdminSpec{AuthorizedKey: owner.line, Role: store.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	before := e.auditCount(t)
	for range 50 {
		if _, err := e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Bo"}); !errors.Is(err, admin.ErrForbidden) {
			t.Fatalf("refused call: err = %v, want ErrForbidden", err)
		}
	}
	if got := e.auditCount(t); got != before+1 {
		t.Fatalf("50 refusals within a minute wrote %d audit entries, want 1", got-before)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.CreateUser(ctx, "", directory.UserSpec{Name: "Bo"}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("refused call: err = %v, want ErrForbidden", err)
	}
	last := lastAudit(t, e)
	checkRefusal(t, last, nk.Key.ID, e.acme.ID, "users:write", "creator_lost_scope")
	var doc struct {
		Skipped int `json:"refused_since_last_entry"`
	}
	if err := json.Unmarshal(last.After, &doc); err != nil || doc.Skipped != 49 {
		t.Fatalf("the minute's entry counts %d refusals left out (%v), want 49", doc.Skipped, err)
	}
}

// checkRefusal checks an apikey.refuse entry (scope "": any scope).
func checkRefusal(t *testing.T, got store.AuditEntry, kid, tenantID, scope, reason string) {
	t.Helper()
	if got.Action != "apikey.refuse" || got.Actor != "apikey:"+kid || got.Target != kid || got.TenantID != tenantID {
		t.Fatalf("entry = %s by %s on %s in %s, want apikey.refuse by the key on itself in its tenant",
			got.Action, got.Actor, got.Target, got.TenantID)
	}
	var doc struct{ Result, Scope, Reason string }
	if err := json.Unmarshal(got.After, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Result != "refused" || doc.Reason != reason || (scope != "" && doc.Scope != scope) {
		t.Errorf("refusal = %+v, want refused %s for %s", doc, scope, reason)
	}
}

// Finding 9 of issue 10: tenant names could be probed, as policy set
// parley_cross_tenant NAME said "no tenant is named X" for a missing one.
// A tenant's admin gets the same answer whether a tenant it cannot see
// exists or not; only instance admins, who see every tenant, are told.
func TestTenantNamesCannotBeProbedThroughPolicies(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	for _, name := range []string{"globex", "umbrella"} {
		v, err := e.svc.SetPolicy(owner, "acme", nil, policy.CrossTenant, name)
		if err != nil || v.Raw != name || v.Source != policy.SourceGlobal {
			t.Errorf("owner lists %s: %+v, %v; want it set like any name", name, v, err)
		}
		if got := lastAudit(t, e); got.Action != "policy.set" {
			t.Errorf("listing %s: last entry %s, want policy.set", name, got.Action)
		}
	}
	csv := "user,key,value\n," + policy.CrossTenant + ",initech\n"
	if _, err := e.svc.ImportPoliciesCSV(owner, "acme", strings.NewReader(csv)); err != nil {
		t.Errorf("owner imports a missing tenant's name: %v", err)
	}
	_, err := e.svc.SetPolicy(e.root, "acme", nil, policy.CrossTenant, "initech")
	if !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), `no tenant is named "initech"`) {
		t.Errorf("instance admin lists a missing tenant: %v, want it told", err)
	}
	// Listing itself is still refused: its own name is no secret.
	if _, err := e.svc.SetPolicy(owner, "acme", nil, policy.CrossTenant, "acme"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("owner lists its own tenant: %v, want ErrInvalid", err)
	}
}

// Finding 7 of issue 10: the four-eyes rule protected nothing, as an
// auditor could list the whole audit log and every user in one call — the
// data an approved export holds. Lists are pages of at most 100, whatever
// the caller asks; the whole dump needs an approved export.
func TestBulkReadsArePagedNotDumped(t *testing.T) {
	e := newEnv(t)
	big, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: "big", Seats: 200, Domains: []string{"big.example"}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 150
	for i := range n {
		if _, err := e.svc.CreateUser(e.root, "big", directory.UserSpec{Name: fmt.Sprintf("User %03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	auditor := e.admin(t, big, store.RoleAuditor, "SHA256:auditor")

	for _, limit := range []int{0, audit.NoLimit, 1000} {
		es, err := e.svc.Audit(auditor, "big", audit.Filter{Limit: limit})
		if err != nil || len(es) != audit.MaxLimit {
			t.Errorf("Audit(limit %d) = %d entries, %v; want a page of %d", limit, len(es), err, audit.MaxLimit)
		}
	}
	// Paging backwards walks the tenant's log, in its own numbers.
	var seen []uint64
	for before := uint64(0); ; {
		es, err := e.svc.Audit(auditor, "big", audit.Filter{Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for i := len(es) - 1; i >= 0; i-- {
			seen = append(seen, es[i].Seq)
		}
		before = es[0].Seq
		if before == 1 {
			break
		}
	}
	if len(seen) != n+1 || seen[0] != n+1 || seen[len(seen)-1] != 1 { // tenant.create and the users
		t.Errorf("paging back saw %d entries, %d to %d; want %d, from %d to 1", len(seen), seen[0], seen[len(seen)-1], n+1, n+1)
	}

	us, next, err := e.svc.UsersPage(auditor, "big", directory.UserFilter{}, admin.UserPage{Limit: 1000})
	if err != nil || len(us) != admin.MaxUserPage || next != us[len(us)-1].ID {
		t.Fatalf("UsersPage = %d users, next %s, %v; want a page of %d", len(us), next, err, admin.MaxUserPage)
	}
	rest, last, err := e.svc.UsersPage(auditor, "big", directory.UserFilter{}, admin.UserPage{After: next})
	if err != nil || len(rest) != n-admin.MaxUserPage || !last.IsZero() || rest[0].Name != "User 100" {
		t.Errorf("second page = %d users, next %s, %v; want the other %d from User 100", len(rest), last, err, n-admin.MaxUserPage)
	}
	if first, err := e.svc.Users(auditor, "big", directory.UserFilter{}); err != nil || len(first) != admin.MaxUserPage {
		t.Errorf("Users = %d users, %v; want the first page", len(first), err)
	}
	// The whole list in one go is an export, and needs another admin's
	// approval.
	var buf strings.Builder
	if err := e.svc.ExportUsersCSV(auditor, "big", "x-none", &buf); err == nil {
		t.Error("an export without an approved request succeeded")
	}
}
