package crypto

import (
	"crypto/rand"
	"errors"
	"testing"
)

func TestKeyProof(t *testing.T) {
	pub, sk, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cpub, csk, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, osk, _ := GenerateKeyPair(rand.Reader)
	stmt := []byte("enrol SHA256:abc")
	proof, err := ProveKey(rand.Reader, sk, cpub, stmt)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKeyProof(proof, pub, csk, stmt); err != nil {
		t.Fatalf("a good proof: %v", err)
	}
	// Someone without the key, another statement, another challenge, a
	// flipped bit: refused.
	forged, _ := ProveKey(rand.Reader, osk, cpub, stmt)
	_, csk2, _ := GenerateKeyPair(rand.Reader)
	flipped := append([]byte(nil), proof...)
	flipped[len(flipped)-1] ^= 1
	for name, err := range map[string]error{
		"another key":       CheckKeyProof(forged, pub, csk, stmt),
		"another statement": CheckKeyProof(proof, pub, csk, []byte("enrol SHA256:evil")),
		"another challenge": CheckKeyProof(proof, pub, csk2, stmt),
		"flipped":           CheckKeyProof(flipped, pub, csk, stmt),
		"short":             CheckKeyProof(proof[:10], pub, csk, stmt),
		"claimed by other":  CheckKeyProof(proof, other, csk, stmt),
	} {
		if !errors.Is(err, ErrBadProof) {
			t.Errorf("%s: %v, want ErrBadProof", name, err)
		}
	}
}
