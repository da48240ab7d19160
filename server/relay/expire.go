package relay

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// expireBatch bounds the deliveries one expiry transaction removes.
const expireBatch = 5000

// retention is how long the undelivered envelopes of some users wait.
type retention struct {
	keep  time.Duration
	users []crypto.ID
}

// Expire removes undelivered envelopes that waited longer than their
// recipient's retention and reports how many it removed. A tenant's
// retention is its parley_retention_days when the tenant set one, else the
// relay's Config.Retention (the server-wide default). Envelopes for IDs in
// no tenant wait the longest retention in use.
func (s *Service) Expire(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	longest, shorter, err := s.retentions(ctx)
	if err != nil {
		return 0, err
	}
	total, err := s.expireBefore(ctx, now.Add(-longest))
	if err != nil {
		return total, err
	}
	for _, r := range shorter {
		n, err := s.expireUsers(ctx, r.users, now.Add(-r.keep))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// retentions returns the longest retention in use and the tenants whose
// retention is shorter, with their users.
func (s *Service) retentions(ctx context.Context) (time.Duration, []retention, error) {
	def := s.defaultRetention() // read once: SetRetention may change it meanwhile
	longest := def
	var all []retention
	err := s.db.View(ctx, func(tx store.Tx) error {
		tenants, err := tx.Tenants()
		if err != nil {
			return err
		}
		all = all[:0]
		for _, t := range tenants {
			v, err := policy.EffectiveTx(tx, t.ID, crypto.ID{})
			if err != nil {
				return err
			}
			keep := def
			if x, ok := v[policy.RetentionDays]; ok && x.Source != policy.SourceDefault {
				days, err := strconv.Atoi(x.Raw)
				if err != nil || days <= 0 {
					return fmt.Errorf("tenant %s: %s %q: %w", t.Name, policy.RetentionDays, x.Raw, store.ErrCorrupt)
				}
				keep = time.Duration(days) * 24 * time.Hour
			}
			if s.cfg.MaxRetention > 0 {
				keep = min(keep, s.cfg.MaxRetention) // the operator's ceiling
			}
			users, err := tx.UsersOfTenant(t.ID)
			if err != nil {
				return err
			}
			r := retention{keep: keep, users: make([]crypto.ID, len(users))}
			for i, u := range users {
				r.users[i] = u.ID
			}
			all = append(all, r)
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("read retention policies: %w", err)
	}
	for _, r := range all {
		longest = max(longest, r.keep)
	}
	var shorter []retention
	for _, r := range all {
		if r.keep < longest && len(r.users) > 0 {
			shorter = append(shorter, r)
		}
	}
	return longest, shorter, nil
}

// expireBefore removes every delivery received before cutoff, whoever it
// is for.
func (s *Service) expireBefore(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.ExpireMailbox(cutoff, expireBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("expire mailbox: %w", err)
		}
		total += n
		if n < expireBatch {
			return total, nil
		}
	}
}

// expireUsers removes the deliveries of users received before cutoff.
func (s *Service) expireUsers(ctx context.Context, users []crypto.ID, cutoff time.Time) (int, error) {
	// Find the users with something to remove first: most have nothing,
	// and a read costs no write transaction.
	var due []crypto.ID
	err := s.db.View(ctx, func(tx store.Tx) error {
		due = due[:0]
		for _, id := range users {
			ds, err := tx.Mailbox(id, 0, 1)
			if err != nil {
				return err
			}
			if len(ds) > 0 && ds[0].Received.Before(cutoff) {
				due = append(due, id)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire mailbox: %w", err)
	}
	total := 0
	for i := 0; i < len(due); {
		var next, n int
		err := s.db.Update(ctx, func(tx store.Tx) error {
			next, n = i, 0
			for next < len(due) && n < expireBatch {
				done, k, err := expireUser(tx, due[next], cutoff, expireBatch-n)
				n += k
				if err != nil {
					return err
				}
				if !done {
					break
				}
				next++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("expire mailbox: %w", err)
		}
		i, total = next, total+n
	}
	return total, nil
}

// expireUser removes up to limit of id's deliveries received before cutoff,
// oldest first, and reports whether none is left.
func expireUser(tx store.Tx, id crypto.ID, cutoff time.Time, limit int) (done bool, n int, err error) {
	var after uint64
	for {
		if n >= limit {
			return false, n, nil
		}
		page := min(limit-n, 256)
		ds, err := tx.Mailbox(id, after, page)
		if err != nil {
			return false, n, err
		}
		for _, d := range ds {
			if !d.Received.Before(cutoff) {
				return true, n, nil
			}
			if _, err := tx.DeleteMailbox(id, d.Seq); err != nil {
				return false, n, err
			}
			n++
			after = d.Seq
		}
		if len(ds) < page {
			return true, n, nil
		}
	}
}
