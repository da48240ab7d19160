package core

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Trust says how far the user can be sure a contact's public key is really
// theirs, as in Threema's coloured dots.
type Trust uint8

// Trust levels, from the weakest.
const (
	// TrustUnverified (red): the key came from the server and nobody vouched
	// for the name; the contact may call themselves anything.
	TrustUnverified Trust = iota + 1
	// TrustDirectory (orange): the key came from the server's directory, and
	// an administrator set the contact's name.
	TrustDirectory
	// TrustVerified (green): the user compared the key's fingerprint with the
	// contact in person, and the key has not changed since.
	TrustVerified
	// TrustInternal (blue): a member of the user's own organisation, vouched
	// for by its administrators.
	TrustInternal
)

// String names the trust level.
func (t Trust) String() string {
	switch t {
	case TrustUnverified:
		return "unverified"
	case TrustDirectory:
		return "directory"
	case TrustVerified:
		return "verified"
	case TrustInternal:
		return "internal"
	}
	return "unknown"
}

// ContactEntry is one entry of the user's contact list.
type ContactEntry struct {
	ID crypto.ID
	// Name is the name to show: the administrator's name for the contact,
	// or "~nickname" when they only chose a nickname themselves.
	Name  string
	Trust Trust
	// Verified says the fingerprint was checked in person and the key is
	// still the one checked.
	Verified bool
	// KeyChanged says the contact was verified, but the server now gives
	// another key for them: verify again before trusting it.
	KeyChanged bool
	Added      time.Time
}

// contactRecord is a contact as the device store keeps it.
type contactRecord struct {
	ID    crypto.ID `json:"id"`
	Name  string    `json:"name"` // the shown name when last looked up
	Added time.Time `json:"added"`
	// Key is the public key verified in person; zero if never verified.
	Key crypto.PublicKey `json:"key,omitzero"`
}

// shownName is the name to show for a looked-up contact.
func shownName(ct Contact) string {
	switch {
	case ct.NameSet && ct.Name != "":
		return ct.Name
	case ct.Nickname != "":
		return "~" + ct.Nickname
	case ct.Name != "":
		return ct.Name
	}
	return ct.ID.String()
}

// entry combines a stored contact with what the server says about them
// now; found is false when the lookup failed.
func entry(rec contactRecord, ct Contact, found bool) ContactEntry {
	e := ContactEntry{ID: rec.ID, Name: rec.Name, Trust: TrustUnverified, Added: rec.Added}
	if e.Name == "" {
		e.Name = rec.ID.String()
	}
	if !found {
		return e
	}
	e.Name = shownName(ct)
	if !ct.ServerKey.IsZero() {
		e.KeyChanged = true // the server's answer is not the pinned key
	} else if !rec.Key.IsZero() {
		if rec.Key.Equal(ct.PublicKey) {
			e.Verified, e.Trust = true, TrustVerified
			return e
		}
		e.KeyChanged = true
	}
	switch {
	case ct.Internal:
		e.Trust = TrustInternal
	case ct.NameSet:
		e.Trust = TrustDirectory
	}
	return e
}

