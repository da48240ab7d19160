package core

import (
	"context"
	"slices"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// TestMessagesCacheFollowsChanges: reading a conversation again returns
// what the store holds now — an edit, a state change, a reaction and a new
// message show — and changing a returned message changes nothing the next
// read returns.
func TestMessagesCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ref := Direct(bob.ct.ID)
	m1, err := a.Send(ctx, ref, "first")
	if err != nil {
		t.Fatal(err)
	}
	read := func() []Message {
		t.Helper()
		p, err := a.Messages(ctx, ref, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		return p.Messages
	}
	got := read()
	if len(got) != 1 || got[0].Text != "first" || got[0].State != StateSent {
		t.Fatalf("first read: %+v", got)
	}
	got[0].Text = "changed by the caller"
	got[0].Agree = append(got[0].Agree, ann.ct.ID)
	if again := read(); again[0].Text != "first" || len(again[0].Agree) != 0 {
		t.Fatalf("a caller's change reached the cache: %+v", again[0])
	}
	if err := a.Edit(ctx, ref, m1.ID, "first, edited"); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if err := b.React(ctx, Direct(ann.ct.ID), m1.ID, true); err != nil {
		t.Fatal(err)
	}
	lSync(t, a) // the delivery receipt and the reaction
	if _, err := a.Send(ctx, ref, "second"); err != nil {
		t.Fatal(err)
	}
	got = read()
	if len(got) != 2 || got[0].Text != "first, edited" || got[0].State != StateDelivered ||
		!slices.Equal(got[0].Agree, []crypto.ID{bob.ct.ID}) || got[1].Text != "second" {
		t.Fatalf("after an edit, a receipt, a reaction and a new message: %+v", got)
	}
}
