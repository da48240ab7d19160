package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// parley runs the parley binary with args and returns its combined output.
func parley(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput() //nolint:gosec // the binary TestMain built
	return string(out), err
}

// TestOnlineBackupUnderLoad: a sender uploads files to two users as fast
// as scp goes; once some are acknowledged, an instance admin takes a
// backup over SSH while the uploads go on. The archive verifies, restores
// into a fresh directory, and a server started on it has every file
// acknowledged before the backup began in its recipient's history, a
// downloadable copy of one of them, and the old host key.
func TestOnlineBackupUnderLoad(t *testing.T) {
	need(t, "ssh", "scp")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	const workers = 2
	var to []key
	var toID []string
	for w := range workers {
		k := f.key(fmt.Sprint("rcpt", w))
		u := f.activeUser("acme", []key{k}, "--name", fmt.Sprint("Recipient ", w))
		to, toID = append(to, k), append(toID, u.ID)
	}
	f.srv.mustSSH(ann, "the passphrase\n", "unlock")
	src := t.TempDir()
	var (
		mu    sync.Mutex
		acked = map[string]int{} // file name → recipient
	)
	ackedNow := make(chan struct{}, 1000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("load-%d-%04d.txt", w, i)
				path := filepath.Join(src, name)
				if err := os.WriteFile(path, []byte("file "+name), 0o600); err != nil {
					t.Error(err)
					return
				}
				if r := f.srv.scp(ann, path, "HOST:@"+toID[w]); r.code == 0 {
					mu.Lock()
					acked[name] = w
					mu.Unlock()
					ackedNow <- struct{}{}
				}
			}
		})
	}
	for range 6 {
		select {
		case <-ackedNow:
		case <-time.After(60 * time.Second):
			close(stop)
			wg.Wait()
			t.Fatalf("no uploads acknowledged; log:\n%s", f.srv.logText())
		}
	}
	mu.Lock()
	before := make(map[string]int, len(acked))
	for k, v := range acked {
		before[k] = v
	}
	mu.Unlock()

	// The backup, while the uploads go on.
	r := f.srv.ssh(f.root, "", "backup")
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	// The uploads go on past the backup (so some ran through it) before
	// they stop.
	for len(ackedNow) > 0 {
		<-ackedNow
	}
	for range 2 {
		select {
		case <-ackedNow:
		case <-time.After(60 * time.Second):
			t.Error("the uploads stopped during the backup")
		}
	}
	close(stop)
	wg.Wait()
	if r.code != 0 {
		t.Fatalf("backup: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "backup: ") || !strings.Contains(r.stderr, " files, ") {
		t.Fatalf("backup's summary on stderr: %q", r.stderr)
	}
	arc := filepath.Join(t.TempDir(), "parley.tar")
	if err := os.WriteFile(arc, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := parley(t, "restore", "--from", arc, "--verify-only"); err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("restore --verify-only: %v: %s", err, out)
	}
	data := filepath.Join(t.TempDir(), "restored")
	if out, err := parley(t, "restore", "--from", arc, "--data", data); err != nil || !strings.Contains(out, "restored ") {
		t.Fatalf("restore: %v: %s", err, out)
	}
	if st, err := os.Stat(data); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("restored directory: %v, %v", st, err)
	}
	oldKey, err := os.ReadFile(filepath.Join(f.srv.data, "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	if newKey, err := os.ReadFile(filepath.Join(data, "ssh_host_ed25519_key")); err != nil || !bytes.Equal(oldKey, newKey) {
		t.Fatalf("the restored host key differs (%v)", err)
	}

	// A server on the restored directory has every acknowledged-before file.
	restored := startServer(t, data)
	g := &adminFx{t: t, srv: restored, root: f.root, keys: f.keys}
	found := 0
	var one fileOut
	for w, k := range to {
		restored.mustSSH(k, "the passphrase\n", "unlock")
		files := g.files(k)
		for name, rcpt := range before {
			if rcpt != w {
				continue
			}
			x, ok := findFile(files, name)
			if !ok {
				t.Errorf("%s was acknowledged before the backup began but is not in the restored history of recipient %d", name, w)
				continue
			}
			found++
			one = x
		}
	}
	if found == 0 {
		t.Fatal("no file was checked: the test tested nothing")
	}
	dl := filepath.Join(t.TempDir(), "download.txt")
	restored.mustSCP(to[acked[one.Name]], "HOST:inbox/"+one.ID, dl)
	if b, err := os.ReadFile(dl); err != nil || string(b) != "file "+one.Name {
		t.Fatalf("restored file %s: %q, %v", one.Name, b, err)
	}
	t.Logf("%d files acknowledged before the backup, all restored; %d more acknowledged while it ran", len(before), during)
}

// TestBackupAdminOnly: the backup command is refused to a user, to a tenant
// owner and to an unknown key, and writes nothing to their stdout; the
// offline backup refuses a directory a server holds; an instance admin's
// backup is recorded in the audit log.
func TestBackupAdminOnly(t *testing.T) {
	need(t, "ssh")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, owner, stranger := f.key("ann"), f.key("owner"), f.key("stranger")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	f.srv.mustSSH(f.root, owner.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner", "--label", "Olga Owner")
	for _, k := range []key{ann, owner, stranger} {
		r := f.srv.ssh(k, "", "backup")
		if r.code == 0 || r.stdout != "" {
			t.Fatalf("backup by %s: exit %d, %d bytes on stdout", k.path, r.code, len(r.stdout))
		}
	}
	expectFail(t, f.srv.ssh(owner, "", "backup"), "permission denied")

	out, err := parley(t, "backup", "--data", f.srv.data, "--to", filepath.Join(t.TempDir(), "x.tar"))
	if err == nil || !strings.Contains(out, "in use by a running server") {
		t.Fatalf("offline backup of a running server's directory: %v: %s", err, out)
	}

	f.run("backup")
	var entries []auditEntryOut
	f.json(&entries, "audit", "list", "--action", "instance.backup")
	if len(entries) != 1 {
		t.Fatalf("audit entries for the backup: %+v", entries)
	}
}

// TestOfflineBackup: parley backup against a stopped server's directory
// writes an archive that restores into a directory a server starts on.
func TestOfflineBackup(t *testing.T) {
	need(t, "ssh")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	f.srv.stop()
	arc := filepath.Join(t.TempDir(), "offline.tar")
	if out, err := parley(t, "backup", "--data", f.srv.data, "--to", arc); err != nil {
		t.Fatalf("offline backup: %v: %s", err, out)
	}
	if out, err := parley(t, "backup", "--data", f.srv.data, "--to", arc); err == nil || !strings.Contains(out, "exists") {
		t.Fatalf("backup over an existing file: %v: %s", err, out)
	}
	data := filepath.Join(t.TempDir(), "restored")
	if out, err := parley(t, "restore", "--from", arc, "--data", data); err != nil {
		t.Fatalf("restore: %v: %s", err, out)
	}
	restored := startServer(t, data)
	if out := restored.mustSSH(f.root, "", "tenant", "list"); !strings.Contains(out, "acme") {
		t.Fatalf("the restored server lost the tenant: %q", out)
	}
}