// Contacts lists the user's contacts by name, each with its trust level as
// of now. A contact the server no longer knows stays in the list,
// unverified, under the name it last had.
func (c *Core) Contacts(ctx context.Context) ([]ContactEntry, error) {
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	var recs []contactRecord
	err = c.store.View(ctx, func(tx Tx) error {
		recs = recs[:0]
		var ierr error
		err := tx.Space(spaceContact).Scan(nil, nil, false, func(key, v []byte) bool {
			var r contactRecord
			if ierr = open(k, spaceContact, key, v, &r); ierr != nil {
				return false
			}
			recs = append(recs, r)
			return true
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	out := make([]ContactEntry, 0, len(recs))
	for _, r := range recs {
		ct, err := c.Contact(ctx, r.ID)
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("look up contacts: %w", cerr)
		}
		out = append(out, entry(r, ct, err == nil))
	}
	slices.SortFunc(out, func(a, b ContactEntry) int {
		if c := strings.Compare(sortName(a.Name), sortName(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// sortName orders "~eve" with the other E's.
func sortName(s string) string { return strings.ToLower(strings.TrimPrefix(s, "~")) }

// lookup finds a contact to add or verify: not the user, and known to the
// server. A contact outside the organisation is refused when the
// organisation forbids adding them.
func (c *Core) lookup(ctx context.Context, id crypto.ID) (Contact, error) {
	if id == c.me.ID {
		return Contact{}, ErrSelf
	}
	ct, err := c.Contact(ctx, id)
	if err != nil {
		return Contact{}, fmt.Errorf("look up %s: %w", id, err)
	}
	if !ct.Internal {
		r, err := c.Settings(ctx)
		if err != nil {
			return Contact{}, fmt.Errorf("read restrictions: %w", err)
		}
		if why := r.Reason(FeatureAddContact); why != "" {
			return Contact{}, fmt.Errorf("%s is outside your organisation: %s", id, why)
		}
	}
	return ct, nil
}

// AddContact adds a user to the contact list; adding a contact again
// returns the existing entry.
func (c *Core) AddContact(ctx context.Context, id crypto.ID) (ContactEntry, error) {
	ct, err := c.lookup(ctx, id)
	if err != nil {
		return ContactEntry{}, err
	}
	rec, err := c.upsertContact(ctx, ct, nil)
	if err != nil {
		return ContactEntry{}, err
	}
	return entry(rec, ct, true), nil
}

// upsertContact writes the contact's record, keeping when it was added and
// what was verified; verified, when not nil, is the key just verified.
func (c *Core) upsertContact(ctx context.Context, ct Contact, verified *crypto.PublicKey) (contactRecord, error) {
	k, err := c.storeKey()
	if err != nil {
		return contactRecord{}, err
	}
	var rec contactRecord
	err = c.store.Update(ctx, func(tx Tx) error {
		rec = contactRecord{}
		key := contactKey(k, ct.ID)
		found, err := getRecord(tx, k, spaceContact, key, &rec)
		if err != nil {
			return err
		}
		if !found {
			rec = contactRecord{ID: ct.ID, Added: c.now().UTC()}
		}
		rec.Name = shownName(ct)
		if verified != nil {
			rec.Key = *verified
		}
		return c.putRecord(tx, k, spaceContact, key, &rec)
	})
	if err != nil {
		return contactRecord{}, fmt.Errorf("save contact: %w", err)
	}
	return rec, nil
}

// RemoveContact removes a user from the contact list, with what was
// verified about them; the conversation stays.
func (c *Core) RemoveContact(ctx context.Context, id crypto.ID) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	var found bool
	err = c.store.Update(ctx, func(tx Tx) error {
		key := contactKey(k, id)
		b, err := tx.Space(spaceContact).Get(key)
		if found = b != nil; err != nil || !found {
			return err
		}
		return tx.Space(spaceContact).Delete(key)
	})
	if err != nil {
		return fmt.Errorf("remove contact: %w", err)
	}
	if !found {
		return fmt.Errorf("%s: %w", id, ErrNotContact)
	}
	return nil
}

// Fingerprint returns the fingerprint of the key the server gives for id
// (the user's own for their own ID) as eight groups of four hex digits,
// to compare in person with what the contact's own client shows.
func (c *Core) Fingerprint(ctx context.Context, id crypto.ID) (string, error) {
	pk := c.me.PublicKey
	if id != c.me.ID {
		ct, err := c.Contact(ctx, id)
		if err != nil {
			return "", fmt.Errorf("look up %s: %w", id, err)
		}
		pk = ct.PublicKey
	}
	if pk.IsZero() {
		return "", fmt.Errorf("%s has no public key yet", id)
	}
	return crypto.FingerprintOf(pk).String(), nil
}

// parseFingerprint reads 32 hex digits, ignoring case, spaces, dashes and
// colons.
func parseFingerprint(s string) (crypto.Fingerprint, error) {
	var f crypto.Fingerprint
	if len(s) > 200 {
		return f, ErrBadFingerprint
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', ':':
			return -1
		}
		return r
	}, s)
	if len(clean) != 2*crypto.FingerprintSize {
		return f, ErrBadFingerprint
	}
	if _, err := hex.Decode(f[:], []byte(clean)); err != nil {
		return f, ErrBadFingerprint
	}
	return f, nil
}

// Verify compares fingerprint, as the contact's own client shows it, with
// the key the server gives for id. A match marks the contact verified
// (green) and adds them to the contact list; a mismatch returns
// ErrFingerprintMismatch and changes nothing.
func (c *Core) Verify(ctx context.Context, id crypto.ID, fingerprint string) error {
	want, err := parseFingerprint(fingerprint)
	if err != nil {
		return err
	}
	ct, err := c.lookup(ctx, id)
	if err != nil {
		return err
	}
	if ct.PublicKey.IsZero() {
		return fmt.Errorf("%s has no public key yet", id)
	}
	pk := ct.PublicKey
	if !ct.ServerKey.IsZero() {
		// The server's answer changed since the pin: the fingerprint
		// compared in person says which key is theirs.
		if got := crypto.FingerprintOf(ct.ServerKey); subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			if err := c.moveKeyPin(ctx, id, ct.ServerKey); err != nil {
				return err
			}
			pk, ct.PublicKey, ct.ServerKey = ct.ServerKey, ct.ServerKey, crypto.PublicKey{}
		}
	}
	got := crypto.FingerprintOf(pk)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%s: %w", id, ErrFingerprintMismatch)
	}
	if _, err := c.upsertContact(ctx, ct, &pk); err != nil {
		return err
	}
	return nil
}
