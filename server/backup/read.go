package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-chat/parley/store"
)

// Verify reads a whole archive and checks it against its manifest,
// writing nothing.
func Verify(ctx context.Context, r io.Reader) (Manifest, error) {
	return read(ctx, r, func(string) (io.WriteCloser, error) { return discard{}, nil })
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) Close() error                { return nil }

// read walks the archive, gives each file's bytes to the writer open
// returns for its path, and checks what it read against the manifest at
// the end.
func read(ctx context.Context, r io.Reader, open func(path string) (io.WriteCloser, error)) (Manifest, error) {
	tr := tar.NewReader(r)
	got := map[string]Entry{}
	var order []string
	var m *Manifest
	for {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, readErr(err, "read archive")
		}
		if m != nil {
			return Manifest{}, fmt.Errorf("%w: %q follows the manifest", ErrCorrupt, hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return Manifest{}, fmt.Errorf("%w: %q is not a regular file", ErrCorrupt, hdr.Name)
		}
		if hdr.Name == ManifestName {
			if m, err = readManifest(tr, hdr.Size); err != nil {
				return Manifest{}, err
			}
			continue
		}
		if !validPath(hdr.Name) {
			return Manifest{}, fmt.Errorf("%w: unexpected file %q", ErrCorrupt, hdr.Name)
		}
		if _, dup := got[hdr.Name]; dup {
			return Manifest{}, fmt.Errorf("%w: %q appears twice", ErrCorrupt, hdr.Name)
		}
		if hdr.Size < 0 {
			return Manifest{}, fmt.Errorf("%w: %q has a negative size", ErrCorrupt, hdr.Name)
		}
		e, err := copyEntry(tr, hdr, open)
		if err != nil {
			return Manifest{}, err
		}
		got[hdr.Name] = e
		order = append(order, hdr.Name)
	}
	if m == nil {
		return Manifest{}, fmt.Errorf("%w: it ends without its manifest", ErrTruncated)
	}
	return *m, check(*m, got, order)
}

func copyEntry(tr *tar.Reader, hdr *tar.Header, open func(string) (io.WriteCloser, error)) (Entry, error) {
	w, err := open(hdr.Name)
	if err != nil {
		return Entry{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), tr)
	if cerr := w.Close(); err == nil && cerr != nil {
		return Entry{}, fmt.Errorf("write %s: %w", hdr.Name, cerr)
	}
	if err != nil {
		return Entry{}, readErr(err, "read "+hdr.Name)
	}
	return Entry{Path: hdr.Name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func readManifest(tr *tar.Reader, size int64) (*Manifest, error) {
	if size > maxManifest {
		return nil, fmt.Errorf("%w: the manifest is %d bytes, more than %d", ErrCorrupt, size, maxManifest)
	}
	b, err := io.ReadAll(io.LimitReader(tr, maxManifest+1))
	if err != nil {
		return nil, readErr(err, "read manifest")
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: the manifest does not decode: %w", ErrCorrupt, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%w: format %d, this binary reads format %d", ErrFormat, m.Format, Format)
	}
	return &m, nil
}

// check compares what the archive held with its manifest.
func check(m Manifest, got map[string]Entry, order []string) error {
	if m.Schema > store.SchemaVersion {
		return fmt.Errorf("the backup has database schema %d, this binary knows %d: restore it with a newer Parley: %w",
			m.Schema, store.SchemaVersion, store.ErrNewerSchema)
	}
	listed := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		if listed[e.Path] {
			return fmt.Errorf("%w: the manifest lists %q twice", ErrCorrupt, e.Path)
		}
		listed[e.Path] = true
		g, ok := got[e.Path]
		switch {
		case !ok:
			return fmt.Errorf("%w: %q is in the manifest but not in the archive", ErrCorrupt, e.Path)
		case g.Size != e.Size:
			return fmt.Errorf("%w: %q has %d bytes, the manifest says %d", ErrCorrupt, e.Path, g.Size, e.Size)
		case !strings.EqualFold(g.SHA256, e.SHA256):
			return fmt.Errorf("%w: %q does not match its checksum", ErrCorrupt, e.Path)
		}
	}
	for _, p := range order {
		if !listed[p] {
			return fmt.Errorf("%w: %q is in the archive but not in the manifest", ErrCorrupt, p)
		}
	}
	if !slices.ContainsFunc(m.Files, func(e Entry) bool { return e.Path == store.FileName }) {
		return fmt.Errorf("%w: it holds no database", ErrCorrupt)
	}
	return nil
}

