package crypto

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/nacl/secretbox"
)

// SealVersion is the version byte of a passphrase-sealed secret:
//
//	offset  size  field
//	     0     1  version, 0x01
//	     1     4  Argon2id time cost
//	     5     4  Argon2id memory in KiB
//	     9     1  Argon2id parallelism
//	    10    16  salt
//	    26    24  nonce
//	    50     n  secretbox of the secret (n = len(secret) + 16)
const SealVersion = 1

const (
	saltSize       = 16
	sealHeaderSize = 1 + 4 + 4 + 1 + saltSize + NonceSize
)

// Passphrase limits.
const (
	MinPassphraseLen = 8
	MaxPassphraseLen = 1024
)

// KDFParams are Argon2id cost parameters. They are stored with each sealed
// secret, so raising the defaults later does not break existing seals.
type KDFParams struct {
	Time      uint32 // iterations
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // parallelism
}

// DefaultKDFParams returns the parameters used for new seals: 64 MiB,
// three passes, two lanes (RFC 9106's second recommended option, with
// two lanes for a two-core server). One derivation takes ~0.2 s on one core.
func DefaultKDFParams() KDFParams {
	return KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 2}
}

// Validate checks that p lies within the bounds Parley accepts when it
// opens a seal: cheap enough not to exhaust the server, costly enough to matter.
func (p KDFParams) Validate() error {
	switch {
	case p.Time < 1 || p.Time > 16:
		return fmt.Errorf("argon2id time %d out of 1..16: %w", p.Time, ErrMalformed)
	case p.MemoryKiB < 1<<10 || p.MemoryKiB > 1<<20:
		return fmt.Errorf("argon2id memory %d KiB out of 1 MiB..1 GiB: %w", p.MemoryKiB, ErrMalformed)
	case p.Threads < 1 || p.Threads > 16:
		return fmt.Errorf("argon2id threads %d out of 1..16: %w", p.Threads, ErrMalformed)
	}
	return nil
}

// PassphraseError says why a new passphrase is refused; it matches ErrMalformed.
type PassphraseError struct{ Reason string }

func (e *PassphraseError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *PassphraseError) Unwrap() error { return ErrMalformed }

// CheckPassphrase enforces the passphrase rules for new seals.
func CheckPassphrase(pass []byte) error {
	if !utf8.Valid(pass) {
		return &PassphraseError{"the passphrase is not valid UTF-8"}
	}
	if n := utf8.RuneCount(pass); n < MinPassphraseLen {
		return &PassphraseError{fmt.Sprintf("the passphrase has %d characters, it needs at least %d", n, MinPassphraseLen)}
	}
	if len(pass) > MaxPassphraseLen {
		return &PassphraseError{fmt.Sprintf("the passphrase is longer than %d bytes", MaxPassphraseLen)}
	}
	return nil
}

// SealWithPassphrase encrypts secret under a key derived from pass with Argon2id.
func SealWithPassphrase(r io.Reader, pass, secret []byte, p KDFParams) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := make([]byte, sealHeaderSize, sealHeaderSize+len(secret)+secretbox.Overhead)
	out[0] = SealVersion
	binary.BigEndian.PutUint32(out[1:5], p.Time)
	binary.BigEndian.PutUint32(out[5:9], p.MemoryKiB)
	out[9] = p.Threads
	if _, err := io.ReadFull(r, out[10:sealHeaderSize]); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	key := deriveKey(pass, out[10:10+saltSize], p)
	defer wipe(key[:])
	var nonce [NonceSize]byte
	copy(nonce[:], out[10+saltSize:sealHeaderSize])
	return secretbox.Seal(out, secret, &nonce, &key), nil
}

// SealedParams reads the KDF parameters of a sealed secret without opening it.
func SealedParams(sealed []byte) (KDFParams, error) {
	if len(sealed) < sealHeaderSize+secretbox.Overhead || sealed[0] != SealVersion {
		return KDFParams{}, fmt.Errorf("sealed secret: %w", ErrMalformed)
	}
	p := KDFParams{
		Time:      binary.BigEndian.Uint32(sealed[1:5]),
		MemoryKiB: binary.BigEndian.Uint32(sealed[5:9]),
		Threads:   sealed[9],
	}
	return p, p.Validate()
}

// OpenWithPassphrase decrypts a secret sealed by SealWithPassphrase. A wrong
// passphrase and a tampered seal both return ErrWrongPassphrase.
func OpenWithPassphrase(pass, sealed []byte) ([]byte, error) {
	p, err := SealedParams(sealed)
	if err != nil {
		return nil, err
	}
	key := deriveKey(pass, sealed[10:10+saltSize], p)
	defer wipe(key[:])
	var nonce [NonceSize]byte
	copy(nonce[:], sealed[10+saltSize:sealHeaderSize])
	secret, ok := secretbox.Open(nil, sealed[sealHeaderSize:], &nonce, &key)
	if !ok {
		return nil, ErrWrongPassphrase
	}
	return secret, nil
}

func deriveKey(pass, salt []byte, p KDFParams) [KeySize]byte {
	k := argon2.IDKey(pass, salt, p.Time, p.MemoryKiB, p.Threads, KeySize)
	var key [KeySize]byte
	copy(key[:], k)
	wipe(k)
	return key
}

// SealSecretKey seals an X25519 secret key with a passphrase.
func SealSecretKey(r io.Reader, pass []byte, sk *SecretKey, p KDFParams) ([]byte, error) {
	return SealWithPassphrase(r, pass, sk[:], p)
}

// OpenSecretKey opens a sealed X25519 secret key and checks it against the
// expected public key, so a seal swapped between users is detected.
func OpenSecretKey(pass, sealed []byte, want PublicKey) (*SecretKey, error) {
	b, err := OpenWithPassphrase(pass, sealed)
	if err != nil {
		return nil, err
	}
	defer wipe(b)
	if len(b) != KeySize {
		return nil, fmt.Errorf("sealed secret key: %w", ErrInvalidKey)
	}
	sk := SecretKey(b)
	if !sk.Public().Equal(want) {
		sk.Wipe()
		return nil, fmt.Errorf("sealed secret key does not match the public key: %w", ErrInvalidKey)
	}
	return &sk, nil
}
