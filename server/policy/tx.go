package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// EffectiveTx returns the value in effect of every key for a user of the
// tenant (an individual value wins over the tenant's global one, which wins
// over the default), or for the tenant as a whole when user is zero. A
// stored value the registry no longer accepts is skipped, as if unset. A
// user who is not in the tenant is ErrUnknownUser.
func EffectiveTx(tx store.Tx, tenantID string, user crypto.ID) (Values, error) {
	global, individual, err := levelsTx(tx, tenantID, user)
	if err != nil {
		return nil, err
	}
	keys := registry()
	out := make(Values, len(keys))
	for _, k := range keys {
		out[k.Name] = resolve(k, global, individual)
	}
	return out, nil
}

// EffectiveKeysTx is EffectiveTx for the named keys only: what a check on
// a hot path (every typing notice, every alarm) reads, without resolving
// the whole registry. A name the registry does not know is left out, so
// its Bool reads false and its Int zero.
func EffectiveKeysTx(tx store.Tx, tenantID string, user crypto.ID, names ...string) (Values, error) {
	global, individual, err := levelsTx(tx, tenantID, user)
	if err != nil {
		return nil, err
	}
	out := make(Values, len(names))
	for _, k := range registry() {
		if slices.Contains(names, k.Name) {
			out[k.Name] = resolve(k, global, individual)
		}
	}
	return out, nil
}

// levelsTx reads the tenant's global values and, for a user, their
// individual ones.
func levelsTx(tx store.Tx, tenantID string, user crypto.ID) (global, individual map[string]string, err error) {
	if global, err = tx.PolicyValues(tenantID, crypto.ID{}); err != nil {
		return nil, nil, fmt.Errorf("read policies: %w", err)
	}
	if user.IsZero() {
		return global, nil, nil
	}
	if err := checkUser(tx, tenantID, user); err != nil {
		return nil, nil, err
	}
	if individual, err = tx.PolicyValues(tenantID, user); err != nil {
		return nil, nil, fmt.Errorf("read policies: %w", err)
	}
	return global, individual, nil
}

// resolve picks the value in effect of one key.
func resolve(k Key, global, individual map[string]string) Value {
	if raw, ok := individual[k.Name]; ok && k.PerUser {
		if v, err := k.Normalize(raw); err == nil {
			return Value{Key: k.Name, Raw: v, Source: SourceIndividual}
		}
	}
	if raw, ok := global[k.Name]; ok {
		if v, err := k.Normalize(raw); err == nil {
			return Value{Key: k.Name, Raw: v, Source: SourceGlobal}
		}
	}
	return Value{Key: k.Name, Raw: k.Default, Source: SourceDefault}
}

// SetTx validates value for key and sets it for the tenant (user zero) or
// for one of its users. It returns the value in effect at that level
// before and after. A key that is not PerUser takes no individual value;
// a tenants value must name existing tenants other than this one.
func SetTx(tx store.Tx, tenantID string, user crypto.ID, key, value string) (before, after Value, err error) {
	k, err := checkKey(tx, tenantID, user, key)
	if err != nil {
		return Value{}, Value{}, err
	}
	v, err := k.Normalize(value)
	if err != nil {
		return Value{}, Value{}, err
	}
	if k.Type == TypeTenants {
		if v, err = checkTenants(tx, tenantID, k, v); err != nil {
			return Value{}, Value{}, err
		}
	}
	before, err = effective(tx, tenantID, user, k)
	if err != nil {
		return Value{}, Value{}, err
	}
	if err := tx.PutPolicyValue(tenantID, user, k.Name, v); err != nil {
		return Value{}, Value{}, fmt.Errorf("set policy %s: %w", k.Name, err)
	}
	return before, Value{Key: k.Name, Raw: v, Source: level(user)}, nil
}

// UnsetTx removes the key's value from the tenant (user zero) or from one
// of its users, so that the next level's value applies again. It returns
// the value in effect at that level before; when nothing was set there,
// before.Source is a lower level than the one named and nothing changes.
func UnsetTx(tx store.Tx, tenantID string, user crypto.ID, key string) (before Value, err error) {
	k, err := checkKey(tx, tenantID, user, key)
	if err != nil {
		return Value{}, err
	}
	before, err = effective(tx, tenantID, user, k)
	if err != nil {
		return Value{}, err
	}
	if before.Source != level(user) {
		return before, nil
	}
	if err := tx.DeletePolicyValue(tenantID, user, k.Name); err != nil {
		return Value{}, fmt.Errorf("unset policy %s: %w", k.Name, err)
	}
	return before, nil
}

// level is the source of values set for user (zero: the tenant).
func level(user crypto.ID) Source {
	if user.IsZero() {
		return SourceGlobal
	}
	return SourceIndividual
}

// Changed reports whether a change at a level (user zero: global) turned
// before into after: the same value now set explicitly counts as a change,
// the same value set again at the same level does not.
func Changed(before, after Value) bool { return before != after }

// checkKey looks key up and checks it may be set at the level.
func checkKey(tx store.Tx, tenantID string, user crypto.ID, key string) (Key, error) {
	k, ok := Lookup(strings.TrimSpace(key))
	if !ok {
		return Key{}, unknownKey(key)
	}
	if !user.IsZero() {
		if !k.PerUser {
			return Key{}, invalid("%s applies to the whole tenant: it cannot be set per user", k.Name)
		}
		if err := checkUser(tx, tenantID, user); err != nil {
			return Key{}, err
		}
	}
	return k, nil
}

// checkUser refuses a user who is not in the tenant.
func checkUser(tx store.Tx, tenantID string, user crypto.ID) error {
	u, err := tx.User(user)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.TenantID != tenantID {
		return fmt.Errorf("%w: %s", ErrUnknownUser, user)
	}
	if err != nil {
		return fmt.Errorf("read user: %w", err)
	}
	return nil
}

// checkTenants checks that every name of a tenants value is another
// existing tenant.
func checkTenants(tx store.Tx, tenantID string, k Key, v string) (string, error) {
	if v == "" {
		return v, nil
	}
	for _, name := range strings.Split(v, ",") {
		t, err := tx.TenantByName(name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return "", invalid("%s: no tenant is named %q", k.Name, clip(name))
		case err != nil:
			return "", fmt.Errorf("read tenant: %w", err)
		case t.ID == tenantID:
			return "", invalid("%s: a tenant cannot list itself (%s)", k.Name, name)
		}
	}
	return v, nil
}

// effective returns one key's value in effect at a level.
func effective(tx store.Tx, tenantID string, user crypto.ID, k Key) (Value, error) {
	global, err := tx.PolicyValues(tenantID, crypto.ID{})
	if err != nil {
		return Value{}, fmt.Errorf("read policies: %w", err)
	}
	var individual map[string]string
	if !user.IsZero() {
		if individual, err = tx.PolicyValues(tenantID, user); err != nil {
			return Value{}, fmt.Errorf("read policies: %w", err)
		}
	}
	return resolve(k, global, individual), nil
}
