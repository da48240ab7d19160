package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// BatchUser is one row of a batch: a user to create (ID zero, from Spec)
// or a change to an existing user of the tenant (ID, Change).
type BatchUser struct {
	// Line is where the row came from (a CSV line), for errors.
	Line int
	ID   crypto.ID
	// Spec is the user to create; its TenantID is ignored.
	Spec UserSpec
	// Change edits the user with ID: nil fields stay as they are.
	Change ProfileChange
	// Status, when not empty, must be the user's status: a batch changes
	// no status, and creates pending users.
	Status store.UserStatus
}

// BatchUserResult is what a batch did to one row's user.
type BatchUserResult struct {
	Line int
	User store.User
	// Code is a created user's activation code (empty in a dry run).
	Code Code
}

// BatchResult is what a batch did (or, in a dry run, would do), in row order.
type BatchResult struct {
	Created   []BatchUserResult
	Updated   []BatchUserResult
	Unchanged []BatchUserResult
}

// MaxBatchProblems bounds the problems a refused batch reports.
const MaxBatchProblems = 20

// RowError is a problem with one row of a batch.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the problem.
func (e RowError) Unwrap() error { return e.Err }

// BatchError refuses a whole batch: it lists the problems found, by line,
// at most MaxBatchProblems of them. errors.Is(err, ErrInvalid) holds.
type BatchError struct {
	Problems []RowError
	// More is set when there were more problems than listed.
	More bool
}

func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString("nothing was changed")
	switch n := len(e.Problems); {
	case e.More:
		fmt.Fprintf(&b, ": more than %d problems", n)
	case n > 1:
		fmt.Fprintf(&b, ": %d problems", n)
	}
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.Error())
	}
	if e.More {
		b.WriteString("; …")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *BatchError) Unwrap() []error { return []error{ErrInvalid} }

// Add records a problem; it reports false once the list is full.
func (e *BatchError) Add(line int, err error) bool {
	if len(e.Problems) >= MaxBatchProblems {
		e.More = true
		return false
	}
	e.Problems = append(e.Problems, RowError{Line: line, Err: err})
	return true
}

// Err returns e when it holds a problem, else nil.
func (e *BatchError) Err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// planned is a row checked against the store: the user as it will be.
type planned struct {
	line    int
	create  bool
	changed bool
	before  store.User // an existing user as it is
	after   store.User // ID zero for a user to create
}

