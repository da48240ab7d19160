package e2e

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// binary is the parley binary built once for the package (with -race).
var binary string //nolint:gochecknoglobals // built once in TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "parley")
	args := []string{"build", "-o", binary}
	if os.Getenv("PARLEY_E2E_NORACE") == "" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "..")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build parley: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need skips the test when a tool is missing, unless CI is set.
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI: %v", tool, err)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// key is an SSH key pair on disk.
type key struct {
	path   string // private key file, for ssh -i
	pub    string // authorized_keys line
	signer gossh.Signer
}

func newKey(t testing.TB, dir, name string) key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	if err := os.WriteFile(path+".pub", []byte(pub+" "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return key{path: path, pub: pub, signer: signer}
}

func (k key) fingerprint() string { return gossh.FingerprintSHA256(k.signer.PublicKey()) }

// server is a running parley serve.
type server struct {
	t       testing.TB
	binary  string   // default: the race-enabled binary of TestMain
	env     []string // extra environment
	data    string
	args    []string
	bare    bool // args are all of serve's arguments: no test defaults before them
	cmd     *exec.Cmd
	sshAddr string
	sshPort string
	http    string
	debug   string

	mu  sync.Mutex
	log bytes.Buffer
}

// startServer runs parley serve on loopback ports chosen by the kernel.
func startServer(t testing.TB, data string, extra ...string) *server {
	t.Helper()
	s := &server{t: t, data: data, args: extra}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	args := append([]string{"serve", "--data", s.data, "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--log-format", "json", "--public-host", "127.0.0.1", "--kdf-memory", "8", "--kdf-time", "1"}, s.args...)
	if s.bare {
		args = append([]string{"serve"}, s.args...)
	}
	bin := s.binary
	if bin == "" {
		bin = binary
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1")
	cmd.Env = append(cmd.Env, s.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		closed := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			var rec struct{ Msg, Front, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				switch rec.Front {
				case "ssh":
					s.sshAddr = rec.Addr
					s.sshPort = rec.Addr[strings.LastIndexByte(rec.Addr, ':')+1:]
				case "http":
					s.http = rec.Addr
				case "debug":
					s.debug = rec.Addr
				}
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "parley is running" && !closed {
				close(ready)
				closed = true
			}
			s.mu.Unlock()
		}
		if !closed {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		s.t.Fatalf("server did not start; log:\n%s", s.logText())
	}
	if s.sshAddr == "" {
		s.t.Fatalf("server did not report its SSH address; log:\n%s", s.logText())
	}
}

// stop ends the server with SIGTERM and checks it exited cleanly.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Errorf("server exited with %v; log:\n%s", err, s.logText())
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("server did not stop within 30s")
	}
	s.cmd = nil
}

func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// sshArgs are the OpenSSH options for talking to the test server with key k.
func (s *server) sshArgs(k key, extra ...string) []string {
	args := []string{"-F", "/dev/null", "-p", s.sshPort, "-i", k.path, "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}
	return append(append(args, extra...), "127.0.0.1")
}

// result is what an exec command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// ssh runs an exec command with the real OpenSSH client, no terminal.
func (s *server) ssh(k key, stdin string, args ...string) result {
	s.t.Helper()
	cmd := exec.Command("ssh", append(s.sshArgs(k, "-o", "BatchMode=yes", "-T"), args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("ssh %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustSSH runs an exec command that must succeed.
func (s *server) mustSSH(k key, stdin string, args ...string) string {
	s.t.Helper()
	r := s.ssh(k, stdin, args...)
	if r.code != 0 {
		s.t.Fatalf("ssh %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// tmux drives interactive sessions in a private tmux server.
type tmux struct {
	t      testing.TB
	socket string
}

func newTmux(t testing.TB) *tmux {
	t.Helper()
	x := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.socket, "kill-server").Run() })
	return x
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// start opens a window running argv; it stays after the command exits.
func (x *tmux) start(name string, w, h int, argv ...string) {
	x.t.Helper()
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	// The shell waits a moment after the command, keeping its status: a
	// command that prints one line and exits at once would otherwise leave
	// the pane dead before tmux read what it printed.
	x.run("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		`sh -c 'TERM=xterm-256color "$@"; s=$?; sleep 0.3; exit $s' sh `+strings.Join(quoted, " "))
	x.run("set-option", "-t", name, "remain-on-exit", "on")
}

// typeText types literal text; enter presses Enter.
func (x *tmux) typeText(name, text string) { x.t.Helper(); x.run("send-keys", "-t", name, "-l", text) }
func (x *tmux) key(name string, keys ...string) {
	x.t.Helper()
	x.run(append([]string{"send-keys", "-t", name}, keys...)...)
}

// line types text and presses Enter.
func (x *tmux) line(name, text string) {
	x.t.Helper()
	x.typeText(name, text)
	time.Sleep(50 * time.Millisecond) // pace input: let the text arrive before Enter
	x.key(name, "Enter")
}

func (x *tmux) screen(name string) string {
	x.t.Helper()
	return x.run("capture-pane", "-p", "-t", name)
}

// waitFor polls the window until it shows want.
func (x *tmux) waitFor(name, want string) string {
	x.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		scr := x.screen(name)
		if strings.Contains(scr, want) {
			return scr
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("window %s: timed out waiting for %q; screen:\n%s", name, want, scr)
		}
		time.Sleep(50 * time.Millisecond) // poll the terminal
	}
}

// dead reports whether the window's command has exited.
func (x *tmux) dead(name string) bool {
	x.t.Helper()
	return strings.TrimSpace(x.run("display-message", "-p", "-t", name, "#{pane_dead}")) == "1"
}

// exitStatus is the exit status of a window's dead process, as tmux
// recorded it ("" if it recorded none within a second: tmux can mark a pane
// dead a moment before it has the status).
func (x *tmux) exitStatus(name string) string {
	x.t.Helper()
	for range 20 {
		if st := strings.TrimSpace(x.run("display-message", "-p", "-t", name, "#{pane_dead_status}")); st != "" {
			return st
		}
		time.Sleep(50 * time.Millisecond) // tmux reaps the process after it marks the pane dead
	}
	return ""
}

func (x *tmux) waitDead(name string) {
	x.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !x.dead(name) {
		if time.Now().After(deadline) {
			x.t.Fatalf("window %s did not exit; screen:\n%s", name, x.screen(name))
		}
		time.Sleep(50 * time.Millisecond) // poll the terminal
	}
}
