package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// lastEntries returns the newest n audit entries of the whole log.
func (e *env) lastEntries(t testing.TB, n int) []store.AuditEntry {
	t.Helper()
	es, err := e.svc.Audit(e.root, "", audit.Filter{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// approvedExport has one key request an export and another approve it.
func (e *env) approvedExport(t testing.TB, requester, approver context.Context, kind string) store.Export {
	t.Helper()
	x, err := e.svc.RequestExport(requester, "acme", kind)
	if err != nil {
		t.Fatalf("RequestExport: %v", err)
	}
	if x, err = e.svc.ApproveExport(approver, "acme", x.ID); err != nil {
		t.Fatalf("ApproveExport: %v", err)
	}
	return x
}

func TestExportFourEyes(t *testing.T) {
	e := newEnv(t)
	e.user(t, e.acme, "Ada Acme")
	alice := e.admin(t, e.acme, store.RoleOwner, "SHA256:alice")
	bob := e.admin(t, e.acme, store.RoleAdmin, "SHA256:bob")

	x, err := e.svc.RequestExport(alice, "acme", admin.ExportKindUsers)
	if err != nil {
		t.Fatalf("RequestExport: %v", err)
	}
	if x.RequestedBy != "SHA256:alice" || x.Kind != "users" || x.TenantID != e.acme.ID || !x.ExpiresAt.Equal(e.clock.Now().Add(admin.ExportTTL)) ||
		admin.ExportState(x, e.clock.Now()) != admin.ExportPending {
		t.Fatalf("request = %+v", x)
	}
	if got := e.lastEntries(t, 1)[0]; got.Action != "export.request" || got.Target != x.ID || got.Actor != "SHA256:alice" {
		t.Errorf("audit entry %+v, want export.request by alice", got)
	}

	refused := []struct {
		name string
		call func() error
		want error
	}{
		{"the requester approves", func() error { _, err := e.svc.ApproveExport(alice, "acme", x.ID); return err }, admin.ErrForbidden},
		{"the requester uses it unapproved", func() error { return e.svc.ExportUsersCSV(alice, "acme", x.ID, &bytes.Buffer{}) }, admin.ErrConflict},
	}
	for _, r := range refused {
		before := e.auditCount(t)
		if err := r.call(); !errors.Is(err, r.want) {
			t.Errorf("%s: err = %v, want %v", r.name, err, r.want)
		}
		e.unchanged(t, before)
	}

	x, err = e.svc.ApproveExport(bob, "acme", x.ID)
	if err != nil {
		t.Fatalf("ApproveExport by another admin: %v", err)
	}
	if x.ApprovedBy != "SHA256:bob" || admin.ExportState(x, e.clock.Now()) != admin.ExportApproved {
		t.Fatalf("approved = %+v", x)
	}
	if got := e.lastEntries(t, 1)[0]; got.Action != "export.approve" || got.Actor != "SHA256:bob" {
		t.Errorf("audit entry %+v, want export.approve by bob", got)
	}

	refused = []struct {
		name string
		call func() error
		want error
	}{
		{"approved twice", func() error { _, err := e.svc.ApproveExport(e.root, "acme", x.ID); return err }, admin.ErrConflict},
		{"the approver uses it", func() error { return e.svc.ExportUsersCSV(bob, "acme", x.ID, &bytes.Buffer{}) }, admin.ErrForbidden},
		{"the instance admin uses it", func() error { return e.svc.ExportUsersCSV(e.root, "acme", x.ID, &bytes.Buffer{}) }, admin.ErrForbidden},
		{"used as the other kind", func() error { return e.svc.ExportAudit(alice, "acme", x.ID, &bytes.Buffer{}) }, admin.ErrInvalid},
	}
	for _, r := range refused {
		before := e.auditCount(t)
		if err := r.call(); !errors.Is(err, r.want) {
			t.Errorf("%s: err = %v, want %v", r.name, err, r.want)
		}
		e.unchanged(t, before)
	}

	var out bytes.Buffer
	if err := e.svc.ExportUsersCSV(alice, "acme", x.ID, &out); err != nil {
		t.Fatalf("ExportUsersCSV by the requester: %v", err)
	}
	if !strings.HasPrefix(out.String(), "id,name,first_name,last_name,nickname,email,category,tags,status\n") ||
		!strings.Contains(out.String(), ",Ada Acme,") {
		t.Errorf("export:\n%s", out.String())
	}
	if got := e.lastEntries(t, 1)[0]; got.Action != "export.use" || got.Actor != "SHA256:alice" || got.Target != x.ID {
		t.Errorf("audit entry %+v, want export.use by alice", got)
	}
	before := e.auditCount(t)
	if err := e.svc.ExportUsersCSV(alice, "acme", x.ID, &out); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("second use: err = %v, want ErrConflict", err)
	}
	e.unchanged(t, before)

	xs, err := e.svc.Exports(bob, "acme")
	if err != nil || len(xs) != 1 || admin.ExportState(xs[0], e.clock.Now()) != admin.ExportUsed {
		t.Errorf("Exports = %+v, %v; want one used export", xs, err)
	}
}

func TestExportExpiry(t *testing.T) {
	e := newEnv(t)
	alice := e.admin(t, e.acme, store.RoleOwner, "SHA256:alice")
	bob := e.admin(t, e.acme, store.RoleAuditor, "SHA256:bob")

	// Unapproved for a day: too late to approve.
	x, err := e.svc.RequestExport(alice, "acme", admin.ExportKindAudit)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(admin.ExportTTL)
	if _, err := e.svc.ApproveExport(bob, "acme", x.ID); !errors.Is(err, admin.ErrConflict) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("approve after a day: err = %v, want expired", err)
	}

	// Approved just in time, then the approval runs out a day later.
	x, err = e.svc.RequestExport(alice, "acme", admin.ExportKindAudit)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(admin.ExportTTL - time.Second)
	if _, err := e.svc.ApproveExport(bob, "acme", x.ID); err != nil {
		t.Fatalf("approve within the day: %v", err)
	}
	e.clock.Advance(admin.ExportTTL - time.Second)
	y := e.approvedExport(t, alice, bob, admin.ExportKindAudit)
	e.clock.Advance(time.Second)
	before := e.auditCount(t)
	if err := e.svc.ExportAudit(alice, "acme", x.ID, &bytes.Buffer{}); !errors.Is(err, admin.ErrConflict) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("use a day after approval: err = %v, want expired", err)
	}
	e.unchanged(t, before)
	if err := e.svc.ExportAudit(alice, "acme", y.ID, &bytes.Buffer{}); err != nil {
		t.Errorf("use a fresh approval: %v", err)
	}
	xs, err := e.svc.Exports(alice, "acme")
	if err != nil || len(xs) != 3 {
		t.Fatalf("Exports = %v, %v", xs, err)
	}
	var states []string
	for _, x := range xs {
		states = append(states, admin.ExportState(x, e.clock.Now()))
	}
	if got, want := strings.Join(states, " "), "expired expired used"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}
}

