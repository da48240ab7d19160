package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

func TestAddContactTrustLevels(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	n.user("BOB00001", "Bob Brown", nil) // same organisation, name set by the admin
	n.user("DAN00001", "Dan Dorn", func(c *Contact) { c.Internal = false })
	n.user("EVE00001", "EVE00001", func(c *Contact) { c.Internal, c.NameSet, c.Nickname = false, false, "eve" })
	n.user("FAY00001", "Fay", func(c *Contact) { c.NameSet, c.Nickname = false, "fay" })
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	for _, tc := range []struct {
		id, name string
		trust    Trust
	}{
		{"BOB00001", "Bob Brown", TrustInternal},
		{"DAN00001", "Dan Dorn", TrustDirectory},
		{"EVE00001", "~eve", TrustUnverified},
		{"FAY00001", "~fay", TrustInternal},
	} {
		id, _ := crypto.ParseID(tc.id)
		e, err := a.AddContact(ctx, id)
		if err != nil {
			t.Fatalf("AddContact(%s): %v", tc.id, err)
		}
		if e.ID != id || e.Name != tc.name || e.Trust != tc.trust || e.Verified || e.Added.IsZero() {
			t.Errorf("AddContact(%s) = %+v, want name %q, trust %v", tc.id, e, tc.name, tc.trust)
		}
	}
	list, err := a.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Name+":"+e.Trust.String())
	}
	if got, want := strings.Join(got, ","), "Bob Brown:internal,Dan Dorn:directory,~eve:unverified,~fay:internal"; got != want {
		t.Fatalf("contacts = %s, want %s", got, want)
	}
}

