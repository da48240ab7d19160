package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Config tunes the directory. Zero values take the defaults.
type Config struct {
	// ActivationTTL is how long a new activation code stays valid (default 7 days).
	ActivationTTL time.Duration
	// KDF are the Argon2id costs for new passphrase seals (default crypto.DefaultKDFParams).
	KDF crypto.KDFParams
	// MaxConcurrentKDF bounds simultaneous Argon2id runs, each of which takes
	// KDF.MemoryKiB of memory (default: the number of CPUs).
	MaxConcurrentKDF int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the randomness source (default crypto/rand).
	Rand io.Reader
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Policies is the bus policy changes are published on. With it the
	// directory caches effective policy values and drops them on every
	// change; without it every check reads the store.
	Policies *policy.Bus
}

// Service is the directory.
type Service struct {
	db       store.DB
	cfg      Config
	log      *slog.Logger
	kdf      *kdfGate // bounds Argon2id runs, frees their memory after a burst
	throttle *throttle
	policies *policyCache
	// challenges are the live add-device challenges of local-mode
	// accounts (devicelink.go).
	challenges *challenges

	mu    sync.RWMutex
	users map[crypto.ID]store.User // cache of user records without secrets
	gen   uint64                   // bumped by every forget: a read that began before it is not cached
}