// TestExportPermissions: who may request, approve and list; API keys may
// do none of it, whatever their scopes; another tenant's admins see
// nothing.
func TestExportPermissions(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	callers := map[string]context.Context{
		"instance":    e.root,
		"admin":       e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin"),
		"auditor":     e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"),
		"group-admin": e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:groupadmin"),
		"other-owner": e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner"),
		"stranger":    e.as(t, "SHA256:stranger"),
		"key-all":     e.apiKey(t, e.acme, admin.PermExportRequest, admin.PermExportApprove, admin.PermUsersRead, admin.PermAuditRead),
	}
	allowed := map[string]bool{"instance": true, "admin": true, "auditor": true}
	for name, ctx := range callers {
		t.Run(name, func(t *testing.T) {
			x, err := e.svc.RequestExport(owner, "acme", admin.ExportKindUsers)
			if err != nil {
				t.Fatal(err)
			}
			before := e.auditCount(t)
			_, err = e.svc.ApproveExport(ctx, "acme", x.ID)
			if allowed[name] != (err == nil) || (err != nil && !errors.Is(err, admin.ErrForbidden)) {
				t.Errorf("ApproveExport: err = %v, allowed %t", err, allowed[name])
			}
			if err != nil {
				e.unchanged(t, before)
			}
			before = e.auditCount(t)
			_, err = e.svc.RequestExport(ctx, "acme", admin.ExportKindAudit)
			if allowed[name] != (err == nil) || (err != nil && !errors.Is(err, admin.ErrForbidden)) {
				t.Errorf("RequestExport: err = %v, allowed %t", err, allowed[name])
			}
			if err != nil {
				e.unchanged(t, before)
			}
			xs, err := e.svc.Exports(ctx, "acme")
			if allowed[name] != (err == nil) || (err != nil && !errors.Is(err, admin.ErrForbidden)) {
				t.Errorf("Exports: %d, err = %v, allowed %t", len(xs), err, allowed[name])
			}
		})
	}
	// globex's owner cannot reach acme's request through its own tenant either.
	x, err := e.svc.RequestExport(owner, "acme", admin.ExportKindUsers)
	if err != nil {
		t.Fatal(err)
	}
	globex := callers["other-owner"]
	if _, err := e.svc.ApproveExport(globex, "globex", x.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("approve acme's request as globex: err = %v, want ErrNotFound", err)
	}
	if xs, err := e.svc.Exports(globex, "globex"); err != nil || len(xs) != 0 {
		t.Errorf("globex's exports = %+v, %v; want none", xs, err)
	}
	if _, err := e.svc.RequestExport(owner, "acme", "passwords"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("kind passwords: err = %v, want ErrInvalid", err)
	}
	if _, err := e.svc.ApproveExport(e.root, "acme", "x00000000"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("unknown request: err = %v, want ErrNotFound", err)
	}
}