// ApplyBatch creates and edits many users of a tenant at once, all or
// nothing: every row is checked first, against the other rows and the
// store, with the rules of CreateUser and EditUser, and the batch is
// written in one transaction only when every row passes. Otherwise nothing
// changes and the error is a *BatchError listing the problems by line.
// Rows that change nothing are left alone. A dry run checks and reports
// without writing (and issues no codes). also runs in the transaction for
// every created user (before nil) and every changed one.
func (s *Service) ApplyBatch(ctx context.Context, tenantID string, rows []BatchUser, dryRun bool, also InTx) (BatchResult, error) {
	if dryRun {
		var res BatchResult
		err := s.db.View(ctx, func(tx store.Tx) error {
			plan, err := s.planBatch(tx, tenantID, rows)
			if err != nil {
				return err
			}
			res = batchResult(plan, nil)
			return nil
		})
		if be := (*BatchError)(nil); errors.As(err, &be) {
			return BatchResult{}, be
		} else if err != nil {
			return BatchResult{}, fmt.Errorf("check users: %w", err)
		}
		return res, nil
	}
	// Randomness is drawn up front: the update function may run more than once.
	var creates int
	for _, r := range rows {
		if r.ID.IsZero() {
			creates++
		}
	}
	codes := make([]string, creates)
	candidates := make([]crypto.ID, 4*creates)
	for i := range codes {
		var err error
		if codes[i], err = newCode(s.cfg.Rand); err != nil {
			return BatchResult{}, err
		}
	}
	for i := range candidates {
		var err error
		if candidates[i], err = crypto.NewID(s.cfg.Rand); err != nil {
			return BatchResult{}, err
		}
	}
	now := s.now()
	var res BatchResult
	err := s.db.Update(ctx, func(tx store.Tx) error {
		plan, err := s.planBatch(tx, tenantID, rows)
		if err != nil {
			return err
		}
		// Free changed addresses first, so that two users may swap theirs.
		for _, p := range plan {
			if p.changed && p.before.Email != "" && !strings.EqualFold(p.before.Email, p.after.Email) {
				u := p.before
				u.Email = ""
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
		}
		taken := make(map[crypto.ID]bool)
		next := 0
		issued := make([]Code, len(plan))
		for i := range plan {
			p := &plan[i]
			switch {
			case p.create:
				for ; p.after.ID.IsZero() && next < len(candidates); next++ {
					c := candidates[next]
					if _, err := tx.User(c); errors.Is(err, store.ErrNotFound) && !taken[c] {
						p.after.ID = c
					}
				}
				if p.after.ID.IsZero() {
					return errors.New("could not find free Parley IDs, try again")
				}
				taken[p.after.ID] = true
				code := codes[len(taken)-1]
				hash := codeHash(normalizeCode(code))
				p.after.ActivationHash = hash
				if err := tx.PutUser(p.after); err != nil {
					return err
				}
				exp := now.Add(s.cfg.ActivationTTL)
				if err := tx.PutActivation(hash, store.Activation{UserID: p.after.ID, CreatedAt: now, ExpiresAt: exp}); err != nil {
					return err
				}
				issued[i] = Code{Code: code, ExpiresAt: exp}
				if err := also.run(tx, nil, public(p.after)); err != nil {
					return err
				}
			case p.changed:
				if err := tx.PutUser(p.after); err != nil {
					return err
				}
				if err := also.run(tx, public(p.before), public(p.after)); err != nil {
					return err
				}
			}
		}
		res = batchResult(plan, issued)
		return nil
	})
	if be := (*BatchError)(nil); errors.As(err, &be) {
		return BatchResult{}, be
	} else if err != nil {
		return BatchResult{}, fmt.Errorf("import users: %w", err)
	}
	s.forgetAll()
	return res, nil
}

func batchResult(plan []planned, codes []Code) BatchResult {
	var r BatchResult
	for i, p := range plan {
		out := BatchUserResult{Line: p.line, User: public(p.after)}
		switch {
		case p.create:
			if codes != nil {
				out.Code = codes[i]
			}
			r.Created = append(r.Created, out)
		case p.changed:
			r.Updated = append(r.Updated, out)
		default:
			r.Unchanged = append(r.Unchanged, out)
		}
	}
	return r
}

// planBatch checks every row and returns the users as they will be, or a
// *BatchError.
func (s *Service) planBatch(tx store.Tx, tenantID string, rows []BatchUser) ([]planned, error) {
	t, err := tx.Tenant(tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrTenantNotFound
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	problems := &BatchError{}
	plan := make([]planned, 0, len(rows))
	seen := make(map[crypto.ID]int)    // user → line
	emails := make(map[string]int)     // final address → line
	moving := make(map[crypto.ID]bool) // users of checked rows
	for _, r := range rows {
		var p planned
		var err error
		if line, dup := seen[r.ID]; dup && !r.ID.IsZero() {
			err = fmt.Errorf("user %s is also on line %d", r.ID, line)
		} else {
			seen[r.ID] = r.Line
			p, err = planRow(tx, t, r, now)
		}
		if err == nil && p.after.Email != "" {
			key := strings.ToLower(p.after.Email)
			if line, dup := emails[key]; dup {
				err = fmt.Errorf("e-mail %s is also on line %d", p.after.Email, line)
			}
			emails[key] = r.Line
		}
		if err != nil {
			if !problems.Add(r.Line, err) {
				break
			}
			continue
		}
		plan = append(plan, p)
		moving[r.ID] = true
	}
	// An address may belong to a user outside the batch, or to one in it
	// that gives it up (its row was checked and names another address: the
	// same one twice was refused above).
	for _, p := range plan {
		key := strings.ToLower(p.after.Email)
		if key == "" || (!p.create && !p.changed) {
			continue
		}
		other, err := tx.UserByEmail(key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		case other.ID == p.after.ID:
		case moving[other.ID]:
		default:
			problems.Add(p.line, fmt.Errorf("e-mail %s: %w", p.after.Email, ErrEmailTaken))
		}
		if problems.More {
			break
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if t.Suspended && slices.ContainsFunc(plan, func(p planned) bool { return p.create }) {
		return nil, ErrTenantSuspended
	}
	return plan, nil
}

// planRow checks one row on its own against the store.
func planRow(tx store.Tx, t store.Tenant, r BatchUser, now time.Time) (planned, error) {
	p := planned{line: r.Line}
	var prof Profile
	email := r.Spec.Email
	if r.ID.IsZero() {
		if r.Status != "" && r.Status != store.UserPending {
			return p, invalid("a new user's status is pending, not %q (leave it empty)", clip(string(r.Status)))
		}
		prof = Profile{Name: r.Spec.Name, FirstName: r.Spec.FirstName, LastName: r.Spec.LastName,
			Nickname: r.Spec.Nickname, Category: r.Spec.Category, Tags: r.Spec.Tags}
		p.create = true
		p.after = store.User{TenantID: t.ID, Status: store.UserPending, CreatedAt: now}
	} else {
		u, err := userOfTenant(tx, t.ID, r.ID)
		if err != nil {
			return p, err
		}
		if r.Status != "" && r.Status != u.Status {
			return p, invalid("an import changes no status: %s is %s, the row says %q", u.ID, u.Status, clip(string(r.Status)))
		}
		p.before, p.after = u, u
		prof = mergeProfile(u, r.Change)
		email = u.Email
		if r.Change.Email != nil {
			email = *r.Change.Email
		}
	}
	if strings.TrimSpace(prof.Name+prof.FirstName+prof.LastName) == "" {
		return p, invalid("no name: give name, or first_name and last_name")
	}
	for _, f := range []struct{ column, value string }{{"name", prof.Name}, {"first_name", prof.FirstName},
		{"last_name", prof.LastName}, {"nickname", prof.Nickname}, {"category", prof.Category}} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		if _, err := NormalizePersonName(f.value); err != nil {
			return p, fmt.Errorf("%s: %w", f.column, err)
		}
	}
	prof, err := normalizeProfile(prof)
	if err != nil {
		return p, err
	}
	u := &p.after
	u.Name, u.FirstName, u.LastName, u.Nickname, u.Category, u.Tags = prof.Name, prof.FirstName, prof.LastName, prof.Nickname, prof.Category, prof.Tags
	if strings.TrimSpace(email) == "" {
		u.Email = ""
	} else if p.create || !strings.EqualFold(email, p.before.Email) {
		addr, domain, err := NormalizeEmail(email)
		if err != nil {
			return p, err
		}
		if err := checkEmailDomain(tx, t, domain); errors.Is(err, ErrDomainTaken) {
			return p, fmt.Errorf("e-mail %s: %w", addr, ErrDomainTaken)
		} else if err != nil {
			return p, err
		}
		u.Email = addr
	}
	p.changed = !p.create && !sameProfile(p.before, p.after)
	return p, nil
}

// mergeProfile applies a change to a user's profile, not yet normalised:
// a new first or last name without a new display name rebuilds it.
func mergeProfile(u store.User, c ProfileChange) Profile {
	p := Profile{Name: u.Name, FirstName: u.FirstName, LastName: u.LastName, Nickname: u.Nickname, Category: u.Category, Tags: u.Tags}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.FirstName, c.FirstName)
	set(&p.LastName, c.LastName)
	set(&p.Nickname, c.Nickname)
	set(&p.Category, c.Category)
	if c.Tags != nil {
		p.Tags = *c.Tags
	}
	switch {
	case c.Name != nil:
		p.Name = *c.Name
	case c.FirstName != nil || c.LastName != nil:
		p.Name = "" // rebuilt from the names
	}
	return p
}

func sameProfile(a, b store.User) bool {
	return a.Name == b.Name && a.FirstName == b.FirstName && a.LastName == b.LastName && a.Nickname == b.Nickname &&
		a.Category == b.Category && slices.Equal(a.Tags, b.Tags) && a.Email == b.Email
}
