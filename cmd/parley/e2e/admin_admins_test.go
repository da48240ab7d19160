package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

type adminEntry struct {
	Fingerprint string   `json:"fingerprint"`
	Tenant      string   `json:"tenant"`
	Role        string   `json:"role"`
	Groups      []string `json:"groups"`
	Label       string   `json:"label"`
	TwoFactor   bool     `json:"two_factor"`
}

// authenticator computes TOTP codes as a phone app would, each time step
// once: the server refuses a code whose step was used already.
type authenticator struct {
	t      *testing.T
	secret string
	used   int64
}

// next returns the code of the current time step, or of the next one when
// the current one was used (the server accepts one step ahead).
func (a *authenticator) next() string {
	a.t.Helper()
	step := max(time.Now().Unix()/30, a.used+1)
	a.used = step
	code, err := totp.GenerateCodeCustom(a.secret, time.Unix(step*30, 0),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		a.t.Fatal(err)
	}
	return code
}

// wrong returns a code that is none of the three the server accepts now.
func (a *authenticator) wrong() string {
	a.t.Helper()
	now := time.Now().Unix() / 30
	valid := map[string]bool{}
	for d := int64(-1); d <= 1; d++ {
		c, err := totp.GenerateCodeCustom(a.secret, time.Unix((now+d)*30, 0),
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			a.t.Fatal(err)
		}
		valid[c] = true
	}
	for _, c := range []string{"000000", "123456", "999999"} {
		if !valid[c] {
			return c
		}
	}
	return "111111"
}

