package sshd

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/store"
)

// blobEnv is a real blob store with three users of one tenant: Ada
// uploads for Bob; Eve is no recipient.
type blobEnv struct {
	t             *testing.T
	db            *store.Bolt
	dir           string
	ada, bob, eve *auth.Principal
	d             hosted.Deps
}

func newBlobEnv(t *testing.T) *blobEnv {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e := &blobEnv{t: t, db: db, dir: filepath.Join(t.TempDir(), "blobs")}
	mk := func(id, name string) *auth.Principal {
		pid, err := crypto.ParseID(id)
		if err != nil {
			t.Fatal(err)
		}
		u := store.User{ID: pid, TenantID: "t-acme", Name: name, Status: store.UserActive}
		return &auth.Principal{User: &u, KeyFingerprint: "SHA256:" + name, Session: name}
	}
	e.ada, e.bob, e.eve = mk("ADA00001", "Ada"), mk("BOB00002", "Bob"), mk("EVE00003", "Eve")
	err = db.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutTenant(store.Tenant{ID: "t-acme", Name: "acme"}); err != nil {
			return err
		}
		for _, p := range []*auth.Principal{e.ada, e.bob, e.eve} {
			if err := tx.PutUser(*p.User); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobs.Open(db, blobs.Config{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	e.d = hosted.Deps{DB: db, Blobs: bs}
	return e
}

// conn is a channel of p's; what it left open is ended with the test.
func (e *blobEnv) conn(p *auth.Principal) *protoConn {
	c := testConn(hosted.PortsFor(e.d, p))
	e.t.Cleanup(c.endUploads)
	return c
}

func (e *blobEnv) setPolicy(key, value string) {
	e.t.Helper()
	err := e.db.Update(e.t.Context(), func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, "t-acme", crypto.ID{}, key, value)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// staged lists the uploads in progress in the store's tmp directory.
func (e *blobEnv) staged() []string {
	e.t.Helper()
	des, err := os.ReadDir(filepath.Join(e.dir, "tmp"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// code is the Error code the channel would answer for err; "" for none.
func code(c *protoConn, err error) string {
	if err == nil {
		return ""
	}
	code, _ := c.classify(err)
	return code
}

func begin(t *testing.T, c *protoConn, size int64, to ...*auth.Principal) (string, error) {
	t.Helper()
	ids := make([]string, len(to))
	for i, p := range to {
		ids[i] = p.User.ID.String()
	}
	res, err := c.handle(t.Context(), request(proto.KindBlobPutBegin, proto.BlobPutBeginRequest{Size: size, Recipients: ids}))
	if err != nil {
		return "", err
	}
	return res.(proto.BlobUpload).Upload, nil
}

func chunk(t *testing.T, c *protoConn, handle string, off int64, data []byte) error {
	t.Helper()
	_, err := c.handle(t.Context(), request(proto.KindBlobPutChunk, proto.BlobPutChunkRequest{Upload: handle, Offset: off, Data: data}))
	return err
}

func end(t *testing.T, c *protoConn, handle string) (string, error) {
	t.Helper()
	res, err := c.handle(t.Context(), request(proto.KindBlobPutEnd, proto.BlobUpload{Upload: handle}))
	if err != nil {
		return "", err
	}
	return res.(proto.BlobRef).Blob, nil
}

func getRange(t *testing.T, c *protoConn, blob string, off int64, limit int) (proto.BlobRange, error) {
	t.Helper()
	res, err := c.handle(t.Context(), request(proto.KindBlobGet, proto.BlobGetRequest{Blob: blob, Offset: off, Limit: limit}))
	r, _ := res.(proto.BlobRange)
	return r, err
}

// putAll sends data in chunks of at most n bytes and returns the blob.
func putAll(t *testing.T, c *protoConn, data []byte, n int, to ...*auth.Principal) string {
	t.Helper()
	h, err := begin(t, c, int64(len(data)), to...)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	for off := 0; off < len(data); off += n {
		if err := chunk(t, c, h, int64(off), data[off:min(off+n, len(data))]); err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
	}
	blob, err := end(t, c, h)
	if err != nil {
		t.Fatalf("end: %v", err)
	}
	return blob
}

func randomData(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSubsystemBlobs: an upload in chunks is stored as sent; the
// recipient reads it in ranges, which end where the blob ends; someone
// who is no recipient, a blob that does not exist and a deleted one are
// not found; a range past the end is invalid; without a blob store every
// blob request is unknown.
func TestSubsystemBlobs(t *testing.T) {
	e := newBlobEnv(t)
	ca, cb, ce := e.conn(e.ada), e.conn(e.bob), e.conn(e.eve)
	data := randomData(t, proto.MaxBlobChunk*2+1000)
	blob := putAll(t, ca, data, proto.MaxBlobChunk, e.bob)

	var got []byte
	for off := int64(0); ; {
		r, err := getRange(t, cb, blob, off, 0)
		if err != nil || r.Size != int64(len(data)) || len(r.Data) > proto.MaxBlobChunk {
			t.Fatalf("range at %d: %d bytes of %d, %v", off, len(r.Data), r.Size, err)
		}
		if len(r.Data) == 0 {
			break
		}
		got = append(got, r.Data...)
		off += int64(len(r.Data))
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("Bob read %d bytes, not the %d Ada sent", len(got), len(data))
	}
	// A smaller limit is kept; a larger one is cut to MaxBlobChunk.
	if r, err := getRange(t, cb, blob, 10, 100); err != nil || !bytes.Equal(r.Data, data[10:110]) {
		t.Fatalf("a range of 100: %d bytes, %v", len(r.Data), err)
	}
	if r, err := getRange(t, ca, blob, 0, proto.MaxBlobChunk*4); err != nil || len(r.Data) != proto.MaxBlobChunk {
		t.Fatalf("a range over the limit: %d bytes, %v", len(r.Data), err)
	}
	if _, err := getRange(t, cb, blob, int64(len(data))+1, 0); code(cb, err) != proto.CodeInvalid {
		t.Fatalf("a range past the end: %v", err)
	}
	if _, err := getRange(t, ce, blob, 0, 0); code(ce, err) != proto.CodeNotFound {
		t.Fatalf("Eve reads Ada's blob for Bob: %v", err)
	}
	if _, err := getRange(t, cb, strings.Repeat("0", 32), 0, 0); code(cb, err) != proto.CodeNotFound {
		t.Fatalf("a blob that does not exist: %v", err)
	}
	// Only the uploader deletes; then the blob is gone for everyone.
	if _, err := cb.handle(t.Context(), request(proto.KindBlobDelete, proto.BlobRef{Blob: blob})); code(cb, err) != proto.CodeNotFound {
		t.Fatalf("Bob deletes Ada's blob: %v", err)
	}
	if _, err := ca.handle(t.Context(), request(proto.KindBlobDelete, proto.BlobRef{Blob: blob})); err != nil {
		t.Fatalf("Ada deletes her blob: %v", err)
	}
	if _, err := getRange(t, cb, blob, 0, 0); code(cb, err) != proto.CodeNotFound {
		t.Fatalf("a deleted blob: %v", err)
	}
	// An empty blob: one range, empty, of size 0.
	empty := putAll(t, ca, nil, 1, e.bob)
	if r, err := getRange(t, cb, empty, 0, 0); err != nil || len(r.Data) != 0 || r.Size != 0 {
		t.Fatalf("an empty blob: %+v, %v", r, err)
	}

	none := testConn(hosted.Ports{})
	for _, f := range []proto.Frame{request(proto.KindBlobPutBegin, proto.BlobPutBeginRequest{Size: 1, Recipients: []string{"BOB00002"}}),
		request(proto.KindBlobGet, proto.BlobGetRequest{Blob: blob})} {
		if _, err := none.handle(t.Context(), f); code(none, err) != proto.CodeUnknown {
			t.Errorf("request %#02x without a blob store: %v", byte(f.Kind), err)
		}
	}
}

// TestSubsystemBlobAbuse: a client that opens more uploads than a channel
// may, sends more bytes than it announced, sends chunks out of order or
// too large, ends an upload short, or announces a size over the limit is
// refused; each refused upload is gone at once with what it staged, and
// so is what a channel left open when it ends.
func TestSubsystemBlobAbuse(t *testing.T) {
	e := newBlobEnv(t)
	c := e.conn(e.ada)
	var open []string
	for range proto.MaxBlobUploads {
		h, err := begin(t, c, 1000, e.bob)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, h)
	}
	if _, err := begin(t, c, 1000, e.bob); code(c, err) != proto.CodeRateLimited {
		t.Fatalf("upload %d on one channel: %v", proto.MaxBlobUploads+1, err)
	}
	// Another channel has slots of its own.
	if h, err := begin(t, e.conn(e.ada), 10, e.bob); err != nil || h == "" {
		t.Fatalf("an upload on another channel: %q, %v", h, err)
	}
	if _, err := c.handle(t.Context(), request(proto.KindBlobPutCancel, proto.BlobUpload{Upload: open[0]})); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if err := chunk(t, c, open[0], 0, []byte("x")); code(c, err) != proto.CodeNotFound {
		t.Fatalf("a chunk after the cancel: %v", err)
	}

	// More bytes than announced: refused, and the upload is over.
	over := open[1]
	if err := chunk(t, c, over, 0, make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if err := chunk(t, c, over, 600, make([]byte, 401)); code(c, err) != proto.CodeInvalid || !errors.Is(err, errUploadOverrun) {
		t.Fatalf("1,001 bytes of 1,000: %v", err)
	}
	if err := chunk(t, c, over, 600, make([]byte, 400)); code(c, err) != proto.CodeNotFound {
		t.Fatalf("a chunk after the overrun: %v", err)
	}
	// Out of order: a gap or a repeat.
	if err := chunk(t, c, open[2], 10, []byte("x")); code(c, err) != proto.CodeInvalid || !errors.Is(err, errUploadOrder) {
		t.Fatalf("a gap: %v", err)
	}
	// Ended short: the store says how many bytes came.
	if err := chunk(t, c, open[3], 0, make([]byte, 999)); err != nil {
		t.Fatal(err)
	}
	if _, err := end(t, c, open[3]); code(c, err) != proto.CodeInvalid || !errors.Is(err, blobs.ErrIncomplete) {
		t.Fatalf("999 bytes of 1,000: %v", err)
	}
	if s := e.staged(); len(s) != 1 { // the other channel's upload
		t.Fatalf("staged after the refusals: %q", s)
	}

	// A chunk over the frame's share ends the channel (bad_frame).
	h, err := begin(t, c, -1, e.bob)
	if err != nil {
		t.Fatal(err)
	}
	if err := chunk(t, c, h, 0, make([]byte, proto.MaxBlobChunk+1)); !errors.Is(err, proto.ErrFrame) {
		t.Fatalf("an oversized chunk: %v", err)
	}
	// Bad recipients.
	for _, to := range [][]string{nil, {"not-an-id"}, make([]string, blobs.MaxRecipients+1)} {
		_, err := c.handle(t.Context(), request(proto.KindBlobPutBegin, proto.BlobPutBeginRequest{Size: 1, Recipients: to}))
		if code(c, err) != proto.CodeInvalid {
			t.Errorf("recipients %.40q: %v", to, err)
		}
	}

	// The size limit refuses an announced size at the begin; an unknown
	// size is cut off where it passes the limit.
	e.setPolicy(policy.MaxAttachmentMiB, "1")
	c2 := e.conn(e.ada)
	if _, err := begin(t, c2, 2<<20, e.bob); code(c2, err) != proto.CodeInvalid || !errors.Is(err, blobs.ErrTooLarge) ||
		!strings.Contains(err.Error(), "parley_max_attachment_mib") {
		t.Fatalf("2 MiB announced under a limit of 1: %v", err)
	}
	h, err = begin(t, c2, -1, e.bob)
	if err != nil {
		t.Fatal(err)
	}
	var off int64
	for ; err == nil && off < 4<<20; off += proto.MaxBlobChunk {
		err = chunk(t, c2, h, off, make([]byte, proto.MaxBlobChunk))
	}
	if code(c2, err) != proto.CodeInvalid || !errors.Is(err, blobs.ErrTooLarge) || off > 2<<20 {
		t.Fatalf("an unknown size past the limit: %v after %d bytes", err, off)
	}

	// The channel ends: what it left open is removed.
	c.endUploads()
	if _, err := begin(t, c, 1, e.bob); err == nil {
		t.Fatal("an upload on a channel that ended")
	}
	if s := e.staged(); len(s) != 1 {
		t.Fatalf("staged after the channel ended: %q", s)
	}
}

// TestSubsystemUploadExpires: an upload that waits for its next chunk
// longer than uploadIdle is ended and its slot freed; a busy upload still
// ends after uploadLifetime.
func TestSubsystemUploadExpires(t *testing.T) {
	e := newBlobEnv(t)
	synctest.Test(t, func(t *testing.T) {
		c := testConn(hosted.PortsFor(e.d, e.ada))
		defer c.endUploads()
		var open []string
		for range proto.MaxBlobUploads {
			h, err := begin(t, c, -1, e.bob)
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, h)
		}
		if err := chunk(t, c, open[0], 0, []byte("x")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(uploadIdle - time.Second)
		if err := chunk(t, c, open[0], 1, []byte("y")); err != nil {
			t.Fatalf("a chunk within the idle time: %v", err)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		// The others waited too long; the first did not.
		if err := chunk(t, c, open[1], 0, []byte("x")); code(c, err) != proto.CodeNotFound {
			t.Fatalf("a chunk after the idle time: %v", err)
		}
		if s := e.staged(); len(s) != 1 {
			t.Fatalf("staged after three expired: %q", s)
		}
		off := int64(2)
		var err error
		for start := time.Now(); err == nil && time.Since(start) < uploadLifetime+time.Hour; off++ {
			time.Sleep(time.Minute)
			err = chunk(t, c, open[0], off, []byte("z"))
		}
		if code(c, err) != proto.CodeNotFound || time.Duration(off)*time.Minute < uploadLifetime-time.Minute {
			t.Fatalf("a busy upload after %d minutes: %v", off, err)
		}
		synctest.Wait()
		if s := e.staged(); len(s) != 0 {
			t.Fatalf("staged after all expired: %q", s)
		}
		if _, err := begin(t, c, 1, e.bob); err != nil {
			t.Fatalf("a new upload after the others expired: %v", err)
		}
	})
}
