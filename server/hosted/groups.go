package hosted

import (
	"context"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/tui/core"
)

// groupClient is the core's Groups port: the server's group registry,
// acting as one principal.
type groupClient struct {
	p   *auth.Principal
	svc *groups.Service
}

var (
	_ core.Groups     = (*groupClient)(nil)
	_ core.BatchRelay = (*relayClient)(nil)
)

func (g *groupClient) ctx(ctx context.Context) context.Context { return auth.With(ctx, g.p) }

func groupInfo(gr groups.Group) core.GroupInfo {
	return core.GroupInfo{Key: gr.Key, Name: gr.Name, Managed: gr.Managed, Creator: gr.Creator,
		Admins: gr.Admins, Members: gr.Members}
}

// info converts a service answer, keeping its error.
func info(gr groups.Group, err error) (core.GroupInfo, error) {
	if err != nil {
		return core.GroupInfo{}, err
	}
	return groupInfo(gr), nil
}

func (g *groupClient) CreateGroup(ctx context.Context, name string, members []crypto.ID) (core.GroupInfo, error) {
	return info(g.svc.Create(g.ctx(ctx), name, members))
}

func (g *groupClient) MyGroups(ctx context.Context) ([]core.GroupInfo, error) {
	gs, err := g.svc.Mine(g.ctx(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]core.GroupInfo, len(gs))
	for i, gr := range gs {
		out[i] = groupInfo(gr)
	}
	return out, nil
}

func (g *groupClient) Group(ctx context.Context, key string) (core.GroupInfo, error) {
	return info(g.svc.Get(g.ctx(ctx), key))
}

func (g *groupClient) AddGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	return info(g.svc.AddMembers(g.ctx(ctx), key, ids))
}

func (g *groupClient) RemoveGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	return info(g.svc.RemoveMembers(g.ctx(ctx), key, ids))
}

func (g *groupClient) RenameGroup(ctx context.Context, key, name string) (core.GroupInfo, error) {
	return info(g.svc.Rename(g.ctx(ctx), key, name))
}

func (g *groupClient) SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) (core.GroupInfo, error) {
	return info(g.svc.SetAdmin(g.ctx(ctx), key, id, admin))
}

func (g *groupClient) LeaveGroup(ctx context.Context, key string) error {
	return g.svc.Leave(g.ctx(ctx), key)
}

// SendBatch hands the envelopes of one message to several recipients to
// the relay in one call (core.BatchRelay).
func (r *relayClient) SendBatch(ctx context.Context, envs [][]byte) ([]core.Sent, []error, error) {
	sent, errs, err := r.rel.SendBatch(r.ctx(ctx), envs)
	if err != nil {
		return nil, nil, err
	}
	out := make([]core.Sent, len(sent))
	for i, s := range sent {
		out[i] = core.Sent{Seq: s.Seq, Received: s.Received}
	}
	return out, errs, nil
}
