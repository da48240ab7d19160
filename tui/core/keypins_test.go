package core

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// TestServerKeySwapDetected (devices issue, item 7): the device pins a
// user's key on first contact. When the server later answers another key
// for them, sending is refused loudly and nothing leaves; messages sealed
// to the substituted key are not shown; the real user's messages still
// open with the pinned key; and a fingerprint compared in person moves the
// pin.
func TestServerKeySwapDetected(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	realBob := n.core(bob, newLStore(), nil)
	to := Direct(bob.ct.ID)
	if _, err := a.Send(ctx, to, "before"); err != nil {
		t.Fatal(err)
	}
	lSync(t, realBob)

	oldKey := bob.ct.PublicKey
	n.setKey(bob.ct.ID) // the server now hands out a key it holds the secret of
	n.advance(contactTTL + time.Second)
	impostor := n.core(bob, newLStore(), nil)
	n.mu.Lock()
	before := len(n.mail[bob.ct.ID])
	n.mu.Unlock()
	_, err := a.Send(ctx, to, "for Bob's eyes only")
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("send after the server swapped the key: %v, want ErrKeyMismatch", err)
	}
	n.mu.Lock()
	after := len(n.mail[bob.ct.ID])
	n.mu.Unlock()
	if after != before {
		t.Fatalf("%d envelopes left for the substituted key", after-before)
	}
	ct, err := a.Contact(ctx, bob.ct.ID)
	if err != nil || ct.PublicKey == ct.ServerKey || ct.ServerKey.IsZero() {
		t.Fatalf("contact after the swap: %+v %v, want the pinned key and the server's aside", ct, err)
	}
	if _, err := a.AddContact(ctx, bob.ct.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := a.Contacts(ctx); len(list) != 1 || !list[0].KeyChanged {
		t.Fatalf("the contact list does not flag the swap: %+v", list)
	}

	// The impostor writes as Bob: not shown. The real Bob still gets through.
	if _, err := impostor.Send(ctx, Direct(ann.ct.ID), "it is me, Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := realBob.Send(ctx, Direct(ann.ct.ID), "the real Bob"); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	page, err := a.Messages(ctx, to, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(page.Messages); !slices.Equal(got, []string{"before", "the real Bob"}) {
		t.Fatalf("Ann's history: %q", got)
	}

	// A fingerprint of the pinned key, compared in person, keeps the pin.
	if err := a.Verify(ctx, bob.ct.ID, crypto.FingerprintOf(oldKey).String()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, to, "still refused"); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("after verifying the old key: %v", err)
	}
	// The new key's fingerprint, compared in person, moves the pin.
	n.mu.Lock()
	newKey := n.users[bob.ct.ID].ct.PublicKey
	n.mu.Unlock()
	if err := a.Verify(ctx, bob.ct.ID, crypto.FingerprintOf(newKey).String()); err != nil {
		t.Fatal(err)
	}
	if m, err := a.Send(ctx, to, "after verifying"); err != nil || m.State != StateSent {
		t.Fatalf("send after verifying the new key: %v", err)
	}
}
