package relay

import (
	"crypto/rand"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
)

// TestTypingDroppedByPolicy: an ephemeral envelope (a typing indicator)
// reaches the recipient's live session only when both sides' policy allows
// typing indicators and both are of the same tenant; otherwise the sender
// gets the usual answer and nothing is published or stored.
func TestTypingDroppedByPolicy(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice := storedPeer(t, r, "acme", "ALICE001")
	bob := storedPeer(t, r, "acme", "BOB00002")
	carol := storedPeer(t, r, "acme", "CAROL003")
	dave := storedPeer(t, r, "other", "DAVE0004")
	feeds := map[crypto.ID]func() int{}
	for _, p := range []peer{alice, bob, carol, dave} {
		f, err := r.Subscribe(p.ctx, func() {})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		feeds[p.id] = func() int { evs, _ := f.Drain(); return len(evs) }
	}
	send := func(from, to peer) int {
		t.Helper()
		mid, _ := crypto.NewMessageID(rand.Reader)
		sent, err := r.Send(from.ctx, from.sealFor(t, to, mid, crypto.FlagEphemeral|crypto.FlagSilent))
		if err != nil || sent.Seq != 0 {
			t.Fatalf("send %s → %s: %+v, %v", from.id, to.id, sent, err)
		}
		if got, _ := r.Fetch(to.ctx, 0, 0); len(got) != 0 {
			t.Fatalf("ephemeral envelope stored for %s", to.id)
		}
		return feeds[to.id]()
	}
	if got := send(alice, bob); got != 1 {
		t.Fatalf("same tenant, default policy: %d events, want 1", got)
	}
	if got := send(alice, dave); got != 0 {
		t.Errorf("across tenants: %d events, want 0", got)
	}
	setPolicy(t, r, "acme", carol.id, policy.TypingIndicators, "false")
	if got := send(carol, bob); got != 0 {
		t.Errorf("from a user whose policy forbids typing: %d events, want 0", got)
	}
	if got := send(bob, carol); got != 0 {
		t.Errorf("to a user whose policy forbids typing: %d events, want 0", got)
	}
	// A batch is checked envelope by envelope.
	mid, _ := crypto.NewMessageID(rand.Reader)
	_, errs, err := r.SendBatch(bob.ctx, [][]byte{bob.sealFor(t, alice, mid, crypto.FlagEphemeral),
		bob.sealFor(t, carol, mid, crypto.FlagEphemeral)})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("batch: %v %v", errs, err)
	}
	if a, c := feeds[alice.id](), feeds[carol.id](); a != 1 || c != 0 {
		t.Errorf("batch: alice got %d, carol %d events; want 1, 0", a, c)
	}
	// The tenant turns it off for everyone.
	setPolicy(t, r, "acme", crypto.ID{}, policy.TypingIndicators, "false")
	if got := send(alice, bob); got != 0 {
		t.Errorf("tenant policy false: %d events, want 0", got)
	}
}
