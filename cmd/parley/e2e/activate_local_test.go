package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// TestActivateWithClientMadeKey: `activate CODE --public-key HEX` enrols a
// key in local mode over real OpenSSH without asking for a passphrase (not
// even on a terminal); whoami shows the client's public key and no sealed
// key; the hosted chat, unlock and files send the user to `parley chat`
// instead of asking a passphrase that cannot work; the parley subsystem
// welcomes the user as local; a malformed or zero key changes nothing; the
// code works once; a code to add a device is refused for such an account;
// the server's log never holds the code.
func TestActivateWithClientMadeKey(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	lou := f.createUser("acme", "--name", "Lou Local")
	k := f.key("lou")
	pk := newClientKey(t)

	// Refused keys change nothing.
	expectFail(t, f.srv.ssh(k, "", "activate", lou.ActivationCode, "--public-key", strings.Repeat("0", 64)), "all zeros")
	expectFail(t, f.srv.ssh(k, "", "activate", lou.ActivationCode, "--public-key", pk.String()[:40]), "64 hex characters")

	// No passphrase on standard input: one asked for would fail the command.
	out := f.srv.mustSSH(k, "", "activate", lou.ActivationCode, "--public-key", pk.String(), "--json")
	var fields map[string]any
	mustJSON(t, out, &fields)
	keys := make([]string, 0, len(fields))
	for name := range fields {
		keys = append(keys, name)
	}
	slices.Sort(keys)
	if want := []string{"id", "name", "public_key", "tenant"}; !slices.Equal(keys, want) {
		t.Errorf("activate --json has the fields %v, want %v: %s", keys, want, out)
	}
	var got struct {
		ID, Name, Tenant string
		PublicKey        string `json:"public_key"`
	}
	mustJSON(t, out, &got)
	if got.ID != lou.ID || got.Name != "Lou Local" || got.Tenant != "acme" || got.PublicKey != pk.String() {
		t.Errorf("activate --json = %+v, want %s, Lou Local, acme, %s", got, lou.ID, pk)
	}

	var w whoamiOut
	mustJSON(t, f.srv.mustSSH(k, "", "whoami", "--json"), &w)
	if w.ID != lou.ID || w.PublicKey != pk.String() || w.SealedKey || w.Status != "active" || len(w.Devices) != 1 ||
		w.Devices[0].Fingerprint != k.fingerprint() {
		t.Errorf("whoami --json = %+v, want %s active with the client's key %s, no sealed key, the one device %s",
			w, lou.ID, pk, k.fingerprint())
	}

	// What needs the secret key on the server says where to chat instead.
	localMode := "This account keeps its secret key on your own device (local mode): chat with `parley chat 127.0.0.1:" +
		f.srv.sshPort + "`."
	f.refused(k, localMode)
	expectFail(t, f.srv.ssh(k, "the passphrase\n", "unlock"), "local mode")
	expectFail(t, f.srv.ssh(k, "", "files"), "local mode")

	// The client protocol knows the user keeps the key.
	if info := dialProto(t, f.srv, k).hello(); info.User != lou.ID || !info.Local || !bytes.Equal(info.Public, pk[:]) {
		t.Errorf("welcome = %+v, want %s, local, with the client's key", info, lou.ID)
	}

	// The code works once, with or without a key of the client's.
	again := f.key("again")
	expectFail(t, f.srv.ssh(again, "", "activate", lou.ActivationCode, "--public-key", newClientKey(t).String(), "--json"),
		"already used")
	expectFail(t, f.srv.ssh(again, "the passphrase\n", "activate", lou.ActivationCode), "already used")

	// A code to add a device to a local-mode account: neither a passphrase
	// nor a (copyable) public key confirms the device; the refusal says how
	// (a key file and a proof: TestLocalAccountSecondMachine).
	var more userOut
	f.json(&more, "user", "code", lou.ID, "--tenant", "acme")
	expectFail(t, f.srv.ssh(again, "the passphrase\n", "activate", more.ActivationCode), "--export-key")
	expectFail(t, f.srv.ssh(again, "", "activate", more.ActivationCode, "--public-key", pk.String()), "--export-key")

	// On a terminal nothing is asked either; the person reads a confirmation.
	ann := f.createUser("acme", "--name", "Ann Archer")
	annKey := f.key("ann")
	term := sshTTY(t, f.srv, annKey, "activate", ann.ActivationCode, "--public-key", newClientKey(t).String())
	for _, want := range []string{"Activated. Welcome, Ann Archer!", ann.ID, "parley chat 127.0.0.1:" + f.srv.sshPort} {
		if !strings.Contains(term, want) {
			t.Errorf("activate on a terminal printed %q, want %q in it", term, want)
		}
	}
	if strings.Contains(term, "assphrase") {
		t.Errorf("activate --public-key asked for a passphrase: %q", term)
	}

	// A hosted user is welcomed as such.
	hal := f.key("hal")
	f.activeUser("acme", []key{hal}, "--name", "Hal Hosted")
	if info := dialProto(t, f.srv, hal).hello(); info.Local {
		t.Errorf("a hosted user's welcome says local: %+v", info)
	}

	for _, code := range []string{lou.ActivationCode, ann.ActivationCode} {
		if strings.Contains(f.srv.logText(), code) {
			t.Errorf("the server log holds the activation code %s", code)
		}
	}
}

// newClientKey is an X25519 public key as a local client makes it.
func newClientKey(t *testing.T) crypto.PublicKey {
	t.Helper()
	pk, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk.Wipe()
	return pk
}

// sshTTY runs an exec command on a terminal (ssh -tt) with nothing on
// standard input; it must succeed, and its output is returned.
func sshTTY(t *testing.T, srv *server, k key, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", append(append([]string{"-tt"}, srv.sshArgs(k, "-o", "BatchMode=yes")...), args...)...)
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ssh -tt %s: %v: %q", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}
