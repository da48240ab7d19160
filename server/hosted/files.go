package hosted

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/tui/core"
)

// BlobPort is core.Blobs as the parley subsystem serves it, where a
// download goes in ranges.
type BlobPort interface {
	core.Blobs
	// ReadAt reads up to len(p) bytes of the blob from offset, for a user
	// whom Get would give it, and returns them with the blob's size in
	// bytes; n is less than len(p) only where the blob ends.
	ReadAt(ctx context.Context, blob string, p []byte, offset int64) (n int, size int64, err error)
}

// ErrBlobRange is a range that starts outside the blob.
var ErrBlobRange = errors.New("the range starts outside the file")

// blobPort is the core's Blobs, acting as one principal.
type blobPort struct {
	p  *auth.Principal
	bs *blobs.Store
}

var _ BlobPort = blobPort{}

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

// ReadAt opens the blob, which checks who may read it, for every range.
func (b blobPort) ReadAt(ctx context.Context, blob string, p []byte, offset int64) (int, int64, error) {
	rc, m, err := b.bs.Get(auth.With(ctx, b.p), blob)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = rc.Close() }()
	if offset < 0 || offset > m.Size {
		return 0, m.Size, fmt.Errorf("%w: byte %d of %d", ErrBlobRange, offset, m.Size)
	}
	p = p[:min(int64(len(p)), m.Size-offset)]
	var n int
	if ra, ok := rc.(io.ReaderAt); ok {
		n, err = ra.ReadAt(p, offset)
	} else if _, err = io.CopyN(io.Discard, rc, offset); err == nil {
		n, err = io.ReadFull(rc, p)
	}
	if n == len(p) {
		return n, m.Size, nil // io.EOF with the last byte is no failure
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // the file is shorter than its record
	}
	return n, m.Size, fmt.Errorf("read file: %w", err)
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