// TestExportAudit: the export holds the tenant's entries and only them,
// as JSON lines with the before and after documents as objects.
func TestExportAudit(t *testing.T) {
	e := newEnv(t)
	alice := e.admin(t, e.acme, store.RoleOwner, "SHA256:alice")
	bob := e.admin(t, e.acme, store.RoleAuditor, "SHA256:bob")
	ada := e.user(t, e.acme, "Ada Acme")
	e.user(t, e.globex, "Gil Globex")
	nick := "ada"
	if _, err := e.svc.EditUser(alice, "acme", ada.User.ID, directory.ProfileChange{Nickname: &nick}); err != nil {
		t.Fatal(err)
	}
	x := e.approvedExport(t, alice, bob, admin.ExportKindAudit)
	var out bytes.Buffer
	if err := e.svc.ExportAudit(alice, "acme", x.ID, &out); err != nil {
		t.Fatalf("ExportAudit: %v", err)
	}
	var lines []audit.JSONEntry
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l audit.JSONEntry
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	var actions []string
	for _, l := range lines {
		if l.TenantID != e.acme.ID {
			t.Errorf("an entry of another tenant: %+v", l)
		}
		actions = append(actions, l.Action)
	}
	if got, want := strings.Join(actions, " "), "tenant.create user.create user.edit export.request export.approve export.use"; got != want {
		t.Errorf("actions %q, want %q", got, want)
	}
	edit := lines[2]
	var before, after map[string]any
	if json.Unmarshal(edit.Before, &before) != nil || json.Unmarshal(edit.After, &after) != nil || after["nickname"] != "ada" ||
		before["name"] != "Ada Acme" || len(edit.Hash) != 64 {
		t.Errorf("user.edit entry: %+v", edit)
	}
}