func TestAddContactAgainKeepsEntry(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	first, err := a.AddContact(ctx, bob.ct.ID)
	if err != nil {
		t.Fatal(err)
	}
	n.advance(time.Hour)
	again, err := a.AddContact(ctx, bob.ct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Added.Equal(first.Added) {
		t.Fatalf("added again at %v, want the first time %v", again.Added, first.Added)
	}
	if list, _ := a.Contacts(ctx); len(list) != 1 {
		t.Fatalf("contacts after adding twice: %+v", list)
	}
}

func TestAddContactRefusals(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	n.user("BOB00001", "Bob", nil)
	n.user("DAN00001", "Dan", func(c *Contact) { c.Internal = false })
	acct := lAccount{r: Restrictions{Forbidden: map[string]string{FeatureAddContact: "your organisation allows internal contacts only"}}}
	a := n.core(ann, newLStore(), acct)
	ctx := context.Background()
	id := func(s string) crypto.ID { i, _ := crypto.ParseID(s); return i }
	if _, err := a.AddContact(ctx, ann.ct.ID); !errors.Is(err, ErrSelf) {
		t.Errorf("AddContact(self) = %v, want ErrSelf", err)
	}
	if _, err := a.AddContact(ctx, id("ZZZ00001")); err == nil || !strings.Contains(err.Error(), "ZZZ00001") {
		t.Errorf("AddContact(unknown) = %v, want an error naming the ID", err)
	}
	if _, err := a.AddContact(ctx, id("DAN00001")); err == nil || !strings.Contains(err.Error(), "internal contacts only") {
		t.Errorf("AddContact(external) under the policy = %v, want the policy's reason", err)
	}
	if err := a.Verify(ctx, id("DAN00001"), strings.Repeat("0", 32)); err == nil || !strings.Contains(err.Error(), "internal contacts only") {
		t.Errorf("Verify(external) under the policy = %v, want the policy's reason", err)
	}
	if _, err := a.AddContact(ctx, id("BOB00001")); err != nil {
		t.Errorf("AddContact(internal) under the policy: %v", err)
	}
	list, err := a.Contacts(ctx)
	if err != nil || len(list) != 1 || list[0].ID != id("BOB00001") {
		t.Fatalf("contacts = %+v, %v; want only Bob", list, err)
	}
}

func TestRemoveContact(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	if err := a.RemoveContact(ctx, bob.ct.ID); !errors.Is(err, ErrNotContact) {
		t.Fatalf("RemoveContact of a non-contact = %v, want ErrNotContact", err)
	}
	if _, err := a.AddContact(ctx, bob.ct.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveContact(ctx, bob.ct.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := a.Contacts(ctx); err != nil || len(list) != 0 {
		t.Fatalf("contacts after removal = %+v, %v", list, err)
	}
}

func TestFingerprint(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	for _, u := range []*lUser{ann, bob} {
		got, err := a.Fingerprint(ctx, u.ct.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := crypto.FingerprintOf(u.ct.PublicKey).String(); got != want {
			t.Errorf("Fingerprint(%s) = %s, want %s", u.ct.ID, got, want)
		}
		if len(got) != 39 || strings.Count(got, " ") != 7 {
			t.Errorf("Fingerprint(%s) = %q, want 8 groups of 4 hex digits", u.ct.ID, got)
		}
	}
	if _, err := a.Fingerprint(ctx, crypto.ID{'Z', 'Z', 'Z', '0', '0', '0', '0', '1'}); err == nil {
		t.Error("fingerprint of an unknown ID")
	}
}

func TestVerify(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	dan := n.user("DAN00001", "Dan", func(c *Contact) { c.Internal = false })
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	fp := crypto.FingerprintOf(dan.ct.PublicKey).String()

	// A mismatch changes nothing: Dan is not even added.
	other := crypto.FingerprintOf(ann.ct.PublicKey).String()
	if err := a.Verify(ctx, dan.ct.ID, other); !errors.Is(err, ErrFingerprintMismatch) {
		t.Fatalf("Verify with another key's fingerprint = %v, want ErrFingerprintMismatch", err)
	}
	for _, bad := range []string{"", "abcd", fp + "00", strings.Repeat("g", 32), strings.Repeat("0", 300)} {
		if err := a.Verify(ctx, dan.ct.ID, bad); !errors.Is(err, ErrBadFingerprint) {
			t.Errorf("Verify(%q) = %v, want ErrBadFingerprint", bad, err)
		}
	}
	if err := a.Verify(ctx, ann.ct.ID, other); !errors.Is(err, ErrSelf) {
		t.Errorf("Verify(self) = %v, want ErrSelf", err)
	}
	if list, _ := a.Contacts(ctx); len(list) != 0 {
		t.Fatalf("contacts after refused verifications: %+v", list)
	}
	// Case, spaces, dashes and colons do not matter.
	typed := strings.ToUpper(strings.ReplaceAll(fp, " ", "-"))
	if err := a.Verify(ctx, dan.ct.ID, typed); err != nil {
		t.Fatalf("Verify(%q): %v", typed, err)
	}
	list, err := a.Contacts(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("contacts after verifying = %+v, %v", list, err)
	}
	if e := list[0]; !e.Verified || e.Trust != TrustVerified || e.KeyChanged {
		t.Fatalf("verified contact = %+v, want verified (green)", e)
	}
	// A later mismatch (a typo) keeps the verification.
	if err := a.Verify(ctx, dan.ct.ID, other); !errors.Is(err, ErrFingerprintMismatch) {
		t.Fatalf("second Verify = %v, want ErrFingerprintMismatch", err)
	}
	if list, _ := a.Contacts(ctx); !list[0].Verified {
		t.Fatal("a mismatch undid the verification")
	}
}

// TestVerifiedKeyChange: when the server gives another key for a verified
// contact, the contact is no longer green, and says why.
func TestVerifiedKeyChange(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	if err := a.Verify(ctx, bob.ct.ID, crypto.FingerprintOf(bob.ct.PublicKey).String()); err != nil {
		t.Fatal(err)
	}
	n.setKey(bob.ct.ID)
	n.advance(contactTTL + time.Second)
	list, err := a.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := list[0]; e.Verified || !e.KeyChanged || e.Trust != TrustInternal {
		t.Fatalf("contact after a key change = %+v, want not verified, key changed, internal", e)
	}
	// Verifying the new key makes them green again.
	n.mu.Lock()
	pk := n.users[bob.ct.ID].ct.PublicKey
	n.mu.Unlock()
	if err := a.Verify(ctx, bob.ct.ID, crypto.FingerprintOf(pk).String()); err != nil {
		t.Fatal(err)
	}
	if list, _ := a.Contacts(ctx); !list[0].Verified || list[0].KeyChanged {
		t.Fatalf("contact after verifying the new key = %+v", list[0])
	}
}

// TestContactGoneStaysListed: a contact the directory no longer knows stays
// in the list under its last name, unverified.
func TestContactGoneStaysListed(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	if err := a.Verify(ctx, bob.ct.ID, crypto.FingerprintOf(bob.ct.PublicKey).String()); err != nil {
		t.Fatal(err)
	}
	n.remove(bob.ct.ID)
	n.advance(contactTTL + time.Second)
	list, err := a.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "Bob" || list[0].Trust != TrustUnverified || list[0].Verified {
		t.Fatalf("contacts after Bob left = %+v, want Bob, unverified", list)
	}
}

func TestTrustString(t *testing.T) {
	for tr, want := range map[Trust]string{TrustUnverified: "unverified", TrustDirectory: "directory",
		TrustVerified: "verified", TrustInternal: "internal", 0: "unknown"} {
		if got := tr.String(); got != want {
			t.Errorf("Trust(%d).String() = %q, want %q", tr, got, want)
		}
	}
}

func FuzzParseFingerprint(f *testing.F) {
	for _, s := range []string{"", "0123 4567 89ab cdef 0123 4567 89ab cdef", "0123456789ABCDEF0123456789abcdef",
		"01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef", "zz", strings.Repeat("0", 33)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := parseFingerprint(s)
		if err != nil {
			if !errors.Is(err, ErrBadFingerprint) {
				t.Fatalf("parseFingerprint(%q) = %v, want ErrBadFingerprint", s, err)
			}
			return
		}
		again, err := parseFingerprint(fp.String())
		if err != nil || again != fp {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
