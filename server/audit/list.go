package audit

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/store"
)

// Numbering. The store keeps one chain for the whole instance, and an
// entry's Seq is its place in that chain. A tenant's view numbers the
// tenant's entries on their own — 1, 2, 3, … in chain order — because the
// instance's numbers would show, by their gaps, how much the other tenants
// did. In a tenant's view (Filter.TenantID set, VerifyTenant, anchors of
// a tenant) every sequence number is a tenant number, and an entry's
// PrevHash, which names an entry the tenant may not see, is left out.
//
// Tenant numbers are counted as the log is read, not stored: entries
// written before there were tenant numbers have theirs too, nothing needs
// migrating, and the stored chain, hashes included, is what it was. The
// chain only grows and Verify catches any entry removed or inserted, so
// an entry's tenant number never changes.

// Filter selects entries for List. Zero fields select everything.
type Filter struct {
	// TenantID selects one tenant's entries and numbers them in the
	// tenant's own sequence; "" is the whole instance (instance admins).
	TenantID string
	// Actor is an SSH key fingerprint or "apikey:<id>" (exactly), or part
	// of the admin's label (any case).
	Actor  string
	Target string // substring of the target
	Action string // prefix of the action, e.g. "user."
	Since  time.Time
	Until  time.Time // exclusive
	// After selects entries numbered above it, and then the oldest Limit
	// of them: the next page forwards. Before selects entries numbered
	// below it, and then the newest Limit: the next page backwards.
	// Numbers are those of the view (tenant numbers for a tenant).
	After, Before uint64
	// Limit is the size of the page: 0 means DefaultLimit, NoLimit all.
	Limit int
}

// List limits. Fronts and the admin service cap a page at MaxLimit; only
// an approved export reads with NoLimit.
const (
	DefaultLimit = 100
	MaxLimit     = 100
	NoLimit      = -1
)

// Match reports whether e passes the filter's tests on its fields (not
// the page: After, Before and Limit).
func (f Filter) Match(e store.AuditEntry) bool {
	switch {
	case f.TenantID != "" && e.TenantID != f.TenantID:
		return false
	case f.Actor != "" && e.Actor != f.Actor && !strings.Contains(strings.ToLower(e.Label), strings.ToLower(f.Actor)):
		return false
	case f.Target != "" && !strings.Contains(e.Target, f.Target):
		return false
	case f.Action != "" && !strings.HasPrefix(e.Action, f.Action):
		return false
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !e.Time.Before(f.Until):
		return false
	}
	return true
}

// List returns one page of the entries matching f, oldest first: the
// newest Limit, or the page After or Before names. In a tenant's view the
// entries carry their tenant numbers as Seq and no PrevHash.
func List(tx store.Tx, f Filter) ([]store.AuditEntry, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0:
		limit = 0
	}
	var out []store.AuditEntry
	var n uint64 // the tenant's entries so far
	err := tx.Audit(1, func(e store.AuditEntry, _, _ []byte) bool {
		if f.TenantID != "" {
			if e.TenantID != f.TenantID {
				return true
			}
			n++
			e.Seq, e.PrevHash = n, nil
		}
		switch {
		case f.Before != 0 && e.Seq >= f.Before:
			return false
		case f.After != 0 && e.Seq <= f.After, !f.Match(e):
			return true
		}
		out = append(out, e)
		if limit > 0 && len(out) > limit {
			if f.After != 0 {
				out = out[:limit]
				return false // the oldest page after the cursor is full
			}
			out = out[1:]
		}
		return true
	})
	return out, err
}

// VerifyTenant verifies the whole chain, as Verify does, and reports in
// the tenant's view: Entries counts the tenant's entries, Head is the hash
// of its last one, BadSeq and the anchors are tenant numbers, and a
// problem in an entry of someone else is placed after the tenant's entry
// before it, never by the instance's number.
func VerifyTenant(tx store.Tx, tenantID string, anchors ...Anchor) (Report, error) {
	type own struct {
		seq  uint64 // in the instance's chain
		hash []byte
	}
	var mine []own
	err := tx.Audit(1, func(e store.AuditEntry, _, _ []byte) bool {
		if e.TenantID == tenantID && e.Seq != 0 {
			mine = append(mine, own{e.Seq, e.Hash})
		}
		return true
	})
	if err != nil {
		return Report{}, err
	}
	var inChain []Anchor
	for _, a := range anchors {
		if a.Seq > uint64(len(mine)) {
			return Report{Entries: uint64(len(mine)), BadSeq: uint64(len(mine)) + 1, Kind: kindRemoved,
				Problem: fmt.Sprintf("the log ends at entry %d, before the anchored entry %d: entries were removed", len(mine), a.Seq)}, nil
		}
		if !bytes.Equal(mine[a.Seq-1].hash, a.Hash) {
			return Report{Entries: a.Seq - 1, BadSeq: a.Seq, Kind: kindRewrite,
				Problem: fmt.Sprintf("entry %d %s", a.Seq, kindRewrite)}, nil
		}
		inChain = append(inChain, Anchor{Seq: mine[a.Seq-1].seq, Hash: a.Hash})
	}
	r, err := Verify(tx, inChain...)
	if err != nil {
		return Report{}, err
	}
	out := Report{OK: r.OK, Kind: r.Kind}
	if r.OK {
		out.Entries = uint64(len(mine))
		if len(mine) > 0 {
			out.Head = mine[len(mine)-1].hash
		}
		return out, nil
	}
	// The tenant's entries before the break are good.
	k := 0
	for k < len(mine) && mine[k].seq < r.BadSeq {
		k++
	}
	out.Entries, out.BadSeq = uint64(k), uint64(k)+1
	switch {
	case r.Kind == kindEnds || r.Kind == kindHead || r.Kind == kindRemoved:
		out.Problem = r.Kind
	case k < len(mine) && mine[k].seq == r.BadSeq:
		out.Problem = fmt.Sprintf("entry %d %s", k+1, r.Kind)
	default:
		// Someone else's entry, or a record no longer there: say only
		// where it sits among the tenant's entries.
		out.Problem = fmt.Sprintf("the log is broken after entry %d, before entry %d: an entry %s", k, k+1, r.Kind)
	}
	return out, nil
}
