package blobs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

type fixture struct {
	db             *store.Bolt
	dir            string
	bs             *blobs.Store
	now            time.Time
	ada, bob, gus  *auth.Principal // gus is in another tenant
	eve            *auth.Principal // same tenant as ada, never a recipient
	mu             sync.Mutex
	clockAdvanceBy time.Duration
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now.Add(f.clockAdvanceBy)
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clockAdvanceBy += d
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f := &fixture{db: db, dir: filepath.Join(t.TempDir(), "blobs"), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	mk := func(id, tenant, name string) *auth.Principal {
		u := store.User{ID: mustID(t, id), TenantID: tenant, Name: name, Status: store.UserActive}
		return &auth.Principal{User: &u, KeyFingerprint: "SHA256:" + name, Session: name}
	}
	f.ada, f.bob, f.eve, f.gus = mk("ADA00001", "t-acme", "Ada"), mk("BOB00002", "t-acme", "Bob"),
		mk("EVE00003", "t-acme", "Eve"), mk("GUS00004", "t-globex", "Gus")
	err = db.Update(t.Context(), func(tx store.Tx) error {
		for _, tn := range []store.Tenant{{ID: "t-acme", Name: "acme"}, {ID: "t-globex", Name: "globex"}} {
			if err := tx.PutTenant(tn); err != nil {
				return err
			}
		}
		for _, p := range []*auth.Principal{f.ada, f.bob, f.eve, f.gus} {
			if err := tx.PutUser(*p.User); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.bs, err = blobs.Open(db, blobs.Config{Dir: f.dir, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustID(t *testing.T, s string) crypto.ID {
	t.Helper()
	id, err := crypto.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) set(t *testing.T, tenant string, user crypto.ID, key, value string) {
	t.Helper()
	err := f.db.Update(t.Context(), func(tx store.Tx) error {
		_, _, err := policy.SetTx(tx, tenant, user, key, value)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func as(t *testing.T, p *auth.Principal) context.Context { return auth.With(t.Context(), p) }

// files lists the files under the blob directory, tmp included.
func (f *fixture) files(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(f.dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nothingStored checks that the user's uploads left no file and no
// record: there are only the files others stored.
func (f *fixture) nothingStored(t *testing.T, p *auth.Principal, others int) {
	t.Helper()
	if files := f.files(t); len(files) != others {
		t.Errorf("files left behind: %v", files)
	}
	l, err := f.bs.Limits(as(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if l.Used != 0 {
		t.Errorf("used = %d after a refused upload, want 0", l.Used)
	}
}

func (f *fixture) put(t *testing.T, p *auth.Principal, data []byte, to ...*auth.Principal) blobs.Meta {
	t.Helper()
	var ids []crypto.ID
	for _, r := range to {
		ids = append(ids, r.User.ID)
	}
	m, err := f.bs.Put(as(t, p), bytes.NewReader(data), int64(len(data)), ids)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) get(t *testing.T, p *auth.Principal, id string) ([]byte, error) {
	t.Helper()
	rc, m, err := f.bs.Get(as(t, p), id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != m.Size {
		t.Errorf("read %d bytes, meta says %d", len(b), m.Size)
	}
	return b, nil
}

func TestPutGet(t *testing.T) {
	f := newFixture(t)
	data := bytes.Repeat([]byte("ciphertext"), 10000)
	m := f.put(t, f.ada, data, f.bob, f.bob, f.gus)
	if len(m.ID) != 32 || m.Size != int64(len(data)) || m.Uploader != f.ada.User.ID || m.TenantID != "t-acme" || len(m.Recipients) != 2 {
		t.Fatalf("meta = %+v", m)
	}
	if got, want := f.files(t), []string{filepath.Join(m.ID[:2], m.ID)}; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("files = %v, want %v", got, want)
	}
	for _, p := range []*auth.Principal{f.ada, f.bob, f.gus} {
		got, err := f.get(t, p, m.ID)
		if err != nil {
			t.Fatalf("%s: %v", p.User.Name, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%s read different bytes", p.User.Name)
		}
	}
	l, err := f.bs.Limits(as(t, f.ada))
	if err != nil {
		t.Fatal(err)
	}
	if l.Used != int64(len(data)) || l.MaxFile != 100<<20 || l.Quota != 1024<<20 {
		t.Fatalf("limits = %+v", l)
	}
	// The recipient's own use is not charged.
	if l, _ := f.bs.Limits(as(t, f.bob)); l.Used != 0 {
		t.Fatalf("bob's use = %d, want 0", l.Used)
	}
}

// TestGetRefused: whoever is neither uploader nor recipient, of this
// tenant or another, learns nothing, exactly as for a missing blob.
func TestGetRefused(t *testing.T) {
	f := newFixture(t)
	m := f.put(t, f.ada, []byte("secret ciphertext"), f.bob)
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		id   string
	}{
		{"same tenant, not a recipient", f.eve, m.ID},
		{"other tenant", f.gus, m.ID},
		{"unknown ID", f.ada, strings.Repeat("0", 32)},
		{"upper case", f.ada, strings.ToUpper(m.ID)},
		{"path traversal", f.ada, "../../../../etc/passwd"},
		{"traversal of the right length", f.ada, "../" + m.ID[3:]},
		{"empty", f.ada, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.get(t, tc.p, tc.id)
			if !errors.Is(err, blobs.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
	if _, _, err := f.bs.Get(t.Context(), m.ID); !errors.Is(err, blobs.ErrNotUser) {
		t.Fatalf("no principal: got %v, want ErrNotUser", err)
	}
	revoked := *f.bob.User
	revoked.Status = store.UserRevoked
	if _, _, err := f.bs.Get(as(t, &auth.Principal{User: &revoked}), m.ID); !errors.Is(err, blobs.ErrNotUser) {
		t.Fatalf("revoked recipient: got %v, want ErrNotUser", err)
	}
}

func TestPutTooLarge(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-acme", crypto.ID{}, policy.MaxAttachmentMiB, "1")
	limit := crypto.BlobCiphertextSize(1 << 20)
	// A whole file of exactly the limit passes.
	m := f.put(t, f.ada, make([]byte, limit), f.bob)
	if m.Size != limit {
		t.Fatalf("size = %d, want %d", m.Size, limit)
	}
	f.bs = reopen(t, f)
	for _, tc := range []struct {
		name string
		size int64
		data int64
	}{
		{"announced", crypto.BlobCiphertextSize(3 << 19), crypto.BlobCiphertextSize(3 << 19)},
		{"one byte over", limit + 1, limit + 1},
		{"unknown size", -1, limit + 1},
		{"unknown size, far over", -1, 3 * limit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &countingReader{r: bytes.NewReader(make([]byte, tc.data))}
			_, err := f.bs.Put(as(t, f.bob), r, tc.size, []crypto.ID{f.ada.User.ID})
			if !errors.Is(err, blobs.ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), "over the limit of 1 MiB (parley_max_attachment_mib)") {
				t.Fatalf("message %q does not name the limit", err)
			}
			if tc.size >= 0 && r.n != 0 {
				t.Fatalf("read %d bytes of an announced oversize file, want 0", r.n)
			}
			if r.n > limit+1 {
				t.Fatalf("read %d bytes, more than the limit needs", r.n)
			}
			f.nothingStored(t, f.bob, 1)
		})
	}
	if got := (blobsErr(t, f, f.bob, crypto.BlobCiphertextSize(3<<19))); !strings.Contains(got, "1.5 MiB is over") {
		t.Fatalf("message %q does not give the plaintext size", got)
	}
}

func blobsErr(t *testing.T, f *fixture, p *auth.Principal, size int64) string {
	t.Helper()
	_, err := f.bs.Put(as(t, p), bytes.NewReader(make([]byte, size)), size, []crypto.ID{f.ada.User.ID})
	if err == nil {
		t.Fatal("upload accepted")
	}
	return err.Error()
}

// reopen opens the store again on the same directory, as after a restart.
func reopen(t *testing.T, f *fixture) *blobs.Store {
	t.Helper()
	bs, err := blobs.Open(f.db, blobs.Config{Dir: f.dir, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func TestQuota(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-acme", crypto.ID{}, policy.StorageQuotaMiB, "1")
	f.set(t, "t-acme", f.bob.User.ID, policy.StorageQuotaMiB, "4")
	first := f.put(t, f.ada, make([]byte, 600<<10), f.bob)
	for _, size := range []int64{600 << 10, -1} {
		_, err := f.bs.Put(as(t, f.ada), bytes.NewReader(make([]byte, 600<<10)), size, []crypto.ID{f.bob.User.ID})
		if !errors.Is(err, blobs.ErrQuota) {
			t.Fatalf("size %d: got %v, want ErrQuota", size, err)
		}
		if !strings.Contains(err.Error(), "take 0.6 MiB of your 1 MiB, and this file") ||
			!strings.Contains(err.Error(), "does not fit in the 0.4 MiB left") {
			t.Fatalf("message %q does not give the numbers", err)
		}
	}
	if files := f.files(t); len(files) != 1 {
		t.Fatalf("files = %v, want only the first", files)
	}
	// Bob's individual quota is larger.
	f.put(t, f.bob, make([]byte, 2<<20), f.ada)
	// Once the first file expires, there is room again.
	f.advance(31 * 24 * time.Hour)
	if n, err := f.bs.Expire(t.Context()); err != nil || n != 2 {
		t.Fatalf("expire = %d, %v; want 2", n, err)
	}
	if _, err := f.get(t, f.bob, first.ID); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("expired blob: got %v", err)
	}
	f.put(t, f.ada, make([]byte, 600<<10), f.bob)
}

// TestQuotaRace: uploads side by side that each fit but not together: one
// is refused, and nothing of it stays.
func TestQuotaRace(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-acme", crypto.ID{}, policy.StorageQuotaMiB, "1")
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.bs.Put(as(t, f.ada), bytes.NewReader(make([]byte, 400<<10)), 400<<10, []crypto.ID{f.bob.User.ID})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, blobs.ErrQuota):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 2 {
		t.Fatalf("%d uploads fit into 1 MiB, want 2", ok)
	}
	if files := f.files(t); len(files) != 2 {
		t.Fatalf("files = %v, want 2", files)
	}
	if l, _ := f.bs.Limits(as(t, f.ada)); l.Used != 800<<10 {
		t.Fatalf("used = %d", l.Used)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection lost")
	}
	k := min(len(b), r.n)
	r.n -= k
	return k, nil
}

func TestPutIncomplete(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(as(t, f.ada))
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		r    io.Reader
		size int64
		want error
	}{
		{"short", as(t, f.ada), bytes.NewReader(make([]byte, 50)), 100, blobs.ErrIncomplete},
		{"long", as(t, f.ada), bytes.NewReader(make([]byte, 150)), 100, blobs.ErrIncomplete},
		{"broken", as(t, f.ada), &failingReader{n: 70000}, 100000, nil},
		{"cancelled", ctx, bytes.NewReader(make([]byte, 100)), 100, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.bs.Put(tc.ctx, tc.r, tc.size, []crypto.ID{f.bob.User.ID})
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			f.nothingStored(t, f.ada, 0)
		})
	}
}

func TestPutInvalid(t *testing.T) {
	f := newFixture(t)
	many := make([]crypto.ID, blobs.MaxRecipients+1)
	for i := range many {
		many[i] = crypto.ID{'A', 'A', 'A', byte('A' + i/26/26%26), byte('A' + i/26%26), byte('A' + i%26), '0', '0'}
	}
	for _, tc := range []struct {
		name string
		to   []crypto.ID
		want string
	}{
		{"no recipients", nil, "no recipients"},
		{"too many", many, "1251 recipients, at most 1250"},
		{"zero ID", []crypto.ID{{}}, "without an ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.bs.Put(as(t, f.ada), strings.NewReader("x"), 1, tc.to)
			if !errors.Is(err, blobs.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
	if _, err := f.bs.Put(t.Context(), strings.NewReader("x"), 1, []crypto.ID{f.bob.User.ID}); !errors.Is(err, blobs.ErrNotUser) {
		t.Fatalf("no principal: got %v", err)
	}
	f.nothingStored(t, f.ada, 0)
}

// TestExpire: each tenant's retention applies; the server-wide one when the
// tenant set none.
func TestExpire(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-globex", crypto.ID{}, policy.RetentionDays, "2")
	old := f.put(t, f.ada, []byte("acme, old"), f.bob)
	oldGlobex := f.put(t, f.gus, []byte("globex, old"), f.gus)
	f.advance(3 * 24 * time.Hour)
	recent := f.put(t, f.ada, []byte("acme, recent"), f.bob)
	recentGlobex := f.put(t, f.gus, []byte("globex, recent"), f.gus)
	if n, err := f.bs.Expire(t.Context()); err != nil || n != 1 {
		t.Fatalf("expire after 3 days = %d, %v; want 1 (globex's old file)", n, err)
	}
	if _, err := f.get(t, f.gus, oldGlobex.ID); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("expired blob: %v", err)
	}
	for _, m := range []blobs.Meta{old, recent, recentGlobex} {
		if _, err := f.get(t, f.ada, m.ID); err != nil && m.Uploader == f.ada.User.ID {
			t.Fatalf("blob %s expired early: %v", m.ID, err)
		}
	}
	f.advance(28 * 24 * time.Hour) // 31 days after the first uploads
	if n, err := f.bs.Expire(t.Context()); err != nil || n != 2 {
		t.Fatalf("expire after 31 days = %d, %v; want 2", n, err)
	}
	if files := f.files(t); len(files) != 1 || !strings.HasSuffix(files[0], recent.ID) {
		t.Fatalf("files = %v, want only %s", files, recent.ID)
	}
	if l, _ := f.bs.Limits(as(t, f.ada)); l.Used != recent.Size {
		t.Fatalf("used = %d, want %d", l.Used, recent.Size)
	}
}

// TestExpireMany crosses several expiry batches.
func TestExpireMany(t *testing.T) {
	f := newFixture(t)
	const n = 1200
	for range n {
		f.put(t, f.ada, []byte("x"), f.bob)
	}
	f.advance(40 * 24 * time.Hour)
	if got, err := f.bs.Expire(t.Context()); err != nil || got != n {
		t.Fatalf("expire = %d, %v; want %d", got, err, n)
	}
	if files := f.files(t); len(files) != 0 {
		t.Fatalf("%d files left", len(files))
	}
}

func TestOpenClearsUnfinished(t *testing.T) {
	f := newFixture(t)
	stray := filepath.Join(f.dir, "tmp", "upload-123")
	if err := os.WriteFile(stray, []byte("half an upload"), 0o600); err != nil {
		t.Fatal(err)
	}
	reopen(t, f)
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an interrupted upload survived the restart: %v", err)
	}
	if _, err := blobs.Open(f.db, blobs.Config{}); err == nil {
		t.Fatal("Open without a directory succeeded")
	}
}

// TestDelete: only the uploader deletes; the space is free again.
func TestDelete(t *testing.T) {
	f := newFixture(t)
	m := f.put(t, f.ada, []byte("a file nobody got"), f.bob)
	for _, p := range []*auth.Principal{f.bob, f.gus} {
		if err := f.bs.Delete(as(t, p), m.ID); !errors.Is(err, blobs.ErrNotFound) {
			t.Fatalf("%s deleted ada's blob: %v", p.User.Name, err)
		}
	}
	if err := f.bs.Delete(as(t, f.ada), "../"+m.ID[3:]); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("bad ID: %v", err)
	}
	if err := f.bs.Delete(as(t, f.ada), m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.get(t, f.bob, m.ID); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("deleted blob: %v", err)
	}
	f.nothingStored(t, f.ada, 0)
	if err := f.bs.Delete(as(t, f.ada), m.ID); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	f.advance(40 * 24 * time.Hour)
	if n, err := f.bs.Expire(t.Context()); err != nil || n != 0 {
		t.Fatalf("expire after delete = %d, %v", n, err)
	}
}

// blockingReader yields n bytes, then waits for release before EOF: an
// upload in the middle of staging.
type blockingReader struct {
	n       int
	release chan struct{}
	staged  chan struct{}
}

func (r *blockingReader) Read(b []byte) (int, error) {
	if r.n > 0 {
		k := min(len(b), r.n)
		r.n -= k
		return k, nil
	}
	if r.staged != nil {
		close(r.staged)
		r.staged = nil
	}
	<-r.release
	return 0, io.EOF
}

// TestStagingReservesQuota: an upload of unknown size that is still being
// staged holds the room it may fill; a second upload of the same user
// meanwhile gets only what is left, before it stages anything.
func TestStagingReservesQuota(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-acme", crypto.ID{}, policy.StorageQuotaMiB, "1")
	first := &blockingReader{n: 100 << 10, release: make(chan struct{}), staged: make(chan struct{})}
	staged := first.staged
	done := make(chan error, 1)
	go func() {
		_, err := f.bs.Put(as(t, f.ada), first, -1, []crypto.ID{f.bob.User.ID})
		done <- err
	}()
	<-staged
	// The first upload may still fill the whole MiB: nothing else fits.
	_, err := f.bs.Put(as(t, f.ada), bytes.NewReader(make([]byte, 10<<10)), 10<<10, []crypto.ID{f.bob.User.ID})
	if !errors.Is(err, blobs.ErrQuota) {
		t.Fatalf("second upload while the first stages: %v, want ErrQuota", err)
	}
	// Another user's quota is not touched.
	f.put(t, f.bob, make([]byte, 10<<10), f.ada)
	close(first.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Its reservation is gone with it: the rest of the quota is free.
	f.put(t, f.ada, make([]byte, 500<<10), f.bob)
}

// TestOperatorCeilings: the operator's ceilings bound what tenant policy
// allows: file size, quota, the server's total and retention.
func TestOperatorCeilings(t *testing.T) {
	f := newFixture(t)
	f.set(t, "t-acme", crypto.ID{}, policy.StorageQuotaMiB, "1048576") // 1 TiB
	f.set(t, "t-acme", crypto.ID{}, policy.MaxAttachmentMiB, "10240")
	f.set(t, "t-acme", crypto.ID{}, policy.RetentionDays, "3650")
	bs, err := blobs.Open(f.db, blobs.Config{Dir: f.dir, Now: f.clock,
		MaxFile: 1 << 20, MaxQuota: 3 << 20, MaxTotal: 4 << 20, MaxRetention: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	put := func(p *auth.Principal, n int) error {
		_, err := bs.Put(as(t, p), bytes.NewReader(make([]byte, n)), int64(n), []crypto.ID{f.bob.User.ID})
		return err
	}
	if err := put(f.ada, 2<<20); !errors.Is(err, blobs.ErrTooLarge) {
		t.Fatalf("2 MiB under a 1 MiB ceiling: %v", err)
	}
	if l, err := bs.Limits(as(t, f.ada)); err != nil || l.Quota != 3<<20 || l.MaxFile != 1<<20 {
		t.Fatalf("limits = %+v, %v", l, err)
	}
	for range 3 {
		if err := put(f.ada, 900<<10); err != nil {
			t.Fatal(err)
		}
	}
	if err := put(f.ada, 900<<10); !errors.Is(err, blobs.ErrQuota) {
		t.Fatalf("past the quota ceiling: %v", err)
	}
	if err := put(f.eve, 900<<10); err != nil { // 3.6 MiB in all
		t.Fatal(err)
	}
	if err := put(f.gus, 900<<10); !errors.Is(err, blobs.ErrServerFull) {
		t.Fatalf("past the server's total: %v", err)
	}
	// Retention: 3,650 days asked, 7 kept.
	f.advance(8 * 24 * time.Hour)
	if n, err := bs.Expire(t.Context()); err != nil || n != 4 {
		t.Fatalf("expire after 8 days = %d, %v; want all 4", n, err)
	}
}
