package crypto

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/box"
)

// A key proof shows a verifier that the prover holds the secret key of a
// public key without revealing it. The verifier hands out the public half
// of a fresh challenge key pair; the prover seals a statement (what it
// asks for, e.g. which SSH key to enrol) in a box from its secret key to
// the challenge key. Only the challenge's secret half opens the box, and
// only the holder of the prover's secret key could have sealed it: NaCl's
// box authenticates the sender. A challenge serves one proof.

// ErrBadProof reports a key proof that does not open or does not say what
// the verifier expects.
var ErrBadProof = errors.New("the proof does not come from the account's key")

// MaxProofStatement bounds a proof's statement.
const MaxProofStatement = 512

// ProveKey returns nonce ‖ box(statement) from sk to challenge.
func ProveKey(r io.Reader, sk *SecretKey, challenge PublicKey, statement []byte) ([]byte, error) {
	if len(statement) > MaxProofStatement {
		return nil, fmt.Errorf("proof statement of %d bytes: %w", len(statement), ErrTooLarge)
	}
	var nonce [NonceSize]byte
	if _, err := io.ReadFull(r, nonce[:]); err != nil {
		return nil, fmt.Errorf("key proof nonce: %w", err)
	}
	shared := Precompute(challenge, sk)
	defer wipe(shared[:])
	out := append(make([]byte, 0, NonceSize+box.Overhead+len(statement)), nonce[:]...)
	return box.SealAfterPrecomputation(out, statement, &nonce, (*[KeySize]byte)(shared)), nil
}

// CheckKeyProof verifies that proof was made by the holder of pub's secret
// key, for the challenge whose secret half is challenge, over statement.
func CheckKeyProof(proof []byte, pub PublicKey, challenge *SecretKey, statement []byte) error {
	if len(proof) != NonceSize+box.Overhead+len(statement) {
		return ErrBadProof
	}
	var nonce [NonceSize]byte
	copy(nonce[:], proof)
	shared := Precompute(pub, challenge)
	defer wipe(shared[:])
	got, ok := box.OpenAfterPrecomputation(nil, proof[NonceSize:], &nonce, (*[KeySize]byte)(shared))
	if !ok || subtle.ConstantTimeCompare(got, statement) != 1 {
		return ErrBadProof
	}
	return nil
}

// DeviceStatement is what a new device of an account proves its key over
// when it enrols (docs/protocol.md): the challenge, the account and the
// SSH key fingerprint to enrol.
func DeviceStatement(challenge PublicKey, user ID, fingerprint string) []byte {
	return fmt.Appendf(nil, "parley add-device v1\x00%x\x00%s\x00%s", challenge[:], user, fingerprint)
}
