package dial

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// confirmLog is an Options.Confirm that records its calls and answers
// accept.
type confirmLog struct {
	accept bool

	mu    sync.Mutex
	calls [][3]string // host, key type, fingerprint
}

func (c *confirmLog) confirm(host, keyType, fingerprint string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, [3]string{host, keyType, fingerprint})
	return c.accept
}

func (c *confirmLog) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// dialOptions are Options for a fresh temp home without config or agent,
// accepting new host keys.
func dialOptions(t *testing.T) (Options, string) {
	t.Helper()
	home := t.TempDir()
	c := &confirmLog{accept: true}
	return Options{HomeDir: home, AgentSocket: AgentNone, Confirm: c.confirm, Timeout: 10 * time.Second}, home
}

func mustDial(t *testing.T, target Target, o Options) *ssh.Client {
	t.Helper()
	c, err := Dial(t.Context(), target, o)
	if err != nil {
		t.Fatalf("Dial(%s): %v", target, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDialIdentityFile(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	o.IdentityFile = filepath.Join(home, "mykey")
	writeKey(t, o.IdentityFile, key, "")

	c := mustDial(t, srv.target("ann"), o)
	if got, want := whoami(t, c), "ann "+ssh.FingerprintSHA256(publicKey(t, key)); got != want {
		t.Errorf("server let in %q, want %q", got, want)
	}
}

func TestDialDefaultIdentityAndConfig(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	writeKey(t, filepath.Join(home, ".ssh", "id_ed25519"), key, "")
	writeFile(t, filepath.Join(home, ".ssh", "config"),
		"Host parley\n  HostName 127.0.0.1\n  User carol\n  Port "+strings.TrimPrefix(srv.knownHostsName(), "[127.0.0.1]:")+"\n")

	c := mustDial(t, Target{Host: "parley"}, o)
	if got, want := whoami(t, c), "carol "+ssh.FingerprintSHA256(publicKey(t, key)); got != want {
		t.Errorf("server let in %q, want %q", got, want)
	}
}

func TestDialMissingIdentityFile(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	o, home := dialOptions(t)
	o.IdentityFile = filepath.Join(home, "nope")
	_, err := Dial(t.Context(), srv.target("ann"), o)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Dial with a missing -i file: error = %v, want fs.ErrNotExist", err)
	}
	o.IdentityFile = ""
	if _, err := Dial(t.Context(), srv.target("ann"), o); !errors.Is(err, ErrNoIdentities) {
		t.Fatalf("Dial without keys: error = %v, want ErrNoIdentities", err)
	}
}

func TestDialAgent(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, _ := dialOptions(t)
	o.AgentSocket = startAgent(t, key)

	c := mustDial(t, srv.target("ann"), o)
	if got, want := whoami(t, c), "ann "+ssh.FingerprintSHA256(publicKey(t, key)); got != want {
		t.Errorf("server let in %q, want %q", got, want)
	}
}

func TestDialAgentUnreachable(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	o, home := dialOptions(t)
	o.AgentSocket = filepath.Join(home, "no-agent")
	if _, err := Dial(t.Context(), srv.target("ann"), o); err == nil || !strings.Contains(err.Error(), "connect to agent") {
		t.Fatalf("Dial with a dead agent socket: error = %v, want a connect to agent error", err)
	}
}

func TestDialIdentitiesOnly(t *testing.T) {
	t.Parallel()
	other, chosen := newKey(t), newKey(t)
	otherFP, chosenFP := ssh.FingerprintSHA256(publicKey(t, other)), ssh.FingerprintSHA256(publicKey(t, chosen))
	for _, tt := range []struct {
		name           string
		pubOnly        bool // the identity file is only FILE.pub: the private key is in the agent
		identitiesOnly bool
		wantOffered    []string
	}{
		{name: "public key file", pubOnly: true, identitiesOnly: true, wantOffered: []string{chosenFP}},
		{name: "private key file", identitiesOnly: true, wantOffered: []string{chosenFP}},
		{name: "without IdentitiesOnly", pubOnly: true, wantOffered: []string{otherFP, chosenFP}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, publicKey(t, other), publicKey(t, chosen))
			o, home := dialOptions(t)
			o.AgentSocket = startAgent(t, other, chosen)
			file := filepath.Join(home, ".ssh", "chosen")
			if tt.pubOnly {
				writePublicKey(t, file+".pub", publicKey(t, chosen))
			} else {
				writeKey(t, file, chosen, "")
			}
			only := "no"
			if tt.identitiesOnly {
				only = "yes"
			}
			writeFile(t, filepath.Join(home, ".ssh", "config"),
				"Host 127.0.0.1\n  IdentityFile ~/.ssh/chosen\n  IdentitiesOnly "+only+"\n")

			c := mustDial(t, srv.target("ann"), o)
			wantLogin := "ann " + tt.wantOffered[0]
			if got := whoami(t, c); got != wantLogin {
				t.Errorf("server let in %q, want %q", got, wantLogin)
			}
			// Keys are offered until one is accepted: the first one offered is taken.
			if diff := cmp.Diff(tt.wantOffered[:1], srv.offeredKeys()); diff != "" {
				t.Errorf("keys offered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialIdentitiesOnlyOrder(t *testing.T) {
	t.Parallel()
	// The server takes only the identity file's key: with IdentitiesOnly
	// the agent's other key is never offered, without it it is offered first.
	other, chosen := newKey(t), newKey(t)
	otherFP, chosenFP := ssh.FingerprintSHA256(publicKey(t, other)), ssh.FingerprintSHA256(publicKey(t, chosen))
	for _, tt := range []struct {
		only        string
		wantOffered []string
	}{
		{"yes", []string{chosenFP}},
		{"no", []string{otherFP, chosenFP}},
	} {
		t.Run("IdentitiesOnly "+tt.only, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, publicKey(t, chosen))
			o, home := dialOptions(t)
			o.AgentSocket = startAgent(t, other, chosen)
			writePublicKey(t, filepath.Join(home, ".ssh", "chosen.pub"), publicKey(t, chosen))
			writeFile(t, filepath.Join(home, ".ssh", "config"),
				"Host 127.0.0.1\n  IdentityFile ~/.ssh/chosen\n  IdentitiesOnly "+tt.only+"\n")
			c := mustDial(t, srv.target("ann"), o)
			if got, want := whoami(t, c), "ann "+chosenFP; got != want {
				t.Errorf("server let in %q, want %q", got, want)
			}
			if diff := cmp.Diff(tt.wantOffered, srv.offeredKeys()); diff != "" {
				t.Errorf("keys offered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialEncryptedKey(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	o.IdentityFile = filepath.Join(home, "enc")
	writeKey(t, o.IdentityFile, key, "s3cret")

	t.Run("right passphrase", func(t *testing.T) {
		o := o
		var asked []string
		var mu sync.Mutex
		o.Passphrase = func(file string) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, file)
			return []byte("s3cret"), nil
		}
		c := mustDial(t, srv.target("ann"), o)
		if got, want := whoami(t, c), "ann "+ssh.FingerprintSHA256(publicKey(t, key)); got != want {
			t.Errorf("server let in %q, want %q", got, want)
		}
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]string{o.IdentityFile}, asked); diff != "" {
			t.Errorf("passphrase asked for (-want +got):\n%s", diff)
		}
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		o := o
		var mu sync.Mutex
		tries := 0
		o.Passphrase = func(string) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			tries++
			return []byte("guess"), nil
		}
		_, err := Dial(t.Context(), srv.target("ann"), o)
		if !errors.Is(err, x509.IncorrectPasswordError) {
			t.Errorf("Dial error = %v, want x509.IncorrectPasswordError", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if tries != passphraseTries {
			t.Errorf("passphrase asked %d times, want %d", tries, passphraseTries)
		}
	})
	t.Run("no Passphrase", func(t *testing.T) {
		if _, err := Dial(t.Context(), srv.target("ann"), o); !errors.Is(err, ErrPassphraseRequired) {
			t.Errorf("Dial error = %v, want ErrPassphraseRequired", err)
		}
	})
	t.Run("not asked for a key the server refuses", func(t *testing.T) {
		srv := newTestServer(t) // authorizes nothing
		o := o
		o.Passphrase = func(string) ([]byte, error) {
			t.Error("passphrase asked for a key the server does not accept")
			return nil, errors.New("no")
		}
		if _, err := Dial(t.Context(), srv.target("ann"), o); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("Dial error = %v, want unable to authenticate", err)
		}
	})
}

func TestDialTrustOnFirstUse(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	o.AgentSocket = startAgent(t, key)
	o.KnownHosts = filepath.Join(home, "new", "known_hosts") // neither exists yet
	confirm := &confirmLog{accept: true}
	o.Confirm = confirm.confirm

	mustDial(t, srv.target("ann"), o).Close()
	hostKey := srv.hostKey()
	want := [][3]string{{srv.knownHostsName(), ssh.KeyAlgoED25519, ssh.FingerprintSHA256(hostKey)}}
	if diff := cmp.Diff(want, confirm.calls); diff != "" {
		t.Errorf("Confirm calls (-want +got):\n%s", diff)
	}
	wantLine := knownhosts.Line([]string{srv.knownHostsName()}, hostKey) + "\n"
	if got := readFile(t, o.KnownHosts); got != wantLine {
		t.Errorf("known_hosts = %q, want %q", got, wantLine)
	}
	if !strings.HasPrefix(wantLine, "[127.0.0.1]:") {
		t.Errorf("known_hosts line %q does not name [127.0.0.1]:PORT", wantLine)
	}
	for file, want := range map[string]fs.FileMode{o.KnownHosts: 0o600, filepath.Dir(o.KnownHosts): 0o700} {
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %v, want %v", file, got, want)
		}
	}

	mustDial(t, srv.target("ann"), o).Close()
	if n := confirm.count(); n != 1 {
		t.Errorf("Confirm called %d times after the second dial, want once", n)
	}
	if got := readFile(t, o.KnownHosts); got != wantLine {
		t.Errorf("known_hosts after the second dial = %q, want %q", got, wantLine)
	}
}

func TestDialAppendsToKnownHosts(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	o.AgentSocket = startAgent(t, key)
	o.KnownHosts = filepath.Join(home, "known_hosts")
	other := knownhosts.Line([]string{"chat.example"}, publicKey(t, newKey(t))) // no final newline
	writeFile(t, o.KnownHosts, other)

	mustDial(t, srv.target("ann"), o).Close()
	want := other + "\n" + knownhosts.Line([]string{srv.knownHostsName()}, srv.hostKey()) + "\n"
	if got := readFile(t, o.KnownHosts); got != want {
		t.Errorf("known_hosts = %q, want %q", got, want)
	}
}

func TestDialUnknownHostRefused(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	for _, tt := range []struct {
		name    string
		confirm func(host, keyType, fingerprint string) bool
	}{
		{"Confirm says no", (&confirmLog{accept: false}).confirm},
		{"no Confirm", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, home := dialOptions(t)
			o.AgentSocket = startAgent(t, key)
			o.Confirm = tt.confirm
			_, err := Dial(t.Context(), srv.target("ann"), o)
			if !errors.Is(err, ErrHostKeyUnknown) {
				t.Fatalf("Dial error = %v, want ErrHostKeyUnknown", err)
			}
			if !strings.Contains(err.Error(), srv.knownHostsName()) {
				t.Errorf("error %q does not name %s", err, srv.knownHostsName())
			}
			if got := readFile(t, filepath.Join(home, ".ssh", "known_hosts")); got != "" {
				t.Errorf("known_hosts = %q, want it empty", got)
			}
		})
	}
}

func TestDialHostKeyChanged(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	o, home := dialOptions(t)
	o.AgentSocket = startAgent(t, key)
	confirm := &confirmLog{accept: true}
	o.Confirm = confirm.confirm
	mustDial(t, srv.target("ann"), o).Close()
	knownHosts := filepath.Join(home, ".ssh", "known_hosts")
	before := readFile(t, knownHosts)

	newHostKey := newSigner(t)
	srv.setHostKeys(newHostKey)
	_, err := Dial(t.Context(), srv.target("ann"), o)
	if !errors.Is(err, ErrHostKeyChanged) {
		t.Fatalf("Dial error = %v, want ErrHostKeyChanged", err)
	}
	var changed *HostKeyChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("Dial error %T is not a *HostKeyChangedError", err)
	}
	text := err.Error()
	if !strings.HasPrefix(text, "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!") {
		t.Errorf("error does not begin with the warning:\n%s", text)
	}
	for _, want := range []string{
		"Someone could be eavesdropping on you right now",
		srv.knownHostsName(),
		ssh.FingerprintSHA256(newHostKey.PublicKey()),
		"Offending ED25519 key in " + knownHosts + ":1",
		"the connection was refused",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("error does not say %q:\n%s", want, text)
		}
	}
	if got := readFile(t, knownHosts); got != before {
		t.Errorf("known_hosts changed to %q, want %q", got, before)
	}
	if n := confirm.count(); n != 1 {
		t.Errorf("Confirm called %d times, want once (first contact only)", n)
	}
}

