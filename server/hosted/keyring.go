package hosted

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// ErrLocked is a command that needs the user's key outside the unlock
// window. The fronts add how to unlock.
var ErrLocked = errors.New("locked: your key is not unlocked on the server")

// ErrWindowOff is `unlock` when the tenant turned the unlock window off
// (parley_unlock_window 0).
var ErrWindowOff = errors.New("the unlock window is off in your organisation (parley_unlock_window is 0): " +
	"scp and files work only while a chat session of yours is open")

// Keyring keeps users' opened secret keys in the server's memory, so that
// commands without a session of their own (scp, sftp, files) can act for
// the user, like sudo's timestamp. A key is there while a chat session of
// the user that unlocked it is open, and for the unlock window after the
// last one closed or after `ssh HOST unlock`. When the window ends, the key
// is wiped. Nothing of it is ever written anywhere.
//
// The keyring holds copies: callers keep ownership of, and wipe, the keys
// they pass in and get out.
type Keyring struct {
	mu     sync.Mutex // guards the fields below
	keys   map[crypto.ID]*heldKey
	closed bool
}

// heldKey is one user's key and what keeps it.
type heldKey struct {
	sk crypto.SecretKey
	// sessions are the open chat sessions that unlocked the key.
	sessions map[string]struct{}
	// since is when the window began (an unlock, or the last session's
	// end); until is when it ends. Both zero: no window, only sessions.
	since, until time.Time
	timer        *time.Timer
}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring { return &Keyring{keys: make(map[crypto.ID]*heldKey)} }

// entry returns the user's entry, made from sk when there is none; nil
// once the keyring is closed. k.mu is held.
func (k *Keyring) entry(id crypto.ID, sk *crypto.SecretKey) *heldKey {
	if k.closed {
		return nil
	}
	e := k.keys[id]
	if e == nil {
		e = &heldKey{sk: *sk, sessions: make(map[string]struct{})}
		k.keys[id] = e
	}
	return e
}

// Unlock keeps a copy of sk for window from now (`ssh HOST unlock`); a
// later window replaces an earlier one. window must be positive.
func (k *Keyring) Unlock(id crypto.ID, sk *crypto.SecretKey, window time.Duration) (until time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.entry(id, sk)
	if e == nil || window <= 0 {
		return time.Time{}
	}
	now := time.Now()
	k.setWindow(id, e, now, now.Add(window))
	return e.until
}

// Hold keeps a copy of sk while the chat session is open.
func (k *Keyring) Hold(id crypto.ID, session string, sk *crypto.SecretKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e := k.entry(id, sk); e != nil {
		e.sessions[session] = struct{}{}
	}
}

// Release ends a session's hold. When it was the last, the key stays for
// window from now (0: it is wiped now), unless an earlier unlock keeps it
// longer.
func (k *Keyring) Release(id crypto.ID, session string, window time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.keys[id]
	if e == nil {
		return
	}
	if _, ok := e.sessions[session]; !ok {
		return
	}
	delete(e.sessions, session)
	if len(e.sessions) > 0 {
		return
	}
	now := time.Now()
	if window > 0 && now.Add(window).After(e.until) {
		k.setWindow(id, e, now, now.Add(window))
	}
	if !now.Before(e.until) {
		k.drop(id, e)
	}
}

// setWindow sets the entry's window and the timer that wipes the key when
// it ends. k.mu is held.
func (k *Keyring) setWindow(id crypto.ID, e *heldKey, since, until time.Time) {
	e.since, e.until = since, until
	if e.timer != nil {
		e.timer.Stop()
	}
	e.timer = time.AfterFunc(until.Sub(since), func() { k.expire(id, e) })
}

// expire wipes the key when its window is over and no session holds it.
func (k *Keyring) expire(id crypto.ID, e *heldKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys[id] != e || len(e.sessions) > 0 || time.Now().Before(e.until) {
		return
	}
	k.drop(id, e)
}

// drop wipes and forgets an entry. k.mu is held.
func (k *Keyring) drop(id crypto.ID, e *heldKey) {
	if e.timer != nil {
		e.timer.Stop()
	}
	e.sk.Wipe()
	delete(k.keys, id)
}

// Key returns a copy of the user's key, which the caller wipes, and until
// when the window is open (zero while only sessions hold it). window is
// the user's parley_unlock_window now: a window an admin shortened or
// turned off since the unlock ends early.
func (k *Keyring) Key(id crypto.ID, window time.Duration) (*crypto.SecretKey, time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.keys[id]
	if e == nil {
		return nil, time.Time{}, false
	}
	until := e.until
	if limit := e.since.Add(window); limit.Before(until) {
		until = limit
	}
	if len(e.sessions) == 0 && !time.Now().Before(until) {
		k.drop(id, e)
		return nil, time.Time{}, false
	}
	sk := e.sk
	if len(e.sessions) > 0 && !time.Now().Before(until) {
		until = time.Time{}
	}
	return &sk, until, true
}

// Lock ends the user's window now and reports how many open chat sessions
// still hold the key (it is wiped when none does).
func (k *Keyring) Lock(id crypto.ID) (sessions int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.keys[id]
	if e == nil {
		return 0
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.since, e.until = time.Time{}, time.Time{}
	if len(e.sessions) == 0 {
		k.drop(id, e)
	}
	return len(e.sessions)
}

// Close wipes every key; the keyring keeps nothing afterwards.
func (k *Keyring) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
	for id, e := range k.keys {
		k.drop(id, e)
	}
}

// UnlockWindow returns the parley_unlock_window in effect for the user.
func UnlockWindow(ctx context.Context, db store.DB, p *auth.Principal) (time.Duration, error) {
	var w time.Duration
	err := db.View(ctx, func(tx store.Tx) error {
		v, err := policy.EffectiveTx(tx, p.User.TenantID, p.User.ID)
		if err != nil {
			return err
		}
		w = v.Duration(policy.UnlockWindow)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read your unlock window: %w", err)
	}
	return w, nil
}

// EndSession releases the chat session's hold on the user's key: the
// unlock window starts now. Call it when a chat session ends.
func EndSession(ctx context.Context, d Deps, p *auth.Principal) {
	if d.Keyring == nil || !p.CanChat() {
		return
	}
	w, err := UnlockWindow(ctx, d.DB, p)
	if err != nil {
		w = 0 // when in doubt, keep nothing
	}
	d.Keyring.Release(p.User.ID, p.Session, w)
}
