package admin

import (
	"context"
	"fmt"
	"slices"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// NewUser is a created user with its one-time activation code.
type NewUser struct {
	User   store.User
	Tenant store.Tenant
	Code   directory.Code
}

// CreateUser creates a user in the tenant and issues an activation code.
func (s *Service) CreateUser(ctx context.Context, tenant string, spec directory.UserSpec) (NewUser, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return NewUser{}, err
	}
	p, err := s.authorize(ctx, id, PermUsersWrite)
	if err != nil {
		return NewUser{}, err
	}
	spec.TenantID = id
	u, code, err := s.dir.CreateUser(ctx, spec, func(tx store.Tx, _, after any) error {
		u := after.(store.User)
		return s.record(tx, p, id, "user.create", u.ID.String(), nil, u)
	})
	if err != nil {
		return NewUser{}, err
	}
	t, err := s.dir.Tenant(ctx, id)
	if err != nil {
		return NewUser{}, err
	}
	return NewUser{User: u, Tenant: t, Code: code}, nil
}

// Users lists a tenant's users matching the filter.
func (s *Service) Users(ctx context.Context, tenant string, f directory.UserFilter) ([]directory.UserInfo, error) {
	id, err := s.principalTenant(ctx, tenant, PermUsersRead)
	if err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	all, err := s.dir.Users(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]directory.UserInfo, 0, len(all))
	for _, u := range all {
		if f.Matches(u.User) {
			out = append(out, u)
		}
	}
	return out, nil
}

// User returns one user of the tenant with its devices.
func (s *Service) User(ctx context.Context, tenant string, uid crypto.ID) (directory.UserDetail, error) {
	id, err := s.principalTenant(ctx, tenant, PermUsersRead)
	if err != nil {
		return directory.UserDetail{}, err
	}
	return s.dir.UserDetail(ctx, id, uid)
}

// EditUser changes a user's directory entry.
func (s *Service) EditUser(ctx context.Context, tenant string, uid crypto.ID, c directory.ProfileChange) (store.User, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.User{}, err
	}
	p, err := s.authorize(ctx, id, PermUsersWrite)
	if err != nil {
		return store.User{}, err
	}
	return s.dir.EditUser(ctx, id, uid, c, s.recorder(p, id, "user.edit", uid.String()))
}

// DeleteUser removes a user from the tenant, answering the seeds' two
// questions: keepID false revokes the ID (irreversible), keepApp false
// removes every device.
func (s *Service) DeleteUser(ctx context.Context, tenant string, uid crypto.ID, keepID, keepApp bool) (store.User, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.User{}, err
	}
	p, err := s.authorize(ctx, id, PermUsersWrite)
	if err != nil {
		return store.User{}, err
	}
	action := fmt.Sprintf("user.delete keep-id=%t keep-app=%t", keepID, keepApp)
	return s.dir.RemoveUser(ctx, id, uid, keepID, keepApp, s.leaving(p, id, uid, action))
}

// RevokeUser revokes a user's Parley ID, irreversibly; its devices stay
// bound but can no longer open sessions.
func (s *Service) RevokeUser(ctx context.Context, tenant string, uid crypto.ID) (store.User, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.User{}, err
	}
	p, err := s.authorize(ctx, id, PermUsersWrite)
	if err != nil {
		return store.User{}, err
	}
	return s.dir.RemoveUser(ctx, id, uid, false, true, s.leaving(p, id, uid, "user.revoke"))
}

// leaving records a user's removal and takes it out of the tenant's
// managed groups, in the removal's transaction.
func (s *Service) leaving(p *auth.Principal, tenantID string, uid crypto.ID, action string) directory.InTx {
	return func(tx store.Tx, before, after any) error {
		if err := s.record(tx, p, tenantID, action, uid.String(), before, after); err != nil {
			return err
		}
		groups, err := tx.GroupsOfTenant(tenantID)
		if err != nil {
			return fmt.Errorf("read groups: %w", err)
		}
		for _, g := range groups {
			i := slices.Index(g.Members, uid)
			if i < 0 {
				continue
			}
			out := g
			out.Members = slices.Delete(slices.Clone(g.Members), i, i+1)
			if err := tx.PutGroup(out); err != nil {
				return err
			}
			if err := s.record(tx, p, tenantID, "group.members.remove", g.ID, g, out); err != nil {
				return err
			}
		}
		return nil
	}
}

// ReissueCode issues a new activation code: it activates a pending user or
// enrols one more device of an active one.
func (s *Service) ReissueCode(ctx context.Context, tenant string, uid crypto.ID) (store.User, directory.Code, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.User{}, directory.Code{}, err
	}
	p, err := s.authorize(ctx, id, PermUsersWrite)
	if err != nil {
		return store.User{}, directory.Code{}, err
	}
	return s.dir.ReissueCode(ctx, id, uid, s.recorder(p, id, "user.code", uid.String()))
}

// Devices lists a user's devices.
func (s *Service) Devices(ctx context.Context, tenant string, uid crypto.ID) ([]store.Device, error) {
	id, err := s.principalTenant(ctx, tenant, PermDevicesRead)
	if err != nil {
		return nil, err
	}
	d, err := s.dir.UserDetail(ctx, id, uid)
	return d.Devices, err
}

// RemoveDevice unbinds one SSH key from a user, leaving the user as it is.
func (s *Service) RemoveDevice(ctx context.Context, tenant string, uid crypto.ID, fingerprint string) error {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return err
	}
	p, err := s.authorize(ctx, id, PermDevicesWrite)
	if err != nil {
		return err
	}
	return s.dir.RemoveDevice(ctx, id, uid, fingerprint, s.recorder(p, id, "device.remove", uid.String()+" "+fingerprint))
}
