package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Key pinning. The first time this device learns a user's public key from
// the server it keeps it, sealed, in the device store:
//
//	space  key               value
//	keypin  Tag("keypin", ID)  sealed keyPinRecord
//
// From then on the pinned key is the one used to seal to and open from
// that user, whatever the server answers later. A Parley user's key never
// changes once they are enrolled, so a different answer means the server
// (or whoever controls it) is trying to stand in for them: Contact reports
// it in ServerKey, sending to them is refused with ErrKeyMismatch, and
// only a fingerprint compared in person (Verify) moves the pin to the new
// key.
const spaceKeyPin = "keypin"

// ErrKeyMismatch: the server gives another key for a user than the one
// pinned on first contact.
var ErrKeyMismatch = errors.New("the server now gives a DIFFERENT key for this user than the one this device pinned at first contact: " +
	"someone may be trying to read your messages. Nothing was sent. Compare fingerprints in person, then /verify")

type keyPinRecord struct {
	Key   crypto.PublicKey `json:"key"`
	Since time.Time        `json:"since"`
}

func keyPinKey(k *crypto.StoreKey, id crypto.ID) []byte {
	t := k.Tag([]byte("keypin"), id[:])
	return t[:]
}

// applyKeyPin applies the device's pin to what the server answered for ct: the
// first answer is pinned; a later different one is kept aside in
// ServerKey and the pinned key stays. Without the store key (locked) the
// answer is taken as it is and nothing is pinned.
func (c *Core) applyKeyPin(ctx context.Context, ct Contact) (Contact, error) {
	k, err := c.storeKey()
	if err != nil || ct.PublicKey.IsZero() || ct.ID == c.me.ID {
		return ct, nil //nolint:nilerr // locked: nothing to compare with yet
	}
	key := keyPinKey(k, ct.ID)
	var rec keyPinRecord
	var found bool
	if err := c.store.View(ctx, func(tx Tx) error {
		var err error
		found, err = getRecord(tx, k, spaceKeyPin, key, &rec)
		return err
	}); err != nil {
		return Contact{}, fmt.Errorf("read the pinned key of %s: %w", ct.ID, err)
	}
	switch {
	case found && rec.Key.Equal(ct.PublicKey):
		return ct, nil
	case found:
		c.log.Warn("the server gives another key for a contact than the pinned one", "contact", ct.ID.String())
		ct.ServerKey, ct.PublicKey = ct.PublicKey, rec.Key
		return ct, nil
	}
	err = c.store.Update(ctx, func(tx Tx) error {
		return c.putRecord(tx, k, spaceKeyPin, key, keyPinRecord{Key: ct.PublicKey, Since: c.now().UTC()})
	})
	if err != nil {
		return Contact{}, fmt.Errorf("pin the key of %s: %w", ct.ID, err)
	}
	return ct, nil
}

// moveKeyPin moves a user's pin to key, after the user compared it in person.
func (c *Core) moveKeyPin(ctx context.Context, id crypto.ID, key crypto.PublicKey) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	err = c.store.Update(ctx, func(tx Tx) error {
		return c.putRecord(tx, k, spaceKeyPin, keyPinKey(k, id), keyPinRecord{Key: key, Since: c.now().UTC()})
	})
	if err != nil {
		return fmt.Errorf("pin the key of %s: %w", id, err)
	}
	c.mu.Lock()
	delete(c.contacts, id)
	if s, ok := c.shared[id]; ok {
		clear(s[:])
		delete(c.shared, id)
	}
	c.mu.Unlock()
	return nil
}
