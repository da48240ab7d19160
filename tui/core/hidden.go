package core

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/parley-chat/parley/crypto"
)

// Hidden chats: a conversation the user hides leaves the conversation list,
// the search results and FindConversation until the user reveals hidden
// chats with their PIN; Conceal hides them again. The PIN only guards the
// view of a session that is already unlocked (someone glancing at an open
// terminal): the history itself is sealed with the user's key either way.
//
// The PIN is stored as an Argon2id hash in the device store. Every attempt
// counts against the limit from the moment it starts (so parallel sessions
// cannot add guesses); pinTries wrong PINs in a row make every session wait
// pinWait before the next attempt.

// PIN limits and throttling.
const (
	MinPINLen   = 4
	MaxPINLen   = 12
	pinTries    = 5
	pinWait     = 5 * time.Minute
	pinSaltSize = 16
	pinHashSize = 32
)

// pinParams are the Argon2id costs of a new PIN hash, about 40 ms on one
// core; they are stored with the hash.
func pinParams() crypto.KDFParams {
	return crypto.KDFParams{Time: 2, MemoryKiB: 19 << 10, Threads: 1}
}

// pinRecord is the stored PIN and its throttle state.
type pinRecord struct {
	Params crypto.KDFParams `json:"params"`
	Salt   []byte           `json:"salt"`
	Hash   []byte           `json:"hash"`
	// Failed counts attempts since the last right PIN or the last wait.
	Failed int `json:"failed,omitempty"`
	// Until is when the next attempt may start, after too many wrong ones.
	Until time.Time `json:"until,omitzero"`
}

func (r *pinRecord) valid() error {
	if err := r.Params.Validate(); err != nil {
		return err
	}
	if len(r.Salt) < pinSaltSize || len(r.Hash) != pinHashSize {
		return fmt.Errorf("pin record: %w", crypto.ErrMalformed)
	}
	return nil
}

func hashPIN(pin string, salt []byte, p crypto.KDFParams) []byte {
	return argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, pinHashSize)
}

// validPIN reports whether pin is 4 to 12 ASCII digits.
func validPIN(pin string) bool {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return false
	}
	for i := range len(pin) {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

func throttled(d time.Duration) error {
	return fmt.Errorf("%w: try again in %s", ErrPINThrottled, d.Round(time.Second))
}

// checkPIN compares pin with the stored PIN under the throttle: ErrNoPIN,
// ErrBadPIN, ErrPINThrottled or ErrWrongPIN, nil when it matches.
func (c *Core) checkPIN(ctx context.Context, k *crypto.StoreKey, pin string) error {
	var rec pinRecord
	var refused error
	// Count the attempt before hashing, in its own transaction: the
	// Argon2id work must not hold the store's write lock.
	err := c.store.Update(ctx, func(tx Tx) error {
		rec, refused = pinRecord{}, nil
		found, err := getRecord(tx, k, spaceLocal, localKey(k, "pin"), &rec)
		if err != nil {
			return err
		}
		now := c.now()
		switch {
		case !found:
			refused = ErrNoPIN
			return nil
		case now.Before(rec.Until):
			refused = throttled(rec.Until.Sub(now))
			return nil
		case !validPIN(pin):
			refused = ErrBadPIN // cannot match: not counted
			return nil
		}
		if err := rec.valid(); err != nil {
			return err
		}
		rec.Failed++
		if rec.Failed >= pinTries {
			rec.Failed, rec.Until = 0, now.Add(pinWait)
		}
		return c.putRecord(tx, k, spaceLocal, localKey(k, "pin"), &rec)
	})
	if err != nil {
		return fmt.Errorf("check PIN: %w", err)
	}
	if refused != nil {
		return refused
	}
	ok := subtle.ConstantTimeCompare(hashPIN(pin, rec.Salt, rec.Params), rec.Hash) == 1
	var after pinRecord
	err = c.store.Update(ctx, func(tx Tx) error {
		after = pinRecord{}
		found, err := getRecord(tx, k, spaceLocal, localKey(k, "pin"), &after)
		if err != nil || !found || !ok {
			return err
		}
		if subtle.ConstantTimeCompare(after.Hash, rec.Hash) != 1 {
			return nil // changed meanwhile by another session: leave its state
		}
		after.Failed, after.Until = 0, time.Time{}
		return c.putRecord(tx, k, spaceLocal, localKey(k, "pin"), &after)
	})
	if err != nil {
		return fmt.Errorf("check PIN: %w", err)
	}
	if ok {
		return nil
	}
	if now := c.now(); now.Before(after.Until) {
		return fmt.Errorf("%w; %w", ErrWrongPIN, throttled(after.Until.Sub(now)))
	}
	return fmt.Errorf("%w (%d tries left)", ErrWrongPIN, max(pinTries-after.Failed, 1))
}

// PINSet reports whether the user has set a PIN for hidden chats.
func (c *Core) PINSet(ctx context.Context) (bool, error) {
	k, err := c.storeKey()
	if err != nil {
		return false, err
	}
	var found bool
	err = c.store.View(ctx, func(tx Tx) error {
		b, err := tx.Space(spaceLocal).Get(localKey(k, "pin"))
		found = b != nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("read PIN: %w", err)
	}
	return found, nil
}

// SetPIN sets the PIN that guards hidden chats: 4 to 12 digits. Changing
// it needs the current PIN as old (throttled like Reveal); the first PIN
// needs old empty. An empty new PIN removes it, which is refused while
// chats are hidden. A bad PIN changes nothing.
func (c *Core) SetPIN(ctx context.Context, old, pin string) error {
	if pin != "" && !validPIN(pin) {
		return ErrBadPIN
	}
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	had, err := c.PINSet(ctx)
	if err != nil {
		return err
	}
	switch {
	case had:
		if err := c.checkPIN(ctx, k, old); err != nil {
			return err
		}
	case old != "" || pin == "":
		return ErrNoPIN
	}
	var rec *pinRecord
	if pin != "" {
		rec = &pinRecord{Params: pinParams(), Salt: make([]byte, pinSaltSize)}
		if _, err := c.rand.Read(rec.Salt); err != nil {
			return fmt.Errorf("PIN salt: %w", err)
		}
		rec.Hash = hashPIN(pin, rec.Salt, rec.Params)
	}
	var refused error
	err = c.store.Update(ctx, func(tx Tx) error {
		refused = nil
		b, err := tx.Space(spaceLocal).Get(localKey(k, "pin"))
		if err != nil {
			return err
		}
		if (b != nil) != had {
			refused = errors.New("the PIN changed in another session meanwhile: try again")
			return nil
		}
		if rec != nil {
			return c.putRecord(tx, k, spaceLocal, localKey(k, "pin"), rec)
		}
		hidden, err := c.anyHidden(tx, k)
		if err != nil {
			return err
		}
		if hidden {
			refused = ErrHiddenChats
			return nil
		}
		return tx.Space(spaceLocal).Delete(localKey(k, "pin"))
	})
	if err != nil {
		return fmt.Errorf("save PIN: %w", err)
	}
	if refused != nil {
		return refused
	}
	if pin == "" {
		c.Conceal()
	}
	return nil
}

// anyHidden reports whether some conversation is hidden.
func (c *Core) anyHidden(tx Tx, k *crypto.StoreKey) (bool, error) {
	var hidden bool
	var ierr error
	err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
		var conv Conversation
		if ierr = open(k, spaceConv, key, v, &conv); ierr != nil {
			return false
		}
		hidden = conv.Hidden
		return !hidden
	})
	if err != nil {
		return false, err
	}
	return hidden, ierr
}

