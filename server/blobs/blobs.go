package blobs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// IDLen is the length of a blob ID in bytes; as text it is twice as many
// lower-case hex characters.
const IDLen = 16

// MaxRecipients bounds the recipients of one blob: the largest group.
const MaxRecipients = 1250

// metaVersion prefixes every metadata record.
const metaVersion = 1

// space is the metadata's key space; owner is the zero ID, which no user
// can have, so no user's core ever reaches it.
const space = "blobs"

// Index prefixes inside the space.
const (
	prefixMeta    = 'm'
	prefixUsage   = 'u'
	prefixCreated = 'c'
)

// Meta describes one stored blob.
type Meta struct {
	ID         string      `json:"id"`
	Uploader   crypto.ID   `json:"uploader"`
	TenantID   string      `json:"tenant_id"`
	Size       int64       `json:"size"` // ciphertext bytes
	Recipients []crypto.ID `json:"recipients"`
	Created    time.Time   `json:"created"`
}

// may reports whether id may read the blob.
func (m Meta) may(id crypto.ID) bool {
	return id == m.Uploader || slices.Contains(m.Recipients, id)
}

// Config configures a Store.
type Config struct {
	// Dir holds the ciphertext files (DATA/blobs); created when missing.
	Dir string
	// Retention is how long a blob lives when its tenant set no
	// parley_retention_days (default 30 days).
	Retention time.Duration
	// The operator's ceilings, which no tenant policy exceeds (0: none):
	// MaxFile bounds parley_max_attachment_mib, MaxQuota
	// parley_storage_quota_mib (bytes), MaxTotal what all users' blobs may
	// take together, MaxRetention parley_retention_days.
	MaxFile, MaxQuota, MaxTotal int64
	MaxRetention                time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand draws blob IDs (default crypto/rand).
	Rand   io.Reader
	Logger *slog.Logger
}

// Store keeps blobs: ciphertext in files, metadata in the database.
type Store struct {
	db  store.DB
	cfg Config
	tmp string
	log *slog.Logger
	// defRetention is cfg.Retention, changed by SetRetention.
	defRetention atomic.Int64

	// Uploads being staged hold a reservation of what they may still
	// write, so that uploads side by side cannot together stage more than
	// the quota (or the server's ceiling) has room for.
	mu            sync.Mutex
	reserved      map[crypto.ID]int64
	reservedTotal int64
}

// Open prepares the directory and removes uploads a crash interrupted.
func Open(db store.DB, cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("blobs: no directory")
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{db: db, cfg: cfg, tmp: filepath.Join(cfg.Dir, "tmp"), log: cfg.Logger}
	s.defRetention.Store(int64(cfg.Retention))
	if err := os.RemoveAll(s.tmp); err != nil {
		return nil, fmt.Errorf("blobs: clear unfinished uploads: %w", err)
	}
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	return s, nil
}

// Limits are what one user may store.
type Limits struct {
	// MaxFile is the largest plaintext file in bytes (parley_max_attachment_mib).
	MaxFile int64
	// Quota is the most ciphertext the user's blobs may take (parley_storage_quota_mib).
	Quota int64
	// Used is what the user's blobs take now.
	Used int64
	// TotalLeft is the room left under the server's ceiling (Config.MaxTotal);
	// negative when there is no ceiling.
	TotalLeft int64
}

// Limits reads the limits of the user in ctx.
func (s *Store) Limits(ctx context.Context) (Limits, error) {
	p, err := user(ctx)
	if err != nil {
		return Limits{}, err
	}
	var l Limits
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		l, err = s.limitsTx(tx, p)
		return err
	})
	return l, err
}

func (s *Store) limitsTx(tx store.Tx, p *auth.Principal) (Limits, error) {
	v, err := policy.EffectiveTx(tx, p.User.TenantID, p.User.ID)
	if err != nil {
		return Limits{}, fmt.Errorf("read your policies: %w", err)
	}
	used, err := usage(tx, p.User.ID)
	if err != nil {
		return Limits{}, err
	}
	l := Limits{MaxFile: v.Int(policy.MaxAttachmentMiB) << 20, Quota: v.Int(policy.StorageQuotaMiB) << 20, Used: used, TotalLeft: -1}
	if s.cfg.MaxFile > 0 {
		l.MaxFile = min(l.MaxFile, s.cfg.MaxFile)
	}
	if s.cfg.MaxQuota > 0 {
		l.Quota = min(l.Quota, s.cfg.MaxQuota)
	}
	if s.cfg.MaxTotal > 0 {
		all, err := totalUsage(tx)
		if err != nil {
			return Limits{}, err
		}
		l.TotalLeft = max(s.cfg.MaxTotal-all, 0)
	}
	return l, nil
}

