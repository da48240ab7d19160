package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// Trial terms, as in the seeds: 30 seats for one month.
const (
	TrialSeats = 30
	// ExpiryWarning is how early a package's end is flagged.
	ExpiryWarning = 30 * 24 * time.Hour
)

// LicenseSpec describes a license package to add.
type LicenseSpec struct {
	Plan       string
	Seats      int
	ValidUntil time.Time // the instant the package ends (EndOfDay of its last day); zero: no end
}

// EndOfDay is the instant a package whose last day is day ends: the start
// of the next day, UTC. People name a package's last day; the service
// keeps the instant it stops being valid.
func EndOfDay(day time.Time) time.Time {
	y, m, d := day.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// LastDay is the last day (UTC, as YYYY-MM-DD) on which a package that ends
// at end is valid; "" when it has no end.
func LastDay(end time.Time) string {
	if end.IsZero() {
		return ""
	}
	return end.UTC().Add(-time.Nanosecond).Format(time.DateOnly)
}

// oneMonthLater is the same time a calendar month later, kept within that
// month: a trial started on 31 January ends on the last day of February.
func oneMonthLater(t time.Time) time.Time {
	next := t.AddDate(0, 1, 0)
	if next.Day() != t.Day() {
		next = next.AddDate(0, 0, -next.Day()) // AddDate overflowed into the month after: back to its eve
	}
	return next
}

// validPlan accepts a plan name: 1-40 of a-z, 0-9, '-' and '_'.
func validPlan(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// AddLicense adds a license package to a tenant (instance admins).
func (s *Service) AddLicense(ctx context.Context, tenant string, spec LicenseSpec) (store.License, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.License{}, err
	}
	p, err := s.authorize(ctx, id, PermLicenseManage)
	if err != nil {
		return store.License{}, err
	}
	spec.Plan = strings.ToLower(strings.TrimSpace(spec.Plan))
	if !validPlan(spec.Plan) {
		return store.License{}, fmt.Errorf("%w: plan %q: use a-z, 0-9, '-' and '_'", ErrInvalid, spec.Plan)
	}
	if spec.Seats < 1 || spec.Seats > directory.MaxSeats {
		return store.License{}, fmt.Errorf("%w: seats must be between 1 and %d", ErrInvalid, directory.MaxSeats)
	}
	now := s.now()
	if !spec.ValidUntil.IsZero() && !spec.ValidUntil.After(now) {
		return store.License{}, fmt.Errorf("%w: last day %s has passed", ErrInvalid, LastDay(spec.ValidUntil))
	}
	lid, err := s.randomID("l", 4)
	if err != nil {
		return store.License{}, err
	}
	l := store.License{ID: lid, TenantID: id, Plan: spec.Plan, Seats: spec.Seats, ValidFrom: now, ValidUntil: spec.ValidUntil, CreatedAt: now}
	return l, s.putLicense(ctx, p, "license.add", l)
}

// StartTrial gives a tenant a trial package: 30 seats for one calendar
// month (instance admins). A tenant has at most one trial, ever: the
// package keeps the ID "trial" when it is converted.
func (s *Service) StartTrial(ctx context.Context, tenant string) (store.License, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.License{}, err
	}
	p, err := s.authorize(ctx, id, PermLicenseManage)
	if err != nil {
		return store.License{}, err
	}
	now := s.now()
	l := store.License{ID: "trial", TenantID: id, Plan: "trial", Seats: TrialSeats, ValidFrom: now,
		ValidUntil: oneMonthLater(now), Trial: true, CreatedAt: now}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.License(id, "trial"); err == nil {
			return fmt.Errorf("%w: the tenant already had a trial", ErrConflict)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutLicense(l); err != nil {
			return err
		}
		return s.record(tx, p, id, "license.trial", l.ID, nil, l)
	})
	return l, err
}

// LicenseChange changes a package: a new plan (converting a trial into a
// full package), a new end date, or more seats.
type LicenseChange struct {
	Plan       string    // converts a trial; empty: unchanged
	ValidUntil time.Time // the new end (EndOfDay of the last day); zero: unchanged
	NoEnd      bool      // remove the end date
	AddSeats   int
	Seats      int // set exactly (0: unchanged); a reduction below the seats in use is refused
}

