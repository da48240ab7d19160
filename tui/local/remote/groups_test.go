package remote

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
)

// TestGroups: every method of core.Groups sends its request with the IDs
// written out and reads the group back; the service's refusals keep their
// code and message.
func TestGroups(t *testing.T) {
	me, bob, cat := newID(t), newID(t), newID(t)
	const key = "0123456789abcdef"
	wire := func(name string, members ...crypto.ID) proto.GroupInfo {
		ss := make([]string, len(members))
		for i, m := range members {
			ss[i] = m.String()
		}
		return proto.GroupInfo{Key: key, Name: name, Creator: me.String(), Admins: []string{me.String()}, Members: ss}
	}
	var asked []proto.Kind
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		asked = append(asked, f.Kind)
		refuse := func(err error) (proto.Kind, any) {
			return proto.KindError, proto.Error{Code: proto.CodeBadFrame, Message: err.Error()}
		}
		switch f.Kind {
		case proto.KindGroupCreate:
			var req proto.GroupCreateRequest
			if err := proto.Decode(f.Payload, &req); err != nil {
				return refuse(err)
			}
			if req.Name == "disabled" {
				return proto.KindError, proto.Error{Code: proto.CodeForbidden, Message: "creating groups is disabled (policy th_disable_create_group)"}
			}
			if !slices.Equal(req.Members, []string{bob.String()}) {
				return proto.KindError, proto.Error{Code: proto.CodeInvalid, Message: "wrong members"}
			}
			return proto.KindOK, wire(req.Name, me, bob)
		case proto.KindGroupsMine:
			if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
				return refuse(err)
			}
			return proto.KindOK, proto.GroupList{Groups: []proto.GroupInfo{wire("Team", me, bob)}}
		case proto.KindGroup:
			var req proto.GroupRequest
			if err := proto.Decode(f.Payload, &req); err != nil {
				return refuse(err)
			}
			if req.Key != key {
				return proto.KindError, proto.Error{Code: proto.CodeNotFound, Message: "no such group"}
			}
			return proto.KindOK, wire("Team", me, bob)
		case proto.KindGroupAdd, proto.KindGroupRemove:
			var req proto.GroupMembersRequest
			if err := proto.Decode(f.Payload, &req); err != nil || req.Key != key || !slices.Equal(req.IDs, []string{cat.String()}) {
				return proto.KindError, proto.Error{Code: proto.CodeInvalid, Message: "wrong request"}
			}
			if f.Kind == proto.KindGroupAdd {
				return proto.KindOK, wire("Team", me, bob, cat)
			}
			return proto.KindOK, wire("Team", me, bob)
		case proto.KindGroupRename:
			var req proto.GroupRenameRequest
			if err := proto.Decode(f.Payload, &req); err != nil {
				return refuse(err)
			}
			return proto.KindOK, wire(req.Name, me, bob)
		case proto.KindGroupAdmin:
			var req proto.GroupAdminRequest
			if err := proto.Decode(f.Payload, &req); err != nil || req.ID != bob.String() || !req.Admin {
				return proto.KindError, proto.Error{Code: proto.CodeInvalid, Message: "wrong request"}
			}
			g := wire("Team", me, bob)
			g.Admins = append(g.Admins, bob.String())
			return proto.KindOK, g
		case proto.KindGroupLeave:
			var req proto.GroupRequest
			if err := proto.Decode(f.Payload, &req); err != nil || req.Key != key {
				return proto.KindError, proto.Error{Code: proto.CodeNotFound, Message: "no such group"}
			}
			return proto.KindOK, struct{}{}
		}
		return proto.KindError, proto.Error{Code: proto.CodeUnknown, Message: "unknown"}
	})
	ctx := t.Context()
	g, err := c.CreateGroup(ctx, "Team", []crypto.ID{bob})
	if err != nil || g.Key != key || g.Name != "Team" || g.Creator != me || !slices.Equal(g.Members, []crypto.ID{me, bob}) ||
		!slices.Equal(g.Admins, []crypto.ID{me}) {
		t.Fatalf("create: %+v %v", g, err)
	}
	_, err = c.CreateGroup(ctx, "disabled", nil)
	var refused *Error
	if !errors.As(err, &refused) || refused.Code != proto.CodeForbidden || err.Error() != "creating groups is disabled (policy th_disable_create_group)" {
		t.Fatalf("a refused create: %v", err)
	}
	mine, err := c.MyGroups(ctx)
	if err != nil || len(mine) != 1 || mine[0].Key != key || !slices.Equal(mine[0].Members, []crypto.ID{me, bob}) {
		t.Fatalf("mine: %+v %v", mine, err)
	}
	if g, err := c.Group(ctx, key); err != nil || g.Name != "Team" {
		t.Fatalf("group: %+v %v", g, err)
	}
	if _, err := c.Group(ctx, "fedcba9876543210"); !errors.As(err, &refused) || refused.Code != proto.CodeNotFound {
		t.Fatalf("an unknown group: %v", err)
	}
	if g, err := c.AddGroupMembers(ctx, key, []crypto.ID{cat}); err != nil || !slices.Contains(g.Members, cat) {
		t.Fatalf("add: %+v %v", g, err)
	}
	if g, err := c.RemoveGroupMembers(ctx, key, []crypto.ID{cat}); err != nil || slices.Contains(g.Members, cat) {
		t.Fatalf("remove: %+v %v", g, err)
	}
	if g, err := c.RenameGroup(ctx, key, "Crew"); err != nil || g.Name != "Crew" {
		t.Fatalf("rename: %+v %v", g, err)
	}
	if g, err := c.SetGroupAdmin(ctx, key, bob, true); err != nil || !slices.Contains(g.Admins, bob) {
		t.Fatalf("set admin: %+v %v", g, err)
	}
	if err := c.LeaveGroup(ctx, key); err != nil {
		t.Fatalf("leave: %v", err)
	}
	// More IDs than a group holds are refused here, without a request.
	n := len(asked)
	if _, err := c.AddGroupMembers(ctx, key, make([]crypto.ID, proto.MaxGroupMembers+1)); err == nil || len(asked) != n {
		t.Fatalf("an oversized add: %v, %d requests sent", err, len(asked)-n)
	}
}

// TestGroupAnswersAreChecked: an answer about another group, or with an ID
// that does not parse, is a protocol error, not a group.
func TestGroupAnswersAreChecked(t *testing.T) {
	me := newID(t)
	var bad atomic.Bool
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		g := proto.GroupInfo{Key: "0123456789abcdef", Name: "Team", Creator: me.String(), Admins: []string{me.String()}, Members: []string{me.String()}}
		if bad.Load() {
			g.Members = append(g.Members, "not-an-id")
		}
		return proto.KindOK, g
	})
	if _, err := c.Group(t.Context(), "fedcba9876543210"); !errors.Is(err, proto.ErrFrame) {
		t.Fatalf("an answer about another group: %v", err)
	}
	bad.Store(true)
	if _, err := c.Group(t.Context(), "0123456789abcdef"); !errors.Is(err, proto.ErrFrame) {
		t.Fatalf("a member that is no ID: %v", err)
	}
}
