package e2e

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// TestOneUserLocalAndHostedDevices (devices issue, items 8–10): a hosted
// user links a local client with parley chat --link and keeps the hosted
// session; both devices receive what a contact sends and show what the
// other device sent, in a 1:1 chat and in a group, live and after the
// local client restarts. (Read state across devices: server/hosted
// TestTwoDevicesOneConversation.)
func TestOneUserLocalAndHostedDevices(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, bobKey := f.key("ada"), f.key("bob")
	ada := f.activeUser("acme", []key{adaKey}, "--name", "Ada Lovelace")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	x := f.x
	f.chat("ada", adaKey)
	f.chat("bob", bobKey)

	lc := newLocalClient(t, f.srv, adaKey)
	x.start("link", 100, 30, lc.argv("--link")...)
	x.waitFor("link", "can't be established")
	x.line("link", "yes")
	x.waitFor("link", "Passphrase of your hosted account")
	x.line("link", "the passphrase")
	x.waitFor("link", "New passphrase")
	x.line("link", "a local passphrase")
	x.waitFor("link", "same passphrase again")
	x.line("link", "a local passphrase")
	x.waitFor("link", "This machine is now a device of Ada Lovelace ("+ada.ID+")")
	// The server keeps Ada's sealed key: the hosted session goes on.
	var who struct {
		SealedKey bool `json:"sealed_key"`
	}
	mustJSON(t, f.srv.mustSSH(adaKey, "", "whoami", "--json"), &who)
	if !who.SealedKey {
		t.Fatal("linking a device deleted the server's sealed key")
	}
	localOpen(x, "ada-local", lc.argv())
	x.line("ada", "/open "+bob.ID)
	x.line("ada-local", "/open "+bob.ID)
	x.line("bob", "/open "+ada.ID)

	x.line("bob", "hello to both of your devices")
	x.waitFor("ada", "hello to both of your devices")
	x.waitFor("ada-local", "hello to both of your devices")
	x.line("ada-local", "typed on the laptop")
	x.waitFor("bob", "typed on the laptop")
	x.waitFor("ada", "typed on the laptop")
	x.line("ada", "typed in the hosted session")
	x.waitFor("bob", "typed in the hosted session")
	x.waitFor("ada-local", "typed in the hosted session")

	// A group: what one device of Ada writes shows on her other one.
	x.line("bob", "/group create Pair "+ada.ID)
	x.waitFor("ada", "# Pair")
	x.waitFor("ada-local", "# Pair")
	for _, w := range []string{"ada", "ada-local", "bob"} {
		x.line(w, "/open Pair")
	}
	x.line("ada-local", "group line from the laptop")
	x.waitFor("bob", "group line from the laptop")
	x.waitFor("ada", "group line from the laptop")
	x.line("ada", "group line from the hosted session")
	x.waitFor("bob", "group line from the hosted session")
	x.waitFor("ada-local", "group line from the hosted session")

	// The local client restarts and shows the same 1:1 history, in order.
	x.line("ada-local", "/quit")
	x.waitDead("ada-local")
	localOpen(x, "ada-local2", lc.argv())
	x.line("ada-local2", "/open "+bob.ID)
	scr := x.waitFor("ada-local2", "typed in the hosted session")
	order := []string{"hello to both of your devices", "typed on the laptop", "typed in the hosted session"}
	last := -1
	for _, s := range order {
		i := strings.Index(scr, s)
		if i < last {
			t.Fatalf("after a restart the local client shows the conversation out of order (%q):\n%s", s, scr)
		}
		last = i
	}
}

// TestOneDevicePolicyRefusesSecond: with parley_multi_device false, a user
// whose hosted session is their device cannot add a local client: the
// client says why.
func TestOneDevicePolicyRefusesSecond(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey := f.key("ada")
	ada := f.activeUser("acme", []key{adaKey}, "--name", "Ada Lovelace")
	x := f.x
	f.run("policy", "set", "--tenant", "acme", "--user", ada.ID, "parley_multi_device", "false")
	f.chat("ada", adaKey) // the hosted session is Ada's one device
	lc := newLocalClient(t, f.srv, adaKey)
	x.start("link", 100, 30, lc.argv("--link")...)
	x.waitFor("link", "can't be established")
	x.line("link", "yes")
	x.waitFor("link", "Passphrase of your hosted account")
	x.line("link", "the passphrase")
	x.waitFor("link", "New passphrase")
	x.line("link", "a local passphrase")
	x.waitFor("link", "same passphrase again")
	x.line("link", "a local passphrase")
	x.waitFor("link", "This machine is now a device of Ada Lovelace")
	x.start("ada-local", 100, 30, lc.argv()...)
	x.waitFor("ada-local", "Passphrase")
	x.line("ada-local", "a local passphrase")
	x.waitFor("ada-local", "allows you one device")
	x.waitDead("ada-local")
	if st := x.exitStatus("ada-local"); st != "" && st != "1" { // "": tmux did not keep it
		t.Fatalf("the refused client exited with status %q, want 1", st)
	}
}

