package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAdminConsole drives the admin console through the real OpenSSH
// client in tmux: the instance admin picks a tenant, filters the users,
// re-issues an activation code (which then works, and the old one does
// not), deletes a user through the two questions, and finds the deletion in
// the audit screen; exec commands see the change. A tenant owner with
// two-factor authentication gives its code first and sees only its own
// tenant; without a terminal the console explains what to do.
func TestAdminConsole(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root, owner, aliceKey := newKey(t, keys, "root"), newKey(t, keys, "owner"), newKey(t, keys, "alice")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")

	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(root, "", "tenant", "create", "globex", "--seats", "5", "--domain", "globex.example")
	srv.mustSSH(root, "", "tenant", "brand", "--tenant", "acme", "--display-name", "'Acme Climbing'", "--accent", "#D75F87")
	var alice, bob, gus createdUser
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Alice Example", "--email", "alice@acme.example", "--json"), &alice)
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Bob Builder", "--json"), &bob)
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "globex", "--name", "Gus Globex", "--json"), &gus)
	srv.mustSSH(root, owner.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner", "--label", "Olga Owner")

	// Without a terminal the console says how to open it; `admin` stays the exec noun.
	expectFail(t, srv.ssh(root, "", "console"), "the console needs a terminal")
	if out := srv.mustSSH(root, "", "admin"); !strings.Contains(out, "list") {
		t.Fatalf("ssh host admin without a terminal is not the exec noun: %q", out)
	}
	if out := srv.mustSSH(owner, ""); !strings.Contains(out, "-t") {
		t.Fatalf("an admin key without a terminal is not told about the console: %q", out)
	}

	x := newTmux(t)
	console := func(name string, k key, cmd ...string) {
		x.start(name, 80, 24, append([]string{"ssh", "-t"}, append(srv.sshArgs(k), cmd...)...)...)
	}

	// The instance admin picks a tenant among all of them.
	console("root", root, "admin")
	scr := x.waitFor("root", "Choose a tenant")
	for _, want := range []string{"acme", "Acme Climbing", "globex", "instance-admin"} {
		if !strings.Contains(scr, want) {
			t.Errorf("tenant picker lacks %q:\n%s", want, scr)
		}
	}
	x.key("root", "Enter")
	x.waitFor("root", "Valid until")
	x.waitFor("root", "Parley admin · Acme Climbing")

	// Users, filtered by a wildcard.
	x.typeText("root", "2")
	x.waitFor("root", "2 users")
	x.typeText("root", "/")
	x.waitFor("root", "Filter:")
	x.line("root", "ali*")
	scr = x.waitFor("root", "1 user ")
	if !strings.Contains(scr, "Alice Example") || strings.Contains(scr, "Bob Builder") {
		t.Fatalf("filter ali* shows:\n%s", scr)
	}

	// Open Alice and re-issue her code.
	x.key("root", "Enter")
	x.waitFor("root", "Alice Example · "+alice.ID)
	x.typeText("root", "c")
	scr = x.waitFor("root", "New activation code")
	code := regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(scr)
	if code == "" || code == alice.ActivationCode {
		t.Fatalf("no new activation code on the screen (old %s):\n%s", alice.ActivationCode, scr)
	}
	// The hint is the command that works as printed: with -t (a terminal
	// for the passphrase) and this server's port (issue 17, item 5).
	if want := "ssh -t -p " + srv.sshPort + " 127.0.0.1 activate " + code; !strings.Contains(scr, want) {
		t.Errorf("the console's activation hint is not %q:\n%s", want, scr)
	}
	if r := srv.ssh(aliceKey, "alice's passphrase\n", "activate", alice.ActivationCode); r.code == 0 {
		t.Fatalf("the replaced code still activates: %+v", r)
	}
	srv.mustSSH(aliceKey, "alice's passphrase\n", "activate", code)
	x.key("root", "Enter") // close the code
	x.waitFor("root", "Devices (0)")
	x.key("root", "C-r") // refresh: Alice's key is enrolled now
	x.waitFor("root", "Devices (1)")
	x.key("root", "Escape") // back to the list
	x.waitFor("root", "1 user ")
	x.key("root", "Escape") // clear the filter
	x.waitFor("root", "Bob Builder")

	// Delete Bob: neither the ID nor the app.
	x.key("root", "Down")
	x.typeText("root", "d")
	x.waitFor("root", "May the user keep the Parley ID "+bob.ID)
	x.typeText("root", "n")
	x.waitFor("root", "May the user keep using the app")
	x.typeText("root", "n")
	scr = x.waitFor("root", "This will:")
	if !strings.Contains(scr, "revoke "+bob.ID) {
		t.Fatalf("the confirmation does not say the ID is revoked:\n%s", scr)
	}
	x.typeText("root", "y")
	x.waitFor("root", "Removed Bob Builder ("+bob.ID+"): ID revoked, devices removed.")
	var shown createdUser
	mustJSON(t, srv.mustSSH(root, "", "user", "show", bob.ID, "--tenant", "acme", "--json"), &shown)
	if shown.Status != "revoked" {
		t.Fatalf("after deleting in the console, user show says %q, want revoked", shown.Status)
	}
	// A managed group with Alice in it.
	x.typeText("root", "4")
	x.waitFor("root", "No managed groups yet")
	x.typeText("root", "n")
	x.waitFor("root", "New managed group")
	x.line("root", "Climbers")
	x.waitFor("root", "Created the group Climbers")
	x.key("root", "Enter")
	x.waitFor("root", "No members yet")
	x.typeText("root", "a")
	x.waitFor("root", "Parley IDs:")
	x.line("root", strings.ToLower(alice.ID))
	x.waitFor("root", "Added 1 member to Climbers")
	x.waitFor("root", alice.ID+" Alice Example")
	// The dashboard counts her.
	x.typeText("root", "1")
	x.waitFor("root", "1 active, 0 pending · 1 device")
	x.waitFor("root", "Messages/day")

	// The audit screen has the deletion, newest first.
	x.typeText("root", "5")
	x.waitFor("root", "user.delete keep-id=f")
	x.typeText("root", "q")
	x.waitDead("root")

	// The owner turns on two-factor authentication over exec.
	var en struct{ Secret string }
	mustJSON(t, srv.mustSSH(owner, "", "admin", "totp", "enable", "--json"), &en)
	app := &authenticator{t: t, secret: en.Secret}
	srv.mustSSH(owner, "", "admin", "totp", "confirm", app.next())

	// Its console (plain `ssh -t host`: the key has no chat) asks for the code first.
	console("owner", owner)
	x.waitFor("owner", "Two-factor authentication")
	x.line("owner", app.wrong())
	x.waitFor("owner", "2 tries left")
	x.line("owner", app.next())
	scr = x.waitFor("owner", "Valid until")
	if strings.Contains(scr, "Choose a tenant") || !strings.Contains(scr, "owner · acme") {
		t.Fatalf("the owner's console:\n%s", scr)
	}
	// Only its own tenant, anywhere.
	x.typeText("owner", "t")
	x.typeText("owner", "2")
	scr = x.waitFor("owner", "Alice Example")
	if strings.Contains(scr, "globex") || strings.Contains(scr, "Gus Globex") || strings.Contains(scr, gus.ID) {
		t.Fatalf("tenant acme's owner sees tenant globex:\n%s", scr)
	}
	x.key("owner", "C-c")
	x.waitDead("owner")
}
