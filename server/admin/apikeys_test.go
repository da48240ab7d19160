package admin_test

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

var keyFormat = regexp.MustCompile(`^parley_k[0-9a-f]{8}_[A-Za-z0-9_-]{43}$`)

// withPrincipal is a context carrying an authenticated principal.
func withPrincipal(t testing.TB, p *auth.Principal) context.Context {
	t.Helper()
	return auth.With(t.Context(), p)
}

// allScopes are the API scopes as strings.
func allScopes() []string {
	var out []string
	for _, p := range admin.APIScopes() {
		out = append(out, string(p))
	}
	return out
}

// storedKeys returns the API keys of a tenant as stored, less the fixtures.
func (e *env) storedKeys(t testing.TB, tenant store.Tenant) []store.APIKey {
	t.Helper()
	var ks []store.APIKey
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		all, err := tx.APIKeysOfTenant(tenant.ID)
		for _, k := range all {
			if k.Label != "fixture" { // not those the env's apiKey stored
				ks = append(ks, k)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	before := e.auditCount(t)

	nk, err := e.svc.CreateAPIKey(owner, "acme", []string{"users:write", " users:read", "users:read"}, "  HR sync ")
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	if !keyFormat.MatchString(nk.Secret) || !strings.Contains(nk.Secret, nk.Key.ID) {
		t.Errorf("secret %q does not have the documented format or lacks the ID %s", nk.Secret, nk.Key.ID)
	}
	if got, want := nk.Key.Scopes, []string{"users:read", "users:write"}; !slices.Equal(got, want) {
		t.Errorf("scopes = %v, want %v (deduplicated, in APIScopes order)", got, want)
	}
	if nk.Key.Label != "HR sync" || nk.Key.TenantID != e.acme.ID || nk.Key.CreatedBy != "SHA256:owner" || nk.Key.Hash != nil {
		t.Errorf("key = %+v", nk.Key)
	}
	if got, want := e.auditCount(t), before+1; got != want {
		t.Errorf("audit entries = %d, want %d", got, want)
	}
	stored := e.storedKeys(t, e.acme)
	if len(stored) != 1 || len(stored[0].Hash) != 32 || strings.Contains(string(stored[0].Hash), nk.Secret) {
		t.Fatalf("stored keys = %+v, want one with a 32-byte hash", stored)
	}
	entries, err := e.svc.Audit(e.root, "acme", audit.Filter{Action: "apikey."})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit apikey.* = %v, %v", entries, err)
	}
	secretPart := nk.Secret[strings.LastIndexByte(nk.Secret, '_')+1:]
	hashB64 := base64.StdEncoding.EncodeToString(stored[0].Hash)
	if a := string(entries[0].After); strings.Contains(a, secretPart) || strings.Contains(a, hashB64) || !strings.Contains(a, nk.Key.ID) {
		t.Errorf("audit entry holds the secret or the hash, or lacks the ID: %s", a)
	}

	list, err := e.svc.APIKeys(e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"), "acme")
	if err != nil || len(list) != 1 || list[0].ID != nk.Key.ID || list[0].Hash != nil {
		t.Fatalf("APIKeys = %+v, %v; want the key without its hash", list, err)
	}

	p, err := e.svc.AuthenticateAPIKey(t.Context(), nk.Secret)
	if err != nil {
		t.Fatalf("AuthenticateAPIKey: %v", err)
	}
	if p.APIKey == nil || p.APIKey.ID != nk.Key.ID || p.APIKey.TenantID != e.acme.ID || p.APIKey.Hash != nil {
		t.Fatalf("principal = %+v", p.APIKey)
	}
	keyCtx := withPrincipal(t, p)
	if _, err := e.svc.CreateUser(keyCtx, "", directory.UserSpec{Name: "Via Key"}); err != nil {
		t.Errorf("the key cannot use its scope: %v", err)
	}
	if _, err := e.svc.License(keyCtx, ""); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("License without license:read = %v, want ErrForbidden", err)
	}
	if tn, err := e.svc.APIKeyTenant(keyCtx); err != nil || tn.ID != e.acme.ID {
		t.Errorf("APIKeyTenant = %v, %v; want acme", tn.Name, err)
	}
	if _, err := e.svc.APIKeyTenant(owner); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("APIKeyTenant(an SSH key) = %v, want ErrForbidden", err)
	}

	revoked, err := e.svc.RevokeAPIKey(e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin"), "acme", nk.Key.ID)
	if err != nil || revoked.RevokedAt.IsZero() {
		t.Fatalf("RevokeAPIKey = %+v, %v", revoked, err)
	}
	if _, err := e.svc.AuthenticateAPIKey(t.Context(), nk.Secret); !errors.Is(err, admin.ErrBadAPIKey) || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("AuthenticateAPIKey(revoked) = %v, want ErrBadAPIKey saying revoked", err)
	}
	n := e.auditCount(t)
	if _, err := e.svc.RevokeAPIKey(owner, "acme", nk.Key.ID); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("revoking twice = %v, want ErrConflict", err)
	}
	if e.auditCount(t) != n {
		t.Errorf("a refused revocation wrote an audit entry")
	}
}

