package device

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// mailRelay is a relay whose mailbox holds a fixed set of envelopes and
// whose directory knows a fixed set of senders.
type mailRelay struct {
	core.Relay
	mail     []core.Delivery
	contacts map[crypto.ID]core.Contact
}

func (r *mailRelay) Fetch(_ context.Context, after uint64, limit int) ([]core.Delivery, error) {
	var out []core.Delivery
	for _, d := range r.mail {
		if d.Seq > after && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (r *mailRelay) Ack(_ context.Context, seqs []uint64) ([]bool, error) {
	return make([]bool, len(seqs)), nil
}
func (r *mailRelay) Send(context.Context, []byte) (core.Sent, error) { return core.Sent{}, nil } // receipts
func (r *mailRelay) Contact(_ context.Context, id crypto.ID) (core.Contact, error) {
	return r.contacts[id], nil
}
func (r *mailRelay) Subscribe(context.Context, func()) (core.Subscription, error) {
	return nothing{}, nil
}

type nothing struct{}

func (nothing) Drain() ([]core.Event, error) { return nil, nil }
func (nothing) Close()                       {}

// fill stores n messages from peers senders in a new account in dir, as a
// local client receives them (catching up from the mailbox).
func fill(b *testing.B, dir string, n, peers int, pass []byte) *mailRelay {
	b.Helper()
	pub, sk, _ := crypto.GenerateKeyPair(rand.Reader)
	me, _ := crypto.NewID(rand.Reader)
	sealed, err := crypto.SealSecretKey(rand.Reader, pass, sk, crypto.DefaultKDFParams())
	if err != nil {
		b.Fatal(err)
	}
	if err := Write(dir, Account{UserID: me, Name: "Me", PublicKey: pub}, sealed); err != nil {
		b.Fatal(err)
	}
	r := &mailRelay{contacts: map[crypto.ID]core.Contact{}}
	var shared []*crypto.SharedKey
	var ids []crypto.ID
	for i := range peers {
		ppub, psk, _ := crypto.GenerateKeyPair(rand.Reader)
		id, _ := crypto.NewID(rand.Reader)
		r.contacts[id] = core.Contact{ID: id, Name: fmt.Sprintf("Peer %d", i), PublicKey: ppub, Internal: true, NameSet: true}
		shared = append(shared, crypto.Precompute(pub, psk))
		ids = append(ids, id)
	}
	t0 := time.Now().Add(-time.Duration(n) * time.Second)
	for i := range n {
		p := i % peers
		mid, _ := crypto.NewMessageID(rand.Reader)
		at := t0.Add(time.Duration(i) * time.Second).UTC().Truncate(time.Millisecond)
		env, err := crypto.SealEnvelope(rand.Reader, crypto.Header{Sender: ids[p], Recipient: me, MessageID: mid, Time: at},
			shared[p], crypto.TypeText, fmt.Appendf(nil, "message %d, a line of ordinary length for a chat between colleagues", i))
		if err != nil {
			b.Fatal(err)
		}
		r.mail = append(r.mail, core.Delivery{Seq: uint64(i + 1), Received: at, Envelope: env.Marshal()})
	}
	d, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	c := core.New(core.Config{Identity: d.Identity(), Relay: r, Keys: d, Store: d.Store()})
	ctx := context.Background()
	if err := c.Unlock(ctx, pass); err != nil {
		b.Fatal(err)
	}
	if err := c.Start(ctx, func() {}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	c.Close()
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	r.mail = nil // all stored: the relay has nothing waiting now
	return r
}

// BenchmarkChatList measures what a local client does before it shows the
// chat list, with 10,000 stored messages in 100 conversations: open the
// account's store, open the key with the passphrase (the production
// Argon2id), start (an empty mailbox), read the conversation list and the
// messages of the first conversation (100, all of them). "list-ms" is the part after the
// passphrase: what the user waits for once the KDF is done.
//
//	go test ./tui/local/device -run '^$' -bench ChatList -benchtime 10x
func BenchmarkChatList(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "acct")
	pass := []byte("benchmark passphrase")
	r := fill(b, dir, 10_000, 100, pass)
	ctx := context.Background()
	var list time.Duration
	b.ResetTimer()
	for range b.N {
		d, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		c := core.New(core.Config{Identity: d.Identity(), Relay: r, Keys: d, Store: d.Store()})
		if err := c.Unlock(ctx, pass); err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		if err := c.Start(ctx, func() {}); err != nil {
			b.Fatal(err)
		}
		convs, err := c.Conversations(ctx)
		if err != nil || len(convs) != 100 {
			b.Fatalf("%d conversations, %v", len(convs), err)
		}
		page, err := c.Messages(ctx, convs[0].Ref, nil, 200)
		if err != nil || len(page.Messages) != 100 {
			b.Fatalf("first conversation: %d messages, %v; want all 100 stored", len(page.Messages), err)
		}
		list += time.Since(t)
		c.Close()
		_ = d.Close()
	}
	b.ReportMetric(float64(list.Microseconds())/1000/float64(b.N), "list-ms")
}
