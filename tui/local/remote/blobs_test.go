package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
)

// fakeBlobs is a blob store behind the fake server: uploads checked as
// the server checks them, blobs in memory, and a record of the requests.
type fakeBlobs struct {
	mu       sync.Mutex
	limit    int64 // a larger announced size is refused at the begin
	uploads  map[string]*fakeUpload
	blobs    map[string][]byte
	next     int
	kinds    []proto.Kind
	chunks   []int // the length of each chunk received
	begins   []proto.BlobPutBeginRequest
	gets     []proto.BlobGetRequest
	shortGet bool // answer ranges one byte short
}

type fakeUpload struct {
	size int64
	data []byte
}

func newFakeBlobs() *fakeBlobs {
	return &fakeBlobs{limit: 100 << 20, uploads: map[string]*fakeUpload{}, blobs: map[string][]byte{}}
}

func refuse(code, msg string) (proto.Kind, any) {
	return proto.KindError, proto.Error{Code: code, Message: msg}
}

func (b *fakeBlobs) handle(f proto.Frame) (proto.Kind, any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.kinds = append(b.kinds, f.Kind)
	switch f.Kind {
	case proto.KindBlobPutBegin:
		var req proto.BlobPutBeginRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return refuse(proto.CodeBadFrame, err.Error())
		}
		b.begins = append(b.begins, req)
		if req.Size > b.limit {
			return refuse(proto.CodeInvalid, "file too large: over the limit (parley_max_attachment_mib)")
		}
		if len(b.uploads) >= proto.MaxBlobUploads {
			return refuse(proto.CodeRateLimited, "too many uploads at once")
		}
		b.next++
		h := strconv.Itoa(b.next)
		b.uploads[h] = &fakeUpload{size: req.Size}
		return proto.KindOK, proto.BlobUpload{Upload: h}
	case proto.KindBlobPutChunk:
		var req proto.BlobPutChunkRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return refuse(proto.CodeBadFrame, err.Error())
		}
		u := b.uploads[req.Upload]
		if u == nil {
			return refuse(proto.CodeNotFound, "no such upload")
		}
		b.chunks = append(b.chunks, len(req.Data))
		if len(req.Data) > proto.MaxBlobChunk || req.Offset != int64(len(u.data)) || string(req.Data) == "over quota" {
			delete(b.uploads, req.Upload)
			return refuse(proto.CodeInvalid, "storage quota exceeded")
		}
		u.data = append(u.data, req.Data...)
		return proto.KindOK, struct{}{}
	case proto.KindBlobPutEnd, proto.KindBlobPutCancel:
		var req proto.BlobUpload
		if err := proto.Decode(f.Payload, &req); err != nil {
			return refuse(proto.CodeBadFrame, err.Error())
		}
		u := b.uploads[req.Upload]
		delete(b.uploads, req.Upload)
		switch {
		case u == nil:
			return refuse(proto.CodeNotFound, "no such upload")
		case f.Kind == proto.KindBlobPutCancel:
			return proto.KindOK, struct{}{}
		case u.size >= 0 && int64(len(u.data)) != u.size:
			return refuse(proto.CodeInvalid, "upload incomplete")
		}
		id := fmt.Sprintf("%032x", b.next)
		b.blobs[id] = u.data
		return proto.KindOK, proto.BlobRef{Blob: id}
	case proto.KindBlobGet:
		var req proto.BlobGetRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return refuse(proto.CodeBadFrame, err.Error())
		}
		b.gets = append(b.gets, req)
		data, ok := b.blobs[req.Blob]
		if !ok {
			return refuse(proto.CodeNotFound, "no such file (it may have expired)")
		}
		end := min(req.Offset+int64(req.Limit), int64(len(data)))
		if b.shortGet && end > req.Offset {
			end--
		}
		return proto.KindOK, proto.BlobRange{Data: data[req.Offset:end], Size: int64(len(data))}
	case proto.KindBlobDelete:
		var req proto.BlobRef
		if err := proto.Decode(f.Payload, &req); err != nil {
			return refuse(proto.CodeBadFrame, err.Error())
		}
		if _, ok := b.blobs[req.Blob]; !ok {
			return refuse(proto.CodeNotFound, "no such file (it may have expired)")
		}
		delete(b.blobs, req.Blob)
		return proto.KindOK, struct{}{}
	}
	return refuse(proto.CodeUnknown, "unknown")
}

