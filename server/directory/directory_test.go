package directory_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// fakeClock is the injected clock: it stands still until the test moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// scriptedRand serves queued bytes first and crypto/rand after them, so a
// test can choose the next activation code.
type scriptedRand struct {
	mu   sync.Mutex
	next []byte
}

func (r *scriptedRand) Queue(b []byte) {
	r.mu.Lock()
	r.next = append(r.next, b...)
	r.mu.Unlock()
}

func (r *scriptedRand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.next) > 0 {
		n := copy(p, r.next)
		r.next = r.next[n:]
		return n, nil
	}
	return rand.Read(p)
}

// env is a directory over a real store in a temporary directory.
type env struct {
	db    *store.Bolt
	dir   *directory.Service
	clock *fakeClock
}

// cheapKDF keeps Argon2id fast in tests.
var cheapKDF = crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

func newEnv(t testing.TB, configure ...func(*directory.Config)) *env {
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
	clock := newFakeClock()
	cfg := directory.Config{
		KDF:    cheapKDF,
		Now:    clock.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range configure {
		f(&cfg)
	}
	return &env{db: db, dir: directory.New(db, cfg), clock: clock}
}

const passphrase = "correct horse battery"

func (e *env) tenant(t testing.TB, name string, domains ...string) store.Tenant {
	t.Helper()
	tn, err := e.dir.CreateTenant(t.Context(), directory.TenantSpec{Name: name, Seats: 10, Domains: domains}, nil)
	if err != nil {
		t.Fatalf("CreateTenant(%q): %v", name, err)
	}
	return tn
}

func (e *env) user(t testing.TB, tenantID, name, email string) (store.User, directory.Code) {
	t.Helper()
	u, c, err := e.dir.CreateUser(t.Context(), directory.UserSpec{TenantID: tenantID, Name: name, Email: email}, nil)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u, c
}

func (e *env) activate(t testing.TB, code, fingerprint string) store.User {
	t.Helper()
	u, err := e.dir.Activate(t.Context(), directory.ActivateSpec{
		Code: code, Fingerprint: fingerprint, AuthorizedKey: "ssh-ed25519 AAAA " + fingerprint, Passphrase: []byte(passphrase),
	})
	if err != nil {
		t.Fatalf("Activate(%q, %q): %v", code, fingerprint, err)
	}
	return u
}

// activeUser creates and activates a user with the key fingerprint.
func (e *env) activeUser(t testing.TB, tenantID, name, fingerprint string) store.User {
	t.Helper()
	_, c := e.user(t, tenantID, name, "")
	return e.activate(t, c.Code, fingerprint)
}

func (e *env) tenants(t testing.TB) []store.Tenant {
	t.Helper()
	ts, err := e.dir.Tenants(t.Context())
	if err != nil {
		t.Fatalf("Tenants: %v", err)
	}
	return ts
}

func (e *env) users(t testing.TB, tenantID string) []directory.UserInfo {
	t.Helper()
	us, err := e.dir.Users(t.Context(), tenantID)
	if err != nil {
		t.Fatalf("Users(%s): %v", tenantID, err)
	}
	return us
}

// stored reads a user straight from the store, sealed key included.
func (e *env) stored(t testing.TB, id crypto.ID) store.User {
	t.Helper()
	var u store.User
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	if err != nil {
		t.Fatalf("read user %s: %v", id, err)
	}
	return u
}

func (e *env) update(t testing.TB, fn func(store.Tx) error) {
	t.Helper()
	if err := e.db.Update(t.Context(), fn); err != nil {
		t.Fatalf("update store: %v", err)
	}
}

func (e *env) resolveUser(t testing.TB, fingerprint string) *store.User {
	t.Helper()
	u, _, err := e.dir.Resolve(t.Context(), fingerprint)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", fingerprint, err)
	}
	return u
}

var codeRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

// --- tenants ---

