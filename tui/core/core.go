package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Errors of the core, for the user.
var (
	ErrLocked = errors.New("locked: unlock with your passphrase first")
	// ErrWrongPassphrase is what Keys returns (wrapped) for a wrong
	// passphrase, as opposed to a refusal to try (throttling) or a failure.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrSelf            = errors.New("that is your own ID")
	ErrNotReady        = errors.New("not connected yet")
	// ErrOffline is what a Relay returns (wrapped) while it has no
	// connection to the server. A direct message sent meanwhile is kept in
	// the outbox, pending, and sent in order when the connection is back.
	ErrOffline = errors.New("offline: not connected to the server")
)

// Config wires a core.
type Config struct {
	Identity Identity
	Relay    Relay
	Keys     Keys
	Store    Store
	// Account is the user's own settings; nil: no restrictions, and the
	// settings calls fail with ErrNoAccount.
	Account Account
	// Groups is the server's group registry; nil: no groups (group calls
	// fail with ErrNoGroups).
	Groups Groups
	// Directory is the company directory and the user's own data; nil:
	// Find and Whoami fail with ErrNoDirectory.
	Directory Directory
	// Blobs stores encrypted attachments; nil: files fail with ErrNoBlobs.
	Blobs Blobs
	// Session names this session, so it can tell its own device-store
	// changes from other sessions'.
	Session string
	Now     func() time.Time
	Rand    io.Reader
	Logger  *slog.Logger
}

// Core is one user's client core. Its methods are safe for concurrent use.
type Core struct {
	me        Identity
	relay     Relay
	keys      Keys
	store     Store
	account   Account
	groups    Groups
	directory Directory
	blobs     Blobs
	session   string
	now       func() time.Time
	rand      io.Reader
	log       *slog.Logger

	mu       sync.Mutex // guards the fields below
	sk       *crypto.SecretKey
	sk2      *crypto.StoreKey
	shared   map[crypto.ID]*crypto.SharedKey
	contacts map[crypto.ID]cachedContact
	sub      Subscription
	notify   func()
	catchUp  bool // the next Sync fetches the whole mailbox
	closed   bool
	// revealed says hidden chats are shown: the PIN was given (Reveal)
	// and not taken back (Conceal).
	revealed bool
	// settingsDirty says the Account announced a change the next Sync reports.
	settingsDirty bool
	unwatch       func() // stops the Account's notifications
	// outboxChecked says this session has looked for sends an earlier one
	// left unfinished (see resendStale).
	outboxChecked bool

	syncMu sync.Mutex // serialises Sync

	// sendMu makes this device's sends one ordered outbox: one message is
	// stamped, stored and handed to the relay before the next, so what is
	// written in order leaves in order. lastSend is the previous send's
	// time; each send is stamped later (see sendTime).
	sendMu   sync.Mutex
	lastSend time.Time
	// queued says a send met ErrOffline: the outbox holds messages to send
	// as soon as the relay answers again. Guarded by sendMu.
	queued bool

	// decodedMsgs and decodedConvs keep what Messages and Conversations
	// opened (msgcache.go).
	decodedMsgs  decodeCache[Message]
	decodedConvs decodeCache[Conversation]
	// typing is the typing indicators sent and seen (typing.go).
	typing typingState
}

type cachedContact struct {
	c       Contact
	fetched time.Time
}

// contactTTL bounds how long a looked-up name and key are reused.
const contactTTL = 5 * time.Minute

// New returns a locked core.
func New(cfg Config) *Core {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Core{
		me: cfg.Identity, relay: cfg.Relay, keys: cfg.Keys, store: cfg.Store, account: cfg.Account, session: cfg.Session,
		groups: cfg.Groups, directory: cfg.Directory, blobs: cfg.Blobs,
		now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
		shared:       make(map[crypto.ID]*crypto.SharedKey),
		contacts:     make(map[crypto.ID]cachedContact),
		decodedMsgs:  decodeCache[Message]{clone: (*Message).clone},
		decodedConvs: decodeCache[Conversation]{clone: (*Conversation).clone},
	}
}

// Me returns the user's identity.
func (c *Core) Me() Identity { return c.me }