// New returns a directory over db.
func New(db store.DB, cfg Config) *Service {
	if cfg.ActivationTTL <= 0 {
		cfg.ActivationTTL = 7 * 24 * time.Hour
	}
	if cfg.KDF == (crypto.KDFParams{}) {
		cfg.KDF = crypto.DefaultKDFParams()
	}
	if cfg.MaxConcurrentKDF <= 0 {
		cfg.MaxConcurrentKDF = runtime.NumCPU()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{
		db:         db,
		cfg:        cfg,
		log:        cfg.Logger,
		kdf:        newKDFGate(cfg.MaxConcurrentKDF),
		throttle:   newThrottle(cfg.Now),
		policies:   newPolicyCache(cfg.Policies),
		challenges: newChallenges(),
		users:      make(map[crypto.ID]store.User),
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// InTx lets a caller add work to the transaction of a change, typically an
// audit entry: it runs after the change is written, sees the record before
// and after (nil when there was none), and can refuse the change by
// returning an error. Like every update function it may run more than once.
type InTx func(tx store.Tx, before, after any) error

func (f InTx) run(tx store.Tx, before, after any) error {
	if f == nil {
		return nil
	}
	return f(tx, before, after)
}

// --- tenants ---

// TenantSpec describes a tenant to create. Seats, when above zero, creates a
// first license package of that many seats without an end date.
type TenantSpec struct {
	Name    string
	Seats   int
	Domains []string
}

// MaxSeats bounds a tenant's seats.
const MaxSeats = 1_000_000

// CreateTenant creates a tenant. Names are unique; each domain may belong to
// one tenant only.
func (s *Service) CreateTenant(ctx context.Context, spec TenantSpec, also InTx) (store.Tenant, error) {
	name, err := NormalizeTenantName(spec.Name)
	if err != nil {
		return store.Tenant{}, err
	}
	if spec.Seats < 0 || spec.Seats > MaxSeats {
		return store.Tenant{}, invalid("seats must be between 0 and %d", MaxSeats)
	}
	var domains []string
	for _, d := range spec.Domains {
		nd, err := NormalizeDomain(d)
		if err != nil {
			return store.Tenant{}, err
		}
		if !slices.Contains(domains, nd) {
			domains = append(domains, nd)
		}
	}
	id, err := s.randomHex(8)
	if err != nil {
		return store.Tenant{}, err
	}
	now := s.now()
	t := store.Tenant{ID: "t" + id, Name: name, Domains: domains, CreatedAt: now}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.TenantByName(name); err == nil {
			return ErrTenantExists
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, d := range domains {
			if _, err := tx.TenantOfDomain(d); err == nil {
				return fmt.Errorf("%s: %w", d, ErrDomainTaken)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if _, err := tx.Tenant(t.ID); err == nil {
			return errors.New("tenant id collision, try again")
		}
		if err := checkDomainsFree(tx, domains, t.ID); err != nil {
			return err
		}
		if err := tx.PutTenant(t); err != nil {
			return err
		}
		if spec.Seats > 0 {
			l := store.License{ID: "standard", TenantID: t.ID, Plan: "standard", Seats: spec.Seats, ValidFrom: now, CreatedAt: now}
			if err := tx.PutLicense(l); err != nil {
				return err
			}
		}
		return also.run(tx, nil, t)
	})
	if err != nil {
		return store.Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	return t, nil
}

// Tenants lists all tenants by name.
func (s *Service) Tenants(ctx context.Context) ([]store.Tenant, error) {
	var out []store.Tenant
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Tenants()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	slices.SortFunc(out, func(a, b store.Tenant) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// TenantByName finds a tenant by its name.
func (s *Service) TenantByName(ctx context.Context, name string) (store.Tenant, error) {
	n, err := NormalizeTenantName(name)
	if err != nil {
		return store.Tenant{}, err
	}
	var t store.Tenant
	err = s.db.View(ctx, func(tx store.Tx) error {
		t, err = tx.TenantByName(n)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, fmt.Errorf("%s: %w", n, ErrTenantNotFound)
	}
	return t, err
}

// Tenant finds a tenant by ID.
func (s *Service) Tenant(ctx context.Context, id string) (store.Tenant, error) {
	var t store.Tenant
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		t, err = tx.Tenant(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, ErrTenantNotFound
	}
	return t, err
}

// --- users ---

// UserSpec describes a user to create. Name is the display name; when it is
// empty it is made of FirstName and LastName.
type UserSpec struct {
	TenantID  string
	Name      string
	FirstName string
	LastName  string
	Nickname  string
	Category  string
	Tags      []string
	Email     string
}

// Code is a freshly issued activation code, shown once.
type Code struct {
	Code      string
	ExpiresAt time.Time
}

// CreateUser assigns a new Parley ID in a tenant and issues its activation code.
func (s *Service) CreateUser(ctx context.Context, spec UserSpec, also InTx) (store.User, Code, error) {
	prof, err := normalizeProfile(Profile{Name: spec.Name, FirstName: spec.FirstName, LastName: spec.LastName,
		Nickname: spec.Nickname, Category: spec.Category, Tags: spec.Tags})
	if err != nil {
		return store.User{}, Code{}, err
	}
	name := prof.Name
	var email, domain string
	if spec.Email != "" {
		if email, domain, err = NormalizeEmail(spec.Email); err != nil {
			return store.User{}, Code{}, err
		}
	}
	code, err := newCode(s.cfg.Rand)
	if err != nil {
		return store.User{}, Code{}, err
	}
	// Draw a few candidate IDs up front: the update function must not read
	// randomness, since it may run more than once.
	candidates := make([]crypto.ID, 8)
	for i := range candidates {
		if candidates[i], err = crypto.NewID(s.cfg.Rand); err != nil {
			return store.User{}, Code{}, err
		}
	}
	now := s.now()
	hash := codeHash(normalizeCode(code))
	var u store.User
	err = s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.Tenant(spec.TenantID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrTenantNotFound
		} else if err != nil {
			return err
		}
		if t.Suspended {
			return ErrTenantSuspended
		}
		if email != "" {
			if err := checkEmailDomain(tx, t, domain); err != nil {
				return err
			}
			if _, err := tx.UserByEmail(email); err == nil {
				return ErrEmailTaken
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		var id crypto.ID
		for _, c := range candidates {
			if _, err := tx.User(c); errors.Is(err, store.ErrNotFound) {
				id = c
				break
			}
		}
		if id.IsZero() {
			return errors.New("could not find a free Parley ID, try again")
		}
		u = store.User{
			ID: id, TenantID: t.ID, Name: name, FirstName: prof.FirstName, LastName: prof.LastName,
			Nickname: prof.Nickname, Category: prof.Category, Tags: prof.Tags,
			Email: email, Status: store.UserPending, CreatedAt: now, ActivationHash: hash,
		}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.PutActivation(hash, store.Activation{UserID: id, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ActivationTTL)}); err != nil {
			return err
		}
		return also.run(tx, nil, public(u))
	})
	if err != nil {
		return store.User{}, Code{}, fmt.Errorf("create user: %w", err)
	}
	s.forget(u.ID)
	u.ActivationHash = nil
	return u, Code{Code: code, ExpiresAt: now.Add(s.cfg.ActivationTTL)}, nil
}

// checkEmailDomain applies the domain rule: an address must be in one of the
// tenant's domains when it has any, and never in another tenant's domain.
func checkEmailDomain(tx store.Tx, t store.Tenant, domain string) error {
	owner, err := tx.TenantOfDomain(domain)
	switch {
	case err == nil && owner != t.ID:
		return fmt.Errorf("%s: %w", domain, ErrDomainTaken)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	if len(t.Domains) > 0 && !slices.Contains(t.Domains, domain) {
		return invalid("e-mail domain %s is not one of the tenant's domains (%s)", domain, strings.Join(t.Domains, ", "))
	}
	return nil
}

// UserInfo is a user as listed for admins.
type UserInfo struct {
	store.User
	Devices []store.Device
}

// Users lists a tenant's users by name.
func (s *Service) Users(ctx context.Context, tenantID string) ([]UserInfo, error) {
	var out []UserInfo
	err := s.db.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Tenant(tenantID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrTenantNotFound
			}
			return err
		}
		us, err := tx.UsersOfTenant(tenantID)
		if err != nil {
			return err
		}
		for _, u := range us {
			ds, err := tx.DevicesOfUser(u.ID)
			if err != nil {
				return err
			}
			u.SealedKey, u.ActivationHash = nil, nil
			out = append(out, UserInfo{User: u, Devices: ds})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	slices.SortFunc(out, func(a, b UserInfo) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// User returns one user without the sealed key, from the cache when possible.
func (s *Service) User(ctx context.Context, id crypto.ID) (store.User, error) {
	s.mu.RLock()
	u, ok := s.users[id]
	gen := s.gen
	s.mu.RUnlock()
	if ok {
		return u, nil
	}
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("%s: %w", id, ErrUserNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("read user: %w", err)
	}
	u.SealedKey, u.ActivationHash = nil, nil
	s.mu.Lock()
	if s.gen == gen { // nothing was written since the read began
		s.users[id] = u
	}
	s.mu.Unlock()
	return u, nil
}

// forget drops a user from the cache after a write.
func (s *Service) forget(id crypto.ID) {
	s.mu.Lock()
	delete(s.users, id)
	s.gen++
	s.mu.Unlock()
}

// --- keys and principals ---

// Resolve looks up what an SSH key fingerprint is: a user's device, the
// administrative roles it holds, both or neither. The user is returned
// whatever its status; callers decide what a pending or revoked user may do.
func (s *Service) Resolve(ctx context.Context, fingerprint string) (*store.User, []store.Admin, error) {
	var user *store.User
	var roles []store.Admin
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		if roles, err = tx.AdminRoles(fingerprint); err != nil {
			return err
		}
		d, err := tx.Device(fingerprint)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		u, err := tx.User(d.UserID)
		if err != nil {
			return err
		}
		u.SealedKey, u.ActivationHash = nil, nil
		user = &u
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("resolve key: %w", err)
	}
	return user, roles, nil
}

// EnsureInstanceAdmin makes an SSH key an instance admin; it is idempotent.
func (s *Service) EnsureInstanceAdmin(ctx context.Context, fingerprint, authorizedKey string) error {
	err := s.db.Update(ctx, func(tx store.Tx) error {
		roles, err := tx.AdminRoles(fingerprint)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.TenantID == "" && r.Role == store.RoleInstance {
				return nil
			}
		}
		return tx.PutAdmin(store.Admin{
			Fingerprint: fingerprint, AuthorizedKey: authorizedKey, Role: store.RoleInstance, AddedAt: s.now(),
			Label: "bootstrap key", AddedBy: "--bootstrap-admin-key",
		})
	})
	if err != nil {
		return fmt.Errorf("add admin key: %w", err)
	}
	return nil
}

// TouchDevice records that a device was used now; writes at most every few minutes.
func (s *Service) TouchDevice(ctx context.Context, fingerprint string) error {
	now := s.now()
	stale := false
	err := s.db.View(ctx, func(tx store.Tx) error {
		d, err := tx.Device(fingerprint)
		stale = err == nil && now.Sub(d.LastSeen) >= 5*time.Minute
		return nil
	})
	if err != nil || !stale {
		return err
	}
	return s.db.Update(ctx, func(tx store.Tx) error {
		d, err := tx.Device(fingerprint)
		if err != nil {
			return nil //nolint:nilerr // a removed device has nothing to touch
		}
		if now.Sub(d.LastSeen) < 5*time.Minute {
			return nil
		}
		d.LastSeen = now
		return tx.PutDevice(d)
	})
}

func (s *Service) randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return fmt.Sprintf("%x", b), nil
}

// Reachable reports whether from may send to to, and its error says why
// not. Both IDs must be active. Users of one tenant reach each other. A
// recipient of another tenant looks like an unknown ID unless both tenants
// list each other in parley_cross_tenant; then the sender's
// th_disable_add_contact and the recipient's th_block_unknown (a closed
// user group) may still refuse the message.
func (s *Service) Reachable(ctx context.Context, from, to crypto.ID) error {
	f, err := s.User(ctx, from)
	if err != nil {
		return err
	}
	if f.Status != store.UserActive {
		return ErrNotActive
	}
	t, err := s.User(ctx, to)
	if err != nil {
		return err
	}
	if t.TenantID == f.TenantID {
		return reachableStatus(t)
	}
	ps, err := s.effective(ctx, f, t)
	if err != nil {
		return err
	}
	fp, tp := ps[0], ps[1]
	if !crossTenant(fp.tenant, fp.values, tp.tenant, tp.values) {
		return fmt.Errorf("%s: %w", to, ErrUserNotFound)
	}
	if err := reachableStatus(t); err != nil {
		return err
	}
	if err := policy.Allows(fp.values, policy.AddContact); err != nil {
		return err
	}
	if tp.values.Bool(policy.BlockUnknown) {
		return fmt.Errorf("%s: %w", to, ErrOrganisationOnly)
	}
	return nil
}

// reachableStatus refuses a recipient that is not active.
func reachableStatus(t store.User) error {
	switch t.Status {
	case store.UserActive:
		return nil
	case store.UserRevoked:
		return fmt.Errorf("%s: %w", t.ID, ErrRevoked)
	}
	return fmt.Errorf("%s: %w", t.ID, ErrNotActive)
}
