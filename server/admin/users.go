package admin

import (
	"context"
	"errors"
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

// MaxUserPage is the most users one call of Users or UsersPage returns.
// The whole list, e-mail addresses included, leaves the server only
// through an approved export (ExportUsersCSV).
const MaxUserPage = 100

// UserPage names a page of users: those listed after the user After (the
// zero ID: from the first), at most Limit of them (0, or more than
// MaxUserPage: MaxUserPage).
type UserPage struct {
	After crypto.ID
	Limit int
}

// Users lists the first page of a tenant's users matching the filter, by
// name: at most MaxUserPage. UsersPage reads the
// pages after it.
func (s *Service) Users(ctx context.Context, tenant string, f directory.UserFilter) ([]directory.UserInfo, error) {
	us, _, err := s.UsersPage(ctx, tenant, f, UserPage{})
	return us, err
}

// UsersPage lists one page of a tenant's users matching the filter, by
// name (then ID), and returns the ID to give as After for the next page
// (the zero ID when this page is the last).
func (s *Service) UsersPage(ctx context.Context, tenant string, f directory.UserFilter, page UserPage) ([]directory.UserInfo, crypto.ID, error) {
	id, err := s.principalTenant(ctx, tenant, PermUsersRead)
	if err != nil {
		return nil, crypto.ID{}, err
	}
	if err := f.Check(); err != nil {
		return nil, crypto.ID{}, err
	}
	limit := page.Limit
	if limit <= 0 || limit > MaxUserPage {
		limit = MaxUserPage
	}
	all, err := s.dir.Users(ctx, id)
	if err != nil {
		return nil, crypto.ID{}, err
	}
	// The directory lists users by name, then ID; a page starts after the
	// user After names, wherever that user is in the list now.
	if !page.After.IsZero() {
		i := slices.IndexFunc(all, func(u directory.UserInfo) bool { return u.ID == page.After })
		if i < 0 {
			return nil, crypto.ID{}, fmt.Errorf("%w: the page cursor %s names no user of the tenant: list from the start",
				ErrInvalid, page.After)
		}
		all = all[i+1:]
	}
	out := make([]directory.UserInfo, 0, min(len(all), limit))
	for _, u := range all {
		if !f.Matches(u.User) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, u)
	}
	return out, crypto.ID{}, nil
}

// UsersByID returns the tenant's users among ids (others, and IDs of no
// user, are left out): for showing names next to IDs the caller already
// holds, such as a group's members.
func (s *Service) UsersByID(ctx context.Context, tenant string, ids []crypto.ID) (map[crypto.ID]store.User, error) {
	id, err := s.principalTenant(ctx, tenant, PermUsersRead)
	if err != nil {
		return nil, err
	}
	out := make(map[crypto.ID]store.User, len(ids))
	err = s.db.View(ctx, func(tx store.Tx) error {
		for _, uid := range ids {
			u, err := tx.User(uid)
			switch {
			case errors.Is(err, store.ErrNotFound):
				continue
			case err != nil:
				return err
			case u.TenantID == id:
				u.SealedKey, u.ActivationHash = nil, nil
				out[uid] = u
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
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