// Unlock opens the secret key with the passphrase.
func (c *Core) Unlock(ctx context.Context, passphrase []byte) error {
	sk, err := c.keys.OpenSecretKey(ctx, passphrase)
	if err != nil {
		return err
	}
	return c.UnlockWithKey(sk)
}

// UnlockWithKey unlocks the core with an already opened secret key (the
// one the server's unlock window keeps). The core owns sk from now on and
// wipes it on Close.
func (c *Core) UnlockWithKey(sk *crypto.SecretKey) error {
	if !sk.Public().Equal(c.me.PublicKey) {
		sk.Wipe()
		return errors.New("the key does not match your public key")
	}
	k, err := crypto.DeriveStoreKey(sk)
	if err != nil {
		sk.Wipe()
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		sk.Wipe()
		k.Wipe()
		return errors.New("session closed")
	}
	if c.sk != nil {
		c.sk.Wipe()
	}
	if c.sk2 != nil {
		c.sk2.Wipe()
	}
	c.sk, c.sk2 = sk, k
	return nil
}

// Unlocked reports whether the secret key is open.
func (c *Core) Unlocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sk != nil
}

// Start subscribes to the live feed and to changes of the user's settings;
// notify is called (without blocking) whenever Sync has something to do.
// The first Sync after Start catches up with everything waiting in the
// mailbox.
func (c *Core) Start(ctx context.Context, notify func()) error {
	if !c.Unlocked() {
		return ErrLocked
	}
	sub, err := c.relay.Subscribe(ctx, notify)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		sub.Close()
		return errors.New("session closed")
	}
	c.sub, c.notify, c.catchUp = sub, notify, true
	watch := c.account != nil && c.unwatch == nil
	c.mu.Unlock()
	if watch {
		unwatch := c.account.WatchSettings(c.settingsChanged)
		c.mu.Lock()
		if c.closed || c.unwatch != nil {
			c.mu.Unlock()
			unwatch()
			return nil
		}
		c.unwatch = unwatch
		c.mu.Unlock()
	}
	return nil
}

// Close ends the subscription and wipes the keys from memory.
func (c *Core) Close() {
	c.decodedMsgs.clear()
	c.decodedConvs.clear()
	c.mu.Lock()
	c.closed = true
	unwatch := c.unwatch
	c.unwatch = nil
	c.mu.Unlock()
	if unwatch != nil {
		unwatch() // outside the lock: a notification in flight takes it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub != nil {
		c.sub.Close()
		c.sub = nil
	}
	if c.sk != nil {
		c.sk.Wipe()
		c.sk = nil
	}
	if c.sk2 != nil {
		c.sk2.Wipe()
		c.sk2 = nil
	}
	for id, k := range c.shared {
		for i := range k {
			k[i] = 0
		}
		delete(c.shared, id)
	}
}

func (c *Core) storeKey() (*crypto.StoreKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sk2 == nil {
		return nil, ErrLocked
	}
	return c.sk2, nil
}

// Contact looks up a user, with a short cache.
func (c *Core) Contact(ctx context.Context, id crypto.ID) (Contact, error) {
	now := c.now()
	c.mu.Lock()
	cc, ok := c.contacts[id]
	c.mu.Unlock()
	if ok && now.Sub(cc.fetched) < contactTTL {
		return cc.c, nil
	}
	ct, err := c.relay.Contact(ctx, id)
	if err != nil {
		return Contact{}, err
	}
	if ct, err = c.applyKeyPin(ctx, ct); err != nil {
		return Contact{}, err
	}
	c.mu.Lock()
	if len(c.contacts) > 4096 {
		clear(c.contacts)
	}
	c.contacts[id] = cachedContact{c: ct, fetched: now}
	c.mu.Unlock()
	return ct, nil
}

// sharedKey returns the box key with a peer, computing it once per session.
func (c *Core) sharedKey(ct Contact) (*crypto.SharedKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sk == nil {
		return nil, ErrLocked
	}
	if k, ok := c.shared[ct.ID]; ok {
		return k, nil
	}
	if ct.PublicKey.IsZero() {
		return nil, fmt.Errorf("%s has no public key yet", ct.ID)
	}
	k := crypto.Precompute(ct.PublicKey, c.sk)
	if len(c.shared) > 4096 {
		clear(c.shared)
	}
	c.shared[ct.ID] = k
	return k, nil
}
