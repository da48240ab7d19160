package policy

import (
	"sync"

	"github.com/parley-chat/parley/crypto"
)

// Bus tells subscribers that policy values changed, so that open sessions
// apply them without reconnecting. It is safe for concurrent use. The zero
// Bus is not usable: make one with NewBus.
//
// Publish calls every subscriber in the publishing goroutine, after the
// change committed; a subscriber must return quickly and never block (hand
// the news to its own goroutine, e.g. with a non-blocking send on a
// buffered channel). fn may subscribe or cancel; a subscription made
// during a Publish sees the next one.
type Bus struct {
	mu   sync.Mutex // guards next and subs
	next uint64
	subs map[uint64]func(tenantID string, user crypto.ID)
}

// NewBus returns a bus without subscribers.
func NewBus() *Bus {
	return &Bus{subs: map[uint64]func(string, crypto.ID){}}
}

// Subscribe calls fn for every later Publish until cancel is called.
// cancel may be called more than once. On a nil Bus it does nothing.
func (b *Bus) Subscribe(fn func(tenantID string, user crypto.ID)) (cancel func()) {
	if b == nil {
		return func() {}
	}
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = fn
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}

// Publish says that values of the tenant changed: for one user, or, with
// the zero user, for every user of the tenant. A nil Bus publishes nothing.
func (b *Bus) Publish(tenantID string, user crypto.ID) {
	if b == nil {
		return
	}
	b.mu.Lock()
	fns := make([]func(string, crypto.ID), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(tenantID, user)
	}
}

// Affects reports whether a Publish(tenantID, user) concerns the given
// user of the given tenant: a change for that user, or for the whole
// tenant.
func Affects(tenantID string, user crypto.ID, ofTenant string, of crypto.ID) bool {
	return tenantID == ofTenant && (user.IsZero() || user == of)
}