// TestAdminsAndTwoFactor: through the real OpenSSH client, the bootstrap
// admin names a tenant's owner (its key on stdin), the owner adds an
// auditor, who may read but not write; the last owner cannot be removed;
// the owner turns on TOTP, after which admin commands need --otp once per
// session, a wrong code fails, and a recovery code works once.
func TestAdminsAndTwoFactor(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root, owner, auditor, other := newKey(t, keys, "root"), newKey(t, keys, "owner"), newKey(t, keys, "auditor"), newKey(t, keys, "other")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(root, "", "tenant", "create", "globex", "--seats", "10", "--domain", "globex.example")

	// The bootstrap admin names acme's owner; the key arrives on stdin.
	out := srv.mustSSH(root, owner.pub+" olga@laptop\n", "admin", "add", "--tenant", "acme", "--role", "owner", "--label", "Olga Owner")
	if want := owner.fingerprint() + " (Olga Owner) is now owner in acme."; !strings.Contains(out, want) {
		t.Fatalf("admin add: %q, want %q", out, want)
	}
	// Someone else's key for globex, so isolation has something to hide.
	srv.mustSSH(root, other.pub+"\n", "admin", "add", "--tenant", "globex", "--role", "owner")

	// The owner lists its tenant's admins and adds an auditor.
	var admins []adminEntry
	mustJSON(t, srv.mustSSH(owner, "", "admin", "list", "--json"), &admins)
	if len(admins) != 1 || admins[0].Fingerprint != owner.fingerprint() || admins[0].Role != "owner" ||
		admins[0].Label != "Olga Owner" || admins[0].Tenant != "acme" || admins[0].TwoFactor {
		t.Fatalf("admin list --json: %+v", admins)
	}
	var added adminEntry
	mustJSON(t, srv.mustSSH(owner, auditor.pub+" audrey@desk\n", "admin", "add", "--role", "auditor", "--json"), &added)
	if added.Fingerprint != auditor.fingerprint() || added.Role != "auditor" || added.Label != "audrey@desk" {
		t.Fatalf("admin add --json: %+v", added)
	}
	human := srv.mustSSH(owner, "", "admin", "list")
	for _, want := range []string{"FINGERPRINT", "2FA", owner.fingerprint(), "Olga Owner", auditor.fingerprint(), "auditor"} {
		if !strings.Contains(human, want) {
			t.Errorf("admin list lacks %q:\n%s", want, human)
		}
	}

	// The auditor reads and cannot write.
	srv.mustSSH(auditor, "", "admin", "list")
	expectFail(t, srv.ssh(auditor, other.pub+"\n", "admin", "add", "--role", "admin"), "permission denied")
	expectFail(t, srv.ssh(auditor, "", "admin", "remove", owner.fingerprint()), "permission denied")
	expectFail(t, srv.ssh(auditor, "", "user", "create", "--name", "Mallory"), "permission denied")

	// Bad input gets a one-line error.
	expectFail(t, srv.ssh(owner, "", "admin", "add", "--role", "admin"), "no public key on standard input")
	expectFail(t, srv.ssh(owner, "not a key\n", "admin", "add", "--role", "admin"), "not an OpenSSH public key")
	expectFail(t, srv.ssh(owner, other.pub+"\n"+root.pub+"\n", "admin", "add", "--role", "admin"), "has 2 lines")
	pem, err := os.ReadFile(other.path)
	if err != nil {
		t.Fatal(err)
	}
	expectFail(t, srv.ssh(owner, string(pem), "admin", "add", "--role", "admin"), "that is a private key")
	expectFail(t, srv.ssh(owner, other.pub+"\n", "admin", "add", "--role", "boss"), "use one of owner, admin, group-admin, auditor")
	expectFail(t, srv.ssh(owner, other.pub+"\n", "admin", "add", "--role", "group-admin", "--group", "nope"), `no managed group "nope"`)
	expectFail(t, srv.ssh(owner, "", "admin", "remove", "SHA256:nope"), "no admin key")

	// The last owner cannot be removed, by itself or the instance admin.
	expectFail(t, srv.ssh(owner, "", "admin", "remove", owner.fingerprint()), "last owner")
	expectFail(t, srv.ssh(root, "", "admin", "remove", "--tenant", "acme", owner.fingerprint()), "last owner")
	// Another tenant's admins are out of reach.
	expectFail(t, srv.ssh(owner, "", "admin", "list", "--tenant", "globex"), "permission denied")
	expectFail(t, srv.ssh(owner, "", "admin", "remove", "--tenant", "globex", other.fingerprint()), "permission denied")
	expectFail(t, srv.ssh(owner, "", "admin", "remove", other.fingerprint()), "no admin key")
	mustJSON(t, srv.mustSSH(root, "", "admin", "list", "--tenant", "acme", "--json"), &admins)
	if len(admins) != 2 {
		t.Fatalf("refused commands changed acme's admins: %+v", admins)
	}

	// The owner turns on two-factor authentication.
	human = srv.mustSSH(owner, "", "admin", "totp", "enable")
	for _, want := range []string{"▀", "█", "otpauth://totp/Parley:acme%2FOlga%20Owner?", "admin totp confirm CODE"} {
		if !strings.Contains(human, want) {
			t.Errorf("admin totp enable lacks %q:\n%s", want, human)
		}
	}
	var en struct{ Secret, URL string }
	mustJSON(t, srv.mustSSH(owner, "", "admin", "totp", "enable", "--json"), &en) // replaces the pending secret
	if len(en.Secret) < 32 || !strings.Contains(en.URL, "secret="+en.Secret) {
		t.Fatalf("admin totp enable --json: %+v", en)
	}
	app := &authenticator{t: t, secret: en.Secret}
	// While pending, nothing needs a code.
	srv.mustSSH(owner, "", "user", "list")
	expectFail(t, srv.ssh(owner, "", "admin", "totp", "confirm", app.wrong()), "wrong or expired code")
	var conf struct {
		TwoFactor bool     `json:"two_factor"`
		Recovery  []string `json:"recovery_codes"`
	}
	mustJSON(t, srv.mustSSH(owner, "", "admin", "totp", "confirm", app.next(), "--json"), &conf)
	if !conf.TwoFactor || len(conf.Recovery) != 10 {
		t.Fatalf("admin totp confirm --json: %+v", conf)
	}

	// From now on admin commands need --otp, once per session.
	expectFail(t, srv.ssh(owner, "", "user", "list"), "two-factor")
	expectFail(t, srv.ssh(owner, "", "admin", "list"), "two-factor")
	expectFail(t, srv.ssh(owner, "", "user", "list", "--otp", app.wrong()), "wrong or expired code")
	out = srv.mustSSH(owner, "", "user", "list", "--otp", app.next())
	if !strings.Contains(out, "STATUS") {
		t.Errorf("user list --otp: %q", out)
	}
	// The proved code opens a two-factor window for this key (issue 17,
	// item 7): a script's next commands need no code, a used code is
	// still refused, and `admin logout` ends the window.
	srv.mustSSH(owner, "", "user", "list")
	srv.mustSSH(owner, "", "admin", "list")
	if out := srv.mustSSH(owner, "", "admin", "logout"); !strings.Contains(out, "Two-factor window ended") {
		t.Errorf("admin logout: %q", out)
	}
	expectFail(t, srv.ssh(owner, "", "user", "list"), "two-factor")
	if out := srv.mustSSH(owner, "", "admin", "logout"); !strings.Contains(out, "No two-factor window") {
		t.Errorf("admin logout again: %q", out)
	}
	for _, action := range []string{"admin.2fa.window", "admin.2fa.logout"} {
		var es []auditEntryOut
		mustJSON(t, srv.mustSSH(auditor, "", "audit", "list", "--action", action, "--json"), &es)
		if len(es) != 1 || es[0].Actor != owner.fingerprint() {
			t.Errorf("audit entries %s: %+v, want one by the owner's key", action, es)
		}
	}
	// A recovery code works once.
	mustJSON(t, srv.mustSSH(owner, "", "admin", "list", "--json", "--otp", conf.Recovery[0]), &admins)
	if admins[0].Fingerprint != owner.fingerprint() || !admins[0].TwoFactor {
		t.Errorf("admin list after enabling: %+v", admins)
	}
	expectFail(t, srv.ssh(owner, "", "user", "list", "--otp", conf.Recovery[0]), "wrong or expired code")
	// Other keys are not affected; the auditor sees the owner's 2FA on.
	mustJSON(t, srv.mustSSH(auditor, "", "admin", "list", "--json"), &admins)
	if len(admins) != 2 || !admins[0].TwoFactor || admins[1].TwoFactor {
		t.Errorf("admin list by the auditor: %+v", admins)
	}

	// Own state needs no code; enrolling again while on is refused.
	var me struct {
		Fingerprint string `json:"fingerprint"`
		TwoFactor   string `json:"two_factor"`
		Left        int    `json:"recovery_codes_left"`
	}
	mustJSON(t, srv.mustSSH(owner, "", "admin", "whoami", "--json"), &me)
	if me.Fingerprint != owner.fingerprint() || me.TwoFactor != "on" || me.Left != 9 {
		t.Errorf("admin whoami --json: %+v", me)
	}
	expectFail(t, srv.ssh(owner, "", "admin", "totp", "enable"), "already on")

	// Turning it off takes a code (here a recovery code) and no --otp.
	expectFail(t, srv.ssh(owner, "", "admin", "totp", "disable", app.wrong()), "wrong or expired code")
	out = srv.mustSSH(owner, "", "admin", "totp", "disable", conf.Recovery[1])
	if !strings.Contains(out, "off") {
		t.Errorf("admin totp disable: %q", out)
	}
	srv.mustSSH(owner, "", "user", "list")

	// Secrets stay out of the log.
	log := srv.logText()
	for _, s := range append([]string{en.Secret}, conf.Recovery...) {
		if strings.Contains(log, s) {
			t.Errorf("the server log contains %q", s)
		}
	}
}
