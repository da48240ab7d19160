package admin

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// API key format. A key reads
//
//	parley_<id>_<secret>
//
// where id is the key's ID ("k" and 8 hex digits) and secret is 32 random
// bytes in unpadded base64url (43 characters). The fixed prefix lets a
// leaked key be found by grep and by secret scanners. The store keeps only
// the SHA-256 of the whole key: a 256-bit random secret needs no slow hash.
const (
	// APIKeyPrefix starts every API key.
	APIKeyPrefix = "parley_"
	// apiKeySecretBytes is the secret's length before encoding.
	apiKeySecretBytes = 32
	// APIKeyLastUsedEvery is how often a key's last use is written at most:
	// authenticating does not write to the store on every request.
	APIKeyLastUsedEvery = time.Minute
)

// Errors of API keys.
var (
	// ErrBadAPIKey reports an API key that is malformed, unknown, revoked or
	// belongs to a suspended tenant. It never says which of the first two.
	ErrBadAPIKey = errors.New("invalid API key")
	// ErrAPIKeyNotFound reports a key ID that is not one of the tenant's keys.
	// errors.Is(err, ErrNotFound) holds for it too.
	ErrAPIKeyNotFound error = notFoundError("no such API key in this tenant")
)

// notFoundError is a not-found error with its own text.
type notFoundError string

func (e notFoundError) Error() string { return string(e) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e notFoundError) Is(target error) bool { return target == ErrNotFound }

// NewAPIKey is a created API key with its secret, which is shown once and
// never stored.
type NewAPIKey struct {
	Key    store.APIKey
	Secret string
}

// CreateAPIKey creates an API key for the tenant with the given scopes.
// Scopes must be among APIScopes and among what the caller may do itself;
// the key's secret is returned once.
func (s *Service) CreateAPIKey(ctx context.Context, tenant string, scopes []string, label string) (NewAPIKey, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return NewAPIKey{}, err
	}
	p, err := s.authorize(ctx, id, PermAPIKeysWrite)
	if err != nil {
		return NewAPIKey{}, err
	}
	granted, err := checkScopes(p, id, scopes)
	if err != nil {
		return NewAPIKey{}, err
	}
	if label = strings.TrimSpace(label); label != "" {
		if label, err = directory.NormalizePersonName(label); err != nil {
			return NewAPIKey{}, fmt.Errorf("label: %w", err)
		}
	}
	kid, err := s.randomID("k", 4)
	if err != nil {
		return NewAPIKey{}, err
	}
	secret := make([]byte, apiKeySecretBytes)
	if _, err := io.ReadFull(s.rand, secret); err != nil {
		return NewAPIKey{}, fmt.Errorf("read randomness: %w", err)
	}
	token := APIKeyPrefix + kid + "_" + base64.RawURLEncoding.EncodeToString(secret)
	k := store.APIKey{ID: kid, TenantID: id, Hash: hashAPIKey(token), Scopes: granted, Label: label,
		CreatedAt: s.now(), CreatedBy: p.Actor()}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.APIKey(kid); err == nil {
			return fmt.Errorf("create API key: ID %s is taken, try again", kid)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutAPIKey(k); err != nil {
			return err
		}
		return s.record(tx, p, id, "apikey.create", kid, nil, publicAPIKey(k))
	})
	if err != nil {
		return NewAPIKey{}, fmt.Errorf("create API key: %w", err)
	}
	return NewAPIKey{Key: publicAPIKey(k), Secret: token}, nil
}

// checkScopes returns the scopes in APIScopes order, without duplicates,
// after checking that each is an API scope the caller may use itself.
func checkScopes(p *auth.Principal, tenantID string, scopes []string) ([]string, error) {
	valid := APIScopes()
	if len(scopes) == 0 {
		return nil, fmt.Errorf("%w: give at least one scope: %s", ErrInvalid, scopeList(valid))
	}
	want := make(map[Perm]bool, len(scopes))
	for _, sc := range scopes {
		perm := Perm(strings.ToLower(strings.TrimSpace(sc)))
		switch {
		case slices.Contains(valid, perm):
		case slices.Contains(Perms(), perm):
			return nil, fmt.Errorf("%w: scope %s stays with people and cannot be given to an API key; valid scopes: %s",
				ErrInvalid, perm, scopeList(valid))
		default:
			return nil, fmt.Errorf("%w: unknown scope %q; valid scopes: %s", ErrInvalid, clipScope(sc), scopeList(valid))
		}
		if !mayUse(p, tenantID, perm) {
			return nil, fmt.Errorf("%w: you cannot give scope %s, you do not have it yourself", ErrForbidden, perm)
		}
		want[perm] = true
	}
	out := make([]string, 0, len(want))
	for _, perm := range valid {
		if want[perm] {
			out = append(out, string(perm))
		}
	}
	return out, nil
}

// mayUse reports whether the principal holds perm in the tenant (without
// the second-factor check, which authorize already made).
func mayUse(p *auth.Principal, tenantID string, perm Perm) bool {
	if k := p.APIKey; k != nil {
		return k.TenantID == tenantID && slices.Contains(k.Scopes, string(perm))
	}
	return p.IsInstanceAdmin() || RoleAllows(p.Role(tenantID), perm)
}

func scopeList(ps []Perm) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// clipScope shortens untrusted input quoted in an error message.
func clipScope(s string) string {
	const most = 40
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}

