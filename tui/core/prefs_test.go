package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrefsDefaultsAndRoundTrip(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	st := newLStore()
	c := n.core(ann, st, nil)
	ctx := context.Background()

	got, err := c.Prefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "bell"}); got != want {
		t.Fatalf("fresh prefs = %+v, want %+v", got, want)
	}
	want := Prefs{ReadReceipts: false, Theme: ThemeLight, Notify: NotifyBoth}
	if err := c.SetPrefs(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Prefs(ctx); got != want {
		t.Fatalf("prefs after set = %+v, want %+v", got, want)
	}
	// Another session of the same user shares them.
	c2 := n.core(ann, st, nil)
	if got, _ := c2.Prefs(ctx); got != want {
		t.Fatalf("second session's prefs = %+v, want %+v", got, want)
	}
	// Empty fields mean the defaults.
	if err := c.SetPrefs(ctx, Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := mustPrefs(t, c), DefaultPrefs(); got != want {
		t.Fatalf("prefs after empty set = %+v, want %+v", got, want)
	}
}

func mustPrefs(t *testing.T, c *Core) Prefs {
	t.Helper()
	p, err := c.Prefs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSetPrefsRefusesUnknownValues(t *testing.T) {
	n := newLNet(t)
	c := n.core(n.user("ANN00001", "Ann", nil), newLStore(), nil)
	ctx := context.Background()
	saved := Prefs{ReadReceipts: false, Theme: ThemeLight, Notify: NotifyOff}
	if err := c.SetPrefs(ctx, saved); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    Prefs
		want string
	}{
		{Prefs{Theme: "solarized"}, `unknown theme "solarized"`},
		{Prefs{Theme: "Dark"}, `unknown theme "Dark"`},
		{Prefs{Notify: "loud"}, `unknown notification style "loud"`},
		{Prefs{Notify: strings.Repeat("x", 100)}, "…"},
	} {
		err := c.SetPrefs(ctx, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetPrefs(%+v) = %v, want an error with %q", tc.p, err, tc.want)
		}
		if got := mustPrefs(t, c); got != saved {
			t.Fatalf("after refused SetPrefs(%+v): %+v, want unchanged %+v", tc.p, got, saved)
		}
	}
}

func TestPrefsLocked(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	c := New(Config{Identity: Identity{ID: ann.ct.ID, PublicKey: ann.ct.PublicKey}, Store: newLStore()})
	if _, err := c.Prefs(context.Background()); !errors.Is(err, ErrLocked) {
		t.Fatalf("Prefs while locked = %v, want ErrLocked", err)
	}
	if err := c.SetPrefs(context.Background(), DefaultPrefs()); !errors.Is(err, ErrLocked) {
		t.Fatalf("SetPrefs while locked = %v, want ErrLocked", err)
	}
	if c.readReceiptsOn(context.Background()) {
		t.Fatal("readReceiptsOn of a locked core = true, want false (fail private)")
	}
}

func TestReadReceiptsOn(t *testing.T) {
	n := newLNet(t)
	c := n.core(n.user("ANN00001", "Ann", nil), newLStore(), nil)
	ctx := context.Background()
	if !c.readReceiptsOn(ctx) {
		t.Fatal("readReceiptsOn by default = false, want true")
	}
	if err := c.SetPrefs(ctx, Prefs{ReadReceipts: false}); err != nil {
		t.Fatal(err)
	}
	if c.readReceiptsOn(ctx) {
		t.Fatal("readReceiptsOn after switching off = true, want false")
	}
}

// TestMarkReadWithoutReadReceipts: with read receipts off, the sender's
// message stays delivered after the recipient reads it.
func TestMarkReadWithoutReadReceipts(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()
	lSync(t, a)
	lSync(t, b)
	for _, receipts := range []bool{false, true} {
		if err := b.SetPrefs(ctx, Prefs{ReadReceipts: receipts}); err != nil {
			t.Fatal(err)
		}
		m, err := a.Send(ctx, Direct(bob.ct.ID), "are you there?")
		if err != nil {
			t.Fatal(err)
		}
		lSync(t, b)
		lSync(t, a)
		if changed, err := b.MarkRead(ctx, Direct(ann.ct.ID)); err != nil || !changed {
			t.Fatalf("MarkRead = %v, %v", changed, err)
		}
		lSync(t, a)
		want := StateDelivered
		if receipts {
			want = StateRead
		}
		page, err := a.Messages(ctx, Direct(bob.ct.ID), nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := page.Messages[len(page.Messages)-1]
		if got.ID != m.ID || got.State != want {
			t.Fatalf("receipts %v: ann's message %s is %v, want %v", receipts, got.ID, got.State, want)
		}
		convs, _ := b.Conversations(ctx)
		if len(convs) != 1 || convs[0].Unread != 0 {
			t.Fatalf("receipts %v: bob's conversations %+v, want one read", receipts, convs)
		}
	}
	// Switching receipts on later does not tell Ann about what Bob read
	// while they were off.
	page, err := a.Messages(ctx, Direct(bob.ct.ID), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Messages[0].State; got != StateDelivered {
		t.Fatalf("message read while receipts were off is %v, want %v", got, StateDelivered)
	}
}

// TestSyncUpdated: a sync that stores a new message, or moves an outgoing
// one on by a receipt, names the records it wrote (as Messages reads
// them) instead of asking views to read everything again.
func TestSyncUpdated(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()
	lSync(t, a)
	lSync(t, b)
	sent, err := a.Send(ctx, Direct(bob.ct.ID), "are you there?")
	if err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, b)
	if ch.Reload || len(ch.Updated) != 1 || ch.Updated[0].ID != sent.ID || ch.Updated[0].Outgoing {
		t.Fatalf("recipient's sync: Reload %v, Updated %+v; want the new incoming message only", ch.Reload, ch.Updated)
	}
	page, err := b.Messages(ctx, Direct(ann.ct.ID), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(page.Messages, ch.Updated); diff != "" {
		t.Errorf("Updated differs from what Messages reads (-read +updated):\n%s", diff)
	}
	ch = lSync(t, a) // the delivery receipt
	if ch.Reload || len(ch.Updated) != 1 || ch.Updated[0].ID != sent.ID || ch.Updated[0].State != StateDelivered {
		t.Fatalf("sender's sync: Reload %v, Updated %+v; want the message, delivered", ch.Reload, ch.Updated)
	}
	page, err = a.Messages(ctx, Direct(bob.ct.ID), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(page.Messages, ch.Updated); diff != "" {
		t.Errorf("Updated differs from what Messages reads (-read +updated):\n%s", diff)
	}
}
