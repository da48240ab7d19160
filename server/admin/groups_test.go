package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// mustGroup creates a managed group as the instance admin.
func mustGroup(t testing.TB, e *env, tenant store.Tenant, name string) store.Group {
	t.Helper()
	g, err := e.svc.CreateGroup(e.root, tenant.Name, name)
	if err != nil {
		t.Fatalf("CreateGroup(%q): %v", name, err)
	}
	return g
}

// storedGroup reads a group straight from the store.
func storedGroup(t testing.TB, e *env, g store.Group) (store.Group, bool) {
	t.Helper()
	var out store.Group
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = tx.Group(g.TenantID, g.ID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return out, true
}

// lastEntry returns the newest audit entry.
func lastEntry(t testing.TB, e *env) store.AuditEntry {
	t.Helper()
	var last store.AuditEntry
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		return tx.Audit(0, func(a store.AuditEntry, _, _ []byte) bool { last = a; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// groupOf decodes a group from an audit entry's before or after.
func groupOf(t testing.TB, raw []byte) store.Group {
	t.Helper()
	var g store.Group
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("audit group %q: %v", raw, err)
	}
	return g
}

func memberIDs(us ...admin.NewUser) []crypto.ID {
	out := make([]crypto.ID, len(us))
	for i, u := range us {
		out[i] = u.User.ID
	}
	return out
}

// TestGroupPermissions runs every group and statistics call as every kind
// of caller: who may, that a refusal is ErrForbidden, and that a refused
// call writes nothing.
func TestGroupPermissions(t *testing.T) {
	e := newEnv(t)
	sales, ops := mustGroup(t, e, e.acme, "Sales"), mustGroup(t, e, e.acme, "Operations")
	mustGroup(t, e, e.globex, "Globex Sales")
	ada := e.user(t, e.acme, "Ada Acme")
	callers := map[string]context.Context{
		"instance":       e.root,
		"owner":          e.admin(t, e.acme, store.RoleOwner, "SHA256:owner"),
		"admin":          e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin"),
		"auditor":        e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"),
		"ga-sales":       e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga", sales.ID),
		"ga-ops":         e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga-ops", ops.ID),
		"other-owner":    e.admin(t, e.globex, store.RoleOwner, "SHA256:globex-owner"),
		"other-ga":       e.admin(t, e.globex, store.RoleGroupAdmin, "SHA256:globex-ga", sales.ID),
		"stranger":       e.as(t, "SHA256:stranger"),
		"key-groups-rw":  e.apiKey(t, e.acme, admin.PermGroupsRead, admin.PermGroupsWrite, admin.PermGroupMembers),
		"key-groups-r":   e.apiKey(t, e.acme, admin.PermGroupsRead),
		"key-members":    e.apiKey(t, e.acme, admin.PermGroupMembers),
		"key-stats":      e.apiKey(t, e.acme, admin.PermStatsRead),
		"key-other-all":  e.apiKey(t, e.globex, admin.APIScopes()...),
		"key-no-scope":   e.apiKey(t, e.acme),
		"user-no-admins": e.as(t, "SHA256:nobody"),
	}
	readers := []string{"instance", "owner", "admin", "auditor", "key-groups-rw", "key-groups-r"}
	writers := []string{"instance", "owner", "admin", "key-groups-rw"}
	members := []string{"instance", "owner", "admin", "ga-sales", "key-groups-rw", "key-members"}
	var tmp store.Group
	calls := []struct {
		name    string
		allowed []string
		setup   func(t *testing.T)
		call    func(ctx context.Context, caller string) error
	}{
		{"list groups", append(slices.Clone(readers), "ga-sales", "ga-ops"), nil,
			func(ctx context.Context, _ string) error { _, err := e.svc.Groups(ctx, "acme"); return err }},
		{"show sales", append(slices.Clone(readers), "ga-sales"), nil,
			func(ctx context.Context, _ string) error { _, err := e.svc.Group(ctx, "acme", "sales"); return err }},
		{"create group", writers, nil,
			func(ctx context.Context, caller string) error {
				_, err := e.svc.CreateGroup(ctx, "acme", "New "+caller)
				return err
			}},
		{"rename group", writers, nil,
			func(ctx context.Context, caller string) error {
				_, err := e.svc.RenameGroup(ctx, "acme", ops.ID, "Ops "+caller)
				return err
			}},
		{"delete group", writers,
			func(t *testing.T) {
				if _, left := storedGroup(t, e, tmp); left { // a refused caller left it
					return
				}
				tmp = mustGroup(t, e, e.acme, "Doomed")
			},
			func(ctx context.Context, _ string) error {
				_, err := e.svc.DeleteGroup(ctx, "acme", tmp.ID)
				return err
			}},
		{"add member", members,
			func(t *testing.T) {
				if g, _ := storedGroup(t, e, sales); slices.Contains(g.Members, ada.User.ID) {
					if _, err := e.svc.RemoveGroupMembers(e.root, "acme", sales.ID, memberIDs(ada)); err != nil {
						t.Fatal(err)
					}
				}
			},
			func(ctx context.Context, _ string) error {
				_, err := e.svc.AddGroupMembers(ctx, "acme", sales.ID, memberIDs(ada))
				return err
			}},
		{"remove member", members,
			func(t *testing.T) {
				if _, err := e.svc.AddGroupMembers(e.root, "acme", sales.ID, memberIDs(ada)); err != nil {
					t.Fatal(err)
				}
			},
			func(ctx context.Context, _ string) error {
				_, err := e.svc.RemoveGroupMembers(ctx, "acme", sales.ID, memberIDs(ada))
				return err
			}},
		{"add member to another's group", []string{"instance", "owner", "admin", "ga-ops", "key-groups-rw", "key-members"},
			func(t *testing.T) {
				if g, _ := storedGroup(t, e, ops); slices.Contains(g.Members, ada.User.ID) {
					if _, err := e.svc.RemoveGroupMembers(e.root, "acme", ops.ID, memberIDs(ada)); err != nil {
						t.Fatal(err)
					}
				}
			},
			func(ctx context.Context, _ string) error {
				_, err := e.svc.AddGroupMembers(ctx, "acme", ops.ID, memberIDs(ada))
				return err
			}},
		{"stats", []string{"instance", "owner", "admin", "auditor", "key-stats"}, nil,
			func(ctx context.Context, _ string) error { _, err := e.svc.Stats(ctx, "acme", 7); return err }},
	}
	for _, c := range calls {
		for name, ctx := range callers {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				if c.setup != nil {
					c.setup(t)
				}
				before := e.auditCount(t)
				err := c.call(ctx, name)
				if slices.Contains(c.allowed, name) {
					if err != nil {
						t.Fatalf("allowed caller: %v", err)
					}
					return
				}
				if !errors.Is(err, admin.ErrForbidden) {
					t.Fatalf("err = %v, want ErrForbidden", err)
				}
				if got := e.auditCount(t); got != before {
					t.Errorf("a refused call wrote %d audit entries", got-before)
				}
			})
		}
	}
}

// TestGroupLifecycle creates, finds, renames and deletes a group, with an
// audit entry (before → after) for each change.
func TestGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	g, err := e.svc.CreateGroup(owner, "acme", "  Sales Team ")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Sales Team" || g.TenantID != e.acme.ID || len(g.ID) != 9 || !strings.HasPrefix(g.ID, "g") || len(g.Members) != 0 {
		t.Fatalf("created %+v", g)
	}
	if a := lastEntry(t, e); a.Action != "group.create" || a.Target != g.ID || a.TenantID != e.acme.ID || a.Before != nil ||
		!cmp.Equal(groupOf(t, a.After), g) || a.Actor != "SHA256:owner" {
		t.Errorf("audit entry %+v", a)
	}
	for _, ref := range []string{g.ID, "sales team", "SALES TEAM", " Sales Team "} {
		got, err := e.svc.Group(owner, "acme", ref)
		if err != nil || got.ID != g.ID {
			t.Errorf("Group(%q) = %+v, %v; want %s", ref, got, err, g.ID)
		}
	}
	ops := mustGroup(t, e, e.acme, "Ops")
	all, err := e.svc.Groups(owner, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := []string{all[0].Name, all[1].Name}, []string{"Ops", "Sales Team"}; len(all) != 2 || !slices.Equal(got, want) {
		t.Errorf("Groups: got %v, want %v (by name)", got, want)
	}

	renamed, err := e.svc.RenameGroup(owner, "acme", "sales team", "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if renamed.ID != g.ID || renamed.Name != "Sales" {
		t.Fatalf("renamed %+v", renamed)
	}
	if a := lastEntry(t, e); a.Action != "group.rename" || groupOf(t, a.Before).Name != "Sales Team" || groupOf(t, a.After).Name != "Sales" {
		t.Errorf("audit entry %s: %s → %s", a.Action, a.Before, a.After)
	}
	// A new spelling of its own name is allowed; the same name is no change.
	if r, err := e.svc.RenameGroup(owner, "acme", g.ID, "SALES"); err != nil || r.Name != "SALES" {
		t.Fatalf("rename to another case: %+v, %v", r, err)
	}
	n := e.auditCount(t)
	if _, err := e.svc.RenameGroup(owner, "acme", g.ID, "SALES"); err != nil {
		t.Fatal(err)
	}
	if got := e.auditCount(t); got != n {
		t.Errorf("a rename to the same name wrote %d audit entries", got-n)
	}

	deleted, err := e.svc.DeleteGroup(owner, "acme", "sales")
	if err != nil || deleted.ID != g.ID {
		t.Fatalf("delete: %+v, %v", deleted, err)
	}
	if a := lastEntry(t, e); a.Action != "group.delete" || a.Target != g.ID || groupOf(t, a.Before).ID != g.ID || a.After != nil {
		t.Errorf("audit entry %+v", a)
	}
	if _, err := e.svc.Group(owner, "acme", g.ID); !errors.Is(err, admin.ErrNotFound) || !errors.Is(err, admin.ErrGroupNotFound) {
		t.Errorf("deleted group: err = %v, want ErrGroupNotFound", err)
	}
	if all, _ := e.svc.Groups(owner, "acme"); len(all) != 1 || all[0].ID != ops.ID {
		t.Errorf("after delete: %+v", all)
	}
}

