package core

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Typing indicators: while the user types in a 1:1 conversation the chat
// calls Typing(peer, true) on every change of the composer and
// Typing(peer, false) when it empties or the message is sent. The core
// sends at most one "typing" every typingEvery, and a "stopped" only
// after a "typing": an envelope of crypto.TypeTyping, ephemeral and
// silent, which the relay hands to live sessions only and never stores.
// An incoming "typing" is kept in memory for typingShownFor (never in the
// device store) and reported in Changes.Typing.
//
// Nothing is sent or kept for a hidden chat (revealed or not), when the
// user turned typing indicators off (Prefs.TypingIndicators: they neither
// send nor see them) or when the organisation's policy does
// (FeatureTyping). The relay drops them too (server/relay/typing.go).
// There is no group form.

const (
	// typingEvery bounds how often a "typing" goes to one peer.
	typingEvery = 3 * time.Second
	// typingShownFor is how long a "typing" received stays true.
	typingShownFor = 6 * time.Second
	// typingPolicyTTL bounds how long the policy's answer is reused.
	typingPolicyTTL = 30 * time.Second
)

// typingState is the typing indicators' memory.
type typingState struct {
	mu sync.Mutex // guards the fields below
	// sent is when a "typing" was last asked for each peer; a peer is in
	// it until the "stopped" went.
	sent map[crypto.ID]typingSent
	// seen is until when each peer types.
	seen map[crypto.ID]time.Time
	// allowed is the policy's answer (FeatureTyping), read at policyRead.
	allowed    bool
	policyRead time.Time
}

// typingSent is the last "typing" asked for one peer.
type typingSent struct {
	at   time.Time
	told bool // it went out: a "stopped" must follow
}

// Typing tells the peer of a 1:1 conversation that the user types (on) or
// stopped. It sends at most one "typing" every 3 s; a "stopped" only when
// a "typing" went before. It sends nothing for groups, hidden chats, or
// when the user's preference or the policy turned typing indicators off.
func (c *Core) Typing(ctx context.Context, ref ConvRef, on bool) error {
	if ref.Kind != ConvDirect || ref.Peer == c.me.ID {
		return nil
	}
	peer, now := ref.Peer, c.now()
	t := &c.typing
	t.mu.Lock()
	last, was := t.sent[peer]
	switch {
	case on && was && now.Sub(last.at) < typingEvery && !now.Before(last.at):
		t.mu.Unlock()
		return nil
	case !on && (!was || !last.told):
		delete(t.sent, peer)
		t.mu.Unlock()
		return nil
	}
	if on {
		if t.sent == nil {
			t.sent = map[crypto.ID]typingSent{}
		}
		t.sent[peer] = typingSent{at: now}
	} else {
		delete(t.sent, peer)
	}
	t.mu.Unlock()
	if on && !c.typingAllowed(ctx, ref) {
		// The mark stays: asked again within typingEvery, the answer is
		// the same; nothing went, so no "stopped" goes either.
		return nil
	}
	if err := c.sendTyping(ctx, peer, on); err != nil {
		return err
	}
	if on {
		t.mu.Lock()
		if s, ok := t.sent[peer]; ok && s.at.Equal(now) {
			s.told = true
			t.sent[peer] = s
		}
		t.mu.Unlock()
	}
	return nil
}

// sendTyping seals and sends one typing indicator.
func (c *Core) sendTyping(ctx context.Context, peer crypto.ID, on bool) error {
	ct, err := c.Contact(ctx, peer)
	if err != nil {
		return err
	}
	shared, err := c.sharedKey(ct)
	if err != nil {
		return err
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return err
	}
	env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagEphemeral | crypto.FlagSilent, Sender: c.me.ID,
		Recipient: peer, MessageID: mid, Time: c.now()}, shared, crypto.TypeTyping, crypto.MarshalTyping(on))
	if err != nil {
		return err
	}
	if _, err := c.relay.Send(ctx, env.Marshal()); err != nil {
		return fmt.Errorf("send typing indicator: %w", err)
	}
	return nil
}

