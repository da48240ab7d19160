package e2e

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type createdUser struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Status         string `json:"status"`
	ActivationCode string `json:"activation_code"`
}

// TestWalkingSkeleton is the whole first story, through the real OpenSSH
// client: an admin sets up a tenant and two users, both enrol their keys,
// chat live (with a second session of one user), the server restarts and
// the history is still there, and nothing readable is left in the data
// directory or the log.
func TestWalkingSkeleton(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	adminKey, aliceKey, bobKey, strangerKey := newKey(t, keys, "admin"), newKey(t, keys, "alice"), newKey(t, keys, "bob"), newKey(t, keys, "stranger")
	data := filepath.Join(dir, "data")
	srv := startServer(t, data, "--bootstrap-admin-key", adminKey.path+".pub")
	x := newTmux(t)

	// The admin scripts the set-up.
	out := srv.mustSSH(adminKey, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	if !strings.Contains(out, "Created tenant acme") {
		t.Fatalf("tenant create: %q", out)
	}
	var tenants []struct {
		Name    string   `json:"name"`
		Seats   int      `json:"seats"`
		Domains []string `json:"domains"`
	}
	mustJSON(t, srv.mustSSH(adminKey, "", "tenant", "list", "--json"), &tenants)
	if len(tenants) != 1 || tenants[0].Name != "acme" || tenants[0].Seats != 10 || tenants[0].Domains[0] != "acme.example" {
		t.Fatalf("tenant list: %+v", tenants)
	}
	var alice, bob createdUser
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "create", "--tenant", "acme", "--name", "Alice Example",
		"--email", "alice@acme.example", "--json"), &alice)
	human := srv.mustSSH(adminKey, "", "user", "create", "--tenant", "acme", "--name", "Bob Builder")
	bob.ID = field(t, human, "Parley ID:")
	bob.ActivationCode = field(t, human, "Activation code:")
	if alice.Name != "Alice Example" || len(alice.ID) != 8 || len(alice.ActivationCode) != 19 || alice.Status != "pending" {
		t.Fatalf("user create --json: %+v", alice)
	}
	var users []createdUser
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "list", "--tenant", "acme", "--json"), &users)
	if len(users) != 2 {
		t.Fatalf("user list: %+v", users)
	}
	help := srv.mustSSH(adminKey, "", "help")
	for _, want := range []string{"activate", "tenant", "user"} {
		if !strings.Contains(help, want) {
			t.Fatalf("admin help lacks %q:\n%s", want, help)
		}
	}

	// Refusals change nothing.
	if r := srv.ssh(strangerKey, "", "help"); r.code != 0 || strings.Contains(r.stdout, "tenant") {
		t.Fatalf("help for an unknown key lists admin commands or fails: %+v", r)
	}
	expectFail(t, srv.ssh(strangerKey, "", "tenant", "list"), "permission denied")
	expectFail(t, srv.ssh(strangerKey, "", "user", "create", "--tenant", "acme", "--name", "Mallory"), "permission denied")
	expectFail(t, srv.ssh(adminKey, "", "tenant", "create", "acme", "--seats", "3"), "already exists")
	expectFail(t, srv.ssh(adminKey, "", "tenant", "create", "other", "--seats", "3", "--domain", "acme.example"), "belongs to another tenant")
	expectFail(t, srv.ssh(adminKey, "", "tenant", "create", "x", "--seats", "many"), "invalid argument")
	expectFail(t, srv.ssh(adminKey, "", "tenant", "create", "y", "--seats", "1", "--color"), "unknown flag")
	expectFail(t, srv.ssh(adminKey, "", "user", "create", "--tenant", "acme", "--name", "Eve\x1b[31mRed"), "control characters")
	expectFail(t, srv.ssh(adminKey, "", "user", "create", "--tenant", "nope", "--name", "Nobody"), "no such tenant")
	expectFail(t, srv.ssh(adminKey, "", "user", "create", "--tenant", "acme", "--name", "Out", "--email", "out@elsewhere.example"), "not one of the tenant's domains")
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "list", "--tenant", "acme", "--json"), &users)
	if len(users) != 2 {
		t.Fatalf("refused commands created users: %+v", users)
	}
	r := srv.ssh(strangerKey, "")
	if r.code == 0 || !strings.Contains(r.stderr, "activate") || !strings.Contains(r.stderr, strangerKey.fingerprint()) {
		t.Fatalf("unknown key without a command: %+v", r)
	}
	expectFail(t, srv.ssh(strangerKey, "a passphrase\n", "activate", "AAAA-BBBB-CCCC-DDDD"), "unknown activation code")
	expectFail(t, srv.ssh(strangerKey, "short\n", "activate", alice.ActivationCode), "at least 8")
	expectFail(t, srv.ssh(strangerKey, "", "activate", alice.ActivationCode), "no passphrase given")

	// Alice enrols from a script: the passphrase is the first line of stdin.
	out = srv.mustSSH(aliceKey, "alice's passphrase\n", "activate", alice.ActivationCode)
	if !strings.Contains(out, alice.ID) || !strings.Contains(out, "Fingerprint") {
		t.Fatalf("activate: %q", out)
	}
	expectFail(t, srv.ssh(strangerKey, "another passphrase\n", "activate", alice.ActivationCode), "already used")
	expectFail(t, srv.ssh(aliceKey, "x\n", "activate", bob.ActivationCode), "already enrolled")

	// Bob starts enrolling on a terminal and drops the connection: nothing changes.
	x.start("bob-enrol", 100, 30, append([]string{"ssh", "-t"}, append(srv.sshArgs(bobKey), "activate", bob.ActivationCode)...)...)
	x.waitFor("bob-enrol", "New passphrase:")
	x.run("kill-session", "-t", "bob-enrol")
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "list", "--tenant", "acme", "--json"), &users)
	for _, u := range users {
		if u.ID == bob.ID && u.Status != "pending" {
			t.Fatalf("an interrupted activation changed bob to %q", u.Status)
		}
	}
	// Then does it properly: the passphrase twice, not echoed; a mismatch asks again.
	x.start("bob-enrol", 100, 30, append([]string{"ssh", "-t"}, append(srv.sshArgs(bobKey), "activate", bob.ActivationCode)...)...)
	x.waitFor("bob-enrol", "New passphrase:")
	x.line("bob-enrol", "bob's passphrase")
	x.waitFor("bob-enrol", "Repeat passphrase:")
	x.line("bob-enrol", "bob's passphrasX")
	x.waitFor("bob-enrol", "do not match")
	x.line("bob-enrol", "bob's passphrase")
	x.waitFor("bob-enrol", "Repeat passphrase:")
	x.line("bob-enrol", "bob's passphrase")
	scr := x.waitFor("bob-enrol", "Activated")
	if strings.Contains(scr, "bob's passphrase") {
		t.Fatalf("the passphrase was echoed:\n%s", scr)
	}

	// An enrolled key without a terminal is told how to chat.
	expectFail(t, srv.ssh(aliceKey, ""), "needs a terminal")

	// Both chat, live.
	chat := func(name string, k key) {
		x.start(name, 100, 30, append([]string{"ssh", "-t"}, srv.sshArgs(k)...)...)
		x.waitFor(name, "Passphrase")
	}
	chat("alice", aliceKey)
	x.line("alice", "not alice's passphrase")
	x.waitFor("alice", "Wrong passphrase. 2 tries left.")
	time.Sleep(1100 * time.Millisecond) // the throttle: one second after the first failure
	x.line("alice", "alice's passphrase")
	x.waitFor("alice", "Welcome to Parley")
	chat("bob", bobKey)
	x.line("bob", "bob's passphrase")
	x.waitFor("bob", "Welcome to Parley")

	x.line("alice", "/msg "+bob.ID+" hello from alice 123")
	x.waitFor("alice", "hello from alice 123")
	x.waitFor("bob", "Alice Example") // the new conversation in Bob's list, unread
	x.waitFor("alice", "delivered")
	x.line("bob", "/open "+alice.ID)
	x.waitFor("bob", "hello from alice 123")
	x.waitFor("alice", "read")
	x.line("bob", "hi alice 456")
	x.waitFor("alice", "hi alice 456")

	// A second session of Bob's sees the same conversation and new messages.
	chat("bob2", bobKey)
	x.line("bob2", "bob's passphrase")
	x.waitFor("bob2", "Welcome to Parley")
	x.line("bob2", "/open "+alice.ID)
	x.waitFor("bob2", "hi alice 456")
	x.line("alice", "third message 789")
	x.waitFor("bob", "third message 789")
	x.waitFor("bob2", "third message 789")
	// Unknown commands and IDs get a clear error, and the session goes on.
	x.line("bob2", "/frobnicate")
	x.waitFor("bob2", "Unknown command /frobnicate")
	x.key("bob2", "C-u") // the composer keeps a refused line for editing: clear it
	x.line("bob2", "/open ZZZZ9999")
	x.waitFor("bob2", "no such user")
	x.line("bob2", "/quit")
	x.waitDead("bob2")

	// Three wrong passphrases close the session.
	chat("alice-wrong", aliceKey)
	for i := 0; i < 3; i++ {
		time.Sleep(1100 * time.Millisecond) // wait out the growing throttle
		if i == 2 {
			time.Sleep(3 * time.Second)
		}
		x.line("alice-wrong", "wrong guess number")
		switch i {
		case 0:
			x.waitFor("alice-wrong", "2 tries left")
		case 1:
			x.waitFor("alice-wrong", "1 try left")
		}
	}
	x.waitFor("alice-wrong", "Too many attempts")
	x.waitDead("alice-wrong")
	// The session says why it ended, and exits non-zero (issue 17, item 9).
	if scr := x.run("capture-pane", "-p", "-S", "-", "-t", "alice-wrong"); !strings.Contains(scr, "Session ended: too many wrong passphrases.") {
		t.Fatalf("the session ended without saying why:\n%s", scr) // with what scrolled away
	}
	if st := x.exitStatus("alice-wrong"); st != "" && st != "1" {
		t.Fatalf("three wrong passphrases: ssh exited with %s, want the session's 1", st)
	}

	// Restart: the history is still there.
	x.key("alice", "C-c")
	x.key("bob", "C-c")
	x.waitDead("alice")
	x.waitDead("bob")
	srv.restart()
	chat("bob-again", bobKey)
	x.line("bob-again", "bob's passphrase")
	x.waitFor("bob-again", "Alice Example")
	x.line("bob-again", "/open Alice")
	scr = x.waitFor("bob-again", "│       third message 789") // in the conversation, not the list's preview
	for _, want := range []string{"hello from alice 123", "hi alice 456"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("after restart, %q is missing:\n%s", want, scr)
		}
	}
	x.key("bob-again", "C-c")
	x.waitDead("bob-again")
	srv.stop()

	// Nothing readable at rest, nothing secret in the log.
	secrets := []string{"hello from alice 123", "hi alice 456", "third message 789", "alice's passphrase",
		"bob's passphrase", alice.ActivationCode, bob.ActivationCode}
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log := srv.logText()
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the server log contains %q", s)
		}
	}
	if !strings.Contains(log, "user activated") {
		t.Errorf("the server log has no activation record:\n%s", log)
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON (%v): %q", err, s)
	}
}

// field returns the value after label on a line of human output.
func field(t *testing.T, out, label string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if _, v, ok := strings.Cut(l, label); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("no %q in %q", label, out)
	return ""
}

// expectFail checks a command failed with a one-line error containing want.
func expectFail(t *testing.T, r result, want string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("expected failure with %q, got exit 0: %+v", want, r)
	}
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q does not contain %q", r.stderr, want)
	}
}