// TestGroupNames: bad and taken names are refused and change nothing.
func TestGroupNames(t *testing.T) {
	e := newEnv(t)
	sales := mustGroup(t, e, e.acme, "Sales")
	ops := mustGroup(t, e, e.acme, "Ops")
	mustGroup(t, e, e.globex, "Marketing")
	cases := []struct {
		name, want string
		err        error
	}{
		{"", "group name is empty", admin.ErrInvalid},
		{"   ", "group name is empty", admin.ErrInvalid},
		{"Red\x1b[31m", "control characters", admin.ErrInvalid},
		{"Tab\tbed", "control characters", admin.ErrInvalid},
		{"evil\u202Egnp.exe", "control characters", admin.ErrInvalid},
		{strings.Repeat("x", directory.MaxNameLen+1), "longer than 100", admin.ErrInvalid},
		{"gdeadbeef", "looks like a group ID", admin.ErrInvalid},
		{"sales", `already has a group named "Sales"`, admin.ErrConflict},
		{" SALES ", `already has a group named "Sales"`, admin.ErrConflict},
		{sales.ID, "looks like a group ID", admin.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.name), func(t *testing.T) {
			n := e.auditCount(t)
			_, cerr := e.svc.CreateGroup(e.root, "acme", c.name)
			_, rerr := e.svc.RenameGroup(e.root, "acme", ops.ID, c.name)
			for verb, err := range map[string]error{"create": cerr, "rename": rerr} {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: err = %v, want %v with %q", verb, err, c.err, c.want)
				}
			}
			if got := e.auditCount(t); got != n {
				t.Errorf("refused names wrote %d audit entries", got-n)
			}
		})
	}
	// Another tenant's names do not count; a name that long is fine.
	if _, err := e.svc.CreateGroup(e.root, "acme", "marketing"); err != nil {
		t.Errorf("a name another tenant uses: %v", err)
	}
	if _, err := e.svc.CreateGroup(e.root, "acme", strings.Repeat("ü", directory.MaxNameLen)); err != nil {
		t.Errorf("a name of %d characters: %v", directory.MaxNameLen, err)
	}
	if g, _ := storedGroup(t, e, ops); g.Name != "Ops" {
		t.Errorf("refused renames changed the name to %q", g.Name)
	}
	for _, ref := range []string{"", "Nope", "gdeadbeef"} {
		if _, err := e.svc.RenameGroup(e.root, "acme", ref, "Fine"); !errors.Is(err, admin.ErrInvalid) && !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("rename %q: err = %v, want invalid or not found", ref, err)
		}
	}
}

