package directory_test

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
)

// TestAddDeviceToLocalAccountWithProof: a device that holds a local-mode
// account's key enrols with the add-device code by answering the server's
// challenge; a proof from another key, for another SSH key, replayed, or
// without a challenge is refused and enrols nothing.
func TestAddDeviceToLocalAccountWithProof(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	pk, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ada := e.activateLocal(t, code.Code, "SHA256:ada-laptop", pk)
	_, more, err := e.dir.ReissueCode(ctx, tn.ID, ada.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	const phone = "SHA256:ada-phone"
	spec := func(proof []byte) directory.ActivateSpec {
		return directory.ActivateSpec{Code: more.Code, Fingerprint: phone, AuthorizedKey: "ssh-ed25519 AAAA phone", Proof: proof}
	}
	prove := func(key *crypto.SecretKey, fingerprint string) []byte {
		t.Helper()
		ch, u, err := e.dir.DeviceChallenge(ctx, more.Code, fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != ada.ID || u.PublicKey != pk {
			t.Fatalf("the challenge names %s with key %s", u.ID, u.PublicKey)
		}
		p, err := crypto.ProveKey(rand.Reader, key, ch, crypto.DeviceStatement(ch, ada.ID, fingerprint))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// No challenge asked for.
	if _, err := e.dir.Activate(ctx, spec(make([]byte, 80))); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("a proof without a challenge: %v", err)
	}
	// Someone with the code but not the key.
	_, thief, _ := crypto.GenerateKeyPair(rand.Reader)
	if _, err := e.dir.Activate(ctx, spec(prove(thief, phone))); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("a proof from another key: %v", err)
	}
	// A proof made for another SSH key than the one that presents it.
	if _, err := e.dir.Activate(ctx, spec(prove(sk, "SHA256:elsewhere"))); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("a proof for another SSH key: %v", err)
	}
	if r := e.resolveUser(t, phone); r != nil {
		t.Fatalf("a refused proof enrolled the key as %s", r.ID)
	}
	good := prove(sk, phone)
	u, err := e.dir.Activate(ctx, spec(good))
	if err != nil {
		t.Fatalf("the account's key: %v", err)
	}
	if u.ID != ada.ID {
		t.Fatalf("enrolled as %s", u.ID)
	}
	if r := e.resolveUser(t, phone); r == nil || r.ID != ada.ID {
		t.Fatal("the proved device does not resolve to Ada")
	}
	if st := e.stored(t, ada.ID); st.PublicKey != pk || st.SealedKey != nil {
		t.Fatalf("Ada's account changed: key %s, sealed %d bytes", st.PublicKey, len(st.SealedKey))
	}
	// The code is used, and a replay finds no challenge.
	if _, err := e.dir.Activate(ctx, spec(good)); err == nil {
		t.Fatal("the proof was accepted twice")
	}
	// A hosted account's add-device code gets no challenge.
	bob := e.activeUser(t, tn.ID, "Bob", "SHA256:bob-laptop")
	_, bobCode, err := e.dir.ReissueCode(ctx, tn.ID, bob.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.dir.DeviceChallenge(ctx, bobCode.Code, "SHA256:bob-phone"); !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("a challenge for a hosted account: %v", err)
	}
}
