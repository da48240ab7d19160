package remote

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

var _ core.Groups = (*Conn)(nil)

// CreateGroup makes a group with the user as creator and admin; members
// are the others.
func (c *Conn) CreateGroup(ctx context.Context, name string, members []crypto.ID) (core.GroupInfo, error) {
	ids, err := idStrings(members)
	if err != nil {
		return core.GroupInfo{}, err
	}
	return c.groupCall(ctx, proto.KindGroupCreate, proto.GroupCreateRequest{Name: name, Members: ids}, "")
}

// MyGroups lists the groups the user is a member of.
func (c *Conn) MyGroups(ctx context.Context) ([]core.GroupInfo, error) {
	var r proto.GroupList
	if err := c.call(ctx, proto.KindGroupsMine, struct{}{}, &r); err != nil {
		return nil, err
	}
	out := make([]core.GroupInfo, len(r.Groups))
	for i, g := range r.Groups {
		var err error
		if out[i], err = fromWireGroup(g); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Group returns one of the user's groups by key.
func (c *Conn) Group(ctx context.Context, key string) (core.GroupInfo, error) {
	return c.groupCall(ctx, proto.KindGroup, proto.GroupRequest{Key: key}, key)
}

// AddGroupMembers adds members to a group the user administers.
func (c *Conn) AddGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	ss, err := idStrings(ids)
	if err != nil {
		return core.GroupInfo{}, err
	}
	return c.groupCall(ctx, proto.KindGroupAdd, proto.GroupMembersRequest{Key: key, IDs: ss}, key)
}

// RemoveGroupMembers removes members from a group the user administers.
func (c *Conn) RemoveGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	ss, err := idStrings(ids)
	if err != nil {
		return core.GroupInfo{}, err
	}
	return c.groupCall(ctx, proto.KindGroupRemove, proto.GroupMembersRequest{Key: key, IDs: ss}, key)
}

// RenameGroup renames a group the user administers.
func (c *Conn) RenameGroup(ctx context.Context, key, name string) (core.GroupInfo, error) {
	return c.groupCall(ctx, proto.KindGroupRename, proto.GroupRenameRequest{Key: key, Name: name}, key)
}

// SetGroupAdmin makes a member an admin (admin true) or a plain member.
func (c *Conn) SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) (core.GroupInfo, error) {
	return c.groupCall(ctx, proto.KindGroupAdmin, proto.GroupAdminRequest{Key: key, ID: id.String(), Admin: admin}, key)
}

// LeaveGroup takes the user out of a group.
func (c *Conn) LeaveGroup(ctx context.Context, key string) error {
	return c.call(ctx, proto.KindGroupLeave, proto.GroupRequest{Key: key}, nil)
}

// groupCall makes a request answered with one group; with key set, an
// answer about another group is a protocol error.
func (c *Conn) groupCall(ctx context.Context, kind proto.Kind, req any, key string) (core.GroupInfo, error) {
	var r proto.GroupInfo
	if err := c.call(ctx, kind, req, &r); err != nil {
		return core.GroupInfo{}, err
	}
	if key != "" && r.Key != key {
		return core.GroupInfo{}, fmt.Errorf("%w: asked about group %q, the server answered %q", proto.ErrFrame, key, r.Key)
	}
	return fromWireGroup(r)
}

// idStrings writes IDs for a group request; more than a group holds is
// refused here, as the server would.
func idStrings(ids []crypto.ID) ([]string, error) {
	if len(ids) > proto.MaxGroupMembers {
		return nil, fmt.Errorf("%d members in one request: a group holds at most %d", len(ids), proto.MaxGroupMembers)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, nil
}

func fromWireGroup(g proto.GroupInfo) (core.GroupInfo, error) {
	creator, err := crypto.ParseID(g.Creator)
	if err != nil {
		return core.GroupInfo{}, fmt.Errorf("%w: group %q: creator: %w", proto.ErrFrame, g.Key, err)
	}
	admins, err := parseIDs(g.Admins)
	if err != nil {
		return core.GroupInfo{}, fmt.Errorf("%w: group %q: admins: %w", proto.ErrFrame, g.Key, err)
	}
	members, err := parseIDs(g.Members)
	if err != nil {
		return core.GroupInfo{}, fmt.Errorf("%w: group %q: members: %w", proto.ErrFrame, g.Key, err)
	}
	return core.GroupInfo{Key: g.Key, Name: g.Name, Managed: g.Managed, Creator: creator, Admins: admins, Members: members}, nil
}

func parseIDs(ss []string) ([]crypto.ID, error) {
	out := make([]crypto.ID, len(ss))
	for i, s := range ss {
		id, err := crypto.ParseID(s)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}