// TestGroupMembers adds and removes members: all or nothing, with clear
// errors naming the offending ID, and an audit entry for each change.
func TestGroupMembers(t *testing.T) {
	e := newEnv(t)
	sales, ops := mustGroup(t, e, e.acme, "Sales"), mustGroup(t, e, e.acme, "Ops")
	ada, bob, cy := e.user(t, e.acme, "Ada Acme"), e.user(t, e.acme, "Bob Acme"), e.user(t, e.acme, "Cy Acme")
	active := e.activeUser(t, e.acme, directory.UserSpec{Name: "Dee Active"}, "SHA256:dee")
	revoked, left := e.user(t, e.acme, "Rae Revoked"), e.user(t, e.acme, "Lee Leaver")
	if _, err := e.svc.RevokeUser(e.root, "acme", revoked.User.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeleteUser(e.root, "acme", left.User.ID, true, true); err != nil {
		t.Fatal(err)
	}
	stranger := e.user(t, e.globex, "Gil Globex")
	nobody, _ := crypto.ParseID("NOBODY00")

	g, err := e.svc.AddGroupMembers(e.root, "acme", "sales", append(memberIDs(ada, bob, ada), active.ID))
	if err != nil {
		t.Fatal(err)
	}
	want := []crypto.ID{ada.User.ID, bob.User.ID, active.ID}
	if !slices.Equal(g.Members, want) {
		t.Fatalf("members %v, want %v (each once, in order)", g.Members, want)
	}
	if a := lastEntry(t, e); a.Action != "group.members.add" || a.Target != sales.ID || len(groupOf(t, a.Before).Members) != 0 ||
		!slices.Equal(groupOf(t, a.After).Members, want) {
		t.Errorf("audit entry %s %s: %s → %s", a.Action, a.Target, a.Before, a.After)
	}
	// Adding members already there changes nothing and records nothing.
	n := e.auditCount(t)
	if g, err := e.svc.AddGroupMembers(e.root, "acme", sales.ID, memberIDs(bob)); err != nil || !slices.Equal(g.Members, want) {
		t.Fatalf("adding an existing member: %v, %v", g.Members, err)
	}
	if got := e.auditCount(t); got != n {
		t.Errorf("a no-op add wrote %d audit entries", got-n)
	}
	// A user may be in many groups.
	if _, err := e.svc.AddGroupMembers(e.root, "acme", "ops", memberIDs(ada)); err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name     string
		add      bool
		ids      []crypto.ID
		err      error
		contains string
	}{
		{"unknown ID", true, []crypto.ID{cy.User.ID, nobody}, admin.ErrInvalid, "NOBODY00 is not a user of this tenant"},
		{"another tenant's user", true, []crypto.ID{cy.User.ID, stranger.User.ID}, admin.ErrInvalid,
			stranger.User.ID.String() + " is not a user of this tenant"},
		{"revoked user", true, []crypto.ID{revoked.User.ID}, admin.ErrInvalid, revoked.User.ID.String() + " (Rae Revoked) was revoked"},
		{"user who left", true, []crypto.ID{left.User.ID}, admin.ErrInvalid, "(Lee Leaver) has left the tenant"},
		{"no IDs", true, nil, admin.ErrInvalid, "name at least one member"},
		{"remove a non-member", false, []crypto.ID{ada.User.ID, cy.User.ID}, admin.ErrInvalid,
			cy.User.ID.String() + " is not a member of Sales"},
		{"remove an unknown ID", false, []crypto.ID{nobody}, admin.ErrInvalid, "NOBODY00 is not a member of Sales"},
		{"remove none", false, []crypto.ID{}, admin.ErrInvalid, "name at least one member"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			n := e.auditCount(t)
			var err error
			if c.add {
				_, err = e.svc.AddGroupMembers(e.root, "acme", "Sales", c.ids)
			} else {
				_, err = e.svc.RemoveGroupMembers(e.root, "acme", "Sales", c.ids)
			}
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.contains) {
				t.Fatalf("err = %v, want %v with %q", err, c.err, c.contains)
			}
			if g, _ := storedGroup(t, e, sales); !slices.Equal(g.Members, want) {
				t.Errorf("members changed to %v, want %v", g.Members, want)
			}
			if got := e.auditCount(t); got != n {
				t.Errorf("a refused change wrote %d audit entries", got-n)
			}
		})
	}
	if _, err := e.svc.AddGroupMembers(e.root, "acme", "Nope", memberIDs(ada)); !errors.Is(err, admin.ErrGroupNotFound) ||
		!strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("unknown group: err = %v, want ErrGroupNotFound naming it", err)
	}

	g, err = e.svc.RemoveGroupMembers(e.root, "acme", sales.ID, memberIDs(ada, ada))
	if err != nil {
		t.Fatal(err)
	}
	if want := []crypto.ID{bob.User.ID, active.ID}; !slices.Equal(g.Members, want) {
		t.Errorf("after removal: %v, want %v", g.Members, want)
	}
	if a := lastEntry(t, e); a.Action != "group.members.remove" || len(groupOf(t, a.Before).Members) != 3 || len(groupOf(t, a.After).Members) != 2 {
		t.Errorf("audit entry %s: %s → %s", a.Action, a.Before, a.After)
	}
	// The other group keeps its member.
	if o, _ := storedGroup(t, e, ops); !slices.Equal(o.Members, memberIDs(ada)) {
		t.Errorf("ops members %v, want Ada", o.Members)
	}
}

