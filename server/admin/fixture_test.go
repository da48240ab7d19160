package admin_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// clock is the injected clock: it stands still until the test moves it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is the admin service over a real store in a temporary directory,
// with two tenants, "acme" and "globex", each with an owner.
type env struct {
	db    *store.Bolt
	dir   *directory.Service
	svc   *admin.Service
	clock *clock
	// root is an instance admin's context.
	root context.Context
	// acme and globex are the two tenants.
	acme, globex store.Tenant
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	c := &clock{now: time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)}
	log := slog.New(slog.DiscardHandler)
	dir := directory.New(db, directory.Config{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, Now: c.Now, Logger: log})
	e := &env{db: db, dir: dir, svc: admin.New(db, dir, admin.Config{Now: c.Now, Logger: log}), clock: c}
	if err := dir.EnsureInstanceAdmin(t.Context(), "SHA256:root", "ssh-ed25519 AAAA root"); err != nil {
		t.Fatal(err)
	}
	e.root = e.as(t, "SHA256:root")
	e.acme = e.tenant(t, "acme", "acme.example")
	e.globex = e.tenant(t, "globex", "globex.example")
	return e
}

// tenant creates a tenant with 10 seats as the instance admin.
func (e *env) tenant(t testing.TB, name string, domains ...string) store.Tenant {
	t.Helper()
	tn, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: name, Seats: 10, Domains: domains})
	if err != nil {
		t.Fatalf("CreateTenant(%q): %v", name, err)
	}
	return tn
}

// as returns a context whose principal is the SSH key with this
// fingerprint, with the roles the store holds for it.
func (e *env) as(t testing.TB, fingerprint string) context.Context {
	t.Helper()
	u, roles, err := e.dir.Resolve(t.Context(), fingerprint)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", fingerprint, err)
	}
	return auth.With(t.Context(), &auth.Principal{KeyFingerprint: fingerprint, AuthorizedKey: "ssh-ed25519 AAAA " + fingerprint,
		User: u, Roles: roles, Session: "test"})
}

// admin stores an admin key with a role in a tenant (directly, as a
// fixture) and returns its context. groups scopes a group admin.
func (e *env) admin(t testing.TB, tenant store.Tenant, role store.Role, fingerprint string, groups ...string) context.Context {
	t.Helper()
	err := e.db.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutAdmin(store.Admin{Fingerprint: fingerprint, AuthorizedKey: "ssh-ed25519 AAAA " + fingerprint, Role: role,
			TenantID: tenant.ID, Groups: groups, Label: string(role) + " of " + tenant.Name, AddedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e.as(t, fingerprint)
}

// apiKey returns a context whose principal is an API key of the tenant
// with these scopes, created by the instance admin (a fixture: the key is
// stored directly, without a secret).
func (e *env) apiKey(t testing.TB, tenant store.Tenant, scopes ...admin.Perm) context.Context {
	t.Helper()
	return e.apiKeyBy(t, tenant, "SHA256:root", scopes...)
}

// apiKeyBy is apiKey with the key's creator, an admin key's fingerprint.
func (e *env) apiKeyBy(t testing.TB, tenant store.Tenant, creator string, scopes ...admin.Perm) context.Context {
	t.Helper()
	k := &store.APIKey{TenantID: tenant.ID, Label: "fixture", CreatedAt: e.clock.Now(), CreatedBy: creator}
	for _, s := range scopes {
		k.Scopes = append(k.Scopes, string(s))
	}
	// One stored key per tenant, creator and scopes.
	sum := sha256.Sum256([]byte(tenant.ID + "\x00" + creator + "\x00" + strings.Join(k.Scopes, ",")))
	k.ID, k.Hash = fmt.Sprintf("k%x", sum[:4]), sum[:]
	if err := e.db.Update(t.Context(), func(tx store.Tx) error { return tx.PutAPIKey(*k) }); err != nil {
		t.Fatal(err)
	}
	return auth.With(t.Context(), &auth.Principal{APIKey: k, Session: "test"})
}

// user creates a user in a tenant as the instance admin.
func (e *env) user(t testing.TB, tenant store.Tenant, name string) admin.NewUser {
	t.Helper()
	nu, err := e.svc.CreateUser(e.root, tenant.Name, directory.UserSpec{Name: name})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return nu
}

// auditCount returns the number of entries in the audit log.
func (e *env) auditCount(t testing.TB) uint64 {
	t.Helper()
	var n uint64
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		n, _, err = tx.AuditHead()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
