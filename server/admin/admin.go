package admin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Errors of the admin service, for the admin at the terminal or the API client.
var (
	// ErrForbidden: the principal may not do that (or the tenant is not its).
	ErrForbidden = errors.New("permission denied")
	// ErrSecondFactor: the key has two-factor authentication and did not prove it.
	ErrSecondFactor = errors.New("this key uses two-factor authentication: give the current code (exec commands: --otp CODE)")
	// ErrNotFound: no such record in the tenant.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: bad input; the message says what.
	ErrInvalid = directory.ErrInvalid
	// ErrConflict: the change contradicts the current state.
	ErrConflict = errors.New("conflict")
)

// Config tunes the service. Zero values take the defaults.
type Config struct {
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
	// Messages counts messages per day for Stats (the relay); nil: read
	// what the store holds.
	Messages MessageCounts
	// Policies hears of every policy change, after it committed; nil:
	// nobody listens.
	Policies *policy.Bus
	// GroupsChanged is told, after the commit, which users' managed groups
	// changed (members, name, deletion), so their open sessions read their
	// groups again; nil: nobody listens.
	GroupsChanged func(users []crypto.ID)
	// Ceilings are the operator's limits over tenant policy, by policy key
	// (an integer key, in its own unit): a value above one is refused.
	// A key without a ceiling takes what the registry allows.
	Ceilings map[string]int64
	// SecondFactorWindow is how long an admin key that proved its second
	// factor needs no code in its further sessions (see sudo.go); 0:
	// every session needs its code.
	SecondFactorWindow time.Duration
}

// Service is the administration service.
type Service struct {
	db   store.DB
	dir  *directory.Service
	now  func() time.Time
	rand io.Reader
	log  *slog.Logger
	msgs MessageCounts
	// policies is told of policy changes (nil: nobody).
	policies *policy.Bus
	// groupsChanged is told of managed-group changes (nil: nobody).
	groupsChanged func(users []crypto.ID)
	ceilings      map[string]int64
	// codes limits second-factor guessing per key.
	codes codeLimiter
	// refusals keeps a refused API key from filling the audit log.
	refusals refusalLimiter
	// sudo holds the open second-factor windows.
	sudo       sudoWindows
	sudoWindow time.Duration
}

// New returns the admin service.
func New(db store.DB, dir *directory.Service, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{db: db, dir: dir, now: func() time.Time { return cfg.Now().UTC() }, rand: cfg.Rand, log: cfg.Logger, msgs: cfg.Messages,
		policies: cfg.Policies, groupsChanged: cfg.GroupsChanged, ceilings: cfg.Ceilings, sudoWindow: cfg.SecondFactorWindow}
}