// TestGroupMemberLimit: a group holds at most 1,250 members; a batch that
// would pass the limit is refused whole.
func TestGroupMemberLimit(t *testing.T) {
	e := newEnv(t)
	g := mustGroup(t, e, e.acme, "Everyone")
	all := make([]crypto.ID, admin.MaxGroupMembers+2)
	err := e.db.Update(t.Context(), func(tx store.Tx) error {
		for i := range all {
			id, err := crypto.ParseID(fmt.Sprintf("M%07d", i))
			if err != nil {
				return err
			}
			all[i] = id
			u := store.User{ID: id, TenantID: e.acme.ID, Name: "Member " + id.String(), Status: store.UserPending, CreatedAt: e.clock.Now()}
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddGroupMembers(e.root, "acme", g.ID, all); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "1250") {
		t.Errorf("a batch above the limit: err = %v, want ErrInvalid naming 1250", err)
	}
	if _, err := e.svc.AddGroupMembers(e.root, "acme", g.ID, all[:admin.MaxGroupMembers-1]); err != nil {
		t.Fatal(err)
	}
	n := e.auditCount(t)
	_, err = e.svc.AddGroupMembers(e.root, "acme", g.ID, all[admin.MaxGroupMembers-1:])
	if !errors.Is(err, admin.ErrConflict) || !strings.Contains(err.Error(), "at most 1250 members") {
		t.Errorf("two more than fit: err = %v, want ErrConflict naming the limit", err)
	}
	if s, _ := storedGroup(t, e, g); len(s.Members) != admin.MaxGroupMembers-1 || e.auditCount(t) != n {
		t.Errorf("a refused batch changed the group: %d members, %d audit entries", len(s.Members), e.auditCount(t)-n)
	}
	// Members already in the group do not count twice.
	full, err := e.svc.AddGroupMembers(e.root, "acme", g.ID, all[admin.MaxGroupMembers-3:admin.MaxGroupMembers])
	if err != nil || len(full.Members) != admin.MaxGroupMembers {
		t.Fatalf("filling the group: %d members, %v", len(full.Members), err)
	}
	if _, err := e.svc.AddGroupMembers(e.root, "acme", g.ID, all[admin.MaxGroupMembers:]); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("a full group: err = %v, want ErrConflict", err)
	}
}

// TestGroupAdminScope: a group admin lists, sees and changes the members
// of its own groups only, decided on the groups the store holds now.
func TestGroupAdminScope(t *testing.T) {
	e := newEnv(t)
	sales, ops := mustGroup(t, e, e.acme, "Sales"), mustGroup(t, e, e.acme, "Ops")
	mustGroup(t, e, e.acme, "Board")
	ada := e.user(t, e.acme, "Ada Acme")
	ga := e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga", sales.ID)

	gs, err := e.svc.Groups(ga, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || gs[0].ID != sales.ID {
		t.Errorf("a group admin lists %+v, want only Sales", gs)
	}
	if _, err := e.svc.Group(ga, "acme", "sales"); err != nil {
		t.Errorf("own group: %v", err)
	}
	for _, ref := range []string{"Ops", ops.ID, "Nope"} {
		if _, err := e.svc.Group(ga, "acme", ref); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("Group(%q): err = %v, want ErrForbidden (whether it exists or not)", ref, err)
		}
	}
	if _, err := e.svc.AddGroupMembers(ga, "acme", "Sales", memberIDs(ada)); err != nil {
		t.Fatalf("own group: %v", err)
	}
	n := e.auditCount(t)
	if _, err := e.svc.AddGroupMembers(ga, "acme", "Ops", memberIDs(ada)); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("another group: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.RemoveGroupMembers(ga, "acme", "Sales", memberIDs(ada)); err != nil {
		t.Errorf("remove from own group: %v", err)
	}
	if _, err := e.svc.CreateGroup(ga, "acme", "Mine"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("create: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.RenameGroup(ga, "acme", "Sales", "Mine"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("rename own group: err = %v, want ErrForbidden", err)
	}
	if _, err := e.svc.DeleteGroup(ga, "acme", "Sales"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("delete own group: err = %v, want ErrForbidden", err)
	}
	if got := e.auditCount(t); got != n+1 {
		t.Errorf("audit entries: got %d, want 1 (the removal)", got-n)
	}
	if o, _ := storedGroup(t, e, ops); len(o.Members) != 0 {
		t.Errorf("ops members %v", o.Members)
	}

	// Moved to Ops by an owner: the open session follows the store at once.
	e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga", ops.ID)
	if _, err := e.svc.AddGroupMembers(ga, "acme", "Ops", memberIDs(ada)); err != nil {
		t.Errorf("the new group: %v", err)
	}
	if _, err := e.svc.AddGroupMembers(ga, "acme", "Sales", memberIDs(ada)); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("the old group: err = %v, want ErrForbidden", err)
	}
	if gs, _ := e.svc.Groups(ga, "acme"); len(gs) != 1 || gs[0].ID != ops.ID {
		t.Errorf("lists %+v, want only Ops", gs)
	}
}

// TestDeleteGroupUpdatesGroupAdmins: deleting a group takes it out of its
// group admins' groups in the same transaction, with audit entries.
func TestDeleteGroupUpdatesGroupAdmins(t *testing.T) {
	e := newEnv(t)
	sales, ops := mustGroup(t, e, e.acme, "Sales"), mustGroup(t, e, e.acme, "Ops")
	e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:both", sales.ID, ops.ID)
	e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:sales-only", sales.ID)
	e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ops-only", ops.ID)
	// A globex group admin that happens to hold the same ID string is not touched.
	e.admin(t, e.globex, store.RoleGroupAdmin, "SHA256:globex", sales.ID)
	n := e.auditCount(t)
	if _, err := e.svc.DeleteGroup(e.root, "acme", "Sales"); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"SHA256:both": {ops.ID}, "SHA256:sales-only": nil, "SHA256:ops-only": {ops.ID}}
	as, err := e.svc.Admins(e.root, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if w, ok := want[a.Fingerprint]; ok && !slices.Equal(a.Groups, w) {
			t.Errorf("%s groups %v, want %v", a.Fingerprint, a.Groups, w)
		}
	}
	gas, err := e.svc.Admins(e.root, "globex")
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(gas, func(a store.Admin) bool { return a.Fingerprint == "SHA256:globex" }); i < 0 || !slices.Equal(gas[i].Groups, []string{sales.ID}) {
		t.Errorf("globex's group admin changed: %+v", gas)
	}
	if got := e.auditCount(t); got != n+3 {
		t.Errorf("audit entries: got %d, want 3 (the group and two admins)", got-n)
	}
	if a := lastEntry(t, e); a.Action != "admin.change" {
		t.Errorf("last audit entry %s, want admin.change", a.Action)
	}
}

