package relay

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// EventKind says what an Event announces.
type EventKind uint8

// Event kinds.
const (
	// EventMail announces an envelope in the user's mailbox (or, for an
	// ephemeral envelope, one that was not stored: Seq is 0).
	EventMail EventKind = iota + 1
	// EventDeviceStore announces that the user's device store changed.
	EventDeviceStore
	// EventGroups announces that a group the user is (or was) a member of
	// changed: members, name or admins. The core asks the server again.
	EventGroups
)

// Event is what the bus delivers to a user's sessions.
type Event struct {
	Kind     EventKind
	Seq      uint64
	Received time.Time
	Envelope []byte // shared between subscribers: read only
	Origin   string // for EventDeviceStore: the session that wrote
}

// Bus delivers events to the live sessions of a user. A distributed
// deployment replaces the Hub with a bus over its messaging system.
type Bus interface {
	Publish(user crypto.ID, ev Event)
	Subscribe(user crypto.ID, notify func()) (Feed, error)
}

// Feed is one live session's subscription.
type Feed interface {
	// Drain returns the queued events in order; ErrBehind once the feed was
	// dropped for falling behind.
	Drain() ([]Event, error)
	Close()
}

// DefaultQueueLen is how many undrained events a subscription holds before
// it is dropped as behind.
const DefaultQueueLen = 256

// MaxSubscriptionsPerUser bounds live sessions of one user.
const MaxSubscriptionsPerUser = 64

const hubShards = 64

// Hub is the in-process Bus.
type Hub struct {
	seed     maphash.Seed
	queueLen int
	shards   [hubShards]hubShard
}

type hubShard struct {
	mu   sync.Mutex
	subs map[crypto.ID][]*Subscription
}

var _ Bus = (*Hub)(nil)

// NewHub returns a hub whose subscriptions hold queueLen events (≤ 0: DefaultQueueLen).
func NewHub(queueLen int) *Hub {
	if queueLen <= 0 {
		queueLen = DefaultQueueLen
	}
	h := &Hub{seed: maphash.MakeSeed(), queueLen: queueLen}
	for i := range h.shards {
		h.shards[i].subs = make(map[crypto.ID][]*Subscription)
	}
	return h
}

func (h *Hub) shard(user crypto.ID) *hubShard {
	return &h.shards[maphash.Bytes(h.seed, user[:])%hubShards]
}

// Subscribe registers a live session of user. notify is called, from the
// publisher's goroutine, when the subscription goes from empty to non-empty
// or is dropped; it must not block.
func (h *Hub) Subscribe(user crypto.ID, notify func()) (Feed, error) {
	s := &Subscription{hub: h, user: user, notify: notify, max: h.queueLen}
	sh := h.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.subs[user]) >= MaxSubscriptionsPerUser {
		return nil, ErrSubscriptions
	}
	sh.subs[user] = append(sh.subs[user], s)
	return s, nil
}

// Publish hands ev to every live session of user without blocking.
func (h *Hub) Publish(user crypto.ID, ev Event) {
	sh := h.shard(user)
	sh.mu.Lock()
	subs := sh.subs[user]
	var local [8]*Subscription
	targets := append(local[:0], subs...)
	sh.mu.Unlock()
	for _, s := range targets {
		s.push(ev)
	}
}

// Sessions reports how many live subscriptions the hub holds.
func (h *Hub) Sessions() int {
	n := 0
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		for _, subs := range sh.subs {
			n += len(subs)
		}
		sh.mu.Unlock()
	}
	return n
}

func (h *Hub) remove(s *Subscription) {
	sh := h.shard(s.user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	subs := sh.subs[s.user]
	for i, x := range subs {
		if x == s {
			subs = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) == 0 {
		delete(sh.subs, s.user)
	} else {
		sh.subs[s.user] = subs
	}
}

var _ Feed = (*Subscription)(nil)

// Subscription is the Hub's Feed: one live session's bounded queue of events.
type Subscription struct {
	hub    *Hub
	user   crypto.ID
	notify func()
	max    int

	mu      sync.Mutex
	queue   []Event
	behind  bool // overflowed: dropped from the hub
	stopped bool // closed by its owner
}

func (s *Subscription) push(ev Event) {
	s.mu.Lock()
	if s.stopped || s.behind {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= s.max {
		s.behind = true
		s.queue = nil
		s.mu.Unlock()
		s.hub.remove(s)
		s.notify()
		return
	}
	wake := len(s.queue) == 0
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	if wake {
		s.notify()
	}
}

// Drain returns the queued events in order and empties the queue. After the
// subscription fell behind it returns ErrBehind (once and ever after): the
// owner must subscribe again and catch up from the mailbox.
func (s *Subscription) Drain() ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind {
		return nil, ErrBehind
	}
	q := s.queue
	s.queue = nil
	return q, nil
}

// Close removes the subscription from the hub.
func (s *Subscription) Close() {
	s.mu.Lock()
	already := s.stopped || s.behind
	s.stopped = true
	s.queue = nil
	s.mu.Unlock()
	if !already {
		s.hub.remove(s)
	}
}