// readErr names a short read as truncation.
func readErr(err error, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %w", what, ErrTruncated)
	}
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrInsecurePath) {
		return fmt.Errorf("%s: %w: %w", what, ErrCorrupt, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Restore checks the archive and writes its files into dir, which must not
// exist or be empty. It writes into a new directory beside dir and renames
// it to dir only once every check passed; on error nothing is left.
func Restore(ctx context.Context, r io.Reader, dir string) (Manifest, error) {
	dir = filepath.Clean(dir)
	existed, err := emptyTarget(dir)
	if err != nil {
		return Manifest{}, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".restore-")
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()
	dirs := map[string]bool{tmp: true}
	m, err := read(ctx, r, func(p string) (io.WriteCloser, error) {
		path := filepath.Join(tmp, filepath.FromSlash(p))
		d := filepath.Dir(path)
		if !dirs[d] {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("restore %s: %w", p, err)
			}
			dirs[d], dirs[filepath.Dir(d)] = true, true
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // a checked path in our temp dir
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", p, err)
		}
		return syncCloser{f}, nil
	})
	if err != nil {
		return Manifest{}, err
	}
	if err := checkDatabase(ctx, tmp, m.Schema); err != nil {
		return Manifest{}, err
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return Manifest{}, fmt.Errorf("restore: %w", err)
		}
	}
	if existed {
		// Empty, checked above; rename does not replace a directory.
		if err := os.Remove(dir); err != nil {
			return Manifest{}, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	done = true
	if err := syncDir(parent); err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	return m, nil
}

// emptyTarget checks that dir does not exist or is an empty directory.
func emptyTarget(dir string) (existed bool, err error) {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("restore: %w", err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("restore into %s: not a directory", dir)
	}
	f, err := os.Open(dir) //nolint:gosec // the operator names it
	if err != nil {
		return false, fmt.Errorf("restore: %w", err)
	}
	defer func() { _ = f.Close() }()
	if names, _ := f.Readdirnames(1); len(names) > 0 {
		return false, fmt.Errorf("restore into %s: %w", dir, ErrTargetNotEmpty)
	}
	return true, nil
}

// checkDatabase opens the restored database read-only and checks its
// schema is the manifest's.
func checkDatabase(ctx context.Context, dir string, schema uint64) error {
	db, err := store.OpenReadOnly(dir)
	if err != nil {
		return fmt.Errorf("%w: the database does not open: %w", ErrCorrupt, err)
	}
	defer func() { _ = db.Close() }()
	var got uint64
	if err := db.Snapshot(ctx, func(sn *store.Snapshot) error { got = sn.SchemaVersion(); return nil }); err != nil {
		return fmt.Errorf("%w: the database does not read: %w", ErrCorrupt, err)
	}
	if got != schema {
		return fmt.Errorf("%w: the database has schema %d, the manifest says %d", ErrCorrupt, got, schema)
	}
	return nil
}

// syncCloser syncs a file before closing it.
type syncCloser struct{ f *os.File }

func (s syncCloser) Write(b []byte) (int, error) { return s.f.Write(b) }

func (s syncCloser) Close() error {
	if err := s.f.Sync(); err != nil {
		_ = s.f.Close()
		return err
	}
	return s.f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // a directory we wrote
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