// TestGroupTenantIsolation: nothing of another tenant's groups can be read
// or changed, and another tenant's users cannot be added.
func TestGroupTenantIsolation(t *testing.T) {
	e := newEnv(t)
	acmeSales := mustGroup(t, e, e.acme, "Sales")
	globexSales := mustGroup(t, e, e.globex, "Sales")
	gil := e.user(t, e.globex, "Gil Globex")
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	key := e.apiKey(t, e.acme, admin.APIScopes()...)
	for name, ctx := range map[string]context.Context{"owner": owner, "api key": key} {
		t.Run(name, func(t *testing.T) {
			if _, err := e.svc.Groups(ctx, "globex"); !errors.Is(err, admin.ErrForbidden) {
				t.Errorf("list globex: err = %v, want ErrForbidden", err)
			}
			if _, err := e.svc.Group(ctx, "acme", globexSales.ID); !errors.Is(err, admin.ErrGroupNotFound) {
				t.Errorf("globex's group by ID in acme: err = %v, want ErrGroupNotFound", err)
			}
			for _, call := range []func() error{
				func() error { _, err := e.svc.RenameGroup(ctx, "globex", "Sales", "Mine"); return err },
				func() error { _, err := e.svc.DeleteGroup(ctx, "globex", globexSales.ID); return err },
				func() error { _, err := e.svc.AddGroupMembers(ctx, "globex", "Sales", memberIDs(gil)); return err },
				func() error { _, err := e.svc.CreateGroup(ctx, "globex", "Mine"); return err },
				func() error { _, err := e.svc.Stats(ctx, "globex", 1); return err },
			} {
				if err := call(); !errors.Is(err, admin.ErrForbidden) {
					t.Errorf("err = %v, want ErrForbidden", err)
				}
			}
			if _, err := e.svc.AddGroupMembers(ctx, "acme", "Sales", memberIDs(gil)); !errors.Is(err, admin.ErrInvalid) {
				t.Errorf("adding globex's user: err = %v, want ErrInvalid", err)
			}
		})
	}
	if g, _ := storedGroup(t, e, globexSales); g.Name != "Sales" || len(g.Members) != 0 {
		t.Errorf("globex's group changed: %+v", g)
	}
	if g, _ := storedGroup(t, e, acmeSales); len(g.Members) != 0 {
		t.Errorf("acme's group changed: %+v", g)
	}
}
