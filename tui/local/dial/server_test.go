package dial

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// testServer is an in-process SSH server on 127.0.0.1:0 that accepts the
// authorized keys and answers a "whoami" global request with the user and
// the fingerprint of the key it accepted.
type testServer struct {
	t          *testing.T
	ln         net.Listener
	authorized []ssh.PublicKey // not changed after newTestServer
	wg         sync.WaitGroup

	mu       sync.Mutex
	hostKeys []ssh.Signer
	offered  []string // fingerprints of the keys clients offered, in order
	conns    []net.Conn
}

func newTestServer(t *testing.T, authorized ...ssh.PublicKey) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &testServer{t: t, ln: ln, authorized: authorized, hostKeys: []ssh.Signer{newSigner(t)}}
	s.wg.Go(s.serve)
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// target is the server's address as a Target.
func (s *testServer) target(user string) Target {
	addr := s.ln.Addr().(*net.TCPAddr)
	return Target{User: user, Host: "127.0.0.1", Port: addr.Port}
}

// knownHostsName is how known_hosts names the server.
func (s *testServer) knownHostsName() string {
	return "[127.0.0.1]:" + strconv.Itoa(s.ln.Addr().(*net.TCPAddr).Port)
}

// setHostKeys gives the server new host keys, as after a reinstall.
func (s *testServer) setHostKeys(keys ...ssh.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostKeys = keys
}

// hostKey is the server's first host key.
func (s *testServer) hostKey() ssh.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostKeys[0].PublicKey()
}

func (s *testServer) offeredKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.offered...)
}

func (s *testServer) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, conn)
		s.mu.Unlock()
		s.wg.Go(func() { s.handle(conn) })
	}
}

func (s *testServer) handle(conn net.Conn) {
	defer conn.Close()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			fp := ssh.FingerprintSHA256(key)
			s.mu.Lock()
			s.offered = append(s.offered, fp)
			s.mu.Unlock()
			for _, k := range s.authorized {
				if sameKey(k, key) {
					return &ssh.Permissions{Extensions: map[string]string{"fp": fp}}, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
	}
	s.mu.Lock()
	for _, k := range s.hostKeys {
		cfg.AddHostKey(k)
	}
	s.mu.Unlock()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go func() {
		for ch := range chans {
			_ = ch.Reject(ssh.Prohibited, "no channels here")
		}
	}()
	for req := range reqs {
		if req.Type == "whoami" {
			_ = req.Reply(true, []byte(sc.User()+" "+sc.Permissions.Extensions["fp"]))
			continue
		}
		_ = req.Reply(false, nil)
	}
}

// whoami asks the server who it let in: "user SHA256:...".
func whoami(t *testing.T, c *ssh.Client) string {
	t.Helper()
	ok, reply, err := c.SendRequest("whoami", true, nil)
	if err != nil || !ok {
		t.Fatalf("whoami: ok %v, err %v", ok, err)
	}
	return string(reply)
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(newKey(t))
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	return s
}

func publicKey(t *testing.T, k any) ssh.PublicKey {
	t.Helper()
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	return s.PublicKey()
}

// writeKey writes k as an OpenSSH private key file (encrypted when
// passphrase is set), 0600.
func writeKey(t *testing.T, file string, k any, passphrase string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(k, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	writeFile(t, file, string(pem.EncodeToMemory(block)))
}

// writePublicKey writes FILE in authorized_keys form.
func writePublicKey(t *testing.T, file string, k ssh.PublicKey) {
	t.Helper()
	writeFile(t, file, string(ssh.MarshalAuthorizedKey(k)))
}

func writeFile(t *testing.T, file, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startAgent serves an in-memory agent holding keys on a unix socket and
// returns the socket's path.
func startAgent(t *testing.T, keys ...any) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatalf("add key to agent: %v", err)
		}
	}
	// A short directory: socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen on agent socket: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				_ = agent.ServeAgent(keyring, c)
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
		_ = os.RemoveAll(dir)
	})
	return sock
}