// APIKeys lists a tenant's API keys, revoked ones included, oldest first.
// Secrets are never stored; hashes are not returned either.
func (s *Service) APIKeys(ctx context.Context, tenant string) ([]store.APIKey, error) {
	id, err := s.principalTenant(ctx, tenant, PermAPIKeysRead)
	if err != nil {
		return nil, err
	}
	var out []store.APIKey
	err = s.db.View(ctx, func(tx store.Tx) error {
		ks, err := tx.APIKeysOfTenant(id)
		for _, k := range ks {
			out = append(out, publicAPIKey(k))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	slices.SortFunc(out, func(a, b store.APIKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeAPIKey revokes an API key of the tenant: it stops working at once
// and cannot be restored. Another tenant's key reads as not found.
func (s *Service) RevokeAPIKey(ctx context.Context, tenant, keyID string) (store.APIKey, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.APIKey{}, err
	}
	p, err := s.authorize(ctx, id, PermAPIKeysWrite)
	if err != nil {
		return store.APIKey{}, err
	}
	var out store.APIKey
	err = s.db.Update(ctx, func(tx store.Tx) error {
		k, err := tx.APIKey(keyID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.TenantID != id) {
			return fmt.Errorf("%q: %w", clipScope(keyID), ErrAPIKeyNotFound)
		} else if err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		if !k.RevokedAt.IsZero() {
			return fmt.Errorf("%w: API key %s was already revoked on %s", ErrConflict, k.ID, k.RevokedAt.Format(time.DateOnly))
		}
		before := publicAPIKey(k)
		k.RevokedAt = s.now()
		if err := tx.PutAPIKey(k); err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		out = publicAPIKey(k)
		return s.record(tx, p, id, "apikey.revoke", k.ID, before, out)
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return out, nil
}

// AuthenticateAPIKey returns the principal of an API key: the key itself,
// with its tenant and scopes. A malformed, unknown or revoked key, or one
// of a suspended tenant, is ErrBadAPIKey. The key's last use is recorded,
// at most once every APIKeyLastUsedEvery.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*auth.Principal, error) {
	kid, ok := parseAPIKey(secret)
	if !ok {
		return nil, ErrBadAPIKey
	}
	sum := hashAPIKey(secret)
	var k store.APIKey
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		k, err = tx.APIKeyByHash(sum)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ErrBadAPIKey
		case err != nil:
			return err
		case subtle.ConstantTimeCompare(k.Hash, sum) != 1 || k.ID != kid:
			return ErrBadAPIKey
		case !k.RevokedAt.IsZero():
			return fmt.Errorf("%w: it was revoked", ErrBadAPIKey)
		}
		t, err := tx.Tenant(k.TenantID)
		if err != nil {
			return fmt.Errorf("read the key's tenant: %w", err)
		}
		if t.Suspended {
			return fmt.Errorf("%w: its tenant is suspended", ErrBadAPIKey)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrBadAPIKey) {
			return nil, err
		}
		return nil, fmt.Errorf("authenticate API key: %w", err)
	}
	if now := s.now(); now.Sub(k.LastUsed) >= APIKeyLastUsedEvery {
		if err := s.touchAPIKey(ctx, k.ID, now); err != nil {
			// Not worth refusing the request for: the next one tries again.
			s.log.Warn("record API key use", "apikey", k.ID, "err", err)
		} else {
			k.LastUsed = now
		}
	}
	k = publicAPIKey(k)
	return &auth.Principal{APIKey: &k}, nil
}

// touchAPIKey records that a key was used at now, unless a concurrent
// request already did.
func (s *Service) touchAPIKey(ctx context.Context, kid string, now time.Time) error {
	return s.db.Update(ctx, func(tx store.Tx) error {
		k, err := tx.APIKey(kid)
		if err != nil {
			return err
		}
		if now.Sub(k.LastUsed) < APIKeyLastUsedEvery || !k.RevokedAt.IsZero() {
			return nil
		}
		k.LastUsed = now
		return tx.PutAPIKey(k)
	})
}

// APIKeyTenant returns the tenant of the calling API key. A key may always
// learn which tenant it belongs to, whatever its scopes.
func (s *Service) APIKeyTenant(ctx context.Context) (store.Tenant, error) {
	p := s.principal(ctx)
	if p == nil || p.APIKey == nil {
		return store.Tenant{}, ErrForbidden
	}
	return s.dir.Tenant(ctx, p.APIKey.TenantID)
}

// parseAPIKey checks a key's shape and returns its ID.
func parseAPIKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, APIKeyPrefix)
	if !ok {
		return "", false
	}
	kid, secret, ok := strings.Cut(rest, "_")
	if !ok || !validKeyID(kid) || len(secret) != base64.RawURLEncoding.EncodedLen(apiKeySecretBytes) {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", false
	}
	return kid, true
}

// validKeyID accepts "k" and 8 lower-case hex digits.
func validKeyID(s string) bool {
	if len(s) != 9 || s[0] != 'k' {
		return false
	}
	for _, c := range s[1:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func hashAPIKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// publicAPIKey is a key without its hash, for callers and the audit log.
func publicAPIKey(k store.APIKey) store.APIKey {
	k.Hash = nil
	k.Scopes = slices.Clone(k.Scopes)
	return k
}
