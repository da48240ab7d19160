package httpapi

import (
	"context"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Admin is what the admin API needs of the administration service: the
// methods its resources call, and nothing else (*admin.Service has them).
// The service enforces every rule; the API only maps HTTP to these calls.
type Admin interface {
	AuthenticateAPIKey(ctx context.Context, secret string) (*auth.Principal, error)
	APIKeyTenant(ctx context.Context) (store.Tenant, error)

	UsersPage(ctx context.Context, tenant string, f directory.UserFilter, page admin.UserPage) ([]directory.UserInfo, crypto.ID, error)
	UsersByID(ctx context.Context, tenant string, ids []crypto.ID) (map[crypto.ID]store.User, error)
	User(ctx context.Context, tenant string, uid crypto.ID) (directory.UserDetail, error)
	CreateUser(ctx context.Context, tenant string, spec directory.UserSpec) (admin.NewUser, error)
	EditUser(ctx context.Context, tenant string, uid crypto.ID, c directory.ProfileChange) (store.User, error)
	RevokeUser(ctx context.Context, tenant string, uid crypto.ID) (store.User, error)
	DeleteUser(ctx context.Context, tenant string, uid crypto.ID, keepID, keepApp bool) (store.User, error)
	ReissueCode(ctx context.Context, tenant string, uid crypto.ID) (store.User, directory.Code, error)
	Devices(ctx context.Context, tenant string, uid crypto.ID) ([]store.Device, error)
	RemoveDevice(ctx context.Context, tenant string, uid crypto.ID, fingerprint string) error

	Groups(ctx context.Context, tenant string) ([]store.Group, error)
	Group(ctx context.Context, tenant, ref string) (store.Group, error)
	CreateGroup(ctx context.Context, tenant, name string) (store.Group, error)
	RenameGroup(ctx context.Context, tenant, ref, name string) (store.Group, error)
	DeleteGroup(ctx context.Context, tenant, ref string) (store.Group, error)
	AddGroupMembers(ctx context.Context, tenant, ref string, ids []crypto.ID) (store.Group, error)
	RemoveGroupMembers(ctx context.Context, tenant, ref string, ids []crypto.ID) (store.Group, error)

	Policies(ctx context.Context, tenant string, user *crypto.ID) ([]policy.Value, error)
	SetPolicy(ctx context.Context, tenant string, user *crypto.ID, key, value string) (policy.Value, error)
	UnsetPolicy(ctx context.Context, tenant string, user *crypto.ID, key string) error

	License(ctx context.Context, tenant string) (admin.LicenseReport, error)
	Stats(ctx context.Context, tenant string, days int) (admin.Stats, error)
	Audit(ctx context.Context, tenant string, f audit.Filter) ([]store.AuditEntry, error)
	VerifyAudit(ctx context.Context, tenant string, anchors ...audit.Anchor) (audit.Report, error)
}

var _ Admin = (*admin.Service)(nil)
