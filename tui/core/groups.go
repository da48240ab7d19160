package core

import (
	"context"
	"errors"

	"github.com/parley-chat/parley/crypto"
)

// GroupInfo is a group as the server's registry holds it.
type GroupInfo struct {
	Key     string // server-wide group key: 16 hex characters
	Name    string
	Managed bool // created by an admin: fixed membership
	Creator crypto.ID
	Admins  []crypto.ID
	Members []crypto.ID // the admins included
}

// Groups is the server's group registry, acting for the session's user.
// Membership lives on the server so that policy (who may create groups)
// and limits are enforced there; the messages themselves stay end to end
// encrypted, once per member.
type Groups interface {
	CreateGroup(ctx context.Context, name string, members []crypto.ID) (GroupInfo, error)
	MyGroups(ctx context.Context) ([]GroupInfo, error)
	Group(ctx context.Context, key string) (GroupInfo, error)
	AddGroupMembers(ctx context.Context, key string, ids []crypto.ID) (GroupInfo, error)
	RemoveGroupMembers(ctx context.Context, key string, ids []crypto.ID) (GroupInfo, error)
	RenameGroup(ctx context.Context, key, name string) (GroupInfo, error)
	SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) (GroupInfo, error)
	LeaveGroup(ctx context.Context, key string) error
}

// ErrNoGroups says this session has no group registry.
var ErrNoGroups = errors.New("groups are not available in this session")
