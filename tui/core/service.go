package core

import (
	"context"
	"errors"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Relay is what the core needs from the relay and the directory.
type Relay interface {
	// Send submits an envelope and returns once it is stored.
	Send(ctx context.Context, envelope []byte) (Sent, error)
	// Fetch lists waiting envelopes with sequence numbers after after.
	Fetch(ctx context.Context, after uint64, limit int) ([]Delivery, error)
	// Ack removes processed envelopes; it reports which this call removed.
	Ack(ctx context.Context, seqs []uint64) ([]bool, error)
	// Subscribe announces new envelopes and device-store changes; notify is
	// called (and must not block) when the subscription has something to drain.
	Subscribe(ctx context.Context, notify func()) (Subscription, error)
	// Contact looks up another user the caller may reach.
	Contact(ctx context.Context, id crypto.ID) (Contact, error)
}

// TxAcker is a relay that keeps its mailbox in the device store's own
// database (the server's hosted core): it acknowledges deliveries inside
// the transaction that stores them, so that they are stored and
// acknowledged in one commit, and neither without the other.
type TxAcker interface {
	// AckInTx acknowledges seqs for this device inside tx.
	AckInTx(ctx context.Context, tx Tx, seqs []uint64) error
}

// Keys gives access to the user's identity and sealed secret key.
type Keys interface {
	// OpenSecretKey opens the secret key with the passphrase. Errors are
	// meant for the user (wrong passphrase, throttled).
	OpenSecretKey(ctx context.Context, passphrase []byte) (*crypto.SecretKey, error)
}

// Store is the user's device store.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a transaction; fn may run more than once.
	Update(ctx context.Context, fn func(Tx) error) error
}

// Tx is a device-store transaction.
type Tx interface {
	Space(name string) Space
}

// Space is one key space of the device store.
type Space interface {
	Get(key []byte) ([]byte, error)
	Put(key, value []byte) error
	Delete(key []byte) error
	Scan(prefix, start []byte, reverse bool, fn func(k, v []byte) bool) error
}

// Subscription is a live feed of events.
type Subscription interface {
	// Drain returns what arrived since the last call; ErrBehind when the
	// feed was dropped because this session fell behind.
	Drain() ([]Event, error)
	Close()
}

// ErrBehind reports a dropped subscription; the core subscribes again and
// catches up from the mailbox.
var ErrBehind = errors.New("fell behind the live feed")

// EventKind says what an Event announces.
type EventKind uint8

// Event kinds.
const (
	EventMail        EventKind = iota + 1 // an envelope arrived
	EventDeviceStore                      // another session changed the device store
	EventGroups                           // the user's groups changed: read them again
)

// Event is one item of a subscription.
type Event struct {
	Kind     EventKind
	Delivery Delivery
	Origin   string // session that wrote, for EventDeviceStore
}

// Sent reports where the relay stored an envelope.
type Sent struct {
	Seq      uint64
	Received time.Time
}

// Delivery is a waiting envelope.
type Delivery struct {
	Seq      uint64 // 0: ephemeral, nothing to acknowledge
	Received time.Time
	Envelope []byte
}

// Contact is another user as the directory shows them.
type Contact struct {
	ID        crypto.ID
	Name      string
	PublicKey crypto.PublicKey
	// Internal says the user belongs to the same organisation: the same
	// tenant, or a tenant of its directory group.
	Internal bool
	// Nickname is the name the user chose for themselves.
	Nickname string
	// NameSet says an admin set the user's name; otherwise the UI shows
	// the nickname with a "~".
	NameSet bool
	// ServerKey is set when the server now answers another key than the
	// one this device pinned at first contact (PublicKey stays the pinned
	// one); see keypins.go.
	ServerKey crypto.PublicKey
	// Presence is the user's presence now, as far as the server shows it
	// (presence.go).
	Presence Presence
}

// Identity is the user the core acts for.
type Identity struct {
	ID        crypto.ID
	Name      string
	PublicKey crypto.PublicKey
}