// FullTerm is how long a converted trial runs when no end is given.
const FullTerm = 12 // months

// ChangeLicense converts, extends or resizes a package (instance admins).
// Converting a trial without a new end date runs the package FullTerm
// months from now. Reducing seats below what the tenant uses is refused;
// over-use from growth is only flagged, and raising the seats of an
// over-used tenant is always allowed, even if still not enough.
func (s *Service) ChangeLicense(ctx context.Context, tenant, licenseID string, c LicenseChange) (store.License, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.License{}, err
	}
	p, err := s.authorize(ctx, id, PermLicenseManage)
	if err != nil {
		return store.License{}, err
	}
	if c.AddSeats < 0 || c.Seats < 0 || c.Seats > directory.MaxSeats || c.AddSeats > directory.MaxSeats {
		return store.License{}, fmt.Errorf("%w: seats must be between 1 and %d", ErrInvalid, directory.MaxSeats)
	}
	if c.AddSeats > 0 && c.Seats > 0 {
		return store.License{}, fmt.Errorf("%w: add seats or set them, not both", ErrInvalid)
	}
	if c.NoEnd && !c.ValidUntil.IsZero() {
		return store.License{}, fmt.Errorf("%w: give a new last day or no end, not both", ErrInvalid)
	}
	if c == (LicenseChange{}) {
		return store.License{}, fmt.Errorf("%w: nothing to change", ErrInvalid)
	}
	if c.Plan != "" {
		c.Plan = strings.ToLower(strings.TrimSpace(c.Plan))
		if !validPlan(c.Plan) || c.Plan == "trial" {
			return store.License{}, fmt.Errorf("%w: plan %q", ErrInvalid, c.Plan)
		}
	}
	now := s.now()
	var out store.License
	err = s.db.Update(ctx, func(tx store.Tx) error {
		l, err := tx.License(id, licenseID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("license package %q: %w", licenseID, ErrNotFound)
		} else if err != nil {
			return err
		}
		before := l
		until := c.ValidUntil
		if c.Plan != "" {
			if l.Trial && until.IsZero() && !c.NoEnd {
				until = now.AddDate(0, FullTerm, 0)
			}
			l.Plan, l.Trial = c.Plan, false
		}
		if c.NoEnd {
			l.ValidUntil = time.Time{}
		} else if !until.IsZero() {
			if !until.After(now) {
				return fmt.Errorf("%w: last day %s has passed", ErrInvalid, LastDay(until))
			}
			l.ValidUntil = until
		}
		l.Seats += c.AddSeats
		if c.Seats > 0 && c.Seats < before.Seats { // a reduction: not below what is in use
			u, err := usage(tx, id, now)
			if err != nil {
				return err
			}
			others := u.Seats
			if directory.ValidLicenses([]store.License{before}, now) != nil {
				others -= before.Seats
			}
			if need := max(u.ActiveUsers, u.Devices); c.Seats+others < need {
				return fmt.Errorf("%w: %d seats in all is fewer than what is in use (%d active users, %d devices): remove users or devices first",
					ErrConflict, c.Seats+others, u.ActiveUsers, u.Devices)
			}
		}
		if c.Seats > 0 {
			l.Seats = c.Seats
		}
		if l.Seats > directory.MaxSeats {
			return fmt.Errorf("%w: more than %d seats", ErrInvalid, directory.MaxSeats)
		}
		if err := tx.PutLicense(l); err != nil {
			return err
		}
		out = l
		return s.record(tx, p, id, "license.change", l.ID, before, l)
	})
	return out, err
}

// putLicense writes a new package and its audit entry.
func (s *Service) putLicense(ctx context.Context, p *auth.Principal, action string, l store.License) error {
	return s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.License(l.TenantID, l.ID); err == nil {
			return fmt.Errorf("%w: license package %s exists", ErrConflict, l.ID)
		}
		if err := tx.PutLicense(l); err != nil {
			return err
		}
		return s.record(tx, p, l.TenantID, action, l.ID, nil, l)
	})
}

