package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// The bounds of one channel's uploads (docs/protocol.md); at most
// proto.MaxBlobUploads are open at once.
const (
	// uploadIdle is how long an open upload waits for its next chunk.
	uploadIdle = 2 * time.Minute
	// uploadLifetime bounds an upload from its begin, however busy.
	uploadLifetime = 6 * time.Hour
)

// Refusals of the upload requests themselves; the blob store's own
// (size, quota, recipients) come through as it words them.
var (
	errTooManyUploads = errors.New("too many uploads at once")
	errNoUpload       = errors.New("no such upload: it ended, failed or expired")
	errUploadExpired  = errors.New("the upload expired")
	errUploadOrder    = errors.New("upload chunk out of order")
	errUploadOverrun  = errors.New("more bytes than the upload announced")
	errUploadEnded    = errors.New("the upload was cancelled")
)

// uploads are the blob uploads open on one channel. Each streams through
// a pipe into the port's Put, which runs in its own goroutine and writes
// to the blob store's temporary file: no upload is held in memory beyond
// the chunk being written.
type uploads struct {
	mu     sync.Mutex // guards the fields below
	open   map[string]*upload
	next   uint64 // the last handle given
	closed bool   // the channel ended: no more uploads

	wg sync.WaitGroup // the Put goroutines
}

// upload is one open upload. size and got are the serve goroutine's; the
// rest is set at begin, except what Put's goroutine sets before done.
type upload struct {
	size     int64 // announced; negative: unknown
	got      int64 // bytes written to the pipe
	deadline time.Time
	pw       *io.PipeWriter
	timer    *time.Timer // expires the upload when idle or past its deadline
	done     chan struct{}
	blob     string // Put's result, set before done closes
	err      error
}

// blob answers the requests of the blob store (KindBlobPutBegin to
// KindBlobDelete) with the principal's Blobs port, which enforces the
// size limit, the quota and who may read a blob; without a store each is
// refused with core.ErrNoBlobs.
func (c *protoConn) blob(ctx context.Context, f proto.Frame) (any, error) {
	bs := c.ports.Blobs
	if bs == nil {
		return nil, core.ErrNoBlobs
	}
	switch f.Kind {
	case proto.KindBlobPutBegin:
		var req proto.BlobPutBeginRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return c.putBegin(ctx, req)
	case proto.KindBlobPutChunk:
		var req proto.BlobPutChunkRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		if len(req.Data) > proto.MaxBlobChunk {
			return nil, fmt.Errorf("%w: a chunk of %d bytes, at most %d", proto.ErrFrame, len(req.Data), proto.MaxBlobChunk)
		}
		return struct{}{}, c.putChunk(req)
	case proto.KindBlobPutEnd:
		var req proto.BlobUpload
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		u := c.uploads.take(req.Upload)
		if u == nil {
			return nil, errNoUpload
		}
		u.timer.Stop()
		// Put checks that exactly the announced bytes arrived.
		_ = u.pw.Close()
		<-u.done
		if u.err != nil {
			return nil, u.err
		}
		return proto.BlobRef{Blob: u.blob}, nil
	case proto.KindBlobPutCancel:
		var req proto.BlobUpload
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		u := c.uploads.take(req.Upload)
		if u == nil {
			return nil, errNoUpload
		}
		u.timer.Stop()
		u.abort(errUploadEnded)
		return struct{}{}, nil
	case proto.KindBlobGet:
		var req proto.BlobGetRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		if req.Limit <= 0 || req.Limit > proto.MaxBlobChunk {
			req.Limit = proto.MaxBlobChunk
		}
		buf := make([]byte, req.Limit)
		n, size, err := bs.ReadAt(ctx, req.Blob, buf, req.Offset)
		if err != nil {
			return nil, err
		}
		return proto.BlobRange{Data: buf[:n], Size: size}, nil
	case proto.KindBlobDelete:
		var req proto.BlobRef
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return struct{}{}, bs.Delete(ctx, req.Blob)
	}
	return nil, fmt.Errorf("%w: request kind %#02x", errUnknownRequest, byte(f.Kind))
}

