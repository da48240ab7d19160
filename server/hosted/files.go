package hosted

import (
	"context"
	"io"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/tui/core"
)

// blobPort is the core's Blobs, acting as one principal.
type blobPort struct {
	p  *auth.Principal
	bs *blobs.Store
}

var _ core.Blobs = blobPort{}

// blobsFor returns the core's Blobs, or nil when the server keeps no files.
func blobsFor(d Deps, p *auth.Principal) core.Blobs {
	if d.Blobs == nil {
		return nil
	}
	return blobPort{p: p, bs: d.Blobs}
}

func (b blobPort) Put(ctx context.Context, r io.Reader, size int64, recipients []crypto.ID) (string, error) {
	m, err := b.bs.Put(auth.With(ctx, b.p), r, size, recipients)
	return m.ID, err
}

func (b blobPort) Delete(ctx context.Context, blob string) error {
	return b.bs.Delete(auth.With(ctx, b.p), blob)
}

func (b blobPort) Get(ctx context.Context, blob string) (io.ReadCloser, error) {
	rc, _, err := b.bs.Get(auth.With(ctx, b.p), blob)
	return rc, err
}

// OpenCore returns the principal's core unlocked with the key the unlock
// window keeps (an open chat session's or `unlock`'s), or ErrLocked. The
// caller closes it, which wipes its copy of the key.
func OpenCore(ctx context.Context, d Deps, p *auth.Principal) (*core.Core, error) {
	if !p.CanChat() {
		return nil, relay.ErrNotUser
	}
	if d.Keyring == nil {
		return nil, ErrLocked
	}
	window, err := UnlockWindow(ctx, d.DB, p)
	if err != nil {
		return nil, err
	}
	sk, _, ok := d.Keyring.Key(p.User.ID, window)
	if !ok {
		return nil, ErrLocked
	}
	c, err := NewCore(d, p)
	if err != nil {
		sk.Wipe()
		return nil, err
	}
	if err := c.UnlockWithKey(sk); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