// TestLocalClientDetectsKeySwap (devices issue, item 7): the server's
// operator replaces a contact's public key in the directory; the local
// client, which pinned the key at first contact, refuses to send to the
// contact and says so loudly.
func TestLocalClientDetectsKeySwap(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, bobKey := f.key("ada"), f.key("bob")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	x := f.x
	lc := newLocalClient(t, f.srv, adaKey)
	localEnrol(x, "enrol", lc.argv("--activate", ada.ActivationCode), "Ada Lovelace")
	localOpen(x, "ada", lc.argv())
	x.line("ada", "/open "+bob.ID)
	x.line("ada", "before the swap")
	f.chat("bob", bobKey)
	x.line("bob", "/open "+ada.ID)
	x.waitFor("bob", "before the swap")
	x.line("ada", "/quit")
	x.waitDead("ada")

	// The operator, with the server stopped, gives Bob another key.
	port := f.srv.sshPort
	f.srv.stop()
	db, err := store.Open(f.srv.data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := crypto.ParseID(bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	fake, _, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx store.Tx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		u.PublicKey = fake
		return tx.PutUser(u)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	f.srv.args = append(f.srv.args, "--ssh-listen", "127.0.0.1:"+port)
	f.srv.start()

	localOpen(x, "ada2", lc.argv())
	x.line("ada2", "/open "+bob.ID)
	x.line("ada2", "after the swap")
	x.waitFor("ada2", "DIFFERENT key")
	// Nothing waits for Bob on the relay: the client sealed nothing.
	x.line("ada2", "/quit")
	x.waitDead("ada2")
	f.srv.stop()
	db, err = store.Open(f.srv.data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(context.Background(), func(tx store.Tx) error {
		if ds, err := tx.Mailbox(id, 0, 0); err != nil || len(ds) != 0 {
			t.Errorf("%d envelopes wait for Bob after the swap (%v): the client sent to the swapped key", len(ds), err)
		}
		return nil
	})
}

// TestLocalAccountSecondMachine (devices issue, item 9): a local-mode
// account gets a second machine: the first exports its key to a sealed
// file, the second enrols its own SSH key with an add-device code and the
// file, proving to the server that it holds the account's key. Both
// machines then receive and show the same conversation. The key file is
// of no use with another account's code, and a wrong file passphrase
// enrols nothing.
func TestLocalAccountSecondMachine(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, adaKey2, bobKey := f.key("ada"), f.key("ada-desktop"), f.key("bob")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	x := f.x
	laptop, desktop := newLocalClient(t, f.srv, adaKey), newLocalClient(t, f.srv, adaKey2)
	localEnrol(x, "enrol", laptop.argv("--activate", ada.ActivationCode), "Ada Lovelace")

	file := filepath.Join(desktop.home, "ada.parleykey")
	x.start("export", 100, 30, laptop.argv("--export-key", file)...)
	x.waitFor("export", "Passphrase of your key on this machine")
	x.line("export", "a local passphrase")
	x.waitFor("export", "New passphrase")
	x.line("export", "the file's passphrase")
	x.waitFor("export", "same passphrase again")
	x.line("export", "the file's passphrase")
	x.waitFor("export", "Wrote the key of Ada Lovelace")
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, st)
	}

	// The admin's code says how a local-mode account adds a machine.
	if out := f.run("user", "code", ada.ID, "--tenant", "acme"); !strings.Contains(out, "--import KEYFILE") {
		t.Fatalf("user code for a local-mode account prints:\n%s", out)
	}
	var more userOut
	f.json(&more, "user", "code", ada.ID, "--tenant", "acme")
	// A wrong passphrase for the file: nothing happens.
	x.start("wrong", 100, 30, desktop.argv("--activate", more.ActivationCode, "--import", file)...)
	x.waitFor("wrong", "Passphrase of the key file")
	x.line("wrong", "not the file's passphrase")
	x.waitFor("wrong", "wrong passphrase for the key file")
	x.start("import", 100, 30, desktop.argv("--activate", more.ActivationCode, "--import", file)...)
	x.waitFor("import", "Passphrase of the key file")
	x.line("import", "the file's passphrase")
	x.waitFor("import", "can't be established")
	x.line("import", "yes")
	x.waitFor("import", "New passphrase")
	x.line("import", "a local passphrase")
	x.waitFor("import", "same passphrase again")
	x.line("import", "a local passphrase")
	x.waitFor("import", "This machine is now a device of Ada Lovelace ("+ada.ID+")")

	localOpen(x, "laptop", laptop.argv())
	localOpen(x, "desktop", desktop.argv())
	f.chat("bob", bobKey)
	x.line("bob", "/open "+ada.ID)
	x.line("laptop", "/open "+bob.ID)
	x.line("desktop", "/open "+bob.ID)
	x.line("bob", "to both machines")
	x.waitFor("laptop", "to both machines")
	x.waitFor("desktop", "to both machines")
	x.line("desktop", "from the desktop")
	x.waitFor("bob", "from the desktop")
	x.waitFor("laptop", "from the desktop")
	x.line("laptop", "from the laptop")
	x.waitFor("bob", "from the laptop")
	x.waitFor("desktop", "from the laptop")
	// The server holds no key of Ada's, and the add-device is audited.
	var who struct {
		SealedKey bool `json:"sealed_key"`
	}
	mustJSON(t, f.srv.mustSSH(adaKey2, "", "whoami", "--json"), &who)
	if who.SealedKey {
		t.Fatal("the server holds a sealed key for the local account")
	}
	var entries []auditEntryOut
	f.json(&entries, "audit", "list", "--tenant", "acme", "--target", ada.ID)
	found := false
	for _, e := range entries {
		found = found || (e.Action == "device.add" && e.Actor == adaKey2.fingerprint())
	}
	if !found {
		t.Fatalf("no device.add by the desktop's key in the audit log: %+v", entries)
	}
}
