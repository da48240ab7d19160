package e2e

import (
	"strings"
	"testing"
)

// TestIsolationSuite: an owner of tenant acme runs every tenant-scoped
// exec command against tenant beta, against a tenant that does not exist,
// and against a user of beta from within acme, next to one that does not
// exist. Each command works for acme itself (so the syntax is right); each
// attempt on beta fails, and fails exactly as the attempt on the missing
// name does, so that nothing tells the one from the other.
func TestIsolationSuite(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	f.run("tenant", "create", "beta", "--seats", "10")
	owner := f.key("olga")
	f.srv.mustSSH(f.root, owner.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner")
	ada := f.createUser("acme", "--name", "Ada Acme")
	bea := f.createUser("beta", "--name", "Bea Beta")
	const missingUser = "ZZZZ9999"
	ok := func(t *testing.T, args []string) {
		t.Helper()
		if r := f.srv.ssh(owner, "", args...); r.code != 0 {
			t.Fatalf("%v in the owner's own tenant: exit %d: %s", args, r.code, r.stderr)
		}
	}
	same := func(t *testing.T, what string, a, b []string, names ...string) {
		t.Helper()
		ra, rb := f.srv.ssh(owner, "", a...), f.srv.ssh(owner, "", b...)
		if ra.code == 0 || rb.code == 0 {
			t.Fatalf("%s: %v exit %d (%s), %v exit %d (%s): want both refused", what, a, ra.code, ra.stdout, b, rb.code, rb.stdout)
		}
		norm := func(s string) string {
			for _, n := range names {
				s = strings.ReplaceAll(s, n, "NAME")
			}
			return strings.TrimSpace(s)
		}
		if norm(ra.stderr) != norm(rb.stderr) || ra.code != rb.code {
			t.Fatalf("%s: the answers differ, so they tell an existing name from a missing one:\n%v → %d %q\n%v → %d %q",
				what, a, ra.code, ra.stderr, b, rb.code, rb.stderr)
		}
	}
	tenantCmds := []struct {
		args func(tenant, user string) []string
		own  bool // also run in the owner's own tenant, where it must work
	}{
		{func(T, U string) []string { return []string{"user", "list", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"user", "show", U, "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"user", "edit", U, "--tenant", T, "--nickname", "x"} }, true},
		{func(T, U string) []string { return []string{"user", "code", U, "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"user", "create", "--tenant", T, "--name", "Zed Zero"} }, true},
		{func(T, U string) []string { return []string{"device", "list", "--tenant", T, "--user", U} }, true},
		{func(T, U string) []string { return []string{"license", "show", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"policy", "show", "--tenant", T} }, true},
		{func(T, U string) []string {
			return []string{"policy", "set", "--tenant", T, "th_block_unknown", "true"}
		}, true},
		{func(T, U string) []string { return []string{"policy", "export", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"admin", "list", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"audit", "list", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"apikey", "list", "--tenant", T} }, true},
		{func(T, U string) []string { return []string{"tenant", "brand", "--tenant", T, "--display-name", "X"} }, true},
		{func(T, U string) []string { return []string{"user", "revoke", U, "--tenant", T} }, false},
		{func(T, U string) []string {
			return []string{"user", "delete", U, "--tenant", T, "--keep-id=false", "--keep-app=false"}
		}, false},
		{func(T, U string) []string { return []string{"tenant", "suspend", T} }, false},
		{func(T, U string) []string { return []string{"tenant", "show", T} }, false},
	}
	for _, c := range tenantCmds {
		name := strings.Join(c.args("T", "U")[:2], " ")
		t.Run(name, func(t *testing.T) {
			if c.own {
				ok(t, c.args("acme", ada.ID))
			}
			// Another tenant, existing or not.
			same(t, "tenant", c.args("beta", bea.ID), c.args("nosuch", bea.ID), "beta", "nosuch")
			// Another tenant's user, from within the owner's tenant.
			if strings.Contains(strings.Join(c.args("T", "U"), " "), "U") {
				same(t, "user", c.args("acme", bea.ID), c.args("acme", missingUser), bea.ID, missingUser)
			}
		})
	}
	// Nothing of beta changed.
	if out := f.run("user", "show", bea.ID, "--tenant", "beta"); !strings.Contains(out, "Bea Beta") || strings.Contains(out, "revoked") {
		t.Fatalf("beta's user changed:\n%s", out)
	}
	if out := f.run("tenant", "show", "beta"); strings.Contains(out, "suspended") {
		t.Fatalf("beta was suspended:\n%s", out)
	}
}
