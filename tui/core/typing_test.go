package core

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// mailFor counts what waits in id's mailbox of the fake net.
func (n *lNet) mailFor(id crypto.ID) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.mail[id])
}

func TestTypingShownThenExpires(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()
	toBob := Direct(bob.ct.ID)
	lSync(t, b) // the first Sync catches up, and reloads

	if err := a.Typing(ctx, toBob, true); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(bob.ct.ID); got != 1 {
		t.Fatalf("after the first keystroke: %d envelopes, want 1", got)
	}
	// At most one every 3 s.
	for range 5 {
		if err := a.Typing(ctx, toBob, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.mailFor(bob.ct.ID); got != 1 {
		t.Fatalf("after more keystrokes: %d envelopes, want 1", got)
	}
	ch := lSync(t, b)
	if _, ok := ch.Typing[ann.ct.ID]; !ok {
		t.Fatalf("Changes.Typing = %v, want Ann", ch.Typing)
	}
	if ch.Reload {
		t.Error("a typing indicator asked for a reload")
	}
	if _, ok := b.TypingNow()[ann.ct.ID]; !ok {
		t.Fatal("Bob does not see Ann typing")
	}
	conv, err := b.Conversations(ctx)
	if err != nil || len(conv) != 0 {
		t.Fatalf("a typing indicator made a conversation: %v, %v", conv, err)
	}
	// It goes away by itself after 6 s.
	n.advance(typingShownFor)
	if got := b.TypingNow(); len(got) != 0 {
		t.Fatalf("after 6 s Bob still sees %v typing", got)
	}

	// Typing again after 3 s sends again; "stopped" ends it at once.
	n.advance(typingEvery)
	if err := a.Typing(ctx, toBob, true); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if len(b.TypingNow()) != 1 {
		t.Fatal("second typing not seen")
	}
	if err := a.Typing(ctx, toBob, false); err != nil {
		t.Fatal(err)
	}
	ch = lSync(t, b)
	if ch.Typing == nil || len(ch.Typing) != 0 || len(b.TypingNow()) != 0 {
		t.Fatalf("after stopped: Changes.Typing %v, TypingNow %v", ch.Typing, b.TypingNow())
	}
	// A second "stopped" sends nothing.
	before := n.mailFor(bob.ct.ID)
	if err := a.Typing(ctx, toBob, false); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(bob.ct.ID); got != before {
		t.Errorf("a second stopped sent %d envelopes", got-before)
	}

	// A message ends its sender's typing.
	n.advance(typingEvery)
	if err := a.Typing(ctx, toBob, true); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if _, err := a.Send(ctx, toBob, "hello"); err != nil {
		t.Fatal(err)
	}
	if ch := lSync(t, b); len(b.TypingNow()) != 0 || ch.Typing == nil {
		t.Errorf("after a message Bob sees %v typing (Changes.Typing %v)", b.TypingNow(), ch.Typing)
	}
}

func TestTypingNotSentWhenOff(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()

	// Bob turned typing indicators off: he neither sends nor sees them.
	p := DefaultPrefs()
	p.TypingIndicators = false
	if err := b.SetPrefs(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := b.Typing(ctx, Direct(ann.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(ann.ct.ID); got != 0 {
		t.Errorf("Bob's preference off: %d envelopes sent", got)
	}
	if err := b.Typing(ctx, Direct(ann.ct.ID), false); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(ann.ct.ID); got != 0 {
		t.Errorf("a stopped after nothing was sent: %d envelopes", got)
	}
	if err := a.Typing(ctx, Direct(bob.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	if ch := lSync(t, b); len(ch.Typing) != 0 || len(b.TypingNow()) != 0 {
		t.Errorf("Bob's preference off: he sees %v typing", b.TypingNow())
	}

	// The policy forbids it: nothing goes.
	cat := n.user("CAT00003", "Cat", nil)
	c := n.core(cat, newLStore(), lAccount{r: Restrictions{Forbidden: map[string]string{FeatureTyping: "off"}}})
	if err := c.Typing(ctx, Direct(ann.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(ann.ct.ID); got != 0 {
		t.Errorf("policy off: %d envelopes sent", got)
	}

	// Nothing for a group.
	if err := a.Typing(ctx, GroupConv("0011223344556677"), true); err != nil {
		t.Fatal(err)
	}
}

func TestTypingNeverForHiddenChats(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()
	if _, err := a.Send(ctx, Direct(bob.ct.ID), "hi"); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if err := b.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := b.Hide(ctx, Direct(ann.ct.ID)); err != nil {
		t.Fatal(err)
	}
	before := n.mailFor(ann.ct.ID)
	if err := b.Typing(ctx, Direct(ann.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	if got := n.mailFor(ann.ct.ID); got != before {
		t.Errorf("typing in a hidden chat sent %d envelopes", got-before)
	}
	if err := a.Typing(ctx, Direct(bob.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if got := b.TypingNow(); len(got) != 0 {
		t.Errorf("typing shown for a hidden chat: %v", got)
	}
	// Not even once revealed.
	if err := b.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	n.advance(typingEvery + time.Second)
	if err := a.Typing(ctx, Direct(bob.ct.ID), true); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if got := b.TypingNow(); len(got) != 0 {
		t.Errorf("typing shown for a revealed hidden chat: %v", got)
	}
}
