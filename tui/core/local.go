package core

import (
	"errors"

	"github.com/parley-chat/parley/crypto"
)

// Local features keep records that only the user's own sessions read: the
// PIN that guards hidden chats, the user's preferences, the drafts and the
// contact list with its trust levels. They live in the device store next to the history,
// sealed with the same StoreKey, under opaque tags:
//
//	space    key                        value
//	local    Tag("local", "pin")        sealed pinRecord: Argon2id hash, salt, throttle state
//	local    Tag("local", "prefs")      sealed Prefs
//	local    Tag("local", "drafts")     sealed drafts, one per conversation (drafts.go)
//	contact  Tag("contact", ID)         sealed contactRecord
//
// The store sees that the records exist and their sizes, not what they hold.
const (
	spaceLocal   = "local"
	spaceContact = "contact"
)

// Errors of the local features, for the user.
var (
	// ErrNoPIN: hidden chats need a PIN, and none is set.
	ErrNoPIN = errors.New("no PIN is set: set a PIN first")
	// ErrBadPIN: a new PIN does not have the required form.
	ErrBadPIN = errors.New("a PIN is 4 to 12 digits")
	// ErrWrongPIN: the PIN does not match (wrapped with the tries left).
	ErrWrongPIN = errors.New("wrong PIN")
	// ErrPINThrottled: too many wrong PINs; wrapped with the time to wait.
	ErrPINThrottled = errors.New("too many wrong PINs")
	// ErrConcealed: the hidden chats must be revealed (with the PIN) first.
	ErrConcealed = errors.New("hidden chats are concealed: reveal them with your PIN first")
	// ErrHiddenChats: the PIN cannot be removed while chats are hidden.
	ErrHiddenChats = errors.New("chats are still hidden: unhide them before removing the PIN")
	// ErrNoConversation: there is no such conversation.
	ErrNoConversation = errors.New("no such conversation")
	// ErrEmptyQuery: a search needs something to look for.
	ErrEmptyQuery = errors.New("search for what? the query is empty")
	// ErrNotContact: the ID is not in the contact list.
	ErrNotContact = errors.New("not in your contacts")
	// ErrFingerprintMismatch: the fingerprint given is not the contact's.
	// Whoever gave it is not holding the key the directory knows for them.
	ErrFingerprintMismatch = errors.New("fingerprint mismatch: this is NOT the key the server gave for this contact")
	// ErrBadFingerprint: the fingerprint given is not 32 hex digits.
	ErrBadFingerprint = errors.New("a fingerprint is 32 hex digits, in groups of four")
)

// localKey is the store key of the named local record.
func localKey(k *crypto.StoreKey, name string) []byte {
	t := k.Tag([]byte("local"), []byte(name))
	return t[:]
}

// contactKey is the store key of a contact record.
func contactKey(k *crypto.StoreKey, id crypto.ID) []byte {
	t := k.Tag([]byte("contact"), id[:])
	return t[:]
}

// getRecord reads and opens a sealed record into v; found is false when
// there is none.
func getRecord(tx Tx, k *crypto.StoreKey, space string, key []byte, v any) (found bool, err error) {
	b, err := tx.Space(space).Get(key)
	if err != nil || b == nil {
		return false, err
	}
	if err := open(k, space, key, b, v); err != nil {
		return false, err
	}
	return true, nil
}

// putRecord seals v and writes it.
func (c *Core) putRecord(tx Tx, k *crypto.StoreKey, space string, key []byte, v any) error {
	b, err := c.seal(k, space, key, v)
	if err != nil {
		return err
	}
	return tx.Space(space).Put(key, b)
}
