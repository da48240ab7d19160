package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// sealFor seals one envelope of message mid from p to `to` with flags.
func (p peer) sealFor(t testing.TB, to peer, mid crypto.MessageID, flags byte) []byte {
	t.Helper()
	env, err := crypto.SealEnvelope(nil, crypto.Header{Flags: flags, Sender: p.id, Recipient: to.id, MessageID: mid, Time: time.Now()},
		crypto.Precompute(to.pub, p.sec), crypto.TypeText, []byte("to the group"))
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

// batchOf seals one message from p to each of tos.
func (p peer) batchOf(t testing.TB, tos ...peer) [][]byte {
	t.Helper()
	mid, err := crypto.NewMessageID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(tos))
	for i, to := range tos {
		out[i] = p.sealFor(t, to, mid, 0)
	}
	return out
}

func TestSendBatch(t *testing.T) {
	alice, bob, carol, dave := newPeer(t, "ALICE001"), newPeer(t, "BOB00002"), newPeer(t, "CAROL003"), newPeer(t, "DAVE0004")
	// One token: a batch of three must pass, and the next must not.
	r, _ := newRelay(t, Config{Rate: 0.001, Burst: 1}, carol.id)
	subs := map[string]Feed{}
	for _, p := range []peer{bob, dave} {
		f, err := r.Subscribe(p.ctx, func() {})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		subs[p.id.String()] = f
	}
	envs := alice.batchOf(t, bob, carol, dave)
	sent, errs, err := r.SendBatch(alice.ctx, envs)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 || len(errs) != 3 {
		t.Fatalf("got %d sent and %d errors for 3 envelopes", len(sent), len(errs))
	}
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], ErrUnreachable) {
		t.Fatalf("errs = %v, want only carol's ErrUnreachable", errs)
	}
	if sent[0].Seq == 0 || sent[2].Seq == 0 || sent[1].Seq != 0 {
		t.Errorf("sent = %+v, want seqs for bob and dave only", sent)
	}
	for i, p := range []peer{bob, dave} {
		got, err := r.Fetch(p.ctx, 0, 10)
		want := envs[i*2]
		if err != nil || len(got) != 1 || string(got[0].Envelope) != string(want) {
			t.Errorf("%s's mailbox: %d envelopes, %v", p.id, len(got), err)
		}
		evs, err := subs[p.id.String()].Drain()
		if err != nil || len(evs) != 1 || evs[0].Kind != EventMail || evs[0].Seq != sent[i*2].Seq {
			t.Errorf("%s's feed: %+v, %v", p.id, evs, err)
		}
	}
	if got, _ := r.Fetch(carol.ctx, 0, 10); len(got) != 0 {
		t.Errorf("carol got %d envelopes", len(got))
	}
	if _, _, err := r.SendBatch(alice.ctx, alice.batchOf(t, bob)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("second batch with the one token spent: err = %v, want ErrRateLimited", err)
	}
}

// TestSendBatchMalformed checks that a batch that is not one message from
// the caller is refused whole and stores nothing.
func TestSendBatchMalformed(t *testing.T) {
	alice, bob, carol := newPeer(t, "ALICE001"), newPeer(t, "BOB00002"), newPeer(t, "CAROL003")
	r, _ := newRelay(t, Config{})
	good := alice.batchOf(t, bob, carol)
	mid, _ := crypto.NewMessageID(rand.Reader)
	otherMessage := [][]byte{good[0], alice.sealFor(t, carol, mid, 0)}
	repeated := [][]byte{good[0], good[0]}
	forged := [][]byte{good[0], bob.sealFor(t, carol, mid, 0)}
	firstMid, err := crypto.ParseEnvelope(good[0])
	if err != nil {
		t.Fatal(err)
	}
	mixed := [][]byte{good[0], alice.sealFor(t, carol, firstMid.MessageID, crypto.FlagEphemeral)}
	oversize := make([]byte, crypto.MaxEnvelopeSize+1)
	copy(oversize, good[1])
	tooMany := make([][]byte, MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = good[0]
	}
	cases := []struct {
		name string
		ctx  context.Context
		envs [][]byte
		want error
	}{
		{"no principal", context.Background(), good, ErrNotUser},
		{"caller is not the sender", bob.ctx, good, ErrForgedSender},
		{"a forged envelope among good ones", alice.ctx, forged, ErrForgedSender},
		{"empty", alice.ctx, nil, ErrMalformed},
		{"too many", alice.ctx, tooMany, ErrMalformed},
		{"garbage", alice.ctx, [][]byte{good[0], []byte("hello")}, ErrMalformed},
		{"two messages", alice.ctx, otherMessage, ErrMalformed},
		{"repeated recipient", alice.ctx, repeated, ErrMalformed},
		{"mixed ephemeral", alice.ctx, mixed, ErrMalformed},
		{"oversize", alice.ctx, [][]byte{good[0], oversize}, ErrTooLarge},
	}
	for _, c := range cases {
		sent, errs, err := r.SendBatch(c.ctx, c.envs)
		if !errors.Is(err, c.want) || sent != nil || errs != nil {
			t.Errorf("%s: err = %v (sent %v, errs %v), want %v", c.name, err, sent, errs, c.want)
		}
	}
	for _, p := range []peer{bob, carol} {
		if got, _ := r.Fetch(p.ctx, 0, 10); len(got) != 0 {
			t.Errorf("refused batches stored %d envelopes for %s", len(got), p.id)
		}
	}
	detached := &store.User{ID: alice.id, Status: store.UserDetached}
	dctx := auth.With(context.Background(), &auth.Principal{KeyFingerprint: "SHA256:x", User: detached})
	if _, _, err := r.SendBatch(dctx, good); !errors.Is(err, ErrDetached) {
		t.Errorf("detached sender: err = %v, want ErrDetached", err)
	}
}

