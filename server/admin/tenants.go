package admin

import (
	"context"
	"slices"
	"strings"

	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// CreateTenant creates a tenant (instance admins).
func (s *Service) CreateTenant(ctx context.Context, spec directory.TenantSpec) (store.Tenant, error) {
	p, err := s.authorize(ctx, "", PermTenantsManage)
	if err != nil {
		return store.Tenant{}, err
	}
	return s.dir.CreateTenant(ctx, spec, func(tx store.Tx, before, after any) error {
		t := after.(store.Tenant)
		return s.record(tx, p, t.ID, "tenant.create", t.Name, nil, map[string]any{"tenant": t, "seats": spec.Seats})
	})
}

// Tenants lists the tenants the principal may see: all for instance
// admins, its own for everyone else.
func (s *Service) Tenants(ctx context.Context) ([]store.Tenant, error) {
	all, err := s.dir.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Tenant
	for _, t := range all {
		if _, err := s.authorize(ctx, t.ID, PermTenantRead); err == nil {
			out = append(out, t)
		}
	}
	if out == nil {
		if _, err := s.authorize(ctx, "", PermTenantsManage); err != nil && !s.IsAdmin(ctx) {
			return nil, ErrForbidden
		}
	}
	return out, nil
}

// Tenant returns one tenant by name.
func (s *Service) Tenant(ctx context.Context, name string) (store.Tenant, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return store.Tenant{}, err
	}
	if _, err := s.authorize(ctx, id, PermTenantRead); err != nil {
		return store.Tenant{}, err
	}
	return s.dir.Tenant(ctx, id)
}

// SuspendTenant suspends or resumes a tenant (instance admins). Its users
// cannot open sessions or activate while it is suspended; nothing is deleted.
func (s *Service) SuspendTenant(ctx context.Context, name string, suspend bool) (store.Tenant, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return store.Tenant{}, err
	}
	p, err := s.authorize(ctx, id, PermTenantsManage)
	if err != nil {
		return store.Tenant{}, err
	}
	action := "tenant.resume"
	if suspend {
		action = "tenant.suspend"
	}
	return s.dir.EditTenant(ctx, id, directory.TenantChange{Suspended: &suspend}, s.recorder(p, id, action, name))
}

// AddDomains gives a tenant more e-mail domains (instance admins).
func (s *Service) AddDomains(ctx context.Context, name string, domains []string) (store.Tenant, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return store.Tenant{}, err
	}
	p, err := s.authorize(ctx, id, PermTenantsManage)
	if err != nil {
		return store.Tenant{}, err
	}
	return s.dir.EditTenant(ctx, id, directory.TenantChange{AddDomains: domains},
		s.recorder(p, id, "tenant.domains", strings.Join(domains, ",")))
}

// SetDirectoryGroup puts a tenant in a directory group — tenants of one
// group share their company directory — or takes it out with ""
// (instance admins).
func (s *Service) SetDirectoryGroup(ctx context.Context, name, group string) (store.Tenant, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return store.Tenant{}, err
	}
	p, err := s.authorize(ctx, id, PermTenantsManage)
	if err != nil {
		return store.Tenant{}, err
	}
	return s.dir.EditTenant(ctx, id, directory.TenantChange{DirectoryGroup: &group},
		s.recorder(p, id, "tenant.directory_group", name))
}

// Brand sets the tenant's display name and accent colour (owners).
func (s *Service) Brand(ctx context.Context, name string, displayName, accent *string) (store.Tenant, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return store.Tenant{}, err
	}
	p, err := s.authorize(ctx, id, PermTenantBrand)
	if err != nil {
		return store.Tenant{}, err
	}
	return s.dir.EditTenant(ctx, id, directory.TenantChange{DisplayName: displayName, Accent: accent},
		s.recorder(p, id, "tenant.brand", name))
}

// MyTenants lists the tenants the principal holds a role in now, with the role.
func (s *Service) MyTenants(ctx context.Context) ([]TenantRole, error) {
	p := s.principal(ctx)
	if p == nil {
		return nil, ErrForbidden
	}
	var roles []store.Admin
	if p.APIKey == nil {
		now, err := s.current(ctx, p)
		if err != nil {
			return nil, err
		}
		roles = now.Roles
	}
	var out []TenantRole
	for _, r := range roles {
		if r.TenantID == "" {
			continue
		}
		t, err := s.dir.Tenant(ctx, r.TenantID)
		if err != nil {
			continue
		}
		out = append(out, TenantRole{Tenant: t, Role: r.Role})
	}
	slices.SortFunc(out, func(a, b TenantRole) int { return strings.Compare(a.Tenant.Name, b.Tenant.Name) })
	return out, nil
}

// TenantRole is a tenant and the principal's role in it.
type TenantRole struct {
	Tenant store.Tenant
	Role   store.Role
}

func (s *Service) principalTenant(ctx context.Context, name string, perm Perm) (string, error) {
	id, err := s.TenantID(ctx, name)
	if err != nil {
		return "", err
	}
	if _, err := s.authorize(ctx, id, perm); err != nil {
		return "", err
	}
	return id, nil
}
