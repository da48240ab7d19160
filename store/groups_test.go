package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// keysOf returns the keys of gs, sorted.
func keysOf(gs []Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Key)
	}
	slices.Sort(out)
	return out
}

// TestGroupIndexes checks that PutGroup and DeleteGroup keep the key and
// member indexes in step: members removed leave the member index, a new
// key replaces the old one, a taken key is refused and a deleted group
// leaves no index entry behind.
func TestGroupIndexes(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	ann, bob, cid := id(t, "AAAA1111"), id(t, "BBBB2222"), id(t, "CCCC3333")
	g1 := Group{ID: "g1", TenantID: "t1", Name: "one", Key: "00112233445566aa", Kind: GroupUser,
		Creator: ann, Admins: []crypto.ID{ann}, Members: []crypto.ID{ann, bob}}
	g2 := Group{ID: "g2", TenantID: "t2", Name: "two", Key: "ffeeddccbbaa9988", Members: []crypto.ID{bob, cid}}
	view := func(fn func(Tx) error) {
		t.Helper()
		if err := s.View(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update := func(fn func(Tx) error) error { return s.Update(ctx, fn) }
	if err := update(func(tx Tx) error {
		if err := tx.PutGroup(g1); err != nil {
			return err
		}
		return tx.PutGroup(g2)
	}); err != nil {
		t.Fatal(err)
	}
	memberOf := func(tx Tx, m crypto.ID) []string {
		t.Helper()
		gs, err := tx.GroupsOfMember(m)
		if err != nil {
			t.Fatal(err)
		}
		return keysOf(gs)
	}
	view(func(tx Tx) error {
		g, err := tx.GroupByKey(g1.Key)
		if err != nil || g.ID != "g1" || g.Kind != GroupUser || g.Creator != ann || !slices.Equal(g.Admins, g1.Admins) {
			t.Errorf("GroupByKey = %+v, %v; want g1", g, err)
		}
		if got, want := memberOf(tx, bob), []string{g1.Key, g2.Key}; !slices.Equal(got, want) {
			t.Errorf("groups of bob = %v, want %v", got, want)
		}
		for _, k := range []string{"0000000000000000", "short", "00112233445566AA", ""} {
			if _, err := tx.GroupByKey(k); !errors.Is(err, ErrNotFound) {
				t.Errorf("GroupByKey(%q) err = %v, want ErrNotFound", k, err)
			}
		}
		return nil
	})

	// Bob leaves g1; g2 gets a new key.
	g1.Members = []crypto.ID{ann}
	g2b := g2
	g2b.Key = "0123456789abcdef"
	if err := update(func(tx Tx) error {
		if err := tx.PutGroup(g1); err != nil {
			return err
		}
		return tx.PutGroup(g2b)
	}); err != nil {
		t.Fatal(err)
	}
	view(func(tx Tx) error {
		if got, want := memberOf(tx, bob), []string{g2b.Key}; !slices.Equal(got, want) {
			t.Errorf("groups of bob after changes = %v, want %v", got, want)
		}
		if got, want := memberOf(tx, ann), []string{g1.Key}; !slices.Equal(got, want) {
			t.Errorf("groups of ann = %v, want %v", got, want)
		}
		if _, err := tx.GroupByKey(g2.Key); !errors.Is(err, ErrNotFound) {
			t.Errorf("old key still resolves: %v", err)
		}
		return nil
	})

	// A key another group holds, and a malformed key, are refused.
	taken := Group{ID: "g3", TenantID: "t1", Name: "three", Key: g1.Key}
	if err := update(func(tx Tx) error { return tx.PutGroup(taken) }); !errors.Is(err, ErrGroupKeyTaken) {
		t.Errorf("taken key: err = %v, want ErrGroupKeyTaken", err)
	}
	bad := Group{ID: "g4", TenantID: "t1", Name: "four", Key: "XYZ"}
	if err := update(func(tx Tx) error { return tx.PutGroup(bad) }); err == nil {
		t.Error("malformed key accepted")
	}

	// Deleting removes every index entry.
	if err := update(func(tx Tx) error {
		if err := tx.DeleteGroup("t2", "g2"); err != nil {
			return err
		}
		return tx.DeleteGroup("t2", "missing")
	}); err != nil {
		t.Fatal(err)
	}
	view(func(tx Tx) error {
		for _, m := range []crypto.ID{bob, cid} {
			if got := memberOf(tx, m); len(got) != 0 {
				t.Errorf("groups of %s after delete = %v, want none", m, got)
			}
		}
		if _, err := tx.GroupByKey(g2b.Key); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted group's key resolves: %v", err)
		}
		return nil
	})
}

// TestMigration4 writes schema-3 groups without keys and checks that
// migration 4 gives each a distinct key and indexes its members.
func TestMigration4(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()[:3]); err != nil {
		t.Fatal(err)
	}
	ann, bob := id(t, "AAAA1111"), id(t, "BBBB2222")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := []Group{
		{ID: "g00000001", TenantID: "t1", Name: "Sales", Members: []crypto.ID{ann, bob}, CreatedAt: created},
		{ID: "g00000002", TenantID: "t1", Name: "Empty", CreatedAt: created},
		{ID: "g00000001", TenantID: "t2", Name: "Ops", Members: []crypto.ID{bob}, CreatedAt: created},
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, g := range old {
			v, err := encode(g)
			if err != nil {
				return err
			}
			if err := tx.Bucket([]byte(bGroups)).Put(tenantKey(g.TenantID, g.ID), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, migrations()); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(btx *bolt.Tx) error {
		tx := &boltTx{tx: btx}
		if got, want := schemaVersion(btx), uint64(SchemaVersion); got != want {
			t.Errorf("schema = %d, want %d", got, want)
		}
		seen := map[string]bool{}
		for _, o := range old {
			g, err := tx.Group(o.TenantID, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !ValidGroupKey(g.Key) || seen[g.Key] {
				t.Errorf("group %s/%s key %q: not a fresh valid key", o.TenantID, o.ID, g.Key)
			}
			seen[g.Key] = true
			if g.Kind != "" || g.Name != o.Name || !slices.Equal(g.Members, o.Members) {
				t.Errorf("group %s/%s changed beyond its key: %+v", o.TenantID, o.ID, g)
			}
			byKey, err := tx.GroupByKey(g.Key)
			if err != nil || byKey.ID != o.ID || byKey.TenantID != o.TenantID {
				t.Errorf("GroupByKey(%s) = %+v, %v", g.Key, byKey, err)
			}
		}
		gs, err := tx.GroupsOfMember(bob)
		if err != nil || len(gs) != 2 {
			t.Errorf("groups of bob after migration = %d, %v; want 2", len(gs), err)
		}
		gs, err = tx.GroupsOfMember(ann)
		if err != nil || len(gs) != 1 || gs[0].Name != "Sales" {
			t.Errorf("groups of ann after migration = %+v, %v; want Sales", gs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	checkFile(t, path)
}

func TestValidGroupKey(t *testing.T) {
	k, err := NewGroupKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		want bool
	}{{k, true}, {"0123456789abcdef", true}, {"0123456789ABCDEF", false}, {"0123456789abcde", false},
		{"0123456789abcdeg", false}, {"", false}} {
		if got := ValidGroupKey(c.key); got != c.want {
			t.Errorf("ValidGroupKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
}
