package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/backup"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/store"
)

const hostKey = "ssh_host_ed25519_key"

// fixture is a data directory with a database, a host key and files.
type fixture struct {
	data  string
	db    *store.Bolt
	bs    *blobs.Store
	ada   *auth.Principal
	bob   crypto.ID         // the recipient of ada's files
	files map[string][]byte // blob ID → ciphertext
}

func newFixture(t *testing.T, nfiles int) *fixture {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(data, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	id, err := crypto.ParseID("ADA00001")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := crypto.ParseID("BOB00002")
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: id, TenantID: "t-acme", Name: "Ada", Status: store.UserActive}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutTenant(store.Tenant{ID: "t-acme", Name: "acme"}); err != nil {
			return err
		}
		if err := tx.PutUser(store.User{ID: bob, TenantID: "t-acme", Name: "Bob", Status: store.UserActive}); err != nil {
			return err
		}
		return tx.PutUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobs.Open(db, blobs.Config{Dir: filepath.Join(data, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, hostKey), []byte("not really a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fixture{data: data, db: db, bs: bs, bob: bob, ada: &auth.Principal{User: &u, KeyFingerprint: "SHA256:ada", Session: "ada"},
		files: map[string][]byte{}}
	for i := range nfiles {
		f.put(t, bytes.Repeat([]byte{byte('a' + i)}, 1000+i*517))
	}
	return f
}

func (f *fixture) ctx(t *testing.T) context.Context { return auth.With(t.Context(), f.ada) }

func (f *fixture) put(t *testing.T, b []byte) string {
	t.Helper()
	m, err := f.bs.Put(f.ctx(t), bytes.NewReader(b), int64(len(b)), []crypto.ID{f.bob})
	if err != nil {
		t.Fatal(err)
	}
	f.files[m.ID] = b
	return m.ID
}

func (f *fixture) archive(t *testing.T, src backup.Source) ([]byte, backup.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := backup.Write(t.Context(), &buf, src, backup.Options{DataDir: f.data, Extra: []string{hostKey, hostKey + ".pub"},
		Version: "test", Now: func() time.Time { return time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

func paths(m backup.Manifest) []string {
	var out []string
	for _, e := range m.Files {
		out = append(out, e.Path)
	}
	return out
}

func blobPath(id string) string { return "blobs/" + id[:2] + "/" + id }

// TestRoundTrip: a backup lists the database, the host key (its missing
// .pub is skipped) and every recorded file; verify passes; restore writes
// them with the server's permissions, and the restored directory opens
// with the same records and the same file bytes.
func TestRoundTrip(t *testing.T) {
	f := newFixture(t, 3)
	arc, m := f.archive(t, f.db)
	if m.Format != backup.Format || m.Schema != store.SchemaVersion || m.ParleyVersion != "test" || len(m.Gone) != 0 {
		t.Fatalf("manifest: %+v", m)
	}
	want := []string{store.FileName, hostKey}
	for id := range f.files {
		want = append(want, blobPath(id))
	}
	slices.Sort(want[2:])
	if got := paths(m); !slices.Equal(got, want) {
		t.Fatalf("archive holds %v, want %v", got, want)
	}
	if _, err := backup.Verify(t.Context(), bytes.NewReader(arc)); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	target := filepath.Join(t.TempDir(), "restored")
	rm, err := backup.Restore(t.Context(), bytes.NewReader(arc), target)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if !slices.Equal(paths(rm), want) {
		t.Fatalf("Restore's manifest holds %v, want %v", paths(rm), want)
	}
	err = filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(target, hostKey)); err != nil || string(b) != "not really a key\n" {
		t.Fatalf("host key: %q, %v", b, err)
	}

	db, err := store.Open(target, store.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open the restored store: %v", err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.Tenant("t-acme")
		return err
	})
	if err != nil {
		t.Fatalf("the restored store lost the tenant: %v", err)
	}
	bs, err := blobs.Open(db, blobs.Config{Dir: filepath.Join(target, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range f.files {
		r, _, err := bs.Get(f.ctx(t), id)
		if err != nil {
			t.Fatalf("restored file %s: %v", id, err)
		}
		got, err := io.ReadAll(r)
		_ = r.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("restored file %s: %d bytes, want %d (%v)", id, len(got), len(want), err)
		}
	}
}

// during wraps a source: inside the snapshot it runs during (the server
// writes on), after it runs after (the server removes a file before the
// backup copies it).
type during struct {
	src           backup.Source
	during, after func() error
}

func (d during) Snapshot(ctx context.Context, fn func(*store.Snapshot) error) error {
	err := d.src.Snapshot(ctx, func(sn *store.Snapshot) error {
		if err := d.during(); err != nil {
			return err
		}
		return fn(sn)
	})
	if err != nil {
		return err
	}
	return d.after()
}

// TestConsistentWithSnapshot: a file uploaded and a record written while
// the snapshot is open are not in the backup; a file the snapshot records
// and the server removes before it is copied is named gone; a file on disk
// without a record is not copied. The restored directory opens.
func TestConsistentWithSnapshot(t *testing.T) {
	f := newFixture(t, 2)
	var ids []string
	for id := range f.files {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	stray := filepath.Join(f.data, "blobs", "ab", "ab"+strings.Repeat("0", 30))
	if err := os.MkdirAll(filepath.Dir(stray), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, []byte("no record"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The writes run beside the open snapshot (a commit that grows the
	// file waits for the read transaction, so they are not awaited in it).
	var late string
	wrote := make(chan error, 1)
	src := during{src: f.db,
		during: func() error {
			go func() {
				b := []byte("uploaded during the backup")
				m, err := f.bs.Put(f.ctx(t), bytes.NewReader(b), int64(len(b)), []crypto.ID{f.bob})
				if err != nil {
					wrote <- err
					return
				}
				late = m.ID
				wrote <- f.db.Update(t.Context(), func(tx store.Tx) error {
					return tx.PutTenant(store.Tenant{ID: "t-late", Name: "late"})
				})
			}()
			return nil
		},
		after: func() error {
			if err := <-wrote; err != nil {
				return err
			}
			return f.bs.Delete(f.ctx(t), ids[0])
		},
	}
	arc, m := f.archive(t, src)
	if want := []string{store.FileName, hostKey, blobPath(ids[1])}; !slices.Equal(paths(m), want) {
		t.Fatalf("archive holds %v, want %v (late upload %s)", paths(m), want, late)
	}
	if want := []string{blobPath(ids[0])}; !slices.Equal(m.Gone, want) {
		t.Fatalf("gone: %v, want %v", m.Gone, want)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(t.Context(), bytes.NewReader(arc), target); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	db, err := store.Open(target, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(t.Context(), func(tx store.Tx) error {
		if _, err := tx.Tenant("t-late"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a tenant written after the snapshot began: %v, want not found", err)
		}
		_, err := tx.Tenant("t-acme")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamagedArchives: a changed byte anywhere that matters, a cut at any
// point, an extra or unsafe entry: Verify and Restore refuse with a clear
// error, and Restore leaves no directory behind.
func TestDamagedArchives(t *testing.T) {
	f := newFixture(t, 2)
	arc, m := f.archive(t, f.db)
	offsets := entryOffsets(t, arc)
	flip := func(at int64) []byte {
		b := bytes.Clone(arc)
		b[at] ^= 0x20
		return b
	}
	blob := m.Files[2].Path
	cases := []struct {
		name string
		arc  []byte
		want error
	}{
		{"a byte of the database", flip(offsets[store.FileName] + 4096 + 7), backup.ErrCorrupt},
		{"a byte of a file", flip(offsets[blob] + 100), backup.ErrCorrupt},
		{"a byte of the host key", flip(offsets[hostKey] + 3), backup.ErrCorrupt},
		{"a byte of the manifest", flip(offsets[backup.ManifestName] + 40), backup.ErrCorrupt},
		{"a byte of a header", flip(offsets[blob] - 512 + 10), backup.ErrCorrupt},
		{"cut in the database", arc[:offsets[store.FileName]+1000], backup.ErrTruncated},
		{"cut between files", arc[:offsets[blob]-512], backup.ErrTruncated},
		{"cut in the manifest", arc[:offsets[backup.ManifestName]+10], backup.ErrTruncated},
		{"empty", nil, backup.ErrTruncated},
		{"not an archive", []byte(strings.Repeat("hello ", 200)), backup.ErrCorrupt},
		{"an unsafe path", withEntry(t, arc, "../evil", "x"), backup.ErrCorrupt},
		{"a file the manifest does not list", withEntry(t, arc, "blobs/cd/cd"+strings.Repeat("1", 30), "x"), backup.ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := backup.Verify(t.Context(), bytes.NewReader(c.arc)); !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
			parent := t.TempDir()
			target := filepath.Join(parent, "restored")
			_, err := backup.Restore(t.Context(), bytes.NewReader(c.arc), target)
			if !errors.Is(err, c.want) {
				t.Fatalf("Restore: %v, want %v", err, c.want)
			}
			left, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Fatalf("a refused restore left %v behind", left)
			}
		})
	}
}

// TestRestoreRefusesNonEmpty: a target holding a file is left alone; an
// empty one is filled.
func TestRestoreRefusesNonEmpty(t *testing.T) {
	f := newFixture(t, 1)
	arc, _ := f.archive(t, f.db)
	target := t.TempDir()
	keep := filepath.Join(target, "keep")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(t.Context(), bytes.NewReader(arc), target); !errors.Is(err, backup.ErrTargetNotEmpty) {
		t.Fatalf("Restore into a non-empty dir: %v, want %v", err, backup.ErrTargetNotEmpty)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the target's file: %q, %v", b, err)
	}
	empty := t.TempDir()
	if _, err := backup.Restore(t.Context(), bytes.NewReader(arc), empty); err != nil {
		t.Fatalf("Restore into an empty dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, store.FileName)); err != nil {
		t.Fatal(err)
	}
}

// TestOfflineSource: a stopped data directory opened read-only backs up
// like a running store; while a store holds it, it cannot be opened.
func TestOfflineSource(t *testing.T) {
	f := newFixture(t, 1)
	if _, err := store.OpenReadOnly(f.data); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("OpenReadOnly while the store is open: %v, want %v", err, store.ErrLocked)
	}
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := store.OpenReadOnly(f.data)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ro.Close() }()
	arc, m := f.archive(t, ro)
	if len(m.Files) != 3 {
		t.Fatalf("offline backup holds %v", paths(m))
	}
	if _, err := backup.Verify(t.Context(), bytes.NewReader(arc)); err != nil {
		t.Fatal(err)
	}
}

// entryOffsets maps each entry's name to where its data starts.
func entryOffsets(t *testing.T, arc []byte) map[string]int64 {
	t.Helper()
	r := &countingReader{r: bytes.NewReader(arc)}
	tr := tar.NewReader(r)
	out := map[string]int64{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = r.n
	}
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

// withEntry returns a copy of the archive with one more entry before the
// manifest.
func withEntry(t *testing.T, arc []byte, name, body string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(arc))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == backup.ManifestName {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o600}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(tw, body); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
