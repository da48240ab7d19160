package core

import (
	"context"
	"testing"
)

func TestLastMessages(t *testing.T) {
	n, a, _, ann, bob, cat := lChats(t)
	ctx := context.Background()
	b := n.core(bob, newLStore(), nil)
	lSync(t, b)
	if _, err := b.Send(ctx, Direct(ann.ct.ID), "line one\nline two"); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	refs := []ConvRef{Direct(bob.ct.ID), Direct(cat.ct.ID), Direct(ann.ct.ID)}
	got, err := a.LastMessages(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("LastMessages = %+v, want Bob's and Cat's (Ann's own chat has no messages)", got)
	}
	if l := got[Direct(bob.ct.ID)]; l.Outgoing || l.From != bob.ct.ID || l.Preview != "line one line two" || l.Time.IsZero() {
		t.Errorf("Bob's last message = %+v, want his incoming two lines on one line", l)
	}
	if l := got[Direct(cat.ct.ID)]; !l.Outgoing || l.Preview != "hello Cat" {
		t.Errorf("Cat's last message = %+v, want Ann's outgoing hello", l)
	}

	// A hidden chat has no preview, revealed or not.
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	if err := a.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	got, err = a.LastMessages(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := got[Direct(bob.ct.ID)]; ok {
		t.Errorf("a hidden chat has a preview: %+v", l)
	}
}