func TestCreateTenant(t *testing.T) {
	tests := []struct {
		name string
		spec directory.TenantSpec
		want store.Tenant
	}{
		{
			name: "valid",
			spec: directory.TenantSpec{Name: "acme", Seats: 10, Domains: []string{"acme.example"}},
			want: store.Tenant{Name: "acme", Domains: []string{"acme.example"}},
		},
		{
			name: "name lower-cased and trimmed",
			spec: directory.TenantSpec{Name: "  ACME-Corp ", Seats: 1},
			want: store.Tenant{Name: "acme-corp"},
		},
		{
			name: "63 characters",
			spec: directory.TenantSpec{Name: strings.Repeat("a", 63)},
			want: store.Tenant{Name: strings.Repeat("a", 63)},
		},
		{
			name: "leading digit",
			spec: directory.TenantSpec{Name: "9lives"},
			want: store.Tenant{Name: "9lives"},
		},
		{
			name: "most seats",
			spec: directory.TenantSpec{Name: "big", Seats: directory.MaxSeats},
			want: store.Tenant{Name: "big"},
		},
		{
			name: "domains normalised and deduplicated in order",
			spec: directory.TenantSpec{Name: "dup", Domains: []string{"Acme.Example", " acme.example ", "mail.acme.example", "ACME.EXAMPLE"}},
			want: store.Tenant{Name: "dup", Domains: []string{"acme.example", "mail.acme.example"}},
		},
	}
	idRE := regexp.MustCompile(`^t[0-9a-f]{16}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			got, err := e.dir.CreateTenant(t.Context(), tt.spec, nil)
			if err != nil {
				t.Fatalf("CreateTenant(%+v): %v", tt.spec, err)
			}
			if !idRE.MatchString(got.ID) {
				t.Errorf("ID = %q, want t + 16 hex digits", got.ID)
			}
			want := tt.want
			want.ID = got.ID
			want.CreatedAt = e.clock.Now()
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("CreateTenant returned (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]store.Tenant{want}, e.tenants(t), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Tenants() after CreateTenant (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateTenantRefusesInvalid(t *testing.T) {
	tests := []struct {
		name string
		spec directory.TenantSpec
	}{
		{"empty name", directory.TenantSpec{Name: ""}},
		{"blank name", directory.TenantSpec{Name: "   "}},
		{"space inside", directory.TenantSpec{Name: "acme corp"}},
		{"leading dash", directory.TenantSpec{Name: "-acme"}},
		{"64 characters", directory.TenantSpec{Name: strings.Repeat("a", 64)}},
		{"long", directory.TenantSpec{Name: strings.Repeat("a", 1000)}},
		{"NUL", directory.TenantSpec{Name: "ac\x00me"}},
		{"newline", directory.TenantSpec{Name: "ac\nme"}},
		{"escape", directory.TenantSpec{Name: "\x1b[31macme"}},
		{"bidi override", directory.TenantSpec{Name: "acme\u202e"}},
		{"underscore", directory.TenantSpec{Name: "acme_corp"}},
		{"dot", directory.TenantSpec{Name: "acme.corp"}},
		{"non-ASCII letter", directory.TenantSpec{Name: "bäckerei"}},
		{"negative seats", directory.TenantSpec{Name: "acme", Seats: -1}},
		{"too many seats", directory.TenantSpec{Name: "acme", Seats: directory.MaxSeats + 1}},
		{"domain without dot", directory.TenantSpec{Name: "acme", Domains: []string{"localhost"}}},
		{"empty domain", directory.TenantSpec{Name: "acme", Domains: []string{""}}},
		{"domain with space", directory.TenantSpec{Name: "acme", Domains: []string{"ac me.example"}}},
		{"domain label leading dash", directory.TenantSpec{Name: "acme", Domains: []string{"-acme.example"}}},
		{"domain is an address", directory.TenantSpec{Name: "acme", Domains: []string{"ada@acme.example"}}},
		{"one bad domain among good", directory.TenantSpec{Name: "acme", Domains: []string{"acme.example", "bad_domain.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.dir.CreateTenant(t.Context(), tt.spec, nil)
			if !errors.Is(err, directory.ErrInvalid) {
				t.Fatalf("CreateTenant(%+v) error = %v, want ErrInvalid", tt.spec, err)
			}
			if got := e.tenants(t); len(got) != 0 {
				t.Errorf("Tenants() after refusal = %+v, want none", got)
			}
		})
	}
}

func TestCreateTenantDuplicateName(t *testing.T) {
	for _, name := range []string{"acme", "ACME", " Acme "} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.tenant(t, "acme", "acme.example")
			before := e.tenants(t)
			_, err := e.dir.CreateTenant(t.Context(), directory.TenantSpec{Name: name, Domains: []string{"other.example"}}, nil)
			if !errors.Is(err, directory.ErrTenantExists) {
				t.Fatalf("CreateTenant(%q) error = %v, want ErrTenantExists", name, err)
			}
			if diff := cmp.Diff(before, e.tenants(t)); diff != "" {
				t.Errorf("Tenants() changed (-before +after):\n%s", diff)
			}
			// The refused request claimed nothing.
			e.tenant(t, "other", "other.example")
		})
	}
}

func TestCreateTenantDomainTaken(t *testing.T) {
	e := newEnv(t)
	e.tenant(t, "acme", "acme.example")
	before := e.tenants(t)

	_, err := e.dir.CreateTenant(t.Context(), directory.TenantSpec{
		Name: "rival", Domains: []string{"rival.example", "ACME.example"},
	}, nil)
	if !errors.Is(err, directory.ErrDomainTaken) {
		t.Fatalf("CreateTenant with a taken domain: error = %v, want ErrDomainTaken", err)
	}
	if diff := cmp.Diff(before, e.tenants(t)); diff != "" {
		t.Errorf("Tenants() changed (-before +after):\n%s", diff)
	}
	// Neither the name nor the free domain of the refused request was written.
	if _, err := e.dir.TenantByName(t.Context(), "rival"); !errors.Is(err, directory.ErrTenantNotFound) {
		t.Errorf("TenantByName(rival) error = %v, want ErrTenantNotFound", err)
	}
	e.tenant(t, "rival", "rival.example")
}

func TestTenantLookups(t *testing.T) {
	e := newEnv(t)
	zeta := e.tenant(t, "zeta")
	acme := e.tenant(t, "acme")
	mid := e.tenant(t, "mid")

	if diff := cmp.Diff([]store.Tenant{acme, mid, zeta}, e.tenants(t), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Tenants() not sorted by name (-want +got):\n%s", diff)
	}

	got, err := e.dir.TenantByName(t.Context(), " ACME ")
	if err != nil {
		t.Fatalf("TenantByName(ACME): %v", err)
	}
	if diff := cmp.Diff(acme, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("TenantByName(ACME) (-want +got):\n%s", diff)
	}
	got, err = e.dir.Tenant(t.Context(), mid.ID)
	if err != nil {
		t.Fatalf("Tenant(%s): %v", mid.ID, err)
	}
	if diff := cmp.Diff(mid, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Tenant(id) (-want +got):\n%s", diff)
	}

	errTests := []struct {
		name string
		call func() error
		want error
	}{
		{"unknown name", func() error { _, err := e.dir.TenantByName(t.Context(), "nobody"); return err }, directory.ErrTenantNotFound},
		{"invalid name", func() error { _, err := e.dir.TenantByName(t.Context(), "no body"); return err }, directory.ErrInvalid},
		{"unknown id", func() error { _, err := e.dir.Tenant(t.Context(), "t0000000000000000"); return err }, directory.ErrTenantNotFound},
		{"users of unknown tenant", func() error { _, err := e.dir.Users(t.Context(), "tnope"); return err }, directory.ErrTenantNotFound},
	}
	for _, tt := range errTests {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// --- users ---

func TestCreateUser(t *testing.T) {
	tests := []struct {
		name      string
		domains   []string
		spec      directory.UserSpec
		wantName  string
		wantEmail string
	}{
		{name: "name only", spec: directory.UserSpec{Name: "Ada Lovelace"}, wantName: "Ada Lovelace"},
		{name: "name trimmed", spec: directory.UserSpec{Name: "  Ada \t"}, wantName: "Ada"},
		{name: "unicode name", spec: directory.UserSpec{Name: "Zoë Ñúñez 李"}, wantName: "Zoë Ñúñez 李"},
		{name: "100 characters", spec: directory.UserSpec{Name: strings.Repeat("é", 100)}, wantName: strings.Repeat("é", 100)},
		{
			name: "e-mail domain lower-cased, local part kept", domains: []string{"acme.example"},
			spec:     directory.UserSpec{Name: "Ada", Email: " Ada.L@ACME.Example "},
			wantName: "Ada", wantEmail: "Ada.L@acme.example",
		},
		{
			name:     "tenant without domains takes any free domain",
			spec:     directory.UserSpec{Name: "Ada", Email: "ada@free.example"},
			wantName: "Ada", wantEmail: "ada@free.example",
		},
		{
			name: "second domain of the tenant", domains: []string{"acme.example", "acme.test"},
			spec:     directory.UserSpec{Name: "Ada", Email: "ada@acme.test"},
			wantName: "Ada", wantEmail: "ada@acme.test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tn := e.tenant(t, "acme", tt.domains...)
			spec := tt.spec
			spec.TenantID = tn.ID
			u, code, err := e.dir.CreateUser(t.Context(), spec, nil)
			if err != nil {
				t.Fatalf("CreateUser(%+v): %v", spec, err)
			}
			if parsed, err := crypto.ParseID(u.ID.String()); err != nil || parsed != u.ID {
				t.Errorf("user ID %q is not a valid Parley ID: %v", u.ID, err)
			}
			if !codeRE.MatchString(code.Code) {
				t.Errorf("code = %q, want XXXX-XXXX-XXXX-XXXX of Crockford base32", code.Code)
			}
			now := e.clock.Now()
			if want := now.Add(7 * 24 * time.Hour); !code.ExpiresAt.Equal(want) {
				t.Errorf("code expires at %v, want %v", code.ExpiresAt, want)
			}
			want := store.User{
				ID: u.ID, TenantID: tn.ID, Name: tt.wantName, Email: tt.wantEmail,
				Status: store.UserPending, CreatedAt: now,
			}
			if diff := cmp.Diff(want, u, cmpopts.IgnoreFields(store.User{}, "ActivationHash")); diff != "" {
				t.Errorf("CreateUser returned (-want +got):\n%s", diff)
			}
			if len(u.ActivationHash) != 0 {
				t.Error("CreateUser exposes the hash of the outstanding code")
			}
			got, err := e.dir.User(t.Context(), u.ID)
			if err != nil {
				t.Fatalf("User(%s): %v", u.ID, err)
			}
			if diff := cmp.Diff(u, got); diff != "" {
				t.Errorf("User(id) (-created +read):\n%s", diff)
			}
			if diff := cmp.Diff([]directory.UserInfo{{User: u}}, e.users(t, tn.ID), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Users() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateUserIDsAndCodesAreDistinct(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	ids := make(map[crypto.ID]bool)
	codes := make(map[string]bool)
	for range 50 {
		u, c := e.user(t, tn.ID, "Same Name", "")
		if ids[u.ID] || codes[c.Code] {
			t.Fatalf("duplicate ID %s or code %s", u.ID, c.Code)
		}
		ids[u.ID], codes[c.Code] = true, true
	}
	if got := len(e.users(t, tn.ID)); got != 50 {
		t.Errorf("Users() has %d users, want 50", got)
	}
}

func TestCreateUserRefused(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	other := e.tenant(t, "other", "other.example")
	open := e.tenant(t, "open")
	e.user(t, acme.ID, "Ada", "ada@acme.example")
	e.user(t, open.ID, "Bob", "bob@free.example")

	tests := []struct {
		name string
		spec directory.UserSpec
		want error
	}{
		{"empty name", directory.UserSpec{TenantID: acme.ID, Name: ""}, directory.ErrInvalid},
		{"blank name", directory.UserSpec{TenantID: acme.ID, Name: " \t "}, directory.ErrInvalid},
		{"101 characters", directory.UserSpec{TenantID: acme.ID, Name: strings.Repeat("é", 101)}, directory.ErrInvalid},
		{"newline in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\nAdmin"}, directory.ErrInvalid},
		{"escape sequence in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\x1b[31m"}, directory.ErrInvalid},
		{"NUL in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\x00"}, directory.ErrInvalid},
		{"C1 control in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\u009b"}, directory.ErrInvalid},
		{"right-to-left override in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\u202eevil"}, directory.ErrInvalid},
		{"bidi isolate in name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\u2067x"}, directory.ErrInvalid},
		{"invalid UTF-8 name", directory.UserSpec{TenantID: acme.ID, Name: "Eve\xff"}, directory.ErrInvalid},
		{"not an address", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "eve"}, directory.ErrInvalid},
		{"address with display name", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "Eve <eve@acme.example>"}, directory.ErrInvalid},
		{"address without dot in domain", directory.UserSpec{TenantID: open.ID, Name: "Eve", Email: "eve@localhost"}, directory.ErrInvalid},
		{"two addresses", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "eve@acme.example, ada@acme.example"}, directory.ErrInvalid},
		{"duplicate e-mail", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "ada@acme.example"}, directory.ErrEmailTaken},
		{"duplicate e-mail in other case", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "ADA@ACME.EXAMPLE"}, directory.ErrEmailTaken},
		{"duplicate e-mail across tenants", directory.UserSpec{TenantID: open.ID, Name: "Eve", Email: "BOB@free.example"}, directory.ErrEmailTaken},
		{"e-mail in another tenant's domain", directory.UserSpec{TenantID: open.ID, Name: "Eve", Email: "eve@other.example"}, directory.ErrDomainTaken},
		{"e-mail in another tenant's domain, own domains", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "eve@Other.Example"}, directory.ErrDomainTaken},
		{"e-mail outside the tenant's domains", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "eve@free.example"}, directory.ErrInvalid},
		{"e-mail in a subdomain of the tenant's domain", directory.UserSpec{TenantID: acme.ID, Name: "Eve", Email: "eve@mail.acme.example"}, directory.ErrInvalid},
		{"unknown tenant", directory.UserSpec{TenantID: "t0000000000000000", Name: "Eve"}, directory.ErrTenantNotFound},
		{"empty tenant", directory.UserSpec{TenantID: "", Name: "Eve"}, directory.ErrTenantNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make(map[string][]directory.UserInfo)
			for _, tn := range []store.Tenant{acme, other, open} {
				before[tn.ID] = e.users(t, tn.ID)
			}
			u, c, err := e.dir.CreateUser(t.Context(), tt.spec, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("CreateUser(%+v) error = %v, want %v", tt.spec, err, tt.want)
			}
			if !u.ID.IsZero() || c.Code != "" {
				t.Errorf("CreateUser refused but returned user %s and code %q", u.ID, c.Code)
			}
			for _, tn := range []store.Tenant{acme, other, open} {
				if diff := cmp.Diff(before[tn.ID], e.users(t, tn.ID)); diff != "" {
					t.Errorf("Users(%s) changed (-before +after):\n%s", tn.Name, diff)
				}
			}
		})
	}
}

func TestCreateUserSuspendedTenant(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	tn.Suspended = true
	e.update(t, func(tx store.Tx) error { return tx.PutTenant(tn) })

	_, _, err := e.dir.CreateUser(t.Context(), directory.UserSpec{TenantID: tn.ID, Name: "Ada"}, nil)
	if !errors.Is(err, directory.ErrTenantSuspended) {
		t.Fatalf("CreateUser in a suspended tenant: error = %v, want ErrTenantSuspended", err)
	}
	if got := e.users(t, tn.ID); len(got) != 0 {
		t.Errorf("Users() = %+v, want none", got)
	}
}

func TestRandomnessFailure(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	broken := directory.New(e.db, directory.Config{
		KDF: cheapKDF, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
		Rand: iotest.ErrReader(io.ErrUnexpectedEOF),
	})
	if _, err := broken.CreateTenant(t.Context(), directory.TenantSpec{Name: "other"}, nil); err == nil {
		t.Error("CreateTenant without randomness succeeded, want an error")
	}
	if _, _, err := broken.CreateUser(t.Context(), directory.UserSpec{TenantID: tn.ID, Name: "Ada"}, nil); err == nil {
		t.Error("CreateUser without randomness succeeded, want an error")
	}
	if got := e.tenants(t); len(got) != 1 {
		t.Errorf("Tenants() = %+v, want only acme", got)
	}
	if got := e.users(t, tn.ID); len(got) != 0 {
		t.Errorf("Users() = %+v, want none", got)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	other := e.tenant(t, "other")
	carol, _ := e.user(t, tn.ID, "carol", "")
	_, bobCode := e.user(t, tn.ID, "Bob", "")
	alice, _ := e.user(t, tn.ID, "alice", "")
	e.user(t, other.ID, "Aaron", "")

	e.clock.Advance(time.Hour)
	bob := e.activate(t, bobCode.Code, "SHA256:bob")
	if len(e.stored(t, bob.ID).SealedKey) == 0 {
		t.Fatal("the store holds no sealed key for an active user; the test below would prove nothing")
	}

	got := e.users(t, tn.ID)
	want := []directory.UserInfo{
		{User: alice},
		{User: bob, Devices: []store.Device{{
			Fingerprint: "SHA256:bob", UserID: bob.ID, AuthorizedKey: "ssh-ed25519 AAAA SHA256:bob",
			AddedAt: e.clock.Now(), LastSeen: e.clock.Now(),
		}}},
		{User: carol},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Users() (-want +got):\n%s", diff)
	}
	for _, u := range got {
		if u.SealedKey != nil {
			t.Errorf("Users() lists %s with its sealed key", u.Name)
		}
	}
}

func TestUsersSameNameOrderedByID(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	for range 5 {
		e.user(t, tn.ID, "Sam", "")
	}
	e.user(t, tn.ID, "sam", "")
	got := e.users(t, tn.ID)
	for i := 1; i < len(got); i++ {
		if got[i-1].ID.String() > got[i].ID.String() {
			t.Errorf("users with equal names not ordered by ID: %s before %s", got[i-1].ID, got[i].ID)
		}
	}
}

func TestUserUnknown(t *testing.T) {
	e := newEnv(t)
	id, err := crypto.ParseID("ZZZZ9999")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dir.User(t.Context(), id); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("User(unknown) error = %v, want ErrUserNotFound", err)
	}
}

// --- activation ---

func TestActivate(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	created, code := e.user(t, tn.ID, "Ada", "")
	const fp = "SHA256:ada-laptop"

	checked, err := e.dir.CheckActivation(t.Context(), code.Code, fp)
	if err != nil {
		t.Fatalf("CheckActivation: %v", err)
	}
	if diff := cmp.Diff(created, checked); diff != "" {
		t.Errorf("CheckActivation returned (-created +got):\n%s", diff)
	}
	if u := e.resolveUser(t, fp); u != nil {
		t.Fatalf("CheckActivation bound the key to %s; it must change nothing", u.ID)
	}

	e.clock.Advance(time.Hour)
	got, err := e.dir.Activate(t.Context(), directory.ActivateSpec{
		Code: code.Code, Fingerprint: fp, AuthorizedKey: "ssh-ed25519 AAAA ada", Passphrase: []byte(passphrase),
	})
	if err != nil {
		t.Fatalf("Activate: %v", err)
	}
	if got.PublicKey.IsZero() {
		t.Error("activated user has a zero public key")
	}
	want := created
	want.Status = store.UserActive
	want.PublicKey = got.PublicKey
	want.ActivatedAt = e.clock.Now()
	want.ActivationHash = nil
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Activate returned (-want +got):\n%s", diff)
	}

	resolved := e.resolveUser(t, fp)
	if resolved == nil {
		t.Fatal("Resolve(fingerprint) = nil user after activation")
	}
	if diff := cmp.Diff(want, *resolved, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Resolve(fingerprint) (-want +got):\n%s", diff)
	}
	// The directory's own read sees the activation (no stale cache).
	read, err := e.dir.User(t.Context(), got.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if read.Status != store.UserActive || read.PublicKey != got.PublicKey || read.SealedKey != nil {
		t.Errorf("User(id) after activation = status %s, key %s, sealed %d bytes; want active, %s, none",
			read.Status, read.PublicKey, len(read.SealedKey), got.PublicKey)
	}
	st := e.stored(t, got.ID)
	if len(st.SealedKey) == 0 || st.ActivationHash != nil {
		t.Errorf("stored user: %d bytes sealed key, activation hash %x; want a sealed key and no hash", len(st.SealedKey), st.ActivationHash)
	}
	if _, err := crypto.OpenSecretKey([]byte(passphrase), st.SealedKey, got.PublicKey); err != nil {
		t.Errorf("the stored sealed key does not open with the passphrase: %v", err)
	}
	if params, err := crypto.SealedParams(st.SealedKey); err != nil || params != cheapKDF {
		t.Errorf("sealed with %+v (%v), want the configured %+v", params, err, cheapKDF)
	}
}

func TestActivateCodeIsSingleUse(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	e.activate(t, code.Code, "SHA256:first")

	if _, err := e.dir.CheckActivation(t.Context(), code.Code, "SHA256:second"); !errors.Is(err, directory.ErrCodeUsed) {
		t.Errorf("CheckActivation of a used code: error = %v, want ErrCodeUsed", err)
	}
	_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:second", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
	if !errors.Is(err, directory.ErrCodeUsed) {
		t.Fatalf("second Activate: error = %v, want ErrCodeUsed", err)
	}
	if got := e.resolveUser(t, "SHA256:second"); got != nil {
		t.Errorf("the second key resolves to %s, want nothing", got.ID)
	}
	if got := e.users(t, tn.ID); len(got) != 1 || len(got[0].Devices) != 1 || got[0].ID != u.ID {
		t.Errorf("Users() = %+v, want one user with one device", got)
	}
}

func TestActivateExpiry(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		name  string
		ttl   time.Duration // 0: the default
		after time.Duration
		want  error
	}{
		{"just before the default expiry", 0, week - time.Second, nil},
		{"at the default expiry", 0, week, directory.ErrCodeExpired},
		{"past the default expiry", 0, week + time.Minute, directory.ErrCodeExpired},
		{"long past", 0, 365 * 24 * time.Hour, directory.ErrCodeExpired},
		{"configured TTL, before", time.Hour, 59 * time.Minute, nil},
		{"configured TTL, after", time.Hour, time.Hour + time.Nanosecond, directory.ErrCodeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *directory.Config) { c.ActivationTTL = tt.ttl })
			tn := e.tenant(t, "acme")
			u, code := e.user(t, tn.ID, "Ada", "")
			wantTTL := tt.ttl
			if wantTTL == 0 {
				wantTTL = week
			}
			if !code.ExpiresAt.Equal(e.clock.Now().Add(wantTTL)) {
				t.Errorf("ExpiresAt = %v, want now + %v", code.ExpiresAt, wantTTL)
			}
			e.clock.Advance(tt.after)
			before := e.users(t, tn.ID)

			if _, err := e.dir.CheckActivation(t.Context(), code.Code, "SHA256:ada"); !errors.Is(err, tt.want) {
				t.Errorf("CheckActivation error = %v, want %v", err, tt.want)
			}
			_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Activate error = %v, want %v", err, tt.want)
			}
			if tt.want == nil {
				return
			}
			if diff := cmp.Diff(before, e.users(t, tn.ID)); diff != "" {
				t.Errorf("a refused activation changed the users (-before +after):\n%s", diff)
			}
			if got := e.stored(t, u.ID); got.Status != store.UserPending || !got.PublicKey.IsZero() || got.SealedKey != nil {
				t.Errorf("after an expired code the user is %s with key %s, want pending without keys", got.Status, got.PublicKey)
			}
			if got := e.resolveUser(t, "SHA256:ada"); got != nil {
				t.Errorf("the key resolves to %s after a refused activation", got.ID)
			}
		})
	}
}

func TestActivateUnknownCode(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	other := "0000-0000-0000-0000"
	if code.Code == other {
		other = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
	}
	for _, c := range []string{
		"",
		"garbage",
		other,                        // well-formed, never issued
		code.Code[:len(code.Code)-1], // one character short
		code.Code + "0",              // one character long
		strings.Replace(code.Code, "-", "_", 1),
		"UUUU-UUUU-UUUU-UUUU", // U is not in the alphabet
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		strings.Repeat("A", 10000),
	} {
		if _, err := e.dir.CheckActivation(t.Context(), c, "SHA256:x"); !errors.Is(err, directory.ErrCodeUnknown) {
			t.Errorf("CheckActivation(%q) error = %v, want ErrCodeUnknown", c, err)
		}
		_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: c, Fingerprint: "SHA256:x", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
		if !errors.Is(err, directory.ErrCodeUnknown) {
			t.Errorf("Activate(%q) error = %v, want ErrCodeUnknown", c, err)
		}
	}
	if got := e.resolveUser(t, "SHA256:x"); got != nil {
		t.Errorf("the key resolves to %s after unknown codes", got.ID)
	}
	// The real code still works.
	e.activate(t, code.Code, "SHA256:x")
}

func TestActivateKeyBoundToAnotherUser(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	ada, adaCode := e.user(t, tn.ID, "Ada", "")
	bob, bobCode := e.user(t, tn.ID, "Bob", "")
	const fp = "SHA256:shared"
	e.activate(t, adaCode.Code, fp)

	if _, err := e.dir.CheckActivation(t.Context(), bobCode.Code, fp); !errors.Is(err, directory.ErrKeyBound) {
		t.Errorf("CheckActivation with a bound key: error = %v, want ErrKeyBound", err)
	}
	_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: bobCode.Code, Fingerprint: fp, AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
	if !errors.Is(err, directory.ErrKeyBound) {
		t.Fatalf("Activate with a bound key: error = %v, want ErrKeyBound", err)
	}
	if got := e.stored(t, bob.ID); got.Status != store.UserPending || !got.PublicKey.IsZero() {
		t.Errorf("Bob is %s with key %s, want pending without a key", got.Status, got.PublicKey)
	}
	if got := e.resolveUser(t, fp); got == nil || got.ID != ada.ID {
		t.Errorf("the shared key resolves to %v, want Ada %s", got, ada.ID)
	}
	// Bob's code was not spent.
	if got := e.activate(t, bobCode.Code, "SHA256:bob"); got.ID != bob.ID {
		t.Errorf("Bob's code activated %s, want %s", got.ID, bob.ID)
	}
}

func TestActivateBadPassphrase(t *testing.T) {
	tests := []struct {
		name string
		pass []byte
	}{
		{"empty", nil},
		{"seven characters", []byte("1234567")},
		{"seven characters, multi-byte", []byte("ééééééé")},
		{"invalid UTF-8", []byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7")},
		{"too long", []byte(strings.Repeat("x", crypto.MaxPassphraseLen+1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tn := e.tenant(t, "acme")
			u, code := e.user(t, tn.ID, "Ada", "")
			_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: tt.pass})
			if !errors.Is(err, directory.ErrInvalid) {
				t.Fatalf("Activate with passphrase %q: error = %v, want ErrInvalid", tt.pass, err)
			}
			if got := e.stored(t, u.ID); got.Status != store.UserPending {
				t.Errorf("user is %s after a refused passphrase, want pending", got.Status)
			}
			if got := e.resolveUser(t, "SHA256:ada"); got != nil {
				t.Errorf("the key resolves to %s after a refused passphrase", got.ID)
			}
			// The code still works.
			e.activate(t, code.Code, "SHA256:ada")
		})
	}
}

func TestActivateEightCharacterPassphrase(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	u, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte("äöüßäöüß")})
	if err != nil {
		t.Fatalf("Activate with an eight-character passphrase: %v", err)
	}
	sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte("äöüßäöüß"))
	if err != nil {
		t.Fatalf("OpenSecretKey: %v", err)
	}
	sk.Wipe()
}

func TestActivateForgivingCode(t *testing.T) {
	// These ten bytes make the code 0000-0000-1111-1111, so the I/L/O
	// substitutions have something to act on.
	zerosAndOnes := []byte{0, 0, 0, 0, 0, 0x08, 0x42, 0x10, 0x84, 0x21}
	tests := []struct {
		name   string
		script []byte // the next random bytes, drawn for the code first
		typed  func(code string) string
	}{
		{"as issued", nil, func(c string) string { return c }},
		{"lower case", nil, strings.ToLower},
		{"without dashes", nil, func(c string) string { return strings.ReplaceAll(c, "-", "") }},
		{"spaces for dashes", nil, func(c string) string { return strings.ReplaceAll(c, "-", " ") }},
		{"surrounding spaces", nil, func(c string) string { return "  " + c + " " }},
		{"lower case without dashes", nil, func(c string) string { return strings.ToLower(strings.ReplaceAll(c, "-", "")) }},
		{"O for 0, I for 1", zerosAndOnes, func(c string) string {
			return strings.NewReplacer("0", "O", "1", "I").Replace(c)
		}},
		{"o for 0, l for 1, no dashes", zerosAndOnes, func(c string) string {
			return strings.NewReplacer("0", "o", "1", "l", "-", "").Replace(c)
		}},
		{"mixed", zerosAndOnes, func(c string) string { return "oOo0 0oOo iIlL-1lLi" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRand{}
			e := newEnv(t, func(c *directory.Config) { c.Rand = r })
			tn := e.tenant(t, "acme")
			r.Queue(tt.script)
			u, code := e.user(t, tn.ID, "Ada", "")
			if tt.script != nil && code.Code != "0000-0000-1111-1111" {
				t.Fatalf("scripted code = %q, want 0000-0000-1111-1111", code.Code)
			}
			typed := tt.typed(code.Code)
			if got, err := e.dir.CheckActivation(t.Context(), typed, "SHA256:ada"); err != nil || got.ID != u.ID {
				t.Fatalf("CheckActivation(%q) = %s, %v; want %s", typed, got.ID, err, u.ID)
			}
			if got := e.activate(t, typed, "SHA256:ada"); got.ID != u.ID {
				t.Errorf("Activate(%q) activated %s, want %s", typed, got.ID, u.ID)
			}
			// Every spelling names the same, now used, code.
			if _, err := e.dir.CheckActivation(t.Context(), code.Code, "SHA256:other"); !errors.Is(err, directory.ErrCodeUsed) {
				t.Errorf("CheckActivation(issued spelling) after use: error = %v, want ErrCodeUsed", err)
			}
		})
	}
}

func TestActivateRevokedUser(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	e.update(t, func(tx store.Tx) error {
		st, err := tx.User(u.ID)
		if err != nil {
			return err
		}
		st.Status = store.UserRevoked
		return tx.PutUser(st)
	})
	_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
	if !errors.Is(err, directory.ErrNotActive) {
		t.Fatalf("Activate of a revoked ID: error = %v, want ErrNotActive", err)
	}
	if got := e.stored(t, u.ID).Status; got != store.UserRevoked {
		t.Errorf("status = %s, want revoked", got)
	}
}

func TestActivateSuspendedTenant(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	tn.Suspended = true
	e.update(t, func(tx store.Tx) error { return tx.PutTenant(tn) })

	_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
	if !errors.Is(err, directory.ErrTenantSuspended) {
		t.Fatalf("Activate in a suspended tenant: error = %v, want ErrTenantSuspended", err)
	}
	if got := e.stored(t, u.ID).Status; got != store.UserPending {
		t.Errorf("status = %s, want pending", got)
	}
}

func TestActivateCancelledContext(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := e.dir.Activate(ctx, directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:ada", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Activate with a cancelled context: error = %v, want context.Canceled", err)
	}
	if got := e.stored(t, u.ID).Status; got != store.UserPending {
		t.Errorf("status = %s, want pending", got)
	}
	e.activate(t, code.Code, "SHA256:ada")
}

// --- unlocking ---

func TestOpenSecretKey(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u := e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	pending, _ := e.user(t, tn.ID, "Bob", "")
	unknown, err := crypto.ParseID("ZZZZ9999")
	if err != nil {
		t.Fatal(err)
	}

	sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase))
	if err != nil {
		t.Fatalf("OpenSecretKey(right passphrase): %v", err)
	}
	if got := sk.Public(); !got.Equal(u.PublicKey) {
		t.Errorf("opened key's public key = %s, want the user's %s", got, u.PublicKey)
	}
	sk.Wipe()

	tests := []struct {
		name string
		id   crypto.ID
		pass string
		want error
	}{
		{"wrong passphrase", u.ID, "wrong horse battery", directory.ErrWrongPassphrase},
		{"pending user", pending.ID, passphrase, directory.ErrNotActive},
		{"unknown user", unknown, passphrase, directory.ErrUserNotFound},
	}
	for _, tt := range tests {
		e.clock.Advance(time.Hour) // outlast any throttle
		sk, err := e.dir.OpenSecretKey(t.Context(), tt.id, []byte(tt.pass))
		if !errors.Is(err, tt.want) || sk != nil {
			t.Errorf("%s: OpenSecretKey = %v, %v; want nil, %v", tt.name, sk, err, tt.want)
		}
	}
}

func TestOpenSecretKeyThrottle(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	ada := e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	bob := e.activeUser(t, tn.ID, "Bob", "SHA256:bob")

	open := func(id crypto.ID, pass string) error {
		t.Helper()
		sk, err := e.dir.OpenSecretKey(t.Context(), id, []byte(pass))
		if sk != nil {
			sk.Wipe()
		}
		return err
	}
	wantThrottled := func(step string, id crypto.ID, want time.Duration) {
		t.Helper()
		// Even the right passphrase is not tried while throttled.
		err := open(id, passphrase)
		if !errors.Is(err, directory.ErrThrottled) {
			t.Fatalf("%s: error = %v, want ErrThrottled", step, err)
		}
		var te *directory.ThrottledError
		if !errors.As(err, &te) {
			t.Fatalf("%s: error %v is not a *ThrottledError", step, err)
		}
		if te.RetryAfter != want {
			t.Errorf("%s: RetryAfter = %v, want %v", step, te.RetryAfter, want)
		}
	}
	wantWrong := func(step string, id crypto.ID) {
		t.Helper()
		if err := open(id, "not the passphrase"); !errors.Is(err, directory.ErrWrongPassphrase) {
			t.Fatalf("%s: error = %v, want ErrWrongPassphrase", step, err)
		}
	}

	wantWrong("first failure", ada.ID)
	wantThrottled("right after the first failure", ada.ID, time.Second)
	if err := open(bob.ID, passphrase); err != nil {
		t.Errorf("another user is throttled too: %v", err)
	}
	e.clock.Advance(400 * time.Millisecond)
	wantThrottled("0.4 s after the first failure", ada.ID, 600*time.Millisecond)

	e.clock.Advance(600 * time.Millisecond)
	wantWrong("second failure", ada.ID)
	wantThrottled("right after the second failure", ada.ID, 2*time.Second)

	e.clock.Advance(2 * time.Second)
	wantWrong("third failure", ada.ID)
	wantThrottled("right after the third failure", ada.ID, 4*time.Second)
	e.clock.Advance(4*time.Second - time.Nanosecond)
	wantThrottled("just before the wait is over", ada.ID, time.Nanosecond)

	e.clock.Advance(time.Nanosecond)
	if err := open(ada.ID, passphrase); err != nil {
		t.Fatalf("right passphrase after waiting: %v", err)
	}
	// The success reset the count: the next failure waits 1 s again.
	wantWrong("failure after a success", ada.ID)
	wantThrottled("right after the failure after a success", ada.ID, time.Second)

	var te *directory.ThrottledError
	err := open(ada.ID, passphrase)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "try again in 1s") {
		t.Errorf("throttled error text = %q, want it to say when to try again", err)
	}
}

func TestOpenSecretKeyThrottleGrowthAndCap(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u := e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	want := []time.Duration{
		1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second,
		5 * time.Minute, 5 * time.Minute, 5 * time.Minute,
	}
	for i, w := range want {
		if _, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte("not the passphrase")); !errors.Is(err, directory.ErrWrongPassphrase) {
			t.Fatalf("failure %d: error = %v, want ErrWrongPassphrase", i+1, err)
		}
		var te *directory.ThrottledError
		if _, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase)); !errors.As(err, &te) {
			t.Fatalf("after failure %d: error = %v, want a *ThrottledError", i+1, err)
		}
		if te.RetryAfter != w {
			t.Errorf("after failure %d: RetryAfter = %v, want %v", i+1, te.RetryAfter, w)
		}
		e.clock.Advance(te.RetryAfter)
	}

	// An hour after the last failure the count is forgotten.
	e.clock.Advance(time.Hour + time.Second)
	if _, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte("not the passphrase")); !errors.Is(err, directory.ErrWrongPassphrase) {
		t.Fatalf("failure after an hour: error = %v, want ErrWrongPassphrase", err)
	}
	var te *directory.ThrottledError
	if _, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase)); !errors.As(err, &te) || te.RetryAfter != time.Second {
		t.Errorf("after a failure an hour later: error = %v, want RetryAfter 1s", err)
	}
}

func TestOpenSecretKeyCancelledContext(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u := e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.dir.OpenSecretKey(ctx, u.ID, []byte(passphrase)); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenSecretKey with a cancelled context: error = %v, want context.Canceled", err)
	}
	// A cancelled attempt is no failed attempt.
	sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase))
	if err != nil {
		t.Fatalf("OpenSecretKey after a cancelled attempt: %v", err)
	}
	sk.Wipe()
}

// --- contacts ---

func TestContact(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme")
	rival := e.tenant(t, "rival")
	ada := e.activeUser(t, acme.ID, "Ada", "SHA256:ada")
	bob := e.activeUser(t, acme.ID, "Bob", "SHA256:bob")
	carol, _ := e.user(t, acme.ID, "Carol", "")
	rex := e.activeUser(t, rival.ID, "Rex", "SHA256:rex")
	rita, _ := e.user(t, rival.ID, "Rita", "")
	nobody, err := crypto.ParseID("ZZZZ9999")
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.dir.Contact(t.Context(), ada.ID, bob.ID)
	if err != nil {
		t.Fatalf("Contact(ada, bob): %v", err)
	}
	want := directory.Contact{ID: bob.ID, Name: "Bob", NameSet: true, PublicKey: bob.PublicKey, TenantID: acme.ID, Status: store.UserActive}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Contact(ada, bob) (-want +got):\n%s", diff)
	}
	if got.PublicKey.IsZero() {
		t.Error("an active contact has no public key")
	}

	got, err = e.dir.Contact(t.Context(), ada.ID, carol.ID)
	if !errors.Is(err, directory.ErrNotActivated) {
		t.Errorf("Contact(ada, pending carol): error = %v, want ErrNotActivated", err)
	}
	if got.Status != store.UserPending || !got.PublicKey.IsZero() {
		t.Errorf("Contact(ada, pending carol) = %+v, want status pending and no key", got)
	}

	// Another tenant's users look exactly like IDs that do not exist.
	unknownErr := func(viewer, id crypto.ID) string {
		t.Helper()
		c, err := e.dir.Contact(t.Context(), viewer, id)
		if !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("Contact(%s, %s): error = %v, want ErrUserNotFound", viewer, id, err)
			return ""
		}
		if c != (directory.Contact{}) {
			t.Errorf("Contact(%s, %s) leaked %+v", viewer, id, c)
		}
		return strings.ReplaceAll(err.Error(), id.String(), "<id>")
	}
	base := unknownErr(ada.ID, nobody)
	for _, tt := range []struct {
		name         string
		viewer, user crypto.ID
	}{
		{"active user of another tenant", ada.ID, rex.ID},
		{"pending user of another tenant", ada.ID, rita.ID},
		{"the other way round", rex.ID, ada.ID},
		{"pending of the other tenant, seen from there", rex.ID, carol.ID},
	} {
		if got := unknownErr(tt.viewer, tt.user); got != base {
			t.Errorf("%s: error %q differs from an unknown ID's %q", tt.name, got, base)
		}
	}

	if _, err := e.dir.Contact(t.Context(), nobody, ada.ID); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("Contact(unknown viewer, ada): error = %v, want ErrUserNotFound", err)
	}
	if got, err := e.dir.Contact(t.Context(), ada.ID, ada.ID); err != nil || got.ID != ada.ID {
		t.Errorf("Contact(ada, ada) = %+v, %v; want Ada herself", got, err)
	}
}

func TestContactRevoked(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	ada := e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	bob := e.activeUser(t, tn.ID, "Bob", "SHA256:bob")
	// Revoke through the store before the directory has read (and cached) Bob.
	e.update(t, func(tx store.Tx) error {
		u, err := tx.User(bob.ID)
		if err != nil {
			return err
		}
		u.Status = store.UserRevoked
		return tx.PutUser(u)
	})
	if _, err := e.dir.Contact(t.Context(), ada.ID, bob.ID); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("Contact(ada, revoked bob): error = %v, want ErrRevoked", err)
	}
}

// --- keys and admins ---

func TestEnsureInstanceAdmin(t *testing.T) {
	e := newEnv(t)
	const fp, key = "SHA256:root", "ssh-ed25519 AAAA root"
	admins := func() []store.Admin {
		t.Helper()
		var out []store.Admin
		err := e.db.View(t.Context(), func(tx store.Tx) error {
			var err error
			out, err = tx.Admins()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := e.dir.EnsureInstanceAdmin(t.Context(), fp, key); err != nil {
		t.Fatalf("EnsureInstanceAdmin: %v", err)
	}
	want := store.Admin{Fingerprint: fp, AuthorizedKey: key, Role: store.RoleInstance, AddedAt: e.clock.Now(),
		Label: "bootstrap key", AddedBy: "--bootstrap-admin-key"}
	e.clock.Advance(time.Hour)
	if err := e.dir.EnsureInstanceAdmin(t.Context(), fp, key); err != nil {
		t.Fatalf("EnsureInstanceAdmin again: %v", err)
	}
	if diff := cmp.Diff([]store.Admin{want}, admins()); diff != "" {
		t.Errorf("admins after EnsureInstanceAdmin twice (-want +got):\n%s", diff)
	}
	u, roles, err := e.dir.Resolve(t.Context(), fp)
	if err != nil {
		t.Fatalf("Resolve(admin key): %v", err)
	}
	if u != nil {
		t.Errorf("Resolve(admin key) user = %+v, want nil", u)
	}
	if diff := cmp.Diff([]store.Admin{want}, roles); diff != "" {
		t.Errorf("Resolve(admin key) roles (-want +got):\n%s", diff)
	}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	ada := e.activeUser(t, tn.ID, "Ada", "SHA256:both")
	if err := e.dir.EnsureInstanceAdmin(t.Context(), "SHA256:both", "ssh-ed25519 AAAA both"); err != nil {
		t.Fatal(err)
	}
	u, roles, err := e.dir.Resolve(t.Context(), "SHA256:both")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if u == nil || u.ID != ada.ID || u.SealedKey != nil {
		t.Errorf("Resolve(user and admin key) user = %+v, want Ada without sealed key", u)
	}
	if len(roles) != 1 || roles[0].Role != store.RoleInstance {
		t.Errorf("Resolve(user and admin key) roles = %+v, want the instance admin", roles)
	}
	u, roles, err = e.dir.Resolve(t.Context(), "SHA256:stranger")
	if err != nil || u != nil || roles != nil {
		t.Errorf("Resolve(unknown key) = %v, %v, %v; want nil, nil, nil", u, roles, err)
	}
}

func TestTouchDevice(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	e.activeUser(t, tn.ID, "Ada", "SHA256:ada")
	activated := e.clock.Now()
	lastSeen := func() time.Time {
		t.Helper()
		return e.users(t, tn.ID)[0].Devices[0].LastSeen
	}

	tests := []struct {
		advance time.Duration
		want    time.Time
	}{
		{time.Minute, activated},                      // too soon to write
		{4*time.Minute - time.Second, activated},      // 4:59 after the last write
		{time.Second, activated.Add(5 * time.Minute)}, // 5:00: written
		{time.Minute, activated.Add(5 * time.Minute)},
		{time.Hour, activated.Add(5*time.Minute + time.Hour + time.Minute)},
	}
	for i, tt := range tests {
		e.clock.Advance(tt.advance)
		if err := e.dir.TouchDevice(t.Context(), "SHA256:ada"); err != nil {
			t.Fatalf("step %d: TouchDevice: %v", i, err)
		}
		if got := lastSeen(); !got.Equal(tt.want) {
			t.Errorf("step %d: LastSeen = %v, want %v", i, got, tt.want)
		}
	}
	if err := e.dir.TouchDevice(t.Context(), "SHA256:gone"); err != nil {
		t.Errorf("TouchDevice(unknown key) = %v, want nil", err)
	}
}

// --- concurrency ---

// race runs f(i) for i in [0, n) at once and returns the errors by i.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one call succeeded and all others failed with want.
func oneWinner(t *testing.T, errs []error, want error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("calls %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, want):
			t.Errorf("call %d: error = %v, want %v", i, err, want)
		}
	}
	if winner < 0 {
		t.Fatal("no call succeeded")
	}
	return winner
}

func fingerprint(i int) string { return "SHA256:key" + string(rune('A'+i)) }

func TestActivateConcurrentSameCode(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	const n = 20
	errs := race(n, func(i int) error {
		_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{
			Code: code.Code, Fingerprint: fingerprint(i), AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase),
		})
		return err
	})
	winner := oneWinner(t, errs, directory.ErrCodeUsed)

	users := e.users(t, tn.ID)
	if len(users) != 1 || len(users[0].Devices) != 1 {
		t.Fatalf("Users() = %+v, want one user with one device", users)
	}
	if got, want := users[0].Devices[0].Fingerprint, fingerprint(winner); got != want {
		t.Errorf("bound key = %s, want the winner's %s", got, want)
	}
	for i := range n {
		got := e.resolveUser(t, fingerprint(i))
		if (got != nil) != (i == winner) {
			t.Errorf("key %d resolves to %v; only the winner %d should resolve", i, got, winner)
		}
	}
	// The winner's passphrase and key pair are the ones stored.
	sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase))
	if err != nil {
		t.Fatalf("OpenSecretKey: %v", err)
	}
	if got := sk.Public(); !got.Equal(users[0].PublicKey) {
		t.Errorf("stored secret key does not match the stored public key")
	}
	sk.Wipe()
}

func TestActivateConcurrentSameKey(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	const n = 20
	codes := make([]string, n)
	for i := range codes {
		_, c := e.user(t, tn.ID, "User", "")
		codes[i] = c.Code
	}
	errs := race(n, func(i int) error {
		_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{
			Code: codes[i], Fingerprint: "SHA256:shared", AuthorizedKey: "ssh-ed25519 AAAA test", Passphrase: []byte(passphrase),
		})
		return err
	})
	oneWinner(t, errs, directory.ErrKeyBound)
	active := 0
	for _, u := range e.users(t, tn.ID) {
		if u.Status == store.UserActive {
			active++
		}
		if (u.Status == store.UserActive) != (len(u.Devices) == 1) {
			t.Errorf("user %s is %s with %d devices", u.ID, u.Status, len(u.Devices))
		}
	}
	if active != 1 {
		t.Errorf("%d users active, want 1", active)
	}
}

func TestCreateConcurrentDuplicates(t *testing.T) {
	const n = 20
	t.Run("tenant name", func(t *testing.T) {
		e := newEnv(t)
		errs := race(n, func(int) error {
			_, err := e.dir.CreateTenant(t.Context(), directory.TenantSpec{Name: "acme"}, nil)
			return err
		})
		oneWinner(t, errs, directory.ErrTenantExists)
		if got := len(e.tenants(t)); got != 1 {
			t.Errorf("%d tenants, want 1", got)
		}
	})
	t.Run("tenant domain", func(t *testing.T) {
		e := newEnv(t)
		errs := race(n, func(i int) error {
			_, err := e.dir.CreateTenant(t.Context(), directory.TenantSpec{Name: "t" + string(rune('a'+i)), Domains: []string{"acme.example"}}, nil)
			return err
		})
		oneWinner(t, errs, directory.ErrDomainTaken)
		if got := len(e.tenants(t)); got != 1 {
			t.Errorf("%d tenants, want 1", got)
		}
	})
	t.Run("user e-mail", func(t *testing.T) {
		e := newEnv(t)
		tn := e.tenant(t, "acme", "acme.example")
		errs := race(n, func(int) error {
			_, _, err := e.dir.CreateUser(t.Context(), directory.UserSpec{TenantID: tn.ID, Name: "Ada", Email: "ada@acme.example"}, nil)
			return err
		})
		oneWinner(t, errs, directory.ErrEmailTaken)
		if got := len(e.users(t, tn.ID)); got != 1 {
			t.Errorf("%d users, want 1", got)
		}
	})
}

// TestParallelGuessesAreThrottled is the regression test for parallel
// unlock attempts slipping past the throttle: of many simultaneous wrong
// guesses for one user, one is tried and the rest are refused unchecked.
func TestParallelGuessesAreThrottled(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	u := e.activate(t, code.Code, "SHA256:ada")
	const n = 20
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte("wrong guess!"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	tried := 0
	for err := range errs {
		switch {
		case errors.Is(err, directory.ErrWrongPassphrase):
			tried++
		case errors.Is(err, directory.ErrThrottled):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if tried > 2 {
		t.Fatalf("%d of %d parallel guesses were tried, want at most 2", tried, n)
	}
}

func TestActivateNeedsAKey(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	_, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code.Code, Passphrase: []byte(passphrase)})
	if !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("activate without a key: %v", err)
	}
	e.activate(t, code.Code, "SHA256:ada") // the code still works
}
