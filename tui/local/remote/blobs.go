package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

var _ core.Blobs = (*Conn)(nil)

// cancelTimeout bounds telling the server that an upload is abandoned.
const cancelTimeout = 10 * time.Second

// Put uploads size bytes of ciphertext read from r (negative: as many as
// r yields) that the recipients may fetch, in chunks, and returns the blob
// ID. The server refuses a size over the limit or the quota before the
// first chunk. A reader that fails or yields more than size bytes, or a
// ctx that ends, cancels the upload on the server.
func (c *Conn) Put(ctx context.Context, r io.Reader, size int64, recipients []crypto.ID) (string, error) {
	select {
	case c.uploads <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-c.done:
		return "", c.Err()
	}
	defer func() { <-c.uploads }()
	to := make([]string, len(recipients))
	for i, id := range recipients {
		to[i] = id.String()
	}
	size = max(size, -1)
	var up proto.BlobUpload
	if err := c.call(ctx, proto.KindBlobPutBegin, proto.BlobPutBeginRequest{Size: size, Recipients: to}, &up); err != nil {
		return "", err
	}
	blob, err := c.putChunks(ctx, up, r, size)
	if errors.Is(err, errAbandoned) || (err != nil && ctx.Err() != nil) {
		// The server still holds the upload: a refusal or the end of the
		// connection would have ended it there.
		c.cancelUpload(ctx, up)
	}
	return blob, err
}

// errAbandoned marks a failure on this side of an upload.
var errAbandoned = errors.New("upload abandoned")

// putChunks sends r in chunks and ends the upload.
func (c *Conn) putChunks(ctx context.Context, up proto.BlobUpload, r io.Reader, size int64) (string, error) {
	buf := make([]byte, proto.MaxBlobChunk)
	var off int64
	for {
		n, rerr := fill(r, buf)
		if size >= 0 && int64(n) > size-off {
			return "", fmt.Errorf("%w: the file has more than the %d bytes announced", errAbandoned, size)
		}
		if n > 0 {
			req := proto.BlobPutChunkRequest{Upload: up.Upload, Offset: off, Data: buf[:n]}
			if err := c.call(ctx, proto.KindBlobPutChunk, req, nil); err != nil {
				return "", err
			}
			off += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return "", fmt.Errorf("%w: read the file: %w", errAbandoned, rerr)
		}
	}
	var ref proto.BlobRef
	if err := c.call(ctx, proto.KindBlobPutEnd, up, &ref); err != nil {
		return "", err
	}
	if !validBlob(ref.Blob) {
		return "", fmt.Errorf("%w: the server named the blob %q", proto.ErrFrame, ref.Blob)
	}
	return ref.Blob, nil
}

// fill reads into buf until it is full or r fails; io.EOF is r's end.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// cancelUpload tells the server to drop an upload; the answer does not
// matter (the server may have ended it already).
func (c *Conn) cancelUpload(ctx context.Context, up proto.BlobUpload) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
	defer cancel()
	_ = c.call(ctx, proto.KindBlobPutCancel, up, nil)
}

// Get opens a blob the user uploaded or received. The first range is
// fetched here, so that a blob the user may not read is refused at once;
// the others as the reader reaches them, with ctx.
func (c *Conn) Get(ctx context.Context, blob string) (io.ReadCloser, error) {
	b := &blobReader{ctx: ctx, c: c, blob: blob, size: -1}
	if err := b.fetch(); err != nil {
		return nil, err
	}
	return b, nil
}

// Delete removes a blob the user uploaded.
func (c *Conn) Delete(ctx context.Context, blob string) error {
	return c.call(ctx, proto.KindBlobDelete, proto.BlobRef{Blob: blob}, nil)
}

// blobReader reads a blob range by range. Every range must be as long as
// asked, up to the size the first one gave: anything else is a protocol
// error, not a short file.
type blobReader struct {
	ctx  context.Context //nolint:containedctx // bounds the reads of one Get
	c    *Conn
	blob string

	size   int64  // the blob's size; -1 before the first range
	off    int64  // bytes fetched
	buf    []byte // fetched, not yet read
	closed bool
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.closed {
		return 0, os.ErrClosed
	}
	for len(b.buf) == 0 {
		if b.off >= b.size {
			return 0, io.EOF
		}
		if err := b.fetch(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *blobReader) fetch() error {
	var r proto.BlobRange
	req := proto.BlobGetRequest{Blob: b.blob, Offset: b.off, Limit: proto.MaxBlobChunk}
	if err := b.c.call(b.ctx, proto.KindBlobGet, req, &r); err != nil {
		return err
	}
	if b.size < 0 && r.Size >= 0 {
		b.size = r.Size
	}
	if want := min(proto.MaxBlobChunk, b.size-b.off); r.Size != b.size || int64(len(r.Data)) != want {
		return fmt.Errorf("%w: blob %s: %d bytes at %d of a blob of %d, want %d of %d", proto.ErrFrame, b.blob,
			len(r.Data), b.off, r.Size, want, b.size)
	}
	b.buf = r.Data
	b.off += int64(len(r.Data))
	return nil
}

// Close ends the reads; the server holds nothing open for them.
func (b *blobReader) Close() error {
	b.closed, b.buf = true, nil
	return nil
}

// validBlob reports whether s is a blob ID: 32 lower-case hex characters.
func validBlob(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
