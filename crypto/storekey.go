package crypto

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// TagSize is the size of a device-store tag.
const TagSize = 16

// Tag is an opaque, keyed name for a device-store entry (a conversation, a
// message index): it lets the store sort and find entries without learning
// what they name.
type Tag [TagSize]byte

// StoreKey seals a user's device store (history at rest). It is derived from
// the user's secret key, so the store is as unreadable as the relay's mailbox
// to anyone without that key.
type StoreKey struct {
	seal [chacha20poly1305.KeySize]byte
	tag  [KeySize]byte
}

// DeriveStoreKey derives the device-store keys from sk with HKDF-SHA256.
func DeriveStoreKey(sk *SecretKey) (*StoreKey, error) {
	var k StoreKey
	kdf := hkdf.New(sha256.New, sk[:], nil, []byte("parley device store v1"))
	if _, err := io.ReadFull(kdf, k.seal[:]); err != nil {
		return nil, fmt.Errorf("derive store key: %w", err)
	}
	if _, err := io.ReadFull(kdf, k.tag[:]); err != nil {
		return nil, fmt.Errorf("derive store key: %w", err)
	}
	return &k, nil
}

// Wipe overwrites the keys in memory.
func (k *StoreKey) Wipe() {
	wipe(k.seal[:])
	wipe(k.tag[:])
}

// Seal encrypts plain with XChaCha20-Poly1305, binding it to ad (the entry's
// location, so a value moved to another key does not open). Output: nonce ‖ ciphertext.
func (k *StoreKey) Seal(r io.Reader, plain, ad []byte) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	aead, err := chacha20poly1305.NewX(k.seal[:])
	if err != nil {
		return nil, fmt.Errorf("store cipher: %w", err)
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	return aead.Seal(out, out, plain, ad), nil
}

// Open decrypts a value sealed with Seal and the same ad.
func (k *StoreKey) Open(b, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal[:])
	if err != nil {
		return nil, fmt.Errorf("store cipher: %w", err)
	}
	if len(b) < chacha20poly1305.NonceSizeX+aead.Overhead() {
		return nil, ErrDecrypt
	}
	plain, err := aead.Open(nil, b[:chacha20poly1305.NonceSizeX], b[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// Tag computes HMAC-SHA256 over the length-prefixed parts, truncated to TagSize.
func (k *StoreKey) Tag(parts ...[]byte) Tag {
	mac := hmac.New(sha256.New, k.tag[:])
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p))) //nolint:gosec // parts are far below 4 GiB
		mac.Write(n[:])
		mac.Write(p)
	}
	var t Tag
	copy(t[:], mac.Sum(nil))
	return t
}
