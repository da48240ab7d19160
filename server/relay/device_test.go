package relay

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
)

// TestDevicesReceiveEach: a user's hosted device and a client's device each
// receive an envelope and acknowledge it for themselves; it leaves the relay
// when both did. A caller cannot read with another key's cursor.
func TestDevicesReceiveEach(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice, bob := storedPeer(t, r, "acme", "ALICE001"), storedPeer(t, r, "acme", "BOB00002")
	client := WithDevice(bob.ctx, ClientDevice(auth.From(bob.ctx)))
	// Both devices go live before anything arrives.
	hs, err := r.Subscribe(bob.ctx, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	cs, err := r.Subscribe(client, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	sent, err := r.Send(alice.ctx, alice.seal(t, bob, "to every device"))
	if err != nil {
		t.Fatal(err)
	}
	seqs := func(c context.Context) []uint64 {
		t.Helper()
		ds, err := r.Fetch(c, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, d := range ds {
			out = append(out, d.Seq)
		}
		return out
	}
	if got := seqs(bob.ctx); !slices.Equal(got, []uint64{sent.Seq}) {
		t.Fatalf("hosted device fetched %v", got)
	}
	if got := seqs(client); !slices.Equal(got, []uint64{sent.Seq}) {
		t.Fatalf("client device fetched %v", got)
	}
	if ok, err := r.Ack(client, []uint64{sent.Seq}); err != nil || !ok[0] {
		t.Fatalf("client ack: %v %v", ok, err)
	}
	if got := seqs(client); len(got) != 0 {
		t.Fatalf("client still has %v after its ack", got)
	}
	if got := seqs(bob.ctx); !slices.Equal(got, []uint64{sent.Seq}) {
		t.Fatalf("the client's ack took the hosted device's copy: %v", got)
	}
	if ok, err := r.Ack(bob.ctx, []uint64{sent.Seq}); err != nil || !ok[0] {
		t.Fatalf("hosted ack: %v %v", ok, err)
	}
	if got := seqs(bob.ctx); len(got) != 0 {
		t.Fatalf("hosted still has %v after both acknowledged", got)
	}

	// Someone else's key: refused.
	other := WithDevice(bob.ctx, ClientDevice(auth.From(alice.ctx)))
	if _, err := r.Fetch(other, 0, 0); !errors.Is(err, ErrNotUser) {
		t.Fatalf("fetch with another key's cursor: %v", err)
	}
	if _, err := r.Ack(other, []uint64{1}); !errors.Is(err, ErrNotUser) {
		t.Fatalf("ack with another key's cursor: %v", err)
	}
}

// TestOneDevicePolicy: with parley_multi_device false a user's second
// device is refused; the first keeps working.
func TestOneDevicePolicy(t *testing.T) {
	r, _ := newRelay(t, Config{})
	bob := storedPeer(t, r, "acme", "BOB00002")
	setPolicy(t, r, "acme", bob.id, policy.MultiDevice, "false")
	hs, err := r.Subscribe(bob.ctx, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	client := WithDevice(bob.ctx, ClientDevice(auth.From(bob.ctx)))
	if _, err := r.Subscribe(client, func() {}); !errors.Is(err, ErrOneDevice) {
		t.Fatalf("second device subscribed: %v", err)
	}
	if _, err := r.Fetch(client, 0, 0); !errors.Is(err, ErrOneDevice) {
		t.Fatalf("second device fetched: %v", err)
	}
	if _, err := r.Ack(client, []uint64{1}); !errors.Is(err, ErrOneDevice) {
		t.Fatalf("second device acknowledged: %v", err)
	}
	if _, err := r.Fetch(bob.ctx, 0, 0); err != nil {
		t.Fatalf("the first device: %v", err)
	}
}