func TestDialPrefersKnownHostKeyType(t *testing.T) {
	t.Parallel()
	// The server has an ECDSA and an ED25519 host key, and Go alone would
	// ask for ECDSA first. known_hosts holds the ED25519 one: it must be
	// asked for, so the host is known and nothing is confirmed.
	key := newKey(t)
	srv := newTestServer(t, publicKey(t, key))
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := ssh.NewSignerFromKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	edSigner := newSigner(t)
	srv.setHostKeys(ecSigner, edSigner)

	o, home := dialOptions(t)
	o.AgentSocket = startAgent(t, key)
	o.Confirm = nil
	o.KnownHosts = filepath.Join(home, "known_hosts")
	writeFile(t, o.KnownHosts, knownhosts.Line([]string{srv.knownHostsName()}, edSigner.PublicKey())+"\n")
	mustDial(t, srv.target("ann"), o).Close()

	known, err := openKnownHosts(o.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	algos := hostKeyAlgorithms(known, srv.ln.Addr().String())
	if algos[0] != ssh.KeyAlgoED25519 {
		t.Errorf("host key algorithms = %v, want %s first", algos, ssh.KeyAlgoED25519)
	}
	if slices.ContainsFunc(algos, func(a string) bool { return strings.Contains(a, "-cert-") }) {
		t.Errorf("host key algorithms = %v, want no certificates", algos)
	}
}

func TestDialContext(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	o, _ := dialOptions(t)
	o.AgentSocket = startAgent(t, key)

	// A server that accepts the connection and never speaks.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for c := range accepted {
			_ = c.Close()
		}
	})
	port := ln.Addr().(*net.TCPAddr).Port
	target := Target{User: "ann", Host: "127.0.0.1", Port: port}

	t.Run("canceled during the handshake", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			_, err := Dial(ctx, target, o)
			errc <- err
		}()
		c := <-accepted
		defer c.Close()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Dial error = %v, want context.Canceled", err)
		}
	})
	t.Run("canceled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := Dial(ctx, target, o); !errors.Is(err, context.Canceled) {
			t.Errorf("Dial error = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		o := o
		o.Timeout = 50 * time.Millisecond
		_, err := Dial(t.Context(), target, o)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Dial error = %v, want os.ErrDeadlineExceeded", err)
		}
	})
}