// totalUsage is what all users' blobs take.
func totalUsage(tx store.Tx) (int64, error) { return sumUsage(tx, []byte{prefixUsage}) }

// ErrServerFull refuses an upload the server's storage ceiling has no room for.
var ErrServerFull = errors.New("the server's file storage is full: ask your admin")

// room is the most ciphertext an upload may still stage under l.
func (l Limits) room() int64 {
	r := min(l.maxCipher(), max(l.Quota-l.Used, 0))
	if l.TotalLeft >= 0 {
		r = min(r, l.TotalLeft)
	}
	return r
}

// reserve counts what an upload of size bytes (negative: unknown) may
// stage against the user's quota and the server's ceiling until release;
// l comes back with the other uploads' reservations counted as used.
func (s *Store) reserve(uid crypto.ID, l Limits, size int64) (Limits, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.Used += s.reserved[uid]
	if l.TotalLeft >= 0 {
		l.TotalLeft = max(l.TotalLeft-s.reservedTotal, 0)
	}
	if err := l.check(max(size, 0)); err != nil {
		return l, nil, err
	}
	amount := l.room()
	if size >= 0 {
		amount = size
	}
	if s.reserved == nil {
		s.reserved = map[crypto.ID]int64{}
	}
	s.reserved[uid] += amount
	s.reservedTotal += amount
	return l, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.reserved[uid] -= amount; s.reserved[uid] <= 0 {
			delete(s.reserved, uid)
		}
		s.reservedTotal -= amount
	}, nil
}

// maxCipher is the largest ciphertext of a file within the limit.
func (l Limits) maxCipher() int64 { return crypto.BlobCiphertextSize(l.MaxFile) }

// check refuses size bytes of ciphertext over the limit or the quota.
func (l Limits) check(size int64) error {
	if size > l.maxCipher() {
		return tooLarge(size, l.MaxFile)
	}
	if l.Used+size > l.Quota {
		return overQuota(l.Used, size, l.Quota)
	}
	if l.TotalLeft >= 0 && size > l.TotalLeft {
		return ErrServerFull
	}
	return nil
}

func user(ctx context.Context) (*auth.Principal, error) {
	p := auth.From(ctx)
	if !p.IsUser() {
		return nil, ErrNotUser
	}
	return p, nil
}

// Put stores the ciphertext read from r for the user in ctx and the
// recipients, who (with the uploader) may read it. size is the number of
// bytes r yields; negative when unknown (the limit then applies as the
// bytes arrive). A refused or failed upload leaves nothing behind.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64, recipients []crypto.ID) (Meta, error) {
	p, err := user(ctx)
	if err != nil {
		return Meta{}, err
	}
	rcpt, err := checkRecipients(recipients)
	if err != nil {
		return Meta{}, err
	}
	l, err := s.Limits(ctx)
	if err != nil {
		return Meta{}, err
	}
	l, release, err := s.reserve(p.User.ID, l, size)
	if err != nil {
		return Meta{}, err
	}
	defer release()
	var raw [IDLen]byte
	if _, err := io.ReadFull(s.cfg.Rand, raw[:]); err != nil {
		return Meta{}, fmt.Errorf("blob ID: %w", err)
	}
	m := Meta{ID: hex.EncodeToString(raw[:]), Uploader: p.User.ID, TenantID: p.User.TenantID, Recipients: rcpt,
		Created: s.cfg.Now().UTC()}
	final := s.path(m.ID)
	n, err := s.write(ctx, r, size, l, final)
	if err != nil {
		return Meta{}, err
	}
	m.Size = n
	err = s.db.Update(ctx, func(tx store.Tx) error {
		// The quota again, in the transaction that records the blob:
		// uploads of one user running side by side cannot both slip in.
		l, err := s.limitsTx(tx, p)
		if err != nil {
			return err
		}
		if err := l.check(n); err != nil {
			return err
		}
		return putMeta(tx, m)
	})
	if err != nil {
		s.remove(final)
		return Meta{}, err
	}
	return m, nil
}

