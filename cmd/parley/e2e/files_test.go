package e2e

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileOut is one file of `files --json`.
type fileOut struct {
	ID       string    `json:"id"`
	From     string    `json:"from"`
	FromName string    `json:"from_name"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Mime     string    `json:"mime"`
	Time     time.Time `json:"time"`
}

// scp runs OpenSSH's scp against the test server with key k; remote paths
// are written "HOST:path".
func (s *server) scp(k key, args ...string) result {
	s.t.Helper()
	full := []string{"-F", "/dev/null", "-P", s.sshPort, "-i", k.path, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}
	for _, a := range args {
		full = append(full, strings.ReplaceAll(a, "HOST:", "127.0.0.1:"))
	}
	cmd := exec.Command("scp", full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("scp %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (s *server) mustSCP(k key, args ...string) {
	s.t.Helper()
	if r := s.scp(k, args...); r.code != 0 {
		s.t.Fatalf("scp %s: exit %d\nstderr: %s\nserver log:\n%s", strings.Join(args, " "), r.code, r.stderr, s.logText())
	}
}

// writeRandom writes n random bytes to a new file in dir.
func writeRandom(t *testing.T, dir, name string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

func (f *adminFx) files(k key) []fileOut {
	f.t.Helper()
	var out []fileOut
	mustJSON(f.t, f.srv.mustSSH(k, "", "files", "--json"), &out)
	return out
}

func findFile(files []fileOut, name string) (fileOut, bool) {
	for _, x := range files {
		if x.Name == name {
			return x, true
		}
	}
	return fileOut{}, false
}

// TestFilesOverSCP: files go from one user to another with the real
// OpenSSH scp, in both of its protocols (sftp, the default since OpenSSH 9,
// and the legacy one with -O), the bytes arriving unchanged; `files` lists
// them; keys come from the unlock window; oversize files, path traversal
// and unknown targets are refused and store nothing.
func TestFilesOverSCP(t *testing.T) {
	need(t, "ssh", "scp")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	aliceKey, bobKey, strangerKey := f.key("alice"), f.key("bob"), f.key("stranger")
	alice := f.activeUser("acme", []key{aliceKey}, "--name", "Alice Example")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Builder")
	work := t.TempDir()
	report, reportBytes := writeRandom(t, work, "report.pdf", 300<<10+17)
	notes, notesBytes := writeRandom(t, work, "notes.txt", 70<<10)
	empty, _ := writeRandom(t, work, "empty.txt", 0)

	// Locked: without a session or unlock, nothing needs the key.
	expectFail(t, f.srv.scp(aliceKey, report, "HOST:@"+bob.ID), "unlock")
	expectFail(t, f.srv.scp(aliceKey, "-O", report, "HOST:@"+bob.ID), "locked")
	expectFail(t, f.srv.ssh(aliceKey, "", "files"), "locked: your key is not unlocked on the server: run `ssh -p "+f.srv.sshPort+" 127.0.0.1 unlock`")
	expectFail(t, f.srv.ssh(strangerKey, "the passphrase\n", "unlock"), "only an enrolled user")
	expectFail(t, f.srv.ssh(aliceKey, "not the passphrase\n", "unlock"), "wrong passphrase")
	time.Sleep(1100 * time.Millisecond) // the passphrase throttle: one second after a failure
	expectFail(t, f.srv.ssh(aliceKey, "", "unlock"), "no passphrase given")

	// Unlocked from a script: the passphrase is the first line of stdin.
	out := f.srv.mustSSH(aliceKey, "the passphrase\n", "unlock")
	if !strings.Contains(out, "Unlocked until") || !strings.Contains(out, "(15m)") {
		t.Fatalf("unlock: %q", out)
	}
	var unlocked struct {
		Until  time.Time `json:"unlocked_until"`
		Window string    `json:"window"`
	}
	mustJSON(t, f.srv.mustSSH(aliceKey, "the passphrase\n", "unlock", "--json"), &unlocked)
	if unlocked.Window != "15m0s" || time.Until(unlocked.Until) < 14*time.Minute {
		t.Fatalf("unlock --json: %+v", unlocked)
	}

	// Alice sends with scp's default (sftp) and with the legacy protocol.
	f.srv.mustSCP(aliceKey, report, "HOST:@"+bob.ID)
	f.srv.mustSCP(aliceKey, "-O", notes, "HOST:@"+bob.ID)
	f.srv.mustSCP(aliceKey, "-O", empty, "HOST:@"+bob.ID+"/renamed-empty.txt")

	// Bob, locked, cannot list; unlocked, he sees the three.
	expectFail(t, f.srv.ssh(bobKey, "", "files", "--json"), "locked")
	f.srv.mustSSH(bobKey, "the passphrase\n", "unlock")
	got := f.files(bobKey)
	if len(got) != 3 {
		t.Fatalf("bob's files: %+v", got)
	}
	r, ok1 := findFile(got, "report.pdf")
	n, ok2 := findFile(got, "notes.txt")
	e, ok3 := findFile(got, "renamed-empty.txt")
	if !ok1 || !ok2 || !ok3 || r.Size != int64(len(reportBytes)) || n.Size != int64(len(notesBytes)) || e.Size != 0 ||
		r.From != alice.ID || r.FromName != "Alice Example" || r.Mime != "application/pdf" || len(r.ID) != 16 {
		t.Fatalf("bob's files: %+v", got)
	}
	human := f.srv.mustSSH(bobKey, "", "files")
	for _, want := range []string{"report.pdf", "Alice Example (" + alice.ID + ")", "300.0 KiB", "scp -P " + f.srv.sshPort} {
		if !strings.Contains(human, want) {
			t.Fatalf("files lacks %q:\n%s", want, human)
		}
	}

	// He fetches them, both ways: the bytes match.
	dl := t.TempDir()
	f.srv.mustSCP(bobKey, "-O", "HOST:inbox/"+r.ID, dl) // into a folder: saved under its message ID
	if b, err := os.ReadFile(filepath.Join(dl, r.ID)); err != nil || !bytes.Equal(b, reportBytes) {
		t.Fatalf("legacy download: %d bytes, %v; equal: %t", len(b), err, bytes.Equal(b, reportBytes))
	}
	f.srv.mustSCP(bobKey, "HOST:inbox/"+n.ID, filepath.Join(dl, "notes-sftp.txt"))
	if b, err := os.ReadFile(filepath.Join(dl, "notes-sftp.txt")); err != nil || !bytes.Equal(b, notesBytes) {
		t.Fatalf("sftp download: %d bytes, %v", len(b), err)
	}
	f.srv.mustSCP(bobKey, "HOST:inbox/"+r.ID, filepath.Join(dl, "report-sftp.pdf"))
	if b, err := os.ReadFile(filepath.Join(dl, "report-sftp.pdf")); err != nil || !bytes.Equal(b, reportBytes) {
		t.Fatalf("sftp download: %d bytes, %v", len(b), err)
	}
	f.srv.mustSCP(bobKey, "HOST:inbox/"+e.ID, filepath.Join(dl, "empty"))
	// Alice can fetch what she sent, a stranger cannot.
	expectFail(t, f.srv.scp(strangerKey, "-O", "HOST:inbox/"+r.ID, dl), "Only an enrolled user")

	// Refusals: each says why and stores nothing.
	f.run("policy", "set", "--tenant", "acme", "parley_max_attachment_mib", "1")
	big, _ := writeRandom(t, work, "big.iso", 2<<20)
	expectFail(t, f.srv.scp(aliceKey, "-O", big, "HOST:@"+bob.ID), "big.iso is 2.0 MiB, the limit is 1.0 MiB (parley_max_attachment_mib)")
	expectFail(t, f.srv.scp(aliceKey, big, "HOST:@"+bob.ID), "over the limit of 1 MiB (parley_max_attachment_mib)")
	for target, why := range map[string]string{"HOST:../../etc/passwd": "send to @ID or @GROUP", "HOST:/etc/passwd": "send to @ID or @GROUP",
		"HOST:inbox/x": "send to @ID or @GROUP", "HOST:@" + bob.ID + "/../../x": "file name has '/'"} {
		expectFail(t, f.srv.scp(aliceKey, "-O", notes, target), why)
		if r := f.srv.scp(aliceKey, notes, target); r.code == 0 {
			t.Fatalf("scp to %s succeeded", target)
		}
	}
	expectFail(t, f.srv.scp(bobKey, "-O", "HOST:inbox/../../../etc/passwd", dl), "send to @ID or @GROUP")
	expectFail(t, f.srv.scp(bobKey, "HOST:../../etc/passwd", dl), "")
	expectFail(t, f.srv.scp(aliceKey, "-O", notes, "HOST:@NOBODY99"), "@NOBODY99")
	expectFail(t, f.srv.scp(aliceKey, notes, "HOST:@No Such Group"), "no user, group or list")
	expectFail(t, f.srv.scp(aliceKey, "-O", "-r", work, "HOST:@"+bob.ID), "one by one")
	if got := f.files(bobKey); len(got) != 3 {
		t.Fatalf("refused uploads reached bob: %+v", got)
	}

	// lock ends the window at once.
	if out := f.srv.mustSSH(aliceKey, "", "lock"); !strings.Contains(out, "Locked") {
		t.Fatalf("lock: %q", out)
	}
	expectFail(t, f.srv.scp(aliceKey, notes, "HOST:@"+bob.ID), "locked")

	// With the window off, unlock is refused: only open sessions count.
	f.run("policy", "set", "--tenant", "acme", "parley_unlock_window", "0")
	expectFail(t, f.srv.ssh(aliceKey, "the passphrase\n", "unlock"), "the unlock window is off")
	expectFail(t, f.srv.ssh(bobKey, "", "files"), "locked")
}

// TestFilesChatSessionUnlocks: an unlocked chat session lets scp work
// while it is open; with parley_unlock_window 0 the key goes with it.
func TestFilesChatSessionUnlocks(t *testing.T) {
	need(t, "ssh", "scp", "tmux")
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	aliceKey, bobKey := f.key("alice"), f.key("bob")
	f.activeUser("acme", []key{aliceKey}, "--name", "Alice Example")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Builder")
	f.run("policy", "set", "--tenant", "acme", "parley_unlock_window", "0")
	notes, _ := writeRandom(t, t.TempDir(), "notes.txt", 1000)

	expectFail(t, f.srv.scp(aliceKey, notes, "HOST:@"+bob.ID), "locked")
	f.chat("alice", aliceKey)
	f.srv.mustSCP(aliceKey, notes, "HOST:@"+bob.ID)
	f.x.run("kill-session", "-t", "alice")
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := f.srv.scp(aliceKey, notes, "HOST:@"+bob.ID)
		if r.code != 0 && strings.Contains(r.stderr, "locked") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key outlived the chat session with the window off: %+v", r)
		}
		time.Sleep(100 * time.Millisecond) // the server notices the closed session
	}
}
