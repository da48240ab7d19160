package e2e

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// impostor claims one public key but signs with another key's private
// half, so the server sees the claimed key offered and its signature fail.
type impostor struct {
	claimed gossh.PublicKey
	real    gossh.Signer
}

func (i impostor) PublicKey() gossh.PublicKey { return i.claimed }
func (i impostor) Sign(r io.Reader, data []byte) (*gossh.Signature, error) {
	return i.real.Sign(r, data)
}

// TestIdentityComesFromTheVerifiedKey is the regression test for the
// classic auth bypass of Go SSH servers: a client first offers someone
// else's public key (the server's callback sees it and answers "acceptable"),
// then authenticates with its own. The session must belong to the key whose
// signature verified, never to the one merely offered.
//
// OpenSSH does exactly this when given an identity whose private half it
// does not have: -i admin.pub makes it query the admin's key, fail to sign,
// and go on to the attacker's key.
func TestIdentityComesFromTheVerifiedKey(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	adminKey := newKey(t, dir, "admin")
	attacker := newKey(t, dir, "attacker")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", adminKey.path+".pub")

	// The attacker holds only the admin's public key.
	stolen := filepath.Join(t.TempDir(), "admin.pub")
	pub, err := os.ReadFile(adminKey.path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stolen, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	offerFirst := key{path: stolen}
	sshTwoKeys := func(args ...string) (string, string, int) {
		t.Helper()
		argv := append([]string{"-v"}, srv.sshArgs(offerFirst, "-i", attacker.path, "-o", "BatchMode=yes", "-T")...)
		cmd := exec.Command("ssh", append(argv, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return out.String(), errb.String(), code
	}
	out, errOut, code := sshTwoKeys("tenant", "create", "stolen", "--seats", "1")
	if !strings.Contains(errOut, "Server accepts key: "+stolen) {
		t.Fatalf("the scenario did not happen: the admin key was not offered first:\n%s", errOut)
	}
	if code == 0 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("attacker created a tenant: exit %d stdout=%q stderr=%q", code, out, errOut)
	}
	_, errOut, _ = sshTwoKeys()
	if !strings.Contains(errOut, "not enrolled:\n    "+attacker.fingerprint()) {
		t.Fatalf("session not identified by the verified key:\n%s", errOut)
	}
	// A signature that does not match the offered key ends the connection.
	_, err = gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "x", HostKeyCallback: gossh.InsecureIgnoreHostKey(), //nolint:gosec // test server on loopback
		Auth: []gossh.AuthMethod{gossh.PublicKeys(impostor{claimed: adminKey.signer.PublicKey(), real: attacker.signer})}})
	if err == nil {
		t.Fatal("a forged signature authenticated")
	}
	// The admin key itself, properly used, still works: the test is not vacuous.
	out = srv.mustSSH(adminKey, "", "tenant", "list")
	if strings.Contains(out, "stolen") || !strings.Contains(out, "NAME") {
		t.Fatalf("tenant list: %q", out)
	}
}

// TestBadClients checks that broken or hostile clients get clear errors
// and leave the server serving.
func TestBadClients(t *testing.T) {
	dir := t.TempDir()
	adminKey := newKey(t, dir, "admin")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", adminKey.path+".pub")
	dial := func() *gossh.Client {
		t.Helper()
		c, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "x",
			Auth: []gossh.AuthMethod{gossh.PublicKeys(adminKey.signer)}, HostKeyCallback: gossh.InsecureIgnoreHostKey()}) //nolint:gosec // test server on loopback
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Password authentication is not offered.
	if _, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{User: "x",
		Auth: []gossh.AuthMethod{gossh.Password("guess")}, HostKeyCallback: gossh.InsecureIgnoreHostKey()}); err == nil { //nolint:gosec // test server
		t.Fatal("password authentication accepted")
	}
	// A client that disconnects in the middle of a command.
	c := dial()
	sess, _ := c.NewSession()
	stdin, _ := sess.StdinPipe()
	if err := sess.Start("tenant create half --seats 1"); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	c.Close()
	// sftp (for files) serves enrolled users only: this key gets an
	// error and a failed exit, no file tree. Other subsystems and port
	// forwarding are refused without harm.
	c = dial()
	sess, _ = c.NewSession()
	serr, _ := sess.StderrPipe()
	if err := sess.RequestSubsystem("sftp"); err != nil {
		t.Fatalf("sftp subsystem: %v", err)
	}
	if b, _ := io.ReadAll(serr); !strings.Contains(string(b), "error:") {
		t.Fatalf("sftp for a key without a user: stderr %q, want an error", b)
	}
	sess, _ = c.NewSession()
	if err := sess.RequestSubsystem("netconf"); err == nil {
		t.Fatal("an unknown subsystem was accepted")
	}
	if _, err := c.Dial("tcp", "127.0.0.1:22"); err == nil {
		t.Fatal("port forwarding accepted")
	}
	c.Close()
	// Garbage instead of an SSH handshake.
	conn, err := net.Dial("tcp", srv.sshAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte("GET / HTTP/1.0\r\n\r\n\x00\xff\xfe garbage"))
	conn.Close() // the server would wait for a version line until its 30 s handshake deadline
	// The server still answers normally.
	c = dial()
	defer c.Close()
	sess, _ = c.NewSession()
	out, err := sess.Output("tenant list")
	if err != nil || !strings.Contains(string(out), "NAME") {
		t.Fatalf("after bad clients: %v %q", err, out)
	}
}
