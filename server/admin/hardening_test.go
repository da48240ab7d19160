package admin_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// TestWrongCodesLockOut: five wrong codes in a row lock the key's codes
// out for five minutes — even the right code is refused — and the lockout
// ends on its own.
func TestWrongCodesLockOut(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	secret, _ := enableTOTP(t, e, owner)
	session := e.as(t, "SHA256:owner") // a new session that has not proved its code

	for i := range 5 {
		if err := e.svc.ProveSecondFactor(session, "000000"); !errors.Is(err, admin.ErrBadCode) {
			t.Fatalf("wrong code %d: %v, want ErrBadCode", i+1, err)
		}
	}
	e.clock.Advance(time.Minute)
	if err := e.svc.ProveSecondFactor(session, codeAt(t, secret, e.clock.Now())); !errors.Is(err, admin.ErrTooManyCodes) {
		t.Fatalf("right code during the lockout: %v, want ErrTooManyCodes", err)
	}
	if _, err := e.svc.Users(session, "acme", directory.UserFilter{}); !errors.Is(err, admin.ErrSecondFactor) {
		t.Fatalf("Users during the lockout: %v, want ErrSecondFactor", err)
	}
	e.clock.Advance(5 * time.Minute)
	if err := e.svc.ProveSecondFactor(session, codeAt(t, secret, e.clock.Now())); err != nil {
		t.Fatalf("right code after the lockout: %v", err)
	}
	if _, err := e.svc.Users(session, "acme", directory.UserFilter{}); err != nil {
		t.Fatalf("Users after proving the code: %v", err)
	}
}

// TestRemovedAdminLosesPowerInOpenSession: permissions are decided on the
// roles the store holds at the time of the call, not those the session
// started with.
func TestRemovedAdminLosesPowerInOpenSession(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	open := e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin") // the session starts as admin
	if _, err := e.svc.CreateUser(open, "acme", directory.UserSpec{Name: "Before"}); err != nil {
		t.Fatalf("CreateUser as admin: %v", err)
	}

	// Demoted to auditor while the session is open.
	e.admin(t, e.acme, store.RoleAuditor, "SHA256:admin")
	if _, err := e.svc.CreateUser(open, "acme", directory.UserSpec{Name: "Demoted"}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("CreateUser after demotion: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Users(open, "acme", directory.UserFilter{}); err != nil {
		t.Fatalf("Users after demotion to auditor: %v", err)
	}

	// Removed altogether.
	if err := e.db.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteAdmin("SHA256:admin", e.acme.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Users(open, "acme", directory.UserFilter{}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("Users after removal: %v, want ErrForbidden", err)
	}
}

// TestRemovedUsersLeaveManagedGroups: deleting or revoking a user takes it
// out of every managed group of its tenant, audited, in the same change.
func TestRemovedUsersLeaveManagedGroups(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		e := newEnv(t)
		ada, bob := e.user(t, e.acme, "Ada"), e.user(t, e.acme, "Bob")
		for _, name := range []string{"sales", "support"} {
			if _, err := e.svc.CreateGroup(e.root, "acme", name); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.AddGroupMembers(e.root, "acme", name, []crypto.ID{ada.User.ID, bob.User.ID}); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if revoke {
			_, err = e.svc.RevokeUser(e.root, "acme", ada.User.ID)
		} else {
			_, err = e.svc.DeleteUser(e.root, "acme", ada.User.ID, true, false)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"sales", "support"} {
			g, err := e.svc.Group(e.root, "acme", name)
			if err != nil {
				t.Fatal(err)
			}
			if want := []crypto.ID{bob.User.ID}; !slices.Equal(g.Members, want) {
				t.Errorf("revoke=%t: %s has %v, want %v", revoke, name, g.Members, want)
			}
		}
		entries, err := e.svc.Audit(e.root, "acme", audit.Filter{Action: "group.members.remove"})
		if err != nil || len(entries) != 2 {
			t.Errorf("revoke=%t: %d group.members.remove entries (%v), want 2", revoke, len(entries), err)
		}
	}
}