// write copies the upload into a temporary file, checks its size, syncs
// it and renames it to final. On error nothing is left.
func (s *Store) write(ctx context.Context, r io.Reader, size int64, l Limits, final string) (n int64, err error) {
	f, err := os.CreateTemp(s.tmp, "upload-*")
	if err != nil {
		return 0, fmt.Errorf("store file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			_ = f.Close()
		}
		if err != nil {
			s.remove(tmp)
		}
	}()
	// Read one byte past what may arrive, to tell "too much" from "exactly".
	bound := l.room()
	if size >= 0 {
		bound = min(bound, size)
	}
	n, err = io.Copy(f, io.LimitReader(ctxReader{ctx: ctx, r: r}, bound+1))
	if err != nil {
		return n, fmt.Errorf("receive file: %w", err)
	}
	switch {
	case size >= 0 && n != size:
		return n, fmt.Errorf("%w: %d of %d bytes arrived", ErrIncomplete, n, size)
	case n > l.maxCipher():
		return n, tooLarge(n, l.MaxFile)
	case l.Used+n > l.Quota:
		if size < 0 {
			n = -1 // the upload stopped where the quota ended: its size is unknown
		}
		return n, overQuota(l.Used, n, l.Quota)
	case l.TotalLeft >= 0 && n > l.TotalLeft:
		return n, ErrServerFull
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("store file: %w", err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return n, fmt.Errorf("store file: %w", err)
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return n, fmt.Errorf("store file: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return n, fmt.Errorf("store file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		s.remove(final)
		return n, fmt.Errorf("store file: %w", err)
	}
	return n, nil
}

// Get opens a blob for the user in ctx, who must be its uploader or one of
// its recipients.
func (s *Store) Get(ctx context.Context, id string) (io.ReadCloser, Meta, error) {
	p, err := user(ctx)
	if err != nil {
		return nil, Meta{}, err
	}
	raw, ok := parseID(id)
	if !ok {
		return nil, Meta{}, ErrNotFound
	}
	var m Meta
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		m, err = getMeta(tx, raw)
		return err
	})
	if err != nil {
		return nil, Meta{}, err
	}
	if !m.may(p.User.ID) {
		return nil, Meta{}, ErrNotFound
	}
	f, err := os.Open(s.path(m.ID))
	if errors.Is(err, os.ErrNotExist) {
		s.log.ErrorContext(ctx, "blob file missing", "blob", m.ID)
		return nil, Meta{}, ErrNotFound
	}
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file: %w", err)
	}
	return f, m, nil
}

// Delete removes a blob the user in ctx uploaded (a file whose message
// could not be sent); for anyone else it is ErrNotFound.
func (s *Store) Delete(ctx context.Context, id string) error {
	p, err := user(ctx)
	if err != nil {
		return err
	}
	raw, ok := parseID(id)
	if !ok {
		return ErrNotFound
	}
	var m Meta
	err = s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		if m, err = getMeta(tx, raw); err != nil {
			return err
		}
		if m.Uploader != p.User.ID {
			return ErrNotFound
		}
		return deleteMeta(tx, m)
	})
	if err != nil {
		return err
	}
	s.remove(s.path(m.ID))
	return nil
}

// path is where a blob's ciphertext lives; id is 32 lower-case hex.
func (s *Store) path(id string) string { return filepath.Join(s.cfg.Dir, id[:2], id) }

func (s *Store) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("remove blob file", "err", err, "file", filepath.Base(path))
	}
}

// parseID decodes a blob ID: exactly 32 lower-case hex characters.
func parseID(id string) ([IDLen]byte, bool) {
	var raw [IDLen]byte
	if len(id) != 2*IDLen {
		return raw, false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return raw, false
		}
	}
	_, err := hex.Decode(raw[:], []byte(id))
	return raw, err == nil
}

// checkRecipients returns the recipients sorted and without duplicates.
func checkRecipients(ids []crypto.ID) ([]crypto.ID, error) {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b crypto.ID) int { return slices.Compare(a[:], b[:]) })
	out = slices.Compact(out)
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("%w: no recipients", ErrInvalid)
	case len(out) > MaxRecipients:
		return nil, fmt.Errorf("%w: %d recipients, at most %d", ErrInvalid, len(out), MaxRecipients)
	case out[0].IsZero():
		return nil, fmt.Errorf("%w: a recipient without an ID", ErrInvalid)
	}
	return out, nil
}

// --- metadata ---

func metaKey(raw [IDLen]byte) []byte { return append([]byte{prefixMeta}, raw[:]...) }

