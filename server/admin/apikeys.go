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
			s.log.WarnContext(ctx, "record API key use", "apikey", k.ID, "err", err)
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

// APIKeyTenant returns the tenant of the calling API key. A key may
// learn which tenant it belongs to whatever its scopes, as long as its
// creator still holds a role there.
func (s *Service) APIKeyTenant(ctx context.Context) (store.Tenant, error) {
	p := s.principal(ctx)
	if p == nil || p.APIKey == nil {
		return store.Tenant{}, ErrForbidden
	}
	g, err := s.grantOf(ctx, p.APIKey.ID)
	switch {
	case err != nil:
		return store.Tenant{}, err
	case g.revoked:
		return store.Tenant{}, fmt.Errorf("%w: the API key was revoked", ErrForbidden)
	case !g.backed():
		return store.Tenant{}, fmt.Errorf("%w: the admin who created this API key no longer holds a role in its tenant, "+
			"so the key can do nothing: create a new key", ErrForbidden)
	}
	return s.dir.Tenant(ctx, p.APIKey.TenantID)
}

// An API key acts on its creator's authority: its effective scopes are
// its own scopes intersected with what its creator may do in the key's
// tenant now. Both are read again at every call, so a creator who is
// demoted takes scopes from its keys, and one who is removed (or keeps no
// role in the tenant) leaves them refusing everything.

// Why an API call was refused for its creator, as the audit log says it.
const (
	refusedCreatorGone = "creator_gone"       // the creator holds no role in the tenant any more
	refusedCreatorLost = "creator_lost_scope" // the creator no longer holds this scope
)

// keyGrant is an API key as it stands at a call: re-read from the store,
// with what its creator may still do.
type keyGrant struct {
	key store.APIKey
	// creator is the creator's key with the roles it holds now.
	creator *auth.Principal
	// revoked: the key was revoked since it authenticated.
	revoked bool
}

// backed reports whether the creator still holds any role in the key's
// tenant (or administers the instance).
func (g keyGrant) backed() bool {
	return g.creator.IsInstanceAdmin() || g.creator.Role(g.key.TenantID) != ""
}

// holds reports whether the creator may still do perm in the key's tenant.
func (g keyGrant) holds(perm Perm) bool {
	return g.creator.IsInstanceAdmin() || RoleAllows(g.creator.Role(g.key.TenantID), perm)
}

// effective is the key's scopes the creator still backs, in their order.
func (g keyGrant) effective() []string {
	var out []string
	for _, sc := range g.key.Scopes {
		if g.holds(Perm(sc)) {
			out = append(out, sc)
		}
	}
	return out
}

// grantOf reads an API key and its creator's current roles.
func (s *Service) grantOf(ctx context.Context, kid string) (keyGrant, error) {
	var g keyGrant
	err := s.db.View(ctx, func(tx store.Tx) error {
		k, err := tx.APIKey(kid)
		if errors.Is(err, store.ErrNotFound) {
			g.revoked = true
			return nil
		} else if err != nil {
			return err
		}
		g.key, g.revoked = publicAPIKey(k), !k.RevokedAt.IsZero()
		var roles []store.Admin
		if k.CreatedBy != "" && !strings.HasPrefix(k.CreatedBy, "apikey:") {
			if roles, err = tx.AdminRoles(k.CreatedBy); err != nil {
				return err
			}
		}
		g.creator = &auth.Principal{KeyFingerprint: k.CreatedBy, Roles: roles}
		return nil
	})
	if err != nil {
		return keyGrant{}, fmt.Errorf("read API key: %w", err)
	}
	return g, nil
}

// authorizeKey decides for an API key: perm must be among its scopes, in
// its own tenant, and its creator must still hold perm there. A refusal
// for the creator's sake is written to the audit log, with the reason.
// The principal returned carries the effective scopes.
func (s *Service) authorizeKey(ctx context.Context, p *auth.Principal, tenantID string, perm Perm) (*auth.Principal, error) {
	g, err := s.grantOf(ctx, p.APIKey.ID)
	if err != nil {
		return nil, err
	}
	switch {
	case g.revoked:
		return nil, fmt.Errorf("%w: the API key was revoked", ErrForbidden)
	case tenantID == "" || g.key.TenantID != tenantID || !slices.Contains(g.key.Scopes, string(perm)):
		return nil, ErrForbidden
	case !g.backed():
		s.recordRefusal(ctx, p, g, perm, refusedCreatorGone)
		return nil, fmt.Errorf("%w: the admin who created this API key no longer holds a role in its tenant, so the key "+
			"can do nothing: create a new key", ErrForbidden)
	case !g.holds(perm):
		s.recordRefusal(ctx, p, g, perm, refusedCreatorLost)
		return nil, fmt.Errorf("%w: the admin who created this API key no longer holds scope %s", ErrForbidden, perm)
	}
	k := g.key
	k.Scopes = g.effective()
	return &auth.Principal{APIKey: &k, Session: p.Session}, nil
}

// recordRefusal writes an audit entry for an API call refused because the
// key's creator no longer backs it. It does not fail the call's answer:
// the call is refused either way.
// Refusals of one key, scope and reason are written once per
// refusalInterval: the first, then one that counts those left out since.
func (s *Service) recordRefusal(ctx context.Context, p *auth.Principal, g keyGrant, perm Perm, reason string) {
	skipped, write := s.refusals.admit(g.key.ID+" "+string(perm)+" "+reason, s.now())
	if !write {
		return
	}
	refusal := map[string]any{"result": "refused", "scope": string(perm), "reason": reason, "creator": g.key.CreatedBy,
		"effective_scopes": g.effective()}
	if skipped > 0 {
		refusal["refused_since_last_entry"] = skipped
	}
	err := s.db.Update(ctx, func(tx store.Tx) error {
		return s.record(tx, p, g.key.TenantID, "apikey.refuse", g.key.ID, nil, refusal)
	})
	if err != nil {
		s.log.WarnContext(ctx, "record refused API call", "apikey", g.key.ID, "err", err)
	}
}

// EffectiveScopes returns the scopes the calling API key may use now: its
// own, less those its creator no longer holds.
func (s *Service) EffectiveScopes(ctx context.Context) ([]string, error) {
	p := s.principal(ctx)
	if p == nil || p.APIKey == nil {
		return nil, ErrForbidden
	}
	g, err := s.grantOf(ctx, p.APIKey.ID)
	if err != nil {
		return nil, err
	}
	if g.revoked || !g.backed() {
		return nil, nil
	}
	return g.effective(), nil
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