// announceGroup tells the open sessions of the users in the groups (old
// and new members) that their groups changed.
func (s *Service) announceGroup(gs ...store.Group) {
	if s.groupsChanged == nil {
		return
	}
	var users []crypto.ID
	for _, g := range gs {
		for _, id := range g.Members {
			if !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	if len(users) > 0 {
		s.groupsChanged(users)
	}
}

// IsAdmin reports whether the principal may run any admin command: an API
// key, or an SSH key that holds a role now (read from the store, not from
// the session's start).
func (s *Service) IsAdmin(ctx context.Context) bool {
	p := auth.From(ctx)
	if p == nil || p.APIKey != nil {
		return p.IsAdmin()
	}
	now, err := s.current(ctx, p)
	return err == nil && now.IsAdmin()
}

// authorize checks that the principal in ctx may take perm in the tenant
// (tenantID "" for instance-wide actions) and returns it as it stands at
// this call: an SSH key with the roles the store holds now, an API key
// with the scopes its creator still backs. Rules that look at the caller
// after authorize (ranks, labels in the audit log) must use the returned
// principal, never the one in ctx, whose roles are those the session
// started with.
func (s *Service) authorize(ctx context.Context, tenantID string, perm Perm) (*auth.Principal, error) {
	p := auth.From(ctx)
	if p == nil {
		return nil, ErrForbidden
	}
	if p.APIKey != nil {
		return s.authorizeKey(ctx, p, tenantID, perm)
	}
	// Decide on the roles the store holds now, not on those the session
	// started with: a removed or demoted admin loses its power at once.
	now, err := s.current(ctx, p)
	if err != nil {
		return nil, err
	}
	if !roleAllows(now, tenantID, perm) {
		return nil, ErrForbidden
	}
	if err := s.checkSecondFactor(ctx, p); err != nil {
		return nil, err
	}
	return now, nil
}

// roleAllows is authorize's decision for an SSH principal's roles.
func roleAllows(p *auth.Principal, tenantID string, perm Perm) bool {
	return p.IsInstanceAdmin() || (tenantID != "" && RoleAllows(p.Role(tenantID), perm))
}

// Allows reports, for each of perms, whether authorize would let the
// caller take it in the tenant now (tenant by name, as TenantID takes
// it), deciding on the same roles and scopes, without the second factor
// and without writing anything: for fronts that grey out what the
// caller may not do. The action itself is still authorized when taken.
func (s *Service) Allows(ctx context.Context, tenant string, perms ...Perm) (map[Perm]bool, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p := auth.From(ctx)
	out := make(map[Perm]bool, len(perms))
	if p.APIKey != nil {
		g, err := s.grantOf(ctx, p.APIKey.ID)
		if err != nil {
			return nil, err
		}
		for _, perm := range perms {
			out[perm] = !g.revoked && g.key.TenantID == id && slices.Contains(g.key.Scopes, string(perm)) && g.holds(perm)
		}
		return out, nil
	}
	now, err := s.current(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, perm := range perms {
		out[perm] = roleAllows(now, id, perm)
	}
	return out, nil
}

// current returns an SSH principal as it stands now: the same key, user
// and session, with the roles the store holds for the key at this call.
// The second-factor mark stays on p, the session's principal.
func (s *Service) current(ctx context.Context, p *auth.Principal) (*auth.Principal, error) {
	roles, err := s.currentRoles(ctx, p)
	if err != nil {
		return nil, err
	}
	return &auth.Principal{KeyFingerprint: p.KeyFingerprint, AuthorizedKey: p.AuthorizedKey, User: p.User, Roles: roles,
		Session: p.Session}, nil
}

// isInstanceAdmin reports whether the caller administers the instance now.
func (s *Service) isInstanceAdmin(ctx context.Context) bool {
	p := auth.From(ctx)
	if p == nil || p.APIKey != nil {
		return false
	}
	now, err := s.current(ctx, p)
	return err == nil && now.IsInstanceAdmin()
}

// currentRoles reads the roles the caller's key holds now.
func (s *Service) currentRoles(ctx context.Context, p *auth.Principal) ([]store.Admin, error) {
	if p.KeyFingerprint == "" {
		return nil, nil
	}
	var roles []store.Admin
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		roles, err = tx.AdminRoles(p.KeyFingerprint)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	return roles, nil
}

// checkSecondFactor refuses an admin key with TOTP enabled that has not
// proved a code in this session.
func (s *Service) checkSecondFactor(ctx context.Context, p *auth.Principal) error {
	if p.ProvedSecondFactor() || p.KeyFingerprint == "" {
		return nil
	}
	if s.sudo.isOpen(p.KeyFingerprint, s.now()) {
		p.MarkSecondFactor()
		return nil
	}
	enabled := false
	err := s.db.View(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		enabled = err == nil && t.Enabled
		return err
	})
	if err != nil {
		return fmt.Errorf("read second factor: %w", err)
	}
	if enabled {
		return ErrSecondFactor
	}
	return nil
}

// TenantID resolves the tenant an action is about, by name. An empty name
// means the principal's only tenant. A tenant the principal has no role in
// is ErrForbidden whether it exists or not; instance admins see every
// tenant and learn that a name does not exist.
func (s *Service) TenantID(ctx context.Context, name string) (string, error) {
	p := auth.From(ctx)
	if p == nil {
		return "", ErrForbidden
	}
	if p.APIKey == nil {
		now, err := s.current(ctx, p)
		if err != nil {
			return "", err
		}
		p = now
	}
	if name == "" {
		var own []string
		for _, r := range p.Roles {
			if r.TenantID != "" {
				own = append(own, r.TenantID)
			}
		}
		switch {
		case p.APIKey != nil:
			return p.APIKey.TenantID, nil
		case len(own) == 1:
			return own[0], nil
		}
		return "", fmt.Errorf("%w: name the tenant (--tenant NAME)", ErrInvalid)
	}
	t, err := s.dir.TenantByName(ctx, name)
	switch {
	case p.IsInstanceAdmin():
		return t.ID, err
	case err != nil:
		if errors.Is(err, directory.ErrInvalid) {
			return "", err
		}
		return "", ErrForbidden
	case p.APIKey != nil && p.APIKey.TenantID == t.ID, p.Role(t.ID) != "":
		return t.ID, nil
	}
	return "", ErrForbidden
}

// recorder returns the hook that writes an audit entry for a change in the
// change's own transaction.
func (s *Service) recorder(p *auth.Principal, tenantID, action, target string) directory.InTx {
	return func(tx store.Tx, before, after any) error {
		return s.record(tx, p, tenantID, action, target, before, after)
	}
}

// record appends an audit entry for an action.
func (s *Service) record(tx store.Tx, p *auth.Principal, tenantID, action, target string, before, after any) error {
	enc := func(v any) ([]byte, error) {
		if v == nil {
			return nil, nil
		}
		return json.Marshal(v)
	}
	b, err := enc(before)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a, err := enc(after)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	label := ""
	if r, ok := p.AdminRole(tenantID); ok {
		label = r.Label
	} else if r, ok := p.AdminRole(""); ok {
		label = r.Label
	} else if p.APIKey != nil {
		label = p.APIKey.Label
	}
	_, err = audit.Append(tx, store.AuditEntry{Time: s.now(), Actor: p.Actor(), Label: label, TenantID: tenantID,
		Action: action, Target: target, Before: b, After: a})
	return err
}

// randomID returns a short random identifier with a prefix.
func (s *Service) randomID(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return fmt.Sprintf("%s%x", prefix, b), nil
}

// principal returns the caller.
func (s *Service) principal(ctx context.Context) *auth.Principal { return auth.From(ctx) }
