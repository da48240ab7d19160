package crypto

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// FingerprintSize is the size of a key fingerprint, as in Threema.
const FingerprintSize = 16

// Fingerprint identifies a public key for verification in person: the first
// 16 bytes of SHA-256 over the key.
type Fingerprint [FingerprintSize]byte

// FingerprintOf computes the fingerprint of pk.
func FingerprintOf(pk PublicKey) Fingerprint {
	sum := sha256.Sum256(pk[:])
	var f Fingerprint
	copy(f[:], sum[:FingerprintSize])
	return f
}

// String renders the fingerprint as eight groups of four hex digits.
func (f Fingerprint) String() string {
	h := hex.EncodeToString(f[:])
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}