func usageKey(uploader crypto.ID, raw [IDLen]byte) []byte {
	k := append([]byte{prefixUsage}, uploader[:]...)
	return append(k, raw[:]...)
}

func createdKey(t time.Time, raw [IDLen]byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte{prefixCreated}, uint64(max(t.UnixNano(), 0))) //nolint:gosec // clamped
	return append(k, raw[:]...)
}

func metaSpace(tx store.Tx) store.Space { return tx.Space(crypto.ID{}, space) }

func putMeta(tx store.Tx, m Meta) error {
	raw, ok := parseID(m.ID)
	if !ok {
		return fmt.Errorf("%w: blob ID %q", ErrInvalid, m.ID)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode blob record: %w", err)
	}
	sp := metaSpace(tx)
	if err := sp.Put(metaKey(raw), append([]byte{metaVersion}, b...)); err != nil {
		return fmt.Errorf("write blob record: %w", err)
	}
	if err := sp.Put(usageKey(m.Uploader, raw), binary.BigEndian.AppendUint64(nil, uint64(m.Size))); err != nil { //nolint:gosec // sizes are not negative
		return fmt.Errorf("write blob record: %w", err)
	}
	if err := sp.Put(createdKey(m.Created, raw), nil); err != nil {
		return fmt.Errorf("write blob record: %w", err)
	}
	return nil
}

func getMeta(tx store.Tx, raw [IDLen]byte) (Meta, error) {
	b, err := metaSpace(tx).Get(metaKey(raw))
	if err != nil {
		return Meta{}, fmt.Errorf("read blob record: %w", err)
	}
	if b == nil {
		return Meta{}, ErrNotFound
	}
	if len(b) < 1 || b[0] != metaVersion {
		return Meta{}, fmt.Errorf("blob record version: %w", store.ErrCorrupt)
	}
	var m Meta
	if err := json.Unmarshal(b[1:], &m); err != nil {
		return Meta{}, fmt.Errorf("decode blob record: %w", err)
	}
	return m, nil
}

func deleteMeta(tx store.Tx, m Meta) error {
	raw, ok := parseID(m.ID)
	if !ok {
		return fmt.Errorf("%w: blob ID %q", ErrInvalid, m.ID)
	}
	sp := metaSpace(tx)
	for _, k := range [][]byte{metaKey(raw), usageKey(m.Uploader, raw), createdKey(m.Created, raw)} {
		if err := sp.Delete(k); err != nil {
			return fmt.Errorf("delete blob record: %w", err)
		}
	}
	return nil
}

// usage sums the sizes of an uploader's blobs.
func usage(tx store.Tx, uploader crypto.ID) (int64, error) {
	return sumUsage(tx, append([]byte{prefixUsage}, uploader[:]...))
}

// sumUsage adds up the sizes recorded under the usage keys with prefix.
func sumUsage(tx store.Tx, prefix []byte) (int64, error) {
	var total int64
	err := metaSpace(tx).Scan(prefix, nil, false, func(_, v []byte) bool {
		if len(v) == 8 {
			total += int64(min(binary.BigEndian.Uint64(v), 1<<62)) //nolint:gosec // clamped
		}
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("read storage use: %w", err)
	}
	return total, nil
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context //nolint:containedctx // bounds one copy
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // our own directory
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// File is one stored blob's file, as a backup copies it.
type File struct {
	// Path is the file's path under the blob directory: <2 hex>/<32 hex>.
	Path string
	// Size is the ciphertext's size in bytes.
	Size int64
}

// FilesTx lists, in ID order, the files of the blobs recorded in tx: the
// ones a copy of the database taken in tx needs beside it. Uploads not
// recorded yet, and files of removed blobs still on disk, are not listed.
func FilesTx(tx store.Tx) ([]File, error) {
	var files []File
	var bad error
	err := metaSpace(tx).Scan([]byte{prefixMeta}, nil, false, func(k, v []byte) bool {
		if len(k) != 1+IDLen {
			return true
		}
		if len(v) < 1 || v[0] != metaVersion {
			bad = fmt.Errorf("blob record version: %w", store.ErrCorrupt)
			return false
		}
		var m Meta
		if err := json.Unmarshal(v[1:], &m); err != nil {
			bad = fmt.Errorf("decode blob record: %w", err)
			return false
		}
		id := hex.EncodeToString(k[1:])
		files = append(files, File{Path: filepath.ToSlash(filepath.Join(id[:2], id)), Size: m.Size})
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	if bad != nil {
		return nil, bad
	}
	return files, nil
}
