package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback address no one listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// waitLog waits until the server's log holds every one of want.
func (s *server) waitLog(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		log := s.logText()
		missing := false
		for _, w := range want {
			if !strings.Contains(log, w) {
				missing = true
			}
		}
		if !missing {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the log never said %q; log:\n%s", want, s.logText())
}

// configServer writes a config file with body and starts parley serve
// with --config and nothing else on the command line.
func configServer(t *testing.T, dir, body string) (*server, string) {
	t.Helper()
	path := filepath.Join(dir, "parley.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, data: filepath.Join(dir, "data"), bare: true, args: []string{"--config", path}}
	s.start()
	t.Cleanup(s.stop)
	return s, path
}

// TestConfigFileAndReload: the listeners come from the config file; on
// SIGHUP a new log level and a new bootstrap admin key apply at once (the
// new key runs an admin command), a change that needs a restart is
// named, and a bad file keeps the running settings.
func TestConfigFileAndReload(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root, second := newKey(t, dir, "root"), newKey(t, dir, "second")
	keys := filepath.Join(dir, "admins.pub")
	if err := os.WriteFile(keys, []byte(root.pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sshAddr, httpAddr := freePort(t), freePort(t)
	base := fmt.Sprintf(`data = %q
ssh-listen = %q
http-listen = %q
log-format = "json"
public-host = "127.0.0.1"
kdf-memory = 8
kdf-time = 1
bootstrap-admin-key = %q
`, filepath.Join(dir, "data"), sshAddr, httpAddr, keys)
	s, path := configServer(t, dir, base+"log-level = \"info\"\nmax-sessions = 100\n")
	if s.sshAddr != sshAddr || s.http != httpAddr {
		t.Fatalf("listening on ssh %s, http %s; the file said %s, %s", s.sshAddr, s.http, sshAddr, httpAddr)
	}
	s.mustSSH(root, "", "tenant", "create", "acme", "--seats", "1")
	if r := s.ssh(second, "", "tenant", "create", "beta", "--seats", "1"); r.code == 0 {
		t.Fatal("a key not yet in the admin keys file ran an admin command")
	}

	// A second admin key, debug logs and more sessions, then SIGHUP.
	if err := os.WriteFile(keys, []byte(root.pub+"\n"+second.pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(base+"log-level = \"debug\"\nmax-sessions = 200\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, `"msg":"config reloaded","key":"log-level","old":"info","new":"debug"`,
		`"msg":"bootstrap admin key","key":"`+second.fingerprint()+`"`,
		`"msg":"config change needs a restart","key":"max-sessions","running":"100","new":"200"`)
	s.mustSSH(second, "", "tenant", "create", "beta", "--seats", "1")

	// A bad file: nothing changes, the server keeps serving.
	if err := os.WriteFile(path, []byte(base+"log-levle = \"warn\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, `"msg":"config not reloaded: keeping the running settings"`, `unknown key \"log-levle\"`)
	s.mustSSH(second, "", "tenant", "create", "gamma", "--seats", "1")
}

// TestConfigFileWrittenOnFirstRun: --config naming a missing file writes
// the template there, says so, and starts with the defaults it holds.
func TestConfigFileWrittenOnFirstRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.toml")
	s := &server{t: t, data: filepath.Join(dir, "data"), args: []string{"--config", path}}
	s.start()
	t.Cleanup(s.stop)
	s.waitLog(t, `"msg":"wrote a config file with every setting at its default"`)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"\nssh-listen = \":2222\"\n", "\nshutdown-timeout = \"10s\"\n", "\nlog-level = \"info\"\n"} {
		if !strings.Contains(string(b), k) {
			t.Errorf("the template lacks %q", k)
		}
	}
}

// TestStartFailureStopsTheRest: with the HTTP address taken, serve exits
// non-zero at once, naming it, and its SSH listener is closed.
func TestStartFailureStopsTheRest(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	dir := t.TempDir()
	sshAddr := freePort(t)
	cmd := exec.Command(binary, "serve", "--data", filepath.Join(dir, "data"), "--ssh-listen", sshAddr,
		"--http-listen", taken.Addr().String(), "--kdf-memory", "8", "--kdf-time", "1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("serve did not exit after a failed start; log:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("serve exited with %v, want a non-zero status", err)
	}
	log := stderr.String()
	for _, want := range []string{"--http-listen", "address already in use", "listening front=ssh", "stopped component=ssh", "stopped component=store"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if c, err := net.DialTimeout("tcp", sshAddr, time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("the SSH address %s still accepts connections", sshAddr)
	}
}

// TestShutdownUnderLoad: uploads go on while the server gets SIGTERM; it
// exits cleanly within its --shutdown-timeout, and after a restart every
// upload scp reported done (the server acknowledged it) is there.
func TestShutdownUnderLoad(t *testing.T) {
	need(t, "scp")
	const timeout = 5 * time.Second
	f := newAdminFx(t, "--shutdown-timeout", timeout.String())
	f.run("tenant", "create", "acme", "--seats", "10")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	const workers = 3
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
		acked = map[string]bool{}
		tried int
	)
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
				name := fmt.Sprintf("term-%d-%04d.txt", w, i)
				path := filepath.Join(src, name)
				if err := os.WriteFile(path, []byte(name), 0o600); err != nil {
					t.Error(err)
					return
				}
				r := f.srv.scp(ann, path, "HOST:@"+toID[w])
				mu.Lock()
				tried++
				if r.code == 0 {
					acked[name] = true
				}
				mu.Unlock()
			}
		})
	}
	// Let the load build up, then SIGTERM while it goes on.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 6 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	begun := time.Now()
	if err := f.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := f.srv.cmd.Wait()
	took := time.Since(begun)
	close(stop)
	wg.Wait()
	log := f.srv.logText()
	f.srv.cmd = nil
	if err != nil {
		t.Fatalf("serve exited with %v after SIGTERM; log:\n%s", err, log)
	}
	// The bound, plus the statistics flush and the race detector's exit.
	if took > timeout+5*time.Second {
		t.Errorf("serve took %v to exit with --shutdown-timeout %v", took, timeout)
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"draining the store's pending writes"`, `"component":"store"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the shutdown log lacks %s", want)
		}
	}
	checkDB(t, f.srv.data)
	f.srv.start()
	seen := map[string]int{}
	for _, k := range to {
		f.srv.mustSSH(k, "the passphrase\n", "unlock")
		for _, x := range f.files(k) {
			seen[x.Name]++
		}
	}
	for name := range acked {
		if seen[name] != 1 {
			t.Errorf("%s was acknowledged before SIGTERM but is in the history %d times", name, seen[name])
		}
	}
	t.Logf("SIGTERM after %d uploads tried, %d acknowledged; exit took %v", tried, len(acked), took)
}
