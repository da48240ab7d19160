package auth

import (
	"context"

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
	// User is set when the key is a device of an enrolled user.
	User *store.User
	// Admin is set when the key holds an administrative role.
	Admin *store.Admin
	// Session identifies the front's session (for logs and for telling a
	// session's own events from others').
	Session string
}

// IsUser reports whether the principal is an enrolled, active user.
func (p *Principal) IsUser() bool {
	return p != nil && p.User != nil && p.User.Status == store.UserActive
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
	return p != nil && p.Admin != nil && p.Admin.Role == store.RoleInstance
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
