package store

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// TestPolicyValues keeps the levels apart: a tenant's global values, each
// user's individual values, and other tenants'.
func TestPolicyValues(t *testing.T) {
	s, _ := openTest(t)
	ada, bob := id(t, "ADA00001"), id(t, "BOB00002")
	err := s.Update(ctx, func(tx Tx) error {
		for _, p := range []struct {
			tenant string
			user   crypto.ID
			key    string
			value  string
		}{
			{"t1", crypto.ID{}, "th_block_unknown", "true"},
			{"t1", crypto.ID{}, "parley_retention_days", "7"},
			{"t1", ada, "th_block_unknown", "false"},
			{"t1", bob, "th_nickname", "Bob"},
			{"t10", crypto.ID{}, "th_block_unknown", "false"},
			{"t", crypto.ID{}, "th_csi", "x"},
		} {
			if err := tx.PutPolicyValue(p.tenant, p.user, p.key, p.value); err != nil {
				return err
			}
		}
		return tx.DeletePolicyValue("t1", crypto.ID{}, "parley_retention_days")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tenant string
		user   crypto.ID
		want   map[string]string
	}{
		{"t1", crypto.ID{}, map[string]string{"th_block_unknown": "true"}},
		{"t1", ada, map[string]string{"th_block_unknown": "false"}},
		{"t1", bob, map[string]string{"th_nickname": "Bob"}},
		{"t10", crypto.ID{}, map[string]string{"th_block_unknown": "false"}},
		{"t10", ada, map[string]string{}},
		{"t2", crypto.ID{}, map[string]string{}},
	} {
		var got map[string]string
		err := s.View(ctx, func(tx Tx) error {
			var err error
			got, err = tx.PolicyValues(c.tenant, c.user)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("PolicyValues(%q, %q) (-want +got):\n%s", c.tenant, c.user, diff)
		}
	}
	err = s.Update(ctx, func(tx Tx) error { return tx.DeletePolicyValue("t1", ada, "not_set") })
	if err != nil {
		t.Errorf("deleting a value that is not set: %v", err)
	}
	err = s.View(ctx, func(tx Tx) error { return tx.PutPolicyValue("t1", crypto.ID{}, "th_csi", "y") })
	if err == nil {
		t.Error("PutPolicyValue in a read-only transaction succeeded")
	}
}

// TestMigration3 opens a schema-2 file and checks migration 3 adds the
// policies bucket and keeps what was there.
func TestMigration3(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()[:2]); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bPolicies)) != nil {
			t.Error("schema 2 already has the policies bucket")
		}
		return (&boltTx{tx: tx}).PutTenant(Tenant{ID: "t1", Name: "acme"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()[:3]); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(btx *bolt.Tx) error {
		if v := schemaVersion(btx); v != 3 {
			t.Errorf("schema = %d, want 3", v)
		}
		if btx.Bucket([]byte(bPolicies)) == nil {
			t.Error("bucket policies missing")
		}
		if tn, err := (&boltTx{tx: btx}).Tenant("t1"); err != nil || tn.Name != "acme" {
			t.Errorf("tenant after migration: %+v, %v", tn, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	checkFile(t, path)
}
