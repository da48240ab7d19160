package store

import (
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

func appendMail(t *testing.T, s *Bolt, to crypto.ID, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	err := s.Update(ctx, func(tx Tx) error {
		seqs = seqs[:0]
		for i := range n {
			seq, err := tx.AppendMailbox(to, time.Now(), []byte{byte(i)})
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

func register(t *testing.T, s *Bolt, user crypto.ID, dev string) Cursor {
	t.Helper()
	var c Cursor
	err := s.Update(ctx, func(tx Tx) error {
		var err error
		c, err = tx.RegisterCursor(user, dev, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pending(t *testing.T, s *Bolt, user crypto.ID, dev string) []uint64 {
	t.Helper()
	var out []uint64
	err := s.View(ctx, func(tx Tx) error {
		ds, err := tx.DeviceMailbox(user, dev, 0, 0)
		for _, d := range ds {
			out = append(out, d.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ack(t *testing.T, s *Bolt, user crypto.ID, dev string, seqs ...uint64) []bool {
	t.Helper()
	var out []bool
	err := s.Update(ctx, func(tx Tx) error {
		out = out[:0]
		for _, seq := range seqs {
			ok, err := tx.AckMailbox(user, dev, seq)
			if err != nil {
				return err
			}
			out = append(out, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func waiting(t *testing.T, s *Bolt, user crypto.ID) []uint64 {
	t.Helper()
	var out []uint64
	_ = s.View(ctx, func(tx Tx) error {
		ds, err := tx.Mailbox(user, 0, 0)
		for _, d := range ds {
			out = append(out, d.Seq)
		}
		return err
	})
	return out
}

// TestCursorsPerDevice: two devices each receive every envelope; it leaves
// the mailbox only when both acknowledged it; a device registered later
// starts after its registration; dropping a device releases what only it
// still owed.
func TestCursorsPerDevice(t *testing.T) {
	s, dir := openTest(t)
	ada := id(t, "ADA00001")
	early := appendMail(t, s, ada, 2) // before any device
	if c := register(t, s, ada, HostedCursor); c.From != 0 {
		t.Fatalf("first device starts at %d, want 0 (takes what waits)", c.From)
	}
	if got := pending(t, s, ada, HostedCursor); !slices.Equal(got, early) {
		t.Fatalf("hosted pending %v, want %v", got, early)
	}
	laptop := KeyCursor("SHA256:laptop")
	lc := register(t, s, ada, laptop)
	if lc.From < early[1] {
		t.Fatalf("second device starts at %d, before what arrived ahead of it (%d)", lc.From, early[1])
	}
	if got := pending(t, s, ada, laptop); len(got) != 0 {
		t.Fatalf("a new device received what arrived before it: %v", got)
	}
	if again := register(t, s, ada, laptop); again.From != lc.From {
		t.Fatalf("registering again moved the cursor: %d → %d", lc.From, again.From)
	}
	// The early ones are the hosted device's alone.
	if got := ack(t, s, ada, HostedCursor, early...); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("hosted ack of early: %v", got)
	}
	if got := waiting(t, s, ada); len(got) != 0 {
		t.Fatalf("early envelopes still waiting after their only device acknowledged: %v", got)
	}

	both := appendMail(t, s, ada, 3)
	for _, dev := range []string{HostedCursor, laptop} {
		if got := pending(t, s, ada, dev); !slices.Equal(got, both) {
			t.Fatalf("%s pending %v, want %v", dev, got, both)
		}
	}
	if got := ack(t, s, ada, laptop, both[0], both[0]); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("laptop acks (again): %v", got)
	}
	if got := pending(t, s, ada, laptop); !slices.Equal(got, both[1:]) {
		t.Fatalf("laptop pending after its ack %v", got)
	}
	if got := pending(t, s, ada, HostedCursor); !slices.Equal(got, both) {
		t.Fatalf("another device's ack took the hosted device's copy: %v", got)
	}
	if got := waiting(t, s, ada); !slices.Equal(got, both) {
		t.Fatalf("waiting %v, want all three (hosted has acknowledged none)", got)
	}
	ack(t, s, ada, HostedCursor, both[0], both[1])
	if got := waiting(t, s, ada); !slices.Equal(got, both[1:]) {
		t.Fatalf("after both acknowledged the first: waiting %v", got)
	}

	// A device that goes away no longer holds envelopes back; its acks go too.
	if err := s.Update(ctx, func(tx Tx) error { return tx.DropCursor(ada, laptop) }); err != nil {
		t.Fatal(err)
	}
	if got := waiting(t, s, ada); !slices.Equal(got, both[2:]) {
		t.Fatalf("after dropping the laptop: waiting %v, want %v", got, both[2:])
	}
	// Reopen: cursors and acknowledgements are durable.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var cs []Cursor
	_ = s2.View(ctx, func(tx Tx) error { cs, err = tx.Cursors(ada); return err })
	if len(cs) != 1 || cs[0].Device != HostedCursor {
		t.Fatalf("cursors after reopen: %+v %v", cs, err)
	}
	if got := pending(t, s2, ada, HostedCursor); !slices.Equal(got, both[2:]) {
		t.Fatalf("hosted pending after reopen %v", got)
	}
}

// TestCursorsOthersAndExpiry: a device cannot acknowledge another user's
// envelope, an unknown device has no mailbox, and expiry removes the
// acknowledgements with the envelopes.
func TestCursorsOthersAndExpiry(t *testing.T) {
	s, _ := openTest(t)
	ada, bob := id(t, "ADA00001"), id(t, "BOB00002")
	register(t, s, ada, HostedCursor)
	register(t, s, ada, KeyCursor("SHA256:b"))
	register(t, s, bob, HostedCursor)
	bobs := appendMail(t, s, bob, 1)
	if got := ack(t, s, ada, HostedCursor, bobs[0]); got[0] {
		t.Fatal("ada's device acknowledged bob's envelope")
	}
	if got := waiting(t, s, bob); !slices.Equal(got, bobs) {
		t.Fatalf("bob's mailbox after ada's ack: %v", got)
	}
	err := s.View(ctx, func(tx Tx) error {
		_, err := tx.DeviceMailbox(ada, KeyCursor("SHA256:nobody"), 0, 0)
		return err
	})
	if err == nil {
		t.Fatal("an unregistered device read the mailbox")
	}
	adas := appendMail(t, s, ada, 2)
	ack(t, s, ada, HostedCursor, adas...)
	err = s.Update(ctx, func(tx Tx) error {
		_, err := tx.ExpireMailbox(time.Now().Add(time.Hour), 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := waiting(t, s, ada); len(got) != 0 {
		t.Fatalf("expired envelopes still waiting: %v", got)
	}
	var left int
	_ = s.db.View(func(tx *bolt.Tx) error { left = tx.Bucket([]byte(bMailAcks)).Stats().KeyN; return nil })
	if left != 0 {
		t.Fatalf("%d acknowledgements left behind by expiry", left)
	}
}

// TestDeleteDeviceDropsCursor: removing an SSH key removes its cursor.
func TestDeleteDeviceDropsCursor(t *testing.T) {
	s, _ := openTest(t)
	ada := id(t, "ADA00001")
	fp := "SHA256:gone"
	err := s.Update(ctx, func(tx Tx) error {
		return tx.PutDevice(Device{Fingerprint: fp, UserID: ada, AddedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	register(t, s, ada, HostedCursor)
	register(t, s, ada, KeyCursor(fp))
	seqs := appendMail(t, s, ada, 1)
	ack(t, s, ada, HostedCursor, seqs...)
	if got := waiting(t, s, ada); len(got) != 1 {
		t.Fatalf("waiting %v before the key's removal", got)
	}
	if err := s.Update(ctx, func(tx Tx) error { return tx.DeleteDevice(fp) }); err != nil {
		t.Fatal(err)
	}
	if got := waiting(t, s, ada); len(got) != 0 {
		t.Fatalf("a removed key still holds %v back", got)
	}
}

// TestStandingCounts: a commit that writes a user, device, tenant or
// license moves Standing; one that only writes mail does not.
func TestStandingCounts(t *testing.T) {
	s, _ := openTest(t)
	ada := id(t, "ADA00001")
	before := s.Standing()
	changed := s.StandingChanged()
	appendMail(t, s, ada, 1)
	if s.Standing() != before {
		t.Fatal("a mailbox write moved Standing")
	}
	select {
	case <-changed:
		t.Fatal("a mailbox write closed StandingChanged")
	default:
	}
	err := s.Update(ctx, func(tx Tx) error {
		return tx.PutDevice(Device{Fingerprint: "SHA256:x", UserID: ada, AddedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Standing() == before {
		t.Fatal("a device write did not move Standing")
	}
	select {
	case <-changed:
	default:
		t.Fatal("a device write did not close StandingChanged")
	}
	if next := s.StandingChanged(); next == changed {
		t.Fatal("StandingChanged hands out the closed channel again")
	}
}
