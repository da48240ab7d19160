package dial

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
)

// passphraseTries is how often a wrong passphrase is asked again.
const passphraseTries = 3

// identity is one identity file. pub is nil when the key could not be
// read without its passphrase and there is no FILE.pub; signer is nil when
// only FILE.pub exists (the private key lives in the agent).
type identity struct {
	file   string
	pub    ssh.PublicKey
	signer ssh.Signer
}

// loadIdentity reads an identity file. found is false when neither the file
// nor FILE.pub exists. An encrypted key whose public half is known (from
// the file itself or FILE.pub) is decrypted only when the server accepts
// it, as ssh does; otherwise the passphrase is asked now.
func loadIdentity(file string, ask func(file string) ([]byte, error)) (id identity, found bool, err error) {
	id.file = file
	data, err := os.ReadFile(file) //nolint:gosec // the user's own identity file
	if errors.Is(err, fs.ErrNotExist) {
		pub, err := readPublicKey(file + ".pub")
		if pub == nil || err != nil {
			return identity{}, false, err
		}
		id.pub = pub
		return id, true, nil
	}
	if err != nil {
		return identity{}, true, fmt.Errorf("read identity %s: %w", file, err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		id.pub, id.signer = signer.PublicKey(), signer
		return id, true, nil
	case !errors.As(err, &missing):
		return identity{}, true, fmt.Errorf("parse identity %s: %w", file, err)
	}
	id.pub = missing.PublicKey
	if id.pub == nil {
		if id.pub, err = readPublicKey(file + ".pub"); err != nil {
			return identity{}, true, err
		}
	}
	if id.pub == nil {
		if id.signer, err = decrypt(file, data, ask); err != nil {
			return identity{}, true, err
		}
		id.pub = id.signer.PublicKey()
		return id, true, nil
	}
	id.signer = &lazySigner{file: file, data: data, pub: id.pub, ask: ask}
	return id, true, nil
}

// readPublicKey reads an authorized_keys-style FILE.pub; a missing file is
// a nil key.
func readPublicKey(file string) (ssh.PublicKey, error) {
	data, err := os.ReadFile(file) //nolint:gosec // the user's own public key
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read public key %s: %w", file, err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: %w", file, err)
	}
	return pub, nil
}

// decrypt asks for the passphrase of an encrypted key, again while it is
// wrong, up to passphraseTries times.
func decrypt(file string, data []byte, ask func(file string) ([]byte, error)) (ssh.Signer, error) {
	if ask == nil {
		return nil, fmt.Errorf("decrypt identity %s: %w", file, ErrPassphraseRequired)
	}
	for range passphraseTries {
		pass, err := ask(file)
		if err != nil {
			return nil, fmt.Errorf("read passphrase for %s: %w", file, err)
		}
		signer, err := ssh.ParsePrivateKeyWithPassphrase(data, pass)
		clear(pass)
		if errors.Is(err, x509.IncorrectPasswordError) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("decrypt identity %s: %w", file, err)
		}
		return signer, nil
	}
	return nil, fmt.Errorf("decrypt identity %s: %d tries: %w", file, passphraseTries, x509.IncorrectPasswordError)
}

// lazySigner decrypts an encrypted identity on its first signature, that
// is once the server has said it would accept the key.
type lazySigner struct {
	file string
	data []byte
	pub  ssh.PublicKey
	ask  func(file string) ([]byte, error)

	once   sync.Once
	signer ssh.Signer
	err    error
}

var _ ssh.AlgorithmSigner = (*lazySigner)(nil)

func (l *lazySigner) load() (ssh.Signer, error) {
	l.once.Do(func() {
		l.signer, l.err = decrypt(l.file, l.data, l.ask)
		if l.err == nil && !sameKey(l.signer.PublicKey(), l.pub) {
			l.signer, l.err = nil, fmt.Errorf("identity %s: private key does not match its public key", l.file)
		}
	})
	return l.signer, l.err
}

func (l *lazySigner) PublicKey() ssh.PublicKey { return l.pub }

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.load()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	s, err := l.load()
	if err != nil {
		return nil, err
	}
	if as, ok := s.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	if algorithm != "" && algorithm != l.pub.Type() {
		return nil, fmt.Errorf("identity %s: cannot sign with %s", l.file, algorithm)
	}
	return s.Sign(rand, data)
}

// offer orders the keys as OpenSSH does: the agent's first (an agent key
// that is also an identity file's replaces the file, and with
// identitiesOnly only those are kept), then the remaining identity files.
func offer(agentKeys []ssh.Signer, ids []identity, identitiesOnly bool) []ssh.Signer {
	var out []ssh.Signer
	used := make([]bool, len(ids))
	for _, a := range agentKeys {
		matched := false
		for i, id := range ids {
			if id.pub != nil && sameKey(id.pub, a.PublicKey()) {
				used[i], matched = true, true
			}
		}
		if matched || !identitiesOnly {
			out = append(out, a)
		}
	}
	for i, id := range ids {
		if used[i] || id.signer == nil {
			continue
		}
		dup := false
		for _, s := range out {
			if sameKey(s.PublicKey(), id.pub) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, id.signer)
		}
	}
	return out
}
