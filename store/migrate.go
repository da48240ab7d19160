package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the schema this binary writes.
const SchemaVersion = 5

// migration moves a database from version To-1 to To.
type migration struct {
	To   uint64
	Name string
	Run  func(tx *bolt.Tx) error
}

// migrations returns the ordered migrations. Version 1 is the initial
// schema: every bucket of the package doc.
func migrations() []migration {
	return []migration{
		{To: 1, Name: "initial buckets", Run: func(tx *bolt.Tx) error {
			for _, b := range []string{bMeta, bTenants, bTenantNames, bDomains, bUsers, bUserEmails,
				bTenantUsers, bActivations, bDevices, bUserDevices, bAdmins, bMailbox, bDevStore} {
				if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
					return fmt.Errorf("create bucket %s: %w", b, err)
				}
			}
			return nil
		}},
		{To: 2, Name: "tenant administration", Run: migrateTo2},
		{To: 3, Name: "policies", Run: migrateTo3},
		{To: 4, Name: "group keys", Run: migrateTo4},
		{To: 5, Name: "delivery cursors", Run: migrateTo5},
	}
}

// migrateTo2 adds the buckets of tenant administration, keys admin roles by
// SSH key and tenant (a key may hold a role in several tenants), and turns
// schema 1's per-tenant seat count into a license package without end date.
func migrateTo2(tx *bolt.Tx) error {
	for _, b := range []string{bLicenses, bGroups, bAudit, bAPIKeys, bAPIKeyHashes, bExports, bTOTP, bStats} {
		if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	admins := tx.Bucket([]byte(bAdmins))
	type kv struct{ k, v []byte }
	var old []kv
	if err := admins.ForEach(func(k, v []byte) error {
		if !bytes.Contains(k, []byte{0}) {
			old = append(old, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, e := range old {
		var a Admin
		if err := decode(e.v, &a); err != nil {
			return fmt.Errorf("admin %s: %w", e.k, err)
		}
		if err := admins.Put(adminKey(a.Fingerprint, a.TenantID), e.v); err != nil {
			return err
		}
		if err := admins.Delete(e.k); err != nil {
			return err
		}
	}
	t := &boltTx{tx: tx}
	tenants, err := t.Tenants()
	if err != nil {
		return err
	}
	for _, tn := range tenants {
		if tn.LegacySeats == 0 {
			continue
		}
		l := License{ID: "standard", TenantID: tn.ID, Plan: "standard", Seats: tn.LegacySeats,
			ValidFrom: tn.CreatedAt, CreatedAt: tn.CreatedAt}
		if err := t.PutLicense(l); err != nil {
			return err
		}
		tn.LegacySeats = 0
		if err := t.PutTenant(tn); err != nil {
			return err
		}
	}
	return nil
}

// migrateTo5 adds per-device delivery cursors and their acknowledgements.
// Mailboxes stay as they are: a user's first device to register takes what
// waits.
func migrateTo5(tx *bolt.Tx) error {
	for _, b := range []string{bCursors, bMailAcks} {
		if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// schemaVersion reads meta/schema; 0 for a new file.
func schemaVersion(tx *bolt.Tx) uint64 {
	m := tx.Bucket([]byte(bMeta))
	if m == nil {
		return 0
	}
	v := m.Get([]byte("schema"))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// migrate runs every migration newer than the file's version, one
// transaction each, and records the version reached.
func migrate(db *bolt.DB, ms []migration) error {
	var current uint64
	if err := db.View(func(tx *bolt.Tx) error { current = schemaVersion(tx); return nil }); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := uint64(0)
	if len(ms) > 0 {
		latest = ms[len(ms)-1].To
	}
	if current > latest {
		return fmt.Errorf("file has schema %d, this binary knows %d: %w", current, latest, ErrNewerSchema)
	}
	for i, m := range ms {
		if m.To != uint64(i+1) {
			return fmt.Errorf("migration %q numbered %d at position %d", m.Name, m.To, i)
		}
		if m.To <= current {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			if err := m.Run(tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists([]byte(bMeta))
			if err != nil {
				return err
			}
			var v [8]byte
			binary.BigEndian.PutUint64(v[:], m.To)
			return meta.Put([]byte("schema"), v[:])
		})
		if err != nil {
			return fmt.Errorf("migrate to schema %d (%s): %w", m.To, m.Name, err)
		}
	}
	return nil
}
