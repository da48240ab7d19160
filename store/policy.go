package store

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// Schema 3.
const bPolicies = "policies"

// migrateTo3 adds the bucket of policy values.
func migrateTo3(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte(bPolicies)); err != nil {
		return fmt.Errorf("create bucket %s: %w", bPolicies, err)
	}
	return nil
}

// policyPrefix is the key prefix of one level's values: the tenant's
// global values (user zero) or one user's individual values.
func policyPrefix(tenantID string, user crypto.ID) []byte {
	k := append([]byte(tenantID), 0)
	if !user.IsZero() {
		k = append(k, user.String()...)
	}
	return append(k, 0)
}

func (t *boltTx) PolicyValues(tenantID string, user crypto.ID) (map[string]string, error) {
	prefix := policyPrefix(tenantID, user)
	out := map[string]string{}
	c := t.bucket(bPolicies).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var s string
		if err := decode(v, &s); err != nil {
			return nil, fmt.Errorf("policy %q: %w", k[len(prefix):], err)
		}
		out[string(k[len(prefix):])] = s
	}
	return out, nil
}

func (t *boltTx) PutPolicyValue(tenantID string, user crypto.ID, key, value string) error {
	if tenantID == "" || key == "" {
		return errors.New("put policy value: tenant and key are required")
	}
	return t.put(bPolicies, append(policyPrefix(tenantID, user), key...), value)
}

func (t *boltTx) DeletePolicyValue(tenantID string, user crypto.ID, key string) error {
	return t.bucket(bPolicies).Delete(append(policyPrefix(tenantID, user), key...))
}
