package hosted

import (
	"context"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/tui/core"
)

// directoryClient is the core's Directory for one principal: the company
// directory as the user may search it, and the user's own data.
type directoryClient struct {
	p   *auth.Principal
	dir Directory
}

var _ core.Directory = (*directoryClient)(nil)

func (d *directoryClient) ctx(ctx context.Context) context.Context { return auth.With(ctx, d.p) }

// Find searches the directory as the principal's user.
func (d *directoryClient) Find(ctx context.Context, query string, limit int) ([]core.DirectoryEntry, error) {
	es, err := d.dir.Find(d.ctx(ctx), d.p.UserID(), query, limit)
	if err != nil {
		return nil, err
	}
	out := make([]core.DirectoryEntry, len(es))
	for i, e := range es {
		out[i] = core.DirectoryEntry{ID: e.ID, Name: e.Name, Nickname: e.Nickname, Category: e.Category, Tags: e.Tags,
			Internal: e.Internal, Organisation: e.Organisation}
	}
	return out, nil
}

// Whoami reads what the server stores about the principal's user.
func (d *directoryClient) Whoami(ctx context.Context) (core.WhoamiInfo, error) {
	w, err := d.dir.Whoami(d.ctx(ctx), d.p.UserID())
	if err != nil {
		return core.WhoamiInfo{}, err
	}
	return toCoreWhoami(w), nil
}

// toCoreWhoami converts the directory's answer for the core.
func toCoreWhoami(w directory.Whoami) core.WhoamiInfo {
	out := core.WhoamiInfo{
		ID: w.ID, Name: w.Name, FirstName: w.FirstName, LastName: w.LastName, Nickname: w.Nickname,
		Category: w.Category, CSI: w.CSI, Tags: w.Tags, Email: w.Email, EmailHashes: w.EmailHashes,
		PublicKey: w.PublicKey, Fingerprint: w.Fingerprint, SealedKey: w.SealedKey, Organisation: w.Organisation,
		Status: string(w.Status), CreatedAt: w.CreatedAt, ActivatedAt: w.ActivatedAt,
		Devices:  make([]core.WhoamiDevice, len(w.Devices)),
		Policies: make([]core.WhoamiPolicy, len(w.Policies)),
		Groups:   make([]core.WhoamiGroup, len(w.Groups)),
	}
	for i, dv := range w.Devices {
		out.Devices[i] = core.WhoamiDevice{Fingerprint: dv.Fingerprint, Label: dv.Label, Added: dv.AddedAt, LastUsed: dv.LastSeen}
	}
	for i, v := range w.Policies {
		out.Policies[i] = core.WhoamiPolicy{Key: v.Key, Value: v.Raw, Source: string(v.Source)}
	}
	for i, g := range w.Groups {
		out.Groups[i] = core.WhoamiGroup{Key: g.Key, Name: g.Name, Managed: g.Managed, Admin: g.Admin, Members: g.Members}
	}
	return out
}
