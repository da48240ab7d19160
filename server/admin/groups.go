package admin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// MaxGroupMembers bounds the members of one managed group.
const MaxGroupMembers = 1250

// ErrGroupNotFound reports a group ID or name that is not one of the
// tenant's managed groups. errors.Is(err, ErrNotFound) holds for it too.
var ErrGroupNotFound error = notFoundError("no such managed group in this tenant")

// groupIDRE is the shape of the IDs CreateGroup gives. A group's name may
// not take that shape, so that a reference is never ambiguous.
var groupIDRE = regexp.MustCompile(`^(?i)g[0-9a-f]{8}$`)

// normalizeGroupName trims and checks a group name as a person's name is
// checked: not empty, at most directory.MaxNameLen characters, no control
// or bidirectional-override characters.
func normalizeGroupName(name string) (string, error) {
	n, err := directory.NormalizePersonName(name)
	if err != nil {
		return "", fmt.Errorf("group %w", err)
	}
	if groupIDRE.MatchString(n) {
		return "", fmt.Errorf("%w: group name %q looks like a group ID: choose another name", ErrInvalid, n)
	}
	return n, nil
}

// groupScope is what the caller may see and change among a tenant's
// managed groups: all of them, or, for a group admin, its own.
type groupScope struct {
	all bool
	ids []string
}

func (g groupScope) allows(id string) bool { return g.all || slices.Contains(g.ids, id) }

// scopeOf reads the caller's scope in a tenant from the roles the store
// holds now. Instance admins, tenant roles other than group-admin and API
// keys (whose scopes were checked already) see every group.
func scopeOf(tx store.Tx, p *auth.Principal, tenantID string) (groupScope, error) {
	if p.APIKey != nil || p.KeyFingerprint == "" {
		return groupScope{all: true}, nil
	}
	roles, err := tx.AdminRoles(p.KeyFingerprint)
	if err != nil {
		return groupScope{}, err
	}
	now := &auth.Principal{Roles: roles}
	a, ok := now.AdminRole(tenantID)
	if now.IsInstanceAdmin() || !ok || a.Role != store.RoleGroupAdmin {
		return groupScope{all: true}, nil
	}
	return groupScope{ids: a.Groups}, nil
}

// managedGroups lists the tenant's managed groups: the admin commands
// leave the groups users made to their members.
func managedGroups(tx store.Tx, tenantID string) ([]store.Group, error) {
	gs, err := tx.GroupsOfTenant(tenantID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(gs, func(g store.Group) bool { return g.Kind == store.GroupUser }), nil
}

// findGroup resolves a reference — a group ID, or a name compared without
// regard to case — among the tenant's groups the scope allows. A group
// outside a group admin's scope is ErrForbidden whether it exists or not.
func findGroup(tx store.Tx, tenantID string, scope groupScope, ref string) (store.Group, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return store.Group{}, fmt.Errorf("%w: name the group (its name or ID)", ErrInvalid)
	}
	gs, err := managedGroups(tx, tenantID)
	if err != nil {
		return store.Group{}, err
	}
	i := slices.IndexFunc(gs, func(g store.Group) bool { return g.ID == ref })
	if i < 0 {
		i = slices.IndexFunc(gs, func(g store.Group) bool { return strings.EqualFold(g.Name, ref) })
	}
	switch {
	case i >= 0 && scope.allows(gs[i].ID):
		return gs[i], nil
	case !scope.all:
		return store.Group{}, fmt.Errorf("%w: you manage only your own groups", ErrForbidden)
	}
	return store.Group{}, fmt.Errorf("%w: %q", ErrGroupNotFound, clipInput(ref))
}

// nameTaken refuses a name another group of the tenant has (in any case).
func nameTaken(tx store.Tx, tenantID, name, except string) error {
	gs, err := managedGroups(tx, tenantID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ID != except && (strings.EqualFold(g.Name, name) || strings.EqualFold(g.ID, name)) {
			return fmt.Errorf("%w: the tenant already has a group named %q", ErrConflict, g.Name)
		}
	}
	return nil
}

