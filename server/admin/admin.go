package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// ErrForbidden reports an action the principal may not take.
var ErrForbidden = errors.New("permission denied: this key is not an admin of that")

// Service is the administrative front door to the directory.
type Service struct {
	dir *directory.Service
}

// New returns the admin service.
func New(dir *directory.Service) *Service { return &Service{dir: dir} }

// IsAdmin reports whether the principal may run any admin command.
func (s *Service) IsAdmin(ctx context.Context) bool {
	return auth.From(ctx).IsInstanceAdmin()
}

func requireInstanceAdmin(ctx context.Context) error {
	if !auth.From(ctx).IsInstanceAdmin() {
		return ErrForbidden
	}
	return nil
}

// CreateTenant creates a tenant. Instance admins only.
func (s *Service) CreateTenant(ctx context.Context, spec directory.TenantSpec) (store.Tenant, error) {
	if err := requireInstanceAdmin(ctx); err != nil {
		return store.Tenant{}, err
	}
	return s.dir.CreateTenant(ctx, spec)
}

// Tenants lists tenants. Instance admins only.
func (s *Service) Tenants(ctx context.Context) ([]store.Tenant, error) {
	if err := requireInstanceAdmin(ctx); err != nil {
		return nil, err
	}
	return s.dir.Tenants(ctx)
}

// tenant resolves a tenant name the principal may administer.
func (s *Service) tenant(ctx context.Context, name string) (store.Tenant, error) {
	if err := requireInstanceAdmin(ctx); err != nil {
		return store.Tenant{}, err
	}
	return s.dir.TenantByName(ctx, name)
}

// NewUser is a created user with its one-time activation code.
type NewUser struct {
	User   store.User
	Tenant store.Tenant
	Code   directory.Code
}

// CreateUser creates a user in the named tenant and issues an activation code.
func (s *Service) CreateUser(ctx context.Context, tenant, name, email string) (NewUser, error) {
	t, err := s.tenant(ctx, tenant)
	if err != nil {
		return NewUser{}, err
	}
	u, code, err := s.dir.CreateUser(ctx, directory.UserSpec{TenantID: t.ID, Name: name, Email: email})
	if err != nil {
		return NewUser{}, err
	}
	return NewUser{User: u, Tenant: t, Code: code}, nil
}

// Users lists the users of the named tenant.
func (s *Service) Users(ctx context.Context, tenant string) ([]directory.UserInfo, error) {
	t, err := s.tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	us, err := s.dir.Users(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("users of %s: %w", t.Name, err)
	}
	return us, nil
}
