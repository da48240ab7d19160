package backup

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/store"
)

// Source is a database a backup can snapshot: a running server's store
// (*store.Bolt) or a data directory opened read-only (*store.ReadOnly).
type Source interface {
	Snapshot(ctx context.Context, fn func(*store.Snapshot) error) error
}

var (
	_ Source = (*store.Bolt)(nil)
	_ Source = (*store.ReadOnly)(nil)
)

// Options say what a backup holds beside the database.
type Options struct {
	// DataDir is the data directory: the extra files and blobs/ are read
	// from there.
	DataDir string
	// Extra names files of the data directory's top level to copy when
	// present (the SSH host key and its public half).
	Extra []string
	// Version is the Parley version written into the manifest.
	Version string
	// Now stamps the manifest (default time.Now).
	Now func() time.Time
}

// Write writes a backup of src and the data directory to w and returns
// its manifest. On error, what reached w is not a valid archive: a reader
// refuses it.
func Write(ctx context.Context, w io.Writer, src Source, o Options) (Manifest, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	for _, name := range o.Extra {
		if !validPath(name) || name == store.FileName || filepath.Base(name) != name {
			return Manifest{}, fmt.Errorf("backup: extra file %q is not a plain file name", name)
		}
	}
	bw := bufio.NewWriterSize(ctxWriter{ctx: ctx, w: w}, 256<<10)
	tw := tar.NewWriter(bw)
	m := Manifest{Format: Format, Created: o.Now().UTC(), ParleyVersion: o.Version, Files: []Entry{}}
	// The database is spooled to a file beside it first: the read
	// transaction lasts as long as a local copy, not as long as the reader
	// of w takes (a commit that must grow the file waits for it to end).
	spool, err := os.CreateTemp(o.DataDir, ".backup-*")
	if err != nil {
		return Manifest{}, fmt.Errorf("back up the database: %w", err)
	}
	defer func() { _ = spool.Close(); _ = os.Remove(spool.Name()) }()
	var files []blobs.File
	var size int64
	err = src.Snapshot(ctx, func(sn *store.Snapshot) error {
		var err error
		if files, err = blobs.FilesTx(sn.Tx()); err != nil {
			return err
		}
		m.Schema = sn.SchemaVersion()
		size, err = sn.WriteTo(ctxWriter{ctx: ctx, w: spool})
		return err
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("back up the database: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return Manifest{}, fmt.Errorf("back up the database: %w", err)
	}
	e, err := add(tw, store.FileName, size, m.Created, func(w io.Writer) (int64, error) {
		return io.Copy(w, io.LimitReader(spool, size))
	})
	if err != nil {
		return Manifest{}, err
	}
	m.Files = append(m.Files, e)
	for _, name := range o.Extra {
		e, found, err := addFile(tw, name, filepath.Join(o.DataDir, name), m.Created)
		if err != nil {
			return Manifest{}, err
		}
		if found {
			m.Files = append(m.Files, e)
		}
	}
	for _, f := range files {
		p := "blobs/" + f.Path
		e, found, err := addFile(tw, p, filepath.Join(o.DataDir, filepath.FromSlash(p)), m.Created)
		if err != nil {
			return Manifest{}, err
		}
		if !found {
			m.Gone = append(m.Gone, p)
			continue
		}
		m.Files = append(m.Files, e)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("encode manifest: %w", err)
	}
	b = append(b, '\n')
	if err := tw.WriteHeader(header(ManifestName, int64(len(b)), m.Created)); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("finish archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Manifest{}, fmt.Errorf("finish archive: %w", err)
	}
	return m, nil
}

func header(name string, size int64, t time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: t, Format: tar.FormatPAX}
}

// add writes one entry of size bytes, produced by fill, and its checksum.
func add(tw *tar.Writer, name string, size int64, t time.Time, fill func(io.Writer) (int64, error)) (Entry, error) {
	if err := tw.WriteHeader(header(name, size, t)); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	h := sha256.New()
	n, err := fill(io.MultiWriter(tw, h))
	if err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	if n != size {
		return Entry{}, fmt.Errorf("write %s: %d of %d bytes", name, n, size)
	}
	return Entry{Path: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// addFile copies a regular file; found is false when it does not exist.
func addFile(tw *tar.Writer, name, path string, t time.Time) (e Entry, found bool, err error) {
	f, err := os.Open(path) //nolint:gosec // a file of the data directory
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("back up %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return Entry{}, false, fmt.Errorf("back up %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return Entry{}, false, fmt.Errorf("back up %s: not a regular file", name)
	}
	// The file is read through the open handle: removing it now (blob
	// expiry) does not cut the copy short.
	e, err = add(tw, name, st.Size(), t, func(w io.Writer) (int64, error) {
		return io.Copy(w, io.LimitReader(f, st.Size()))
	})
	return e, true, err
}

// ctxWriter stops writing once ctx ends.
type ctxWriter struct {
	ctx context.Context //nolint:containedctx // bounds one archive
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}
