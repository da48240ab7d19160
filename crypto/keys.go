package crypto

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
)

// KeySize is the size of every key type in this package.
const KeySize = 32

// PublicKey is a user's X25519 public key, published in the directory.
type PublicKey [KeySize]byte

// SecretKey is a user's X25519 secret key. It lives sealed at rest and in
// clear only in the memory of the user's unlocked session.
type SecretKey [KeySize]byte

// SharedKey is the precomputed NaCl box key between one secret key and one
// peer public key. Computing it costs a scalar multiplication (~150 µs);
// sealing with it costs a few µs, so cores cache it per peer.
type SharedKey [KeySize]byte

// GenerateKeyPair creates a fresh X25519 key pair from r.
func GenerateKeyPair(r io.Reader) (PublicKey, *SecretKey, error) {
	pub, sec, err := box.GenerateKey(r)
	if err != nil {
		return PublicKey{}, nil, fmt.Errorf("generate key pair: %w", err)
	}
	sk := SecretKey(*sec)
	wipe(sec[:])
	return PublicKey(*pub), &sk, nil
}

// Public derives the public key that belongs to sk.
func (sk *SecretKey) Public() PublicKey {
	var pub [KeySize]byte
	curve25519.ScalarBaseMult(&pub, (*[KeySize]byte)(sk))
	return PublicKey(pub)
}

// Wipe overwrites the secret key in memory.
func (sk *SecretKey) Wipe() { wipe(sk[:]) }

// Precompute returns the shared box key between sk and peer.
func Precompute(peer PublicKey, sk *SecretKey) *SharedKey {
	var shared [KeySize]byte
	box.Precompute(&shared, (*[KeySize]byte)(&peer), (*[KeySize]byte)(sk))
	sh := SharedKey(shared)
	return &sh
}

// Equal reports whether two public keys are equal, in constant time.
func (pk PublicKey) Equal(o PublicKey) bool {
	return subtle.ConstantTimeCompare(pk[:], o[:]) == 1
}

// IsZero reports whether pk is all zeros (never a valid published key).
func (pk PublicKey) IsZero() bool { return pk == PublicKey{} }

// String returns the key as 64 lower-case hex characters.
func (pk PublicKey) String() string { return hex.EncodeToString(pk[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (pk PublicKey) MarshalText() ([]byte, error) { return []byte(pk.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (pk *PublicKey) UnmarshalText(b []byte) error {
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*pk = p
	return nil
}

// ParsePublicKey parses 64 hex characters.
func ParsePublicKey(s string) (PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != KeySize {
		return PublicKey{}, fmt.Errorf("public key: %w", ErrInvalidKey)
	}
	return PublicKey(b), nil
}

// PublicKeyFromBytes copies exactly KeySize bytes into a PublicKey.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	if len(b) != KeySize {
		return PublicKey{}, fmt.Errorf("public key: %w", ErrInvalidKey)
	}
	return PublicKey(b), nil
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
