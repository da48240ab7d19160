package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// openTest opens a store in a temporary directory and, when the test ends,
// closes it and runs bbolt's consistency check on the file.
func openTest(t testing.TB) (*Bolt, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkFile(t, filepath.Join(dir, FileName))
	})
	return s, dir
}

func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen for check: %v", err)
		return
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
}

func id(t testing.TB, s string) crypto.ID {
	t.Helper()
	v, err := crypto.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var ctx = context.Background()

func TestTenantAndUserIndexes(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	tn := Tenant{ID: "t1", Name: "Acme", Domains: []string{"acme.example"}, CreatedAt: now}
	u := User{ID: id(t, "AAAA1111"), TenantID: "t1", Name: "Ada", Email: "Ada@Acme.example", Status: UserPending, CreatedAt: now}
	err := s.Update(ctx, func(tx Tx) error {
		if err := tx.PutTenant(tn); err != nil {
			return err
		}
		return tx.PutUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx Tx) error {
		got, err := tx.TenantByName("ACME")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(tn, got); diff != "" {
			t.Errorf("tenant (-want +got):\n%s", diff)
		}
		if tid, err := tx.TenantOfDomain("ACME.example"); err != nil || tid != "t1" {
			t.Errorf("domain owner = %q, %v", tid, err)
		}
		gu, err := tx.UserByEmail("ada@acme.EXAMPLE")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(u, gu); diff != "" {
			t.Errorf("user (-want +got):\n%s", diff)
		}
		us, err := tx.UsersOfTenant("t1")
		if err != nil || len(us) != 1 {
			t.Errorf("users of tenant: %v, %v", us, err)
		}
		if us, _ := tx.UsersOfTenant("t"); len(us) != 0 {
			t.Errorf("prefix tenant sees %d users", len(us))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Renaming the tenant and changing the e-mail move the indexes.
	err = s.Update(ctx, func(tx Tx) error {
		tn.Name, tn.Domains = "Acme2", []string{"acme2.example"}
		if err := tx.PutTenant(tn); err != nil {
			return err
		}
		u.Email = "ada@acme2.example"
		return tx.PutUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx Tx) error {
		if _, err := tx.TenantByName("acme"); !errors.Is(err, ErrNotFound) {
			t.Errorf("old name still indexed: %v", err)
		}
		if _, err := tx.TenantOfDomain("acme.example"); !errors.Is(err, ErrNotFound) {
			t.Errorf("old domain still indexed: %v", err)
		}
		if _, err := tx.UserByEmail("ada@acme.example"); !errors.Is(err, ErrNotFound) {
			t.Errorf("old e-mail still indexed: %v", err)
		}
		if _, err := tx.UserByEmail("ada@acme2.example"); err != nil {
			t.Errorf("new e-mail: %v", err)
		}
		return nil
	})
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, _ := openTest(t)
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	boom := errors.New("refused")
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx Tx) error {
				fp := fmt.Sprintf("SHA256:key%03d", i)
				if err := tx.PutDevice(Device{Fingerprint: fp, UserID: id(t, "AAAA1111")}); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom // wrote, then failed: must be rolled back
				case 7:
					panic("a bug in an update function")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	err := s.View(ctx, func(tx Tx) error {
		for i := 0; i < n; i++ {
			_, err := tx.Device(fmt.Sprintf("SHA256:key%03d", i))
			switch i % 10 {
			case 3:
				if !errors.Is(errs[i], boom) || !errors.Is(err, ErrNotFound) {
					t.Errorf("op %d: err %v, stored %v", i, errs[i], err)
				}
			case 7:
				if errs[i] == nil || !errors.Is(err, ErrNotFound) {
					t.Errorf("panicking op %d: err %v, stored %v", i, errs[i], err)
				}
			default:
				if errs[i] != nil || err != nil {
					t.Errorf("op %d: err %v, stored %v", i, errs[i], err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMailbox(t *testing.T) {
	s, dir := openTest(t)
	alice, bob := id(t, "ALICE001"), id(t, "BOB00002")
	old := time.Now().Add(-48 * time.Hour)
	var seqs []uint64
	err := s.Update(ctx, func(tx Tx) error {
		seqs = seqs[:0]
		for i, who := range []crypto.ID{alice, bob, alice, alice} {
			when := time.Now()
			if i == 0 {
				when = old
			}
			seq, err := tx.AppendMailbox(who, when, []byte{byte(i)})
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
	var got []Delivery
	_ = s.View(ctx, func(tx Tx) error {
		got, err = tx.Mailbox(alice, 0, 0)
		return err
	})
	if len(got) != 3 || got[0].Envelope[0] != 0 || got[1].Envelope[0] != 2 || got[2].Envelope[0] != 3 {
		t.Fatalf("alice's mailbox: %+v", got)
	}
	_ = s.View(ctx, func(tx Tx) error {
		got, err = tx.Mailbox(alice, seqs[0], 1)
		return err
	})
	if len(got) != 1 || got[0].Seq != seqs[2] {
		t.Fatalf("after first, limit 1: %+v", got)
	}
	err = s.Update(ctx, func(tx Tx) error {
		ok, err := tx.DeleteMailbox(alice, seqs[2])
		if err != nil || !ok {
			return fmt.Errorf("first delete: %v %w", ok, err)
		}
		ok, err = tx.DeleteMailbox(alice, seqs[2])
		if err != nil || ok {
			return fmt.Errorf("second delete: %v %w", ok, err)
		}
		n, err := tx.ExpireMailbox(time.Now().Add(-time.Hour), 100)
		if err != nil || n != 1 {
			return fmt.Errorf("expire: %d %w", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopen: what is left survives.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_ = s2.View(ctx, func(tx Tx) error {
		a, _ := tx.Mailbox(alice, 0, 0)
		b, _ := tx.Mailbox(bob, 0, 0)
		if len(a) != 1 || a[0].Seq != seqs[3] || len(b) != 1 {
			t.Errorf("after reopen: alice %+v bob %+v", a, b)
		}
		return nil
	})
}

func TestSpaceScan(t *testing.T) {
	s, _ := openTest(t)
	u := id(t, "AAAA1111")
	err := s.Update(ctx, func(tx Tx) error {
		sp := tx.Space(u, "msgs")
		for _, k := range []string{"a1", "a2", "a3", "b1", "b2"} {
			if err := sp.Put([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return tx.Space(id(t, "BBBB2222"), "msgs").Put([]byte("a9"), []byte("other user"))
	})
	if err != nil {
		t.Fatal(err)
	}
	scan := func(prefix, start string, reverse bool, limit int) []string {
		var out []string
		var st []byte
		if start != "" {
			st = []byte(start)
		}
		_ = s.View(ctx, func(tx Tx) error {
			return tx.Space(u, "msgs").Scan([]byte(prefix), st, reverse, func(k, _ []byte) bool {
				out = append(out, string(k))
				return len(out) < limit
			})
		})
		return out
	}
	for _, c := range []struct {
		prefix, start string
		reverse       bool
		limit         int
		want          []string
	}{
		{"a", "", false, 10, []string{"a1", "a2", "a3"}},
		{"a", "", true, 10, []string{"a3", "a2", "a1"}},
		{"a", "a2", false, 10, []string{"a2", "a3"}},
		{"a", "a2", true, 10, []string{"a2", "a1"}},
		{"b", "", true, 1, []string{"b2"}},
		{"", "", true, 2, []string{"b2", "b1"}},
		{"c", "", false, 10, nil},
		{"a", "a25", true, 10, []string{"a2", "a1"}},
	} {
		if diff := cmp.Diff(c.want, scan(c.prefix, c.start, c.reverse, c.limit)); diff != "" {
			t.Errorf("scan(%q, %q, %v): (-want +got)\n%s", c.prefix, c.start, c.reverse, diff)
		}
	}
	// A user without a device store reads as empty.
	_ = s.View(ctx, func(tx Tx) error {
		v, err := tx.Space(id(t, "CCCC3333"), "msgs").Get([]byte("a1"))
		if v != nil || err != nil {
			t.Errorf("missing space: %q %v", v, err)
		}
		return nil
	})
}

func TestOpenLockedAndNewer(t *testing.T) {
	s, dir := openTest(t)
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	_ = s
	other := t.TempDir()
	db, err := bolt.Open(filepath.Join(other, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte(bMeta))
		return m.Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, 99})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("newer schema: err = %v", err)
	}
}

// TestMigrationInitial runs migration 1 on an empty file and checks every
// bucket of the schema exists and the version is recorded; reopening does
// not run it again.
func TestMigrationInitial(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs := 0
	ms := migrations()[:1]
	inner := ms[0].Run
	ms[0].Run = func(tx *bolt.Tx) error { runs++; return inner(tx) }
	for i := 0; i < 2; i++ {
		if err := migrate(db, ms); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Fatalf("migration ran %d times", runs)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{bMeta, bTenants, bTenantNames, bDomains, bUsers, bUserEmails, bTenantUsers,
			bActivations, bDevices, bUserDevices, bAdmins, bMailbox, bDevStore} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		if v := schemaVersion(tx); v != 1 {
			t.Errorf("schema = %d, want 1", v)
		}
		return nil
	})
	// A failing migration leaves the version where it was.
	bad := append(migrations()[:1], migration{To: 2, Name: "fails", Run: func(*bolt.Tx) error { return errors.New("no") }})
	if err := migrate(db, bad); err == nil {
		t.Fatal("failing migration reported success")
	}
	_ = db.View(func(tx *bolt.Tx) error {
		if v := schemaVersion(tx); v != 1 {
			t.Errorf("schema after failed migration = %d", v)
		}
		return nil
	})
}

func TestCloseWaitsAndRefuses(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := s.Update(ctx, func(tx Tx) error {
				_, err := tx.AppendMailbox(id(t, "AAAA1111"), time.Now(), []byte{byte(i)})
				return err
			})
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("update: %v", err)
			}
		}(i)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("update after close: %v", err)
	}
	checkFile(t, filepath.Join(dir, FileName))
}

// TestMailboxVersion1Entries reads entries written before arrival times
// moved to nanoseconds: their millisecond times must not make them look
// ancient (and expire them).
func TestMailboxVersion1Entries(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	rcpt := id(t, "BOB00002")
	when := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	err = db.Update(func(tx *bolt.Tx) error {
		v := make([]byte, logHeader, logHeader+3)
		v[0] = deliveryV1
		copy(v[1:], rcpt[:])
		binary.BigEndian.PutUint64(v[1+crypto.IDLen:], uint64(when.UnixMilli()))
		return tx.Bucket([]byte(bMailbox)).Put(seqKey(7), append(v, "env"...))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []Delivery
	_ = s.View(ctx, func(tx Tx) error { got, err = tx.Mailbox(rcpt, 0, 0); return err })
	if len(got) != 1 || !got[0].Received.Equal(when) || string(got[0].Envelope) != "env" {
		t.Fatalf("version-1 entry read as %+v, want received %v", got, when)
	}
	var n int
	err = s.Update(ctx, func(tx Tx) error { n, err = tx.ExpireMailbox(time.Now().Add(-24*time.Hour), 10); return err })
	if err != nil || n != 0 {
		t.Fatalf("expiry removed %d version-1 entries younger than the cutoff (%v)", n, err)
	}
}

// TestMigration2 builds a schema-1 file by hand (an instance admin keyed by
// fingerprint alone, a tenant with a seat count) and checks migration 2
// rekeys the admin, turns the seats into a license package and adds the new
// buckets.
func TestMigration2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()[:1]); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		a, _ := encode(Admin{Fingerprint: "SHA256:admin", Role: RoleInstance, AddedAt: created})
		if err := tx.Bucket([]byte(bAdmins)).Put([]byte("SHA256:admin"), a); err != nil {
			return err
		}
		return (&boltTx{tx: tx}).PutTenant(Tenant{ID: "t1", Name: "acme", LegacySeats: 25, CreatedAt: created})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()[:2]); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(btx *bolt.Tx) error {
		tx := &boltTx{tx: btx}
		if v := schemaVersion(btx); v != 2 {
			t.Errorf("schema = %d, want 2", v)
		}
		roles, err := tx.AdminRoles("SHA256:admin")
		if err != nil || len(roles) != 1 || roles[0].Role != RoleInstance {
			t.Errorf("admin roles after migration: %+v, %v", roles, err)
		}
		if btx.Bucket([]byte(bAdmins)).Get([]byte("SHA256:admin")) != nil {
			t.Error("the schema-1 admin key is still there")
		}
		ls, err := tx.LicensesOfTenant("t1")
		if err != nil || len(ls) != 1 || ls[0].Seats != 25 || !ls[0].ValidUntil.IsZero() || !ls[0].ValidFrom.Equal(created) {
			t.Errorf("licenses after migration: %+v, %v", ls, err)
		}
		tn, err := tx.Tenant("t1")
		if err != nil || tn.LegacySeats != 0 {
			t.Errorf("tenant after migration: %+v, %v", tn, err)
		}
		for _, b := range []string{bLicenses, bGroups, bAudit, bAPIKeys, bAPIKeyHashes, bExports, bTOTP, bStats} {
			if btx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	checkFile(t, path)
}