func (b *fakeBlobs) requests() []proto.Kind {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.kinds)
}

func bytesOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestBlobPutInChunks: an upload goes in chunks of MaxBlobChunk, in order,
// with the recipients and the size announced (-1 when unknown); what the
// server stores is what was read.
func TestBlobPutInChunks(t *testing.T) {
	fb := newFakeBlobs()
	c, _ := open(t, fb.handle)
	bob := newID(t)
	data := bytesOf(proto.MaxBlobChunk*2 + 12345)
	for _, size := range []int64{int64(len(data)), -1, -7} {
		fb.chunks = nil
		// A reader that yields a byte at a time still fills whole chunks.
		blob, err := c.Put(t.Context(), iotest.OneByteReader(bytes.NewReader(data)), size, []crypto.ID{bob})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got := fb.blobs[blob]; !bytes.Equal(got, data) {
			t.Fatalf("size %d: the server stored %d bytes, not the %d sent", size, len(got), len(data))
		}
		if want := []int{proto.MaxBlobChunk, proto.MaxBlobChunk, 12345}; !slices.Equal(fb.chunks, want) {
			t.Errorf("size %d: chunks %v, want %v", size, fb.chunks, want)
		}
		last := fb.begins[len(fb.begins)-1]
		if want := max(size, -1); last.Size != want || !slices.Equal(last.Recipients, []string{bob.String()}) {
			t.Errorf("size %d: begin %+v, want size %d for %s", size, last, want, bob)
		}
	}
	// An empty blob is a begin and an end.
	n := len(fb.requests())
	if _, err := c.Put(t.Context(), bytes.NewReader(nil), 0, []crypto.ID{bob}); err != nil {
		t.Fatal(err)
	}
	if got := fb.requests()[n:]; !slices.Equal(got, []proto.Kind{proto.KindBlobPutBegin, proto.KindBlobPutEnd}) {
		t.Errorf("an empty upload sent %v", got)
	}
}

