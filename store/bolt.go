package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "parley.db"

// Options configure Open.
type Options struct {
	// MaxBatch bounds how many queued updates one transaction takes (default 1024).
	MaxBatch int
	// Logger receives commit-loop errors (default: slog.Default()).
	Logger *slog.Logger
	// NoSync skips fsync. Only for tests that do not measure durability.
	NoSync bool
	// OnCommit, when set, is told of every committed batch: how many
	// updates it carried, how long the commit took from its begin, and how
	// much of that was writing pages and syncing them to disk. It runs on
	// the commit loop and must not block.
	OnCommit func(batch int, took, write time.Duration)
}

// Bolt is the bbolt implementation of DB.
type Bolt struct {
	db       *bolt.DB
	log      *slog.Logger
	maxBatch int
	onCommit func(batch int, took, write time.Duration)
	idx      *mailIndex
	standing atomic.Uint64 // see Standing
	// changedMu guards changed, which is closed (and replaced) when
	// standing moves: see StandingChanged.
	changedMu sync.Mutex
	changed   chan struct{}
	queue     chan *op
	stop      chan struct{} // closed by Close to stop the commit loop
	loopDone  chan struct{}

	closeMu sync.RWMutex // held for reading while enqueueing; Close takes it to drain
	closed  bool
}

type op struct {
	fn   func(Tx) error
	done chan error
}

var _ DB = (*Bolt)(nil)

// Open opens or creates DATA/parley.db, migrates it to SchemaVersion and
// starts the commit loop.
func Open(dir string, o Options) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: false, // keep the freelist on disk: large files open fast
		NoSync:         o.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Bolt{
		db:       db,
		log:      o.Logger,
		maxBatch: o.MaxBatch,
		onCommit: o.OnCommit,
		queue:    make(chan *op, o.MaxBatch),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := migrate(db, migrations()); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.idx = newMailIndex()
	if err := s.idx.load(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("load mailbox index: %w", err)
	}
	go s.commitLoop()
	return s, nil
}

// Path returns the database file's path.
func (s *Bolt) Path() string { return s.db.Path() }

// Close waits for queued updates, stops the commit loop and closes the file.
func (s *Bolt) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	<-s.loopDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// View runs fn in a read-only bbolt transaction.
func (s *Bolt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.View(func(btx *bolt.Tx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("view panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("view panicked: %v", r)
			}
		}()
		return fn(&boltTx{tx: btx, idx: s.idx})
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Update queues fn for the commit loop and waits until the transaction that
// ran it is durable. Once queued, the write is not abandoned when ctx ends:
// the caller waits for its outcome, which takes one commit at most.
func (s *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	o := &op{fn: fn, done: make(chan error, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.queue <- o:
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	s.closeMu.RUnlock()
	return <-o.done
}

func (s *Bolt) commitLoop() {
	defer close(s.loopDone)
	batch := make([]*op, 0, s.maxBatch)
	for {
		select {
		case o := <-s.queue:
			batch = append(batch[:0], o)
		case <-s.stop:
			// Close holds no enqueuers any more: drain what is left.
			for {
				select {
				case o := <-s.queue:
					s.commit([]*op{o})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < s.maxBatch {
			select {
			case o := <-s.queue:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit runs batch in one transaction. When a function fails, the
// transaction is rolled back, that function gets its error, and the rest run
// again in a new transaction.
func (s *Bolt) commit(batch []*op) {
	pending := batch
	for len(pending) > 0 {
		failed, ferr, err := s.tryCommit(pending)
		if failed < 0 {
			for _, o := range pending {
				o.done <- err
			}
			return
		}
		pending[failed].done <- ferr
		pending = append(pending[:failed:failed], pending[failed+1:]...)
	}
}

func (s *Bolt) tryCommit(ops []*op) (failed int, ferr, err error) {
	began := time.Now()
	btx, err := s.db.Begin(true)
	if err != nil {
		return -1, nil, fmt.Errorf("begin transaction: %w", err)
	}
	tx := &boltTx{tx: btx, idx: s.idx}
	for i, o := range ops {
		if ferr := s.runOp(o, tx); ferr != nil {
			_ = btx.Rollback()
			return i, ferr, nil
		}
	}
	if err := btx.Commit(); err != nil {
		s.log.Error("commit failed", "err", err, "batch", len(ops))
		return -1, nil, fmt.Errorf("commit: %w", err)
	}
	if s.onCommit != nil {
		st := btx.Stats()
		s.onCommit(len(ops), time.Since(began), st.GetWriteTime())
	}
	s.idx.apply(tx.adds, tx.dels)
	if tx.standing {
		s.standing.Add(1)
		s.changedMu.Lock()
		if s.changed != nil {
			close(s.changed)
			s.changed = nil
		}
		s.changedMu.Unlock()
	}
	return -1, nil, nil
}

// Standing counts the committed transactions that wrote a tenant, a
// license, a user or a device: while it stays the same, whatever those
// records decide (may this key's session go on?) stays the same too,
// except for what depends on the clock.
func (s *Bolt) Standing() uint64 { return s.standing.Load() }

// StandingChanged returns a channel that is closed once Standing next
// moves, so a watcher can act on a revocation at once instead of at its
// next poll.
func (s *Bolt) StandingChanged() <-chan struct{} {
	s.changedMu.Lock()
	defer s.changedMu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

func (s *Bolt) runOp(o *op, tx *boltTx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("update panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("update panicked: %v", r)
		}
	}()
	return o.fn(tx)
}
