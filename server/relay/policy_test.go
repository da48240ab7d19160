package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// storedPeer is newPeer with a user record stored in tenantID.
func storedPeer(t *testing.T, r *Service, tenantID, name string) peer {
	t.Helper()
	p := newPeer(t, name)
	u := store.User{ID: p.id, TenantID: tenantID, Name: name, Status: store.UserActive, PublicKey: p.pub}
	err := r.db.Update(context.Background(), func(tx store.Tx) error {
		if _, err := tx.Tenant(tenantID); errors.Is(err, store.ErrNotFound) {
			if err := tx.PutTenant(store.Tenant{ID: tenantID, Name: tenantID}); err != nil {
				return err
			}
		}
		return tx.PutUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	p.ctx = auth.With(context.Background(), &auth.Principal{KeyFingerprint: "SHA256:" + name, User: &u})
	return p
}

func setPolicy(t *testing.T, r *Service, tenantID string, user crypto.ID, key, value string) {
	t.Helper()
	err := r.db.Update(context.Background(), func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, tenantID, user, key, value)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (p peer) sealAlarm(t *testing.T, to peer, text string) []byte {
	t.Helper()
	mid, _ := crypto.NewMessageID(rand.Reader)
	env, err := crypto.SealEnvelope(nil, crypto.Header{Flags: crypto.FlagAlarm, Sender: p.id, Recipient: to.id, MessageID: mid,
		Time: time.Now()}, crypto.Precompute(to.pub, p.sec), crypto.TypeText, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

func TestAlarmNeedsPolicy(t *testing.T) {
	r, _ := newRelay(t, Config{})
	alice := storedPeer(t, r, "acme", "ALICE001")
	bob := storedPeer(t, r, "acme", "BOB00002")
	carol := storedPeer(t, r, "acme", "CAROL003")

	// By default nobody may send an alarm; plain messages still go.
	if _, err := r.Send(alice.ctx, alice.sealAlarm(t, bob, "fire")); !errors.Is(err, ErrAlarmForbidden) {
		t.Fatalf("alarm by default: err = %v, want ErrAlarmForbidden", err)
	}
	if got, _ := r.Fetch(bob.ctx, 0, 0); len(got) != 0 {
		t.Fatalf("refused alarm stored: %d envelopes", len(got))
	}
	if _, err := r.Send(alice.ctx, alice.seal(t, bob, "hello")); err != nil {
		t.Fatalf("plain message: %v", err)
	}

	// Allowed for Alice alone.
	setPolicy(t, r, "acme", alice.id, policy.AlarmSend, "true")
	if _, err := r.Send(alice.ctx, alice.sealAlarm(t, bob, "fire")); err != nil {
		t.Fatalf("alarm with parley_alarm_send true: %v", err)
	}
	if _, err := r.Send(carol.ctx, carol.sealAlarm(t, bob, "fire")); !errors.Is(err, ErrAlarmForbidden) {
		t.Fatalf("carol's alarm: err = %v, want ErrAlarmForbidden", err)
	}

	// Allowed for the tenant, taken away from Carol individually.
	setPolicy(t, r, "acme", crypto.ID{}, policy.AlarmSend, "true")
	setPolicy(t, r, "acme", carol.id, policy.AlarmSend, "false")
	if _, err := r.Send(bob.ctx, bob.sealAlarm(t, alice, "fire")); err != nil {
		t.Fatalf("bob's alarm with the tenant allowing: %v", err)
	}
	if _, err := r.Send(carol.ctx, carol.sealAlarm(t, bob, "fire")); !errors.Is(err, ErrAlarmForbidden) {
		t.Fatalf("carol's alarm, forbidden individually: err = %v, want ErrAlarmForbidden", err)
	}
	if got, _ := r.Fetch(bob.ctx, 0, 0); len(got) != 2 {
		t.Fatalf("bob's mailbox: %d envelopes, want 2", len(got))
	}

	// A principal whose user record is gone is refused, not crashed on.
	ghost := newPeer(t, "GHOST004")
	if _, err := r.Send(ghost.ctx, ghost.sealAlarm(t, bob, "boo")); err == nil {
		t.Fatal("alarm from a user in no tenant was accepted")
	}
}

func TestExpirePerTenantRetention(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	r, _ := newRelay(t, Config{Now: func() time.Time { return now }, Retention: 30 * 24 * time.Hour})
	short := storedPeer(t, r, "short", "SHORT001") // parley_retention_days 2
	plain := storedPeer(t, r, "plain", "PLAIN002") // server default: 30 days
	long := storedPeer(t, r, "long", "LONG0003")   // parley_retention_days 60
	orphan := newPeer(t, "ORPHAN04")               // in no tenant: the longest retention
	setPolicy(t, r, "short", crypto.ID{}, policy.RetentionDays, "2")
	setPolicy(t, r, "long", crypto.ID{}, policy.RetentionDays, "60")
	// A per-user value would not be accepted for this tenant-wide key.
	err := r.db.Update(context.Background(), func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, "short", short.id, policy.RetentionDays, "90")
		return err
	})
	if err == nil {
		t.Fatal("per-user retention accepted")
	}

	ages := []int{70, 40, 3, 1} // days, oldest first: the log is in arrival order
	rcpts := []peer{short, plain, long, orphan}
	err = r.db.Update(context.Background(), func(tx store.Tx) error {
		for _, days := range ages {
			for _, p := range rcpts {
				if _, err := tx.AppendMailbox(p.id, now.Add(-time.Duration(days)*24*time.Hour), []byte("x")); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.Expire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3+2+1+1 {
		t.Errorf("expired %d, want 7", n)
	}
	want := map[string]int{"short": 1, "plain": 2, "long": 3, "orphan": 3}
	for name, p := range map[string]peer{"short": short, "plain": plain, "long": long, "orphan": orphan} {
		var left []store.Delivery
		_ = r.db.View(context.Background(), func(tx store.Tx) error {
			left, err = tx.Mailbox(p.id, 0, 0)
			return err
		})
		if len(left) != want[name] {
			t.Errorf("%s: %d envelopes left, want %d", name, len(left), want[name])
		}
		for _, d := range left {
			if age := now.Sub(d.Received); age > 60*24*time.Hour {
				t.Errorf("%s kept an envelope %v old", name, age)
			}
		}
	}
	// Nothing more to do on a second run.
	if n, err := r.Expire(context.Background()); err != nil || n != 0 {
		t.Fatalf("second expiry: %d, %v", n, err)
	}
}

func TestExpireUserInBatches(t *testing.T) {
	now := time.Now()
	r, _ := newRelay(t, Config{Now: func() time.Time { return now }})
	p := newPeer(t, "BATCH001")
	err := r.db.Update(context.Background(), func(tx store.Tx) error {
		for i := 5; i >= 0; i-- {
			if _, err := tx.AppendMailbox(p.id, now.Add(-time.Duration(i)*time.Hour), []byte("x")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(-90 * time.Minute) // the 5h..2h old ones go: four
	var steps []int
	for range 5 {
		var done bool
		var n int
		err := r.db.Update(context.Background(), func(tx store.Tx) error {
			var err error
			done, n, err = expireUser(tx, p.id, cutoff, 3)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, n)
		if done {
			break
		}
	}
	if len(steps) != 2 || steps[0] != 3 || steps[1] != 1 {
		t.Fatalf("removed per call %v, want [3 1]", steps)
	}
	got, _ := r.Fetch(p.ctx, 0, 0)
	if len(got) != 2 {
		t.Fatalf("%d left, want 2", len(got))
	}
}