// Usage is what a tenant's licenses cover and what it uses.
type Usage struct {
	Seats       int // of the packages valid now
	ActiveUsers int
	Devices     int // of active users
}

func usage(tx store.Tx, tenantID string, now time.Time) (Usage, error) {
	var u Usage
	ls, err := tx.LicensesOfTenant(tenantID)
	if err != nil {
		return u, err
	}
	for _, l := range directory.ValidLicenses(ls, now) {
		u.Seats += l.Seats
	}
	users, err := tx.UsersOfTenant(tenantID)
	if err != nil {
		return u, err
	}
	for _, us := range users {
		if us.Status != store.UserActive {
			continue
		}
		u.ActiveUsers++
		ds, err := tx.DevicesOfUser(us.ID)
		if err != nil {
			return u, err
		}
		u.Devices += len(ds)
	}
	return u, nil
}

// LicenseReport is a tenant's license state, as `license show` prints it.
type LicenseReport struct {
	Tenant     store.Tenant
	Packages   []store.License
	Usage      Usage
	ValidUntil time.Time // the latest end among valid packages; zero: no end (or none valid)
	Expired    bool      // no package is valid now
	Warnings   []string
}

// License reports a tenant's packages, usage and warnings. Over-use is
// flagged as in the seeds — "too many devices" and "licenses missing for
// active users" — never refused.
func (s *Service) License(ctx context.Context, tenant string) (LicenseReport, error) {
	id, err := s.principalTenant(ctx, tenant, PermLicenseRead)
	if err != nil {
		return LicenseReport{}, err
	}
	now := s.now()
	var r LicenseReport
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		if r.Tenant, err = tx.Tenant(id); err != nil {
			return err
		}
		if r.Packages, err = tx.LicensesOfTenant(id); err != nil {
			return err
		}
		r.Usage, err = usage(tx, id, now)
		return err
	})
	if err != nil {
		return LicenseReport{}, fmt.Errorf("license: %w", err)
	}
	slices.SortFunc(r.Packages, func(a, b store.License) int { return a.CreatedAt.Compare(b.CreatedAt) })
	valid := directory.ValidLicenses(r.Packages, now)
	r.Expired = len(valid) == 0
	noEnd := false
	for _, l := range valid {
		if l.ValidUntil.IsZero() {
			noEnd = true
		} else if l.ValidUntil.After(r.ValidUntil) {
			r.ValidUntil = l.ValidUntil
		}
	}
	if noEnd {
		r.ValidUntil = time.Time{}
	}
	r.Warnings = warnings(r, valid, now)
	return r, nil
}

func warnings(r LicenseReport, valid []store.License, now time.Time) []string {
	var w []string
	u := r.Usage
	if r.Tenant.Suspended {
		w = append(w, "tenant suspended: users cannot activate or open sessions")
	}
	switch {
	case r.Expired && len(r.Packages) == 0:
		w = append(w, "no license package: users cannot activate or open sessions")
	case r.Expired:
		w = append(w, "license expired: users cannot activate or open sessions")
	}
	if r.Expired {
		return w // over-use of no seats says nothing more
	}
	if u.Devices > u.Seats {
		w = append(w, fmt.Sprintf("too many devices: %s for %s", plural(u.Devices, "device"), plural(u.Seats, "seat")))
	}
	if u.ActiveUsers > u.Seats {
		w = append(w, fmt.Sprintf("licenses missing for active users: %s for %s", plural(u.ActiveUsers, "active user"), plural(u.Seats, "seat")))
	}
	for _, l := range valid {
		if !l.ValidUntil.IsZero() && l.ValidUntil.Sub(now) < ExpiryWarning {
			kind := "package " + l.ID
			if l.Trial {
				kind = "trial"
			}
			w = append(w, fmt.Sprintf("%s ends soon: its last day is %s", kind, LastDay(l.ValidUntil)))
		}
	}
	return w
}

// plural counts things in English: "1 seat", "2 seats".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