// TestBlobGetInRanges: Get fetches the first range at once and the others
// as the reader reaches them; the bytes are the blob's.
func TestBlobGetInRanges(t *testing.T) {
	fb := newFakeBlobs()
	c, _ := open(t, fb.handle)
	data := bytesOf(proto.MaxBlobChunk*2 + 1)
	blob := fmt.Sprintf("%032x", 1)
	fb.blobs[blob] = data
	rc, err := c.Get(t.Context(), blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(fb.gets) != 1 {
		t.Fatalf("Get fetched %d ranges before any read, want 1", len(fb.gets))
	}
	head := make([]byte, 100)
	if _, err := io.ReadFull(rc, head); err != nil || !bytes.Equal(head, data[:100]) || len(fb.gets) != 1 {
		t.Fatalf("the first 100 bytes: %v, %d ranges fetched", err, len(fb.gets))
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(head, rest...), data) {
		t.Fatalf("read %d bytes of %d: %v", len(head)+len(rest), len(data), err)
	}
	var offs []int64
	for _, g := range fb.gets {
		offs = append(offs, g.Offset)
		if g.Limit != proto.MaxBlobChunk || g.Blob != blob {
			t.Errorf("range request %+v", g)
		}
	}
	if want := []int64{0, proto.MaxBlobChunk, 2 * proto.MaxBlobChunk}; !slices.Equal(offs, want) {
		t.Errorf("ranges at %v, want %v", offs, want)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(head); err == nil {
		t.Error("a read after Close")
	}
	// An empty blob reads as empty.
	empty := fmt.Sprintf("%032x", 2)
	fb.blobs[empty] = nil
	rc, err = c.Get(t.Context(), empty)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Fatalf("an empty blob: %d bytes, %v", len(b), err)
	}
	if err := c.Delete(t.Context(), empty); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := c.Delete(t.Context(), empty); !isCode(err, proto.CodeNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

// TestBlobRefusals: the server's refusals keep their code and text; a
// refused upload is not cancelled again, one that fails on this side is;
// a range that is not what was asked is a protocol error.
func TestBlobRefusals(t *testing.T) {
	fb := newFakeBlobs()
	fb.limit = 1 << 20
	c, _ := open(t, fb.handle)
	bob := newID(t)
	ctx := t.Context()

	_, err := c.Put(ctx, bytes.NewReader(bytesOf(2<<20)), 2<<20, []crypto.ID{bob})
	if !isCode(err, proto.CodeInvalid) || !strings.Contains(err.Error(), "parley_max_attachment_mib") {
		t.Fatalf("an upload over the limit: %v", err)
	}
	if got := fb.requests(); !slices.Equal(got, []proto.Kind{proto.KindBlobPutBegin}) {
		t.Fatalf("an upload refused at the begin sent %v", got)
	}
	// Refused at a chunk: the server ended the upload; no cancel.
	n := len(fb.requests())
	if _, err := c.Put(ctx, strings.NewReader("over quota"), -1, []crypto.ID{bob}); !isCode(err, proto.CodeInvalid) {
		t.Fatalf("a chunk over the quota: %v", err)
	}
	if got := fb.requests()[n:]; !slices.Equal(got, []proto.Kind{proto.KindBlobPutBegin, proto.KindBlobPutChunk}) {
		t.Fatalf("a refused chunk was followed by %v", got)
	}
	// Failures on this side cancel the upload.
	boom := errors.New("disk on fire")
	for name, tc := range map[string]struct {
		r    io.Reader
		size int64
		want error
	}{
		"reader fails":        {io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), -1, boom},
		"more than announced": {strings.NewReader("abcdef"), 5, errAbandoned},
	} {
		n := len(fb.requests())
		if _, err := c.Put(ctx, tc.r, tc.size, []crypto.ID{bob}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if got := fb.requests()[n:]; got[len(got)-1] != proto.KindBlobPutCancel {
			t.Errorf("%s: sent %v, without a cancel", name, got)
		}
	}
	if len(fb.uploads) != 0 {
		t.Errorf("uploads left open on the server: %v", fb.uploads)
	}

	if _, err := c.Get(ctx, fmt.Sprintf("%032x", 99)); !isCode(err, proto.CodeNotFound) {
		t.Fatalf("a blob that does not exist: %v", err)
	}
	blob := fmt.Sprintf("%032x", 1)
	fb.blobs[blob] = bytesOf(proto.MaxBlobChunk + 10)
	fb.shortGet = true
	if _, err := c.Get(ctx, blob); !errors.Is(err, proto.ErrFrame) {
		t.Fatalf("a short range: %v", err)
	}
}

// TestBlobUploadSlots: a connection opens at most MaxBlobUploads uploads
// at once; one more waits for a slot, and gives up with its ctx.
func TestBlobUploadSlots(t *testing.T) {
	fb := newFakeBlobs()
	c, _ := open(t, fb.handle)
	bob := newID(t)
	var writers []*io.PipeWriter
	errs := make(chan error, proto.MaxBlobUploads)
	for range proto.MaxBlobUploads {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		go func() { _, err := c.Put(t.Context(), pr, -1, []crypto.ID{bob}); errs <- err }()
		if _, err := pw.Write([]byte("x")); err != nil { // the upload has begun and reads
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Put(ctx, strings.NewReader("y"), 1, []crypto.ID{bob}); !errors.Is(err, context.Canceled) {
		t.Fatalf("an upload beyond the slots: %v", err)
	}
	if got := len(fb.begins); got != proto.MaxBlobUploads {
		t.Fatalf("%d uploads begun, want %d", got, proto.MaxBlobUploads)
	}
	_ = writers[0].Close()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(t.Context(), strings.NewReader("y"), 1, []crypto.ID{bob}); err != nil {
		t.Fatalf("an upload after a slot was freed: %v", err)
	}
	for _, w := range writers[1:] {
		_ = w.Close()
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
