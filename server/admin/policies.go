package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Policies: every change is checked by package policy, recorded as
// "policy.set" or "policy.unset" with the value in effect before and after,
// and announced on the policy bus once it committed. A nil user means the
// tenant's global value.

// SetPolicy sets a policy value for the tenant, or for one of its users.
// It returns the value now in effect at that level.
func (s *Service) SetPolicy(ctx context.Context, tenant string, user *crypto.ID, key, value string) (policy.Value, error) {
	id, p, uid, err := s.policyCaller(ctx, tenant, user, PermPoliciesWrite)
	if err != nil {
		return policy.Value{}, err
	}
	var after policy.Value
	var changed bool
	err = s.db.Update(ctx, func(tx store.Tx) error {
		var before policy.Value
		var err error
		before, after, err = policy.SetTx(tenantNamesFor(tx, p), id, uid, key, value)
		if err == nil {
			err = s.withinCeiling(after)
		}
		if err != nil {
			return err
		}
		changed = policy.Changed(before, after)
		if !changed {
			return nil
		}
		return s.record(tx, p, id, "policy.set", policyTarget(uid, after.Key), before, after)
	})
	if err != nil {
		return policy.Value{}, policyError(err)
	}
	if changed {
		s.policies.Publish(id, uid)
	}
	return after, nil
}

// UnsetPolicy removes a policy value from the tenant, or from one of its
// users, so that the next level's applies again. Removing a value that is
// not set changes nothing and is no error.
func (s *Service) UnsetPolicy(ctx context.Context, tenant string, user *crypto.ID, key string) error {
	id, p, uid, err := s.policyCaller(ctx, tenant, user, PermPoliciesWrite)
	if err != nil {
		return err
	}
	var changed bool
	err = s.db.Update(ctx, func(tx store.Tx) error {
		before, err := policy.UnsetTx(tx, id, uid, key)
		if err != nil {
			return err
		}
		changed = before.Source == policyLevel(uid)
		if !changed {
			return nil
		}
		vs, err := policy.EffectiveTx(tx, id, uid)
		if err != nil {
			return err
		}
		return s.record(tx, p, id, "policy.unset", policyTarget(uid, before.Key), before, vs[before.Key])
	})
	if err != nil {
		return policyError(err)
	}
	if changed {
		s.policies.Publish(id, uid)
	}
	return nil
}

// Policies returns the value in effect of every key, with its source, for
// the tenant or for one of its users, in the registry's order.
func (s *Service) Policies(ctx context.Context, tenant string, user *crypto.ID) ([]policy.Value, error) {
	id, _, uid, err := s.policyCaller(ctx, tenant, user, PermPoliciesRead)
	if err != nil {
		return nil, err
	}
	var vs policy.Values
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		vs, err = policy.EffectiveTx(tx, id, uid)
		return err
	})
	if err != nil {
		return nil, policyError(err)
	}
	out := make([]policy.Value, 0, len(vs))
	for _, k := range policy.Registry() {
		out = append(out, vs[k.Name])
	}
	return out, nil
}

