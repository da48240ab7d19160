package dial

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

var (
	// ErrInvalidTarget is returned by ParseTarget (and Resolve) for a
	// target that is not [user@]host[:port].
	ErrInvalidTarget = errors.New("invalid target")
	// ErrHostKeyUnknown means the server's host key is not in known_hosts
	// and Options.Confirm refused it (or was nil).
	ErrHostKeyUnknown = errors.New("host key verification failed")
	// ErrHostKeyChanged means known_hosts holds another key for the host.
	// The error that carries it is a *HostKeyChangedError.
	ErrHostKeyChanged = errors.New("remote host identification has changed")
	// ErrPassphraseRequired means an identity file is encrypted and
	// Options.Passphrase is nil.
	ErrPassphraseRequired = errors.New("passphrase required")
	// ErrNoIdentities means there is no key to offer: no agent key and no
	// usable identity file.
	ErrNoIdentities = errors.New("no identities to offer")
)

// HostKeyChangedError is the refusal of a host whose key differs from the
// one in known_hosts. Its text follows OpenSSH's warning; errors.Is(err,
// ErrHostKeyChanged) reports it.
type HostKeyChangedError struct {
	Host        string                // as named in known_hosts, e.g. "[chat.example]:2222"
	KeyType     string                // the new key's type, e.g. "ssh-ed25519"
	Fingerprint string                // the new key's SHA256 fingerprint, "SHA256:..."
	Known       []knownhosts.KnownKey // the old keys, with their file and line
}

func (e *HostKeyChangedError) Error() string {
	var b strings.Builder
	b.WriteString("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\n")
	b.WriteString("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n")
	b.WriteString("Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n")
	b.WriteString("It is also possible that a host key has just been changed.\n")
	fmt.Fprintf(&b, "The fingerprint for the %s key sent by the remote host %s is\n%s.\n",
		KeyName(e.KeyType), e.Host, e.Fingerprint)
	if len(e.Known) > 0 {
		fmt.Fprintf(&b, "Add the correct host key in %s to get rid of this message.\n", e.Known[0].Filename)
	}
	for _, k := range e.Known {
		fmt.Fprintf(&b, "Offending %s key in %s:%d\n", KeyName(k.Key.Type()), k.Filename, k.Line)
	}
	fmt.Fprintf(&b, "Host key for %s has changed: the connection was refused.", e.Host)
	return b.String()
}

// Is reports whether target is ErrHostKeyChanged.
func (e *HostKeyChangedError) Is(target error) bool { return target == ErrHostKeyChanged }

// KeyName names a key type the way OpenSSH's messages do ("ED25519").
func KeyName(keyType string) string {
	switch keyType {
	case ssh.KeyAlgoED25519:
		return "ED25519"
	case ssh.KeyAlgoSKED25519:
		return "ED25519-SK"
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		return "ECDSA"
	case ssh.KeyAlgoSKECDSA256:
		return "ECDSA-SK"
	case ssh.KeyAlgoRSA:
		return "RSA"
	default:
		return keyType
	}
}
