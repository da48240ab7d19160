package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCanary: an end-to-end run with known message texts, passphrases,
// activation codes and API keys; afterwards no log line and no file under
// the data directory holds any of them. It also checks what the log says
// of sessions: an activation code typed without `activate` is logged as an
// unknown command, and sftp sessions as a subsystem.
func TestCanary(t *testing.T) {
	f := newAdminFx(t)
	const (
		pass1 = "canary-passphrase-Q7vX2"
		pass2 = "canary-passphrase-M3kW9"
		text  = "canary-message-text-Z8pL4"
	)
	f.run("tenant", "create", "acme", "--seats", "5")
	ann, bob := f.key("ann"), f.key("bob")
	a := f.createUser("acme", "--name", "Ann Archer")
	b := f.createUser("acme", "--name", "Bob Baker")
	f.srv.mustSSH(ann, pass1+"\n", "activate", a.ActivationCode)
	f.srv.mustSSH(bob, pass2+"\n", "activate", b.ActivationCode)
	spare := f.createUser("acme", "--name", "Cy Spare") // its code is typed without `activate`
	if r := f.srv.ssh(ann, "", spare.ActivationCode); r.code == 0 {
		t.Fatalf("a bare activation code ran as a command: %+v", r)
	}
	var k apiKeyOut
	mustJSON(t, f.run("apikey", "create", "--tenant", "acme", "--scope", "users:read", "--label", "canary", "--json"), &k)

	x := f.x
	for _, s := range []struct {
		name, pass string
		k          key
	}{{"ann", pass1, ann}, {"bob", pass2, bob}} {
		x.start(s.name, 100, 30, append([]string{"ssh", "-t"}, f.srv.sshArgs(s.k)...)...)
		x.waitFor(s.name, "Passphrase")
		x.line(s.name, s.pass)
		x.waitFor(s.name, "Welcome to Parley")
	}
	x.line("ann", "/msg "+b.ID+" "+text)
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", text)
	x.line("bob", "/quit")
	x.line("ann", "/quit")
	x.waitDead("ann")
	x.waitDead("bob")
	// An sftp session (whatever its outcome) is logged as one.
	_ = f.srv.scp(ann, "-s", "HOST:inbox/AAAAAAAAAAAAAAAA", filepath.Join(t.TempDir(), "x"))
	f.srv.stop()

	secrets := map[string]string{"passphrase 1": pass1, "passphrase 2": pass2, "message text": text,
		"activation code": a.ActivationCode, "unused activation code": spare.ActivationCode, "API key": k.Key}
	log := f.srv.logText()
	for what, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds the %s", what)
		}
	}
	if !strings.Contains(log, `"kind":"exec (unknown)"`) {
		t.Error(`the bare code is not logged as "exec (unknown)"`)
	}
	if !strings.Contains(log, `"kind":"subsystem sftp"`) || strings.Count(log, `"kind":"shell"`) < 2 {
		t.Errorf("sessions are logged with the wrong kind:\n%s", log)
	}
	err := filepath.WalkDir(f.srv.data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s", path, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
