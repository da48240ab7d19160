package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// policyCache keeps the effective policy values of users and the names of
// tenants, so the check the relay makes for every envelope reads no store.
// It exists only with a policy bus: every policy change is published there
// and drops what it may have changed. Tenant names never change, so they
// stay.
type policyCache struct {
	mu      sync.Mutex
	gen     uint64                                 // bumped by every drop: a read that began before it is not cached
	values  map[string]map[crypto.ID]policy.Values // tenant → user → effective values
	names   map[string]string                      // tenant ID → name
	enabled bool
}

func newPolicyCache(bus *policy.Bus) *policyCache {
	c := &policyCache{values: map[string]map[crypto.ID]policy.Values{}, names: map[string]string{}}
	if bus != nil {
		c.enabled = true
		// The directory lives as long as the bus: the subscription is never cancelled.
		bus.Subscribe(c.drop)
	}
	return c
}

// drop forgets the values a change may have affected: one user's, or with
// the zero ID every user's of the tenant.
func (c *policyCache) drop(tenantID string, user crypto.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if user.IsZero() {
		delete(c.values, tenantID)
		return
	}
	delete(c.values[tenantID], user)
}

// policyOf is one user's effective values with its tenant's name.
type policyOf struct {
	values policy.Values
	tenant string
}

// effective returns the effective values of users (all of tenants[i]) and
// their tenants' names, from the cache when it can, else in one read.
func (s *Service) effective(ctx context.Context, users ...store.User) ([]policyOf, error) {
	out := make([]policyOf, len(users))
	c := s.policies
	c.mu.Lock()
	gen := c.gen
	missing := false
	for i, u := range users {
		v, ok := c.values[u.TenantID][u.ID]
		name, named := c.names[u.TenantID]
		out[i] = policyOf{values: v, tenant: name}
		missing = missing || !ok || !named || !c.enabled
	}
	c.mu.Unlock()
	if !missing {
		return out, nil
	}
	err := s.db.View(ctx, func(tx store.Tx) error {
		for i, u := range users {
			v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
			if err != nil {
				return err
			}
			t, err := tx.Tenant(u.TenantID)
			if err != nil {
				return fmt.Errorf("tenant of user: %w", err)
			}
			out[i] = policyOf{values: v, tenant: t.Name}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !c.enabled {
		return out, nil
	}
	c.mu.Lock()
	for i, u := range users {
		c.names[u.TenantID] = out[i].tenant
		if c.gen != gen { // a policy changed since the read began
			continue
		}
		m := c.values[u.TenantID]
		if m == nil {
			m = map[crypto.ID]policy.Values{}
			c.values[u.TenantID] = m
		}
		m[u.ID] = out[i].values
	}
	c.mu.Unlock()
	return out, nil
}

// crossTenant reports whether the tenants named a and b both list each
// other in parley_cross_tenant; av and bv are effective values of a user of
// each.
func crossTenant(a string, av policy.Values, b string, bv policy.Values) bool {
	return listsTenant(av.String(policy.CrossTenant), b) && listsTenant(bv.String(policy.CrossTenant), a)
}

// listsTenant reports whether a comma-separated list of tenant names holds name.
func listsTenant(list, name string) bool {
	return slices.ContainsFunc(strings.Split(list, ","), func(n string) bool {
		return strings.EqualFold(strings.TrimSpace(n), name)
	})
}