func TestCreateAPIKeyRefusals(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	tests := []struct {
		name    string
		ctx     context.Context
		tenant  string
		scopes  []string
		label   string
		want    error
		message string
	}{
		{"no scope", owner, "acme", nil, "", admin.ErrInvalid, "give at least one scope: tenant:read, license:read"},
		{"unknown scope", owner, "acme", []string{"users:read", "users:everything"}, "", admin.ErrInvalid,
			`unknown scope "users:everything"; valid scopes: tenant:read, license:read, users:read, users:write`},
		{"scope kept for people", owner, "acme", []string{"apikeys:write"}, "", admin.ErrInvalid, "cannot be given to an API key"},
		{"admin scope", owner, "acme", []string{"admins:write"}, "", admin.ErrInvalid, "cannot be given to an API key"},
		{"label with control characters", owner, "acme", []string{"users:read"}, "a\x1b[31mb", admin.ErrInvalid, "label"},
		{"label too long", owner, "acme", []string{"users:read"}, strings.Repeat("x", 101), admin.ErrInvalid, "label"},
		{"auditor", e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"), "acme", []string{"users:read"}, "", admin.ErrForbidden, ""},
		{"group admin", e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga"), "acme", []string{"users:read"}, "", admin.ErrForbidden, ""},
		{"other tenant's owner", e.admin(t, e.globex, store.RoleOwner, "SHA256:globex"), "acme", []string{"users:read"}, "", admin.ErrForbidden, ""},
		{"stranger", e.as(t, "SHA256:stranger"), "acme", []string{"users:read"}, "", admin.ErrForbidden, ""},
		{"API key", e.apiKey(t, e.acme, admin.APIScopes()...), "acme", []string{"users:read"}, "", admin.ErrForbidden, ""},
		{"scope the caller lacks", e.apiKey(t, e.acme, admin.PermAPIKeysWrite, admin.PermUsersRead), "acme",
			[]string{"users:read", "users:write"}, "", admin.ErrForbidden, "you do not have it yourself"},
		{"no such tenant", owner, "initech", []string{"users:read"}, "", admin.ErrForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.auditCount(t)
			_, err := e.svc.CreateAPIKey(tt.ctx, tt.tenant, tt.scopes, tt.label)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %q, want it to say %q", err, tt.message)
			}
			if got := e.auditCount(t); got != before {
				t.Errorf("a refused call wrote %d audit entries", got-before)
			}
			if ks := e.storedKeys(t, e.acme); len(ks) != 0 {
				t.Errorf("a refused call stored %d keys", len(ks))
			}
		})
	}
	// Every role allowed to create keys may give every API scope.
	for _, ctx := range []context.Context{e.root, owner, e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin")} {
		if _, err := e.svc.CreateAPIKey(ctx, "acme", allScopes(), ""); err != nil {
			t.Errorf("CreateAPIKey(all scopes): %v", err)
		}
	}
}

