package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/store"
)

// Message statistics: the relay counts the envelopes it accepts per
// sender's tenant and UTC day — numbers only — in memory, and adds them to
// the store's counters every flush interval and when it stops, so a crash
// loses at most one interval. Counting costs a map update under a mutex
// on the send path; the store is written off that path.

// DefaultStatsInterval is how often RunStats writes the counts by default.
const DefaultStatsInterval = 10 * time.Second

// dayKey is a tenant and a UTC day, counted in days since 1970-01-01.
type dayKey struct {
	tenant string
	day    int64
}

// dayOf returns the UTC day of t.
func dayOf(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return d
}

// dayString formats a day as YYYY-MM-DD.
func dayString(d int64) string { return time.Unix(d*86400, 0).UTC().Format(time.DateOnly) }

// msgCounter holds the counts not yet in the store. Its zero value is
// ready. Lock order: flushMu before mu.
type msgCounter struct {
	// flushMu makes a flush and a read of store plus memory one step, so
	// a reader never sees a count twice or not at all.
	flushMu sync.Mutex

	mu     sync.Mutex // guards counts
	counts map[dayKey]uint64

	// accepted and limited count, since the start, the envelopes accepted
	// and those refused for sending too fast (for metrics).
	accepted, limited atomic.Uint64
}

// Counts returns how many envelopes the relay accepted, and how many it
// refused for sending too fast, since the start.
func (s *Service) Counts() (accepted, rateLimited uint64) {
	return s.stats.accepted.Load(), s.stats.limited.Load()
}

// add counts one envelope of a tenant's user on the day of t.
func (c *msgCounter) add(tenant string, t time.Time) {
	k := dayKey{tenant: tenant, day: dayOf(t)}
	c.mu.Lock()
	if c.counts == nil {
		c.counts = make(map[dayKey]uint64)
	}
	c.counts[k]++
	c.mu.Unlock()
	c.accepted.Add(1)
}

// take returns the counts and starts afresh.
func (c *msgCounter) take() map[dayKey]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = nil
	return out
}

// giveBack returns counts a failed flush could not write.
func (c *msgCounter) giveBack(m map[dayKey]uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[dayKey]uint64, len(m))
	}
	for k, n := range m {
		c.counts[k] += n
	}
}

// pending returns a tenant's unwritten counts for days from..to.
func (c *msgCounter) pending(tenant string, from, to int64, into map[string]uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.counts {
		if k.tenant == tenant && k.day >= from && k.day <= to {
			into[dayString(k.day)] += n
		}
	}
}

// FlushStats writes the message counts held in memory to the store. On
// failure they stay in memory for the next flush.
func (s *Service) FlushStats(ctx context.Context) error {
	s.stats.flushMu.Lock()
	defer s.stats.flushMu.Unlock()
	m := s.stats.take()
	if len(m) == 0 {
		return nil
	}
	err := s.db.Update(ctx, func(tx store.Tx) error {
		for k, n := range m {
			if err := tx.AddMessages(k.tenant, dayString(k.day), n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.stats.giveBack(m)
		return fmt.Errorf("write message counts: %w", err)
	}
	return nil
}

// RunStats writes the message counts every interval until ctx ends, and
// once more then. Call FlushStats after the last Send for the stragglers.
func (s *Service) RunStats(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultStatsInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err := s.FlushStats(final)
			cancel()
			if err != nil {
				s.log.Error("message statistics lost", "err", err)
			}
			return
		case <-t.C:
			if err := s.FlushStats(ctx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("message statistics not written, will retry", "err", err)
			}
		}
	}
}

// MessagesPerDay returns how many envelopes a tenant's users sent on days
// from..to (inclusive, YYYY-MM-DD): what the store holds plus what is not
// written yet. Days without messages may be missing.
func (s *Service) MessagesPerDay(ctx context.Context, tenantID, from, to string) (map[string]uint64, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("message counts: from: %w", err)
	}
	l, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("message counts: to: %w", err)
	}
	s.stats.flushMu.Lock()
	defer s.stats.flushMu.Unlock()
	var out map[string]uint64
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.MessagesPerDay(tenantID, from, to)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read message counts: %w", err)
	}
	if out == nil {
		out = make(map[string]uint64)
	}
	s.stats.pending(tenantID, dayOf(f), dayOf(l), out)
	return out, nil
}
