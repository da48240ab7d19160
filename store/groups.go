package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// Group kinds.
const (
	// GroupManaged is a group an admin created: fixed membership.
	GroupManaged = "managed"
	// GroupUser is a group a user created; its admins change it.
	GroupUser = "user"
)

// GroupKeyLen is the length of a group key: 8 random bytes in lower-case hex.
const GroupKeyLen = 16

// ErrGroupKeyTaken reports a group key another group holds already.
var ErrGroupKeyTaken = errors.New("group key is taken")

// Schema 4.
const (
	bGroupKeys    = "group_keys"    // <key> → <tenant id> 0x00 <group id>
	bMemberGroups = "member_groups" // <Parley ID> <key> → empty
)

// NewGroupKey returns a random group key.
func NewGroupKey() (string, error) {
	var b [GroupKeyLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("group key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ValidGroupKey reports whether key has the shape of a group key.
func ValidGroupKey(key string) bool {
	if len(key) != GroupKeyLen {
		return false
	}
	for _, c := range []byte(key) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// migrateTo4 adds the group indexes, gives every group a key and indexes
// its members.
func migrateTo4(tx *bolt.Tx) error {
	for _, b := range []string{bGroupKeys, bMemberGroups} {
		if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	t := &boltTx{tx: tx}
	var gs []Group
	if err := t.bucket(bGroups).ForEach(func(k, v []byte) error {
		var g Group
		if err := decode(v, &g); err != nil {
			return fmt.Errorf("group %q: %w", k, err)
		}
		gs = append(gs, g)
		return nil
	}); err != nil {
		return err
	}
	for _, g := range gs {
		for g.Key == "" || t.bucket(bGroupKeys).Get([]byte(g.Key)) != nil {
			k, err := NewGroupKey()
			if err != nil {
				return err
			}
			g.Key = k
		}
		if err := t.PutGroup(g); err != nil {
			return fmt.Errorf("group %s/%s: %w", g.TenantID, g.ID, err)
		}
	}
	return nil
}

func memberGroupKey(id crypto.ID, key string) []byte {
	return append(append([]byte(nil), id[:]...), key...)
}

func (t *boltTx) GroupByKey(key string) (Group, error) {
	if !ValidGroupKey(key) {
		return Group{}, ErrNotFound
	}
	ref := t.bucket(bGroupKeys).Get([]byte(key))
	if ref == nil {
		return Group{}, ErrNotFound
	}
	tenantID, id, ok := bytes.Cut(ref, []byte{0})
	if !ok {
		return Group{}, fmt.Errorf("group key index: %w", ErrCorrupt)
	}
	g, err := t.Group(string(tenantID), string(id))
	if err != nil {
		return Group{}, fmt.Errorf("group key index %s: %w", key, err)
	}
	return g, nil
}

func (t *boltTx) GroupsOfMember(id crypto.ID) ([]Group, error) {
	var out []Group
	c := t.bucket(bMemberGroups).Cursor()
	for k, _ := c.Seek(id[:]); k != nil && bytes.HasPrefix(k, id[:]); k, _ = c.Next() {
		g, err := t.GroupByKey(string(k[len(id):]))
		if err != nil {
			return nil, fmt.Errorf("member index: %w", err)
		}
		out = append(out, g)
	}
	return out, nil
}

func (t *boltTx) PutGroup(g Group) error {
	if g.Key != "" && !ValidGroupKey(g.Key) {
		return fmt.Errorf("group key %q: not %d lower-case hex characters", g.Key, GroupKeyLen)
	}
	ref := tenantKey(g.TenantID, g.ID)
	if g.Key != "" {
		if held := t.bucket(bGroupKeys).Get([]byte(g.Key)); held != nil && !bytes.Equal(held, ref) {
			return fmt.Errorf("%w: %s", ErrGroupKeyTaken, g.Key)
		}
	}
	old, err := t.Group(g.TenantID, g.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		if err := t.unindexGroup(old, g); err != nil {
			return err
		}
	}
	if err := t.put(bGroups, ref, g); err != nil {
		return err
	}
	if g.Key == "" {
		return nil
	}
	if err := t.bucket(bGroupKeys).Put([]byte(g.Key), ref); err != nil {
		return err
	}
	mg := t.bucket(bMemberGroups)
	for _, m := range g.Members {
		if err := mg.Put(memberGroupKey(m, g.Key), nil); err != nil {
			return err
		}
	}
	return nil
}

// unindexGroup removes the index entries of old that next (zero: none)
// no longer has.
func (t *boltTx) unindexGroup(old, next Group) error {
	if old.Key == "" {
		return nil
	}
	mg := t.bucket(bMemberGroups)
	for _, m := range old.Members {
		if old.Key == next.Key && slices.Contains(next.Members, m) {
			continue
		}
		if err := mg.Delete(memberGroupKey(m, old.Key)); err != nil {
			return err
		}
	}
	if old.Key != next.Key {
		return t.bucket(bGroupKeys).Delete([]byte(old.Key))
	}
	return nil
}

func (t *boltTx) DeleteGroup(tenantID, id string) error {
	old, err := t.Group(tenantID, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	if err := t.unindexGroup(old, Group{}); err != nil {
		return err
	}
	return t.bucket(bGroups).Delete(tenantKey(tenantID, id))
}
