package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// Profile is the editable part of a user's directory entry.
type Profile struct {
	Name      string // display name; made of first and last name when empty
	FirstName string
	LastName  string
	Nickname  string
	Category  string
	Tags      []string
}

// MaxTags bounds a user's tags; tags are at most 40 characters each.
const (
	MaxTags   = 32
	maxTagLen = 40
)

var tagRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]*$`)

// normalizeProfile checks every field and fills Name from the first and
// last name when it is empty.
func normalizeProfile(p Profile) (Profile, error) {
	var err error
	for _, f := range []*string{&p.FirstName, &p.LastName, &p.Nickname, &p.Category} {
		if strings.TrimSpace(*f) == "" {
			*f = ""
			continue
		}
		if *f, err = NormalizePersonName(*f); err != nil {
			return Profile{}, err
		}
	}
	if strings.TrimSpace(p.Name) == "" {
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	if p.Name, err = NormalizePersonName(p.Name); err != nil {
		return Profile{}, err
	}
	if p.Tags, err = normalizeTags(p.Tags); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func normalizeTags(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagLen || !tagRE.MatchString(t) {
			return nil, invalid("tag %q: use letters, digits, '-', '_' and '.', at most %d characters", clip(t), maxTagLen)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, invalid("at most %d tags", MaxTags)
	}
	slices.Sort(out)
	return out, nil
}

// public strips what never leaves the directory: the sealed key and the
// hash of an outstanding activation code.
func public(u store.User) store.User {
	u.SealedKey, u.ActivationHash = nil, nil
	return u
}

// checkDomainsFree refuses domains that addresses of another tenant's users
// already use: a domain belongs to one tenant, its users included.
func checkDomainsFree(tx store.Tx, domains []string, tenantID string) error {
	if len(domains) == 0 {
		return nil
	}
	tenants, err := tx.Tenants()
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if t.ID == tenantID {
			continue
		}
		users, err := tx.UsersOfTenant(t.ID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Email == "" {
				continue
			}
			d := u.Email[strings.LastIndexByte(u.Email, '@')+1:]
			if slices.Contains(domains, d) {
				return fmt.Errorf("%s: %w (a user of tenant %s has an address there)", d, ErrDomainTaken, t.Name)
			}
		}
	}
	return nil
}

// UserFilter selects users: by tag, and by a name pattern where * matches
// any run of characters and ? one character, case-insensitively, against
// the display name, first, last and nickname.
type UserFilter struct {
	Tag    string
	Name   string
	Status store.UserStatus
}

// UserStatuses are the states a user can be in, in life-cycle order.
func UserStatuses() []store.UserStatus {
	return []store.UserStatus{store.UserPending, store.UserActive, store.UserDetached, store.UserRevoked}
}

// Check refuses a filter that can match nothing by mistake: an unknown
// status.
func (f UserFilter) Check() error {
	if f.Status != "" && !slices.Contains(UserStatuses(), f.Status) {
		return invalid("status %q: use pending, active, detached or revoked", clip(string(f.Status)))
	}
	return nil
}

// Matches reports whether u passes the filter.
func (f UserFilter) Matches(u store.User) bool {
	if f.Status != "" && u.Status != f.Status {
		return false
	}
	if f.Tag != "" && !slices.Contains(u.Tags, strings.ToLower(strings.TrimPrefix(f.Tag, "#"))) {
		return false
	}
	if f.Name == "" {
		return true
	}
	re := wildcard(f.Name)
	for _, s := range []string{u.Name, u.FirstName, u.LastName, u.Nickname} {
		if s != "" && re.MatchString(strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// wildcard compiles a * and ? pattern; without wildcards it matches a substring.
func wildcard(p string) *regexp.Regexp {
	p = strings.ToLower(p)
	if !strings.ContainsAny(p, "*?") {
		return regexp.MustCompile(regexp.QuoteMeta(p))
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// ProfileChange is an edit of a user: nil fields stay as they are.
type ProfileChange struct {
	FirstName, LastName, Nickname, Category, Email, Name *string
	Tags                                                 *[]string
}

// EditUser changes a user's directory entry.
func (s *Service) EditUser(ctx context.Context, tenantID string, id crypto.ID, c ProfileChange, also InTx) (store.User, error) {
	var out store.User
	err := s.db.Update(ctx, func(tx store.Tx) error {
		u, err := userOfTenant(tx, tenantID, id)
		if err != nil {
			return err
		}
		before := public(u)
		p, err := normalizeProfile(mergeProfile(u, c))
		if err != nil {
			return err
		}
		u.Name, u.FirstName, u.LastName, u.Nickname, u.Category, u.Tags = p.Name, p.FirstName, p.LastName, p.Nickname, p.Category, p.Tags
		if c.Email != nil && !strings.EqualFold(*c.Email, u.Email) {
			if *c.Email == "" {
				u.Email = ""
			} else {
				email, domain, err := NormalizeEmail(*c.Email)
				if err != nil {
					return err
				}
				t, err := tx.Tenant(tenantID)
				if err != nil {
					return err
				}
				if err := checkEmailDomain(tx, t, domain); err != nil {
					return err
				}
				if other, err := tx.UserByEmail(email); err == nil && other.ID != u.ID {
					return ErrEmailTaken
				}
				u.Email = email
			}
		}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		out = public(u)
		return also.run(tx, before, out)
	})
	if err != nil {
		return store.User{}, fmt.Errorf("edit user: %w", err)
	}
	s.forget(id)
	return out, nil
}

// userOfTenant reads a user that must belong to the tenant; another
// tenant's user reads as not found.
func userOfTenant(tx store.Tx, tenantID string, id crypto.ID) (store.User, error) {
	u, err := tx.User(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.TenantID != tenantID) {
		return store.User{}, fmt.Errorf("%s: %w", id, ErrUserNotFound)
	}
	return u, err
}

// UserDetail is a user with its devices, for admins.
type UserDetail struct {
	store.User
	Devices []store.Device
}

// UserDetail returns one user of a tenant with its devices.
func (s *Service) UserDetail(ctx context.Context, tenantID string, id crypto.ID) (UserDetail, error) {
	var d UserDetail
	err := s.db.View(ctx, func(tx store.Tx) error {
		u, err := userOfTenant(tx, tenantID, id)
		if err != nil {
			return err
		}
		d.User = public(u)
		d.Devices, err = tx.DevicesOfUser(id)
		return err
	})
	return d, err
}

// RemoveUser answers the two questions of deleting a user. keepID false
// revokes the Parley ID, irreversibly: it never works again and contacts see
// it revoked. keepID true detaches it: it leaves the tenant's directory and
// license count but stays valid. keepApp false removes every device, so no
// session can open; keepApp true leaves them (a detached user can still
// read their history but reaches nobody). Either way the user's e-mail
// address is freed for a new user (the audit entry keeps it).
func (s *Service) RemoveUser(ctx context.Context, tenantID string, id crypto.ID, keepID, keepApp bool, also InTx) (store.User, error) {
	var out store.User
	err := s.db.Update(ctx, func(tx store.Tx) error {
		u, err := userOfTenant(tx, tenantID, id)
		if err != nil {
			return err
		}
		if u.Status == store.UserRevoked {
			return fmt.Errorf("%s: %w", id, ErrRevoked)
		}
		before := public(u)
		if !keepApp {
			ds, err := tx.DevicesOfUser(id)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if err := tx.DeleteDevice(d.Fingerprint); err != nil {
					return err
				}
			}
		}
		if u.ActivationHash != nil {
			if err := tx.DeleteActivation(u.ActivationHash); err != nil {
				return err
			}
			u.ActivationHash = nil
		}
		u.RemovedAt = s.now()
		u.Email = "" // the address belongs to the tenant, not to the removed ID
		if keepID {
			u.Status = store.UserDetached
		} else {
			u.Status = store.UserRevoked
		}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		out = public(u)
		return also.run(tx, before, out)
	})
	if err != nil {
		return store.User{}, fmt.Errorf("remove user: %w", err)
	}
	s.forget(id)
	return out, nil
}

// ReissueCode issues a new activation code for a user, replacing any
// outstanding one. For a pending user it activates the ID; for an active
// user it enrols one more device, confirmed with the existing passphrase.
func (s *Service) ReissueCode(ctx context.Context, tenantID string, id crypto.ID, also InTx) (store.User, Code, error) {
	code, err := newCode(s.cfg.Rand)
	if err != nil {
		return store.User{}, Code{}, err
	}
	now := s.now()
	hash := codeHash(normalizeCode(code))
	var out store.User
	err = s.db.Update(ctx, func(tx store.Tx) error {
		u, err := userOfTenant(tx, tenantID, id)
		if err != nil {
			return err
		}
		if u.Status != store.UserPending && u.Status != store.UserActive {
			return fmt.Errorf("%s is %s: %w", id, u.Status, ErrNotActive)
		}
		if u.ActivationHash != nil {
			if err := tx.DeleteActivation(u.ActivationHash); err != nil {
				return err
			}
		}
		u.ActivationHash = hash
		if err := tx.PutUser(u); err != nil {
			return err
		}
		a := store.Activation{UserID: id, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ActivationTTL), AddDevice: u.Status == store.UserActive}
		if err := tx.PutActivation(hash, a); err != nil {
			return err
		}
		out = public(u)
		return also.run(tx, nil, map[string]any{"user": id.String(), "expires_at": a.ExpiresAt, "add_device": a.AddDevice})
	})
	if err != nil {
		return store.User{}, Code{}, fmt.Errorf("reissue code: %w", err)
	}
	s.forget(id)
	return out, Code{Code: code, ExpiresAt: now.Add(s.cfg.ActivationTTL)}, nil
}

// RemoveDevice unbinds one SSH key from a user of the tenant, leaving the
// user and its other devices as they are.
func (s *Service) RemoveDevice(ctx context.Context, tenantID string, id crypto.ID, fingerprint string, also InTx) error {
	err := s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := userOfTenant(tx, tenantID, id); err != nil {
			return err
		}
		d, err := tx.Device(fingerprint)
		if errors.Is(err, store.ErrNotFound) || (err == nil && d.UserID != id) {
			return fmt.Errorf("%s: %w", clipTo(fingerprint, 80), ErrDeviceNotFound)
		} else if err != nil {
			return err
		}
		if err := tx.DeleteDevice(fingerprint); err != nil {
			return err
		}
		return also.run(tx, d, nil)
	})
	if err != nil {
		return fmt.Errorf("remove device: %w", err)
	}
	return nil
}

// --- tenants ---

// TenantChange edits a tenant: nil fields stay as they are.
type TenantChange struct {
	Suspended   *bool
	DisplayName *string
	Accent      *string
	AddDomains  []string
	// DirectoryGroup puts the tenant in a directory group ("" takes it out).
	DirectoryGroup *string
}

var accentRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// EditTenant suspends or resumes a tenant, brands it, or gives it more
// e-mail domains. A suspended tenant's users cannot open sessions or
// activate; nothing is deleted.
func (s *Service) EditTenant(ctx context.Context, id string, c TenantChange, also InTx) (store.Tenant, error) {
	if c.DisplayName != nil && *c.DisplayName != "" {
		n, err := NormalizePersonName(*c.DisplayName)
		if err != nil {
			return store.Tenant{}, err
		}
		c.DisplayName = &n
	}
	if c.Accent != nil && *c.Accent != "" && !accentRE.MatchString(*c.Accent) {
		return store.Tenant{}, invalid("accent %q: use a colour like #5FAFD7", clip(*c.Accent))
	}
	if c.DirectoryGroup != nil && *c.DirectoryGroup != "" {
		g, err := NormalizeDirectoryGroup(*c.DirectoryGroup)
		if err != nil {
			return store.Tenant{}, err
		}
		c.DirectoryGroup = &g
	}
	var add []string
	for _, d := range c.AddDomains {
		nd, err := NormalizeDomain(d)
		if err != nil {
			return store.Tenant{}, err
		}
		add = append(add, nd)
	}
	var out store.Tenant
	err := s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.Tenant(id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrTenantNotFound
		} else if err != nil {
			return err
		}
		before := t
		if c.Suspended != nil && *c.Suspended != t.Suspended {
			t.Suspended = *c.Suspended
			t.SuspendedAt = time.Time{}
			if t.Suspended {
				t.SuspendedAt = s.now()
			}
		}
		if c.DisplayName != nil {
			t.DisplayName = *c.DisplayName
		}
		if c.Accent != nil {
			t.Accent = strings.ToUpper(*c.Accent)
		}
		if c.DirectoryGroup != nil {
			t.DirectoryGroup = *c.DirectoryGroup
		}
		for _, d := range add {
			if slices.Contains(t.Domains, d) {
				continue
			}
			if owner, err := tx.TenantOfDomain(d); err == nil && owner != t.ID {
				return fmt.Errorf("%s: %w", d, ErrDomainTaken)
			}
			t.Domains = append(t.Domains, d)
		}
		if err := checkDomainsFree(tx, add, t.ID); err != nil {
			return err
		}
		if err := tx.PutTenant(t); err != nil {
			return err
		}
		out = t
		return also.run(tx, before, t)
	})
	if err != nil {
		return store.Tenant{}, fmt.Errorf("edit tenant: %w", err)
	}
	s.forgetAll()
	return out, nil
}

// forgetAll empties the user cache (a tenant-wide change).
func (s *Service) forgetAll() {
	s.mu.Lock()
	clear(s.users)
	s.gen++
	s.mu.Unlock()
}

// --- sessions ---

// CanConnect reports whether a user may open a session now: the ID is
// active (or detached with its devices kept), the tenant is not suspended,
// and the tenant holds a license valid now. The error says why not.
func (s *Service) CanConnect(ctx context.Context, u store.User) error {
	switch u.Status {
	case store.UserActive:
	case store.UserDetached:
		return nil // no tenant: nothing more to check
	case store.UserRevoked:
		return fmt.Errorf("your Parley ID %s %w", u.ID, ErrRevokedID)
	default:
		return ErrNotActive
	}
	return s.db.View(ctx, func(tx store.Tx) error {
		return tenantUsable(tx, u.TenantID, s.now())
	})
}

// Standing names an open session for Recheck: the key it authenticated
// with and the user that key belonged to then.
type Standing struct {
	Fingerprint string
	User        crypto.ID
	// Hosted sessions use the key sealed on the server: they end when the
	// user moves to local mode.
	Hosted bool
}

// StandingGeneration counts the committed changes to tenants, licenses,
// users and devices when the store counts them (ok false otherwise): while
// it stays the same, Recheck's answers change only with the clock.
func (s *Service) StandingGeneration() (gen uint64, ok bool) {
	c, ok := s.db.(interface{ Standing() uint64 })
	if !ok {
		return 0, false
	}
	return c.Standing(), true
}

// KDFLoad reports the passphrase KDF runs under way and the logins
// waiting for one (the gate bounds how many run at once).
func (s *Service) KDFLoad() (running, waiting int) { return s.kdf.load() }

// StandingChanged returns a channel closed once StandingGeneration next
// moves, or nil (which never fires) when the store does not count it.
func (s *Service) StandingChanged() <-chan struct{} {
	c, ok := s.db.(interface{ StandingChanged() <-chan struct{} })
	if !ok {
		return nil
	}
	return c.StandingChanged()
}

// Recheck tells, for each open session, whether it may go on: the key is
// still a device of the same user and CanConnect still holds. All of them
// are checked in one read transaction; errs[i] is nil for a session that
// may go on, the reason otherwise.

func (s *Service) Recheck(ctx context.Context, ss []Standing) ([]error, error) {
	errs := make([]error, len(ss))
	now := s.now()
	err := s.db.View(ctx, func(tx store.Tx) error {
		tenants := map[string]error{}
		for i, st := range ss {
			d, err := tx.Device(st.Fingerprint)
			switch {
			case errors.Is(err, store.ErrNotFound) || err == nil && d.UserID != st.User:
				errs[i] = ErrDeviceRemoved
				continue
			case err != nil:
				return err
			}
			u, err := tx.User(st.User)
			if err != nil {
				return err
			}
			switch u.Status {
			case store.UserActive:
			case store.UserDetached:
				continue
			case store.UserRevoked:
				errs[i] = fmt.Errorf("your Parley ID %s %w", u.ID, ErrRevokedID)
				continue
			default:
				errs[i] = ErrNotActive
				continue
			}
			terr, ok := tenants[u.TenantID]
			if !ok {
				terr = tenantUsable(tx, u.TenantID, now)
				tenants[u.TenantID] = terr
			}
			errs[i] = terr
			if terr == nil && st.Hosted && len(u.SealedKey) == 0 {
				errs[i] = ErrLocalMode
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recheck sessions: %w", err)
	}
	return errs, nil
}

// tenantUsable refuses a suspended tenant or one without a valid license.
func tenantUsable(tx store.Tx, tenantID string, now time.Time) error {
	t, err := tx.Tenant(tenantID)
	if err != nil {
		return fmt.Errorf("tenant of user: %w", err)
	}
	if t.Suspended {
		return ErrTenantSuspended
	}
	ls, err := tx.LicensesOfTenant(tenantID)
	if err != nil {
		return err
	}
	if len(ValidLicenses(ls, now)) == 0 {
		return ErrLicenseExpired
	}
	return nil
}

// ValidLicenses returns the packages valid at now.
func ValidLicenses(ls []store.License, now time.Time) []store.License {
	var out []store.License
	for _, l := range ls {
		if !now.Before(l.ValidFrom) && (l.ValidUntil.IsZero() || now.Before(l.ValidUntil)) {
			out = append(out, l)
		}
	}
	return out
}
