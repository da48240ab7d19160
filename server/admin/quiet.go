package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/quiet"
)

// Quiet hours are the parley_quiet_hours policy: these calls read and
// write it through SetPolicy, UnsetPolicy and Policies (same permissions,
// audit entries and bus), with the schedule checked and explained. Admins
// may always set a user's schedule; parley_user_quiet_hours only says
// whether users may set their own.

// quietPreview is how many coming changes a QuietStatus lists.
const quietPreview = 5

// QuietStatus is the quiet-hours schedule in effect for a tenant or a user,
// and what it means at the service's clock.
type QuietStatus struct {
	// Schedule is the canonical schedule, "" when there are no quiet hours.
	Schedule string
	// Zone is the schedule's IANA time zone, "" when there is none.
	Zone string
	// Source is the level the schedule comes from: default (none),
	// global (the tenant's) or individual (the user's own).
	Source policy.Source
	// QuietNow reports whether it is quiet hours now.
	QuietNow bool
	// NextChange is when quiet hours next start or end, in the schedule's
	// zone; zero when they never change (none, or quiet all week).
	NextChange time.Time
	// Next lists the coming changes, at most five.
	Next []quiet.Change
}

// SetQuietHours sets the quiet hours of the tenant, or of one of its users,
// to spec (e.g. "Mon-Fri 18:00-08:00; Sat,Sun all-day") in the IANA zone
// zone. A bad schedule or zone is refused with ErrInvalid and a message that
// says what and where, and changes nothing.
func (s *Service) SetQuietHours(ctx context.Context, tenant string, user *crypto.ID, zone, spec string) (QuietStatus, error) {
	// Permission first: a caller who may not write learns nothing else.
	if _, _, _, err := s.policyCaller(ctx, tenant, user, PermPoliciesWrite); err != nil {
		return QuietStatus{}, err
	}
	sched, err := quiet.Parse(zone, spec)
	if err != nil {
		return QuietStatus{}, markedError{mark: ErrInvalid, err: fmt.Errorf("quiet hours: %w", err)}
	}
	v, err := s.SetPolicy(ctx, tenant, user, policy.QuietHours, sched.Value())
	if err != nil {
		return QuietStatus{}, err
	}
	return s.quietStatus(v), nil
}

// UnsetQuietHours removes the quiet hours of the tenant, or of one of its
// users, who then has the tenant's again.
func (s *Service) UnsetQuietHours(ctx context.Context, tenant string, user *crypto.ID) error {
	return s.UnsetPolicy(ctx, tenant, user, policy.QuietHours)
}

// QuietHours returns the quiet hours in effect for the tenant, or for one
// of its users (their own, else the tenant's), with the coming changes.
func (s *Service) QuietHours(ctx context.Context, tenant string, user *crypto.ID) (QuietStatus, error) {
	vs, err := s.Policies(ctx, tenant, user)
	if err != nil {
		return QuietStatus{}, err
	}
	for _, v := range vs {
		if v.Key == policy.QuietHours {
			return s.quietStatus(v), nil
		}
	}
	return QuietStatus{Source: policy.SourceDefault}, nil
}

// quietStatus explains a parley_quiet_hours value at the service's clock.
func (s *Service) quietStatus(v policy.Value) QuietStatus {
	st := QuietStatus{Source: v.Source}
	sched, err := quiet.ParseValue(v.Raw)
	if err != nil || sched.IsZero() {
		return st // the store holds only values that parse
	}
	now := s.now()
	st.Schedule = sched.String()
	st.Zone = sched.Zone().String()
	st.QuietNow = sched.Quiet(now)
	st.NextChange, _ = sched.NextChange(now)
	st.Next = sched.Changes(now, quietPreview)
	return st
}