// putBegin opens an upload and answers once the blob store has accepted
// it: a size over the limit or the quota is refused here, before any
// chunk is sent.
func (c *protoConn) putBegin(ctx context.Context, req proto.BlobPutBeginRequest) (any, error) {
	if len(req.Recipients) > blobs.MaxRecipients {
		return nil, fmt.Errorf("%w: %d recipients, at most %d", blobs.ErrInvalid, len(req.Recipients), blobs.MaxRecipients)
	}
	ids := make([]crypto.ID, len(req.Recipients))
	for i, s := range req.Recipients {
		id, err := crypto.ParseID(s)
		if err != nil {
			return nil, fmt.Errorf("%w: recipient %w", blobs.ErrInvalid, err)
		}
		ids[i] = id
	}
	size := max(req.Size, -1)
	pr, pw := io.Pipe()
	u := &upload{size: size, deadline: time.Now().Add(uploadLifetime), pw: pw, done: make(chan struct{})}
	handle, err := c.uploads.add(u)
	if err != nil {
		return nil, err
	}
	u.timer = time.AfterFunc(uploadIdle, func() { c.expire(handle, u) })
	started := make(chan struct{})
	c.uploads.wg.Go(func() {
		u.blob, u.err = c.ports.Blobs.Put(ctx, &startReader{r: pr, started: started}, size, ids)
		// Later chunks fail with Put's refusal; after a success (at the
		// end), no chunk comes.
		pr.CloseWithError(u.err)
		close(u.done)
	})
	select {
	case <-started: // Put checked the limits and reads
		return proto.BlobUpload{Upload: handle}, nil
	case <-u.done:
	}
	c.uploads.take(handle)
	u.timer.Stop()
	return nil, u.err
}

// putChunk writes a chunk into its upload. A chunk out of order or past
// the announced size ends the upload, as does any refusal of the store.
func (c *protoConn) putChunk(req proto.BlobPutChunkRequest) error {
	u := c.uploads.get(req.Upload)
	if u == nil {
		return errNoUpload
	}
	var refused error
	switch {
	case req.Offset != u.got:
		refused = fmt.Errorf("%w: at byte %d, after %d bytes", errUploadOrder, req.Offset, u.got)
	case u.size >= 0 && int64(len(req.Data)) > u.size-u.got:
		refused = fmt.Errorf("%w: %d bytes after %d, of %d", errUploadOverrun, len(req.Data), u.got, u.size)
	}
	now := time.Now()
	switch {
	case refused != nil:
	case !u.deadline.After(now):
		refused = errUploadExpired
	case !u.timer.Reset(min(uploadIdle, u.deadline.Sub(now))):
		refused = errUploadExpired // the timer fired: expire is ending the upload
	}
	wrote := refused == nil
	if wrote {
		var n int
		n, refused = u.pw.Write(req.Data)
		u.got += int64(n)
		if refused == nil {
			return nil
		}
	}
	c.uploads.take(req.Upload)
	u.timer.Stop()
	u.abort(refused)
	switch {
	case errors.Is(refused, errUploadExpired), errors.Is(u.err, errUploadExpired):
		return errNoUpload
	case wrote && u.err != nil:
		return u.err // the store's refusal, such as the quota of an upload of unknown size
	}
	return refused
}

// expire ends an upload whose timer fired, unless it ended already.
func (c *protoConn) expire(handle string, u *upload) {
	if c.uploads.take(handle) != u {
		return
	}
	c.s.log.InfoContext(c.logCtx(), "parley subsystem: upload expired", "session", c.p.Session)
	u.abort(errUploadExpired)
}

// endUploads cancels what the channel left open and waits until the blob
// store has removed it.
func (c *protoConn) endUploads() {
	c.uploads.mu.Lock()
	c.uploads.closed = true
	open := c.uploads.open
	c.uploads.open = nil
	c.uploads.mu.Unlock()
	for _, u := range open {
		u.timer.Stop()
		u.abort(errUploadEnded)
	}
	c.uploads.wg.Wait()
}

// abort makes the upload's Put fail with err, unless it has failed
// already, and waits until it returned; the blob store then has removed
// what it received.
func (u *upload) abort(err error) {
	u.pw.CloseWithError(err)
	<-u.done
}

// add registers an upload under a new handle.
func (us *uploads) add(u *upload) (string, error) {
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.closed {
		return "", errUploadEnded
	}
	if len(us.open) >= proto.MaxBlobUploads {
		return "", fmt.Errorf("%w: at most %d on one connection", errTooManyUploads, proto.MaxBlobUploads)
	}
	if us.open == nil {
		us.open = map[string]*upload{}
	}
	us.next++
	handle := strconv.FormatUint(us.next, 10)
	us.open[handle] = u
	return handle, nil
}

func (us *uploads) get(handle string) *upload {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.open[handle]
}

// take removes an upload; nil when it is not open (any more).
func (us *uploads) take(handle string) *upload {
	us.mu.Lock()
	defer us.mu.Unlock()
	u := us.open[handle]
	delete(us.open, handle)
	return u
}

// startReader says when Put first reads: it has passed its checks.
type startReader struct {
	r       io.Reader
	once    sync.Once
	started chan struct{}
}

func (s *startReader) Read(p []byte) (int, error) {
	s.once.Do(func() { close(s.started) })
	return s.r.Read(p)
}
