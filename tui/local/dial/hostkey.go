package dial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsName is addr (host:port) as known_hosts names it.
func knownHostsName(addr string) string {
	return knownhosts.Normalize(addr)
}

// hostKeys checks host keys against one known_hosts file, trusting new
// ones on first use through confirm.
type hostKeys struct {
	file    string
	known   ssh.HostKeyCallback
	confirm func(host, keyType, fingerprint string) bool
	pause   func() (resume func()) // stops the handshake clock during confirm
}

// openKnownHosts reads file, creating it (0600, its directory 0700) when
// missing.
func openKnownHosts(file string) (ssh.HostKeyCallback, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("create known_hosts directory: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDONLY|os.O_CREATE, 0o600) //nolint:gosec // the user's own known_hosts
	if err != nil {
		return nil, fmt.Errorf("open known_hosts: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close known_hosts: %w", err)
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	return cb, nil
}

// check is the ssh.HostKeyCallback.
func (h *hostKeys) check(addr string, remote net.Addr, key ssh.PublicKey) error {
	err := h.known(addr, remote, key)
	if err == nil {
		return nil
	}
	name := knownHostsName(addr)
	fp := ssh.FingerprintSHA256(key)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return fmt.Errorf("check host key of %s: %w", name, err)
	}
	if len(ke.Want) > 0 {
		return &HostKeyChangedError{Host: name, KeyType: key.Type(), Fingerprint: fp, Known: ke.Want}
	}
	if h.confirm == nil {
		return fmt.Errorf("%w: %s key %s of %s is not in %s", ErrHostKeyUnknown, key.Type(), fp, name, h.file)
	}
	resume := h.pause()
	ok := h.confirm(name, key.Type(), fp)
	resume()
	if !ok {
		return fmt.Errorf("%w: %s key %s of %s was not accepted", ErrHostKeyUnknown, key.Type(), fp, name)
	}
	if err := appendKnownHost(h.file, name, key); err != nil {
		return fmt.Errorf("remember host key of %s: %w", name, err)
	}
	return nil
}

// appendKnownHost adds a line for key to file, on a line of its own.
func appendKnownHost(file, name string, key ssh.PublicKey) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // the user's own known_hosts
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	line := knownhosts.Line([]string{name}, key) + "\n"
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := io.WriteString(f, line); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", file, err)
	}
	return nil
}

// hostKeyAlgorithms lists the host key algorithms to ask for, the types
// known_hosts holds for addr first, so that a server with several host
// keys shows the one we know (as OpenSSH does). Host certificates are not
// asked for: known_hosts is checked for plain keys only.
func hostKeyAlgorithms(known ssh.HostKeyCallback, addr string) []string {
	var algos []string
	var ke *knownhosts.KeyError
	if err := known(addr, &net.TCPAddr{}, probeKey{}); errors.As(err, &ke) {
		for _, k := range ke.Want {
			for _, a := range keyAlgorithms(k.Key.Type()) {
				if !slices.Contains(algos, a) {
					algos = append(algos, a)
				}
			}
		}
	}
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if !strings.Contains(a, "-cert-") && !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos
}

// keyAlgorithms lists the signature algorithms for a key type, safest
// first.
func keyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{keyType}
}

// probeKey matches no known key: checking it lists the keys known for a
// host.
type probeKey struct{}

func (probeKey) Type() string    { return "parley-probe" }
func (probeKey) Marshal() []byte { return []byte("\x00\x00\x00\x0cparley-probe") }
func (probeKey) Verify(_ []byte, _ *ssh.Signature) error {
	return errors.New("probe key verifies nothing")
}

// sameKey reports whether two public keys are the same key.
func sameKey(a, b ssh.PublicKey) bool {
	return bytes.Equal(a.Marshal(), b.Marshal())
}
