package core

import (
	"bytes"
	"context"
	"testing"
)

func TestDraftsRoundTrip(t *testing.T) {
	n, a, st, ann, bob, cat := lChats(t)
	ctx := context.Background()
	if got, err := a.Drafts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("fresh drafts = %v, %v; want none", got, err)
	}
	if err := a.SetDraft(ctx, Direct(bob.ct.ID), "half a\nthought"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetDraft(ctx, Direct(cat.ct.ID), "for Cat"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetDraft(ctx, Direct(cat.ct.ID), "  "); err != nil {
		t.Fatal(err) // blank removes
	}
	// Another session of the same user finds them.
	a2 := n.core(ann, st, nil)
	got, err := a2.Drafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[Direct(bob.ct.ID)] != "half a\nthought" {
		t.Fatalf("drafts in a second session = %q, want Bob's only", got)
	}
	// Sealed: the text is nowhere in the store in the clear.
	for _, v := range st.raw() {
		if bytes.Contains(v, []byte("half a")) {
			t.Fatal("a draft is stored in the clear")
		}
	}
}

func TestDraftsOfHiddenChatsStayConcealed(t *testing.T) {
	_, a, _, _, bob, cat := lChats(t)
	ctx := context.Background()
	if err := a.SetDraft(ctx, Direct(bob.ct.ID), "for Bob"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	a.Conceal()
	// Saving another chat's draft keeps the hidden one.
	if err := a.SetDraft(ctx, Direct(cat.ct.ID), "for Cat"); err != nil {
		t.Fatal(err)
	}
	got, err := a.Drafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[Direct(bob.ct.ID)]; ok || got[Direct(cat.ct.ID)] != "for Cat" {
		t.Fatalf("drafts while concealed = %q, want Cat's only", got)
	}
	if err := a.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Drafts(ctx); got[Direct(bob.ct.ID)] != "for Bob" {
		t.Fatalf("drafts once revealed = %q, want Bob's back", got)
	}
}