// Reveal shows hidden chats in this session once pin matches. Wrong PINs
// are throttled: after 5 in a row, every session of the user waits 5
// minutes.
func (c *Core) Reveal(ctx context.Context, pin string) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	if err := c.checkPIN(ctx, k, pin); err != nil {
		return err
	}
	c.mu.Lock()
	c.revealed = true
	c.mu.Unlock()
	return nil
}

// Conceal hides hidden chats again in this session.
func (c *Core) Conceal() {
	c.mu.Lock()
	c.revealed = false
	c.mu.Unlock()
	c.decodedMsgs.clear() // what hidden chats showed leaves memory too
	c.decodedConvs.clear()
}

// Revealed reports whether this session shows hidden chats.
func (c *Core) Revealed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.revealed
}

// Hide hides a conversation: it needs a PIN set. Hiding a hidden
// conversation changes nothing.
func (c *Core) Hide(ctx context.Context, ref ConvRef) error {
	return c.setHidden(ctx, ref, true)
}

// Unhide shows a hidden conversation again; the hidden chats must be
// revealed first (ErrConcealed).
func (c *Core) Unhide(ctx context.Context, ref ConvRef) error {
	return c.setHidden(ctx, ref, false)
}

func (c *Core) setHidden(ctx context.Context, ref ConvRef, hide bool) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	revealed := c.Revealed()
	if !hide && !revealed {
		// Asked before looking, so the answer does not tell an onlooker
		// whether such a hidden chat exists.
		return ErrConcealed
	}
	var refused error
	err = c.store.Update(ctx, func(tx Tx) error {
		refused = nil
		conv, found, err := c.findConv(tx, k, ref)
		if err != nil {
			return err
		}
		switch {
		case !found || conv.Hidden && !revealed:
			// A concealed hidden chat does not exist for this session.
			refused = fmt.Errorf("%w: %s", ErrNoConversation, ref)
			return nil
		case conv.Hidden == hide:
			return nil
		}
		if hide {
			b, err := tx.Space(spaceLocal).Get(localKey(k, "pin"))
			if err != nil {
				return err
			}
			if b == nil {
				refused = ErrNoPIN
				return nil
			}
		}
		conv.Hidden = hide
		return c.putConv(tx, k, &conv)
	})
	if err != nil {
		return fmt.Errorf("hide conversation: %w", err)
	}
	return refused
}
