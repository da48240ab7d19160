package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// fakeDir lets every pair of IDs reach each other except those in blocked.
type fakeDir struct{ blocked map[crypto.ID]bool }

func (d fakeDir) Reachable(_ context.Context, _, to crypto.ID) error {
	if d.blocked[to] {
		return errors.New("not in your tenant")
	}
	return nil
}

type peer struct {
	id  crypto.ID
	pub crypto.PublicKey
	sec *crypto.SecretKey
	ctx context.Context
}

func newPeer(t testing.TB, name string) peer {
	t.Helper()
	id, err := crypto.ParseID(name)
	if err != nil {
		t.Fatal(err)
	}
	pub, sec, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{ID: id, Status: store.UserActive, PublicKey: pub}
	ctx := auth.With(context.Background(), &auth.Principal{KeyFingerprint: "SHA256:" + name, User: u})
	return peer{id: id, pub: pub, sec: sec, ctx: ctx}
}

func (p peer) seal(t testing.TB, to peer, text string) []byte {
	t.Helper()
	mid, _ := crypto.NewMessageID(rand.Reader)
	env, err := crypto.SealEnvelope(nil, crypto.Header{Sender: p.id, Recipient: to.id, MessageID: mid, Time: time.Now()},
		crypto.Precompute(to.pub, p.sec), crypto.TypeText, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

func newRelay(t testing.TB, cfg Config, blocked ...crypto.ID) (*Service, *Hub) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bl := map[crypto.ID]bool{}
	for _, b := range blocked {
		bl[b] = true
	}
	hub := NewHub(0)
	return New(db, fakeDir{blocked: bl}, hub, cfg), hub
}

func TestSendFetchAck(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice, bob := newPeer(t, "ALICE001"), newPeer(t, "BOB00002")
	notified := make(chan struct{}, 10)
	sub, err := r.Subscribe(bob.ctx, func() { notified <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	raw := alice.seal(t, bob, "hello")
	sent, err := r.Send(alice.ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-notified:
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber was not notified")
	}
	evs, err := sub.Drain()
	if err != nil || len(evs) != 1 || evs[0].Seq != sent.Seq || string(evs[0].Envelope) != string(raw) {
		t.Fatalf("drain: %+v, %v", evs, err)
	}
	got, err := r.Fetch(bob.ctx, 0, 10)
	if err != nil || len(got) != 1 || got[0].Seq != sent.Seq {
		t.Fatalf("bob's mailbox: %+v, %v", got, err)
	}
	// Alice sees nothing of Bob's mailbox and cannot acknowledge for him.
	if mine, _ := r.Fetch(alice.ctx, 0, 10); len(mine) != 0 {
		t.Fatalf("alice sees %d envelopes", len(mine))
	}
	if ok, err := r.Ack(alice.ctx, []uint64{sent.Seq}); err != nil || ok[0] {
		t.Fatalf("alice acked bob's envelope: %v %v", ok, err)
	}
	if ok, err := r.Ack(bob.ctx, []uint64{sent.Seq, sent.Seq}); err != nil || !ok[0] || ok[1] {
		t.Fatalf("bob's ack: %v %v", ok, err)
	}
	if left, _ := r.Fetch(bob.ctx, 0, 10); len(left) != 0 {
		t.Fatalf("mailbox after ack: %d", len(left))
	}
}

func TestSendRefusals(t *testing.T) {
	alice, bob, carol := newPeer(t, "ALICE001"), newPeer(t, "BOB00002"), newPeer(t, "CAROL003")
	r, _ := newRelay(t, Config{Rate: 1, Burst: 3}, carol.id)
	good := alice.seal(t, bob, "hi")
	oversize := make([]byte, crypto.MaxEnvelopeSize+1)
	copy(oversize, good)
	cases := []struct {
		name string
		ctx  context.Context
		raw  []byte
		want error
	}{
		{"no principal", context.Background(), good, ErrNotUser},
		{"forged sender", bob.ctx, good, ErrForgedSender},
		{"oversize", alice.ctx, oversize, ErrTooLarge},
		{"garbage", alice.ctx, []byte("hello"), ErrMalformed},
		{"unreachable", alice.ctx, alice.seal(t, carol, "x"), ErrUnreachable},
	}
	for _, c := range cases {
		if _, err := r.Send(c.ctx, c.raw); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if got, _ := r.Fetch(bob.ctx, 0, 0); len(got) != 0 {
		t.Fatalf("refused envelopes stored: %d", len(got))
	}
	// The burst of 3 is shared by whatever the key sends; then it is limited.
	var limited bool
	for i := 0; i < 5; i++ {
		if _, err := r.Send(alice.ctx, good); errors.Is(err, ErrRateLimited) {
			limited = true
		}
	}
	if !limited {
		t.Fatal("no rate limit after a burst of 5 with burst 3")
	}
}

func TestEphemeralIsNotStored(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice, bob := storedPeer(t, r, "acme", "ALICE001"), storedPeer(t, r, "acme", "BOB00002")
	sub, _ := r.Subscribe(bob.ctx, func() {})
	defer sub.Close()
	mid, _ := crypto.NewMessageID(rand.Reader)
	env, _ := crypto.SealEnvelope(nil, crypto.Header{Flags: crypto.FlagEphemeral, Sender: alice.id, Recipient: bob.id,
		MessageID: mid, Time: time.Now()}, crypto.Precompute(bob.pub, alice.sec), crypto.TypeText, []byte("typing"))
	sent, err := r.Send(alice.ctx, env.Marshal())
	if err != nil || sent.Seq != 0 {
		t.Fatalf("send: %+v %v", sent, err)
	}
	if evs, _ := sub.Drain(); len(evs) != 1 {
		t.Fatalf("live session got %d events", len(evs))
	}
	if got, _ := r.Fetch(bob.ctx, 0, 0); len(got) != 0 {
		t.Fatal("ephemeral envelope was stored")
	}
}

func TestSlowSubscriberIsDroppedNotBlocking(t *testing.T) {
	hub := NewHub(4)
	u, _ := crypto.ParseID("BOB00002")
	var notes int
	var mu sync.Mutex
	slow, _ := hub.Subscribe(u, func() { mu.Lock(); notes++; mu.Unlock() })
	fast, _ := hub.Subscribe(u, func() {})
	for i := 0; i < 10; i++ {
		hub.Publish(u, Event{Kind: EventMail, Seq: uint64(i + 1)})
		if i%2 == 1 {
			if evs, err := fast.Drain(); err != nil || len(evs) != 2 {
				t.Fatalf("fast subscriber: %d events, %v", len(evs), err)
			}
		}
	}
	if _, err := slow.Drain(); !errors.Is(err, ErrBehind) {
		t.Fatalf("slow subscriber: err = %v, want ErrBehind", err)
	}
	if _, err := slow.Drain(); !errors.Is(err, ErrBehind) {
		t.Fatal("ErrBehind is not sticky")
	}
	if n := hub.Sessions(); n != 1 {
		t.Fatalf("hub holds %d sessions, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if notes != 2 { // once when the first event arrived, once when dropped
		t.Fatalf("slow subscriber notified %d times, want 2", notes)
	}
	fast.Close()
	fast.Close()
	if n := hub.Sessions(); n != 0 {
		t.Fatalf("hub holds %d sessions after close", n)
	}
}

func TestExpire(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	r, _ := newRelay(t, Config{Now: clock, Retention: time.Hour})
	alice, bob := newPeer(t, "ALICE001"), newPeer(t, "BOB00002")
	if _, err := r.Send(alice.ctx, alice.seal(t, bob, "old")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := r.Send(alice.ctx, alice.seal(t, bob, "new")); err != nil {
		t.Fatal(err)
	}
	n, err := r.Expire(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	if left, _ := r.Fetch(bob.ctx, 0, 0); len(left) != 1 {
		t.Fatalf("%d envelopes left, want 1", len(left))
	}
}

func TestSubscriptionLimit(t *testing.T) {
	hub := NewHub(0)
	u, _ := crypto.ParseID("BOB00002")
	for i := 0; i < MaxSubscriptionsPerUser; i++ {
		if _, err := hub.Subscribe(u, func() {}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hub.Subscribe(u, func() {}); !errors.Is(err, ErrSubscriptions) {
		t.Fatalf("subscription %d: %v", MaxSubscriptionsPerUser+1, err)
	}
	_ = fmt.Sprint()
}
