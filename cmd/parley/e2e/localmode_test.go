package e2e

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// localClient runs `parley chat` as a user of this machine would: its own
// HOME (known_hosts) and data directory.
type localClient struct {
	home, data string
	key        key
	target     string
}

func newLocalClient(t *testing.T, srv *server, k key) localClient {
	home := t.TempDir()
	return localClient{home: home, data: filepath.Join(home, "share"), key: k, target: "127.0.0.1:" + srv.sshPort}
}

func (c localClient) argv(args ...string) []string {
	return append([]string{"env", "HOME=" + c.home, "XDG_DATA_HOME=" + c.data, "SSH_AUTH_SOCK=", binary, "chat", "-i", c.key.path}, append(args, c.target)...)
}

// accountDir is where the client keeps the account for the server.
func (c localClient) accountDir() string { return filepath.Join(c.data, "parley", c.target) }

// TestLocalModeChat (devices issue, items 1–3 and 5): `parley chat --activate`
// makes the key pair on the user's machine and registers only the public
// key; `parley chat` then runs the same chat TUI on the local terminal
// over the parley subsystem, and a hosted user and a local user talk both
// ways; the history is the local store's and survives a restart of the
// client; the server holds no sealed key for the local user. When the
// server goes away, the client stays open, keeps what the user writes,
// reconnects by itself and sends it in order.
func TestLocalModeChat(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	bobKey, adaKey := f.key("bob"), f.key("ada")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	x := f.x
	lc := newLocalClient(t, f.srv, adaKey)

	// Enrolment: trust on first use, a new passphrase twice.
	localEnrol(x, "enrol", lc.argv("--activate", ada.ActivationCode), "Ada Lovelace ("+ada.ID+") of acme")
	x.waitFor("enrol", "ED25519 key fingerprint is SHA256:") // what the user was asked to accept
	x.waitDead("enrol")
	if kh, err := os.ReadFile(filepath.Join(lc.home, ".ssh", "known_hosts")); err != nil || !strings.Contains(string(kh), "[127.0.0.1]:"+f.srv.sshPort) {
		t.Fatalf("known_hosts after first contact: %v %q", err, kh)
	}
	for _, name := range []string{"account.json", "key.sealed"} {
		st, err := os.Stat(filepath.Join(lc.accountDir(), name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v, want 0600", name, err, st.Mode())
		}
	}
	var acct struct {
		UserID    string `json:"user_id"`
		PublicKey string `json:"public_key"`
	}
	js, err := os.ReadFile(filepath.Join(lc.accountDir(), "account.json"))
	if err != nil || json.Unmarshal(js, &acct) != nil || acct.UserID != ada.ID {
		t.Fatalf("account.json: %v %s", err, js)
	}
	// The server knows the public key made on the client, and no sealed key.
	var who struct {
		PublicKey string `json:"public_key"`
		SealedKey bool   `json:"sealed_key"`
	}
	mustJSON(t, f.srv.mustSSH(adaKey, "", "whoami", "--json"), &who)
	if who.PublicKey != acct.PublicKey || who.SealedKey {
		t.Fatalf("the server has public key %q and sealed key %v; the client made %q", who.PublicKey, who.SealedKey, acct.PublicKey)
	}
	// A second enrolment on this machine is refused before the server is asked.
	x.start("again", 100, 30, lc.argv("--activate", ada.ActivationCode)...)
	x.waitFor("again", "exists already")

	// Chat: the same TUI, unlocked with the local passphrase.
	localOpen(x, "ada", lc.argv())
	f.chat("bob", bobKey)
	x.line("bob", "/open "+ada.ID)
	x.line("ada", "/open "+bob.ID)
	x.waitFor("ada", "Bob Baker")
	x.line("ada", "hello from my own machine")
	x.waitFor("bob", "hello from my own machine")
	x.line("bob", "hello back from the server")
	x.waitFor("ada", "hello back from the server")

	// The history is local: it is there after the client restarts.
	x.line("ada", "/quit")
	x.waitDead("ada")
	if st := x.exitStatus("ada"); st != "" && st != "0" {
		t.Fatalf("parley chat exited with %s after /quit", st)
	}
	localOpen(x, "ada2", lc.argv())
	x.line("ada2", "/open "+bob.ID)
	x.waitFor("ada2", "hello from my own machine")
	x.waitFor("ada2", "hello back from the server")

	// Offline (item 5): the server goes away; what the user writes is kept
	// and sent, in order, once the client has reconnected by itself.
	port := f.srv.sshPort
	f.srv.stop()
	x.waitFor("ada2", "offline")
	x.line("ada2", "written while offline 1")
	x.line("ada2", "written while offline 2")
	x.waitFor("ada2", "written while offline 2")
	f.srv.args = append(f.srv.args, "--ssh-listen", "127.0.0.1:"+port) // the same address
	f.srv.start()
	x.waitFor("ada2", "Connected again")
	f.chat("bob2", bobKey)
	x.line("bob2", "/open "+ada.ID)
	scr := paneText(x.waitFor("bob2", "│       written while offline 2"))
	if i, j := strings.Index(scr, "written while offline 1"), strings.Index(scr, "written while offline 2"); i < 0 || i > j {
		t.Fatalf("the queued messages arrived out of order or not at all:\n%s", scr)
	}
	if n := strings.Count(paneText(settled(x, "bob2")), "written while offline"); n != 2 {
		t.Fatalf("Bob sees %d queued messages, want 2:\n%s", n, x.screen("bob2"))
	}

	// Nothing the users wrote is on the server's disk or in the local
	// store in clear.
	secrets := []string{"hello from my own machine", "hello back from the server", "written while offline", "a local passphrase"}
	assertNotOnDisk(t, f.srv.data, secrets...)
	assertNotOnDisk(t, lc.data, secrets...)
	// Nor in the server's log; and the secret key made on Ada's machine,
	// raw or in hex, is neither on the server's disk nor in its log.
	logText := f.srv.logText()
	for _, s := range secrets {
		if strings.Contains(logText, s) {
			t.Errorf("the server's log holds %q", s)
		}
	}
	sealed, err := os.ReadFile(filepath.Join(lc.accountDir(), "key.sealed"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.ParsePublicKey(acct.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.OpenSecretKey([]byte("a local passphrase"), sealed, pub)
	if err != nil {
		t.Fatalf("open Ada's local key: %v", err)
	}
	raw, hexed := sk[:], []byte(hex.EncodeToString(sk[:]))
	assertBytesNotOnDisk(t, f.srv.data, raw, hexed)
	if strings.Contains(logText, string(hexed)) || strings.Contains(logText, string(raw)) {
		t.Error("the server's log holds Ada's secret key")
	}
}

// assertNotOnDisk fails if any file under dir holds one of the texts.
func assertNotOnDisk(t *testing.T, dir string, texts ...string) {
	t.Helper()
	chunks := make([][]byte, len(texts))
	for i, s := range texts {
		chunks[i] = []byte(s)
	}
	assertBytesNotOnDisk(t, dir, chunks...)
}

// TestMigrateToLocalMode (devices issue, item 4): a tenant forbids hosted
// mode (parley_hosted_mode forbidden): new users cannot enrol on the
// server, hosted users are told how to move; `parley chat --migrate`
// moves a hosted user's key to their machine and has the server delete
// its copy; their open hosted session ends; they chat in local mode with
// the same ID and key, and their contacts notice nothing.
func TestMigrateToLocalMode(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	bobKey, carlKey, danKey := f.key("bob"), f.key("carl"), f.key("dan")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	carl := f.activeUser("acme", []key{carlKey}, "--name", "Carl Clark")
	x := f.x
	f.chat("bob", bobKey)
	f.chat("carl", carlKey)
	x.line("carl", "/open "+bob.ID)
	x.line("carl", "written in hosted mode")
	x.line("bob", "/open "+carl.ID)
	x.waitFor("bob", "written in hosted mode")

	f.run("policy", "set", "--tenant", "acme", "parley_hosted_mode", "forbidden")
	dan := f.createUser("acme", "--name", "Dan Dunn")
	expectFail(t, f.srv.ssh(danKey, "the passphrase\n", "activate", dan.ActivationCode), "Enrol on your own device instead")
	expectFail(t, f.srv.ssh(carlKey, "the passphrase\n", "unlock"), "parley chat --migrate")
	// The admin's code for a user who may not be hosted names the local client.
	if out := f.run("user", "code", dan.ID, "--tenant", "acme"); !strings.Contains(out, "parley chat --activate") {
		t.Fatalf("user code with hosted mode forbidden prints:\n%s", out)
	}

	lc := newLocalClient(t, f.srv, carlKey)
	x.start("mig", 100, 30, lc.argv("--migrate")...)
	x.waitFor("mig", "can't be established")
	x.line("mig", "yes")
	x.waitFor("mig", "Passphrase of your hosted account")
	x.line("mig", "the passphrase")
	x.waitFor("mig", "New passphrase")
	x.line("mig", "carl's own passphrase")
	x.waitFor("mig", "same passphrase again")
	x.line("mig", "carl's own passphrase")
	x.waitFor("mig", "Moved Carl Clark ("+carl.ID+") to this machine")
	// The hosted session that held the key on the server ends.
	x.waitDead("carl")
	if st := x.exitStatus("carl"); st != "" && st != "1" {
		t.Fatalf("the hosted session ended with status %s, want 1", st)
	}
	var who struct {
		SealedKey bool `json:"sealed_key"`
	}
	mustJSON(t, f.srv.mustSSH(carlKey, "", "whoami", "--json"), &who)
	if who.SealedKey {
		t.Fatal("the server still holds Carl's sealed key after the move")
	}
	f.refused(carlKey, "local mode")

	x.start("carl-local", 100, 30, lc.argv()...)
	x.waitFor("carl-local", "Passphrase")
	x.line("carl-local", "carl's own passphrase")
	x.waitFor("carl-local", "Welcome to Parley")
	x.line("carl-local", "/open "+bob.ID)
	x.line("carl-local", "written in local mode")
	x.waitFor("bob", "written in local mode")
	x.line("bob", "answer to the moved account")
	x.waitFor("carl-local", "answer to the moved account")
	// Enrolment and the move are in the tenant's audit log, by the user's key
	// (issue 17, item 10: a device activation is audited).
	var entries []auditEntryOut
	f.json(&entries, "audit", "list", "--tenant", "acme", "--target", carl.ID)
	var acts []string
	for _, e := range entries {
		acts = append(acts, e.Action)
		if e.Action != "user.create" && e.Actor != carlKey.fingerprint() {
			t.Errorf("%s was recorded with actor %q, want the user's key", e.Action, e.Actor)
		}
	}
	if got := strings.Join(acts, " "); !strings.Contains(got, "user.activate") || !strings.HasSuffix(got, "user.local_mode") {
		t.Fatalf("audit entries about Carl: %q, want the activation and the move", got)
	}
	// A second --migrate has nothing left to move.
	x.line("carl-local", "/quit")
	x.waitDead("carl-local")
	x.start("mig2", 100, 30, lc.argv("--migrate")...)
	x.waitFor("mig2", "local mode")
}

// localEnrol runs `parley chat --activate` in window name: it accepts
// the new host key and sets "a local passphrase".
func localEnrol(x *tmux, name string, argv []string, who string) {
	x.t.Helper()
	x.start(name, 100, 30, argv...)
	x.waitFor(name, "can't be established")
	x.line(name, "yes")
	x.waitFor(name, "New passphrase")
	x.line(name, "a local passphrase")
	x.waitFor(name, "same passphrase again")
	x.line(name, "a local passphrase")
	x.waitFor(name, "Enrolled as "+who)
}

// localOpen runs `parley chat` in window name and unlocks it.
func localOpen(x *tmux, name string, argv []string) {
	x.t.Helper()
	x.start(name, 100, 30, argv...)
	x.waitFor(name, "Passphrase")
	x.line(name, "a local passphrase")
	x.waitFor(name, "Welcome to Parley")
}

// startAgent runs an ssh-agent holding k, for the test's lifetime, and
// returns its socket.
func startAgent(t *testing.T, k key) string {
	t.Helper()
	need(t, "ssh-agent", "ssh-add")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent did not start")
		}
		time.Sleep(20 * time.Millisecond) // the agent creates its socket
	}
	add := exec.Command("ssh-add", k.path)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	return sock
}

// TestLocalClientsAgentConfigRevokeHostKey (devices issue, quality bar):
// two local clients — one through a real ssh-agent and a ~/.ssh/config
// host alias, one with -i — chat both ways; a revoked user's local client
// is cut off at once and says why; a server that comes back with another
// host key is refused with OpenSSH's warning, by the running client and by
// a new one.
func TestLocalClientsAgentConfigRevokeHostKey(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, eveKey := f.key("ada"), f.key("eve")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	eve := f.createUser("acme", "--name", "Eve Everett")
	x := f.x

	la := newLocalClient(t, f.srv, adaKey)
	le := newLocalClient(t, f.srv, eveKey)
	sock := startAgent(t, eveKey)
	if err := os.MkdirAll(filepath.Join(le.home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "Host parley-work\n  HostName 127.0.0.1\n  Port " + f.srv.sshPort + "\n  User eve\n"
	if err := os.WriteFile(filepath.Join(le.home, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	eveArgv := func(args ...string) []string {
		return append([]string{"env", "HOME=" + le.home, "XDG_DATA_HOME=" + le.data, "SSH_AUTH_SOCK=" + sock, binary, "chat"},
			append(args, "parley-work")...)
	}
	localEnrol(x, "enrol-ada", la.argv("--activate", ada.ActivationCode), "Ada Lovelace")
	localEnrol(x, "enrol-eve", eveArgv("--activate", eve.ActivationCode), "Eve Everett")
	// The alias resolves to the same server: one account directory for it.
	if _, err := os.Stat(filepath.Join(le.data, "parley", "127.0.0.1:"+f.srv.sshPort, "account.json")); err != nil {
		t.Fatalf("eve's account under the resolved host: %v", err)
	}
	localOpen(x, "ada", la.argv())
	localOpen(x, "eve", eveArgv())
	x.line("ada", "/open "+eve.ID)
	x.line("eve", "/open "+ada.ID)
	x.line("ada", "from one machine")
	x.waitFor("eve", "from one machine")
	x.line("eve", "to the other")
	x.waitFor("ada", "to the other")

	// Revocation cuts the local client off within a second or two and
	// says why; it does not retry.
	start := time.Now()
	f.run("user", "revoke", eve.ID, "--tenant", "acme")
	revoked := time.Now()
	x.waitFor("eve", "belongs to no active Parley user")
	t.Logf("revoked user's local client cut off %v after the revoke command returned (the command took %v)",
		time.Since(revoked).Round(time.Millisecond), revoked.Sub(start).Round(time.Millisecond))
	x.waitFor("eve", "offline, not retrying")

	// Another host key on the same address.
	port := f.srv.sshPort
	f.srv.stop()
	x.waitFor("ada", "offline")
	impostor := startServer(t, filepath.Join(t.TempDir(), "other"), "--ssh-listen", "127.0.0.1:"+port)
	_ = impostor
	x.waitFor("ada", "REMOTE HOST IDENTIFICATION HAS CHANGED")
	x.line("ada", "/quit")
	x.waitDead("ada")
	x.start("ada-again", 100, 30, la.argv()...)
	x.waitFor("ada-again", "has changed: the connection was refused")
	x.waitDead("ada-again")
	if st := x.exitStatus("ada-again"); st != "" && st != "1" {
		t.Fatalf("parley chat against a changed host key exited with %s, want 1", st)
	}
}

// TestLocalModeSurvivesKill (devices issue, quality bar): a local client
// sends a burst while the server is killed with SIGKILL and comes back on
// the same address; every line reaches the other local client once, in
// order, live and in its history, and the database is consistent.
func TestLocalModeSurvivesKill(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, eveKey := f.key("ada"), f.key("eve")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	eve := f.createUser("acme", "--name", "Eve Everett")
	x := f.x
	la, le := newLocalClient(t, f.srv, adaKey), newLocalClient(t, f.srv, eveKey)
	localEnrol(x, "enrol-ada", la.argv("--activate", ada.ActivationCode), "Ada Lovelace")
	localEnrol(x, "enrol-eve", le.argv("--activate", eve.ActivationCode), "Eve Everett")
	localOpen(x, "ada", la.argv())
	localOpen(x, "eve", le.argv())
	x.line("ada", "/open "+eve.ID)
	x.line("eve", "/open "+ada.ID)
	x.waitFor("ada", "Eve Everett")

	const n = 200
	port := f.srv.sshPort
	burst(x, "ada", "k", n)
	time.Sleep(150 * time.Millisecond) // mid-burst: some lines sent, some not yet
	f.srv.kill()
	if ns := numbers(x.screen("eve"), "k"); len(ns) > 0 {
		t.Logf("the server was killed when the recipient showed up to k%04d of %d", ns[len(ns)-1], n)
	} else {
		t.Logf("the server was killed before the recipient showed any of the %d lines", n)
	}
	checkDB(t, f.srv.data)
	f.srv.args = append(f.srv.args, "--ssh-listen", "127.0.0.1:"+port)
	f.srv.start()
	waitLast(t, x, "eve", "k", n)
	waitLast(t, x, "ada", "k", n)
	wantHistory(t, x, "eve", "k", n)
}

// TestLocalAndHostedInAGroup (devices issue, item 10): two local clients
// and a hosted session in one group, created from a local client; each
// one's message reaches the other two; 1:1 between hosted and local both
// ways is covered by TestLocalModeChat.
func TestLocalAndHostedInAGroup(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, eveKey, bobKey := f.key("ada"), f.key("eve"), f.key("bob")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	eve := f.createUser("acme", "--name", "Eve Everett")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	x := f.x
	la, le := newLocalClient(t, f.srv, adaKey), newLocalClient(t, f.srv, eveKey)
	localEnrol(x, "enrol-ada", la.argv("--activate", ada.ActivationCode), "Ada Lovelace")
	localEnrol(x, "enrol-eve", le.argv("--activate", eve.ActivationCode), "Eve Everett")
	localOpen(x, "ada", la.argv())
	localOpen(x, "eve", le.argv())
	f.chat("bob", bobKey)

	x.line("ada", "/group create Mixed "+eve.ID+" "+bob.ID)
	x.waitFor("ada", "Group Mixed created")
	x.waitFor("eve", "# Mixed")
	x.waitFor("bob", "# Mixed")
	for _, w := range []string{"ada", "eve", "bob"} {
		x.line(w, "/open Mixed")
	}
	for _, from := range []string{"ada", "eve", "bob"} {
		text := "group line from " + from
		x.line(from, text)
		for _, to := range []string{"ada", "eve", "bob"} {
			x.waitFor(to, text)
		}
	}
}

// TestLocalModeFiles: a local client sends a file from its own disk with
// /send and a hosted user fetches the same bytes with scp; the hosted
// user sends one with scp and the local client /save's it into its
// downloads, the same bytes; neither file is on the server's disk in clear.
func TestLocalModeFiles(t *testing.T) {
	need(t, "scp")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	adaKey, bobKey := f.key("ada"), f.key("bob")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	x := f.x
	la := newLocalClient(t, f.srv, adaKey)
	localEnrol(x, "enrol-ada", la.argv("--activate", ada.ActivationCode), "Ada Lovelace")
	localOpen(x, "ada", la.argv())
	f.chat("bob", bobKey) // his key is unlocked on the server while he chats
	x.line("ada", "/open "+bob.ID)
	x.line("bob", "/open "+ada.ID)

	report, reportBytes := writeRandom(t, la.home, "report.pdf", 700<<10+13) // two chunks on the wire
	x.line("ada", "/send "+report)
	x.waitFor("ada", "Sent report.pdf")
	x.waitFor("bob", "report.pdf")
	got, ok := findFile(f.files(bobKey), "report.pdf")
	if !ok || got.Size != int64(len(reportBytes)) || got.From != ada.ID {
		t.Fatalf("bob's files: %+v", f.files(bobKey))
	}
	// The hosted chat's hint is the scp command that works against this
	// server (issue 17, item 5).
	x.waitFor("bob", "127.0.0.1:inbox/"+got.ID) // the hint may wrap
	if scr := x.screen("bob"); !strings.Contains(strings.Join(strings.Fields(scr), " "), "fetch: scp -P "+f.srv.sshPort) {
		t.Fatalf("the file hint lacks the port:\n%s", scr)
	}
	dl := filepath.Join(t.TempDir(), "report.pdf")
	f.srv.mustSCP(bobKey, "HOST:inbox/"+got.ID, dl)
	if b, err := os.ReadFile(dl); err != nil || !bytes.Equal(b, reportBytes) {
		t.Fatalf("bob downloaded %d bytes (%v), want the %d ada sent", len(b), err, len(reportBytes))
	}

	notes, notesBytes := writeRandom(t, t.TempDir(), "notes.txt", 90<<10)
	f.srv.mustSCP(bobKey, notes, "HOST:@"+ada.ID)
	x.waitFor("ada", "notes.txt")
	x.waitFor("ada", "/save keeps it")
	if err := os.MkdirAll(filepath.Join(la.home, "Downloads"), 0o700); err != nil {
		t.Fatal(err)
	}
	x.line("ada", "/save")
	x.waitFor("ada", "Saved notes.txt")
	if b, err := os.ReadFile(filepath.Join(la.home, "Downloads", "notes.txt")); err != nil || !bytes.Equal(b, notesBytes) {
		t.Fatalf("ada saved %d bytes (%v), want the %d bob sent", len(b), err, len(notesBytes))
	}
	assertBytesNotOnDisk(t, f.srv.data, reportBytes[:4096], notesBytes[:4096])
}

// assertBytesNotOnDisk fails if any file under dir holds one of the byte
// strings.
func assertBytesNotOnDisk(t *testing.T, dir string, chunks ...[]byte) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range chunks {
			if bytes.Contains(b, c) {
				t.Errorf("%s holds %.40q in clear", path, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
