package sshd

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// group answers the requests of the group registry (KindGroupCreate to
// KindGroupLeave) with the principal's Groups port, which enforces every
// rule; without a registry each is refused with core.ErrNoGroups.
func (c *protoConn) group(ctx context.Context, f proto.Frame) (any, error) {
	gs := c.ports.Groups
	if gs == nil {
		return nil, core.ErrNoGroups
	}
	switch f.Kind {
	case proto.KindGroupCreate:
		var req proto.GroupCreateRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		ids, err := groupIDs(req.Members)
		if err != nil {
			return nil, err
		}
		return wireGroup(gs.CreateGroup(ctx, req.Name, ids))
	case proto.KindGroupsMine:
		if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
			return nil, err
		}
		mine, err := gs.MyGroups(ctx)
		if err != nil {
			return nil, err
		}
		out := proto.GroupList{Groups: make([]proto.GroupInfo, len(mine))}
		for i, g := range mine {
			out.Groups[i] = toWireGroup(g)
		}
		return out, nil
	case proto.KindGroup:
		var req proto.GroupRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return wireGroup(gs.Group(ctx, req.Key))
	case proto.KindGroupAdd, proto.KindGroupRemove:
		var req proto.GroupMembersRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		ids, err := groupIDs(req.IDs)
		if err != nil {
			return nil, err
		}
		if f.Kind == proto.KindGroupAdd {
			return wireGroup(gs.AddGroupMembers(ctx, req.Key, ids))
		}
		return wireGroup(gs.RemoveGroupMembers(ctx, req.Key, ids))
	case proto.KindGroupRename:
		var req proto.GroupRenameRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return wireGroup(gs.RenameGroup(ctx, req.Key, req.Name))
	case proto.KindGroupAdmin:
		var req proto.GroupAdminRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		id, err := crypto.ParseID(req.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", groups.ErrInvalid, err)
		}
		return wireGroup(gs.SetGroupAdmin(ctx, req.Key, id, req.Admin))
	case proto.KindGroupLeave:
		var req proto.GroupRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return struct{}{}, gs.LeaveGroup(ctx, req.Key)
	}
	return nil, fmt.Errorf("%w: request kind %#02x", errUnknownRequest, byte(f.Kind))
}

// groupIDs parses the Parley IDs of a group request. More than a group
// holds is refused before the registry sees them.
func groupIDs(ss []string) ([]crypto.ID, error) {
	if len(ss) > proto.MaxGroupMembers {
		return nil, fmt.Errorf("%w: %d IDs in one request, at most %d", groups.ErrTooMany, len(ss), proto.MaxGroupMembers)
	}
	ids := make([]crypto.ID, len(ss))
	for i, s := range ss {
		id, err := crypto.ParseID(s)
		if err != nil {
			return nil, fmt.Errorf("%w: member %w", groups.ErrInvalid, err)
		}
		ids[i] = id
	}
	return ids, nil
}

// wireGroup converts a port's answer, keeping its error.
func wireGroup(g core.GroupInfo, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return toWireGroup(g), nil
}

func toWireGroup(g core.GroupInfo) proto.GroupInfo {
	return proto.GroupInfo{Key: g.Key, Name: g.Name, Managed: g.Managed, Creator: g.Creator.String(),
		Admins: idStrings(g.Admins), Members: idStrings(g.Members)}
}

func idStrings(ids []crypto.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