func TestAuthenticateAPIKey(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	good, err := e.svc.CreateAPIKey(owner, "acme", []string{"users:read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.CreateAPIKey(owner, "acme", []string{"users:read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	globex, err := e.svc.CreateAPIKey(e.root, "globex", []string{"users:read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateAPIKey(t.Context(), good.Secret); err != nil {
		t.Fatalf("the good key fails: %v", err)
	}
	secretOf := func(k admin.NewAPIKey) string { return k.Secret[strings.LastIndexByte(k.Secret, '_')+1:] }
	flip := []byte(good.Secret)
	if flip[len(flip)-2] == 'A' {
		flip[len(flip)-2] = 'B'
	} else {
		flip[len(flip)-2] = 'A'
	}
	bad := []struct{ name, key string }{
		{"empty", ""},
		{"garbage", "hunter2"},
		{"no prefix", strings.TrimPrefix(good.Secret, admin.APIKeyPrefix)},
		{"bearer included", "Bearer " + good.Secret},
		{"one character changed", string(flip)},
		{"truncated", good.Secret[:len(good.Secret)-1]},
		{"extended", good.Secret + "A"},
		{"upper-cased ID", strings.Replace(good.Secret, good.Key.ID, strings.ToUpper(good.Key.ID), 1)},
		{"another key's ID", admin.APIKeyPrefix + other.Key.ID + "_" + secretOf(good)},
		{"well-formed but unknown", admin.APIKeyPrefix + "k00000000_" + strings.Repeat("A", 43)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.AuthenticateAPIKey(t.Context(), tt.key)
			if !errors.Is(err, admin.ErrBadAPIKey) || p != nil {
				t.Fatalf("AuthenticateAPIKey(%q) = %v, %v; want ErrBadAPIKey", tt.key, p, err)
			}
		})
	}

	t.Run("suspended tenant", func(t *testing.T) {
		if _, err := e.svc.SuspendTenant(e.root, "globex", true); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.AuthenticateAPIKey(t.Context(), globex.Secret)
		if !errors.Is(err, admin.ErrBadAPIKey) || !strings.Contains(err.Error(), "suspended") {
			t.Fatalf("err = %v, want ErrBadAPIKey saying suspended", err)
		}
		if _, err := e.svc.SuspendTenant(e.root, "globex", false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateAPIKey(t.Context(), globex.Secret); err != nil {
			t.Fatalf("after resuming: %v", err)
		}
	})
}

func TestAPIKeyLastUsed(t *testing.T) {
	e := newEnv(t)
	nk, err := e.svc.CreateAPIKey(e.root, "acme", []string{"users:read"}, "")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		t.Helper()
		ks := e.storedKeys(t, e.acme)
		if len(ks) != 1 {
			t.Fatalf("keys = %+v", ks)
		}
		return ks[0].LastUsed
	}
	if !lastUsed().IsZero() {
		t.Fatalf("a new key was used at %v", lastUsed())
	}
	start := e.clock.Now()
	audits := e.auditCount(t)
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, start},
		{30 * time.Second, start},             // within the minute: no write
		{29 * time.Second, start},             // still within
		{time.Second, start.Add(time.Minute)}, // a minute since the last write
		{time.Hour, start.Add(time.Hour + time.Minute)},
	}
	for i, s := range steps {
		e.clock.Advance(s.advance)
		p, err := e.svc.AuthenticateAPIKey(t.Context(), nk.Secret)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := lastUsed(); !got.Equal(s.want) {
			t.Errorf("step %d: stored last use = %v, want %v", i, got, s.want)
		}
		if got := p.APIKey.LastUsed; !got.Equal(s.want) {
			t.Errorf("step %d: principal's last use = %v, want %v", i, got, s.want)
		}
	}
	if e.auditCount(t) != audits {
		t.Errorf("authenticating wrote audit entries")
	}
}

func TestAPIKeyTenantIsolation(t *testing.T) {
	e := newEnv(t)
	acmeOwner := e.admin(t, e.acme, store.RoleOwner, "SHA256:acme")
	globexOwner := e.admin(t, e.globex, store.RoleOwner, "SHA256:globex")
	acmeKey, err := e.svc.CreateAPIKey(acmeOwner, "acme", allScopes(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	gil := e.user(t, e.globex, "Gil Globex")
	before := e.auditCount(t)

	if _, err := e.svc.APIKeys(globexOwner, "acme"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("globex owner lists acme's keys: %v", err)
	}
	if ks, err := e.svc.APIKeys(globexOwner, "globex"); err != nil || len(ks) != 0 {
		t.Errorf("globex's keys = %+v, %v; want none", ks, err)
	}
	if _, err := e.svc.RevokeAPIKey(globexOwner, "acme", acmeKey.Key.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("globex owner revokes in acme: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.RevokeAPIKey(globexOwner, "globex", acmeKey.Key.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("globex owner revokes acme's key in globex: %v, want ErrNotFound", err)
	}
	if e.auditCount(t) != before {
		t.Errorf("refused calls wrote audit entries")
	}

	p, err := e.svc.AuthenticateAPIKey(t.Context(), acmeKey.Secret)
	if err != nil {
		t.Fatal(err)
	}
	key := withPrincipal(t, p)
	if _, err := e.svc.Users(key, "globex", directory.UserFilter{}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("acme's key lists globex's users: %v", err)
	}
	if _, err := e.svc.User(key, "", gil.User.ID); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("acme's key reads globex's user: %v, want not found", err)
	}
	if _, err := e.svc.APIKeys(key, ""); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an API key lists API keys: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.RevokeAPIKey(key, "", acmeKey.Key.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an API key revokes itself: %v, want ErrForbidden", err)
	}
}

func TestRevokeUnknownAPIKey(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.RevokeAPIKey(e.root, "acme", "k12345678")
	if !errors.Is(err, admin.ErrAPIKeyNotFound) || !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("err = %v, want ErrAPIKeyNotFound and ErrNotFound", err)
	}
	if got, want := err.Error(), `"k12345678": no such API key in this tenant`; got != want {
		t.Errorf("err = %q, want %q", got, want)
	}
}
