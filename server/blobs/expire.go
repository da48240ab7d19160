package blobs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// expireBatch bounds the blobs one expiry transaction removes.
const expireBatch = 512

// minRetention is the shortest retention a tenant can set: blobs younger
// than that cannot have expired, so the sweep stops there.
const minRetention = 24 * time.Hour

// Expire removes the blobs older than their tenant's retention and reports
// how many it removed.
func (s *Store) Expire(ctx context.Context) (int, error) {
	total := 0
	var after []byte
	for {
		n, next, err := s.expireBatch(ctx, after)
		total += n
		if err != nil || next == nil {
			return total, err
		}
		after = next
	}
}

// expireBatch removes expired blobs among up to expireBatch index entries
// after the cursor; next is where to go on, nil when done.
func (s *Store) expireBatch(ctx context.Context, after []byte) (removed int, next []byte, err error) {
	now := s.cfg.Now()
	var doomed []Meta
	err = s.db.Update(ctx, func(tx store.Tx) error {
		doomed, next = doomed[:0], nil
		retention := map[string]time.Duration{}
		var keys [][]byte
		start := after
		if start == nil {
			start = []byte{prefixCreated}
		}
		serr := metaSpace(tx).Scan([]byte{prefixCreated}, start, false, func(k, _ []byte) bool {
			if after != nil && string(k) == string(after) {
				return true
			}
			if len(keys) == expireBatch {
				next = append([]byte(nil), keys[len(keys)-1]...)
				return false
			}
			if len(k) != 1+8+IDLen {
				return true
			}
			created := time.Unix(0, int64(binary.BigEndian.Uint64(k[1:9]))) //nolint:gosec // written from UnixNano
			if now.Sub(created) < minRetention {
				return false
			}
			keys = append(keys, append([]byte(nil), k...))
			return true
		})
		if serr != nil {
			return fmt.Errorf("scan blobs: %w", serr)
		}
		for _, k := range keys {
			var raw [IDLen]byte
			copy(raw[:], k[9:])
			m, err := getMeta(tx, raw)
			if errors.Is(err, ErrNotFound) {
				if err := metaSpace(tx).Delete(k); err != nil { // a stray index entry
					return fmt.Errorf("delete blob record: %w", err)
				}
				continue
			}
			if err != nil {
				return err
			}
			keep, ok := retention[m.TenantID]
			if !ok {
				if keep, err = s.retention(tx, m.TenantID); err != nil {
					return err
				}
				retention[m.TenantID] = keep
			}
			if now.Sub(m.Created) < keep {
				continue
			}
			if err := deleteMeta(tx, m); err != nil {
				return err
			}
			doomed = append(doomed, m)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	// The records are gone: nobody can ask for these files any more.
	for _, m := range doomed {
		s.remove(s.path(m.ID))
	}
	return len(doomed), next, nil
}

// retention is the tenant's parley_retention_days, or the server-wide
// retention when the tenant set none.
func (s *Store) retention(tx store.Tx, tenantID string) (time.Duration, error) {
	v, err := policy.EffectiveTx(tx, tenantID, crypto.ID{})
	if err != nil {
		return 0, err
	}
	keep := time.Duration(s.defRetention.Load())
	if v[policy.RetentionDays].Source != policy.SourceDefault {
		keep = time.Duration(v.Int(policy.RetentionDays)) * 24 * time.Hour
	}
	if s.cfg.MaxRetention > 0 {
		keep = min(keep, s.cfg.MaxRetention) // the operator's ceiling
	}
	return keep, nil
}

// SetRetention changes how long files of tenants that set no retention of
// their own are kept (0: the default); the next expiry round applies it.
func (s *Store) SetRetention(d time.Duration) {
	if d <= 0 {
		d = 30 * 24 * time.Hour
	}
	s.defRetention.Store(int64(d))
}

// RunExpiry expires blobs now and then every interval until ctx ends.
func (s *Store) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Expire(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			s.log.Error("blob expiry failed", "err", err)
		case n > 0:
			s.log.Info("expired files", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