// typingAllowed reports whether typing indicators may flow in the
// conversation ref: the user's preference, the policy, and not a hidden
// chat. When something cannot be read it answers no.
func (c *Core) typingAllowed(ctx context.Context, ref ConvRef) bool {
	p, err := c.Prefs(ctx)
	if err != nil || !p.TypingIndicators || !c.typingPolicy(ctx) {
		return false
	}
	k, err := c.storeKey()
	if err != nil {
		return false
	}
	hidden := true
	err = c.store.View(ctx, func(tx Tx) error {
		conv, _, err := c.findConv(tx, k, ref)
		hidden = conv.Hidden
		return err
	})
	return err == nil && !hidden
}

// typingPolicy is the organisation's answer, read at most every 30 s and
// again after the server announced a change of the user's settings.
func (c *Core) typingPolicy(ctx context.Context) bool {
	t := &c.typing
	now := c.now()
	t.mu.Lock()
	if !t.policyRead.IsZero() && now.Sub(t.policyRead) < typingPolicyTTL && !now.Before(t.policyRead) {
		ok := t.allowed
		t.mu.Unlock()
		return ok
	}
	t.mu.Unlock()
	r, err := c.Settings(ctx)
	if err != nil {
		c.log.Warn("read typing policy", "err", err)
		return false
	}
	ok := r.Reason(FeatureTyping) == ""
	t.mu.Lock()
	t.allowed, t.policyRead = ok, now
	t.mu.Unlock()
	return ok
}

// typingPolicyStale makes the next typingPolicy ask the server.
func (c *Core) typingPolicyStale() {
	c.typing.mu.Lock()
	c.typing.policyRead = time.Time{}
	c.typing.mu.Unlock()
}

// typedOrSent takes in a typing indicator from o's sender, and ends the
// sender's typing when o is a message of a 1:1 chat; it reports whether
// who types changed. A typing indicator in a group or from the user's
// own devices is dropped.
func (c *Core) typedOrSent(ctx context.Context, o opened) bool {
	if o.group != nil || o.reflected != nil {
		return false
	}
	switch o.typ {
	case crypto.TypeTyping:
		return c.noteTyping(ctx, o)
	case crypto.TypeText, crypto.TypeLocation, crypto.TypeFile:
		return c.setSeen(o.from.ID, false)
	}
	return false
}

// noteTyping takes in a typing indicator from o's sender; it reports
// whether who types changed.
func (c *Core) noteTyping(ctx context.Context, o opened) bool {
	on, err := crypto.ParseTyping(o.body)
	if err != nil {
		c.log.Warn("dropped typing indicator", "err", err)
		return false
	}
	peer := o.from.ID
	if on && !c.typingAllowed(ctx, Direct(peer)) {
		return false
	}
	return c.setSeen(peer, on)
}

// setSeen records that peer types (until typingShownFor from now) or
// stopped; it reports whether that changed what TypingNow shows.
func (c *Core) setSeen(peer crypto.ID, on bool) bool {
	t := &c.typing
	now := c.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	until, was := t.seen[peer]
	was = was && until.After(now)
	if !on {
		delete(t.seen, peer)
		return was
	}
	if t.seen == nil {
		t.seen = map[crypto.ID]time.Time{}
	}
	t.seen[peer] = now.Add(typingShownFor)
	return !was
}

// TypingNow returns the peers who type now in a 1:1 chat with the user,
// each with the time (by the core's clock) until which it holds.
func (c *Core) TypingNow() map[crypto.ID]time.Time {
	t := &c.typing
	now := c.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	maps.DeleteFunc(t.seen, func(_ crypto.ID, until time.Time) bool { return !until.After(now) })
	return maps.Clone(t.seen)
}

// typingSnapshot is TypingNow, never nil: what Changes.Typing reports.
func (c *Core) typingSnapshot() map[crypto.ID]time.Time {
	if s := c.TypingNow(); s != nil {
		return s
	}
	return map[crypto.ID]time.Time{}
}