// TestSendBatchLargest sends one message to MaxBatch recipients at once.
func TestSendBatchLargest(t *testing.T) {
	alice := newPeer(t, "ALICE001")
	r, _ := newRelay(t, Config{Burst: 1})
	mid, _ := crypto.NewMessageID(rand.Reader)
	envs := make([][]byte, MaxBatch)
	var tos []peer
	for i := range envs {
		to := newPeer(t, fmt.Sprintf("M%07d", i))
		tos = append(tos, to)
		envs[i] = alice.sealFor(t, to, mid, 0)
	}
	sent, errs, err := r.SendBatch(alice.ctx, envs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range envs {
		if errs[i] != nil || sent[i].Seq == 0 {
			t.Fatalf("envelope %d: %+v, %v", i, sent[i], errs[i])
		}
	}
	if got, _ := r.Fetch(tos[MaxBatch-1].ctx, 0, 10); len(got) != 1 {
		t.Errorf("last recipient has %d envelopes, want 1", len(got))
	}
}

func TestSendBatchEphemeral(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice, bob := storedPeer(t, r, "acme", "ALICE001"), storedPeer(t, r, "acme", "BOB00002")
	f, err := r.Subscribe(bob.ctx, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mid, _ := crypto.NewMessageID(rand.Reader)
	sent, errs, err := r.SendBatch(alice.ctx, [][]byte{alice.sealFor(t, bob, mid, crypto.FlagEphemeral)})
	if err != nil || errs[0] != nil || sent[0].Seq != 0 || sent[0].Received.IsZero() {
		t.Fatalf("ephemeral batch: %+v, %v, %v", sent, errs, err)
	}
	if evs, err := f.Drain(); err != nil || len(evs) != 1 || evs[0].Seq != 0 {
		t.Errorf("feed: %+v, %v", evs, err)
	}
	if got, _ := r.Fetch(bob.ctx, 0, 10); len(got) != 0 {
		t.Errorf("ephemeral envelope stored: %d", len(got))
	}
}

// TestSendBatchAlarm: alarms from a sender whose policy forbids them are
// refused slot by slot, nothing stored; with the policy they pass.
func TestSendBatchAlarm(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice := storedPeer(t, r, "acme", "ALICE001")
	bob, carol := storedPeer(t, r, "acme", "BOB00002"), storedPeer(t, r, "acme", "CAROL003")
	mid, _ := crypto.NewMessageID(rand.Reader)
	envs := [][]byte{alice.sealFor(t, bob, mid, crypto.FlagAlarm), alice.sealFor(t, carol, mid, crypto.FlagAlarm)}
	_, errs, err := r.SendBatch(alice.ctx, envs)
	if err != nil || !errors.Is(errs[0], ErrAlarmForbidden) || !errors.Is(errs[1], ErrAlarmForbidden) {
		t.Fatalf("forbidden alarm: errs %v, err %v", errs, err)
	}
	if got, _ := r.Fetch(bob.ctx, 0, 10); len(got) != 0 {
		t.Fatalf("forbidden alarm stored")
	}
	setPolicy(t, r, "acme", alice.id, policy.AlarmSend, "true")
	if _, errs, err := r.SendBatch(alice.ctx, envs); err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("allowed alarm: errs %v, err %v", errs, err)
	}
}

// FuzzParseBatch feeds two arbitrary envelopes to the batch checks: they
// must never panic, and an accepted batch is one message from the sender
// to distinct recipients.
func FuzzParseBatch(f *testing.F) {
	alice, bob, carol := newPeer(f, "ALICE001"), newPeer(f, "BOB00002"), newPeer(f, "CAROL003")
	good := alice.batchOf(f, bob, carol)
	f.Add(good[0], good[1])
	f.Add(good[0], good[0])
	f.Add(good[0], []byte{1, 2, 3})
	f.Add([]byte{}, good[1])
	f.Fuzz(func(t *testing.T, a, b []byte) {
		envs, err := parseBatch(alice.id, [][]byte{a, b})
		if err != nil {
			return
		}
		if envs[0].Sender != alice.id || envs[1].Sender != alice.id || envs[0].MessageID != envs[1].MessageID ||
			envs[0].Recipient == envs[1].Recipient {
			t.Fatalf("accepted a batch that is not one message: %+v / %+v", envs[0].Header, envs[1].Header)
		}
	})
}