// ExportPoliciesCSV writes the tenant's policy values that are set (global
// ones, then each user's) as policy CSV, which ImportPoliciesCSV reads back.
func (s *Service) ExportPoliciesCSV(ctx context.Context, tenant string, w io.Writer) error {
	id, err := s.principalTenant(ctx, tenant, PermPoliciesRead)
	if err != nil {
		return err
	}
	var rows []policy.Row
	err = s.db.View(ctx, func(tx store.Tx) error {
		rows = nil
		add := func(uid crypto.ID) error {
			set, err := tx.PolicyValues(id, uid)
			if err != nil {
				return err
			}
			for _, key := range slices.Sorted(maps.Keys(set)) {
				k, ok := policy.Lookup(key)
				if !ok || !uid.IsZero() && !k.PerUser {
					continue
				}
				if v, err := k.Normalize(set[key]); err == nil {
					rows = append(rows, policy.Row{User: uid, Key: key, Value: v})
				}
			}
			return nil
		}
		if err := add(crypto.ID{}); err != nil {
			return err
		}
		users, err := tx.UsersOfTenant(id)
		if err != nil {
			return err
		}
		slices.SortFunc(users, func(a, b store.User) int { return cmpID(a.ID, b.ID) })
		for _, u := range users {
			if err := add(u.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read policies: %w", err)
	}
	return policy.WriteCSV(w, rows)
}

// ImportPoliciesCSV sets the tenant's policy values from a policy CSV file,
// all or nothing: every line is checked, and when any is wrong nothing
// changes and the error, a *directory.BatchError, lists the problems by
// line. Keys the file does not name stay as they are. It returns how many
// values changed; each gets its audit entry.
func (s *Service) ImportPoliciesCSV(ctx context.Context, tenant string, r io.Reader) (int, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return 0, err
	}
	p, err := s.authorize(ctx, id, PermPoliciesWrite)
	if err != nil {
		return 0, err
	}
	rows, err := policy.ParseCSV(r)
	if err != nil {
		return 0, policyError(err)
	}
	var changed []crypto.ID
	err = s.db.Update(ctx, func(tx store.Tx) error {
		changed = changed[:0]
		problems := &policy.CSVError{}
		for _, row := range rows {
			before, after, err := policy.SetTx(tenantNamesFor(tx, p), id, row.User, row.Key, row.Value)
			if err == nil {
				err = s.withinCeiling(after)
			}
			if errors.Is(err, policy.ErrInvalid) || errors.Is(err, policy.ErrUnknownUser) {
				problems.Add(row.Line, err)
				continue
			} else if err != nil {
				return err
			}
			if !policy.Changed(before, after) {
				continue
			}
			if err := s.record(tx, p, id, "policy.set", policyTarget(row.User, row.Key), before, after); err != nil {
				return err
			}
			changed = append(changed, row.User)
		}
		return problems.Err()
	})
	if err != nil {
		return 0, policyError(err)
	}
	switch {
	case slices.Contains(changed, crypto.ID{}):
		s.policies.Publish(id, crypto.ID{})
	default:
		slices.SortFunc(changed, cmpID)
		for _, uid := range slices.Compact(changed) {
			s.policies.Publish(id, uid)
		}
	}
	return len(changed), nil
}

// policyCaller resolves the tenant, checks perm and returns the user ID
// (zero for the tenant).
func (s *Service) policyCaller(ctx context.Context, tenant string, user *crypto.ID, perm Perm) (string, *auth.Principal, crypto.ID, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return "", nil, crypto.ID{}, err
	}
	p, err := s.authorize(ctx, id, perm)
	if err != nil {
		return "", nil, crypto.ID{}, err
	}
	var uid crypto.ID
	if user != nil {
		uid = *user
	}
	return id, p, uid, nil
}

// policyLevel is the source of values set at a level.
func policyLevel(uid crypto.ID) policy.Source {
	if uid.IsZero() {
		return policy.SourceGlobal
	}
	return policy.SourceIndividual
}

// policyTarget names what a policy audit entry is about: the key, after
// the user's ID for an individual value.
func policyTarget(uid crypto.ID, key string) string {
	if uid.IsZero() {
		return key
	}
	return uid.String() + " " + key
}

func cmpID(a, b crypto.ID) int { return slices.Compare(a[:], b[:]) }

// policyError maps the policy package's errors onto the service's: bad
// input is ErrInvalid (a refused file a *directory.BatchError), a user of
// another tenant directory.ErrUserNotFound. The text stays the policy's.
// withinCeiling refuses a value above the operator's ceiling for its key.
// The transaction that set it is then rolled back.
func (s *Service) withinCeiling(v policy.Value) error {
	ceiling, ok := s.ceilings[v.Key]
	if !ok || ceiling <= 0 {
		return nil
	}
	if n, err := strconv.ParseInt(v.Raw, 10, 64); err == nil && n > ceiling {
		return policy.Invalidf("%s %d: this server allows at most %d (the operator's limit)", v.Key, n, ceiling)
	}
	return nil
}

func policyError(err error) error {
	var ce *policy.CSVError
	switch {
	case errors.As(err, &ce):
		be := &directory.BatchError{More: ce.More}
		for _, p := range ce.Problems {
			be.Problems = append(be.Problems, directory.RowError{Line: p.Line, Err: p.Err})
		}
		return be
	case errors.Is(err, policy.ErrUnknownUser):
		return markedError{mark: directory.ErrUserNotFound, err: err}
	case errors.Is(err, policy.ErrInvalid):
		return markedError{mark: ErrInvalid, err: err}
	}
	return err
}

// markedError is err with the text it has, also matching mark for
// errors.Is.
type markedError struct{ mark, err error }

func (e markedError) Error() string   { return e.err.Error() }
func (e markedError) Unwrap() []error { return []error{e.mark, e.err} }

// tenantNamesFor returns the transaction a policy change reads tenant
// names through. Only instance admins may learn which tenants exist: for
// everyone else a name no tenant has reads like the name of a tenant
// they cannot see, so that setting parley_cross_tenant to it succeeds
// alike and does not tell whether such a tenant exists. Listing a name
// that belongs to no tenant does nothing: cross-tenant messaging needs
// both tenants to list each other, and a tenant made later under that
// name has to list this one back before anything opens.
func tenantNamesFor(tx store.Tx, p *auth.Principal) store.Tx {
	if p.IsInstanceAdmin() {
		return tx
	}
	return unseenTenants{tx}
}

// unseenTenants answers a name no tenant has with a tenant that matches
// none: its ID is no tenant's.
type unseenTenants struct{ store.Tx }

func (t unseenTenants) TenantByName(name string) (store.Tenant, error) {
	tn, err := t.Tx.TenantByName(name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{ID: "\x00unseen:" + name, Name: name}, nil
	}
	return tn, err
}
