package auth

import (
	"context"
	"sync/atomic"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// Principal is the authenticated caller of a service.
type Principal struct {
	// KeyFingerprint is the SHA256 fingerprint of the SSH key that completed
	// authentication (OpenSSH format, "SHA256:...").
	KeyFingerprint string
	// AuthorizedKey is that key in authorized_keys format.
	AuthorizedKey string
	// User is set when the key is a device of a user (whatever its status).
	User *store.User
	// Roles are the administrative roles the key holds, one per tenant.
	Roles []store.Admin
	// APIKey is set when the caller authenticated with an HTTP API key.
	APIKey *store.APIKey
	// secondFactor records that the caller proved its TOTP code (or a
	// recovery code) in this session. Console commands run concurrently,
	// so it is atomic.
	secondFactor atomic.Bool
	// Session identifies the front's session (for logs and for telling a
	// session's own events from others').
	Session string
}

// IsUser reports whether the principal is an enrolled, active user.
func (p *Principal) IsUser() bool {
	return p != nil && p.User != nil && p.User.Status == store.UserActive
}

// CanChat reports whether the principal may open a chat session: an active
// user, or one who left its tenant but kept the ID and the app (it can read
// its history and reaches nobody).
func (p *Principal) CanChat() bool {
	return p != nil && p.User != nil && (p.User.Status == store.UserActive || p.User.Status == store.UserDetached)
}

// UserID returns the principal's Parley ID, or the zero ID.
func (p *Principal) UserID() crypto.ID {
	if p == nil || p.User == nil {
		return crypto.ID{}
	}
	return p.User.ID
}

// IsInstanceAdmin reports whether the principal administers the instance.
func (p *Principal) IsInstanceAdmin() bool {
	return p.Role("") == store.RoleInstance
}

// Role returns the principal's role in a tenant ("" for the instance), or
// "" when it has none there. An instance admin has no tenant role: rules
// that admit instance admins say so.
func (p *Principal) Role(tenantID string) store.Role {
	if p == nil {
		return ""
	}
	for _, r := range p.Roles {
		if r.TenantID == tenantID {
			return r.Role
		}
	}
	return ""
}

// AdminRole returns the principal's admin record in a tenant.
func (p *Principal) AdminRole(tenantID string) (store.Admin, bool) {
	if p == nil {
		return store.Admin{}, false
	}
	for _, r := range p.Roles {
		if r.TenantID == tenantID {
			return r, true
		}
	}
	return store.Admin{}, false
}

// IsAdmin reports whether the principal holds any administrative role.
func (p *Principal) IsAdmin() bool { return p != nil && (len(p.Roles) > 0 || p.APIKey != nil) }

// Actor names the principal in the audit log: its key's fingerprint, or
// the API key's ID.
func (p *Principal) Actor() string {
	switch {
	case p == nil:
		return ""
	case p.APIKey != nil:
		return "apikey:" + p.APIKey.ID
	}
	return p.KeyFingerprint
}

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// ProvedSecondFactor reports whether the caller proved its second factor
// in this session.
func (p *Principal) ProvedSecondFactor() bool { return p != nil && p.secondFactor.Load() }

// MarkSecondFactor records that the caller proved its second factor.
func (p *Principal) MarkSecondFactor() { p.secondFactor.Store(true) }
