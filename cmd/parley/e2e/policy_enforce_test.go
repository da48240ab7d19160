package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyEnforcement is the server enforcing policies on what users
// send, through the real OpenSSH client: across two tenants a message is
// refused until both tenants list each other in parley_cross_tenant, and a
// closed user group (th_block_unknown) refuses messages from outside its
// tenant. The sender sees why in the chat; the recipient receives nothing.
func TestPolicyEnforcement(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	adminKey := newKey(t, keys, "admin")
	aliceKey, gusKey, ginaKey := newKey(t, keys, "alice"), newKey(t, keys, "gus"), newKey(t, keys, "gina")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", adminKey.path+".pub")
	x := newTmux(t)

	srv.mustSSH(adminKey, "", "tenant", "create", "acme", "--seats", "5")
	srv.mustSSH(adminKey, "", "tenant", "create", "globex", "--seats", "5")
	enrol := func(tenant, name string, k key) createdUser {
		t.Helper()
		var u createdUser
		mustJSON(t, srv.mustSSH(adminKey, "", "user", "create", "--tenant", tenant, "--name", name, "--json"), &u)
		srv.mustSSH(k, name+"'s passphrase\n", "activate", u.ActivationCode)
		return u
	}
	alice := enrol("acme", "Alice Acme", aliceKey)
	gus := enrol("globex", "Gus Globex", gusKey)
	enrol("globex", "Gina Globex", ginaKey)

	chat := func(name string, k key, pass string) {
		t.Helper()
		x.start(name, 200, 30, append([]string{"ssh", "-t"}, srv.sshArgs(k)...)...)
		x.waitFor(name, "Passphrase")
		x.line(name, pass)
		x.waitFor(name, "Welcome to Parley")
	}
	chat("alice", aliceKey, "Alice Acme's passphrase")
	chat("gus", gusKey, "Gus Globex's passphrase")
	chat("gina", ginaKey, "Gina Globex's passphrase")
	policySet := func(tenant, key, value string) {
		t.Helper()
		srv.mustSSH(adminKey, "", "policy", "set", "--tenant", tenant, key, value)
	}

	// By default another tenant's user is unknown, and so it stays while
	// only one side allows the other.
	x.line("alice", "/msg "+gus.ID+" refused by default 101")
	x.waitFor("alice", "no such user")
	x.key("alice", "C-u") // the composer keeps a refused line: clear it
	policySet("acme", "parley_cross_tenant", "globex")
	x.line("alice", "/msg "+gus.ID+" refused one-sided 102")
	x.waitFor("alice", "no such user")
	x.key("alice", "C-u")

	// Both sides allow it: the message crosses.
	policySet("globex", "parley_cross_tenant", "acme")
	x.line("alice", "/msg "+gus.ID+" allowed both ways 103")
	x.waitFor("alice", "delivered")
	x.waitFor("gus", "Alice Acme")
	x.line("gus", "/open "+alice.ID)
	scr := x.waitFor("gus", "allowed both ways 103")
	for _, refused := range []string{"refused by default 101", "refused one-sided 102"} {
		if strings.Contains(scr, refused) {
			t.Errorf("gus received %q, which was refused:\n%s", refused, scr)
		}
	}

	// A closed user group: globex accepts messages from globex only.
	policySet("globex", "th_block_unknown", "true")
	x.line("alice", "blocked by the closed group 104")
	x.waitFor("alice", "accepts messages from its organisation only")
	x.line("gina", "/msg "+gus.ID+" inside the group 105")
	x.waitFor("gina", "delivered")
	x.waitFor("gus", "Gina Globex")
	// Gus still sees Alice's conversation: the refused message never came.
	scr = x.screen("gus")
	if strings.Contains(scr, "blocked by the closed group 104") {
		t.Errorf("gus received a message the closed user group refused:\n%s", scr)
	}
	x.line("gus", "/open "+alice.ID)
	scr = x.waitFor("gus", "allowed both ways 103")
	if strings.Contains(scr, "blocked by the closed group 104") {
		t.Errorf("gus received a message the closed user group refused:\n%s", scr)
	}
	// The closed group may still write out.
	x.line("gus", "writing out 106")
	x.waitFor("alice", "writing out 106")

	// Profile presets fill the profile at enrolment, and win over what the
	// admin entered.
	policySet("acme", "th_category", "Sales")
	var bea createdUser
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "create", "--tenant", "acme", "--name", "Bea Acme", "--json"), &bea)
	srv.mustSSH(adminKey, "", "policy", "set", "--tenant", "acme", "th_csi", "EMP-0042", "--user", bea.ID)
	beaKey := newKey(t, keys, "bea")
	srv.mustSSH(beaKey, "Bea's passphrase\n", "activate", bea.ActivationCode)
	var shown struct {
		Name     string `json:"name"`
		Category string `json:"category"`
		CSI      string `json:"csi"`
	}
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "show", "--tenant", "acme", bea.ID, "--json"), &shown)
	if shown.Name != "Bea Acme" || shown.Category != "Sales" || shown.CSI != "EMP-0042" {
		t.Errorf("user show after enrolment = %+v, want category Sales and csi EMP-0042 from the presets", shown)
	}
}