// CreateGroup creates an empty managed group in the tenant. Names are
// unique within a tenant, compared without regard to case.
func (s *Service) CreateGroup(ctx context.Context, tenant, name string) (store.Group, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Group{}, err
	}
	p, err := s.authorize(ctx, id, PermGroupsWrite)
	if err != nil {
		return store.Group{}, err
	}
	name, err = normalizeGroupName(name)
	if err != nil {
		return store.Group{}, err
	}
	gid, err := s.randomID("g", 4)
	if err != nil {
		return store.Group{}, err
	}
	key, err := store.NewGroupKey()
	if err != nil {
		return store.Group{}, err
	}
	g := store.Group{ID: gid, TenantID: id, Name: name, CreatedAt: s.now(), Key: key, Kind: store.GroupManaged}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		if err := nameTaken(tx, id, name, ""); err != nil {
			return err
		}
		if _, err := tx.Group(id, gid); err == nil {
			return fmt.Errorf("%w: group ID %s exists: try again", ErrConflict, gid)
		}
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		return s.record(tx, p, id, "group.create", gid, nil, g)
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("create group: %w", err)
	}
	return g, nil
}

// Groups lists the tenant's managed groups by name. A group admin sees
// only the groups it manages.
func (s *Service) Groups(ctx context.Context, tenant string) ([]store.Group, error) {
	id, err := s.principalTenant(ctx, tenant, PermGroupsRead)
	if err != nil {
		return nil, err
	}
	p := s.principal(ctx)
	var out []store.Group
	err = s.db.View(ctx, func(tx store.Tx) error {
		scope, err := scopeOf(tx, p, id)
		if err != nil {
			return err
		}
		gs, err := managedGroups(tx, id)
		if err != nil {
			return err
		}
		out = slices.DeleteFunc(gs, func(g store.Group) bool { return !scope.allows(g.ID) })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	slices.SortFunc(out, func(a, b store.Group) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Group returns one managed group of the tenant, by ID or name.
func (s *Service) Group(ctx context.Context, tenant, ref string) (store.Group, error) {
	id, err := s.principalTenant(ctx, tenant, PermGroupsRead)
	if err != nil {
		return store.Group{}, err
	}
	p := s.principal(ctx)
	var g store.Group
	err = s.db.View(ctx, func(tx store.Tx) error {
		scope, err := scopeOf(tx, p, id)
		if err != nil {
			return err
		}
		g, err = findGroup(tx, id, scope, ref)
		return err
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// RenameGroup gives a managed group a new name, unique in the tenant.
func (s *Service) RenameGroup(ctx context.Context, tenant, ref, name string) (store.Group, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Group{}, err
	}
	p, err := s.authorize(ctx, id, PermGroupsWrite)
	if err != nil {
		return store.Group{}, err
	}
	name, err = normalizeGroupName(name)
	if err != nil {
		return store.Group{}, err
	}
	var out store.Group
	err = s.db.Update(ctx, func(tx store.Tx) error {
		old, err := findGroup(tx, id, groupScope{all: true}, ref)
		if err != nil {
			return err
		}
		out = old
		if old.Name == name {
			return nil
		}
		if err := nameTaken(tx, id, name, old.ID); err != nil {
			return err
		}
		out.Name = name
		if err := tx.PutGroup(out); err != nil {
			return err
		}
		return s.record(tx, p, id, "group.rename", old.ID, old, out)
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("rename group: %w", err)
	}
	s.announceGroup(out)
	return out, nil
}

// DeleteGroup deletes a managed group. The users stay; group admins of the
// group lose it from their groups, in the same transaction.
func (s *Service) DeleteGroup(ctx context.Context, tenant, ref string) (store.Group, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Group{}, err
	}
	p, err := s.authorize(ctx, id, PermGroupsWrite)
	if err != nil {
		return store.Group{}, err
	}
	var out store.Group
	err = s.db.Update(ctx, func(tx store.Tx) error {
		g, err := findGroup(tx, id, groupScope{all: true}, ref)
		if err != nil {
			return err
		}
		out = g
		if err := tx.DeleteGroup(id, g.ID); err != nil {
			return err
		}
		if err := s.record(tx, p, id, "group.delete", g.ID, g, nil); err != nil {
			return err
		}
		as, err := tx.AdminsOfTenant(id)
		if err != nil {
			return err
		}
		for _, a := range as {
			if !slices.Contains(a.Groups, g.ID) {
				continue
			}
			after := a
			after.Groups = slices.DeleteFunc(slices.Clone(a.Groups), func(x string) bool { return x == g.ID })
			if err := tx.PutAdmin(after); err != nil {
				return err
			}
			if err := s.record(tx, p, id, "admin.change", a.Fingerprint, a, after); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("delete group: %w", err)
	}
	s.announceGroup(out)
	return out, nil
}

// AddGroupMembers adds users of the tenant to a managed group, all or
// none. Members must be pending or active users of the tenant; users
// already in the group are left as they are. A group holds at most
// MaxGroupMembers members. A group admin may change its own groups only.
func (s *Service) AddGroupMembers(ctx context.Context, tenant, ref string, ids []crypto.ID) (store.Group, error) {
	return s.changeMembers(ctx, tenant, ref, ids, true)
}

// RemoveGroupMembers removes members from a managed group, all or none:
// an ID that is not a member is an error. A group admin may change its own
// groups only.
func (s *Service) RemoveGroupMembers(ctx context.Context, tenant, ref string, ids []crypto.ID) (store.Group, error) {
	return s.changeMembers(ctx, tenant, ref, ids, false)
}

func (s *Service) changeMembers(ctx context.Context, tenant, ref string, ids []crypto.ID, add bool) (store.Group, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Group{}, err
	}
	p, err := s.authorize(ctx, id, PermGroupMembers)
	if err != nil {
		return store.Group{}, err
	}
	if len(ids) == 0 {
		return store.Group{}, fmt.Errorf("%w: name at least one member (a Parley ID)", ErrInvalid)
	}
	if len(ids) > MaxGroupMembers {
		return store.Group{}, fmt.Errorf("%w: at most %d members at once (a group holds at most %d)",
			ErrInvalid, MaxGroupMembers, MaxGroupMembers)
	}
	var unique []crypto.ID
	for _, uid := range ids {
		if !slices.Contains(unique, uid) {
			unique = append(unique, uid)
		}
	}
	verb, action := "remove members", "group.members.remove"
	if add {
		verb, action = "add members", "group.members.add"
	}
	var out, before store.Group
	err = s.db.Update(ctx, func(tx store.Tx) error {
		scope, err := scopeOf(tx, p, id)
		if err != nil {
			return err
		}
		old, err := findGroup(tx, id, scope, ref)
		if err != nil {
			return err
		}
		var members []crypto.ID
		if add {
			members, err = addMembers(tx, old, unique)
		} else {
			members, err = removeMembers(old, unique)
		}
		if err != nil {
			return err
		}
		out, before = old, old
		if slices.Equal(members, old.Members) {
			return nil
		}
		out.Members = members
		if err := tx.PutGroup(out); err != nil {
			return err
		}
		return s.record(tx, p, id, action, old.ID, old, out)
	})
	if err != nil {
		return store.Group{}, fmt.Errorf("%s: %w", verb, err)
	}
	s.announceGroup(before, out)
	return out, nil
}

// addMembers returns g's members with ids added after checking each one.
func addMembers(tx store.Tx, g store.Group, ids []crypto.ID) ([]crypto.ID, error) {
	members := slices.Clone(g.Members)
	for _, uid := range ids {
		if slices.Contains(members, uid) {
			continue
		}
		if err := memberOK(tx, g.TenantID, uid); err != nil {
			return nil, err
		}
		members = append(members, uid)
	}
	if len(members) > MaxGroupMembers {
		return nil, fmt.Errorf("%w: a managed group holds at most %d members; %s has %d, and %d more would make %d",
			ErrConflict, MaxGroupMembers, g.Name, len(g.Members), len(members)-len(g.Members), len(members))
	}
	return members, nil
}

// memberOK checks that uid is a pending or active user of the tenant.
func memberOK(tx store.Tx, tenantID string, uid crypto.ID) error {
	u, err := tx.User(uid)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.TenantID != tenantID):
		return fmt.Errorf("%w: %s is not a user of this tenant", ErrInvalid, uid)
	case err != nil:
		return err
	case u.Status == store.UserRevoked:
		return fmt.Errorf("%w: %s (%s) was revoked", ErrInvalid, uid, u.Name)
	case u.Status == store.UserDetached:
		return fmt.Errorf("%w: %s (%s) has left the tenant", ErrInvalid, uid, u.Name)
	}
	return nil
}

// removeMembers returns g's members without ids; each must be a member.
func removeMembers(g store.Group, ids []crypto.ID) ([]crypto.ID, error) {
	for _, uid := range ids {
		if !slices.Contains(g.Members, uid) {
			return nil, fmt.Errorf("%w: %s is not a member of %s", ErrInvalid, uid, g.Name)
		}
	}
	return slices.DeleteFunc(slices.Clone(g.Members), func(m crypto.ID) bool { return slices.Contains(ids, m) }), nil
}
