package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Snapshot is one read transaction of the database, held open for a
// backup: what Tx reads and what WriteTo writes are the same state, however
// many writes commit while it is open (bbolt keeps the pages a reader sees
// until it ends). A snapshot is only valid inside the function given to
// Snapshot.
type Snapshot struct {
	btx *bolt.Tx
	tx  Tx
}

// Tx reads the snapshot's state; it is read-only.
func (sn *Snapshot) Tx() Tx { return sn.tx }

// Size is how many bytes WriteTo writes.
func (sn *Snapshot) Size() int64 { return sn.btx.Size() }

// SchemaVersion is the schema the snapshot's database was written with.
func (sn *Snapshot) SchemaVersion() uint64 { return schemaVersion(sn.btx) }

// WriteTo writes the whole database file, as of the snapshot, to w. The
// copy is a valid database that Open takes as it is.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	n, err := sn.btx.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("copy database: %w", err)
	}
	return n, nil
}

// Snapshot runs fn with a snapshot of the database taken in one read
// transaction. Writers go on while fn runs; the file keeps the pages the
// snapshot needs until fn returns, so fn should not linger.
func (s *Bolt) Snapshot(ctx context.Context, fn func(*Snapshot) error) error {
	return snapshot(ctx, s.db, s.idx, s.log, fn)
}

// ReadOnly is a database opened read-only, for a backup of a data
// directory no server runs on. It takes a shared lock: while it is open,
// no server can start on the directory, and while a server runs,
// OpenReadOnly fails with ErrLocked.
type ReadOnly struct {
	db  *bolt.DB
	idx *mailIndex
}

// OpenReadOnly opens DATA/parley.db read-only. It neither creates nor
// migrates anything: the snapshot is of the file as it is.
func OpenReadOnly(dir string) (*ReadOnly, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	idx := newMailIndex()
	if err := idx.load(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("load mailbox index: %w", err)
	}
	return &ReadOnly{db: db, idx: idx}, nil
}

// Snapshot runs fn with a snapshot of the file.
func (r *ReadOnly) Snapshot(ctx context.Context, fn func(*Snapshot) error) error {
	return snapshot(ctx, r.db, r.idx, slog.Default(), fn)
}

// Close releases the file and its lock.
func (r *ReadOnly) Close() error {
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func snapshot(ctx context.Context, db *bolt.DB, idx *mailIndex, log *slog.Logger, fn func(*Snapshot) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.View(func(btx *bolt.Tx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("snapshot panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("snapshot panicked: %v", r)
			}
		}()
		return fn(&Snapshot{btx: btx, tx: &boltTx{tx: btx, idx: idx}})
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
