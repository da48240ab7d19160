package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/store"
)

// DefaultStatsDays and MaxStatsDays bound the days Stats reports.
const (
	DefaultStatsDays = 30
	MaxStatsDays     = 366
)

// MessageCounts reports how many envelopes a tenant's users sent per UTC
// day. The relay implements it, adding the counts it holds in memory and
// has not written to the store yet; without it Stats reads the store.
type MessageCounts interface {
	// MessagesPerDay returns the counts for days from..to (inclusive,
	// YYYY-MM-DD); days without messages may be missing.
	MessagesPerDay(ctx context.Context, tenantID, from, to string) (map[string]uint64, error)
}

// DayCount is the number of messages sent on one day.
type DayCount struct {
	Day      string // YYYY-MM-DD, UTC
	Messages uint64
}

// Stats are a tenant's usage counts: numbers only, no content, names or IDs.
type Stats struct {
	// ActiveUsers have activated; PendingUsers have not yet.
	ActiveUsers, PendingUsers int
	// Devices are the SSH keys of active users (as the license counts them).
	Devices int
	// Messages are the envelopes the tenant's users sent per day, oldest
	// first, one entry for each day asked for (today last). Receipts and
	// reactions are envelopes too: the server never sees what is inside.
	Messages []DayCount
}

// Stats reports a tenant's users, devices and messages per day for the
// last days days, today included (0: DefaultStatsDays; at most
// MaxStatsDays).
func (s *Service) Stats(ctx context.Context, tenant string, days int) (Stats, error) {
	switch {
	case days == 0:
		days = DefaultStatsDays
	case days < 0 || days > MaxStatsDays:
		return Stats{}, fmt.Errorf("%w: days %d: give 1 to %d", ErrInvalid, days, MaxStatsDays)
	}
	id, err := s.principalTenant(ctx, tenant, PermStatsRead)
	if err != nil {
		return Stats{}, err
	}
	today := s.now().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, 1-days).Format(time.DateOnly)
	to := today.Format(time.DateOnly)
	var st Stats
	var counts map[string]uint64
	err = s.db.View(ctx, func(tx store.Tx) error {
		users, err := tx.UsersOfTenant(id)
		if err != nil {
			return err
		}
		for _, u := range users {
			switch u.Status {
			case store.UserPending:
				st.PendingUsers++
			case store.UserActive:
				st.ActiveUsers++
				ds, err := tx.DevicesOfUser(u.ID)
				if err != nil {
					return err
				}
				st.Devices += len(ds)
			}
		}
		if s.msgs == nil {
			counts, err = tx.MessagesPerDay(id, from, to)
		}
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("statistics: %w", err)
	}
	if s.msgs != nil {
		if counts, err = s.msgs.MessagesPerDay(ctx, id, from, to); err != nil {
			return Stats{}, fmt.Errorf("statistics: %w", err)
		}
	}
	st.Messages = make([]DayCount, days)
	for i := range days {
		d := today.AddDate(0, 0, i+1-days).Format(time.DateOnly)
		st.Messages[i] = DayCount{Day: d, Messages: counts[d]}
	}
	return st, nil
}
